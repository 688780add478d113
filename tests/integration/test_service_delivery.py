"""Life-service requests on the real stack (HA + the real hub): a request made while the care
center is down is kept, the home says so, and it arrives when the hub is back; an alarm raised
behind a backlog of requests reaches the hub before any of them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.eldercare.const import EVENT_ANNOUNCEMENT
from custom_components.eldercare.service_desk import EVENT_SERVICE_REQUEST
from gateway.alarms import AlarmKind
from gateway.services.catalogue import ServiceType
from gateway.services.observations import ServicePressed
from gateway.services.phrases import Phrase

from ..conftest import RunningHub, until
from .conftest import credentials_of


def _press(entry: MockConfigEntry, service: ServiceType) -> None:
    entry.runtime_data.services.observe(ServicePressed("button", service, "Dashboard"))


async def _requests_at_hub(hub: RunningHub, entry: MockConfigEntry) -> list[Any]:
    context = hub.context
    household_id = credentials_of(entry).household_id
    return await context.db(context.store.services.household_requests, household_id)


def _ticking_clock() -> Callable[[], datetime]:
    """The hub's clock, one millisecond further at every reading: the order in which the hub
    stored things can be read back from their times."""
    start = datetime.now(UTC)
    ticks = iter(range(1_000_000))
    return lambda: start + timedelta(milliseconds=next(ticks))


async def test_a_request_made_while_the_hub_is_down_is_kept_said_and_delivered_later(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    link = enrolled_entry.runtime_data.link
    said = async_capture_events(hass, EVENT_ANNOUNCEMENT)
    changes = async_capture_events(hass, EVENT_SERVICE_REQUEST)
    await hub_server.stop()
    _press(enrolled_entry, ServiceType.DRAIN)
    # The home says the request is recorded and waits for the connection.
    await until(lambda: any(e.data["message"] == Phrase.QUEUED_OFFLINE for e in said), 15)
    assert link.outbox_depth == 1  # held, not lost
    [request] = enrolled_entry.runtime_data.services.open_requests()
    assert not request.reported
    assert changes[0].data == {
        "request_id": request.id,
        "service": "drain",
        "status": "requested",
        "what": changes[0].data["what"],
    }

    await hub_server.start()
    for _ in range(200):
        if await _requests_at_hub(hub_server, enrolled_entry):
            break
        await asyncio.sleep(0.05)
    [stored] = await _requests_at_hub(hub_server, enrolled_entry)
    assert (stored.id, stored.service, stored.count) == (request.id, ServiceType.DRAIN, 1)
    # Acked: the home learns the care center has it, and says so.
    await until(lambda: enrolled_entry.runtime_data.services.open_requests()[0].reported, 10)
    await until(lambda: any(e.data["message"] == Phrase.RECEIVED for e in said), 10)
    await until(lambda: link.outbox_depth == 0, 10)


async def test_an_alarm_raised_behind_a_backlog_of_requests_reaches_the_hub_first(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    runtime = enrolled_entry.runtime_data
    await hub_server.stop()
    for service in ServiceType:  # nine separate requests wait in the outbox
        _press(enrolled_entry, service)
    await asyncio.sleep(0.2)
    alarm = runtime.raise_alarm(AlarmKind.SOS, "button", "Call for help")
    await until(lambda: runtime.link.outbox_depth == len(ServiceType) + 1, 10)

    await hub_server.start()
    hub_server.context.clock = _ticking_clock()
    (stored_alarm,) = await hub_server.wait_for_open_alarms(1, timeout=15)
    assert stored_alarm.id == alarm.id
    for _ in range(200):
        if len(await _requests_at_hub(hub_server, enrolled_entry)) == len(ServiceType):
            break
        await asyncio.sleep(0.05)
    requests = await _requests_at_hub(hub_server, enrolled_entry)
    assert {r.service for r in requests} == set(ServiceType)
    # Pressed last, stored first: the alarm overtook every waiting request.
    assert all(stored_alarm.received_at < r.requested_at for r in requests), (
        stored_alarm.received_at,
        sorted(r.requested_at for r in requests),
    )
