"""Running the linker over the database, and the decisions a person takes on its candidates.

Rules:

* **Who.** Running the linker, deciding a link and merging duplicates need the capability to edit
  records, and capture scope over every member concerned (both members for a merge). A candidate
  outside it is "not found".
* **What is linked.** Only unlinked department records (no valid ID number, or one that matched nobody
  exactly at import) go through the linker, and only against the current members inside the actor's
  capture scope: a record is never attached to a household the actor may not edit.
* **Personal data.** ID numbers are decrypted in memory for the comparison and dropped; nothing is
  logged; the audit log gets counts and ids, never names or ID numbers.
* **Merging** keeps both members: the one not kept is marked as having left its household ("other",
  today) and the candidate records which member was kept; history and feed records stay as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.audit import services as audit
from fupin.core.errors import OutOfScope, Refused
from fupin.domain import idnumber
from fupin.feeds.models import FeedRecord
from fupin.jobs import services as jobs
from fupin.linkage import model
from fupin.linkage.models import Decision, DuplicateCandidate, LinkageRun, LinkCandidate, RunStatus
from fupin.pii.crypto import get_cipher
from fupin.registry.choices import MemberExit, Relation
from fupin.registry.models import Member
from fupin.registry.services import require_capability, require_capture


@dataclass(frozen=True)
class LinkSummary:
    records: int
    linked: int
    queued: int
    unmatched: int


def _decrypt(token: str) -> str | None:
    if not token:
        return None
    try:
        return get_cipher().decrypt(token)
    except Exception:  # a token from another key set: treat as no ID number
        return None


def _id_facts(number: str | None) -> tuple[dt.date | None, str | None]:
    """Birth date and sex read from an ID number, when it is well formed."""
    try:
        info = idnumber.parse(number or "")
    except idnumber.IdNumberError:
        return None, None
    return info.birth_date, info.sex


def people_frame(members: Any) -> pd.DataFrame:
    rows = members.values_list("pk", "name", "id_number_enc", "birth_date", "sex", "household__village__code")
    data = [
        {
            "unique_id": pk,
            "name": name,
            "id_number": _decrypt(enc),
            "birth_date": birth,
            "sex": sex,
            "village_code": village,
        }
        for pk, name, enc, birth, sex, village in rows
    ]
    return pd.DataFrame(data, columns=list(model.INPUT_COLUMNS))


def records_frame(records: Any) -> pd.DataFrame:
    data = []
    for pk, name, enc in records.values_list("pk", "name", "id_number_enc"):
        number = _decrypt(enc)
        birth, sex = _id_facts(number)
        data.append(
            {
                "unique_id": pk,
                "name": name,
                "id_number": number,
                "birth_date": birth,
                "sex": sex,
                "village_code": None,
            }
        )
    return pd.DataFrame(data, columns=list(model.INPUT_COLUMNS))


def _capture_members(actor: Any) -> Any:
    return scope.scoped(Member.objects.filter(exit_reason=""), actor, "capture")


def _link(record: FeedRecord, member: Member) -> None:
    record.member = member
    record.household = member.household
    record.save(update_fields=["member", "household"])


def start_linkage(*, actor: Any) -> LinkageRun:
    """Queue a matching of the unlinked department records in the actor's capture scope for the worker
    (a county's records take longer than a page may wait); one at a time per person."""
    require_capability(actor, Capability.EDIT_RECORDS)
    with transaction.atomic():
        if LinkageRun.objects.filter(
            started_by=actor, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        ).exists():
            raise Refused(_("Your matching is still under way: wait for it to finish."))
        run = LinkageRun.objects.create(started_by=actor)
        jobs.enqueue("linkage", run_id=run.pk)
    run.refresh_from_db()  # finished already when jobs are carried out at once
    return run


def carry_out(run: LinkageRun) -> LinkSummary:
    """The queued run, by the worker: its counts are written with its links, in one transaction."""
    LinkageRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    return link_unlinked_records(actor=run.started_by, run=run)


def link_unlinked_records(
    *, actor: Any, batch_id: int | None = None, run: LinkageRun | None = None
) -> LinkSummary:
    """Link the unlinked department records (of one batch, or all) to members in capture scope."""
    require_capability(actor, Capability.EDIT_RECORDS)
    records = FeedRecord.objects.filter(member__isnull=True)
    if batch_id is not None:
        records = records.filter(batch_id=batch_id)
    result = model.link_records(records_frame(records), people_frame(_capture_members(actor)))
    now = timezone.now()
    with transaction.atomic():
        members = Member.objects.in_bulk(
            [*result.accepted["person_id"].tolist(), *result.review["person_id"].tolist()]
        )
        feed = FeedRecord.objects.in_bulk(result.accepted["record_id"].tolist())
        for record_id, person_id in zip(
            result.accepted["record_id"], result.accepted["person_id"], strict=True
        ):
            _link(feed[int(record_id)], members[int(person_id)])
        existing = set(LinkCandidate.objects.values_list("record_id", "member_id"))
        LinkCandidate.objects.bulk_create(
            [
                LinkCandidate(record_id=int(r), member_id=int(m), probability=float(p), created_at=now)
                for r, m, p in result.review.itertuples(index=False)
                if (int(r), int(m)) not in existing
            ]
        )
        summary = LinkSummary(
            records=records.count() + len(result.accepted),
            linked=len(result.accepted),
            queued=result.review["record_id"].nunique(),
            unmatched=len(result.unmatched),
        )
        audit.record(
            actor=actor,
            action="linkage.run",
            object_type="feeds.FeedRecord",
            summary=f"linked {summary.linked}, queued {summary.queued}, unmatched {summary.unmatched}",
            changes={"batch": batch_id, **summary.__dict__},
        )
        if run is not None:
            LinkageRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FINISHED, finished_at=timezone.now(), **summary.__dict__
            )
    return summary


