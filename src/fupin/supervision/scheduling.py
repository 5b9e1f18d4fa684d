"""Scheduling reports (调度): the writes. A level issues a round of a form (``schedules``) to every area
of a level below it with a period and a deadline; each area fills its submission, the figures of the
system taken from the indicator tables of the round's month, the rest typed in; the level above
accepts it or returns it with a reason; a returned one is corrected and submitted again; those not in
by the deadline are reminded, in the application and by text, at most once a day.

Reads (the round's status table and its roll-up) are in ``selectors``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, OutOfScope, Refused, add_error
from fupin.registry.services import require_capability
from fupin.supervision import schedules
from fupin.supervision.models import ReportRound, ReportSubmission, SubmissionStatus

_PERIOD = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")
OPEN = (SubmissionStatus.PENDING, SubmissionStatus.RETURNED)


def _audit(actor: Any, action: str, kind: str, pk: int, area: Area, summary: str, **changes: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type=kind,
        object_id=pk,
        area_code=area.code,
        summary=summary,
        changes=changes,
    )


def _tell(users: list[Any], kind: str, submission: ReportSubmission) -> None:
    from fupin.cases import notify

    params = {
        "title": submission.round.title,
        "area": submission.area.name,
        "deadline": submission.round.deadline.isoformat(),
        "reason": submission.reason,
        "link": reverse("supervision:submission", args=[submission.pk]),
    }
    notify.send(users, kind, params)


def fillers_of(area: Area) -> list[Any]:
    """Who fills an area's report: active users who may, with a capture grant on the area itself."""
    from fupin.accounts.models import ScopeKind, User
    from fupin.accounts.roles import roles_with

    return list(
        User.objects.filter(
            is_active=True,
            role__in=roles_with(Capability.FILL_REPORTS),
            area_grants__kind=ScopeKind.CAPTURE,
            area_grants__area=area,
        ).distinct()
    )


@dataclass(frozen=True)
class RoundInput:
    form_code: str
    issuer_code: str
    filler_level: int | None
    period: str
    deadline: dt.date | None
    title: str = ""
    note: str = ""


@transaction.atomic
def issue_round(*, actor: Any, data: RoundInput) -> ReportRound:
    """Issue a round to every area of ``filler_level`` under the issuer's area; they are told at once."""
    require_capability(actor, Capability.ISSUE_REPORTS)
    errors: Errors = {}
    form = schedules.forms().get(data.form_code)
    if form is None:
        add_error(errors, "form_code", _("Choose a report form."))
    issuer = Area.objects.filter(code=data.issuer_code).first()
    if issuer is None or not scope.area_in_scope(actor, issuer.path):
        add_error(errors, "issuer", _("Choose an area of yours to issue from."))
    level = data.filler_level
    if level is None or level not in AreaLevel.values or (issuer is not None and level <= issuer.level):
        add_error(errors, "filler_level", _("Choose a level below the issuing area."))
    if not _PERIOD.match(data.period or ""):
        add_error(errors, "period", _("Give the month the figures are for, as YYYY-MM."))
    today = clock.today()
    if data.deadline is None:
        add_error(errors, "deadline", _("Set the deadline."))
    elif data.deadline < today:
        add_error(errors, "deadline", _("The deadline cannot be in the past."))
    from fupin.supervision.services import has_identifiers

    title = data.title.strip()
    if len(title) > 100:
        add_error(errors, "title", _("Keep the title under 100 characters."))
    for field, text in (("title", title), ("note", data.note)):
        if has_identifiers(text):  # both reach every filler, the title by text message
            add_error(errors, field, _("Leave ID numbers and phone numbers out: link the household instead."))
    if len(data.note) > 500:
        add_error(errors, "note", _("Keep the note under 500 characters."))
    targets: list[Area] = []
    if issuer is not None and level in AreaLevel.values and level > issuer.level:
        targets = list(Area.objects.filter(path__startswith=issuer.path, level=level).order_by("code"))
        if not targets:
            add_error(errors, "filler_level", _("There is no area of that level under the issuing area."))
    if errors:
        raise InvalidInput(errors)
    assert form is not None and issuer is not None and data.deadline is not None and level is not None
    issued = ReportRound.objects.create(
        form_code=form.code,
        title=title or f"{form.name_zh} {data.period}",
        fields=[f.as_data() for f in form.fields],
        issuer_area=issuer,
        filler_level=level,
        period=data.period,
        deadline=data.deadline,
        note=data.note.strip(),
        issued_by=actor,
    )
    ReportSubmission.objects.bulk_create(ReportSubmission(round=issued, area=area) for area in targets)
    _audit(
        actor,
        "create",
        "report_round",
        issued.pk,
        issuer,
        f"scheduling report issued to {len(targets)} areas",
        form=form.code,
        period=data.period,
        deadline=data.deadline,
    )

    def tell_all() -> None:
        for submission in issued.submissions.select_related("area", "round"):
            _tell(fillers_of(submission.area), "report_issued", submission)

    transaction.on_commit(tell_all)
    return issued


def system_figures(submission: ReportSubmission) -> dict[str, str]:
    """The figures the system holds for the area and the round's month (field code → value).

    From the month's reported indicator build (the current build if it is that month's); a field whose
    indicator the build lacks is left out, and the page says the figure is missing.
    """
    from fupin.indicators import selectors as indicators

    build = indicators.build_of_month(submission.round.period) or indicators.current_build()
    if build is None:
        return {}
    figures = indicators.figures(build, submission.area.code)
    if figures is None:
        return {}
    found: dict[str, str] = {}
    for field in schedules.fields_of(submission.round.fields):
        if (
            field.indicator
            and field.indicator in figures.values
            and figures.values[field.indicator] is not None
        ):
            value = figures.values[field.indicator]
            found[field.code] = str(value)
    return found


