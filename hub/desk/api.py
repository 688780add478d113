"""The alarm desk over HTTP: the alarm card, staff steps and notes, and what a screen missed
(docs/hub-api.md). The live queue itself is pushed by hub/desk/screen.py."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.accounts import AccountStore
from ..core.alarm_words import said
from ..core.audit import AuditAction
from ..core.card_devices import card_devices, speaks_for_devices
from ..core.context import HUB_CONTEXT
from ..core.desk_model import AlarmRow, Outcome, StaffStep, StepRefused
from ..core.household_view import HISTORY_LIMIT, alarm_history, household_for_staff, recent_vitals
from ..core.registry import DeviceState
from ..infra.http_json import (
    bad_request,
    json_object,
    not_found,
    optional_text,
    query_limit,
    query_time,
    refusal,
)
from ..policy import STAFF, allow
from ..web.access import actor, session_of
from .staff import StepDetails, add_staff_note, take_staff_step

MAX_NOTE = 500
MAX_RESPONDER = 100
MAX_ETA_MINUTES = 24 * 60


@allow(*STAFF)
async def alarm_card(request: web.Request) -> web.Response:
    """Everything a dispatcher needs on one alarm; opening it is an audited medical view."""
    hub = request.app[HUB_CONTEXT]
    alarm_id = request.match_info["alarm_id"]
    viewer = actor(session_of(request).user)

    def read() -> dict[str, Any] | None:
        alarm = hub.store.alarm(alarm_id)
        if alarm is None:
            return None
        now = hub.clock()
        card = household_for_staff(hub.store, alarm.household_id, now)
        others = hub.store.household_alarms(alarm.household_id, HISTORY_LIMIT + 1)
        hub.store.audit.append(
            viewer,
            AuditAction.VIEW_MEDICAL,
            f"household:{alarm.household_id}",
            now,
            f"alarm:{alarm.id}",
        )
        devices = hub.store.registry.devices(alarm.household_id)
        events = hub.store.alarm_events(alarm.id)
        names = _staff_names(hub.store.accounts, events)
        speaking = [(alarm, events)] + [
            (other, hub.store.alarm_events(other.id))
            for other in others
            if other.id != alarm.id and other.open and speaks_for_devices(other)
        ]
        return {
            "alarm": alarm.as_dict(),
            **card,
            "devices": card_devices(devices, speaking),
            "vitals": recent_vitals(hub.store, alarm.household_id, now),
            "history": alarm_history([a for a in others if a.id != alarm.id][:HISTORY_LIMIT]),
            "events": [_event(alarm, event, devices, names) for event in events],
        }

    card = await hub.db(read)
    if card is None:
        raise not_found("such alarm")
    return web.json_response(card)


@allow(*STAFF)
async def alarms_since(request: web.Request) -> web.Response:
    """`?since=ISO`: alarms with activity since then, resolved ones too (a screen's catch-up)."""
    hub = request.app[HUB_CONTEXT]
    since = query_time(request, "since")
    if since is None:
        raise bad_request("since is required (an ISO-8601 time)")
    limit = query_limit(request, 500, 500)
    alarms = await hub.db(hub.store.alarms_changed_since, since, limit)
    return web.json_response({"alarms": [a.as_dict() for a in alarms]})


@allow(*STAFF)
async def post_step(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    payload = await json_object(request)
    try:
        step = StaffStep(str(payload.get("step")))
    except ValueError:
        raise bad_request(f"step must be one of {', '.join(StaffStep)}") from None
    details = StepDetails(
        note=optional_text(payload, "note", MAX_NOTE),
        responder=optional_text(payload, "responder", MAX_RESPONDER) or None,
        eta_minutes=_eta(payload.get("eta_minutes")),
        outcome=_outcome(payload.get("outcome")),
    )
    user = session_of(request).user
    try:
        alarm = await take_staff_step(
            hub,
            request.match_info["alarm_id"],
            step,
            user.username,
            details,
            staff_name=user.display_name,
        )
    except KeyError:
        raise not_found("such alarm") from None
    except StepRefused as err:
        raise refusal(409, "step_refused", str(err)) from None
    return web.json_response({"alarm": alarm.as_dict()})


@allow(*STAFF)
async def post_note(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    payload = await json_object(request)
    note = optional_text(payload, "note", MAX_NOTE)
    if not note:
        raise bad_request("note is empty")
    username = session_of(request).user.username
    try:
        alarm = await add_staff_note(hub, request.match_info["alarm_id"], username, note)
    except KeyError:
        raise not_found("such alarm") from None
    return web.json_response({"alarm": alarm.as_dict()})


def _staff_names(accounts: AccountStore, events: list[dict[str, Any]]) -> dict[str, str]:
    """Actor ("staff:li.na") -> the display name people know them by."""
    names = {}
    for actor_ in {str(e["actor"]) for e in events if str(e["actor"]).startswith("staff:")}:
        user = accounts.user_by_name(actor_.removeprefix("staff:"))
        if user is not None:
            names[actor_] = user.display_name
    return names


def _event(
    alarm: AlarmRow, event: dict[str, Any], devices: list[DeviceState], names: dict[str, str]
) -> dict[str, Any]:
    """A log entry with who (a staff member's display name) and what its detail says, for
    the screen to put into words."""
    detail = str(event["detail"] or "")
    own = detail.strip() == alarm.source.strip()
    return {
        **event,
        "actor_name": names.get(str(event["actor"])),
        "said": said(
            event["action"],
            event["actor"],
            detail,
            source_name=alarm.source_name if own else "",
            devices=devices,
        ),
    }


def _eta(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("eta_minutes must be a whole number of minutes")
    if not 0 <= value <= MAX_ETA_MINUTES:
        raise bad_request(f"eta_minutes must be from 0 to {MAX_ETA_MINUTES}")
    return value


def _outcome(value: object) -> Outcome | None:
    if value is None or value == "":
        return None
    try:
        return Outcome(str(value))
    except ValueError:
        raise bad_request(f"outcome must be one of {', '.join(Outcome)}") from None


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/alarms", alarms_since)
    app.router.add_get("/api/v1/alarms/{alarm_id}", alarm_card)
    app.router.add_post("/api/v1/alarms/{alarm_id}/steps", post_step)
    app.router.add_post("/api/v1/alarms/{alarm_id}/notes", post_note)
