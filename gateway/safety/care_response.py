"""The care center's response to an alarm in a few words, as the family page says it:
"社区护士 刘芳，约 8 分钟" / "Nurse Liu Fang on the way, about 8 min".

For the household's screens (a sensor, the logbook) and the family's phones, in the
household's language. The words are the care center's own: the responder is whatever staff
typed on the dispatch screen.
"""

from __future__ import annotations

from ..alarms import AlarmStatus
from .book import Alarm, CareResponse

_SUMMARY: dict[str, dict[str, str]] = {
    "en": {
        "none": "No open alarm",
        "raised": "Sending to the care center",
        "reported": "The care center has the alarm",
        "acknowledged": "The care center is arranging help",
        "coming": "{responder} on the way",
        "coming_eta": "{responder} on the way, about {eta} min",
        "help_coming": "Help on the way",
        "help_coming_eta": "Help on the way, about {eta} min",
        "on_site": "{responder} on site",
        "help_on_site": "Help on site",
        "resolved": "Resolved",
    },
    "zh-Hans": {
        "none": "没有未处理的警报",
        "raised": "正在通知服务中心",
        "reported": "服务中心已收到警报",
        "acknowledged": "服务中心已确认，正在安排",
        "coming": "{responder} 正在赶来",
        "coming_eta": "{responder}，约 {eta} 分钟",
        "help_coming": "救助人员正在赶来",
        "help_coming_eta": "救助人员正在赶来，约 {eta} 分钟",
        "on_site": "{responder} 已到场",
        "help_on_site": "救助人员已到场",
        "resolved": "已处理完毕",
    },
}
# A sensor's state holds at most 255 characters.
MAX_SUMMARY = 255


def language_of(language: str) -> str:
    """The household's language as one these texts are written in."""
    return "zh-Hans" if language.lower().startswith("zh") else "en"


def responding_alarm(open_alarms: list[Alarm]) -> Alarm | None:
    """The open alarm whose response matters most: the most urgent one someone is sent to,
    else the most urgent one (`open_alarms` comes most urgent first)."""
    coming = (AlarmStatus.DISPATCHED, AlarmStatus.ON_SITE)
    return next((a for a in open_alarms if a.state in coming), None) or next(
        iter(open_alarms), None
    )


def response_summary(state: str | None, response: CareResponse | None, language: str) -> str:
    """Where the care center's response stands. `state`: the alarm's lifecycle state (an
    `AlarmStatus` value), or None when no alarm is open."""
    texts = _SUMMARY[language_of(language)]
    response = response or CareResponse()
    responder = response.responder
    eta = response.eta_minutes
    match state:
        case None:
            key = "none"
        case AlarmStatus.DISPATCHED:
            key = ("coming" if responder else "help_coming") + ("_eta" if eta is not None else "")
        case AlarmStatus.ON_SITE:
            key = "on_site" if responder else "help_on_site"
        case _:
            key = state if state in texts else "reported"
    text = texts[key].format(responder=responder, eta=eta)
    return text[:MAX_SUMMARY]
