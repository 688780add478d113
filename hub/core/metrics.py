"""GET /metrics: the hub's health in the Prometheus text exposition format (version 0.0.4).

Written by hand: a few gauges and one counter do not justify a client library. Only counts
and reason codes are exposed, never names, addresses or ids, so the endpoint carries no
personal data and can be scraped by a monitoring system outside the care center.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from aiohttp import hdrs, web

from gateway.protocol import NakReason

from ..policy import public
from .context import HUB_CONTEXT

METRICS_PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def escape_label_value(value: str) -> str:
    """Backslash, double quote and line feed are the only escapes the format defines."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    # HELP text escapes backslash and line feed, but not the double quote.
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[dict[str, str], int]]
) -> list[str]:
    lines = [f"# HELP {name} {_escape_help(help_text)}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        label_text = ",".join(f'{key}="{escape_label_value(v)}"' for key, v in labels.items())
        lines.append(f"{name}{{{label_text}}} {value}" if label_text else f"{name} {value}")
    return lines


@public  # no session: a scraper presents the hub's metrics token instead
async def metrics(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    presented = request.headers.get(hdrs.AUTHORIZATION, "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(presented.encode(), hub.metrics_token.encode()):
        return web.json_response(
            {"error": "metrics_token_required"},
            status=401,
            headers={hdrs.WWW_AUTHENTICATE: 'Bearer realm="eldercare-hub-metrics"'},
        )
    # Every nak reason from the first scrape on, so rate() sees a counter start at 0 rather
    # than appear at its first rejection; extra keys (e.g. "not_text") follow as they come.
    rejections = dict.fromkeys((reason.value for reason in NakReason), 0)
    rejections.update(hub.rejections)
    open_alarms = len(await hub.db(hub.store.open_alarms))
    lines = [
        *_family(
            "eldercare_hub_rejections_total",
            "counter",
            "Gateway frames the hub rejected since it started, by reason.",
            (({"reason": reason}, count) for reason, count in sorted(rejections.items())),
        ),
        *_family(
            "eldercare_hub_open_alarms",
            "gauge",
            "Alarms on the dispatch screen (not resolved).",
            [({}, open_alarms)],
        ),
        *_family(
            "eldercare_hub_gateway_sockets",
            "gauge",
            "Open WebSockets the hub serves (gateway links and dispatch screens).",
            # The set is weak: a closed socket may linger in it until garbage collection.
            [({}, sum(not ws.closed for ws in hub.sockets))],
        ),
        *_family(
            "eldercare_hub_gateways_connected",
            "gauge",
            "Gateways whose link said hello and is open (staff steps reach them at once).",
            [({}, hub.gateways.connected_count())],
        ),
    ]
    return web.Response(
        body=("\n".join(lines) + "\n").encode("utf-8"),
        headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(METRICS_PATH, metrics)
