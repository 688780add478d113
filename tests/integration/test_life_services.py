"""Life services in Home Assistant on the real stack (a real hub): a dashboard button per
offered service and the `eldercare.request_service` action each make a request the hub stores;
the care center's steps reach the open-requests sensor, the HA event, the speaker and the
family's phones (normal priority); the household confirms and rates; refusals are translated
and change nothing; a service no longer offered leaves its button unavailable."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from custom_components.eldercare.const import DOMAIN, EVENT_ANNOUNCEMENT
from custom_components.eldercare.runtime import EldercareRuntime
from custom_components.eldercare.service_desk import EVENT_SERVICE_REQUEST, ServiceController
from gateway.services.catalogue import SERVICE_NAMES, ServiceType
from gateway.services.lifecycle import ServiceStatus, ServiceStep
from hub.core.service_store import ServiceRequest as HubRequest
from hub.core.service_store import StepDetails
from hub.services.steps import take_service_step

from ..conftest import RunningHub, until
from .conftest import credentials_of
from .translated import texts

FAMILY = [
    {"name": "Li Na", "notify_service": "mobile_app_li_phone", "phone": ""},
    {"name": "Wang Wei", "notify_service": "mobile_app_wang_phone", "phone": ""},
]
OPEN_REQUESTS = "open_service_requests"
INTEGRATION = Path(__file__).resolve().parents[2] / "integrations" / "eldercare"


def _runtime(entry: MockConfigEntry) -> EldercareRuntime:
    runtime: EldercareRuntime = entry.runtime_data
    return runtime


def _entity_id(hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str) -> str:
    unique_id = f"{_runtime(entry).identity}_{key}"
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, f"no {platform} {key}"
    return entity_id


async def _service_buttons(hass: HomeAssistant, entry: MockConfigEntry) -> dict[ServiceType, str]:
    """The service buttons, once the hub's config has said what the household is offered."""
    services = _runtime(entry).services
    await until(lambda: services.entitlement_known)
    await hass.async_block_till_done()
    return _service_buttons_now(hass, entry)


def _service_buttons_now(hass: HomeAssistant, entry: MockConfigEntry) -> dict[ServiceType, str]:
    registry = er.async_get(hass)
    identity = _runtime(entry).identity
    found = {
        service: registry.async_get_entity_id("button", DOMAIN, f"{identity}_service_{service}")
        for service in ServiceType
    }
    return {service: entity_id for service, entity_id in found.items() if entity_id}


async def _hub_requests(hub: RunningHub, entry: MockConfigEntry, count: int) -> list[HubRequest]:
    """The household's requests at the hub, once `count` have arrived."""
    context = hub.context
    household_id = credentials_of(entry).household_id
    for _ in range(100):
        stored = await context.db(context.store.services.household_requests, household_id)
        if len(stored) >= count:
            return stored
        await asyncio.sleep(0.05)
    raise AssertionError(f"the hub has {len(stored)} requests, expected {count}")


async def _entitle(
    hass: HomeAssistant, hub: RunningHub, entry: MockConfigEntry, services: tuple[ServiceType, ...]
) -> None:
    """What a supervisor's change of the household's services does: store it, push config."""
    context = hub.context
    household_id = credentials_of(entry).household_id
    await context.db(
        context.store.services.set_entitlement, household_id, services, context.clock()
    )
    await context.gateways.push_config(household_id)
    offered = _runtime(entry).services.offered
    await until(lambda: offered() == frozenset(services))
    await hass.async_block_till_done()


async def _call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def test_a_button_per_offered_service_makes_a_request_the_hub_stores(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    buttons = await _service_buttons(hass, enrolled_entry)
    assert set(buttons) == set(ServiceType)  # the hub offers every service unless narrowed
    repair = hass.states.get(buttons[ServiceType.REPAIR])
    assert repair is not None
    assert repair.name.endswith("Service: Plumbing and electrical repair")
    events = async_capture_events(hass, EVENT_SERVICE_REQUEST)

    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: buttons[ServiceType.REPAIR]}, blocking=True
    )
    (stored,) = await _hub_requests(hub_server, enrolled_entry, 1)
    assert stored.service is ServiceType.REPAIR
    assert stored.source_name == repair.name  # as the household calls the button
    (request,) = _runtime(enrolled_entry).services.open_requests()
    assert (request.id, request.source) == (stored.id, "dashboard")
    assert events[0].data["status"] == "requested"
    sensor = hass.states.get(_entity_id(hass, enrolled_entry, "sensor", OPEN_REQUESTS))
    assert sensor is not None
    assert sensor.state == "1"
    assert sensor.attributes["requests"] == [
        {
            "request_id": stored.id,
            "service": "repair",
            "status": "requested",
            "requested_at": request.requested_at.isoformat(),
        }
    ]


