"""The household's open service requests: how many, and a short list of what, where each
stands and who is coming when (the provider the care center named, its promised window).
Nothing the household did not already have: no staff names, no contact numbers, no notes."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import callback

from gateway.services.lifecycle import ServiceStatus
from gateway.services.request import ServiceRequest

from .entity import EldercareEntity

LISTED = 10  # open requests in the attributes: a household has a few, a stuck key not more
AWAITING_LISTED = 5

OPEN_SERVICE_REQUESTS = SensorEntityDescription(
    key="open_service_requests",
    translation_key="open_service_requests",
    state_class=SensorStateClass.MEASUREMENT,
)


def _iso(request: ServiceRequest, name: str) -> str | None:
    moment = getattr(request, name)
    return None if moment is None else moment.isoformat()


def request_summary(request: ServiceRequest) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "request_id": request.id,
        "service": request.service.value,
        "status": request.status.value,
        "requested_at": request.requested_at.isoformat(),
    }
    if request.provider_name:
        summary |= {
            "provider": request.provider_name,
            "window_start": _iso(request, "window_start"),
            "window_end": _iso(request, "window_end"),
        }
    return summary


def awaiting_confirmation(requests: list[ServiceRequest]) -> list[ServiceRequest]:
    """Completed work nobody at home has confirmed yet, newest first: what
    `eldercare.confirm_service` confirms when no request is named."""
    done = [r for r in requests if r.status is ServiceStatus.COMPLETED and r.confirmed_by is None]
    return sorted(done, key=lambda r: r.id, reverse=True)


class OpenServiceRequestsSensor(EldercareEntity, SensorEntity):
    # The lists change with every step; the hub keeps the history, the recorder need not.
    _unrecorded_attributes = frozenset({"requests", "awaiting_confirmation"})

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.services.add_listener(self._changed))

    @callback
    def _changed(self) -> None:
        self.async_write_ha_state()

    @property
    def native_value(self) -> int:
        return len(self.runtime.services.open_requests())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        services = self.runtime.services
        open_requests = sorted(services.open_requests(), key=lambda r: r.id)  # oldest first
        awaiting = awaiting_confirmation(services.desk.requests())
        return {
            "requests": [request_summary(r) for r in open_requests[:LISTED]],
            "awaiting_confirmation": [
                {"request_id": r.id, "service": r.service.value} for r in awaiting[:AWAITING_LISTED]
            ],
        }