def _candidate_in_capture(actor: Any, candidate_id: int) -> LinkCandidate:
    candidate = (
        scope.scoped(LinkCandidate.objects.all(), actor, "view")
        .select_related("record", "member__household__village")
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None:
        raise OutOfScope()
    return candidate


def decide_link(*, actor: Any, candidate_id: int, accept: bool) -> LinkCandidate:
    """Accept (link the record to the member, reject its other candidates) or reject a candidate."""
    candidate = _candidate_in_capture(actor, candidate_id)
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, candidate.member.household.village.path)
    if candidate.status != Decision.PENDING:
        raise Refused(_("This candidate has already been decided."))
    with transaction.atomic():
        record = FeedRecord.objects.select_for_update().get(pk=candidate.record_id)
        if accept and record.member_id is not None:
            raise Refused(_("This record is already linked to a person."))
        now = timezone.now()
        candidate.status = Decision.ACCEPTED if accept else Decision.REJECTED
        candidate.decided_by, candidate.decided_at = actor, now
        candidate.save(update_fields=["status", "decided_by", "decided_at"])
        if accept:
            _link(record, candidate.member)
            LinkCandidate.objects.filter(record=record, status=Decision.PENDING).update(
                status=Decision.REJECTED, decided_by=actor, decided_at=now
            )
        audit.record(
            actor=actor,
            action="linkage.accept" if accept else "linkage.reject",
            object_type="feeds.FeedRecord",
            object_id=record.pk,
            area_code=candidate.member.household.village.code,
            summary=f"record {record.pk} {'linked to' if accept else 'not'} member {candidate.member_id}",
            changes={"member": candidate.member_id, "probability": round(candidate.probability, 4)},
        )
    return candidate


# ----------------------------------------------------------------------------- duplicates


