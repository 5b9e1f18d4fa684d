"""Encryption at rest and blind indexes for resident ID numbers and phone numbers.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256); ``MultiFernet`` lets an operator add
a new key in front and re-encrypt later. Exact look-up works through a blind index: an HMAC-SHA256
of the normalized value under a separate key, so the database never holds a plain hash that could
be reversed by enumerating the (small) space of valid ID numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet


class PiiCipher:
    def __init__(self, encryption_keys: list[str], blind_index_key: str) -> None:
        if not encryption_keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in encryption_keys])
        self._index_key = blind_index_key.encode()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def blind_index(self, kind: str, normalized_value: str) -> str:
        """Deterministic keyed hash; ``kind`` separates ID numbers from phones."""
        message = f"{kind}:{normalized_value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()[:40]


@lru_cache(maxsize=1)
def get_cipher() -> PiiCipher:
    from django.conf import settings

    return PiiCipher(list(settings.PII_ENCRYPTION_KEYS), settings.PII_BLIND_INDEX_KEY)
