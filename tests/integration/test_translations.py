"""The integration's translation files stay complete and in step with strings.json.

Plain file checks: nothing here needs Home Assistant, though the package's autouse fixture
still builds a `hass` for each test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

INTEGRATION = Path(__file__).resolve().parents[2] / "integrations" / "eldercare"
STRINGS = INTEGRATION / "strings.json"
TRANSLATIONS = INTEGRATION / "translations"

PLACEHOLDER = re.compile(r"\{(\w+)\}")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Tokens a translation must carry over verbatim: time windows, code formats, URLs.
TECHNICAL_TOKEN = re.compile(
    r"\b\d{2}:\d{2}-\d{2}:\d{2}\b|\b[A-Z]{4}-[A-Z]{4}-[A-Z]{4}\b|https?://[\w./-]*\w"
)
# zh-Hans leaves (dotted key paths) that are pure technical tokens and so may hold no Chinese
# at all. Keep this list explicit and small. The discovery card's title is the monitor's
# own name (`{name}`, a device's Bluetooth name), the same in every language.
TECHNICAL_LEAVES: frozenset[str] = frozenset({"config.flow_title"})


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every string in a translation tree, keyed by its dotted key path."""
    leaves: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            leaves.update(_leaves(value, f"{path}."))
        else:
            assert isinstance(value, str), f"{path} is {type(value).__name__}, not a string"
            leaves[path] = value
    return leaves


@pytest.fixture(scope="module")
def english() -> dict[str, str]:
    return _leaves(_load(STRINGS))


@pytest.fixture(scope="module")
def chinese() -> dict[str, str]:
    return _leaves(_load(TRANSLATIONS / "zh-Hans.json"))


def test_en_json_is_a_copy_of_strings_json() -> None:
    assert _load(TRANSLATIONS / "en.json") == _load(STRINGS)


def test_zh_hans_has_exactly_the_english_keys(
    english: dict[str, str], chinese: dict[str, str]
) -> None:
    assert sorted(english.keys() - chinese.keys()) == [], "missing in zh-Hans.json"
    assert sorted(chinese.keys() - english.keys()) == [], "not in strings.json"


def test_zh_hans_keeps_the_placeholders(english: dict[str, str], chinese: dict[str, str]) -> None:
    mismatched = {
        path: (sorted(set(PLACEHOLDER.findall(text))), sorted(set(PLACEHOLDER.findall(zh))))
        for path, text in english.items()
        if (zh := chinese.get(path)) is not None
        and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(zh))
    }
    assert mismatched == {}


def test_zh_hans_keeps_technical_tokens(english: dict[str, str], chinese: dict[str, str]) -> None:
    lost = {
        path: token
        for path, text in english.items()
        for token in TECHNICAL_TOKEN.findall(text)
        if token not in chinese.get(path, "")
    }
    assert lost == {}


def test_zh_hans_leaves_are_translated(chinese: dict[str, str]) -> None:
    assert sorted(TECHNICAL_LEAVES - chinese.keys()) == [], "stale TECHNICAL_LEAVES entries"
    untranslated = {
        path: text
        for path, text in chinese.items()
        if path not in TECHNICAL_LEAVES and not CJK.search(text)
    }
    assert untranslated == {}
