"""Reports and exports for supervisors: the TSA SLA report (JSON, CSV) with the life
services' figures beside it (JSON section, own CSV), and a household's vitals as FHIR R4
Observations (docs/hub-api.md). Every download is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from ..core import service_sla, sla
from ..core.audit import AuditAction
from ..core.context import HUB_CONTEXT
from ..core.desk_model import WORK_ITEM_KINDS
from ..core.service_store import report_records
from ..infra.http_json import bad_request, not_found, query_time
from ..policy import SUPERVISORS, allow
from ..web.access import actor, session_of
from . import fhir

DEFAULT_ZONE = "Asia/Shanghai"
MAX_REPORT_DAYS = 366
# Not calls for help: work items are repaired, not answered; a test call is no emergency.
SLA_EXCLUDED_KINDS = WORK_ITEM_KINDS | {"test"}
FHIR_CONTENT_TYPE = "application/fhir+json"


@allow(*SUPERVISORS)
async def sla_json(request: web.Request) -> web.Response:
    """The alarm SLA with the life services' figures beside it (`services`): one period."""
    period = _period(request)
    hub = request.app[HUB_CONTEXT]
    who = actor(session_of(request).user)

    def read() -> tuple[list[sla.AnsweredAlarm], list[service_sla.ServiceRecord]]:
        alarms = hub.store.answered_alarms(period.start, period.end)
        services = report_records(hub.store.services.db, period.start, period.end)
        hub.store.audit.append(who, AuditAction.EXPORT, "report:sla", hub.clock(), period.detail)
        return alarms, services

    alarms, services = await hub.db(read)
    now = hub.clock()
    report = _alarm_report(alarms, period, now)
    # Service requests are never alarms: they get their own section, never the SLA's figures.
    services_report = _service_report(services, period, now)
    return web.json_response(
        {**sla.to_dict(report), "services": service_sla.to_dict(services_report)}
    )


@allow(*SUPERVISORS)
async def sla_csv(request: web.Request) -> web.Response:
    period = _period(request)
    hub = request.app[HUB_CONTEXT]
    who = actor(session_of(request).user)

    def read() -> list[sla.AnsweredAlarm]:
        alarms = hub.store.answered_alarms(period.start, period.end)
        hub.store.audit.append(who, AuditAction.EXPORT, "report:sla", hub.clock(), period.detail)
        return alarms

    report = _alarm_report(await hub.db(read), period, hub.clock())
    return _csv_download(sla.report_csv(report), "sla", period)


@allow(*SUPERVISORS)
async def services_csv(request: web.Request) -> web.Response:
    """The SLA report's `services` section as its own CSV: its columns are not the alarms'."""
    period = _period(request)
    hub = request.app[HUB_CONTEXT]
    who = actor(session_of(request).user)

    def read() -> list[service_sla.ServiceRecord]:
        services = report_records(hub.store.services.db, period.start, period.end)
        hub.store.audit.append(
            who, AuditAction.EXPORT, "report:services", hub.clock(), period.detail
        )
        return services

    report = _service_report(await hub.db(read), period, hub.clock())
    return _csv_download(service_sla.report_csv(report), "services", period)


@dataclass(frozen=True, slots=True)
class _Period:
    """The local days a report covers: [start, end) in `zone`, from `first` to `last`."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone)

    @property
    def detail(self) -> str:
        return f"{self.first}..{self.last} {self.zone.key}"


def _period(request: web.Request) -> _Period:
    hub = request.app[HUB_CONTEXT]
    zone = _zone(request.query.get("tz", DEFAULT_ZONE))
    today = hub.clock().astimezone(zone).date()
    first = _day(request, "start", today)
    last = _day(request, "end", today)
    if last < first:
        raise bad_request("end is before start")
    if (last - first).days >= MAX_REPORT_DAYS:
        raise bad_request(f"a report covers at most {MAX_REPORT_DAYS} days")
    return _Period(first, last, zone)


def _alarm_report(alarms: list[sla.AnsweredAlarm], period: _Period, now: datetime) -> sla.SlaReport:
    return sla.sla_report(
        alarms,
        start=period.start,
        end=period.end,
        now=now,
        tz=period.zone,
        excluded_kinds=SLA_EXCLUDED_KINDS,
    )


def _service_report(
    records: list[service_sla.ServiceRecord], period: _Period, now: datetime
) -> service_sla.ServiceReport:
    return service_sla.service_report(
        records, start=period.start, end=period.end, now=now, tz=period.zone
    )


def _csv_download(text: str, kind: str, period: _Period) -> web.Response:
    name = f"{kind}-{period.first}-{period.last}.csv"
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@allow(*SUPERVISORS)
async def vitals_fhir(request: web.Request) -> web.Response:
    """`?since=ISO&resident=ID`: a resident's vitals as a FHIR Bundle of Observations. The
    subject is the resident `resident` names, or the household's only one without it.

    The vitals are those the hub attributed to that resident (their monitors). Unattributed
    ones (a monitor assigned to nobody, an older gateway) are theirs too only when the
    household has exactly one resident: with two, nobody can say whose they are."""
    hub = request.app[HUB_CONTEXT]
    household_id = request.match_info["household_id"]
    since = query_time(request, "since")
    wanted = request.query.get("resident")
    who = actor(session_of(request).user)

    def read() -> tuple[list[dict[str, Any]], fhir.PatientRef] | None:
        if hub.store.registry.household(household_id) is None:
            return None
        residents = hub.store.registry.residents(household_id)
        chosen = [r for r in residents if wanted is None or r.id == wanted]
        if len(chosen) != 1:
            raise ValueError(
                f"name the resident (?resident=ID): this household has {len(residents)} residents"
                if wanted is None
                else "no such resident in this household"
            )
        rows = hub.store.vitals(
            household_id,
            since=since,
            limit=100_000,
            resident_id=chosen[0].id,
            unattributed=len(residents) == 1,
        )
        hub.store.audit.append(
            who,
            AuditAction.EXPORT,
            f"household:{household_id}",
            hub.clock(),
            f"vitals FHIR resident:{chosen[0].id}",
        )
        return rows, fhir.PatientRef(chosen[0].id)

    try:
        found = await hub.db(read)
    except ValueError as err:
        raise bad_request(str(err)) from None
    if found is None:
        raise not_found("such household")
    rows, patient = found
    records = [fhir.VitalRecord.from_row(row) for row in rows]
    document = fhir.bundle(fhir.observations(records, patient), timestamp=hub.clock())
    return web.json_response(document, content_type=FHIR_CONTENT_TYPE)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"tz {name[:40]!r} is not an IANA time zone") from None


def _day(request: web.Request, name: str, default: date) -> date:
    text = request.query.get(name)
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise bad_request(f"{name} must be a date like 2026-11-21") from None


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/reports/sla", sla_json)
    app.router.add_get("/api/v1/reports/sla.csv", sla_csv)
    app.router.add_get("/api/v1/reports/services.csv", services_csv)
    app.router.add_get("/api/v1/households/{household_id}/vitals.fhir", vitals_fhir)
