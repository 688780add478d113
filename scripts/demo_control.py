"""The demo's control endpoint: take the care-center hub down and bring it back while the home
keeps running (`python -m gateway.sim hub stop|start|status`, gateway/sim/care_center.py).

    POST /command   body: "hub stop" | "hub start" | "hub status"  -> 200 {"result"} | 400 {"error"}

Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from demo_settings import HOST
from demo_supervisor import ChildState, Supervisor

HUB = "hub"


class CommandRefused(ValueError):
    """A command the demo does not take, with what it takes."""


class HubSwitch:
    """Stops and starts the hub process; says on the demo's terminal what that means."""

    def __init__(
        self,
        supervisor: Supervisor,
        wait_ready: Callable[[], Awaitable[None]],
        hub_url: str,
        say: Callable[[str], None],
    ) -> None:
        self._supervisor = supervisor
        self._wait_ready = wait_ready
        self._hub_url = hub_url
        self._say = say
        self._lock = asyncio.Lock()  # one stop or start at a time

    async def run(self, text: str) -> str:
        async with self._lock:
            return await self._run(text)

    async def _run(self, text: str) -> str:
        words = text.lower().split()
        if words[:1] != [HUB] or len(words) != 2:
            raise CommandRefused("the demo takes: hub stop | hub start | hub status")
        match words[1]:
            case "stop":
                return await self.stop()
            case "start":
                return await self.start()
            case "status":
                return self.status()
        raise CommandRefused(f"unknown hub command {words[1]!r}: hub stop | hub start | hub status")

    async def stop(self) -> str:
        if not await self._supervisor.stop(HUB):
            return "The care-center hub is not running (护理中心已停止)."
        self._say(
            "Care-center hub stopped (护理中心已停止). The home keeps protecting: try "
            "`python -m gateway.sim gas on`; alarms wait in the gateway's outbox. "
            "Bring the hub back with `python -m gateway.sim hub start`."
        )
        return "Care-center hub stopped (护理中心已停止)."

    async def start(self) -> str:
        if self._supervisor.state(HUB) is ChildState.RUNNING:
            return f"The care-center hub is already running on {self._hub_url}."
        await self._supervisor.start(HUB)
        await self._wait_ready()
        self._say(
            f"Care-center hub is back on {self._hub_url} (护理中心已恢复); the gateway reconnects"
            " and delivers what waited in its outbox."
        )
        return f"Care-center hub started (护理中心已启动) on {self._hub_url}."

    def status(self) -> str:
        state = self._supervisor.state(HUB)
        if state is ChildState.RUNNING:
            return f"The care-center hub is running on {self._hub_url} (运行中)."
        if state is ChildState.EXITED:
            code = self._supervisor.returncode(HUB)
            return f"The care-center hub stopped by itself (exit code {code}) (已停止)."
        return "The care-center hub is stopped (已停止)."


_SWITCH = web.AppKey("switch", HubSwitch)


async def _command(request: web.Request) -> web.Response:
    text = (await request.text()).strip()
    try:
        result = await request.app[_SWITCH].run(text)
    except CommandRefused as err:
        return web.json_response({"error": str(err)}, status=400)
    except Exception as err:  # the caller is a person at a shell: say what failed
        return web.json_response({"error": f"{text} failed: {err}"}, status=500)
    return web.json_response({"result": result})


def control_app(switch: HubSwitch) -> web.Application:
    app = web.Application()
    app[_SWITCH] = switch
    app.router.add_post("/command", _command)
    return app


async def start_control(switch: HubSwitch, port: int) -> web.AppRunner:
    """Serve the endpoint on 127.0.0.1:port; the caller cleans the runner up."""
    runner = web.AppRunner(control_app(switch), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    return runner
