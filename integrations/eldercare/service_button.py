"""One dashboard button per life service the care center offers the household: a press asks
for the service, as a remote's service key does.

Which buttons exist follows the hub's entitlement (its config's `services`):
- Until the hub has ever said (a fresh installation's first seconds, or an upgrade), every
  service has a button: the desk allows every service until then, and a request made now is
  delivered when the link is up.
- The hub's first word removes the buttons of services it does not offer: they were
  placeholders nobody chose, and a home offered two services should not keep nine.
- After that, a service newly offered gets its button at once, and a service withdrawn keeps
  its button, unavailable. Entitlements are paused and resumed (a provider's contract lapses,
  a supervisor corrects a mistake); removing the entity would drop what the family made of it
  (a name the senior knows, its place on the dashboard, automations) and bring it back as a
  stranger. After a restart HA shows it unavailable until the service is offered again or
  someone deletes it. What the hub said is kept, so a home restarting offline knows at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from gateway.services.catalogue import ServiceType
from gateway.services.desk import ServiceRefused
from gateway.services.observations import ServicePressed

from .const import DOMAIN
from .entity import EldercareEntity
from .runtime import EldercareRuntime
from .service_refusals import refusal

SOURCE = "dashboard"


@dataclass(frozen=True, kw_only=True)
class ServiceButtonDescription(ButtonEntityDescription):
    service: ServiceType


SERVICE_BUTTONS: dict[ServiceType, ServiceButtonDescription] = {
    service: ServiceButtonDescription(
        key=f"service_{service.value}", translation_key=f"service_{service.value}", service=service
    )
    for service in ServiceType
}


class ServiceButtons:
    """Adds the button of each service as it is offered; removes the placeholders the hub's
    first word does not offer."""

    def __init__(self, runtime: EldercareRuntime, add: AddConfigEntryEntitiesCallback) -> None:
        self._runtime = runtime
        self._add = add
        self._added: set[ServiceType] = set()
        self._known = runtime.services.entitlement_known

    @callback
    def sync(self) -> None:
        services = self._runtime.services
        offered = services.offered()
        if services.entitlement_known and not self._known:
            self._known = True
            self._remove_placeholders(self._added - offered)
        # Catalogue order, so the device page lists them as the care center does.
        new = [s for s in ServiceType if s in offered and s not in self._added]
        self._added.update(new)
        if new:
            self._add(ServiceButton(self._runtime, SERVICE_BUTTONS[s]) for s in new)

    def _remove_placeholders(self, services: set[ServiceType]) -> None:
        registry = er.async_get(self._runtime.hass)
        for service in services:
            unique_id = f"{self._runtime.identity}_{SERVICE_BUTTONS[service].key}"
            if entity_id := registry.async_get_entity_id("button", DOMAIN, unique_id):
                registry.async_remove(entity_id)  # the platform removes the entity too
            self._added.discard(service)


class ServiceButton(EldercareEntity, ButtonEntity):
    entity_description: ServiceButtonDescription

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        services = self.runtime.services
        self.async_on_remove(services.add_entitlement_listener(self.async_write_ha_state))

    @property
    def available(self) -> bool:
        return self.entity_description.service in self.runtime.services.offered()

    async def async_press(self) -> None:
        # The name the household sees on the button (renamed or not), for the care center.
        state = self.hass.states.get(self.entity_id)
        name = state.name if state is not None else self.entity_id
        services = self.runtime.services
        try:
            services.observe(ServicePressed(SOURCE, self.entity_description.service, name))
        except ServiceRefused as err:  # offered no longer, in the instant before the press
            raise refusal(err, services.desk, self.hass.config.language) from err
