"""What a gateway holds after enrollment. The private key is a secret: never log it."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.signing import VerifyKey

from provisioning import keys

from .tls import pinned_ssl_context


@dataclass(frozen=True, slots=True)
class GatewayCredentials:
    hub_url: str
    gateway_id: str
    household_id: str
    household_name: str
    private_key: str = field(repr=False)
    hub_public_key: str
    # The community CA pinned at enrollment (PEM) and its fingerprint; empty for a loopback
    # plain-HTTP hub (demo, tests).
    ca_pem: str = ""
    ca_fingerprint: str = ""

    def signing_key(self) -> Ed25519PrivateKey:
        return keys.private_key_from_text(self.private_key)

    def hub_key(self) -> VerifyKey:
        return keys.verifying_key_from_text(self.hub_public_key)

    def ssl_context(self) -> ssl.SSLContext | None:
        """Trust only the pinned community CA; None for a loopback plain hub."""
        if not self.ca_pem:
            return None
        return pinned_ssl_context(self.ca_pem.encode("ascii"), self.ca_fingerprint)

    def as_dict(self) -> dict[str, str]:
        return {
            "hub_url": self.hub_url,
            "gateway_id": self.gateway_id,
            "household_id": self.household_id,
            "household_name": self.household_name,
            "private_key": self.private_key,
            "hub_public_key": self.hub_public_key,
            "ca_pem": self.ca_pem,
            "ca_fingerprint": self.ca_fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GatewayCredentials:
        return cls(
            hub_url=str(data["hub_url"]),
            gateway_id=str(data["gateway_id"]),
            household_id=str(data["household_id"]),
            household_name=str(data["household_name"]),
            private_key=str(data["private_key"]),
            hub_public_key=str(data["hub_public_key"]),
            ca_pem=str(data.get("ca_pem", "")),
            ca_fingerprint=str(data.get("ca_fingerprint", "")),
        )