async def test_the_action_makes_a_request_and_asking_again_counts_into_it(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _service_buttons(hass, enrolled_entry)
    first = await _call(hass, "request_service", {"service": "meal", "note": "少盐，不要辣"})
    (stored,) = await _hub_requests(hub_server, enrolled_entry, 1)
    assert (stored.id, stored.service, stored.note) == (
        first["request_id"],
        ServiceType.MEAL,
        "少盐，不要辣",
    )
    again = await _call(hass, "request_service", {"service": "meal"})
    assert again["request_id"] == first["request_id"]
    (request,) = _runtime(enrolled_entry).services.open_requests()
    assert request.count == 2


@dataclass(frozen=True)
class Refusal:
    key: str
    action: str
    data: dict[str, Any]


async def test_refusals_are_translated_and_change_nothing(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _service_buttons(hass, enrolled_entry)
    await _entitle(hass, hub_server, enrolled_entry, (ServiceType.REPAIR, ServiceType.MEAL))
    refusals = [
        Refusal("nothing_to_confirm", "confirm_service", {}),
        Refusal("no_open_request", "cancel_service", {"reason": "x"}),
    ]
    await _refused_change_nothing(hass, enrolled_entry, refusals)
    open_one = await _call(hass, "request_service", {"service": "repair"})
    await _hub_requests(hub_server, enrolled_entry, 1)
    await hass.async_block_till_done()
    refusals = [
        Refusal("unknown_service", "request_service", {"service": "plumber"}),
        Refusal("service_not_offered", "request_service", {"service": "bathing"}),
        Refusal("unknown_service", "cancel_service", {"service": "plumber"}),
        Refusal("no_open_request", "cancel_service", {"service": "meal"}),
        Refusal("unknown_request", "cancel_service", {"request_id": "01JNOSUCHREQUEST"}),
        Refusal("unknown_request", "confirm_service", {"request_id": "01JNOSUCHREQUEST"}),
        Refusal(
            "request_not_completed",
            "confirm_service",
            {"request_id": open_one["request_id"], "rating": 5},
        ),
        Refusal("nothing_to_confirm", "confirm_service", {"rating": 4}),
    ]
    await _refused_change_nothing(hass, enrolled_entry, refusals)
    (stored,) = await _hub_requests(hub_server, enrolled_entry, 1)
    assert stored.status is ServiceStatus.REQUESTED
    assert stored.rating is None
    # Every refusal reads well in both languages.
    for key in {refusal.key for refusal in refusals}:
        await texts(hass, "exceptions", f"{key}.message")


async def _refused_change_nothing(
    hass: HomeAssistant, entry: MockConfigEntry, refusals: list[Refusal]
) -> None:
    services = _runtime(entry).services
    outbox = _runtime(entry).link.outbox_depth
    for refusal in refusals:
        before = json.dumps(services.desk.to_dict())
        depth = outbox
        with pytest.raises(ServiceValidationError) as raised:
            await hass.services.async_call(DOMAIN, refusal.action, refusal.data, blocking=True)
        assert raised.value.translation_domain == DOMAIN
        assert raised.value.translation_key == refusal.key, refusal
        await hass.async_block_till_done()
        assert json.dumps(services.desk.to_dict()) == before, refusal
        assert _runtime(entry).link.outbox_depth <= depth, refusal


@dataclass(frozen=True)
class Household:
    language: str
    provider: str
    accepted: str  # what the home says (and the family reads) when the care center accepts
    assigned: str
    title: str


HOUSEHOLDS = [
    Household(
        "zh-Hans",
        "安居维修",
        "服务中心已受理您的水电维修请求",
        "安居维修的师傅预计 30 分钟后到",
        "Wang household：水电维修",
    ),
    Household(
        "en",
        "Anju Repairs",
        "The care center has accepted your Plumbing and electrical repair request.",
        "Someone from Anju Repairs will arrive in about 30 minutes.",
        "Wang household: Plumbing and electrical repair",
    ),
]


@pytest.fixture(params=HOUSEHOLDS, ids=[h.language for h in HOUSEHOLDS])
def household(request: pytest.FixtureRequest, hass: HomeAssistant) -> Household:
    """The household's language, set before the integration loads (as in a real home)."""
    chosen: Household = request.param
    hass.config.language = chosen.language
    return chosen


async def test_each_staff_step_is_seen_heard_and_sent_to_the_family(
    hass: HomeAssistant,
    household: Household,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
) -> None:
    phones = [
        async_mock_service(hass, "notify", "mobile_app_li_phone"),
        async_mock_service(hass, "notify", "mobile_app_wang_phone"),
    ]
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "family": FAMILY}
    )
    buttons = await _service_buttons(hass, enrolled_entry)
    sensor_id = _entity_id(hass, enrolled_entry, "sensor", OPEN_REQUESTS)
    events = async_capture_events(hass, EVENT_SERVICE_REQUEST)
    said = async_capture_events(hass, EVENT_ANNOUNCEMENT)
    services = _runtime(enrolled_entry).services
    context = hub_server.context
    provider = await context.db(
        lambda: context.store.services.add_provider(
            context.clock(), organisation=household.provider, services=["repair"]
        )
    )

    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: buttons[ServiceType.REPAIR]}, blocking=True
    )
    (stored,) = await _hub_requests(hub_server, enrolled_entry, 1)
    await until(lambda: _reported(services, stored.id))
    await hass.async_block_till_done()

    async def step(step_: ServiceStep, details: StepDetails | None = None) -> None:
        details = details or StepDetails()
        await take_service_step(context, stored.id, step_, "li.na", details, staff_name="李娜")
        await until(lambda: _status(services, stored.id) == step_.value)
        await hass.async_block_till_done()

    def sensor() -> dict[str, Any]:
        state = hass.states.get(sensor_id)
        assert state is not None
        return {"state": state.state, **state.attributes}

    await step(ServiceStep.ACCEPTED)
    assert sensor()["requests"][0]["status"] == "accepted"
    assert events[-1].data == {
        "request_id": stored.id,
        "service": "repair",
        "status": "accepted",
        "what": "accepted",
    }
    assert said[-1].data["text"] == household.accepted
    for calls in phones:
        update = calls[-1].data
        assert update["message"] == household.accepted
        assert update["title"] == household.title
        # Normal priority: its own tag and group, nothing that rings through silent mode.
        assert update["data"] == {
            "tag": f"eldercare-service-{stored.id}",
            "group": "eldercare-services",
        }

    start = context.clock() + timedelta(minutes=30)
    window = StepDetails(
        provider_id=provider.id, window_start=start, window_end=start + timedelta(hours=1)
    )
    await step(ServiceStep.ASSIGNED, window)
    (listed,) = sensor()["requests"]
    assert listed["provider"] == household.provider
    # (The wire carries milliseconds.)
    assert datetime.fromisoformat(listed["window_start"]) == start.replace(
        microsecond=start.microsecond // 1000 * 1000
    )
    assert said[-1].data["text"] == household.assigned
    assert [calls[-1].data["message"] for calls in phones] == [household.assigned] * 2

    await step(ServiceStep.ARRIVED)
    await step(ServiceStep.COMPLETED)
    done = sensor()
    assert done["state"] == "0"
    assert done["requests"] == []
    assert done["awaiting_confirmation"] == [{"request_id": stored.id, "service": "repair"}]
    notified = {len(calls) for calls in phones}
    assert notified == {5}  # received, accepted, assigned, arrived, completed

    # The family confirms the work and rates it from the companion app.
    await _call(hass, "confirm_service", {"rating": 5, "comment": "师傅很细心"})
    await hass.async_block_till_done()
    assert sensor()["awaiting_confirmation"] == []
    for _ in range(100):
        rated = await context.db(context.store.services.request, stored.id)
        if rated is not None and rated.rating == 5:
            break
        await asyncio.sleep(0.05)
    assert rated is not None
    assert rated.rating == 5
    steps = await context.db(context.store.services.steps, stored.id)
    assert [s["action"] for s in steps][-2:] == ["confirmed", "rated"]
    assert {len(calls) for calls in phones} == {5}  # thanks are for the home only


