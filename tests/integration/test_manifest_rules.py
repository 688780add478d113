"""What Home Assistant's own validator (hassfest) refused in this integration, checked on every
machine: `make hassfest` runs HA's hassfest only where a copy of it exists (scripts/hassfest.py).

Each check is for a class of defect hassfest (or HACS, which runs it) has reported here: manifest
keys a custom integration must have, an integration used but not declared, translation keys
that are not lowercase, URLs inside translated strings; plus the quality-scale file's format,
the icons and the brand images. Where the installed homeassistant package has the rule (its
loader, its Platform list, its icon loader) the test asks it rather than restating it.
en.json == strings.json and zh-Hans.json's keys: tests/integration/test_translations.py.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant import loader
from homeassistant.bootstrap import CORE_INTEGRATIONS
from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import selector
from homeassistant.helpers.icon import async_get_icons
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eldercare.const import DOMAIN

from ..conftest import RunningHub

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "integrations" / "eldercare"
TRANSLATION_FILES = (
    INTEGRATION / "strings.json",
    INTEGRATION / "translations" / "en.json",
    INTEGRATION / "translations" / "zh-Hans.json",
)
BRAND = INTEGRATION / "brand"

# HA's rule for translation keys (selector options, entity states, ...): lowercase letters,
# digits, single "_" or "-" between them. We hold every key in the files to it.
TRANSLATION_KEY = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)*")
# A URL as hassfest sees one: a scheme and "://" followed by a host, or "www.".
URL = re.compile(
    r"(?:\b(?:https?|ftps?|scp|mqtts?|socket|socks5)://|\bwww\.)[^\s/$.?#]", re.IGNORECASE
)
# Every rule of HA's integration quality scale, as hassfest's quality_scale plugin lists them.
QUALITY_SCALE_RULES = frozenset(
    {
        # Bronze
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
        # Silver
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
        # Gold
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
        # Platinum
        "async-dependency",
        "inject-websession",
        "strict-typing",
    }
)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = _json(INTEGRATION / "manifest.json")
    return manifest


def _walk(tree: dict[str, Any], path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(dotted path, key, value) for every key of a JSON tree."""
    for key, value in tree.items():
        dotted = f"{path}.{key}" if path else key
        yield dotted, key, value
        if isinstance(value, dict):
            yield from _walk(value, dotted)


# The manifest


async def test_home_assistant_loads_it_as_a_custom_integration(hass: HomeAssistant) -> None:
    """HA's loader blocks a custom integration without a valid `version`; it must load ours
    from its own manifest, with only keys HA knows."""
    integration = await loader.async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert integration.version is not None
    known = loader.Manifest.__optional_keys__ | loader.Manifest.__required_keys__
    assert sorted(set(_manifest()) - known) == []


def test_manifest_has_the_keys_a_custom_integration_needs() -> None:
    manifest = _manifest()
    assert manifest["domain"] == INTEGRATION.name == DOMAIN
    assert manifest["name"]
    for key in ("documentation", "issue_tracker"):
        assert re.fullmatch(r"https://\S+", manifest[key]), key
    # Not HA's own documentation site: a custom integration documents itself.
    assert not manifest["documentation"].startswith("https://www.home-assistant.io/integrations")
    documented = manifest["documentation"].rsplit("/blob/main/", 1)[1]
    assert (ROOT / documented).is_file()
    assert manifest["codeowners"]
    assert all(re.fullmatch(r"@[\w-]+(?:/[\w-]+)?", owner) for owner in manifest["codeowners"])
    assert manifest["iot_class"] in {
        "assumed_state",
        "calculated",
        "cloud_polling",
        "cloud_push",
        "local_polling",
        "local_push",
    }
    assert manifest["integration_type"] == "hub"
    assert manifest["config_flow"] is True
    assert (INTEGRATION / "config_flow.py").is_file()
    assert all(isinstance(r, str) and " " not in r for r in manifest["requirements"])


def test_manifest_keys_are_in_hassfest_order() -> None:
    keys = list(_manifest())
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


# Integrations used must be declared


