"""The household's life-service desk in Home Assistant: a thin shell around the sans-IO
gateway/services desk. It stores the desk, feeds it presses, hub steps and link changes,
and carries out its effects (outbox, HA events, announcements, the family's phones)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from gateway.link import HubLink, LinkState
from gateway.link.client import HubCommand
from gateway.protocol import MessageType, ProtocolError, parse_service_step
from gateway.services.catalogue import ServiceType
from gateway.services.desk import ServiceDesk, ServiceRefused
from gateway.services.effects import Announce, SendToHub, ServiceChanged, ServiceEffect
from gateway.services.observations import (
    HubReceived,
    HubServiceStep,
    LinkChanged,
    ServiceObservation,
)
from gateway.services.phrases import render
from gateway.services.request import ServiceRequest
from gateway.services.wire import ServiceMessage

_LOGGER = logging.getLogger(__name__)

EVENT_SERVICE_REQUEST = "eldercare_service_request"
_STORAGE_VERSION = 1
_ACK_TIMEOUT = 30.0  # seconds per wait; the outbox keeps retrying behind it

# Speaks a text in the home; the integration's one announcement path (actions.py) provides it.
type Speaker = Callable[[str, str], None]
# Tells the family's phones of what the home announced (service_family.py).
type FamilyNotifier = Callable[[Announce], None]


def service_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where a household's requests are kept across restarts (removed with the entry)."""
    return Store(hass, _STORAGE_VERSION, f"eldercare.{entry_id}.services")


class ServiceController:
    """`speak(key, text)`: the existing announcement path; `spawn`: runs a background task
    bound to the entry so it ends on unload; `notify_family`: the family's phones, if any."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        link: HubLink,
        speak: Speaker,
        spawn: Callable[[Coroutine[Any, Any, None], str], object],
        *,
        notify_family: FamilyNotifier | None = None,
    ) -> None:
        self._hass = hass
        self._link = link
        self._speak = speak
        self._spawn = spawn
        self._notify_family = notify_family
        self._store = service_store(hass, entry_id)
        self.desk = ServiceDesk()
        self._listeners: list[Callable[[], None]] = []
        self._entitlement_listeners: list[Callable[[], None]] = []
        self._unsubs: list[Callable[[], None]] = []
        self._timer: CALLBACK_TYPE | None = None

    async def async_start(self) -> None:
        self.desk = ServiceDesk(await self._store.async_load())
        self._unsubs += [
            self._link.add_command_listener(self._hub_command),
            self._link.add_state_listener(self._link_state),
        ]

    async def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._timer is not None:
            self._timer()
            self._timer = None
        await self._store.async_save(self.desk.to_dict())

    def add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Called after every change of a request (and of what is offered)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_entitlement_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Called when the hub first says, or changes, what the household is offered."""
        self._entitlement_listeners.append(listener)
        return lambda: self._entitlement_listeners.remove(listener)

    @callback
    def set_entitled(self, services: Iterable[ServiceType] | None) -> None:
        """The hub config's `services` (None: the hub sent no list, so every service)."""
        if not self.desk.entitle(services):
            return  # the config is sent on every hello: the same list is no news
        self._spawn(self._store.async_save(self.desk.to_dict()), "save services")
        for listener in list(self._entitlement_listeners):
            listener()
        self._publish()

    @property
    def entitlement_known(self) -> bool:
        """Whether the hub has said what the household is offered (ever, kept on restart)."""
        return self.desk.entitlement_known

    def offered(self) -> frozenset[ServiceType]:
        return self.desk.offered()

    def observe(self, observation: ServiceObservation) -> None:
        """Raises ServiceRefused (nothing changed) for what the desk refuses."""
        self.desk.handle(observation, dt_util.utcnow())
        self._run_effects()

    def open_requests(self) -> list[ServiceRequest]:
        return self.desk.open_requests()

    @callback
    def _hub_command(self, command: HubCommand) -> None:
        if command.type is not MessageType.SERVICE_STEP:
            return
        try:
            self.observe(HubServiceStep(parse_service_step(command.body)))
        except (ProtocolError, ServiceRefused) as err:
            _LOGGER.warning("Ignoring a service step the desk refuses: %s", err)

    @callback
    def _link_state(self, state: LinkState) -> None:
        self.observe(LinkChanged(state is LinkState.CONNECTED))

    def _run_effects(self) -> None:
        for effect in self.desk.take_effects():
            self._carry_out(effect)
        self._spawn(self._store.async_save(self.desk.to_dict()), "save services")
        self._schedule_deadline()
        self._publish()

    def _carry_out(self, effect: ServiceEffect) -> None:
        match effect:
            case SendToHub(type_, body, request_id):
                message_id = self._link.send(MessageType(type_.value), body)
                if type_ is ServiceMessage.REQUESTED:
                    self._spawn(self._await_ack(message_id, request_id), "service ack")
            case ServiceChanged(request, what):
                self._hass.bus.async_fire(
                    EVENT_SERVICE_REQUEST,
                    {
                        "request_id": request.id,
                        "service": request.service.value,
                        "status": request.status.value,
                        "what": str(what),
                    },
                )
            case Announce(phrase, service, _request_id, params):
                language = self._hass.config.language
                self._speak(phrase.value, render(phrase, service, params, language))
                if self._notify_family is not None:
                    self._notify_family(effect)

    async def _await_ack(self, message_id: str, request_id: str) -> None:
        while True:
            try:
                await self._link.wait_delivered(message_id, _ACK_TIMEOUT)
            except TimeoutError:
                continue
            self.observe(HubReceived(request_id))
            return

    def _schedule_deadline(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None
        deadline = self.desk.next_deadline()
        if deadline is not None:
            self._timer = async_track_point_in_utc_time(self._hass, self._deadline, deadline)

    @callback
    def _deadline(self, now: datetime) -> None:
        self._timer = None
        self.desk.tick(now)
        self._run_effects()

    def _publish(self) -> None:
        for listener in list(self._listeners):
            listener()
