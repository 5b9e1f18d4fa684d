"""Reading and verifying the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field

from fupin.audit.models import AuditEntry, AuditHead
from fupin.audit.services import GENESIS_HASH, compute_hash, hashed_fields


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
    queryset = AuditEntry.objects.order_by("id")
    for entry in queryset.iterator(chunk_size=batch_size):
        report.checked += 1
        if entry.id != expected_id:
            report.problems.append(f"entries {expected_id}..{entry.id - 1} are missing (deleted)")
        if entry.prev_hash != expected_prev:
            report.problems.append(f"entry {entry.id}: link to the previous entry is broken")
        recomputed = compute_hash(entry.id, entry.prev_hash, hashed_fields(entry))
        if recomputed != entry.entry_hash:
            report.problems.append(f"entry {entry.id}: content was changed after it was written")
        expected_prev = entry.entry_hash
        expected_id = entry.id + 1
        last_id = entry.id
    head = AuditHead.objects.filter(id=1).first()
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


def history_of(object_type: str, object_id: object) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("-id")[:200]
    )
