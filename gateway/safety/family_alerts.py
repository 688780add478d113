"""Critical alerts for the family's phones, in the HA companion app's notification format.

iOS needs `push.interruption-level: critical` and a critical sound to ring through silent
mode; Android needs `ttl: 0` + `priority: high` to be delivered at once and the `alarm_stream`
channel to ring at alarm volume. One tag per alarm, so updates replace the alert in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..alarms import AlarmAction, AlarmKind
from .book import Alarm, CareResponse
from .care_response import language_of
from .settings import SafetySettings

ACTION_PREFIX = "ELDERCARE_ON_MY_WAY"
_PRESS_KINDS = frozenset({AlarmKind.SOS, AlarmKind.FALL})

_KIND_TEXT: dict[str, dict[AlarmKind, str]] = {
    "en": {
        AlarmKind.SOS: "Emergency call",
        AlarmKind.FALL: "Fall detected",
        AlarmKind.FIRE: "Smoke alarm",
        AlarmKind.GAS: "Gas leak: the gas valve is being closed",
        AlarmKind.WATER_LEAK: "Water leak",
        AlarmKind.VITALS: "Vital signs out of range",
        AlarmKind.INACTIVITY: "No activity seen for a long time",
        AlarmKind.DOOR: "Door alarm",
        AlarmKind.DEVICE_OFFLINE: "A safety device stopped reporting",
        AlarmKind.BATTERY_LOW: "Battery low",
        AlarmKind.VALVE_FAILED: "The gas valve did not close",
        AlarmKind.LINK_LOST: "Care center link lost",
        AlarmKind.TEST: "Test alarm",
    },
    "zh-Hans": {
        AlarmKind.SOS: "紧急呼叫",
        AlarmKind.FALL: "检测到跌倒",
        AlarmKind.FIRE: "烟雾报警",
        AlarmKind.GAS: "燃气泄漏：正在关闭燃气阀",
        AlarmKind.WATER_LEAK: "漏水",
        AlarmKind.VITALS: "生命体征异常",
        AlarmKind.INACTIVITY: "长时间未检测到活动",
        AlarmKind.DOOR: "门磁报警",
        AlarmKind.DEVICE_OFFLINE: "安全设备离线",
        AlarmKind.BATTERY_LOW: "电池电量低",
        AlarmKind.VALVE_FAILED: "燃气阀未能关闭",
        AlarmKind.LINK_LOST: "与服务中心的连接中断",
        AlarmKind.TEST: "测试报警",
    },
}

_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "alert": '{what} at {home}, {time} ({source}). Tap "I\'m on my way" if you are going.',
        "on_my_way": "I'm on my way",
        "call": "Call",
        "family_ack": "{what} at {home}: {actor} is on the way.",
        "cancelled": "{what} at {home} was cancelled by the resident.",
        "resolved": "{what} at {home} is resolved.",
        "dispatched": "{what} at {home}: the care center has sent help.",
        "dispatched_eta": (
            "{what} at {home}: the care center has sent help, arriving in about {eta} min."
        ),
        "dispatched_responder": "{what} at {home}: {responder} is on the way.",
        "dispatched_responder_eta": (
            "{what} at {home}: {responder} is on the way, arriving in about {eta} min."
        ),
        "valve_closed": "{what} at {home}: the gas valve is confirmed closed.",
    },
    "zh-Hans": {
        "alert": "{home}{what}，{time}（{source}）。如您正在赶去，请点“我在路上”。",
        "on_my_way": "我在路上",
        "call": "拨打电话",
        "family_ack": "{home}{what}：{actor}正在赶去。",
        "cancelled": "{home}{what}已被老人取消。",
        "resolved": "{home}{what}已处理完毕。",
        "dispatched": "{home}{what}：服务中心已派人前往。",
        "dispatched_eta": "{home}{what}：服务中心已派人前往，约 {eta} 分钟后到达。",
        "dispatched_responder": "{home}{what}：{responder} 正在赶来。",
        "dispatched_responder_eta": "{home}{what}：{responder} 正在赶来，约 {eta} 分钟后到达。",
        "valve_closed": "{home}{what}：燃气阀已确认关闭。",
    },
}


def _language(language: str) -> str:
    return language_of(language)


def alarm_tag(alarm_id: str) -> str:
    return f"eldercare-{alarm_id}"


def on_my_way_action(alarm_id: str, member: int) -> str:
    return f"{ACTION_PREFIX}|{alarm_id}|{member}"


def parse_on_my_way(action: object) -> tuple[str, int] | None:
    """(alarm id, member) from a notification action id of ours, else None."""
    if not isinstance(action, str) or not action.startswith(ACTION_PREFIX + "|"):
        return None
    parts = action.split("|")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


def notification(
    alarm: Alarm,
    member: int,
    settings: SafetySettings,
    home: str,
    language: str,
    *,
    update: str | None = None,
) -> dict[str, Any]:
    """The `notify.mobile_app_*` action data for one family member."""
    lang = _language(language)
    phrases = _PHRASES[lang]
    what = _KIND_TEXT[lang][alarm.kind]
    local: datetime = settings.local(alarm.raised_at)
    if update is None:
        # A press names its button as the household calls it, not as "button:button.x".
        source = alarm.source_name if alarm.kind in _PRESS_KINDS else ""
        message = phrases["alert"].format(
            what=what, home=home, time=f"{local:%H:%M}", source=source or alarm.source
        )
        return {"title": what, "message": message, "data": _critical(alarm, member, settings, lang)}
    actor = alarm.family.acked_by or ""
    response = alarm.response or CareResponse()
    key = update
    if update == AlarmAction.DISPATCHED:
        # Who is coming and how soon, as staff said on the dispatch screen.
        key += "_responder" if response.responder else ""
        key += "_eta" if response.eta_minutes is not None else ""
    template = phrases.get(key, phrases["resolved"])
    message = template.format(
        what=what, home=home, actor=actor, responder=response.responder, eta=response.eta_minutes
    )
    return {
        "title": what,
        "message": message,
        # Same tag: the update replaces the alert instead of ringing a second time.
        "data": {"tag": alarm_tag(alarm.id), "group": "eldercare"},
    }


def _critical(alarm: Alarm, member: int, settings: SafetySettings, lang: str) -> dict[str, Any]:
    actions: list[dict[str, str]] = [
        {"action": on_my_way_action(alarm.id, member), "title": _PHRASES[lang]["on_my_way"]}
    ]
    if settings.call_number:
        actions.append(
            {"action": "URI", "title": _PHRASES[lang]["call"], "uri": f"tel:{settings.call_number}"}
        )
    return {
        "tag": alarm_tag(alarm.id),
        "group": "eldercare",
        "actions": actions,
        # iOS
        "push": {
            "interruption-level": "critical",
            "sound": {"name": "default", "critical": 1, "volume": 1.0},
        },
        # Android
        "ttl": 0,
        "priority": "high",
        "channel": "alarm_stream",
        "importance": "high",
    }
