"""The life services' figures in the SLA report (issue 20), on a real hub: a hand-built set of
requests stored through the ServiceStore with exact times, every figure of the JSON section
and of the CSV checked against numbers worked out by hand, and the alarm SLA unchanged by
any service request."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from gateway.alarms import AlarmKind
from gateway.services.lifecycle import ServiceActor, ServiceStep
from gateway.ulid import new_ulid
from hub.core.desk_model import Outcome, StaffStep
from hub.core.service_sla import CSV_HEADER
from hub.core.service_store import HOUSEHOLD_ACTOR, RecordOutcome, StepDetails
from hub.policy import Role
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .seed import enrolled_gateway, raise_alarm

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUERY = "start=2026-03-01&end=2026-03-02&tz=Asia/Shanghai"  # two local days, D1 and D2
LI, WANG = "li.na", "wang.fang"


def d1(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 1, hour, minute, second, tzinfo=SHANGHAI)


def d2(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=SHANGHAI)


def d3(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 3, hour, minute, second, tzinfo=SHANGHAI)


NOW = d3(0, 30)  # the report runs half an hour after the period


class Supervisor:
    def __init__(self, hub: RunningHub, session: aiohttp.ClientSession, csrf: str) -> None:
        self.hub, self.session, self.headers = hub, session, {CSRF_HEADER: csrf}

    async def json(self, path: str) -> dict[str, Any]:
        async with self.session.get(self.hub.url + path, headers=self.headers) as answer:
            assert answer.status == 200, await answer.text()
            body = await answer.json()
            assert isinstance(body, dict)
            return body

    async def text(self, path: str) -> str:
        async with self.session.get(self.hub.url + path, headers=self.headers) as answer:
            assert answer.status == 200, await answer.text()
            assert answer.content_type == "text/csv"
            return await answer.text()


@pytest.fixture
async def supervisor(hub_server: RunningHub) -> AsyncIterator[Supervisor]:
    hub_server.context.clock = lambda: NOW
    async with cookie_session() as session:
        yield Supervisor(hub_server, session, await hub_server.sign_in(session, Role.SUPERVISOR))


@dataclass(frozen=True)
class Fixture:
    anju: str  # provider ids
    bright: str


async def store_requests(hub: RunningHub) -> Fixture:
    """The hand-built requests, each in its own household (so none is a repeat of another).

    R1 D1 09:00 accepted li.na 09:02 (120 s), assigned Anju 10:00-11:00, arrived 10:30 (on
        time), completed, rated 5.
    R2 D1 09:30 assigned by wang.fang 09:40 to Anju 10:00-11:00 (600 s: assigning accepts),
        reassigned 09:50 to Bright 11:00-12:00, arrived 12:17 (17 min late), completed,
        rated 4.
    R3 D1 14:00 accepted wang.fang 14:00:45 (45 s), assigned by li.na to Anju 16:00-17:00
        (stays wang.fang's), arrived 15:40 (early), completed, rated 2.
    R4 D2 08:00 accepted wang.fang 08:05 (300 s), assigned Bright, arrived 09:30, completed;
        its window then cleared in the table: a request stored without a promised window.
    R5 D2 10:00 cancelled by the family 10:20, never accepted.
    R6 D2 11:00 accepted wang.fang 11:15 (900 s), cancelled by staff 11:30.
    R7 D2 00:10 (still 1 March in UTC) pressed again 00:11 (a repeat: one request), accepted
        li.na 00:11:30 (90 s), assigned Anju for 3 March 09:00-10:00: open at NOW.
    Outside the period, accepted by zhao.lei: X1 a second before D1, X2 at D3 00:00 (the
    period's end is exclusive).
    """
    context = hub.context
    services = context.store.services

    def build() -> Fixture:
        anju = services.add_provider(
            d1(0), organisation="Anju Repairs", services=["repair", "cleaning"]
        ).id
        bright = services.add_provider(
            d1(0), organisation="Bright Meals", services=["meal", "cleaning", "shopping"]
        ).id

        def requested(service: str, at: datetime) -> str:
            household = context.store.create_household(f"Household {service} {at}", "Block 1")
            request_id = new_ulid()
            recorded = services.record_requested(household.id, request_id, service, at)
            assert recorded.outcome is RecordOutcome.CREATED
            return request_id

        def step(
            request_id: str, step: ServiceStep, who: str, at: datetime, **details: Any
        ) -> None:
            services.take_step(request_id, step, who, at, StepDetails(**details))

        def assign(
            request_id: str, who: str, at: datetime, provider: str, window: tuple[datetime, ...]
        ) -> None:
            start, end = window
            step(
                request_id,
                ServiceStep.ASSIGNED,
                who,
                at,
                provider_id=provider,
                window_start=start,
                window_end=end,
            )

        r1 = requested("repair", d1(9))
        step(r1, ServiceStep.ACCEPTED, LI, d1(9, 2))
        assign(r1, LI, d1(9, 5), anju, (d1(10), d1(11)))
        step(r1, ServiceStep.ARRIVED, LI, d1(10, 30))
        step(r1, ServiceStep.COMPLETED, LI, d1(11, 10))
        services.rate(r1, 5, "", LI, d1(11, 30))

        r2 = requested("cleaning", d1(9, 30))
        assign(r2, WANG, d1(9, 40), anju, (d1(10), d1(11)))
        assign(r2, WANG, d1(9, 50), bright, (d1(11), d1(12)))
        step(r2, ServiceStep.ARRIVED, WANG, d1(12, 17))
        step(r2, ServiceStep.COMPLETED, WANG, d1(13))
        services.rate(r2, 4, "", WANG, d1(13, 5))

        r3 = requested("repair", d1(14))
        step(r3, ServiceStep.ACCEPTED, WANG, d1(14, 0, 45))
        assign(r3, LI, d1(14, 10), anju, (d1(16), d1(17)))
        step(r3, ServiceStep.ARRIVED, LI, d1(15, 40))
        step(r3, ServiceStep.COMPLETED, LI, d1(16, 30))
        services.rate(r3, 2, "", LI, d1(17))

        r4 = requested("meal", d2(8))
        step(r4, ServiceStep.ACCEPTED, WANG, d2(8, 5))
        assign(r4, WANG, d2(8, 6), bright, (d2(9), d2(10)))
        step(r4, ServiceStep.ARRIVED, WANG, d2(9, 30))
        step(r4, ServiceStep.COMPLETED, WANG, d2(10))
        # Not reachable through the steps (assigning needs a window): an older record's shape.
        context.store.db.execute(
            "UPDATE service_requests SET window_start = NULL, window_end = NULL WHERE id = ?",
            [r4],
        )

        r5 = requested("shopping", d2(10))
        step(
            r5,
            ServiceStep.CANCELLED,
            HOUSEHOLD_ACTOR,
            d2(10, 20),
            reason="not needed",
            cancelled_by=ServiceActor.FAMILY,
        )

        r6 = requested("bathing", d2(11))
        step(r6, ServiceStep.ACCEPTED, WANG, d2(11, 15))
        step(r6, ServiceStep.CANCELLED, WANG, d2(11, 30), reason="no carer free")

        r7 = requested("repair", d2(0, 10))
        household_of_r7 = services.request(r7)
        assert household_of_r7 is not None
        again = services.record_requested(
            household_of_r7.household_id, new_ulid(), "repair", d2(0, 11)
        )
        assert (again.outcome, again.request.id, again.request.count) == (
            RecordOutcome.REPEATED,
            r7,
            2,
        )
        step(r7, ServiceStep.ACCEPTED, LI, d2(0, 11, 30))
        assign(r7, LI, d2(0, 12), anju, (d3(9), d3(10)))

        x1 = requested("repair", d1(0) - timedelta(seconds=1))
        step(x1, ServiceStep.ACCEPTED, "zhao.lei", d1(0, 1))
        x2 = requested("meal", d3(0))
        step(x2, ServiceStep.ACCEPTED, "zhao.lei", d3(0, 1))
        return Fixture(anju, bright)

    return await context.db(build)


def figures(
    requests: int,
    accepted: int,
    assigned: int,
    arrived: int,
    completed: int,
    open_: int,
    cancelled: tuple[int, int, int],  # senior, family, staff
    base: int,
    rate: float | None,
    accept: tuple[float | None, float | None, float | None],  # median, p90, max seconds
    arrival: tuple[int, int, int, int],  # on time, early, late, no window
    on_time_share: float | None,
    late_minutes: tuple[float | None, float | None],  # median, max
    stars: tuple[int, int, int, int, int],  # ratings of 1 ... 5 stars
    average: float | None,
) -> dict[str, Any]:
    """One group's JSON, from its figures written positionally (the literals below)."""
    return {
        "requests": requests,
        "accepted": accepted,
        "assigned": assigned,
        "arrived": arrived,
        "completed": completed,
        "open": open_,
        "cancelled": {
            "total": sum(cancelled),
            "senior": cancelled[0],
            "family": cancelled[1],
            "staff": cancelled[2],
        },
        "completion": {"completed": completed, "base": base, "rate": rate},
        "accept_seconds": dict(zip(("median", "p90", "max"), accept, strict=True)),
        "arrival": {
            **dict(zip(("on_time", "early", "late", "no_window"), arrival, strict=True)),
            "on_time_share": on_time_share,
            "late_minutes_median": late_minutes[0],
            "late_minutes_max": late_minutes[1],
        },
        "ratings": {
            "count": sum(stars),
            "average": average,
            "stars": {str(n + 1): count for n, count in enumerate(stars)},
        },
    }


NO_RATINGS = (0, 0, 0, 0, 0)

# Worked out by hand from the requests above (R1-R7 in the period; X1, X2 outside).
OVERALL = figures(
    7,  # R1-R7
    6,  # all but R5 (cancelled before anyone accepted it)
    5,  # R1, R2, R3, R4, R7
    4,  # R1, R2, R3, R4
    4,  # R1, R2, R3, R4
    1,  # R7
    (0, 1, 1),  # R5 by the family, R6 by staff
    5,  # 7 requests - 1 cancelled by the household - 1 open
    4 / 5,
    # waits 45 (R3), 90 (R7), 120 (R1), 300 (R4), 600 (R2), 900 (R6); n = 6:
    # median rank ceil(0.5 * 6) = 3 -> 120; p90 rank ceil(0.9 * 6) = ceil(5.4) = 6 -> 900
    (120.0, 900.0, 900.0),
    (1, 1, 1, 1),  # R1 on time, R3 early, R2 late, R4 no window
    1 / 3,  # on time / (on time + early + late) = 1 / 3
    (17.0, 17.0),  # R2: 12:17 - 12:00 (the window it was reassigned) = 17 min
    (0, 1, 0, 1, 1),  # R3 2, R2 4, R1 5
    11 / 3,  # (5 + 4 + 2) / 3
)
DAY_1 = figures(
    3,  # R1, R2, R3
    3,
    3,
    3,
    3,
    0,
    (0, 0, 0),
    3,  # 3 - 0 - 0
    1.0,  # 3 / 3
    (120.0, 600.0, 600.0),  # 45, 120, 600: ranks ceil(1.5) = 2 and ceil(2.7) = 3
    (1, 1, 1, 0),
    1 / 3,
    (17.0, 17.0),
    (0, 1, 0, 1, 1),
    11 / 3,
)
DAY_2 = figures(
    4,  # R4, R5, R6, R7 (R7 at 00:10 local is 1 March 16:10 UTC: still D2 here)
    3,  # R4, R6, R7
    2,  # R4, R7
    1,  # R4
    1,  # R4
    1,  # R7
    (0, 1, 1),
    2,  # 4 - 1 - 1
    1 / 2,
    (300.0, 900.0, 900.0),  # 90, 300, 900: ranks 2 and 3
    (0, 0, 0, 1),  # R4 arrived with no window
    None,  # no arrival with a window
    (None, None),
    NO_RATINGS,
    None,
)
ANJU = figures(
    3,  # R1, R3, R7 (R2 was reassigned to Bright)
    3,
    3,
    2,  # R1, R3
    2,
    1,  # R7
    (0, 0, 0),
    2,  # 3 - 0 - 1
    1.0,  # 2 / 2
    (90.0, 120.0, 120.0),  # 45, 90, 120: ranks 2 and 3
    (1, 1, 0, 0),
    1 / 2,  # 1 / (1 + 1)
    (None, None),
    (0, 1, 0, 0, 1),
    7 / 2,  # (5 + 2) / 2
)
BRIGHT = figures(
    2,  # R2, R4
    2,
    2,
    2,
    2,
    0,
    (0, 0, 0),
    2,
    1.0,
    (300.0, 600.0, 600.0),  # 300, 600: ranks ceil(1.0) = 1 and ceil(1.8) = 2
    (0, 0, 1, 1),  # R2 late, R4 no window
    0.0,  # 0 / (0 + 0 + 1)
    (17.0, 17.0),
    (0, 0, 0, 1, 0),
    4.0,
)
LI_NA = figures(
    2,  # R1, R7 (R3 was assigned by li.na but accepted by wang.fang)
    2,
    2,
    1,  # R1
    1,
    1,  # R7
    (0, 0, 0),
    1,  # 2 - 0 - 1
    1.0,  # 1 / 1
    (90.0, 120.0, 120.0),  # 90, 120: ranks 1 and 2
    (1, 0, 0, 0),
    1.0,
    (None, None),
    (0, 0, 0, 0, 1),
    5.0,
)
WANG_FANG = figures(
    4,  # R2, R3, R4, R6
    4,
    3,  # R2, R3, R4
    3,
    3,
    0,
    (0, 0, 1),  # R6
    4,  # 4 - 0 - 0
    3 / 4,
    (300.0, 900.0, 900.0),  # 45, 300, 600, 900: ranks ceil(2.0) = 2 and ceil(3.6) = 4
    (0, 1, 1, 1),  # R3 early, R2 late, R4 no window
    0.0,  # 0 / (0 + 1 + 1)
    (17.0, 17.0),
    (0, 1, 0, 1, 0),
    3.0,  # (4 + 2) / 2
)

# The same figures as CSV cells: shares, rates and averages with four decimals rounded down,
# durations with three.
CSV_ROWS = [
    "overall,,,7,6,5,4,4,1,2,0,1,1,5,0.8000,120.000,900.000,900.000,"
    "1,1,1,1,0.3333,17.000,17.000,3,3.6666,0,1,0,1,1",
    "day,2026-03-01,,3,3,3,3,3,0,0,0,0,0,3,1.0000,120.000,600.000,600.000,"
    "1,1,1,0,0.3333,17.000,17.000,3,3.6666,0,1,0,1,1",
    "day,2026-03-02,,4,3,2,1,1,1,2,0,1,1,2,0.5000,300.000,900.000,900.000,0,0,0,1,,,,0,,0,0,0,0,0",
    "provider,{anju},Anju Repairs,3,3,3,2,2,1,0,0,0,0,2,1.0000,90.000,120.000,120.000,"
    "1,1,0,0,0.5000,,,2,3.5000,0,1,0,0,1",
    "provider,{bright},Bright Meals,2,2,2,2,2,0,0,0,0,0,2,1.0000,300.000,600.000,600.000,"
    "0,0,1,1,0.0000,17.000,17.000,1,4.0000,0,0,0,1,0",
    "dispatcher,li.na,,2,2,2,1,1,1,0,0,0,0,1,1.0000,90.000,120.000,120.000,"
    "1,0,0,0,1.0000,,,1,5.0000,0,0,0,0,1",
    "dispatcher,wang.fang,,4,4,3,3,3,0,1,0,0,1,4,0.7500,300.000,900.000,900.000,"
    "0,1,1,1,0.0000,17.000,17.000,2,3.0000,0,1,0,1,0",
]


async def test_every_service_figure_in_the_json_matches_the_hand_count(
    hub_server: RunningHub, supervisor: Supervisor
) -> None:
    fixture = await store_requests(hub_server)

    report = await supervisor.json(f"/api/v1/reports/sla?{QUERY}")

    assert report["services"] == {
        "start": "2026-02-28T16:00:00.000Z",
        "end": "2026-03-02T16:00:00.000Z",
        "now": "2026-03-02T16:30:00.000Z",
        "timezone": "Asia/Shanghai",
        "overall": OVERALL,
        "days": [{"day": "2026-03-01", **DAY_1}, {"day": "2026-03-02", **DAY_2}],
        "providers": [
            {"provider_id": fixture.anju, "organisation": "Anju Repairs", **ANJU},
            {"provider_id": fixture.bright, "organisation": "Bright Meals", **BRIGHT},
        ],
        "dispatchers": [{"dispatcher": LI, **LI_NA}, {"dispatcher": WANG, **WANG_FANG}],
    }
    # None of them is an alarm.
    assert report["overall"]["alarms"] == 0
    assert report["dispatchers"] == []


async def test_every_service_figure_in_the_csv_matches_the_hand_count(
    hub_server: RunningHub, supervisor: Supervisor
) -> None:
    fixture = await store_requests(hub_server)

    async with supervisor.session.get(
        f"{hub_server.url}/api/v1/reports/services.csv?{QUERY}"
    ) as answer:
        assert answer.status == 200
        disposition = answer.headers["Content-Disposition"]
        text = await answer.text()

    assert disposition == 'attachment; filename="services-2026-03-01-2026-03-02.csv"'
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_HEADER
    # No name here holds a comma, so the expected rows can be written plainly.
    expected = [
        line.format(anju=fixture.anju, bright=fixture.bright).split(",") for line in CSV_ROWS
    ]
    assert rows[1:] == expected
    assert all(len(row) == len(CSV_HEADER) for row in rows)
    assert text.count("\n") == text.count("\r\n") == len(rows)


async def test_the_alarm_sla_is_the_same_with_and_without_service_requests(
    hub_server: RunningHub, supervisor: Supervisor
) -> None:
    gateway = await enrolled_gateway(hub_server, "Sun household", at=d1(8))
    for raised, waited in ((d1(9), 30), (d2(10), 120)):
        alarm = await raise_alarm(hub_server, gateway, AlarmKind.SOS, raised)
        hub_server.context.clock = lambda at=raised + timedelta(seconds=waited): at  # type: ignore[misc]
        await hub_server.staff_step(alarm.id, StaffStep.ACKNOWLEDGED, staff=LI)
        await hub_server.staff_step(alarm.id, StaffStep.RESOLVED, outcome=Outcome.FALSE_ALARM)
    await raise_alarm(hub_server, gateway, AlarmKind.FALL, d2(12))  # never acknowledged
    hub_server.context.clock = lambda: NOW
    before = await supervisor.json(f"/api/v1/reports/sla?{QUERY}")
    before_csv = await supervisor.text(f"/api/v1/reports/sla.csv?{QUERY}")

    await store_requests(hub_server)
    after = await supervisor.json(f"/api/v1/reports/sla?{QUERY}")
    after_csv = await supervisor.text(f"/api/v1/reports/sla.csv?{QUERY}")

    assert before["services"]["overall"]["requests"] == 0
    assert after["services"]["overall"] == OVERALL
    alarm_part = {key: value for key, value in before.items() if key != "services"}
    assert {key: value for key, value in after.items() if key != "services"} == alarm_part
    assert after_csv == before_csv
    # The alarm figures are the alarms' own: three alarms, two acknowledged by li.na.
    assert (alarm_part["overall"]["alarms"], alarm_part["overall"]["acknowledged"]) == (3, 2)
    assert [row["dispatcher"] for row in alarm_part["dispatchers"]] == [LI]
    assert alarm_part["dispatchers"][0]["alarms"] == 2
    assert [day["alarms"] for day in alarm_part["days"]] == [1, 2]


async def test_the_services_csv_is_audited_and_checks_its_period(
    hub_server: RunningHub, supervisor: Supervisor
) -> None:
    await supervisor.text(f"/api/v1/reports/services.csv?{QUERY}")

    async with supervisor.session.get(
        f"{hub_server.url}/api/v1/reports/services.csv?start=2026-03-02&end=2026-03-01"
    ) as answer:
        assert answer.status == 400
    store = hub_server.context.store
    entries = await hub_server.context.db(lambda: store.audit.entries(subject="report:services"))
    assert [entry.detail for entry in entries] == ["2026-03-01..2026-03-02 Asia/Shanghai"]
