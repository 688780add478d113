"""Every phrase the home says about a service, in both languages, with its blanks filled."""

from __future__ import annotations

import re

import pytest

from gateway.services.catalogue import ServiceType
from gateway.services.phrases import PHRASES, Phrase, render

PARAMS = {"provider": "安心家政", "minutes": "30", "reason": "无可用师傅"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_phrase_has_both_languages() -> None:
    assert set(PHRASES) == set(Phrase)


@pytest.mark.parametrize("phrase", list(Phrase))
@pytest.mark.parametrize("service", list(ServiceType))
def test_every_phrase_renders_in_chinese_and_english(phrase: Phrase, service: ServiceType) -> None:
    zh = render(phrase, service, PARAMS, "zh-Hans")
    en = render(phrase, service, PARAMS, "en")
    assert "{" not in zh + en
    assert CJK.search(zh)
    assert not CJK.search(en.replace("安心家政", "").replace("无可用师傅", ""))


def test_the_phrases_the_issue_names() -> None:
    assert render(Phrase.QUEUED_OFFLINE, ServiceType.DRAIN, {}, "zh").endswith("已记录，联网后发送")
    assert render(Phrase.RECEIVED, ServiceType.DRAIN, {}, "zh").startswith("服务中心已收到")
    assert render(Phrase.ASSIGNED_ETA, ServiceType.REPAIR, PARAMS, "zh").endswith(
        "师傅预计 30 分钟后到"
    )
