"""What the home says when it cannot take a request for a service (zh and en).

A remote's key or a spoken request gets a spoken answer, not just a log line: a household not
offered a service hears so, and nothing was sent.
"""

from __future__ import annotations

from .catalogue import SERVICE_NAMES
from .desk import NotEntitled, ServiceRefused, UnknownService


def refusal_text(refused: ServiceRefused, language: str) -> str:
    """The refusal in an HA language tag's language: Chinese for zh*, else English."""
    chinese = language.lower().startswith("zh")
    match refused:
        case NotEntitled(service=service):
            name = SERVICE_NAMES[service].in_language(language)
            if chinese:
                return f"您家还没有开通{name}服务，请联系服务中心"
            return f"Your household is not signed up for {name}. Please ask the care center."
        case UnknownService():
            return "没有这项服务" if chinese else "There is no such service."
        case _:
            return "这个请求无法办理" if chinese else "That request cannot be made."
