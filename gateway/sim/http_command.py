"""One command in, one line out: how the simulator's CLI talks to a control endpoint.

Both endpoints (the simulated household's, the demo's) take `POST /command` with the command as
text and answer `{"result": ...}`, or `{"error": ...}` with status 400.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

# Control endpoints are on 127.0.0.1: never route these requests through a proxy configured in
# the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

OK, NOBODY_THERE, REFUSED = 0, 1, 2  # exit codes


def post_command(base_url: str, text: str, *, timeout: float, nobody_there: str) -> int:
    """Send `text`, print the answer (errors on standard error), return an exit code."""
    request = urllib.request.Request(  # noqa: S310 (a loopback URL given by the user)
        base_url.rstrip("/") + "/command", data=text.encode(), method="POST"
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            print(_field(response.read(), "result"))
            return OK
    except urllib.error.HTTPError as err:
        print(_field(err.read(), "error") or f"{err.code} {err.reason}", file=sys.stderr)
        return REFUSED
    except OSError as err:
        print(f"{nobody_there} ({err})", file=sys.stderr)
        return NOBODY_THERE


def _field(body: bytes, name: str) -> str:
    try:
        value = json.loads(body).get(name, "")
    except (ValueError, AttributeError):
        return body.decode(errors="replace").strip()
    return str(value)
