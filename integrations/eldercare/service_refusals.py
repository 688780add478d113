"""What the service desk refuses, as Home Assistant's translated refusal of an action or a
button press: the key is in strings.json's `exceptions`, in Chinese and English."""

from __future__ import annotations

from homeassistant.exceptions import ServiceValidationError

from gateway.services.catalogue import SERVICE_NAMES, ServiceType
from gateway.services.desk import (
    NotCompleted,
    NotEntitled,
    ServiceDesk,
    ServiceRefused,
    StepOutOfOrder,
    UnknownRequest,
    UnknownService,
)

from .const import DOMAIN


def refusal(err: ServiceRefused, desk: ServiceDesk, language: str) -> ServiceValidationError:
    """`desk` names the request's service; `language` the household's, for that name."""

    def named(service: ServiceType) -> str:
        return SERVICE_NAMES[service].in_language(language)

    def of_request(request_id: str) -> str:
        request = desk.get(request_id)
        return named(request.service) if request is not None else request_id

    key: str
    placeholders: dict[str, str] = {}
    match err:
        case UnknownService(service=service):
            key, placeholders = "unknown_service", {"service": service[:40]}
        case NotEntitled(service=service):
            key, placeholders = "service_not_offered", {"service": named(service)}
        case UnknownRequest(request_id=None):
            key = "no_open_request"
        case UnknownRequest(request_id=str(request_id)):
            key, placeholders = "unknown_request", {"request_id": request_id[:40]}
        case NotCompleted(request_id=request_id):
            key, placeholders = "request_not_completed", {"service": of_request(request_id)}
        case StepOutOfOrder(request_id=request_id):
            key, placeholders = "request_closed", {"service": of_request(request_id)}
        case _:  # staff acting through the household's actions: never offered by a form
            key = "service_refused"
    return ServiceValidationError(
        str(err),
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
