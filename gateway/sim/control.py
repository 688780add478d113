"""The simulated household as a service: radio + devices + a small HTTP control endpoint.

    POST /command   body: a command from `commands.py` (text)   -> 200 {"result"} | 400 {"error"}
    GET  /status    radio connection and every device's state (Bluetooth monitors under "ble")

The Bluetooth monitors are served by the virtual Bluetooth proxy (`ble/proxy_server.py`) on
its own port. Used by `make demo` (through `python -m gateway.sim serve`); listens on
127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from pathlib import Path
from typing import Any

from aiohttp import web
from zigpy_deconz.api import NetworkState

from .ble.proxy_server import start_proxy_server
from .ble.wire import DEFAULT_PORT as DEFAULT_BLE_PORT
from .catalog import BatteryMixin, GasValve, IasZoneDevice
from .commands import CommandError, run_command
from .deconz_radio import DeconzRadio
from .household import VirtualHousehold

_LOGGER = logging.getLogger(__name__)
HOUSEHOLD = web.AppKey("household", VirtualHousehold)
RADIO = web.AppKey("radio", DeconzRadio)
PAIRING_SECONDS = 300
STACK_SETTLE_SECONDS = 5.0  # let ZHA finish starting before the first device announces itself


def device_status(household: VirtualHousehold) -> dict[str, dict[str, Any]]:
    status: dict[str, dict[str, Any]] = {}
    for name, device in household.devices.items():
        entry: dict[str, Any] = {
            "model": f"{device.manufacturer} {device.model}",
            "ieee": str(device.eui64),
            "joined": device.joined,
            "silent": device.silent,
        }
        if isinstance(device, IasZoneDevice):
            entry["enrolled"] = device.enrolled
            entry["zone_status"] = int(device.zone_status)
        if isinstance(device, BatteryMixin) and device.has_battery:
            entry["battery"] = device.battery_percent
        if isinstance(device, GasValve):
            entry["open"] = device.is_open
            entry["jammed"] = device.jammed
        status[name] = entry
    return status


async def _command(request: web.Request) -> web.Response:
    text = (await request.text()).strip()
    try:
        result = run_command(request.app[HOUSEHOLD], text)
    except CommandError as err:
        return web.json_response({"error": str(err)}, status=400)
    _LOGGER.info("%s -> %s", text, result)
    return web.json_response({"result": result})


async def _status(request: web.Request) -> web.Response:
    radio = request.app[RADIO]
    return web.json_response(
        {
            "radio_connected": radio.connected,
            "network_up": radio.network_state == NetworkState.CONNECTED,
            "devices": device_status(request.app[HOUSEHOLD]),
            "ble": request.app[HOUSEHOLD].ble.status(),
        }
    )


def control_app(household: VirtualHousehold, radio: DeconzRadio) -> web.Application:
    """The control endpoint over a household and its radio."""
    app = web.Application()
    app[HOUSEHOLD], app[RADIO] = household, radio
    app.router.add_post("/command", _command)
    app.router.add_get("/status", _status)
    return app


async def pair_household(radio: DeconzRadio, household: VirtualHousehold) -> None:
    """Like an installer pairing each device: once the coordinator's network is up, open joins
    on the air and join every device that is not on it yet."""
    while radio.network_state != NetworkState.CONNECTED:  # noqa: ASYNC110 (the radio has no event)
        await asyncio.sleep(0.5)
    await asyncio.sleep(STACK_SETTLE_SECONDS)
    household.air.permit_joins(PAIRING_SECONDS)
    for device in household.devices.values():
        if not device.joined:
            device.join()
            await asyncio.sleep(1.0)  # one interview at a time, as when pairing by hand
    household.air.permit_joins(0)


async def keep_device_memory(household: VirtualHousehold, path: Path) -> None:
    """Write the devices' memory whenever it changed, so a restart finds them still enrolled."""
    saved = None
    while True:
        memory = household.memory()
        if memory != saved:
            await asyncio.to_thread(path.write_text, json.dumps(memory, indent=2))
            saved = memory
        await asyncio.sleep(1.0)


async def serve(
    radio_port: int, control_port: int, state_path: Path, ble_port: int = DEFAULT_BLE_PORT
) -> None:
    household = VirtualHousehold()
    memory_path = state_path.with_name(state_path.stem + "-devices.json")
    if memory_path.exists():
        household.restore(json.loads(memory_path.read_text()))
    radio = DeconzRadio(household.air, state_path)
    await radio.start(port=radio_port)
    ble_proxy = await start_proxy_server(household.ble, ble_port)
    # Commands are logged as they run; the demo polls /status every second.
    runner = web.AppRunner(control_app(household, radio), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", control_port).start()
    _LOGGER.info(
        "Radio on socket://127.0.0.1:%s, control on http://127.0.0.1:%s, Bluetooth proxy on "
        "127.0.0.1:%s",
        radio_port,
        control_port,
        ble_port,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    tasks = [
        asyncio.create_task(pair_household(radio, household)),
        asyncio.create_task(keep_device_memory(household, memory_path)),
    ]
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await ble_proxy.close()
        household.close()
        await runner.cleanup()
        await radio.stop()
