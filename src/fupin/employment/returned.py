"""Returned migrant workers (返乡务工人员): each opens a follow-up task for the village with a deadline.

A returned worker is entered by a cadre or comes from the human-resources department's list (the feed
kind ``returned_migrant``: ``from_feeds`` turns each linked feed row into a task once, run by the worker
with every sweep and after an import). The deadline is the return date plus the pack's
``returned_follow_up_days``. The village records the help given (job information, a public-welfare
post, training, help to start a business, or new work found: then an employment record is written the
usual way, superseding the person's current one); the first follow-up closes the task. A task past its
deadline without a follow-up is overdue (``status``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, Message, add_error
from fupin.employment import services
from fupin.employment.models import FollowUp, HelpKind, ReturnedWorker, ReturnSource, Status
from fupin.employment.rules import rules_for
from fupin.registry.models import Member
from fupin.registry.services import require_capability, require_capture

OPEN, DUE, OVERDUE, DONE = "open", "due", "overdue", "done"
STATUS_LABELS: dict[str, Message] = {
    OPEN: _("Open"),
    DUE: _("Due today"),
    OVERDUE: _("Overdue"),
    DONE: _("Followed up"),
}


def status(task: ReturnedWorker, today: dt.date | None = None) -> str:
    today = today or clock.today()
    if task.followed_up_on is not None:
        return DONE
    if today > task.due_on:
        return OVERDUE
    if today == task.due_on:
        return DUE
    return OPEN


def due_date(member: Member, returned_on: dt.date) -> dt.date:
    days = rules_for(member.household.village.code[:6], returned_on).returned_follow_up_days
    return returned_on + dt.timedelta(days=days)


@transaction.atomic
def record_return(
    *, actor: Any, member: Member, returned_on: dt.date | None, reason: str = ""
) -> ReturnedWorker:
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, member.household.village.path)
    errors: Errors = {}
    if member.exit_reason:
        add_error(errors, "member", _("This person has left the household."))
    if returned_on is None:
        add_error(errors, "returned_on", _("Give the date of return."))
    elif returned_on > clock.today():
        add_error(errors, "returned_on", _("The date cannot be in the future."))
    if len(reason) > 100:
        add_error(errors, "reason", _("At most 100 characters, please."))
    if (
        returned_on is not None
        and ReturnedWorker.objects.filter(member=member, returned_on=returned_on).exists()
    ):
        add_error(errors, "returned_on", _("This return is already recorded."))
    if errors:
        raise InvalidInput(errors)
    assert returned_on is not None
    task = ReturnedWorker.objects.create(
        member=member,
        returned_on=returned_on,
        reason=reason.strip(),
        source=ReturnSource.BY_HAND,
        due_on=due_date(member, returned_on),
        recorded_by=actor,
    )
    _audit_task(actor, task)
    return task


def _audit_task(actor: Any, task: ReturnedWorker) -> None:
    audit.record(
        actor=actor,
        action="create",
        object_type="returned_worker",
        object_id=task.pk,
        area_code=task.member.household.village.code,
        summary=f"returned worker: member {task.member_id} of household {task.member.household.number}",
        changes={
            "returned_on": task.returned_on.isoformat(),
            "due_on": task.due_on.isoformat(),
            "source": task.source,
        },
    )


def from_feeds() -> int:
    """Open a task for every linked row of a returned-migrant feed that has none yet. Idempotent."""
    from fupin.feeds.kinds import FeedKind
    from fupin.feeds.models import FeedRecord

    taken = ReturnedWorker.objects.filter(feed_record__isnull=False).values("feed_record_id")
    rows = (
        FeedRecord.objects.filter(
            kind=FeedKind.RETURNED_MIGRANT, member__isnull=False, member__exit_reason=""
        )
        .exclude(pk__in=taken)
        .select_related("member__household__village")
        .order_by("pk")
    )
    opened = 0
    for row in rows[:5000]:
        member = row.member
        assert member is not None
        if ReturnedWorker.objects.filter(member=member, returned_on=row.event_date).exists():
            continue  # already entered by hand
        with transaction.atomic():
            task = ReturnedWorker.objects.create(
                member=member,
                returned_on=row.event_date,
                reason=(row.code or "")[:100],
                source=ReturnSource.FEED,
                feed_record=row,
                due_on=due_date(member, row.event_date),
            )
            _audit_task(None, task)
        opened += 1
    return opened


@transaction.atomic
def follow_up(
    *,
    actor: Any,
    task: ReturnedWorker,
    help_kind: str,
    note: str = "",
    job: services.RecordInput | None = None,
    expected_current: int | None = None,
) -> FollowUp:
    """Record the help given; ``new_job`` writes the person's new employment record (``job``) as well."""
    require_capability(actor, Capability.EDIT_RECORDS)
    member = task.member
    require_capture(actor, member.household.village.path)
    errors: Errors = {}
    if help_kind not in HelpKind.values:
        add_error(errors, "help_kind", _("Choose the help given from the list."))
    if len(note) > 300:
        add_error(errors, "note", _("At most 300 characters, please."))
    if help_kind == HelpKind.NEW_JOB and (job is None or job.status != Status.WORKING):
        add_error(
            errors, "status", _("Record the new work: status working, with its place, kind and income.")
        )
    if errors:
        raise InvalidInput(errors)
    record = None
    if help_kind == HelpKind.NEW_JOB:
        assert job is not None
        record = services.record_employment(
            actor=actor, member=member, data=job, expected_current=expected_current
        )
    today = clock.today()
    done = FollowUp.objects.create(
        returned=task,
        help_kind=help_kind,
        note=note.strip(),
        done_on=today,
        employment_record=record,
        recorded_by=actor,
    )
    if task.followed_up_on is None:
        task.followed_up_on = today
        task.save(update_fields=["followed_up_on"])
    audit.record(
        actor=actor,
        action="create",
        object_type="returned_worker_follow_up",
        object_id=done.pk,
        area_code=member.household.village.code,
        summary=f"follow-up of returned worker {task.pk}",
        changes={
            "help_kind": help_kind,
            "employment_record": record.pk if record else None,
            "late": today > task.due_on,
        },
    )
    return done
