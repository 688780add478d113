"""The gateway's link to the care-center hub: enrollment, then one signed WebSocket."""

from .client import HubLink, LinkState
from .credentials import GatewayCredentials
from .enroll import enroll
from .errors import (
    CaFingerprintInvalid,
    EnrollmentCodeExpired,
    EnrollmentCodeMalformed,
    EnrollmentCodeUnknown,
    EnrollmentCodeUsed,
    EnrollmentError,
    GatewayUnknown,
    HubError,
    HubUnreachable,
    InsecureHubUrl,
)
from .relocate import relocate

__all__ = [
    "CaFingerprintInvalid",
    "EnrollmentCodeExpired",
    "EnrollmentCodeMalformed",
    "EnrollmentCodeUnknown",
    "EnrollmentCodeUsed",
    "EnrollmentError",
    "GatewayCredentials",
    "GatewayUnknown",
    "HubError",
    "HubLink",
    "HubUnreachable",
    "InsecureHubUrl",
    "LinkState",
    "enroll",
    "relocate",
]
