"""The life-service actions: ask for a service, cancel a request, confirm the completed work
and rate it. What the desk refuses is a translated ServiceValidationError, and changes
nothing."""

from __future__ import annotations

from typing import Any, Final

import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from gateway.services.catalogue import ServiceType
from gateway.services.desk import ServiceRefused, UnknownService
from gateway.services.lifecycle import MAX_COMMENT, MAX_STARS, MIN_STARS, Rating, ServiceActor
from gateway.services.observations import (
    ServiceCancelled,
    ServiceConfirmed,
    ServiceObservation,
    ServicePressed,
    ServiceRated,
)
from gateway.services.request import ServiceRequest
from gateway.services.wire import MAX_NOTE, MAX_REASON

from .const import ATTR_CONFIG_ENTRY_ID, ATTR_NOTE, DOMAIN
from .loaded_entry import loaded_entry
from .service_desk import ServiceController
from .service_refusals import refusal
from .service_sensor import awaiting_confirmation

SERVICE_REQUEST: Final = "request_service"
SERVICE_CANCEL: Final = "cancel_service"
SERVICE_CONFIRM: Final = "confirm_service"
ATTR_SERVICE: Final = "service"
ATTR_REQUEST_ID: Final = "request_id"
ATTR_REASON: Final = "reason"
ATTR_RATING: Final = "rating"
ATTR_COMMENT: Final = "comment"
ATTR_BY: Final = "by"
SOURCE: Final = "action"

_ENTRY: dict[vol.Marker, Any] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
# The senior or the family; the action is mostly the family's (the companion app, scripts).
_BY: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_BY, default=ServiceActor.FAMILY.value): vol.In(
        [ServiceActor.SENIOR.value, ServiceActor.FAMILY.value]
    )
}
# `service` is any text: the desk refuses what the catalogue does not name, in words.
REQUEST_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_SERVICE): vol.All(cv.string, vol.Length(max=100)),
        vol.Optional(ATTR_NOTE, default=""): vol.All(cv.string, vol.Length(max=MAX_NOTE)),
    }
)
CANCEL_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        **_BY,
        vol.Optional(ATTR_REQUEST_ID): cv.string,
        vol.Optional(ATTR_SERVICE): vol.All(cv.string, vol.Length(max=100)),
        vol.Optional(ATTR_REASON, default=""): vol.All(cv.string, vol.Length(max=MAX_REASON)),
    }
)
CONFIRM_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        **_BY,
        vol.Optional(ATTR_REQUEST_ID): cv.string,
        vol.Optional(ATTR_RATING): vol.All(
            vol.Coerce(int), vol.Range(min=MIN_STARS, max=MAX_STARS)
        ),
        vol.Optional(ATTR_COMMENT, default=""): vol.All(cv.string, vol.Length(max=MAX_COMMENT)),
    }
)


def _controller(call: ServiceCall) -> ServiceController:
    return loaded_entry(call.hass, call).runtime_data.services


def _observe(
    call: ServiceCall, controller: ServiceController, *observations: ServiceObservation
) -> None:
    """Every observation, or (on the first refusal) a translated refusal. The desk checks
    before it changes anything, and the later ones are checked by the first."""
    try:
        for observation in observations:
            controller.observe(observation)
    except ServiceRefused as err:
        raise refusal(err, controller.desk, call.hass.config.language) from err


def _service(call: ServiceCall, controller: ServiceController, text: str) -> ServiceType:
    try:
        return ServiceType(text)
    except ValueError:
        raise refusal(UnknownService(text), controller.desk, call.hass.config.language) from None


async def _request(call: ServiceCall) -> ServiceResponse:
    controller = _controller(call)
    text: str = call.data[ATTR_SERVICE]
    _observe(call, controller, ServicePressed(SOURCE, text, note=call.data[ATTR_NOTE]))
    # A second request for a service already open is that request, counted (not a new one).
    request = next(r for r in controller.open_requests() if r.service.value == text)
    return _response(request)


async def _cancel(call: ServiceCall) -> ServiceResponse:
    controller = _controller(call)
    service_text = call.data.get(ATTR_SERVICE)
    service = None if service_text is None else _service(call, controller, service_text)
    cancel = ServiceCancelled(
        ServiceActor(call.data[ATTR_BY]),
        call.data.get(ATTR_REQUEST_ID),
        service,
        call.data[ATTR_REASON],
    )
    before = {r.id for r in controller.open_requests()}
    _observe(call, controller, cancel)
    (cancelled_id,) = before - {r.id for r in controller.open_requests()}
    request = controller.desk.get(cancelled_id)
    assert request is not None  # just cancelled: the newest closed one, kept
    return _response(request)


async def _confirm(call: ServiceCall) -> ServiceResponse:
    controller = _controller(call)
    request_id = call.data.get(ATTR_REQUEST_ID)
    if request_id is None:
        awaiting = awaiting_confirmation(controller.desk.requests())
        if not awaiting:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="nothing_to_confirm"
            )
        request_id = awaiting[0].id
    actor = ServiceActor(call.data[ATTR_BY])
    known = controller.desk.get(request_id)
    observations: list[ServiceObservation] = []
    # Confirmed once; a second confirmation without a rating has nothing new to say.
    if known is None or known.confirmed_by is None:
        observations.append(ServiceConfirmed(request_id, actor))
    if (stars := call.data.get(ATTR_RATING)) is not None:
        observations.append(ServiceRated(request_id, actor, Rating(stars, call.data[ATTR_COMMENT])))
    _observe(call, controller, *observations)
    request = controller.desk.get(request_id)
    assert request is not None
    return _response(request)


def _response(request: ServiceRequest) -> ServiceResponse:
    return {
        "request_id": request.id,
        "service": request.service.value,
        "status": request.status.value,
    }


@callback
def async_setup_service_actions(hass: HomeAssistant) -> None:
    for name, handler, schema in (
        (SERVICE_REQUEST, _request, REQUEST_SCHEMA),
        (SERVICE_CANCEL, _cancel, CANCEL_SCHEMA),
        (SERVICE_CONFIRM, _confirm, CONFIRM_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )
