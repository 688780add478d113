"""GET /metrics on a real hub app on 127.0.0.1: the exposition parses and follows what happens."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.link import enroll
from gateway.protocol import GATEWAY_WS_PATH, Envelope, MessageType, NakReason
from hub.app import create_app
from hub.core import metrics
from hub.core.context import HUB_CONTEXT, HubContext

# ---------------------------------------------------------------------------------------------
# A small, strict reader of the text format (0.0.4): enough to catch what a scraper would reject.

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})? (\S+)(?: -?\d+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


@dataclass
class Exposition:
    types: dict[str, str] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float:
        return self.samples[(name, frozenset(labels.items()))]

    def labelled(self, name: str, label: str) -> dict[str, float]:
        return {
            dict(labels)[label]: value
            for (sample, labels), value in self.samples.items()
            if sample == name
        }


def _unescape(text: str) -> str:
    return re.sub(r"\\[\\\"n]", lambda match: _UNESCAPE[match.group(0)], text)


def _labels(text: str) -> frozenset[tuple[str, str]]:
    labels: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _LABEL.match(text, position)
        assert match, f"bad label set {text!r} at {position}"
        assert match.group(1) not in labels, f"label {match.group(1)} twice"
        labels[match.group(1)] = _unescape(match.group(2))
        position = match.end()
    return frozenset(labels.items())


def parse_exposition(text: str) -> Exposition:
    exposition = Exposition()
    assert text.endswith("\n"), "the last line must end with a line feed"
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            _, keyword, name, rest = line.split(" ", 3)
            assert re.fullmatch(_NAME, name), name
            seen = exposition.helps if keyword == "HELP" else exposition.types
            assert name not in seen, f"{keyword} for {name} twice"
            if keyword == "TYPE":
                assert rest in {"counter", "gauge", "histogram", "summary", "untyped"}, rest
                assert not any(key[0] == name for key in exposition.samples), "TYPE after samples"
            seen[name] = _unescape(rest) if keyword == "HELP" else rest
        elif line.startswith("#") or not line.strip():
            continue
        else:
            match = _SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name, labels, value = match.group(1), _labels(match.group(2) or ""), match.group(3)
            assert name in exposition.types, f"sample {name} without a TYPE line before it"
            assert (name, labels) not in exposition.samples, f"series {name}{labels} twice"
            exposition.samples[(name, labels)] = float(value)
    return exposition


def test_the_reader_understands_escapes_and_rejects_junk() -> None:
    good = parse_exposition(
        '# HELP m A "help" with \\\\ and \\n.\n# TYPE m counter\nm{a="x\\"y\\\\z\\nw",b=""} 3\n'
    )
    assert good.value("m", a='x"y\\z\nw', b="") == 3
    assert good.helps["m"] == 'A "help" with \\ and \n.'
    for junk in ("m 1\n", "# TYPE m gauge\nm{a=x} 1\n", "# TYPE m gauge\nm 1\nm 2\n"):
        with pytest.raises(AssertionError):
            parse_exposition(junk)


# ---------------------------------------------------------------------------------------------
# The endpoint


@dataclass
class MetricsHub:
    url: str
    context: HubContext


@pytest.fixture
async def metrics_hub(tmp_path: Path, socket_enabled: None) -> AsyncIterator[MetricsHub]:
    # The real app as hub/app.py builds it. An AppRunner like web.run_app's, not aiohttp's
    # TestServer: that one cancels handlers on disconnect, which the production hub does not do.
    app = create_app(tmp_path / "hub-data")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield MetricsHub(f"http://127.0.0.1:{port}", app[HUB_CONTEXT])
    finally:
        await runner.cleanup()


async def _scrape(hub: MetricsHub) -> tuple[str, Exposition]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            hub.url + metrics.METRICS_PATH,
            headers={"Authorization": f"Bearer {hub.context.metrics_token}"},
        ) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = await response.text()
    return text, parse_exposition(text)


async def test_metrics_need_the_hub_token(metrics_hub: MetricsHub) -> None:
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
            async with session.get(
                metrics_hub.url + metrics.METRICS_PATH, headers=headers
            ) as answer:
                assert answer.status == 401
                assert "Bearer" in answer.headers["WWW-Authenticate"]
                assert "eldercare_hub" not in await answer.text()


async def _reply_type(ws: aiohttp.ClientWebSocketResponse) -> str:
    return Envelope.from_json((await ws.receive(timeout=5)).data).type


async def test_fresh_hub_exposes_every_family_at_zero(metrics_hub: MetricsHub) -> None:
    _, exposition = await _scrape(metrics_hub)
    assert exposition.types == {
        "eldercare_hub_rejections_total": "counter",
        "eldercare_hub_open_alarms": "gauge",
        "eldercare_hub_gateway_sockets": "gauge",
        "eldercare_hub_gateways_connected": "gauge",
    }
    assert set(exposition.helps) == set(exposition.types)
    rejections = exposition.labelled("eldercare_hub_rejections_total", "reason")
    assert rejections == dict.fromkeys((reason.value for reason in NakReason), 0.0)
    assert exposition.value("eldercare_hub_open_alarms") == 0
    assert exposition.value("eldercare_hub_gateway_sockets") == 0
    assert exposition.value("eldercare_hub_gateways_connected") == 0


async def test_a_bad_frame_is_counted_and_alarms_and_sockets_follow(
    metrics_hub: MetricsHub,
) -> None:
    hub = metrics_hub.context
    household = await hub.db(hub.store.create_household, "Wang Fang", "3-2-501 Jasmine Court")
    code = await hub.db(hub.store.mint_enrollment_code, household.id)
    async with aiohttp.ClientSession() as session:
        credentials = await enroll(session, metrics_hub.url, code, "gw")
        async with session.ws_connect(metrics_hub.url + GATEWAY_WS_PATH) as ws:
            await ws.send_str("this is not an envelope")
            nak = Envelope.from_json((await ws.receive(timeout=5)).data)
            assert (nak.type, nak.body["reason"]) == ("nak", "malformed")
            _, exposition = await _scrape(metrics_hub)
            assert exposition.value("eldercare_hub_rejections_total", reason="malformed") == 1
            assert exposition.value("eldercare_hub_gateway_sockets") == 1
            assert exposition.value("eldercare_hub_gateways_connected") == 0  # not signed in

            # Signed in the way the link does it: hello first (acked, then the hub's config).
            hello, alarm, heartbeat = (
                Envelope.new(credentials.gateway_id, seq, type_, body, datetime.now(UTC)).signed(
                    credentials.signing_key()
                )
                for seq, type_, body in (
                    (1, MessageType.HELLO, {}),
                    (2, MessageType.ALARM_RAISED, RaisedAlarm.new(AlarmKind.FALL, "bed").to_body()),
                    (3, MessageType.HEARTBEAT, {}),
                )
            )
            await ws.send_str(hello.to_json())
            assert [await _reply_type(ws) for _ in range(2)] == ["ack", "config"]
            await ws.send_str(alarm.to_json())
            assert await _reply_type(ws) == "ack"
            await ws.send_bytes(b"\x00")  # counted under its own key, which then appears
            await ws.send_str(heartbeat.to_json())  # its ack: the binary frame was read
            assert await _reply_type(ws) == "ack"
            text, exposition = await _scrape(metrics_hub)
            assert exposition.value("eldercare_hub_open_alarms") == 1
            assert exposition.value("eldercare_hub_gateways_connected") == 1
            assert exposition.value("eldercare_hub_rejections_total", reason="not_text") == 1
    # Counts and reason codes only: nothing that names the household or its alarm.
    for personal in ("Wang", "Jasmine", household.id, credentials.gateway_id, alarm.id):
        assert personal not in text
    for _ in range(100):  # the hub sees the close a moment after the client sent it
        _, exposition = await _scrape(metrics_hub)
        gauges = ("eldercare_hub_gateway_sockets", "eldercare_hub_gateways_connected")
        if not any(exposition.value(gauge) for gauge in gauges):
            break
        await asyncio.sleep(0.02)
    assert exposition.value("eldercare_hub_gateway_sockets") == 0
    assert exposition.value("eldercare_hub_gateways_connected") == 0
    assert exposition.value("eldercare_hub_rejections_total", reason="malformed") == 1


async def test_label_values_are_escaped(metrics_hub: MetricsHub) -> None:
    odd = 'quote " backslash \\ newline \n end'
    metrics_hub.context.rejections[odd] += 2
    text, exposition = await _scrape(metrics_hub)
    assert 'reason="quote \\" backslash \\\\ newline \\n end"} 2\n' in text
    assert exposition.value("eldercare_hub_rejections_total", reason=odd) == 2
