"""What the home says about a service request, in Chinese and English: one table.

The desk emits a phrase key and its parameters; the host renders it in the household's
language and speaks it (TTS). `{service}` is filled with the service's name in that language.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .catalogue import SERVICE_NAMES, ServiceType


class Phrase(StrEnum):
    RECEIVED = "received"  # the hub acked the request
    QUEUED_OFFLINE = "queued_offline"  # no ack within a few seconds, or the link is down
    REPEATED = "repeated"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"  # no window promised
    ASSIGNED_ETA = "assigned_eta"  # {minutes} until the window opens
    ASSIGNED_WITHIN = "assigned_within"  # the window is open: {minutes} until it closes
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED_BY_STAFF = "cancelled_by_staff"  # {reason}
    CANCELLED_AT_HOME = "cancelled_at_home"
    CONFIRMED = "confirmed"
    RATED = "rated"
    CANCELLED_BY_FAMILY = "cancelled_by_family"  # {reason}: on the family page
    CONFIRMED_BY_FAMILY = "confirmed_by_family"  # on the family page, maybe with a rating


@dataclass(frozen=True, slots=True)
class PhraseText:
    zh: str
    en: str


PHRASES: dict[Phrase, PhraseText] = {
    Phrase.RECEIVED: PhraseText(
        "服务中心已收到您的{service}请求", "The care center has received your {service} request."
    ),
    Phrase.QUEUED_OFFLINE: PhraseText(
        "{service}请求已记录，联网后发送",
        "Your {service} request is recorded and will be sent when the connection is back.",
    ),
    Phrase.REPEATED: PhraseText(
        "您的{service}请求已在处理中", "Your {service} request is already being handled."
    ),
    Phrase.ACCEPTED: PhraseText(
        "服务中心已受理您的{service}请求", "The care center has accepted your {service} request."
    ),
    Phrase.ASSIGNED: PhraseText(
        "已安排{provider}为您提供{service}服务", "{provider} will come for your {service} request."
    ),
    Phrase.ASSIGNED_ETA: PhraseText(
        "{provider}的师傅预计 {minutes} 分钟后到",
        "Someone from {provider} will arrive in about {minutes} minutes.",
    ),
    Phrase.ASSIGNED_WITHIN: PhraseText(
        "{provider}的师傅预计 {minutes} 分钟内到",
        "Someone from {provider} will arrive within {minutes} minutes.",
    ),
    Phrase.ARRIVED: PhraseText("服务人员已到达", "The service worker has arrived."),
    Phrase.COMPLETED: PhraseText(
        "{service}服务已完成，欢迎评价",
        "Your {service} request is complete. You are welcome to rate it.",
    ),
    Phrase.CANCELLED_BY_STAFF: PhraseText(
        "服务中心取消了您的{service}请求：{reason}",
        "The care center cancelled your {service} request: {reason}",
    ),
    Phrase.CANCELLED_AT_HOME: PhraseText(
        "已取消{service}请求", "Your {service} request is cancelled."
    ),
    Phrase.CONFIRMED: PhraseText("谢谢确认", "Thank you for confirming."),
    Phrase.RATED: PhraseText("谢谢您的评价", "Thank you for your rating."),
    Phrase.CANCELLED_BY_FAMILY: PhraseText(
        "家人取消了{service}请求：{reason}", "Your family cancelled the {service} request: {reason}"
    ),
    Phrase.CONFIRMED_BY_FAMILY: PhraseText(
        "家人已确认{service}服务完成", "Your family confirmed the {service} work is done."
    ),
}


def render(phrase: Phrase, service: ServiceType, params: dict[str, str], language: str) -> str:
    """The sentence in an HA language tag's language: Chinese for zh*, else English."""
    texts = PHRASES[phrase]
    template = texts.zh if language.lower().startswith("zh") else texts.en
    return template.format(service=SERVICE_NAMES[service].in_language(language), **params)
