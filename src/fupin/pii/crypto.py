"""Encryption at rest and blind indexes for resident ID numbers and phone numbers.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256); ``MultiFernet`` lets an operator add
a new key in front and re-encrypt later. Exact look-up works through a blind index: an HMAC-SHA256
of the normalized value under a separate key, so the database never holds a plain hash that could
be reversed by enumerating the (small) space of valid ID numbers.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# How many trailing characters of an ID number a suffix search may give (``id_tail_indexes``).
ID_TAIL_LENGTHS = (4, 6)


class PiiCipher:
    def __init__(self, encryption_keys: list[str], blind_index_key: str) -> None:
        if not encryption_keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in encryption_keys])
        self._keys = (list(encryption_keys), blind_index_key)
        self._index_key = blind_index_key.encode()
        self._tail_indexers = {n: self.blind_indexer(f"id-tail{n}") for n in ID_TAIL_LENGTHS}
        first = base64.urlsafe_b64decode(encryption_keys[0].encode())
        self._signing_key, self._encryption_key = first[:16], first[16:]

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str, ttl: int | None = None) -> str:
        """The plain text; with ``ttl``, only of a token made at most that many seconds ago."""
        return self._fernet.decrypt(token.encode(), ttl=ttl).decode()

    def blind_index(self, kind: str, normalized_value: str) -> str:
        """Deterministic keyed hash; ``kind`` separates ID numbers from phones."""
        message = f"{kind}:{normalized_value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()[:40]

    def id_tail_indexes(self, number: str) -> dict[str, str]:
        """The blind indexes of an ID number's last 4 and last 6 characters, by ``Member`` field.

        A suffix search ("the last digits of the ID number") becomes an indexed exact match, and the
        database holds a keyed hash of each suffix, never the suffix itself."""
        return dict(self.id_tail_index(number[-n:]) for n in ID_TAIL_LENGTHS)

    def id_tail_index(self, tail: str) -> tuple[str, str]:
        """The ``Member`` field and blind index of an ID number's end (4 or 6 characters)."""
        return f"id_tail{len(tail)}_bidx", self._tail_indexers[len(tail)](tail)

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

    def encryption_pool(self) -> EncryptionPool:
        """Worker processes doing ``encrypt_many`` with this cipher's keys (see ``EncryptionPool``)."""
        return EncryptionPool(*self._keys)

    def encrypt_bytes(self, data: bytes) -> bytes:
        """A whole file (an uploaded sheet waiting to be imported, an error workbook), encrypted."""
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        return self._fernet.decrypt(token)


class EncryptionPool:
    """``encrypt_many`` in other processes, for imports of many rows: the importer checks the next
    batch while the other cores encrypt the last one.

    Each worker is a fresh interpreter (``python -m fupin.pii.crypto``, not a fork: nothing of the
    parent, such as its open database connection or a web server's threads, is inherited, and the
    parent's main script is not run again as with ``multiprocessing``'s spawn). It gets the cipher's
    keys through its standard input, never on its command line, then answers each list of values with
    their tokens, in order. A thread per worker drains its answers, so that neither side waits on a
    full pipe. ``submit`` returns a function giving the tokens; calls of it may come in any order.
    """

    def __init__(self, encryption_keys: list[str], blind_index_key: str, workers: int | None = None) -> None:
        count = workers or max(1, min(4, (os.cpu_count() or 2) - 1))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self._workers: list[_Worker] = []
        for _ in range(count):
            process = subprocess.Popen(  # noqa: S603 - this interpreter running this module
                [sys.executable, "-m", "fupin.pii.crypto"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            worker = _Worker(process)
            worker.send((encryption_keys, blind_index_key))
            self._workers.append(worker)
        self._next = 0

    def submit(self, values: Sequence[str]) -> Callable[[], list[str]]:
        worker = self._workers[self._next % len(self._workers)]
        self._next += 1
        return worker.submit(list(values))

    def close(self) -> None:
        for worker in self._workers:
            worker.close()
        self._workers = []

    def __enter__(self) -> EncryptionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.answers: queue.Queue[tuple[bool, Any]] = queue.Queue()
        self.sent = 0
        self.taken: dict[int, list[str]] = {}
        self.received = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def send(self, message: object) -> None:
        assert self.process.stdin is not None
        pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def _read(self) -> None:
        assert self.process.stdout is not None
        try:
            while True:
                self.answers.put((True, pickle.load(self.process.stdout)))  # noqa: S301 - our own child
        except EOFError:
            self.answers.put((False, RuntimeError("the encryption worker stopped")))
        except Exception as exc:  # noqa: BLE001 - handed to whoever waits for tokens
            self.answers.put((False, exc))

    def submit(self, values: list[str]) -> Callable[[], list[str]]:
        number = self.sent
        self.sent += 1
        self.send(values)

        def result() -> list[str]:
            while number not in self.taken:
                ok, answer = self.answers.get()
                if not ok:
                    raise answer
                self.taken[self.received] = answer
                self.received += 1
            return self.taken.pop(number)

        return result

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)


def _serve() -> None:
    """The worker's side: keys first, then lists of values to encrypt until the input ends."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    try:
        cipher = PiiCipher(*pickle.load(stdin))  # noqa: S301 - from the parent process
        while True:
            values = pickle.load(stdin)  # noqa: S301
            pickle.dump(cipher.encrypt_many(values), stdout, protocol=pickle.HIGHEST_PROTOCOL)
            stdout.flush()
    except EOFError:
        return


@lru_cache(maxsize=1)
def get_cipher() -> PiiCipher:
    from django.conf import settings

    return PiiCipher(list(settings.PII_ENCRYPTION_KEYS), settings.PII_BLIND_INDEX_KEY)


if __name__ == "__main__":
    _serve()