def _locked(submission: ReportSubmission) -> ReportSubmission:
    fresh = ReportSubmission.objects.select_for_update().select_related("round", "area").get(pk=submission.pk)
    fresh.version += 1
    return fresh


@transaction.atomic
def save(
    *, actor: Any, submission: ReportSubmission, typed: dict[str, Any], submit: bool
) -> ReportSubmission:
    """Keep what the area typed (a draft), or submit it: every problem of every field said at once.

    The figures from the system are taken afresh on submitting and cannot be typed over.
    """
    require_capability(actor, Capability.FILL_REPORTS)
    if not scope.area_in_scope(actor, submission.area.path, "capture"):
        raise OutOfScope()
    submission = _locked(submission)
    if submission.status not in OPEN:
        raise Refused(_("This report was submitted already; it is changed only when it is returned."))
    errors: Errors = {}
    values: dict[str, str] = dict(submission.values)
    for field in schedules.fields_of(submission.round.fields):
        if field.from_system:
            continue
        kept, problem = field.check(typed.get(field.code))
        if problem and (submit or kept):  # a draft may leave a required field empty, never a bad one
            add_error(errors, field.code, problem)
        values[field.code] = kept
    if errors:
        raise InvalidInput(errors)
    if submit:
        values.update(system_figures(submission))
        submission.status = SubmissionStatus.SUBMITTED
        submission.submitted_by = actor
        submission.submitted_at = timezone.now()
        submission.submitted_on = clock.today()
        submission.reason = ""
    submission.values = values
    submission.save()
    _audit(
        actor,
        "update",
        "report_submission",
        submission.pk,
        submission.area,
        "scheduling report submitted" if submit else "scheduling report draft kept",
        late=submit
        and submission.submitted_on is not None
        and submission.submitted_on > submission.round.deadline,
    )
    return submission


def _decide(actor: Any, submission: ReportSubmission) -> ReportSubmission:
    require_capability(actor, Capability.ISSUE_REPORTS)
    if not scope.area_in_scope(actor, submission.round.issuer_area.path):
        raise OutOfScope()
    submission = _locked(submission)
    if submission.status != SubmissionStatus.SUBMITTED:
        raise Refused(_("Only a submitted report is accepted or returned."))
    if submission.submitted_by_id == actor.pk:
        raise Refused(_("Someone other than the person who submitted it decides on it."))
    return submission


@transaction.atomic
def accept(*, actor: Any, submission: ReportSubmission) -> ReportSubmission:
    submission = _decide(actor, submission)
    submission.status = SubmissionStatus.ACCEPTED
    submission.decided_by, submission.decided_at = actor, timezone.now()
    submission.save()
    _audit(actor, "update", "report_submission", submission.pk, submission.area, "scheduling report accepted")
    return submission


@transaction.atomic
def return_for_correction(*, actor: Any, submission: ReportSubmission, reason: str) -> ReportSubmission:
    from fupin.supervision.services import has_identifiers

    text = reason.strip()
    if not text:
        raise InvalidInput({"reason": [_("Say why it is returned: what to correct.")]})
    if len(text) > 500:
        raise InvalidInput({"reason": [_("Keep the reason under 500 characters.")]})
    if has_identifiers(text):  # the reason goes to the area by text message
        raise InvalidInput(
            {"reason": [_("Leave ID numbers and phone numbers out: link the household instead.")]}
        )
    submission = _decide(actor, submission)
    submission.status = SubmissionStatus.RETURNED
    submission.decided_by, submission.decided_at = actor, timezone.now()
    submission.reason = text
    submission.save()
    _audit(actor, "update", "report_submission", submission.pk, submission.area, "scheduling report returned")
    transaction.on_commit(lambda: _tell(fillers_of(submission.area), "report_returned", submission))
    return submission


def _later(people: list[Any], kind: str, submission: ReportSubmission) -> Any:
    return lambda: _tell(people, kind, submission)


def send_due_reminders(today: dt.date | None = None, *, round_id: int | None = None) -> int:
    """Remind the areas whose report is not in: from the day before the deadline, once a day.

    Called by the worker's sweep (every few seconds: cheap when nothing is due) and by the issuer's
    "remind now" button (``round_id``). Returns how many areas were reminded.
    """
    day = today or clock.today()
    due = ReportSubmission.objects.filter(status__in=OPEN, round__deadline__lte=day + dt.timedelta(days=1))
    if round_id is not None:
        due = ReportSubmission.objects.filter(status__in=OPEN, round_id=round_id)
    due = due.exclude(reminded_on=day).select_related("round", "area")
    reminded = 0
    for submission in due:
        with transaction.atomic():
            claimed = ReportSubmission.objects.filter(pk=submission.pk).exclude(reminded_on=day)
            if not claimed.update(reminded_on=day, reminders=F("reminders") + 1):
                continue  # another worker reminded it just now
            kind = "report_overdue" if submission.round.deadline < day else "report_due"
            people = fillers_of(submission.area)
            transaction.on_commit(_later(people, kind, submission))
            reminded += 1
    return reminded


@transaction.atomic
def remind_now(*, actor: Any, round: ReportRound) -> int:
    require_capability(actor, Capability.ISSUE_REPORTS)
    if not scope.area_in_scope(actor, round.issuer_area.path):
        raise OutOfScope()
    count = send_due_reminders(round_id=round.pk)
    _audit(actor, "update", "report_round", round.pk, round.issuer_area, f"{count} areas reminded")
    return count
