"""Every offered service has a Chinese and an English name, and the language picks one."""

from __future__ import annotations

from gateway.services.catalogue import SERVICE_NAMES, ServiceType


def test_every_service_is_named_in_both_languages() -> None:
    assert set(SERVICE_NAMES) == set(ServiceType)
    for names in SERVICE_NAMES.values():
        assert names.zh
        assert names.en
        assert not names.zh.isascii(), f"{names.zh!r} is not Chinese"
        assert names.en.isascii()


def test_the_language_tag_picks_the_name() -> None:
    repair = SERVICE_NAMES[ServiceType.REPAIR]
    assert repair.in_language("zh-Hans") == "水电维修"
    assert repair.in_language("zh_CN") == "水电维修"
    assert repair.in_language("en") == "Plumbing and electrical repair"
    assert repair.in_language("fr") == "Plumbing and electrical repair"
