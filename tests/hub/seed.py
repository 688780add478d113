"""Put households, gateways, alarms and vitals into a running hub's store, through its
database thread, for tests that start from a household with a history."""

from __future__ import annotations

from datetime import datetime

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import parse_alarm_raised, parse_vital, vital_body
from gateway.ulid import new_ulid
from hub.core.desk_model import AlarmRow
from hub.core.storage import Gateway

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
    hub: RunningHub,
    gateway: Gateway,
    code: str,
    value: float,
    unit: str,
    measured_at: datetime,
    *,
    device: str = "cuff",
    resident: str | None = None,
    flags: tuple[str, ...] = (),
    reading: str | None = None,
    message_id: str | None = None,
) -> bool:
    """A `vital` as the gateway sends it (through the wire's builder and parser); True when
    the hub stored a row, False for a duplicate."""
    body = parse_vital(
        vital_body(
            code,
            value,
            unit,
            measured_at,
            device,
            resident=resident,
            flags=flags,
            reading=reading,
        )
    )
    store = hub.context.store
    return await hub.context.db(
        store.record_vital, gateway, message_id or new_ulid(), body, hub.context.clock()
    )
