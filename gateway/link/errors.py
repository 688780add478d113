"""Typed errors of the hub link, each saying what the person at the gateway should do."""

from __future__ import annotations


class HubError(Exception):
    """Base of everything the link raises."""


class HubUnreachable(HubError):
    """The hub did not answer: check the hub URL and the network."""


class EnrollmentError(HubError):
    """The hub refused the enrollment."""


class EnrollmentCodeMalformed(EnrollmentError):
    """The text typed is not shaped like an enrollment code."""


class EnrollmentCodeUnknown(EnrollmentError):
    """No such code at this hub: check the code, or that it is the right hub."""


class EnrollmentCodeUsed(EnrollmentError):
    """The code enrolled a gateway already: ask the care center for a new one."""


class EnrollmentCodeExpired(EnrollmentError):
    """The code is older than 24 h: ask the care center for a new one."""


class InsecureHubUrl(HubError):
    """Plain http to a hub outside this machine: use the care center's https:// address."""


class CaFingerprintInvalid(HubError):
    """An https hub needs the community CA fingerprint (64 hex digits) to pin its certificate."""


class GatewayUnknown(HubError):
    """The hub at this address does not know this gateway, or refuses it (revoked, or it is
    another care center's hub): enroll the gateway there with a new code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
