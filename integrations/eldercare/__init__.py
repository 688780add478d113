"""Eldercare Gateway: household safety hub linked to the community care center."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import STORAGE_DIR
from homeassistant.helpers.typing import ConfigType

from gateway.link import GatewayCredentials, HubLink, LinkState
from gateway.link.outbox import Outbox

from .arc import ArcChannel, arc_outbox_path, async_remove_arc_store
from .assist import async_setup_assist
from .blueprint_install import async_install_blueprints
from .care_center import CareCenterThresholds
from .const import CONF_ENROLLMENT_CODE, CONF_HUB_URL, CONF_IDENTITY, DOMAIN
from .controller import SafetyController
from .device_report import DeviceReporter
from .health_delivery import VitalsDelivery
from .health_monitor import monitor_store
from .identity import Household
from .link_log import LinkAvailabilityLog
from .migration import async_migrate, is_old_monitor
from .monitors import MonitorSet
from .runtime import EldercareConfigEntry, EldercareRuntime
from .service_desk import ServiceController, service_store
from .service_family import ServiceFamilyNotifier
from .service_keys import ServiceKeys
from .services import async_setup_services


def outbox_path(hass: HomeAssistant, entry_id: str) -> Path:
    """Beside HA's own storage: private to the config, kept across restarts and upgrades."""
    return Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}.{entry_id}.outbox.sqlite3"))


PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
]

# An installer may pre-provision an appliance image with the hub URL and a one-time code in
# configuration.yaml; it is imported into a config entry once, like the user step.
CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {vol.Required(CONF_HUB_URL): cv.url, vol.Required(CONF_ENROLLMENT_CODE): cv.string}
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    async_setup_services(hass)
    await async_setup_assist(hass)
    # After start-up: HA adds its own example blueprints only into a blueprints folder that
    # does not exist yet, so ours must not create it first.
    async_at_started(hass, _install_blueprints)
    if DOMAIN in config and not hass.config_entries.async_entries(DOMAIN):
        hass.async_create_task(
            hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_IMPORT}, data=dict(config[DOMAIN])
            )
        )
    return True


async def _install_blueprints(hass: HomeAssistant) -> None:
    await async_install_blueprints(hass)


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Bring an entry saved by an older release up to this one before it is set up."""
    return await async_migrate(hass, entry)


async def async_setup_entry(hass: HomeAssistant, entry: EldercareConfigEntry) -> bool:
    credentials = GatewayCredentials.from_dict(dict(entry.data))
    outbox = await hass.async_add_executor_job(Outbox, outbox_path(hass, entry.entry_id))
    link = HubLink(async_get_clientsession(hass), credentials, outbox)
    identity = str(entry.data.get(CONF_IDENTITY, credentials.gateway_id))
    safety = SafetyController(hass, entry, link, Household(identity, credentials.household_name))
    arc = ArcChannel(hass, entry, safety.alarm)
    entry.async_on_unload(safety.add_effect_listener(arc.report))
    monitors = MonitorSet(hass, entry, VitalsDelivery(link, safety.observe))

    def spawn(coro: Coroutine[Any, Any, None], name: str) -> object:
        return entry.async_create_task(hass, coro, f"eldercare {name}")

    services = ServiceController(
        hass,
        entry.entry_id,
        link,
        safety.speak,
        spawn,
        notify_family=ServiceFamilyNotifier(
            hass, credentials.household_name, lambda: safety.settings, spawn
        ),
    )
    entry.runtime_data = EldercareRuntime(
        hass, credentials, link, safety, identity, arc, monitors, services
    )
    # Before the rules start, so the first alarm after a restart reaches the ARC too.
    await arc.async_start()
    # The rules run whether or not the care center is reachable: the home protects itself.
    await safety.async_start()
    entry.async_on_unload(link.add_command_listener(safety.hub_command))
    entry.async_on_unload(link.add_config_listener(safety.hub_config))
    await services.async_start()
    # A remote's service keys go to the service desk; its SOS key stays with the rules.
    entry.async_on_unload(
        safety.add_service_key_listener(ServiceKeys(hass, services, safety.speak).pressed)
    )
    # The hub's entitled services, once it says (None until then: every service allowed).
    entry.async_on_unload(
        link.add_config_listener(lambda config: services.set_entitled(config.services))
    )
    entry.async_on_unload(DeviceReporter(hass, link, safety).async_start())

    @callback
    def _link_state(state: LinkState) -> None:
        if state is LinkState.REFUSED:
            # Revoked or unknown at the care center: only a new enrollment code helps.
            entry.async_start_reauth(hass)

    entry.async_on_unload(link.add_state_listener(_link_state))
    entry.async_on_unload(
        link.add_state_listener(LinkAvailabilityLog(hass, entry, credentials.hub_url))
    )
    # A background task of the entry: cancelled by HA on unload and at shutdown.
    entry.async_create_background_task(hass, link.run(), "eldercare hub link")
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Health monitors after the rules and the link: their readings go to both at once.
    await monitors.async_sync()
    entry.async_on_unload(entry.add_update_listener(_options_updated))
    return True


async def _options_updated(hass: HomeAssistant, entry: EldercareConfigEntry) -> None:
    """New roles, settings or monitors apply at once, without a restart or losing any timer."""
    entry.runtime_data.safety.rebuild()
    await entry.runtime_data.arc.async_options_updated()
    await entry.runtime_data.monitors.async_sync()


async def async_unload_entry(hass: HomeAssistant, entry: EldercareConfigEntry) -> bool:
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        runtime = entry.runtime_data
        await runtime.monitors.async_stop()
        await runtime.safety.async_stop()
        await runtime.services.async_stop()
        await runtime.arc.async_stop()
        # The link first: nothing may touch the outbox once it is closed.
        await runtime.link.stop()
        await hass.async_add_executor_job(runtime.link.outbox.close)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The gateway left its household: its undelivered messages and the care center's
    thresholds (health data) go with it, and what its health monitors kept."""
    if is_old_monitor(entry):
        return  # a monitor entry of an older release: its subentry has its memory now
    for subentry_id in list(entry.subentries):
        await monitor_store(hass, subentry_id).async_remove()
    await CareCenterThresholds(hass, entry.entry_id).async_remove()
    await async_remove_arc_store(hass, entry.entry_id)
    await service_store(hass, entry.entry_id).async_remove()
    paths = (outbox_path(hass, entry.entry_id), arc_outbox_path(hass, entry.entry_id))

    def remove() -> None:
        for path in paths:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    await hass.async_add_executor_job(remove)
