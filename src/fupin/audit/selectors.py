"""Reading and verifying the audit log."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q

from fupin.audit.models import AuditEntry, AuditHead
from fupin.audit.services import GENESIS_HASH, compute_hash, hashed_fields, sign


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(batch_size: int = 5000) -> VerifyReport:
    """Recompute every hash and link; report edited, inserted or removed entries."""
    report = VerifyReport()
    expected_prev = GENESIS_HASH
    expected_id = 1
    last_id = 0
    head = AuditHead.objects.filter(id=1).first()
    keyed_from = head.keyed_from if head is not None else 1
    checkpoints = _checkpoints(report)
    if checkpoints and head is not None and head.keyed_from != checkpoints[-1]["keyed_from"]:
        report.problems.append(
            f"the head says the keyed chain starts at entry {head.keyed_from}, the last signed"
            f" checkpoint says {checkpoints[-1]['keyed_from']}: the chain was rewritten"
        )
        keyed_from = int(checkpoints[-1]["keyed_from"])
    pinned = {int(c["entry_id"]): str(c["hash"]) for c in checkpoints}
    queryset = AuditEntry.objects.order_by("id")
    for entry in queryset.iterator(chunk_size=batch_size):
        report.checked += 1
        if entry.id != expected_id:
            report.problems.append(f"entries {expected_id}..{entry.id - 1} are missing (deleted)")
        if entry.prev_hash != expected_prev:
            report.problems.append(f"entry {entry.id}: link to the previous entry is broken")
        recomputed = compute_hash(
            entry.id, entry.prev_hash, hashed_fields(entry), keyed=entry.id >= keyed_from
        )
        if recomputed != entry.entry_hash:
            report.problems.append(f"entry {entry.id}: content was changed after it was written")
        if entry.id in pinned and pinned.pop(entry.id) != entry.entry_hash:
            report.problems.append(f"entry {entry.id} differs from the signed checkpoint of it")
        expected_prev = entry.entry_hash
        expected_id = entry.id + 1
        last_id = entry.id
    for entry_id in sorted(i for i in pinned if i > 0):
        report.problems.append(f"entry {entry_id}, recorded by a signed checkpoint, is missing")
    if head is not None:
        if head.last_entry_id != last_id or head.last_hash != expected_prev:
            report.problems.append(
                f"the chain ends at entry {last_id} but the head records entry {head.last_entry_id}:"
                " entries were removed from the end"
            )
        if head.count != report.checked:
            report.problems.append(f"the head counts {head.count} entries but {report.checked} are present")
    elif report.checked:
        report.problems.append("the chain head is missing")
    return report


def _checkpoints(report: VerifyReport) -> list[dict[str, Any]]:
    """The signed checkpoints written so far; an unsigned or edited line is a problem of its own."""
    path = settings.AUDIT_CHECKPOINT_FILE
    if not path.exists():
        return []
    checkpoints = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            checkpoint = json.loads(line)
            mac = checkpoint.pop("mac")
        except (ValueError, KeyError, AttributeError):
            report.problems.append(f"{path.name} line {number}: not a checkpoint")
            continue
        if not hmac.compare_digest(str(mac), sign(checkpoint)):
            report.problems.append(
                f"{path.name} line {number}: the signature does not match (edited, or another key)"
            )
            continue
        checkpoints.append(checkpoint)
    return checkpoints


def history_of(object_type: str, object_id: object) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("-id")[:200]
    )


def history_of_many(objects: Mapping[str, Iterable[object]], limit: int = 200) -> list[AuditEntry]:
    """The latest ``limit`` entries about any of ``objects`` (object type → ids), newest first, in one
    query: a page that shows a household's history with its members' and incomes' asks once, not once
    per record."""
    condition = Q()
    for object_type, ids in objects.items():
        wanted = [str(object_id) for object_id in ids]
        if wanted:
            condition |= Q(object_type=object_type, object_id__in=wanted)
    if not condition:
        return []
    return list(AuditEntry.objects.filter(condition).order_by("-id")[:limit])
