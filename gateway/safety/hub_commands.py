"""What a verified message from the care center means to the household's engine.

Staff steps name the hub's alarm id plus the ids it merged into it (a repeat raised at home
after the first alarm was closed locally may have been merged into a card still open at the
hub), so the step lands on whichever of them this household knows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..protocol import STEP_OF_MESSAGE, MessageType
from .observations import AlarmUpdate, Observation, StaffDetails, TestRequested

CARE_CENTER = "care center"
MAX_RESPONDER = 100
# Where a step may name its staff member for people, newest spelling first.
_STAFF_NAME_KEYS = ("staff_display_name", "staff_name", "display_name", "staff")


def observation_for(
    type_: MessageType, body: dict[str, Any], knows: Callable[[str], bool]
) -> Observation | None:
    """None for a step about an alarm this household does not keep (any more)."""
    if type_ is MessageType.TEST_REQUEST:
        return TestRequested(CARE_CENTER)
    step = STEP_OF_MESSAGE.get(type_)
    if step is None:
        return None
    aliases = body.get("aliases")
    candidates = [body.get("alarm_id"), *(aliases if isinstance(aliases, list) else [])]
    alarm_id = next((c for c in candidates if isinstance(c, str) and knows(c)), None)
    if alarm_id is None:
        return None
    staff = _text(body.get("staff"), 100) or CARE_CENTER
    detail = _text(body.get("note"), 400)
    eta = body.get("eta_minutes")
    if not (isinstance(eta, int) and not isinstance(eta, bool) and 0 <= eta < 24 * 60):
        eta = None
    if eta is not None:
        detail = f"{detail} (ETA {eta} min)".strip()
    details = StaffDetails(
        staff=_staff_name(body) or staff,
        responder=_text(body.get("responder"), MAX_RESPONDER).strip(),
        eta_minutes=eta,
        at=_time(body.get("at")),
    )
    return AlarmUpdate(
        alarm_id, step.action, f"staff:{staff}", detail, from_hub=True, staff=details
    )


def _staff_name(body: dict[str, Any]) -> str:
    """The staff member as the care center shows them (a display name), when the step says.
    Read leniently: a hub that sends none, or another shape, leaves the user name."""
    for key in _STAFF_NAME_KEYS:
        value = body.get(key)
        if isinstance(value, dict):
            value = value.get("display_name") or value.get("name")
        if name := _text(value, 100).strip():
            return name
    return ""


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""
