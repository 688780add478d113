"""The hub's own secrets, made on first start and kept owner-readable only in the data dir:
its Ed25519 signing key and the bearer token a metrics scraper presents."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provisioning import keys

KEY_FILE = "hub-signing.key"
METRICS_TOKEN_FILE = "metrics.token"  # noqa: S105 (a file name)


def load_or_create_hub_key(data_dir: Path) -> Ed25519PrivateKey:
    text = _load_or_create(
        data_dir / KEY_FILE, lambda: keys.private_key_to_text(keys.new_private_key())
    )
    return keys.private_key_from_text(text)


def load_or_create_metrics_token(data_dir: Path) -> str:
    """Prometheus sends it as `Authorization: Bearer <token>` (its `authorization` setting)."""
    return _load_or_create(data_dir / METRICS_TOKEN_FILE, lambda: secrets.token_urlsafe(32))


def _load_or_create(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = make()
    # O_EXCL: two hubs started on one data dir must not each write a different secret.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
    return text
