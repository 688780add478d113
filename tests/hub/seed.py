"""Put households, gateways, alarms and vitals into a running hub's store, through its
database thread, for tests that start from a household with a history."""

from __future__ import annotations

from datetime import datetime

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import parse_alarm_raised, parse_vital
from gateway.ulid import new_ulid
from hub.desk_model import AlarmRow
from hub.storage import Gateway

from ..conftest import RunningHub


async def enrolled_gateway(
    hub: RunningHub, name: str, address: str = "Block 3", at: datetime | None = None
) -> Gateway:
    """A household with one enrolled gateway (its key is not a real one: nothing connects)."""
    household = await hub.add_household(name, address)
    code = await hub.enrollment_code(household.id, at)
    store = hub.context.store
    return await hub.context.db(
        store.redeem_enrollment_code, code, "KEY", "gw", at or hub.context.clock()
    )


async def raise_alarm(
    hub: RunningHub, gateway: Gateway, kind: AlarmKind, at: datetime | None = None
) -> AlarmRow:
    body = parse_alarm_raised(RaisedAlarm.new(kind, "test").to_body())
    store = hub.context.store
    moment = at or hub.context.clock()
    alarm = await hub.context.db(store.record_alarm_raised, gateway, new_ulid(), body, moment)
    assert alarm is not None
    return alarm


async def add_vital(
    hub: RunningHub, gateway: Gateway, code: str, value: float, unit: str, measured_at: datetime
) -> None:
    body = parse_vital(
        {
            "code": code,
            "value": value,
            "unit": unit,
            "measured_at": measured_at.isoformat(),
            "device": "cuff",
        }
    )
    store = hub.context.store
    await hub.context.db(store.record_vital, gateway, new_ulid(), body, hub.context.clock())
