"""Writing to the audit log. Every change and every look at personal data goes through ``record``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from fupin.audit.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> Any:
    """Values kept in ``changes`` are strings, numbers, booleans or None; anything else becomes text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return str(value)


def compute_hash(entry_id: int, prev_hash: str, fields: Mapping[str, Any], *, keyed: bool = True) -> str:
    """The entry's link: HMAC-SHA256 under the audit key (plain SHA-256 for entries written before
    the chain was keyed). Without the key, nobody can recompute the chain after editing it."""
    payload = json.dumps(
        {"id": entry_id, "prev": prev_hash, **fields},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    if not keyed:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(_audit_key(), payload, hashlib.sha256).hexdigest()


def _audit_key() -> bytes:
    from django.conf import settings

    return str(settings.AUDIT_CHAIN_KEY).encode()


def sign(fields: Mapping[str, Any]) -> str:
    """The MAC of a checkpoint's fields under the audit key."""
    payload = json.dumps(dict(fields), sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(_audit_key(), b"checkpoint:" + payload, hashlib.sha256).hexdigest()


def write_checkpoint() -> dict[str, Any]:
    """Append the head (last id, its hash, count) signed with the audit key to the checkpoint file.

    The file lives outside the database (``AUDIT_CHECKPOINT_FILE``; an operator copies it off the
    machine or to the level above): a rewrite of the log that keeps the chain whole still cannot
    reproduce an earlier checkpoint's hash, nor cut entries the checkpoint counted.
    """
    from django.conf import settings

    head, _created = AuditHead.objects.get_or_create(id=1)
    fields = {
        "entry_id": head.last_entry_id,
        "hash": head.last_hash,
        "count": head.count,
        "keyed_from": head.keyed_from,
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    checkpoint = {**fields, "mac": sign(fields)}
    path = settings.AUDIT_CHECKPOINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(checkpoint, sort_keys=True) + "\n")
    return checkpoint


def hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "area_code": entry.area_code,
        "summary": entry.summary,
        "changes": entry.changes,
    }


def record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: object = "",
    area_code: str = "",
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction when there is one."""
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(id=1)
        actor_obj = actor if getattr(actor, "pk", None) else None
        entry = AuditEntry(
            at=timezone.now().astimezone(dt.UTC),
            actor=actor_obj,
            actor_name=getattr(actor_obj, "username", "") if actor_obj else str(actor or "system"),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            area_code=area_code,
            summary=summary[:300],
            changes=_canonical(dict(changes or {})),
            prev_hash=head.last_hash,
        )
        # The id is part of the hash (so that removing an entry breaks the chain) and the UPDATE
        # trigger forbids filling the hash in afterwards: the head row, locked above, hands out ids.
        entry.id = head.last_entry_id + 1
        entry.entry_hash = compute_hash(entry.id, entry.prev_hash, hashed_fields(entry))
        entry.save(force_insert=True)
        head.last_entry_id = entry.id
        head.last_hash = entry.entry_hash
        head.count += 1
        head.save(update_fields=["last_entry_id", "last_hash", "count"])
    return entry