def _status(services: ServiceController, request_id: str) -> str | None:
    request = services.desk.get(request_id)
    return None if request is None else request.status.value


def _reported(services: ServiceController, request_id: str) -> bool:
    request = services.desk.get(request_id)
    return request is not None and request.reported


def _state(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return None if state is None else state.state


async def test_a_service_no_longer_offered_leaves_its_button_unavailable(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    buttons = await _service_buttons(hass, enrolled_entry)
    meal = buttons[ServiceType.MEAL]
    await _entitle(hass, hub_server, enrolled_entry, (ServiceType.REPAIR,))
    assert _state(hass, meal) == STATE_UNAVAILABLE
    assert _state(hass, buttons[ServiceType.REPAIR]) != STATE_UNAVAILABLE
    # Pressing it does nothing: no request, at home or at the hub.
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: meal}, blocking=True)
    await hass.async_block_till_done()
    assert _runtime(enrolled_entry).services.open_requests() == []
    # Offered again: the same button (same entity, as the family left it) comes back.
    await _entitle(hass, hub_server, enrolled_entry, tuple(ServiceType))
    assert _state(hass, meal) not in (None, STATE_UNAVAILABLE)
    assert await _service_buttons(hass, enrolled_entry) == buttons


async def test_after_a_restart_the_kept_entitlement_decides_and_new_offers_add_buttons(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    buttons = await _service_buttons(hass, enrolled_entry)
    await _entitle(hass, hub_server, enrolled_entry, (ServiceType.REPAIR,))
    await hass.config_entries.async_reload(enrolled_entry.entry_id)
    await hass.async_block_till_done()
    # The hub's word was kept: only the repair button is made; the meal button stays in the
    # registry (its name and place kept), unavailable, until offered again or deleted.
    assert _runtime(enrolled_entry).services.offered() == frozenset({ServiceType.REPAIR})
    assert _state(hass, buttons[ServiceType.REPAIR]) != STATE_UNAVAILABLE
    assert _state(hass, buttons[ServiceType.MEAL]) == STATE_UNAVAILABLE
    await _entitle(hass, hub_server, enrolled_entry, (ServiceType.REPAIR, ServiceType.MEAL))
    assert _state(hass, buttons[ServiceType.MEAL]) not in (None, STATE_UNAVAILABLE)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: buttons[ServiceType.MEAL]}, blocking=True
    )
    (stored,) = await _hub_requests(hub_server, enrolled_entry, 1)
    assert stored.service is ServiceType.MEAL


