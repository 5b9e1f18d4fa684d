"""Encryption at rest and blind indexes for resident ID numbers and phone numbers.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256); ``MultiFernet`` lets an operator add
a new key in front and re-encrypt later. Exact look-up works through a blind index: an HMAC-SHA256
of the normalized value under a separate key, so the database never holds a plain hash that could
be reversed by enumerating the (small) space of valid ID numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class PiiCipher:
    def __init__(self, encryption_keys: list[str], blind_index_key: str) -> None:
        if not encryption_keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in encryption_keys])
        self._index_key = blind_index_key.encode()
        first = base64.urlsafe_b64decode(encryption_keys[0].encode())
        self._signing_key, self._encryption_key = first[:16], first[16:]

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def blind_index(self, kind: str, normalized_value: str) -> str:
        """Deterministic keyed hash; ``kind`` separates ID numbers from phones."""
        message = f"{kind}:{normalized_value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()[:40]

    def blind_indexer(self, kind: str) -> Callable[[str], str]:
        """``blind_index`` for one kind, for bulk work: the keyed state is computed once."""
        base = hmac.new(self._index_key, f"{kind}:".encode(), hashlib.sha256)

        def index(normalized_value: str) -> str:
            h = base.copy()
            h.update(normalized_value.encode())
            return h.hexdigest()[:40]

        return index

    def encrypt_many(self, values: Sequence[str]) -> list[str]:
        """``encrypt`` for many values at once (bulk imports): the same Fernet tokens, made faster.

        Fernet is AES-128-CBC with a random IV, PKCS7 padding and an HMAC-SHA256 over the token. CBC is
        chained within one value only, so the k-th blocks of every value go through one AES call (ECB
        on ``previous ciphertext block XOR plaintext block`` is exactly CBC). Tokens decrypt with
        ``decrypt`` and any Fernet implementation; ``tests/test_exchange.py`` checks it.
        """
        if not values:
            return []
        plain = [v.encode() for v in values]
        padded = []
        for p in plain:
            n = 16 - len(p) % 16
            padded.append(p + bytes([n]) * n)
        ivs = os.urandom(16 * len(padded))
        previous = [ivs[16 * i : 16 * i + 16] for i in range(len(padded))]
        blocks: list[list[bytes]] = [[] for _ in padded]
        encryptor = Cipher(algorithms.AES(self._encryption_key), modes.ECB()).encryptor()  # noqa: S305
        depth = max(len(p) for p in padded) // 16
        for k in range(depth):
            active = [i for i, p in enumerate(padded) if len(p) > 16 * k]
            mixed = b"".join(
                (
                    int.from_bytes(padded[i][16 * k : 16 * k + 16], "big")
                    ^ int.from_bytes(previous[i], "big")
                ).to_bytes(16, "big")
                for i in active
            )
            out = encryptor.update(mixed)
            for j, i in enumerate(active):
                block = out[16 * j : 16 * j + 16]
                blocks[i].append(block)
                previous[i] = block
        stamp = b"\x80" + int(time.time()).to_bytes(8, "big")
        signer = hmac.new(self._signing_key, digestmod=hashlib.sha256)
        tokens = []
        for i, parts in enumerate(blocks):
            body = stamp + ivs[16 * i : 16 * i + 16] + b"".join(parts)
            h = signer.copy()
            h.update(body)
            tokens.append(base64.urlsafe_b64encode(body + h.digest()).decode())
        return tokens

    def encrypt_bytes(self, data: bytes) -> bytes:
        """A whole file (an uploaded sheet waiting to be imported, an error workbook), encrypted."""
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        return self._fernet.decrypt(token)


@lru_cache(maxsize=1)
def get_cipher() -> PiiCipher:
    from django.conf import settings

    return PiiCipher(list(settings.PII_ENCRYPTION_KEYS), settings.PII_BLIND_INDEX_KEY)
