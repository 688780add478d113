"""A running hub follows a `python -m hub restore` made beside it (hub/core/backup.py writes the
marker: an audit row committed with the restored data). On a new marker the hub acts as after
its own restart: link supervision is reloaded from the restored database and every open
WebSocket is closed with 1012, so screens reconnect to a fresh snapshot and gateways to their
restored pending steps and config."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from aiohttp import WSCloseCode

from ..core.backup import RESTORE_ACTION, RESTORE_SUBJECT
from ..core.storage import HubStore
from .link_watch import load_supervision
from .links import Links

_LOGGER = logging.getLogger(__name__)
CHECK_PERIOD = 1.0  # s: how late a running hub notices a restore at most


def restore_marker(store: HubStore) -> str | None:
    """The newest restore's audit detail (on the database thread)."""
    row = store.db.execute(
        "SELECT detail FROM audit WHERE subject = ? AND action = ? ORDER BY id DESC LIMIT 1",
        [RESTORE_SUBJECT, RESTORE_ACTION],
    ).fetchone()
    return None if row is None else str(row[0])


async def watch_restores(links: Links) -> None:
    """Run until cancelled: follow a restore made while the hub runs."""
    hub = links.hub
    seen: str | None = None
    started = False
    while True:
        try:
            marker = await hub.db(restore_marker, hub.store)
            if started and marker != seen:
                await follow_restore(links, marker or "")
            seen, started = marker, True
        except sqlite3.Error:  # locked by a long restore copy, say: look again next time
            _LOGGER.warning("Could not look for a database restore", exc_info=True)
        await asyncio.sleep(CHECK_PERIOD)


async def follow_restore(links: Links, marker: str) -> None:
    hub = links.hub
    sockets = list(hub.sockets)
    _LOGGER.warning(
        "Database replaced (%s): reloading link supervision, reconnecting %d sockets",
        marker,
        len(sockets),
    )
    await load_supervision(links)
    await asyncio.gather(
        *(
            ws.close(code=WSCloseCode.SERVICE_RESTART, message=b"database restored")
            for ws in sockets
        ),
        return_exceptions=True,
    )