async def test_the_hubs_first_word_removes_the_buttons_it_does_not_offer(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    hass_storage: dict[str, Any],
) -> None:
    """Until the hub has said (here: a home upgraded from a release that kept no word of it,
    starting while the care center is unreachable), every service has a button, as the desk
    allows them all; the hub's first word keeps only the offered ones: placeholders nobody
    chose are removed, not left dead."""
    entry_id = enrolled_entry.entry_id
    await _service_buttons(hass, enrolled_entry)
    offered = (ServiceType.REPAIR, ServiceType.CALL_BACK)
    context = hub_server.context
    household_id = credentials_of(enrolled_entry).household_id
    await context.db(context.store.services.set_entitlement, household_id, offered, context.clock())
    assert await hass.config_entries.async_unload(entry_id)
    await hub_server.stop()
    hass_storage[f"eldercare.{entry_id}.services"]["data"].pop("entitled")
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()
    assert not _runtime(enrolled_entry).services.entitlement_known
    placeholders = _service_buttons_now(hass, enrolled_entry)
    assert set(placeholders) == set(ServiceType)
    assert all(_state(hass, b) not in (None, STATE_UNAVAILABLE) for b in placeholders.values())

    await hub_server.start()
    services = _runtime(enrolled_entry).services
    await until(lambda: services.entitlement_known, timeout=20)
    await hass.async_block_till_done()
    kept = _service_buttons_now(hass, enrolled_entry)
    assert set(kept) == set(offered)
    assert all(_state(hass, b) not in (None, STATE_UNAVAILABLE) for b in kept.values())
    assert _state(hass, placeholders[ServiceType.MEAL]) is None  # gone, not unavailable


def test_the_names_and_choices_are_the_catalogues() -> None:
    """The dashboard and the action's form say what the catalogue says, in both languages."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    chinese = json.loads(
        (INTEGRATION / "translations" / "zh-Hans.json").read_text(encoding="utf-8")
    )
    for service, names in SERVICE_NAMES.items():
        key = f"service_{service.value}"
        assert names.en in strings["entity"]["button"][key]["name"]
        assert names.zh in chinese["entity"]["button"][key]["name"]
        assert strings["selector"]["service_type"]["options"][service.value] == names.en
        assert chinese["selector"]["service_type"]["options"][service.value] == names.zh
    actions = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    catalogue = [service.value for service in ServiceType]
    for action in ("request_service", "cancel_service"):
        options = actions[action]["fields"]["service"]["selector"]["select"]["options"]
        assert options == catalogue
