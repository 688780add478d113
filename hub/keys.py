"""The hub's own Ed25519 key: made on first start, kept owner-readable only in the data dir."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provisioning import keys

KEY_FILE = "hub-signing.key"


def load_or_create_hub_key(data_dir: Path) -> Ed25519PrivateKey:
    path = data_dir / KEY_FILE
    if path.exists():
        return keys.private_key_from_text(path.read_text().strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = keys.new_private_key()
    # O_EXCL: two hubs started on one data dir must not each write a different key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keys.private_key_to_text(key) + "\n")
    return key