def find_duplicates(*, actor: Any) -> int:
    """Queue the pairs of current members (different households, in capture scope) that may be one person."""
    require_capability(actor, Capability.EDIT_RECORDS)
    members = _capture_members(actor)
    household = dict(members.values_list("pk", "household_id"))
    pairs = model.find_duplicates(people_frame(members))
    existing = set(DuplicateCandidate.objects.values_list("first_id", "second_id"))
    new = [
        DuplicateCandidate(first_id=int(a), second_id=int(b), probability=float(p))
        for a, b, p in pairs.itertuples(index=False)
        if household.get(int(a)) != household.get(int(b)) and (int(a), int(b)) not in existing
    ]
    with transaction.atomic():
        DuplicateCandidate.objects.bulk_create(new)
        audit.record(
            actor=actor,
            action="linkage.duplicates_found",
            object_type="registry.Member",
            summary=f"{len(new)} possible duplicates queued",
            changes={"queued": len(new), "compared_members": len(household)},
        )
    return len(new)


def _duplicate_in_capture(actor: Any, candidate_id: int) -> DuplicateCandidate:
    candidate = (
        scope.scoped(DuplicateCandidate.objects.all(), actor, "view")
        .select_related("first__household__village", "second__household__village")
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None:
        raise OutOfScope()
    require_capability(actor, Capability.EDIT_RECORDS)
    for member in (candidate.first, candidate.second):
        require_capture(actor, member.household.village.path)
    if candidate.status != Decision.PENDING:
        raise Refused(_("This pair has already been decided."))
    return candidate


def merge_duplicate(*, actor: Any, candidate_id: int, keep_id: int) -> DuplicateCandidate:
    """Keep ``keep_id`` (one of the pair); the other leaves its household ("other", today). Audited."""
    candidate = _duplicate_in_capture(actor, candidate_id)
    if keep_id not in (candidate.first_id, candidate.second_id):
        raise Refused(_("Keep one of the two members of the pair."))
    with transaction.atomic():
        kept = Member.objects.select_for_update().get(pk=keep_id)
        other_id = candidate.second_id if keep_id == candidate.first_id else candidate.first_id
        retired = Member.objects.select_for_update().select_related("household").get(pk=other_id)
        if retired.exit_reason:
            raise Refused(_("This member has already left the household."))
        if retired.relation == Relation.HEAD:
            raise Refused(
                _("The member to retire is the head of a household: keep that one, or change the head first.")
            )
        today = timezone.localdate()
        retired.exit_reason, retired.exit_date = MemberExit.OTHER, today
        retired.version += 1
        retired.save(update_fields=["exit_reason", "exit_date", "version", "updated_at"])
        candidate.status, candidate.kept = Decision.ACCEPTED, kept
        candidate.decided_by, candidate.decided_at = actor, timezone.now()
        candidate.save(update_fields=["status", "kept", "decided_by", "decided_at"])
        audit.record(
            actor=actor,
            action="linkage.merge",
            object_type="registry.Member",
            object_id=retired.pk,
            area_code=retired.household.village.code,
            summary=f"member {retired.pk} merged into member {kept.pk} (duplicate)",
            changes={
                "kept": kept.pk,
                "exit_reason": ["", MemberExit.OTHER.value],
                "exit_date": [None, today.isoformat()],
                "duplicate_candidate": candidate.pk,
            },
        )
    return candidate


def reject_duplicate(*, actor: Any, candidate_id: int) -> DuplicateCandidate:
    candidate = _duplicate_in_capture(actor, candidate_id)
    with transaction.atomic():
        candidate.status = Decision.REJECTED
        candidate.decided_by, candidate.decided_at = actor, timezone.now()
        candidate.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            actor=actor,
            action="linkage.not_duplicate",
            object_type="registry.Member",
            object_id=candidate.first_id,
            area_code=candidate.first.household.village.code,
            summary=f"members {candidate.first_id} and {candidate.second_id} are different people",
            changes={"other": candidate.second_id},
        )
    return candidate
