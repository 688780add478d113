"""What a user reads for a message key, in English and in Simplified Chinese: the texts HA's
frontend shows for a form error, an abort or an action's refusal, from the integration's
translation files as HA itself loads them."""

from __future__ import annotations

import re

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from custom_components.eldercare.const import DOMAIN

LANGUAGES = ("en", "zh-Hans")
_CJK = re.compile(r"[\u4e00-\u9fff]")


async def texts(hass: HomeAssistant, category: str, key: str) -> dict[str, str]:
    """`key` under `category` (e.g. "options", "error.invalid_rules") in both languages;
    fails when either language lacks it, or when the Chinese text is not Chinese."""
    found: dict[str, str] = {}
    for language in LANGUAGES:
        strings = await async_get_translations(hass, language, category, {DOMAIN})
        full_key = f"component.{DOMAIN}.{category}.{key}"
        assert strings.get(full_key), f"{full_key} has no {language} text"
        found[language] = strings[full_key]
    assert _CJK.search(found["zh-Hans"]), f"{key} is not translated: {found['zh-Hans']!r}"
    assert found["en"] != found["zh-Hans"]
    return found
