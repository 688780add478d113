"""A remote's keys as the options store them: SOS, a service or nothing, and nonsense refused."""

from __future__ import annotations

import pytest

from gateway.alarms import AlarmKind
from gateway.remote_keys import (
    JOB_CHOICES,
    BadKeyJob,
    default_jobs,
    default_key_for,
    job_value,
    parse_job,
    parse_key_map,
)
from gateway.services.catalogue import ServiceType
from gateway.services.desk import NotEntitled, ServiceRefused, UnknownService
from gateway.services.refusals import refusal_text


def test_a_four_key_remote_starts_as_sos_repair_meal_call_back() -> None:
    assert default_jobs([1, 2, 3, 4]) == {
        1: AlarmKind.SOS,
        2: ServiceType.REPAIR,
        3: ServiceType.MEAL,
        4: ServiceType.CALL_BACK,
    }
    assert default_jobs([1, 2, 5, 6]) == {1: AlarmKind.SOS, 2: ServiceType.REPAIR}
    assert default_key_for(ServiceType.REPAIR) == 2
    assert default_key_for(ServiceType.DRAIN) is None


def test_every_choice_reads_back_as_itself() -> None:
    for value in JOB_CHOICES:
        assert job_value(parse_job(value)) == value
    assert parse_key_map({"1": "sos", "2": "drain", "3": "none"}) == {
        1: AlarmKind.SOS,
        2: ServiceType.DRAIN,
    }


@pytest.mark.parametrize("value", ["fall", "fire", "pizza", "", "SOS"])
def test_nonsense_is_not_a_job(value: str) -> None:
    with pytest.raises(BadKeyJob):
        parse_job(value)


def test_refusals_are_said_in_the_households_language() -> None:
    refused = NotEntitled(ServiceType.MEAL)
    assert refusal_text(refused, "zh-Hans") == "您家还没有开通助餐服务，请联系服务中心"
    assert "Meal delivery" in refusal_text(refused, "en")
    assert refusal_text(UnknownService("pizza"), "zh-CN") == "没有这项服务"
    assert refusal_text(ServiceRefused("no"), "en") == "That request cannot be made."
