"""The HA shell of the service desk, with a stand-in link: a press goes to the outbox, fires
the HA event and is stored; an ack marks it reported."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.core import HomeAssistant

from gateway.protocol import MessageType
from gateway.services.catalogue import ServiceType
from gateway.services.observations import ServicePressed
from integrations.eldercare.service_desk import EVENT_SERVICE_REQUEST, ServiceController


class _Link:
    def __init__(self) -> None:
        self.sent: list[tuple[MessageType, dict[str, Any]]] = []

    def send(self, type_: MessageType, body: dict[str, Any]) -> str:
        self.sent.append((type_, body))
        return f"m{len(self.sent)}"

    async def wait_delivered(self, message_id: str, timeout: float) -> None:
        return None

    def add_command_listener(self, _listener: Callable[..., None]) -> Callable[[], None]:
        return lambda: None

    def add_state_listener(self, _listener: Callable[..., None]) -> Callable[[], None]:
        return lambda: None


async def test_press_is_sent_fired_and_acked(hass: HomeAssistant) -> None:
    link = _Link()
    said: list[str] = []
    events: list[dict[str, Any]] = []
    hass.bus.async_listen(EVENT_SERVICE_REQUEST, lambda e: events.append(dict(e.data)))

    def spawn(coro: Coroutine[Any, Any, None], name: str) -> None:
        hass.async_create_task(coro, name)

    controller = ServiceController(
        hass,
        "entry",
        link,
        lambda _key, text: said.append(text),
        spawn,  # type: ignore[arg-type]
    )
    await controller.async_start()
    controller.observe(ServicePressed("button", ServiceType.REPAIR))
    await hass.async_block_till_done()
    assert link.sent[0][0] is MessageType.SERVICE_REQUESTED
    assert events
    assert events[0]["service"] == ServiceType.REPAIR.value
    [request] = controller.open_requests()
    assert request.reported
    await controller.async_stop()
