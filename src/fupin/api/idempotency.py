"""``Idempotency-Key`` for API pushes: the same key from the same user gets the first answer again.

The draft standard (draft-ietf-httpapi-idempotency-key-header) is followed where it applies:

* the first request with a key runs, and its successful answer (status and body) is stored with the
  key in the same transaction as the work itself, so a key is never stored for work that did not
  happen, and work is never committed without its key;
* a retry with the same key and the same request (method, path and body, compared by hash) returns the
  stored answer, with ``Idempotent-Replayed: true``, and does nothing;
* the same key with a different request is 422 with a field-level message on the header;
* a request that fails (403, 404, 422) stores nothing: the key stays unused, so the corrected request
  may be sent with it;
* a key is kept for ``IDEMPOTENCY_KEY_HOURS`` (24 by default): after that it is a new key (the same key
  runs the request again, whatever its body), and the old row is deleted when the user next stores a
  key, with every other expired key of that user. ``purge_expired`` deletes everyone's; the worker
  runs it with its sweep.

Two requests with the same key at the same moment: the second waits for the first's transaction (the
key's unique constraint) and then returns its answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts.models import User
from fupin.api.models import IdempotencyKey
from fupin.core.errors import ServiceError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_DESCRIPTION = (
    "A unique value per push (a UUID, say), 1-255 characters. A retry with the same key and the same "
    "body returns the first answer and imports nothing again; the same key with another body is 422. "
    "A key is remembered for 24 hours (the server's FUPIN_IDEMPOTENCY_KEY_HOURS): after that the same "
    "key is a new key."
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


def _cutoff() -> dt.datetime:
    """Keys stored before this moment are expired."""
    return timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def purge_expired() -> int:
    """Delete every user's expired keys; returns how many."""
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=_cutoff()).delete()
    return deleted


def _stored(user: User, key: str, request_hash: str) -> Outcome | None:
    found = IdempotencyKey.objects.filter(user=user, key=key, created_at__gte=_cutoff()).first()
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
            # This key's expired row (it would clash with the new one) and the user's other expired keys.
            IdempotencyKey.objects.filter(user=user, created_at__lt=_cutoff()).delete()
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