class _References(ast.NodeVisitor):
    """Other integrations this code needs: what it imports from homeassistant.components and
    the integration domains it looks up by name."""

    def __init__(self) -> None:
        self.found: dict[str, set[str]] = {}
        self._file = ""

    def scan(self, path: Path) -> None:
        self._file = path.name
        self.visit(ast.parse(path.read_text(encoding="utf-8")))

    def _add(self, domain: str) -> None:
        self.found.setdefault(domain, set()).add(self._file)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("homeassistant.components."):
                self._add(alias.name.split(".")[2])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if module == "homeassistant.components":
            for alias in node.names:
                self._add(alias.name)
        elif module.startswith("homeassistant.components."):
            self._add(module.split(".")[2])

    def visit_Compare(self, node: ast.Compare) -> None:
        # "zha" in hass.config.components, entry.platform != "zha", entry.domain == "x"
        sides = [node.left, *node.comparators]
        looked_up = any(
            isinstance(side, ast.Attribute) and side.attr in ("components", "platform", "domain")
            for side in sides
        )
        if looked_up:
            for side in sides:
                if isinstance(side, ast.Constant) and isinstance(side.value, str):
                    self._add(side.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # Selector configs (integration="zha") and lookups by name.
        for keyword in node.keywords:
            if keyword.arg == "integration" and isinstance(keyword.value, ast.Constant):
                self._add(str(keyword.value.value))
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in ("async_get_integration", "async_setup_component") and len(node.args) > 1:
            domain = node.args[1]
            if isinstance(domain, ast.Constant) and isinstance(domain.value, str):
                self._add(domain.value)
        self.generic_visit(node)


def _referenced() -> dict[str, set[str]]:
    references = _References()
    for path in sorted(INTEGRATION.rglob("*.py")):
        references.scan(path)
    return references.found


def test_the_scan_sees_imports_in_functions_and_lookups_by_name() -> None:
    """The check below is only as good as the scan: it must see the ZHA import inside a
    function (zigbee.py) and the Bluetooth lookup in hass.config.components."""
    found = _referenced()
    assert "zigbee.py" in found["zha"]
    assert "options_flow.py" in found["zha"]  # DeviceSelectorConfig(integration="zha")
    assert "monitors.py" in found["bluetooth"]


async def test_every_integration_used_is_a_declared_dependency(hass: HomeAssistant) -> None:
    """hassfest: "Using component zha but it's not in 'dependencies' or 'after_dependencies'".
    Declared ones are also set up first when present, and must be real HA integrations."""
    manifest = _manifest()
    declared = {*manifest.get("dependencies", []), *manifest.get("after_dependencies", [])}
    own_platforms = {path.stem for path in INTEGRATION.glob("*.py")}  # diagnostics.py, ...
    allowed = declared | own_platforms | {DOMAIN} | set(CORE_INTEGRATIONS)
    allowed |= {platform.value for platform in Platform}
    undeclared = {domain: files for domain, files in _referenced().items() if domain not in allowed}
    assert undeclared == {}
    for domain in sorted(declared):
        assert (await loader.async_get_integration(hass, domain)).is_built_in, domain


# Translations


@pytest.mark.parametrize("path", TRANSLATION_FILES, ids=lambda path: path.name)
def test_translation_keys_are_lowercase_keys(path: Path) -> None:
    """hassfest: "Invalid translation key 'ADM-CID'". Selector option keys are the values the
    forms store; every other key is held to the same rule."""
    bad = [dotted for dotted, key, _ in _walk(_json(path)) if not TRANSLATION_KEY.fullmatch(key)]
    assert bad == []


@pytest.mark.parametrize("path", TRANSLATION_FILES, ids=lambda path: path.name)
def test_no_url_in_a_translated_string(path: Path) -> None:
    """hassfest: "the string should not contain URLs, please use description placeholders
    instead". An address a form shows comes in as a placeholder from the flow."""
    with_url = {
        dotted: value
        for dotted, _, value in _walk(_json(path))
        if isinstance(value, str) and URL.search(value)
    }
    assert with_url == {}


def _placeholders(step: dict[str, Any]) -> set[str]:
    texts = [step.get("description", ""), *step.get("data_description", {}).values()]
    return {
        field
        for text in texts
        for _, field, _, _ in string.Formatter().parse(text)
        if field is not None and field != ""
    }


async def test_setup_form_supplies_its_placeholders(hass: HomeAssistant) -> None:
    """The address example is a placeholder: the form must fill it in (or the user reads
    "{example_url}")."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    wanted = _placeholders(_json(INTEGRATION / "strings.json")["config"]["step"]["user"])
    assert "example_url" in wanted
    assert wanted <= set(result["description_placeholders"] or {})
    assert result["description_placeholders"]["example_url"].startswith("https://")


async def test_reconfigure_form_supplies_its_placeholders(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": enrolled_entry.entry_id}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "reconfigure")
    wanted = _placeholders(_json(INTEGRATION / "strings.json")["config"]["step"]["reconfigure"])
    assert {"example_url", "household"} <= wanted <= set(result["description_placeholders"])


async def test_every_choice_the_options_forms_offer_has_a_translated_label(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    """A select's stored values are its translation keys: an option the strings do not know
    shows to the installer as a raw value (the ARC format once offered "ADM-CID")."""
    labels = _json(INTEGRATION / "strings.json")["selector"]
    result = await hass.config_entries.options.async_init(enrolled_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "arc"}
    )
    selects = [
        field
        for field in result["data_schema"].schema.values()
        if isinstance(field, selector.SelectSelector) and field.config.get("translation_key")
    ]
    assert len(selects) == 4  # format, two transports, key format
    for select in selects:
        key = select.config["translation_key"]
        offered = {str(option) for option in select.config["options"]}
        assert offered <= set(labels[key]["options"]), key


# Quality scale, icons, brand images


def test_quality_scale_file_has_every_rule_in_hassfest_format() -> None:
    """hassfest's schema: every rule, as done/todo or {status, comment}; exempt only with the
    reason why."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    assert sorted(QUALITY_SCALE_RULES - rules.keys()) == [], "missing"
    assert sorted(rules.keys() - QUALITY_SCALE_RULES) == [], "not a quality-scale rule"
    for name, value in rules.items():
        if isinstance(value, str):
            assert value in ("done", "todo"), name
            continue
        assert set(value) == {"status", "comment"}, name
        assert value["status"] in ("done", "todo", "exempt"), name
        assert isinstance(value["comment"], str), name
        assert value["comment"].strip(), name


def test_no_quality_scale_rule_is_left_todo() -> None:
    """Every rule is done, or exempt with its reason: nothing is left for later."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    status = {name: v if isinstance(v, str) else v["status"] for name, v in rules.items()}
    assert sorted(name for name, value in status.items() if value == "todo") == []


async def test_icons_cover_entities_and_actions_and_exist(hass: HomeAssistant) -> None:
    """icons.json through HA's own icon loader: every icon belongs to a translated entity or
    an action of ours, and names a Material Design icon the frontend has."""
    entity_icons = (await async_get_icons(hass, "entity", integrations=[DOMAIN]))[DOMAIN]
    service_icons = (await async_get_icons(hass, "services", integrations=[DOMAIN]))[DOMAIN]
    strings = _json(INTEGRATION / "strings.json")
    for platform, keys in entity_icons.items():
        assert set(keys) <= set(strings["entity"][platform]), platform
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    assert set(service_icons) == set(services)
    icons = [
        value
        for _, _, value in _walk({"entity": entity_icons, "services": service_icons})
        if isinstance(value, str)
    ]
    assert icons
    assert all(icon.startswith("mdi:") for icon in icons)
    frontend = importlib.util.find_spec("hass_frontend")
    if frontend is None or frontend.origin is None:
        pytest.skip("the frontend package (its icon list) is not installed")
    icon_list = Path(frontend.origin).parent / "static" / "mdi" / "iconList.json"
    known = {icon["name"] for icon in _json(icon_list)}
    assert sorted(icon for icon in icons if icon.removeprefix("mdi:") not in known) == []


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("icon.png", (256, 256)),
        ("icon@2x.png", (512, 512)),
        ("logo.png", None),
        ("logo@2x.png", None),
    ],
)
def test_brand_images_fit_home_assistants_rules(name: str, size: tuple[int, int] | None) -> None:
    """HA's brand image rules (brand/ folder or brands repository alike): PNG with transparency,
    icons square at 256 and 512 px, logos with the shortest side 128-256 px (@2x: 256-512),
    trimmed."""
    with Image.open(BRAND / name) as image:
        assert (image.format, image.mode) == ("PNG", "RGBA")
        if size is not None:
            assert image.size == size
        else:
            low, high = (256, 512) if "@2x" in name else (128, 256)
            assert low <= min(image.size) <= high
        assert image.getbbox() == (0, 0, *image.size)  # no empty border
        assert image.getpixel((0, 0))[3] == 0  # a transparent corner: no background
