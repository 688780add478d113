"""The household's channel to a commercial alarm receiving centre (SIA DC-09), beside the
care-center link: its durable queue, the sender, and what the household reports on it.

The protocol and the rules live in `gateway.arc`; this only wires them into the config entry:
files beside HA's storage, the sender as a background task, the periodic test on HA's timer,
and new settings applied without touching the safety engine or the care-center link.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.util import dt as dt_util

from gateway.arc.options import ArcOptions, ArcOptionsError
from gateway.arc.reporter import ArcReporter, ZoneMap
from gateway.arc.sender import ArcSender, ArcStatus
from gateway.arc.settings import ArcSettings, ReportFormat
from gateway.link.errors import HubError
from gateway.link.outbox import Outbox, Priority
from gateway.safety.book import Alarm
from gateway.safety.effects import Effect

from .const import DOMAIN, OPTION_ARC

_LOGGER = logging.getLogger(__name__)
ARC_EVENT_TYPE = "dc09.event"
_STORE_VERSION = 1
_SAVE_DELAY = 1.0


def arc_outbox_path(hass: HomeAssistant, entry_id: str) -> Path:
    """A queue of its own beside the care-center outbox (same design, another receiver)."""
    return Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}.{entry_id}.arc.sqlite3"))


# The report format as the entry's options and the options form hold it: HA's option keys
# (translation keys, which must be lowercase) for the library's DC-09 tokens. Entries before
# config entry minor version 2 stored the tokens ("ADM-CID"); async_migrate_entry rewrites them.
FORMAT_OPTIONS: Final[dict[str, ReportFormat]] = {
    "adm_cid": ReportFormat.CONTACT_ID,
    "sia_dcs": ReportFormat.SIA_DCS,
}
_FORMAT_OPTION_OF: Final = {token.value: option for option, token in FORMAT_OPTIONS.items()}


def arc_options(stored: Mapping[str, Any]) -> ArcOptions:
    """The library's ARC options from the entry's (or the form's) ARC options."""
    data = dict(stored)
    token = FORMAT_OPTIONS.get(str(data.get("format", "")))
    if token is not None:
        data["format"] = token.value
    # Anything else goes as it is: an old token still works, nonsense is refused by the library.
    return ArcOptions.from_dict(data)


def stored_arc_options(options: ArcOptions) -> dict[str, Any]:
    """What the entry keeps (and the form shows) for the library's ARC options."""
    data = options.to_dict()
    data["format"] = _FORMAT_OPTION_OF.get(str(data["format"]), data["format"])
    return data


def migrate_arc_options(stored: Mapping[str, Any]) -> dict[str, Any]:
    """ARC options saved before minor version 2, with the format as its option key."""
    data = dict(stored)
    if "format" in data:
        data["format"] = _FORMAT_OPTION_OF.get(str(data["format"]), data["format"])
    return data


def arc_settings(options: Mapping[str, Any]) -> ArcSettings | None:
    """The sender's settings from the entry's options; None when off or unusable."""
    try:
        return arc_options(options.get(OPTION_ARC, {})).settings()
    except ArcOptionsError as err:  # the options flow refuses these; a hand edit may not
        _LOGGER.error("Alarm receiving centre reporting is off: invalid %s", err.field)
        return None


def _arc_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, _STORE_VERSION, f"{DOMAIN}.{entry_id}.arc", private=True)


async def async_remove_arc_store(hass: HomeAssistant, entry_id: str) -> None:
    """The household left: its zone list and test times go with it."""
    await _arc_store(hass, entry_id).async_remove()


class ArcChannel:
    """Runs while the household's entry is loaded; idle when reporting is off."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        alarm_of: Callable[[str], Alarm | None],
    ) -> None:
        self._hass = hass
        self._entry = entry  # its options (the ARC's settings), id (the files) and tasks
        # The household's alarm by id (a restore names only the id): the safety controller's.
        self._alarm_of = alarm_of
        self._store = _arc_store(hass, entry.entry_id)
        self._zones = ZoneMap()
        self._last_test: datetime | None = None
        self._outbox: Outbox | None = None
        self._sender: ArcSender | None = None
        self._reporter: ArcReporter | None = None
        self._task: asyncio.Task[None] | None = None
        self._cancel_test: CALLBACK_TYPE | None = None
        self.settings: ArcSettings | None = None

    @property
    def sender(self) -> ArcSender | None:
        return self._sender

    @property
    def status(self) -> ArcStatus | None:
        return None if self._sender is None else self._sender.status

    async def async_start(self) -> None:
        stored = await self._store.async_load() or {}
        self._zones = ZoneMap.from_dict(stored.get("zones", {}))
        last_test = stored.get("last_test")
        self._last_test = datetime.fromisoformat(last_test) if last_test else None
        await self._async_apply(arc_settings(dict(self._entry.options)))

    async def async_options_updated(self) -> None:
        settings = arc_settings(dict(self._entry.options))
        if settings != self.settings:
            await self._async_apply(settings)

    async def async_stop(self) -> None:
        await self._async_apply(None)
        await self._store.async_save(self._data())

    def report(self, effect: Effect) -> None:
        """What the safety engine just did, as the ARC should hear it (if reporting is on)."""
        if self._reporter is not None and self._reporter.report(effect) is not None:
            self._store.async_delay_save(self._data, _SAVE_DELAY)  # a zone may be new

    async def _async_apply(self, settings: ArcSettings | None) -> None:
        await self._async_close()
        self.settings = settings
        if settings is None:
            return
        try:
            outbox = await self._hass.async_add_executor_job(
                partial(
                    Outbox,
                    arc_outbox_path(self._hass, self._entry.entry_id),
                    priorities={ARC_EVENT_TYPE: Priority.ALARM},
                )
            )
        except (OSError, HubError) as err:
            # The home must keep protecting itself: the ARC stays silent, the rest runs.
            _LOGGER.error("Alarm receiving centre reporting is off: %s", err)
            self.settings = None
            return
        self._outbox = outbox
        self._sender = ArcSender(settings, outbox)
        self._reporter = ArcReporter(self._sender.queue, self._zones, self._alarm_of)
        self._task = self._entry.async_create_background_task(
            self._hass, self._sender.run(), "eldercare alarm receiving centre"
        )
        self._schedule_test()

    async def _async_close(self) -> None:
        if self._cancel_test is not None:
            self._cancel_test()
            self._cancel_test = None
        self._reporter = None
        if self._sender is not None:
            await self._sender.stop()  # its task, connection and worker thread
            self._sender = None
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._outbox is not None:
            # The sender is stopped: nothing touches the outbox any more.
            await self._hass.async_add_executor_job(self._outbox.close)
            self._outbox = None

    # The periodic test: due `test_interval` after the last one, across restarts.

    def _schedule_test(self) -> None:
        interval = self.settings.test_interval if self.settings else None
        if interval is None:
            return
        now = dt_util.utcnow()
        due = (self._last_test or now) + interval
        self._cancel_test = async_call_later(
            self._hass, max(timedelta(0), due - now), self._test_due
        )

    @callback
    def _test_due(self, now: datetime) -> None:
        self._cancel_test = None
        if self._reporter is None:
            return
        self._reporter.periodic_test(now)
        self._last_test = now
        self._store.async_delay_save(self._data, _SAVE_DELAY)
        self._schedule_test()

    def _data(self) -> dict[str, Any]:
        last = self._last_test.isoformat() if self._last_test else None
        return {"zones": self._zones.to_dict(), "last_test": last}
