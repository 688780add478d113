"""The gateway's link to the care-center hub: enrollment, then one signed WebSocket."""

from .client import HubLink, LinkState
from .credentials import GatewayCredentials
from .enroll import enroll
from .errors import (
    EnrollmentCodeExpired,
    EnrollmentCodeMalformed,
    EnrollmentCodeUnknown,
    EnrollmentCodeUsed,
    EnrollmentError,
    HubError,
    HubUnreachable,
)

__all__ = [
    "EnrollmentCodeExpired",
    "EnrollmentCodeMalformed",
    "EnrollmentCodeUnknown",
    "EnrollmentCodeUsed",
    "EnrollmentError",
    "GatewayCredentials",
    "HubError",
    "HubLink",
    "HubUnreachable",
    "LinkState",
    "enroll",
]
