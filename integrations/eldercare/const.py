"""Constants of the eldercare integration."""

from typing import Final

DOMAIN: Final = "eldercare"

CONF_HUB_URL: Final = "hub_url"
CONF_ENROLLMENT_CODE: Final = "enrollment_code"
CONF_CA_FINGERPRINT: Final = "ca_fingerprint"
# Entry data: the entities' and device's key, the first gateway id (kept across reauth).
CONF_IDENTITY: Final = "identity"

SERVICE_TRIGGER_EMERGENCY: Final = "trigger_emergency"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_SOURCE: Final = "source"

EVENT_ALARM_RAISED: Final = "eldercare_alarm_raised"

SERVICE_ACKNOWLEDGE: Final = "acknowledge"
SERVICE_RESOLVE: Final = "resolve"
SERVICE_TEST: Final = "test"
ATTR_ALARM_ID: Final = "alarm_id"
ATTR_NOTE: Final = "note"

EVENT_ALARM_UPDATED: Final = "eldercare_alarm_updated"
EVENT_ANNOUNCEMENT: Final = "eldercare_announcement"

# Options beside the safety settings of gateway.safety.settings.
OPTION_ROLES: Final = "roles"
OPTION_REMOTES: Final = "remotes"  # device id -> role, for remotes whose presses are events
OPTION_TTS_ENTITY: Final = "tts_entity"
OPTION_MEDIA_PLAYER: Final = "media_player"
OPTION_ARC: Final = "arc"  # reporting to an alarm receiving centre (gateway.arc.options)


def signal_alarms_changed(entry_id: str) -> str:
    """Dispatcher signal: the household's alarms changed; entities refresh."""
    return f"{DOMAIN}_{entry_id}_alarms_changed"


# A health monitor subentry's data (one per Bluetooth monitor, under the household's entry).
CONF_MONITOR_ADDRESS: Final = "monitor_address"
CONF_MONITOR_PROFILE: Final = "monitor_profile"
CONF_MONITOR_NAME: Final = "monitor_name"
OPTION_RESIDENT: Final = "resident"  # the care center's resident id; "" = not assigned
SUBENTRY_MONITOR: Final = "monitor"  # a health monitor: a subentry of the household's entry
