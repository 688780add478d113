"""Fixtures for the ARC sender: its outbox file, real receivers on 127.0.0.1, running senders."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.alarms import AlarmKind
from gateway.arc import (
    OUTBOX_PRIORITIES,
    ArcEvent,
    ArcSender,
    ArcSettings,
    ReceiverAddress,
    Transport,
)
from gateway.dc09.codes import REPORT_CODES
from gateway.link.outbox import Outbox

from ...conftest import until
from .scripted_receiver import HOST, ScriptedReceiver

__all__ = ["ACCOUNT", "HOST", "free_port", "settings_for", "sos", "until"]

ACCOUNT = "1234"
ReceiverFactory = Callable[..., Awaitable[ScriptedReceiver]]


def free_port(transport: Transport) -> int:
    """A port nothing listens on now (the OS picked it; we let it go again)."""
    kind = socket.SOCK_STREAM if transport is Transport.TCP else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def settings_for(*receivers: ReceiverAddress, **overrides: Any) -> ArcSettings:
    """Fast timers for tests: 0.3 s per attempt, two attempts per receiver."""
    values: dict[str, Any] = {"account": ACCOUNT, "ack_timeout": 0.3, "attempts": 2}
    values.update(overrides)
    return ArcSettings(receivers=tuple(receivers), **values)


def sos(zone: int = 15, *, restore: bool = False, at: datetime | None = None) -> ArcEvent:
    return ArcEvent(
        code=REPORT_CODES[AlarmKind.SOS],
        restore=restore,
        zone=zone,
        occurred_at=at or datetime.now(UTC),
        kind=AlarmKind.SOS.value,
        alarm_id=None,
    )


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "eldercare.test.arc.sqlite3"


@pytest.fixture
def outbox(outbox_path: Path) -> Iterator[Outbox]:
    with Outbox(outbox_path, priorities=OUTBOX_PRIORITIES) as opened:
        yield opened


# pytest-socket (HA's harness) blocks sockets; these stay on 127.0.0.1.
@pytest.fixture
async def receiver_factory(socket_enabled: None) -> AsyncIterator[ReceiverFactory]:
    started: list[ScriptedReceiver] = []

    async def start(
        transport: Transport = Transport.TCP, key: bytes | None = None, port: int = 0
    ) -> ScriptedReceiver:
        receiver = await ScriptedReceiver(transport, key, port).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()


@pytest.fixture
async def sender_factory(
    socket_enabled: None, outbox: Outbox
) -> AsyncIterator[Callable[..., ArcSender]]:
    """Senders that are running (started) and are stopped at the end of the test, before
    `outbox` is closed (an outbox must not be closed under a running sender)."""
    senders: list[ArcSender] = []

    def make(settings: ArcSettings, outbox: Outbox, **kwargs: Any) -> ArcSender:
        sender = ArcSender(settings, outbox, **kwargs)
        sender.start()
        senders.append(sender)
        return sender

    yield make
    for sender in senders:
        await sender.stop()
