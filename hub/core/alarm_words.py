"""What an alarm's texts say, as typed codes that the screens put into their own language.

The household and the hub write an alarm's source and its log entries as short English
texts ("Front door: opened during quiet hours", "unacknowledged for 60 s", an entity id).
A screen must never show them as they are: it shows words of its own language for a code,
with the names the household gives its devices. This module reads those texts once, for
every screen, and says what they mean: `about` for an alarm (why it was raised, by which
device), `said` for one entry of its log. A text it cannot read stays free text (a person's
note, a name), never a raw id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from gateway.alarms import AlarmAction, StaffStep

# A Home Assistant entity id ("button.kitchen_sos"): an id, never a name for people.
ENTITY_ID = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
# Other ids that stand where a name should: a Zigbee manufacturer code with its model (what
# Home Assistant calls a device nobody named, "_TZ3000_26fmupbb TS0203"), a ULID, an IEEE
# address.
RAW_ID = re.compile(
    r"^(?:_T[A-Z]\d{4}_\S*(?: \S+)?|[0-9A-HJKMNP-TV-Z]{26}|(?:[0-9a-fA-F]{2}:){7}[0-9a-fA-F]{2})$"
)
_SIGNS = "heart_rate|spo2|systolic|diastolic|glucose|temperature"
_NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"

# The household's texts for why an alarm was raised (gateway/safety/rules), newest first.
_SOURCES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("opened_at_night", re.compile(r"^(?P<device>.+): opened during quiet hours$")),
    ("left_open", re.compile(r"^(?P<device>.+): open for more than (?P<minutes>\d+) min$")),
    ("not_heard", re.compile(rf"^(?P<device>.+): not heard for (?P<minutes>{_NUMBER}) min$")),
    ("battery", re.compile(rf"^(?P<device>.+): (?P<percent>{_NUMBER}) %$")),
    ("no_activity", re.compile(r"^no activity$")),
    (
        "vital",
        re.compile(
            rf"^(?P<sign>{_SIGNS}) (?P<value>{_NUMBER})(?: (?P<unit>\S+))? (?P<direction>low|high)$"
        ),
    ),
    ("gateway_silent", re.compile(r"^no message from the gateway for (?P<seconds>\d+) s$")),
    ("gateway_revoked", re.compile(r"^gateway revoked: its messages are refused$")),
    (
        "panel",
        re.compile(
            r"^panel (?P<account>[0-9A-Fa-f]+)(?: zone (?P<zone>\d+))? \((?P<signal>[^()]*)\)$"
        ),
    ),
    ("home_button", re.compile(r"^button:(?P<entity>\S+)$")),
    ("home_action", re.compile(r"^action:(?P<name>.*)$")),
    ("care_center_test", re.compile(r"^care center$")),
)

# Log entries: the hub's own, then the household's (alarm.event details, alarm.cleared reasons).
_HUB_SAID: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("unacknowledged_for", re.compile(r"^unacknowledged for (?P<seconds>\d+) s$")),
    ("not_on_site_after", re.compile(r"^nobody on site (?P<minutes>\d+) min after dispatch$")),
    ("auto_resolved", re.compile(r"^\w+ resolves (?:on its own )?when cleared$")),
    ("gateway_back", re.compile(r"^gateway heard again$")),
)
_HOUSEHOLD_SAID: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "cancelled": (
        ("second_press", re.compile(r"^second press: (?P<device>.+)$")),
        ("cancel_pressed", re.compile(r"^cancel: (?P<device>.+)$")),
    ),
    "prewarning": (("prewarning_unanswered", re.compile(r"^pre-warning unanswered$")),),
    "resolved": (("test_passed", re.compile(r"^test passed$")),),
    "cleared": (
        ("prewarning_answered", re.compile(r"^activity: resident answered the pre-warning$")),
        ("activity", re.compile(r"^activity: (?P<device>.+)$")),
        ("battery_replaced", re.compile(r"^(?P<device>.+) battery replaced$")),
        ("device_back", re.compile(r"^(?P<device>.+) is back$")),
        ("detector_quiet", re.compile(r"^(?P<device>.+) quiet$")),
        ("door_closed", re.compile(r"^(?P<device>.+) closed$")),
    ),
}
_PEOPLE_ACTIONS = frozenset(
    {AlarmAction.FAMILY_NOTIFIED, AlarmAction.FAMILY_ACK, AlarmAction.FAMILY_UNANSWERED}
)
_VALVE_ACTIONS = frozenset({AlarmAction.VALVE_CLOSED, AlarmAction.VALVE_RETRY})
_STAFF_STEPS = frozenset(StaffStep)
# How hub/core/storage.py writes a step's log line: "note; responder X; ETA 10 min; outcome code".
_STEP = re.compile(
    r"^(?P<note>.*?)(?:(?:^|; )responder (?P<responder>.+?))?(?:(?:^|; )ETA (?P<eta>\d+) min)?"
    r"(?:(?:^|; )outcome (?P<outcome>[a-z_]+))?$",
    re.DOTALL,
)
VALVE_KINDS = frozenset({"gas_valve", "water_valve", "valve"})
# The devices (their reported kinds) that raise an alarm of each kind.
RAISED_BY: dict[str, frozenset[str]] = {
    "sos": frozenset({"sos", "button"}),
    "fall": frozenset({"fall"}),
    "fire": frozenset({"smoke"}),
    "gas": frozenset({"gas", "co"}),
    "water_leak": frozenset({"water_leak", "water"}),
    "door": frozenset({"door"}),
    "valve_failed": VALVE_KINDS,
}


class NamedDevice(Protocol):
    """A device as the household reported it (hub.registry.DeviceState)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...


