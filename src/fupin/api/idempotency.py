"""``Idempotency-Key`` for API pushes: the same key from the same user gets the first answer again.

The draft standard (draft-ietf-httpapi-idempotency-key-header) is followed where it applies:

* the first request with a key runs, and its successful answer (status and body) is stored with the
  key in the same transaction as the work itself, so a key is never stored for work that did not
  happen, and work is never committed without its key;
* a retry with the same key and the same request (method, path and body, compared by hash) returns the
  stored answer, with ``Idempotent-Replayed: true``, and does nothing;
* the same key with a different request is 422 with a field-level message on the header;
* a request that fails (403, 404, 422) stores nothing: the key stays unused, so the corrected request
  may be sent with it.

Two requests with the same key at the same moment: the second waits for the first's transaction (the
key's unique constraint) and then returns its answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

from fupin.accounts.models import User
from fupin.api.models import IdempotencyKey
from fupin.core.errors import ServiceError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_DESCRIPTION = (
    "A unique value per push (a UUID, say), 1-255 characters. A retry with the same key and the same "
    "body returns the first answer and imports nothing again; the same key with another body is 422."
)


class KeyReused(ServiceError):
    """The key was used before for a different request."""

    message = _(
        "This Idempotency-Key was already used for a different request: send a new key with a new request."
    )


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(method: str, path: str, body: Any) -> str:
    """A hash of the request: method, path and the body in a canonical JSON form."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(
        f"{method.upper()} {path}\n{canonical}".encode("utf-8", "surrogatepass")
    ).hexdigest()


def _stored(user: User, key: str, request_hash: str) -> Outcome | None:
    found = IdempotencyKey.objects.filter(user=user, key=key).first()
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise KeyReused()
    return Outcome(found.status_code, dict(found.response), True)


def once(
    user: User, key: str | None, request_hash: str, operation: Callable[[], tuple[int, dict[str, Any]]]
) -> Outcome:
    """Run ``operation`` (which returns status and a JSON body) once per key; without a key, always.

    Exceptions of ``operation`` propagate, and nothing is kept of the key.
    """
    if key is None:
        status, body = operation()
        return Outcome(status, body, False)
    stored = _stored(user, key, request_hash)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            slot = IdempotencyKey.objects.create(user=user, key=key, request_hash=request_hash, status_code=0)
            status, body = operation()
            slot.status_code, slot.response = status, body
            slot.save(update_fields=["status_code", "response"])
    except IntegrityError:
        # Another request with this key committed first: its answer is this request's too.
        stored = _stored(user, key, request_hash)
        if stored is None:
            raise
        return stored
    return Outcome(status, body, False)


class _Refused(Exception):
    """An answer of 400 or more: it leaves the key's transaction, which keeps nothing, and is answered."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body
        super().__init__(status)


def _json(status: int, body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def respond_once(
    user: User,
    key: str | None,
    method: str,
    path: str,
    payload: Any,
    operation: Callable[[], tuple[int, dict[str, Any]]],
) -> JsonResponse:
    """The JSON answer of a push, run ``once`` per key: an answer of 400 or more keeps nothing of the
    key, a key reused for another request is 422 on the header, a replay says so in its header.
    Exceptions of ``operation`` propagate to the API's handlers, as ``once``'s do."""

    def run() -> tuple[int, dict[str, Any]]:
        status, body = operation()
        if status >= 400:
            raise _Refused(status, body)
        return status, body

    try:
        outcome = once(user, key, fingerprint(method, path, payload), run)
    except _Refused as refused:
        return _json(refused.status, refused.body)
    except KeyReused as exc:
        return _json(
            422, {"detail": [{"loc": ["header", HEADER], "msg": str(exc.message), "type": "reused"}]}
        )
    answer = _json(outcome.status, outcome.body)
    if outcome.replayed:
        answer[REPLAYED_HEADER] = "true"
    return answer
