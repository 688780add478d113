"""`scripts/demo.py --check`, life services: the remote's repair key becomes a work order at
the care center; staff accept it, assign the demo plumber with a window, mark arrived and
completed through the hub's API (what the work-order page's buttons call); the home speaker
says each step in Chinese; the family confirms and rates the finished job on the family API
(what the family page's form calls), and the home hears that too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from demo_checks import STEP_TIMEOUT, DemoWorld, _blocking, sim_cli, spoken_since
from demo_hub import DemoError, utc_now_iso

from hub.web.access import CSRF_HEADER

# The demo remote's second key is mapped to repairs (the 4-key remote's default mapping).
PRESS_REPAIR = ("press", "remote", "2")
WATCHING = ("hub", "household", "ha")


async def _signed_in(session: aiohttp.ClientSession, world: DemoWorld, username: str) -> str:
    """Sign `username` in with the password the demo made for it; its CSRF token."""
    password = world.paths.password_file(username).read_text(encoding="utf-8").strip()
    async with session.post(
        f"{world.ports.hub_url}/api/v1/login", json={"username": username, "password": password}
    ) as response:
        if response.status != 200:
            raise DemoError(f"{username} could not sign in: {await response.text()}")
        return str((await response.json())["csrf_token"])


async def _post(
    session: aiohttp.ClientSession, url: str, csrf: str, body: dict[str, Any]
) -> dict[str, Any]:
    async with session.post(url, json=body, headers={CSRF_HEADER: csrf}) as response:
        if response.status != 200:
            raise DemoError(f"POST {url} answered {response.status}: {await response.text()}")
        answer: dict[str, Any] = await response.json()
        return answer


async def _said(world: DemoWorld, since: str, words: str) -> None:
    await world.wait(
        f"the home speaker to say “{words}”",
        lambda: _blocking(lambda: spoken_since(world, since, words)),
        STEP_TIMEOUT,
        WATCHING,
        hint=f" See {world.paths.log('ha')}.",
    )


async def check_life_service_from_the_remote(world: DemoWorld) -> None:
    since = utc_now_iso()
    world.say("Check: " + " ".join(PRESS_REPAIR) + " (life service: repair)")
    await sim_cli(world, *PRESS_REPAIR)
    found: list[str] = []

    async def requested() -> bool:
        request_id = await _blocking_value(
            lambda: world.hub.service_request_since(world.household_id, "repair", since)
        )
        if request_id:
            found.append(request_id)
        return bool(request_id)

    await world.wait("the repair request at the care center", requested, STEP_TIMEOUT, WATCHING)
    await _said(world, since, "服务中心已收到")
    steps_url = f"{world.ports.hub_url}/api/v1/services/requests/{found[0]}/steps"
    async with _session() as staff:
        csrf = await _signed_in(staff, world, "dispatcher")
        async with staff.get(f"{world.ports.hub_url}/api/v1/services/providers") as response:
            providers = (await response.json())["providers"]
        plumber = next(p for p in providers if "repair" in p["services"])
        start = datetime.now(UTC) + timedelta(minutes=30)
        await _post(staff, steps_url, csrf, {"step": "accepted"})
        await _post(
            staff,
            steps_url,
            csrf,
            {
                "step": "assigned",
                "provider_id": plumber["id"],
                "window_start": start.isoformat(),
                "window_end": (start + timedelta(minutes=30)).isoformat(),
            },
        )
        await _said(world, since, "分钟后到")
        await _post(staff, steps_url, csrf, {"step": "arrived"})
        await _said(world, since, "服务人员已到达")
        await _post(staff, steps_url, csrf, {"step": "completed"})
        await _said(world, since, "服务已完成")
    async with _session() as family:
        csrf = await _signed_in(family, world, "family")
        confirm_url = f"{world.ports.hub_url}/api/v1/family/services/{found[0]}/confirm"
        await _post(family, confirm_url, csrf, {"rating": 5, "comment": "师傅很细心"})
    await _said(world, since, "家人已确认")
    rated = await _blocking_value(lambda: world.hub.service_rating(found[0]))
    if rated != 5:
        raise DemoError(f"the family's rating is not stored at the hub (found {rated!r})")


def _session() -> aiohttp.ClientSession:
    # The hub is at 127.0.0.1: aiohttp keeps cookies from an IP address only when told to.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _blocking_value(read: Any) -> Any:
    return await asyncio.to_thread(read)
