"""Constants of the eldercare integration."""

from typing import Final

DOMAIN: Final = "eldercare"

CONF_HUB_URL: Final = "hub_url"
CONF_ENROLLMENT_CODE: Final = "enrollment_code"

SERVICE_TRIGGER_EMERGENCY: Final = "trigger_emergency"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_SOURCE: Final = "source"

EVENT_ALARM_RAISED: Final = "eldercare_alarm_raised"
