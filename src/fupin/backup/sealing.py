"""The installation's keys, for a backup: sealed with a passphrase inside it, or written to a key file.

Sealed keys are AES-256-GCM under a key derived from the passphrase with scrypt (n=2**15, r=8, p=1,
a random salt); a wrong passphrase and a changed byte both fail the GCM tag, so nothing is ever
restored with keys that were guessed or damaged. A key file has the form of ``var/keys.json``, so the
installation's own keys.json (kept safe as the README asks) restores a backup as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SEALED_FORMAT = "fupin-backup-keys/1"
KEY_NAMES = ("secret_key", "pii_keys", "blind_index_key", "audit_key")
MIN_PASSPHRASE = 10
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


class KeysUnusable(ValueError):
    """The passphrase or key file does not open this backup's keys."""


def current_keys() -> dict[str, Any]:
    """The keys the installation runs with (environment variables win over keys.json, as in settings)."""
    from django.conf import settings

    return {
        "secret_key": str(settings.SECRET_KEY),
        "pii_keys": [str(k) for k in settings.PII_ENCRYPTION_KEYS],
        "blind_index_key": str(settings.PII_BLIND_INDEX_KEY),
        "audit_key": str(settings.AUDIT_CHAIN_KEY),
    }


def fingerprint(keys: dict[str, Any]) -> str:
    """Names a set of keys without revealing them: the manifest says which keys a backup needs."""
    material = json.dumps({k: keys[k] for k in KEY_NAMES}, sort_keys=True).encode()
    return hashlib.sha256(b"fupin-backup-keys:" + material).hexdigest()[:32]


def manifest_mac(keys: dict[str, Any], payload: bytes) -> str:
    """The manifest's MAC under the audit key: a changed manifest (and the counts in it) shows."""
    key = str(keys["audit_key"]).encode()
    return hmac.new(key, b"fupin-backup-manifest:" + payload, "sha256").hexdigest()


def _derive(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"]).derive(
        passphrase.encode()
    )


def seal(keys: dict[str, Any], passphrase: str) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    plain = json.dumps({k: keys[k] for k in KEY_NAMES}, sort_keys=True).encode()
    sealed = AESGCM(_derive(passphrase, salt, _SCRYPT)).encrypt(nonce, plain, SEALED_FORMAT.encode())
    document = {
        "format": SEALED_FORMAT,
        "kdf": {"name": "scrypt", **_SCRYPT, "salt": base64.b64encode(salt).decode()},
        "cipher": "AES-256-GCM",
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return json.dumps(document, indent=1).encode()


def unseal(document: bytes, passphrase: str) -> dict[str, Any]:
    try:
        sealed = json.loads(document)
        kdf = sealed["kdf"]
        params = {"n": int(kdf["n"]), "r": int(kdf["r"]), "p": int(kdf["p"])}
        key = _derive(passphrase, base64.b64decode(kdf["salt"]), params)
        plain = AESGCM(key).decrypt(
            base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]), SEALED_FORMAT.encode()
        )
        return _checked(json.loads(plain))
    except (InvalidTag, ValueError, KeyError, TypeError) as exc:
        raise KeysUnusable("wrong passphrase, or the sealed keys were changed") from exc


def _checked(keys: Any) -> dict[str, Any]:
    if not isinstance(keys, dict):
        raise KeysUnusable("not a set of keys")
    if "pii_keys" not in keys and "pii_key" in keys:  # the form of keys.json
        keys = {**keys, "pii_keys": [keys["pii_key"]]}
    missing = [k for k in KEY_NAMES if not keys.get(k)]
    if missing:
        raise KeysUnusable(f"the keys lack {', '.join(missing)}")
    if not isinstance(keys["pii_keys"], list) or not all(isinstance(k, str) for k in keys["pii_keys"]):
        raise KeysUnusable("pii_keys is not a list of keys")
    return {k: keys[k] for k in KEY_NAMES}


def as_keys_json(keys: dict[str, Any]) -> dict[str, Any]:
    """The form of ``var/keys.json``: ``pii_key`` encrypts, ``pii_keys`` lists every key that decrypts."""
    document = {
        "secret_key": keys["secret_key"],
        "pii_key": keys["pii_keys"][0],
        "blind_index_key": keys["blind_index_key"],
        "audit_key": keys["audit_key"],
    }
    if len(keys["pii_keys"]) > 1:
        document["pii_keys"] = list(keys["pii_keys"])
    return document


def write_private(path: Path, content: bytes) -> None:
    """Write a file only its owner can read, whole or not at all."""
    temporary = path.with_name(path.name + ".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_key_file(path: Path) -> dict[str, Any]:
    try:
        return _checked(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        if isinstance(exc, KeysUnusable):
            raise
        raise KeysUnusable(f"cannot read {path.name}: {exc.__class__.__name__}") from exc
