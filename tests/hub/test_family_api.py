"""The family portal's data on a real hub: a family member sees their own household (who is
coming, history, vitals, devices) and nothing of another household, no staff notes and no
medical details."""

from __future__ import annotations

from datetime import timedelta

from gateway.alarms import AlarmKind, utc_iso
from hub.core.desk_model import StaffStep
from hub.policy import Role

from ..conftest import RunningHub, cookie_session
from .seed import add_vital, enrolled_gateway, raise_alarm


async def test_family_sees_who_is_coming_to_their_home_only(hub_server: RunningHub) -> None:
    ours = await enrolled_gateway(hub_server, "Zhou household", "Peony Lane 12")
    theirs = await enrolled_gateway(hub_server, "Wu household", "Orchid Lane 4")
    store, now = hub_server.context.store, hub_server.context.clock()
    resident = await hub_server.context.db(
        lambda: store.registry.add_resident(
            ours.household_id, "Zhou Fang", now, birth_year=1944, medications=["metformin"]
        )
    )
    await add_vital(hub_server, ours, "8867-4", 81.0, "/min", now - timedelta(hours=3))
    await add_vital(
        hub_server,
        ours,
        "8867-4",
        96.0,
        "/min",
        now - timedelta(hours=2),
        resident=resident.id,
        flags=("irregular_pulse",),
        reading="cuff-17",
    )
    await add_vital(hub_server, theirs, "8867-4", 55.0, "/min", now - timedelta(hours=3))
    fall = await raise_alarm(hub_server, ours, AlarmKind.FALL)
    other = await raise_alarm(hub_server, theirs, AlarmKind.SOS)
    await hub_server.staff_step(
        fall.id, StaffStep.DISPATCHED, responder="Nurse Gao", eta_minutes=9, note="gate code 1234"
    )
    # Link supervision's record of when the hub last heard the gateway: how long the home
    # has been offline, for the family page.
    heard = now - timedelta(minutes=4)
    await hub_server.context.db(store.touch_gateways, {ours.id: heard})
    async with cookie_session() as session:
        await hub_server.sign_in(session, Role.FAMILY, household_id=ours.household_id)
        async with session.get(hub_server.url + "/api/v1/family/household") as answer:
            assert answer.status == 200
            text = await answer.text()
            view = await answer.json()
        for path in (f"/api/v1/alarms/{other.id}", f"/api/v1/households/{theirs.household_id}"):
            async with session.get(hub_server.url + path) as answer:
                assert answer.status == 403, path
    assert view["household"] == {"name": "Zhou household", "address": "Peony Lane 12"}
    assert view["residents"] == [{"id": resident.id, "name": "Zhou Fang", "age": now.year - 1944}]
    (alarm,) = view["alarms"]
    assert (alarm["kind"], alarm["status"], alarm["responder"], alarm["eta_minutes"]) == (
        "fall",
        "dispatched",
        "Nurse Gao",
        9,
    )
    # Whose reading it is (None: the monitor is assigned to nobody) and what the monitor saw.
    assert [(v["value"], v["resident"], v["flags"], v["reading"]) for v in view["vitals"]] == [
        (81.0, None, [], None),
        (96.0, resident.id, ["irregular_pulse"], "cuff-17"),
    ]
    assert view["online"] is False  # the seeded gateway never connected
    assert view["gateway_last_seen"] == utc_iso(heard)
    for secret in ("Wu household", "Orchid", other.id, "metformin", "gate code"):
        assert secret not in text
