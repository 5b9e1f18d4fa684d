"""Secrets generated once per installation when the operator does not provide them."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def load_or_create_keys(var_dir: Path) -> dict[str, str]:
    """Read ``var/keys.json`` or create it with fresh random keys (mode 0600)."""
    path = var_dir / "keys.json"
    if path.exists():
        keys = dict(json.loads(path.read_text()))
        if "audit_key" not in keys:
            # An installation from before the keyed audit chain: add its key, keep the others.
            keys["audit_key"] = secrets.token_urlsafe(32)
            temporary = path.with_suffix(".json.part")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(keys, handle)
            os.replace(temporary, path)
        return keys
    keys = {
        "secret_key": secrets.token_urlsafe(50),
        "pii_key": Fernet.generate_key().decode(),
        "blind_index_key": secrets.token_urlsafe(32),
        # Keys the audit chain's HMAC and signs its checkpoints: outside the database, so that write
        # access to the database alone cannot rewrite the log and recompute the chain.
        "audit_key": secrets.token_urlsafe(32),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys, handle)
    return keys