def about(source: str, source_name: str = "") -> dict[str, Any]:
    """Why an alarm was raised and by which device: `{reason, device, args}`.

    `reason` is a code (None when the text says no more than the device), `device` the
    household's name for the device ("" when nobody named it), `args` the reason's values.
    An entity id is never a name: `args` then has its `domain` ("button") instead.
    """
    reason, device, args = _read(source.strip(), _SOURCES)
    if reason is None:
        device = source.strip()
    if ENTITY_ID.match(device):
        args = {**args, "domain": device.split(".", 1)[0]}
    name = next((n for n in (source_name.strip(), device) if is_name(n)), "")
    return {"reason": reason, "device": name, "args": args}


def is_name(text: str) -> bool:
    """Whether a text can stand for a device before people: not empty, not an id."""
    return bool(text) and not ENTITY_ID.match(text) and not RAW_ID.match(text)


def said(
    action: str,
    actor: str,
    detail: str,
    *,
    source_name: str = "",
    devices: Sequence[NamedDevice] = (),
) -> dict[str, Any] | None:
    """What one log entry's detail says, as `{code, ...}`; None for an empty detail.

    `source_name`: the household's name for the device that raised the alarm, when this
    entry is about it. `devices`: the household's devices, to name a valve or a sensor the
    household gave as an entity id.
    """
    detail = detail.strip()
    if not detail:
        return None
    if action in ("raised", "repeated") or actor.startswith("panel:"):
        return {"code": "source", **about(detail, source_name)}
    if actor.startswith("staff:"):
        return _step(detail) if action in _STAFF_STEPS else {"code": "text", "text": detail}
    return _household_or_hub(action, actor, detail, devices)


def _household_or_hub(
    action: str, actor: str, detail: str, devices: Sequence[NamedDevice]
) -> dict[str, Any]:
    patterns = _HUB_SAID if actor == "hub" else _HOUSEHOLD_SAID.get(action, ())
    code, device, args = _read(detail, patterns)
    if code is not None:
        return {"code": code, **(device_named(device, devices) if device else {}), **args}
    if action in _VALVE_ACTIONS:
        return {"code": "device", **device_named(detail, devices, VALVE_KINDS)}
    if action in _PEOPLE_ACTIONS:
        return {"code": "person", "name": detail}
    if ENTITY_ID.match(detail):
        return {"code": "device", **device_named(detail, devices)}
    return {"code": "text", "text": detail}


def device_named(
    ref: str, devices: Sequence[NamedDevice] = (), kinds: frozenset[str] | None = None
) -> dict[str, Any]:
    """`{device, domain?}` for a device the household named or gave by entity id: its name
    in the household's device report when the report has it (its id, or the only device of
    `kinds`), else no name and the entity's domain."""
    # A press of Home Assistant's button ("button:button.x") names the button entity; an
    # automation's action ("action:厨房平板") names what the household called it.
    if ref.startswith("action:"):
        ref = ref.removeprefix("action:").strip()
        return {"device": ref if is_name(ref) else ""}
    ref = ref.removeprefix("button:")
    if not ENTITY_ID.match(ref):
        return {"device": ref if is_name(ref) else ""}
    candidates = [d for d in devices if kinds is None or d.kind in kinds]
    match = [d for d in candidates if d.id == ref]
    if not match and kinds is not None and len(candidates) == 1:
        match = candidates
    if match and is_name(match[0].name):
        return {"device": match[0].name}
    return {"device": "", "domain": ref.split(".", 1)[0]}


def name_from_devices(kind: str, source: str, devices: Sequence[NamedDevice]) -> str:
    """The household's name for the device an alarm's source gives only as an entity id,
    from its device report (the device of that id, or the only one that raises the kind);
    "" when the report does not say."""
    kinds = RAISED_BY.get(kind)
    if kinds is None or not ENTITY_ID.match(source.strip()):
        return ""
    return str(device_named(source.strip(), devices, kinds)["device"])


def _read(
    text: str, patterns: Sequence[tuple[str, re.Pattern[str]]]
) -> tuple[str | None, str, dict[str, Any]]:
    for code, pattern in patterns:
        found = pattern.match(text)
        if found is None:
            continue
        values = {k: v for k, v in found.groupdict().items() if v is not None}
        device = values.pop("device", "").strip()
        return code, device, {k: _value(k, v) for k, v in values.items()}
    return None, "", {}


def _value(name: str, text: str) -> Any:
    if name in ("minutes", "seconds", "percent", "value"):
        number = float(text)
        return int(number) if number.is_integer() else number
    return text


def _step(detail: str) -> dict[str, Any]:
    found = _STEP.match(detail)
    assert found is not None  # every part is optional
    eta = found["eta"]
    return {
        "code": "step",
        "note": found["note"].strip(),
        "responder": found["responder"] or "",
        "eta_minutes": int(eta) if eta is not None else None,
        "outcome": found["outcome"] or "",
    }
