"""Writes of supervision: record a problem, assign tasks, report a rectification with evidence, accept
or return it, reopen a closed problem. Every step checks the role and the capture scope on the server,
locks the problem's row, and is audited.

The rules the state machine test (tests/test_supervision_lifecycle.py) holds to:

- a problem closes only by the acceptance of a rectification that has at least one evidence file, by
  a person other than the one who reported the rectification;
- a rectification is reported only for an open problem that has a task (someone is responsible) and is
  not already waiting for acceptance; a returned or reopened problem needs a new one;
- rejecting and reopening need a reason; reopening applies to a closed problem only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.audit import services as audit
from fupin.core import clock, uploads
from fupin.core.errors import Errors, InvalidInput, OutOfScope, Refused, add_error
from fupin.domain.free_text import has_identifiers
from fupin.registry.models import Household
from fupin.registry.services import require_capability
from fupin.supervision import selectors
from fupin.supervision.models import (
    Decision,
    EventKind,
    Evidence,
    InspectedHousehold,
    Inspection,
    Kind,
    Problem,
    ProblemEvent,
    Rectification,
    Severity,
    SituationKind,
    SituationReport,
    SituationUpdate,
    Source,
    Status,
    Task,
)

EVIDENCE_TYPES = (uploads.PDF, uploads.JPEG, uploads.PNG)
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 10


def _no_identifiers(errors: Errors, field: str, text: str) -> None:
    if has_identifiers(text):
        add_error(
            errors,
            field,
            _("Leave ID numbers and phone numbers out: link the household instead."),
        )


def _require_capture(actor: Any, area_path: str) -> None:
    if not scope.area_in_scope(actor, area_path, "capture"):
        raise OutOfScope()


def _event(problem: Problem, kind: str, actor: Any, reason: str = "") -> None:
    ProblemEvent.objects.create(problem=problem, kind=kind, actor=actor, reason=reason[:500])


def _audit(actor: Any, action: str, problem: Problem, summary: str, **changes: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type="supervision_problem",
        object_id=problem.pk,
        area_code=problem.area.code,
        summary=summary,
        changes=changes,
    )


def _locked(problem: Problem) -> Problem:
    """The problem's row, locked and current (two cadres acting at once see each other's step)."""
    fresh = Problem.objects.select_for_update().select_related("area").get(pk=problem.pk)
    fresh.version += 1
    return fresh


# ---------------------------------------------------------------- recording


@dataclass(frozen=True)
class ProblemInput:
    source: str
    area_code: str
    kind: str
    severity: str
    description: str
    found_on: dt.date | None = None
    deadline: dt.date | None = None
    lead_unit: str = ""
    household_id: int | None = None
    inspection_id: int | None = None  # a finding of this inspection's team


def _validate(actor: Any, data: ProblemInput) -> tuple[Area, Household | None, Errors]:
    errors: Errors = {}
    if data.source not in Source.values:
        add_error(errors, "source", _("Choose where the problem was found."))
    if data.kind not in Kind.values:
        add_error(errors, "kind", _("Choose the kind of problem."))
    if data.severity not in Severity.values:
        add_error(errors, "severity", _("Choose how serious the problem is."))
    description = data.description.strip()
    if not description:
        add_error(errors, "description", _("Describe the problem."))
    elif len(description) > 1000:
        add_error(errors, "description", _("Keep the description under 1,000 characters."))
    _no_identifiers(errors, "description", description)
    if len(data.lead_unit) > 100:
        add_error(errors, "lead_unit", _("Keep the unit's name under 100 characters."))
    today = clock.today()
    found_on = data.found_on or today
    if found_on > today:
        add_error(errors, "found_on", _("The day it was found cannot be in the future."))
    if data.deadline is not None and data.deadline < found_on:
        add_error(errors, "deadline", _("The deadline cannot be before the day the problem was found."))
    area = Area.objects.filter(code=data.area_code).first()
    household = None
    if data.household_id is not None:
        household = (
            scope.scoped(Household.objects.select_related("village"), actor, "capture")
            .filter(pk=data.household_id)
            .first()
        )
        if household is None:
            add_error(errors, "household", _("No such household in the area you keep records for."))
        elif area is None:
            area = household.village
        elif not household.village.path.startswith(area.path):
            add_error(errors, "household", _("The household is not in the problem's area."))
    if area is None or not scope.area_in_scope(actor, area.path, "capture"):
        add_error(errors, "area", _("Choose an area you keep records for."))
    if data.inspection_id is not None:
        found = (
            selectors.visible_inspections(actor).select_related("area").filter(pk=data.inspection_id).first()
        )
        if found is None:
            add_error(errors, "inspection", _("No such inspection in your area."))
        elif area is not None and not area.path.startswith(found.area.path):
            add_error(errors, "area", _("A finding of an inspection lies in the inspected area."))
    return area, household, errors  # type: ignore[return-value]


@transaction.atomic
def record_problem(
    *, actor: Any, data: ProblemInput, check_code: str = "", check_values: Mapping[str, Any] | None = None
) -> Problem:
    """Put a problem on the area's list (待整改)."""
    require_capability(actor, Capability.RECORD_PROBLEMS)
    area, household, errors = _validate(actor, data)
    if errors:
        raise InvalidInput(errors)
    problem = Problem.objects.create(
        source=data.source,
        inspection_id=data.inspection_id,
        area=area,
        household=household,
        kind=data.kind,
        severity=data.severity,
        description=data.description.strip(),
        found_on=data.found_on or clock.today(),
        deadline=data.deadline,
        lead_unit=data.lead_unit.strip(),
        check_code=check_code,
        check_values=dict(check_values or {}),
        recorded_by=actor,
    )
    _event(problem, EventKind.RECORDED, actor)
    _audit(
        actor,
        "create",
        problem,
        f"problem recorded ({data.source}, {data.severity})",
        source=data.source,
        kind=data.kind,
        severity=data.severity,
        household_id=household.pk if household else None,
        deadline=data.deadline,
        check_code=check_code,
    )
    return problem


def problem_from_check_failure(
    actor: Any,
    check_code: str,
    household: Household,
    values: Mapping[str, Any],
    *,
    deadline: dt.date | None = None,
) -> Problem:
    """A household failing a data check, put on its village's problem list in one step.

    ``values`` is what the check showed for the household (field → value); identifiers are refused.
    An open problem of the same check and household is returned instead of a second one, so a second
    click (or a second clerk) does not double the list.
    """
    from fupin.supervision import checks_link

    require_capability(actor, Capability.RECORD_PROBLEMS)
    if not scope.scoped(Household.objects.filter(pk=household.pk), actor, "capture").exists():
        raise OutOfScope()
    errors: Errors = {}
    check = checks_link.describe(check_code)
    if check is None:
        add_error(errors, "check", _("No such data check."))
    clean: dict[str, str] = {}
    for key, value in dict(values).items():
        text = "" if value is None else str(value)
        clean[str(key)[:60]] = text[:200]
        _no_identifiers(errors, "values", text)
    if len(clean) > 20:
        add_error(errors, "values", _("Give at most 20 values of the check."))
    if errors:
        raise InvalidInput(errors)
    assert check is not None
    with transaction.atomic():
        existing = (
            Problem.objects.select_for_update()
            .filter(check_code=check_code, household=household)
            .exclude(status=Status.CLOSED)
            .first()
        )
        if existing is not None:
            return existing
        detail = "; ".join(f"{k}: {v}" for k, v in clean.items())
        description = str(check.title) + (f" ({detail})" if detail else "")
        return record_problem(
            actor=actor,
            data=ProblemInput(
                source=Source.DATA_CHECK,
                area_code=household.village.code,
                kind=Kind.DATA_QUALITY,
                severity=Severity.SERIOUS if check.severity == "error" else Severity.GENERAL,
                description=description[:1000],
                deadline=deadline,
                household_id=household.pk,
            ),
            check_code=check_code,
            check_values=clean,
        )


# ---------------------------------------------------------------- inspections

INSPECTION_SOURCES = (Source.INSPECTION, Source.UNANNOUNCED_VISIT, Source.ASSESSMENT)
MAX_SAMPLE = 500


@dataclass(frozen=True)
class InspectionInput:
    source: str
    title: str
    area_code: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    team: str
    sample_size: int | None
    seed: int | None = None  # None: a fresh one (kept with the plan, so the draw can be repeated)


@transaction.atomic
def plan_inspection(*, actor: Any, data: InspectionInput) -> Inspection:
    """An inspection of an area with its team, and the households drawn at random for it to visit."""
    import secrets

    from fupin.engine import sampling

    require_capability(actor, Capability.RECORD_PROBLEMS)
    errors: Errors = {}
    if data.source not in INSPECTION_SOURCES:
        add_error(errors, "source", _("Choose an inspection, an unannounced visit or an assessment."))
    title, team = data.title.strip(), data.team.strip()
    if not title:
        add_error(errors, "title", _("Give the inspection a title."))
    elif len(title) > 100:
        add_error(errors, "title", _("Keep the title under 100 characters."))
    if not team:
        add_error(errors, "team", _("Name the team: its leader and members with their units."))
    elif len(team) > 1000:
        add_error(errors, "team", _("Keep the team under 1,000 characters."))
    _no_identifiers(errors, "team", team)
    if data.starts_on is None:
        add_error(errors, "starts_on", _("Give the first day."))
    if data.ends_on is None:
        add_error(errors, "ends_on", _("Give the last day."))
    elif data.starts_on is not None and data.ends_on < data.starts_on:
        add_error(errors, "ends_on", _("The last day cannot be before the first."))
    if data.sample_size is None or not 1 <= data.sample_size <= MAX_SAMPLE:
        add_error(
            errors,
            "sample_size",
            _("Draw between 1 and %(most)s households to visit.") % {"most": MAX_SAMPLE},
        )
    if data.seed is not None and not 0 <= data.seed < 2**53:
        add_error(errors, "seed", _("The seed is a whole number from 0 to 9,007,199,254,740,991."))
    area = Area.objects.filter(code=data.area_code).first()
    if area is None or not scope.area_in_scope(actor, area.path, "capture"):
        add_error(errors, "area", _("Choose an area you keep records for."))
    if errors:
        raise InvalidInput(errors)
    assert area is not None and data.sample_size is not None
    assert data.starts_on is not None and data.ends_on is not None
    seed = data.seed if data.seed is not None else secrets.randbelow(2**31)
    frame = selectors.sampling_frame(area)
    if not frame:
        raise InvalidInput({"area": [_("The area has no household to visit.")]})
    drawn = sampling.draw(frame, data.sample_size, seed)
    inspection = Inspection.objects.create(
        source=data.source,
        title=title,
        area=area,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        team=team,
        sample_size=data.sample_size,
        seed=seed,
        population=len(frame),
        created_by=actor,
    )
    InspectedHousehold.objects.bulk_create(
        InspectedHousehold(inspection=inspection, household_id=pk, stratum=stratum, draw_order=n)
        for stratum, ids in drawn.items()
        for n, pk in enumerate(ids, start=1)
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="supervision_inspection",
        object_id=inspection.pk,
        area_code=area.code,
        summary=f"inspection planned ({data.source}), {sum(map(len, drawn.values()))} households drawn",
        changes={"seed": seed, "sample_size": data.sample_size, "population": len(frame)},
    )
    return inspection


@transaction.atomic
def mark_visited(*, actor: Any, visit: InspectedHousehold, visited_on: dt.date | None) -> None:
    """The team was at the household (or, with no day, the mark is taken back)."""
    require_capability(actor, Capability.RECORD_PROBLEMS)
    _require_capture(actor, visit.inspection.area.path)
    inspection = visit.inspection
    last_day = min(inspection.ends_on, clock.today())
    if visited_on is not None and not inspection.starts_on <= visited_on <= last_day:
        raise InvalidInput(
            {"visited_on": [_("The day of the visit lies within the inspection and not in the future.")]}
        )
    visit.visited_on = visited_on
    visit.save(update_fields=["visited_on"])
    audit.record(
        actor=actor,
        action="update",
        object_type="supervision_inspection",
        object_id=inspection.pk,
        area_code=inspection.area.code,
        summary="household visited" if visited_on else "visit mark taken back",
        changes={"household_id": visit.household_id, "visited_on": visited_on},
    )


# ---------------------------------------------------------------- tasks


@transaction.atomic
def add_task(
    *,
    actor: Any,
    problem: Problem,
    responsible_unit: str,
    responsible_person: str,
    deadline: dt.date | None,
    measures: str,
) -> Task:
    """A line of the task and responsibility list; the problem's deadline is set by its first task."""
    require_capability(actor, Capability.RECORD_PROBLEMS)
    _require_capture(actor, problem.area.path)
    problem = _locked(problem)
    if problem.status in (Status.CLOSED, Status.AWAITING_ACCEPTANCE):
        raise Refused(_("Tasks are assigned while the problem is being rectified, not after."))
    errors: Errors = {}
    unit, person, text = responsible_unit.strip(), responsible_person.strip(), measures.strip()
    if not unit:
        add_error(errors, "responsible_unit", _("Name the responsible unit."))
    if not person:
        add_error(errors, "responsible_person", _("Name the person responsible."))
    if len(unit) > 100:
        add_error(errors, "responsible_unit", _("Keep the unit's name under 100 characters."))
    if len(person) > 50:
        add_error(errors, "responsible_person", _("Keep the name under 50 characters."))
    if not text:
        add_error(errors, "measures", _("Say which measures fix the problem."))
    _no_identifiers(errors, "measures", text)
    if deadline is None:
        add_error(errors, "deadline", _("Set the deadline."))
    elif deadline < problem.found_on:
        add_error(errors, "deadline", _("The deadline cannot be before the day the problem was found."))
    if errors:
        raise InvalidInput(errors)
    assert deadline is not None
    task = Task.objects.create(
        problem=problem,
        responsible_unit=unit,
        responsible_person=person,
        deadline=deadline,
        measures=text,
        created_by=actor,
    )
    if problem.deadline is None:
        problem.deadline = deadline
    if problem.status == Status.PENDING:
        problem.status = Status.IN_PROGRESS
    problem.save(update_fields=["deadline", "status", "version"])
    _event(problem, EventKind.TASK, actor)
    _audit(actor, "update", problem, f"task assigned to {unit}", task_id=task.pk, deadline=deadline)
    return task


# ---------------------------------------------------------------- rectification


def rectify(
    *,
    actor: Any,
    problem: Problem,
    description: str,
    done_on: dt.date | None,
    files: Sequence[File],
) -> Rectification:
    """Report the fix with its evidence (at least one PDF, JPEG or PNG): the problem waits for acceptance.

    All or nothing: a refused file refuses the whole report, and files stored before a later failure
    are removed again.
    """
    require_capability(actor, Capability.RECTIFY_PROBLEMS)
    _require_capture(actor, problem.area.path)
    errors: Errors = {}
    text = description.strip()
    if not text:
        add_error(errors, "description", _("Say what was done."))
    elif len(text) > 1000:
        add_error(errors, "description", _("Keep the description under 1,000 characters."))
    _no_identifiers(errors, "description", text)
    today = clock.today()
    if done_on is None:
        add_error(errors, "done_on", _("Give the day the fix was done."))
    elif done_on > today:
        add_error(errors, "done_on", _("The day of the fix cannot be in the future."))
    if not files:
        add_error(errors, "files", _("Attach at least one evidence file: a photo or a scanned document."))
    if len(files) > EVIDENCE_MAX_FILES:
        add_error(errors, "files", _("Attach at most 10 files."))
    for upload in files:
        for message in uploads.problems(upload, allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES):
            name = str(getattr(upload, "name", "") or "")[-60:]
            add_error(errors, "files", f"{name}: {message}" if name else message)
    if errors:
        raise InvalidInput(errors)
    assert done_on is not None
    checked = [uploads.check(u, allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES) for u in files]
    stored: list[str] = []
    try:
        with transaction.atomic():
            problem = _locked(problem)
            if problem.status == Status.CLOSED:
                raise Refused(_("The problem is closed. Reopen it first if the fault shows again."))
            if problem.status == Status.AWAITING_ACCEPTANCE:
                raise Refused(_("A rectification of this problem is already waiting for acceptance."))
            if not problem.tasks.exists():
                raise Refused(_("Assign the task first: someone must be responsible for the fix."))
            rectification = Rectification.objects.create(
                problem=problem, description=text, done_on=done_on, recorded_by=actor
            )
            for item in checked:
                name = uploads.store(item, f"supervision/{problem.pk}")
                stored.append(name)
                Evidence.objects.create(
                    rectification=rectification,
                    file=name,
                    content_type=item.content_type,
                    size=item.size,
                    sha256=item.sha256,
                    original_name=item.original_name,
                    uploaded_by=actor,
                )
            problem.status = Status.AWAITING_ACCEPTANCE
            problem.save(update_fields=["status", "version"])
            _event(problem, EventKind.RECTIFIED, actor)
            _audit(
                actor,
                "update",
                problem,
                f"rectification reported with {len(checked)} files",
                rectification_id=rectification.pk,
                files=len(checked),
            )
    except Exception:
        uploads.remove(stored)
        raise
    return rectification


def _waiting(problem: Problem) -> Rectification:
    rectification = problem.rectifications.filter(decision=Decision.WAITING).order_by("-id").first()
    if problem.status != Status.AWAITING_ACCEPTANCE or rectification is None:
        raise Refused(_("No rectification of this problem is waiting for acceptance."))
    return rectification


def _require_second_person(actor: Any, rectification: Rectification) -> None:
    if rectification.recorded_by_id == actor.pk:
        raise Refused(_("You reported this rectification: another person accepts or returns it."))


@transaction.atomic
def accept(*, actor: Any, problem: Problem) -> Problem:
    """The second person's acceptance: the problem is closed (销号)."""
    require_capability(actor, Capability.ACCEPT_RECTIFICATIONS)
    _require_capture(actor, problem.area.path)
    problem = _locked(problem)
    rectification = _waiting(problem)
    _require_second_person(actor, rectification)
    if not rectification.evidence.exists():
        raise Refused(_("The rectification has no evidence file: return it."))
    if _check_still_fails(problem):
        raise Refused(_("The data check still fails for this household: the fault is not fixed. Return it."))
    rectification.decision = Decision.ACCEPTED
    rectification.decided_by = actor
    rectification.decided_at = timezone.now()
    rectification.save(update_fields=["decision", "decided_by", "decided_at"])
    problem.status = Status.CLOSED
    problem.closed_on = clock.today()
    problem.save(update_fields=["status", "closed_on", "version"])
    _event(problem, EventKind.ACCEPTED, actor)
    _audit(
        actor, "update", problem, "rectification accepted, problem closed", rectification_id=rectification.pk
    )
    return problem


def _reason(reason: str) -> str:
    text = reason.strip()
    errors: Errors = {}
    if not text:
        add_error(errors, "reason", _("Give the reason."))
    elif len(text) > 500:
        add_error(errors, "reason", _("Keep the reason under 500 characters."))
    _no_identifiers(errors, "reason", text)
    if errors:
        raise InvalidInput(errors)
    return text


@transaction.atomic
def reject(*, actor: Any, problem: Problem, reason: str) -> Problem:
    """The rectification is not enough: the problem goes back (退回) with the reason."""
    require_capability(actor, Capability.ACCEPT_RECTIFICATIONS)
    _require_capture(actor, problem.area.path)
    text = _reason(reason)
    problem = _locked(problem)
    rectification = _waiting(problem)
    _require_second_person(actor, rectification)
    rectification.decision = Decision.REJECTED
    rectification.decided_by = actor
    rectification.decided_at = timezone.now()
    rectification.reason = text
    rectification.save(update_fields=["decision", "decided_by", "decided_at", "reason"])
    problem.status = Status.RETURNED
    problem.save(update_fields=["status", "version"])
    _event(problem, EventKind.REJECTED, actor, text)
    _audit(actor, "update", problem, "rectification returned", rectification_id=rectification.pk)
    return problem


@transaction.atomic
def reopen(*, actor: Any, problem: Problem, reason: str) -> Problem:
    """A closed problem whose fault shows again (the check still fails): open again, a new fix needed."""
    require_capability(actor, Capability.ACCEPT_RECTIFICATIONS)
    _require_capture(actor, problem.area.path)
    text = _reason(reason)
    problem = _locked(problem)
    if problem.status != Status.CLOSED:
        raise Refused(_("Only a closed problem is reopened."))
    problem.status = Status.IN_PROGRESS
    problem.closed_on = None
    problem.reopened += 1
    problem.save(update_fields=["status", "closed_on", "reopened", "version"])
    _event(problem, EventKind.REOPENED, actor, text)
    _audit(actor, "update", problem, "problem reopened", reopened=problem.reopened)
    return problem


def _check_still_fails(problem: Problem) -> bool:
    """Whether a problem from a data check still shows in the check (never for other problems)."""
    from fupin.supervision import checks_link

    if not problem.check_code or problem.household_id is None:
        return False
    household = Household.objects.select_related("village").get(pk=problem.household_id)
    return bool(checks_link.still_fails(problem.check_code, household))


def recheck_closed(*, actor: Any, area: Area) -> int:
    """Run again the data checks of the area's closed data-check problems; reopen those that fail again
    (data corrected back, a new import): returns how many were reopened."""
    require_capability(actor, Capability.ACCEPT_RECTIFICATIONS)
    _require_capture(actor, area.path)
    closed = Problem.objects.filter(
        area__path__startswith=area.path, status=Status.CLOSED, household__isnull=False
    ).exclude(check_code="")
    reopened = 0
    for problem in closed.select_related("area"):
        if _check_still_fails(problem):
            reopen(actor=actor, problem=problem, reason=str(_("The data check fails again.")))
            reopened += 1
    return reopened


def record_evidence_view(*, actor: Any, evidence: Evidence) -> None:
    """Opening an evidence file is audited (it may show a household's home or papers)."""
    audit.record(
        actor=actor,
        action="reveal",
        object_type="supervision_evidence",
        object_id=evidence.pk,
        area_code=evidence.rectification.problem.area.code,
        summary=f"evidence of problem {evidence.rectification.problem_id} opened",
    )


__all__ = [
    "ProblemInput",
    "accept",
    "add_task",
    "problem_from_check_failure",
    "record_evidence_view",
    "record_problem",
    "rectify",
    "reject",
    "reopen",
]


# ---------------------------------------------------------------- important situation reports

MAX_AFFECTED = 10_000_000


@dataclass(frozen=True)
class SituationInput:
    kind: str
    area_code: str
    title: str
    occurred_on: dt.date | None
    households_affected: int | None
    people_affected: int | None
    description: str
    measures: str = ""


def _receivers(area: Area, exclude: Any = None) -> list[Any]:
    """Who is told at once: every active county and province user whose areas hold ``area``."""
    from fupin.accounts.models import User
    from fupin.accounts.roles import roles_with

    ancestors = [Area.path_of(code) for code in Area.ancestor_codes_of(area.code)]
    users = User.objects.filter(
        is_active=True,
        role__in=roles_with(Capability.ACKNOWLEDGE_SITUATIONS),
        area_grants__area__path__in=ancestors,
    ).distinct()
    return [u for u in users if exclude is None or u.pk != exclude.pk]


def _tell(report: SituationReport, kind: str, exclude: Any) -> None:
    from django.urls import reverse

    from fupin.cases import notify

    params = {
        "area": report.area.name,
        "title": report.title,
        "kind": str(SituationKind(report.kind).label),
        "link": reverse("supervision:situation", args=[report.pk]),
    }
    receivers = _receivers(report.area, exclude)
    if kind == "situation_updated" and report.reported_by is not None and report.reported_by != exclude:
        receivers.append(report.reported_by)
    notify.send(receivers, kind, params)


def _situation_audit(actor: Any, action: str, report: SituationReport, summary: str, **changes: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type="situation_report",
        object_id=report.pk,
        area_code=report.area.code,
        summary=summary,
        changes=changes,
    )


@transaction.atomic
def report_situation(*, actor: Any, data: SituationInput) -> SituationReport:
    """Report an important situation up: stored, and the county and province told at once."""
    require_capability(actor, Capability.REPORT_SITUATIONS)
    errors: Errors = {}
    if data.kind not in SituationKind.values:
        add_error(errors, "kind", _("Choose what kind of situation it is."))
    title, description, measures = data.title.strip(), data.description.strip(), data.measures.strip()
    if not title:
        add_error(errors, "title", _("Give the situation a short title."))
    elif len(title) > 100:
        add_error(errors, "title", _("Keep the title under 100 characters."))
    _no_identifiers(errors, "title", title)
    if not description:
        add_error(errors, "description", _("Say what happened."))
    elif len(description) > 2000:
        add_error(errors, "description", _("Keep it under 2,000 characters."))
    _no_identifiers(errors, "description", description)
    if len(measures) > 2000:
        add_error(errors, "measures", _("Keep it under 2,000 characters."))
    _no_identifiers(errors, "measures", measures)
    today = clock.today()
    if data.occurred_on is None:
        add_error(errors, "occurred_on", _("Give the day it happened."))
    elif data.occurred_on > today:
        add_error(errors, "occurred_on", _("The day it happened cannot be in the future."))
    elif data.occurred_on < today - dt.timedelta(days=366):
        add_error(errors, "occurred_on", _("A situation of more than a year ago is not reported this way."))
    counts = {"households_affected": data.households_affected, "people_affected": data.people_affected}
    for field, value in counts.items():
        if value is not None and not 0 <= value <= MAX_AFFECTED:
            add_error(errors, field, _("Give a number from 0 to 10,000,000."))
    households, people = data.households_affected or 0, data.people_affected or 0
    if 0 <= households <= MAX_AFFECTED and 0 <= people <= MAX_AFFECTED and people < households:
        add_error(errors, "people_affected", _("Every household affected has at least one person affected."))
    area = Area.objects.filter(code=data.area_code).first()
    if area is None or not scope.area_in_scope(actor, area.path, "capture"):
        add_error(errors, "area", _("Choose an area you keep records for."))
    if errors:
        raise InvalidInput(errors)
    assert area is not None and data.occurred_on is not None
    report = SituationReport.objects.create(
        area=area,
        kind=data.kind,
        title=title,
        occurred_on=data.occurred_on,
        households_affected=households,
        people_affected=people,
        description=description,
        measures=measures,
        reported_by=actor,
    )
    _situation_audit(actor, "create", report, f"important situation reported ({data.kind})", kind=data.kind)
    transaction.on_commit(lambda: _tell(report, "situation_reported", actor))
    return report


@transaction.atomic
def acknowledge_situation(*, actor: Any, report: SituationReport) -> SituationReport:
    """The county (or the province) has read the report: the time and the person are kept, once."""
    require_capability(actor, Capability.ACKNOWLEDGE_SITUATIONS)
    if not scope.area_in_scope(actor, report.area.path):
        raise OutOfScope()
    report = SituationReport.objects.select_for_update().select_related("area").get(pk=report.pk)
    level = selectors.acknowledging_level(actor)
    if getattr(report, f"{level}_acknowledged_at") is not None:
        raise Refused(
            _("The %(level)s acknowledged this report already.")
            % {"level": _("province") if level == "province" else _("county")}
        )
    setattr(report, f"{level}_acknowledged_by", actor)
    setattr(report, f"{level}_acknowledged_at", timezone.now())
    report.save(update_fields=[f"{level}_acknowledged_by", f"{level}_acknowledged_at"])
    _situation_audit(actor, "update", report, f"acknowledged by the {level}", level=level)
    return report


@transaction.atomic
def follow_up_situation(*, actor: Any, report: SituationReport, text: str) -> SituationUpdate:
    """A follow-up: from where it happened (capture scope) or from a level that received it."""
    path = report.area.path
    if not actor.can(Capability.ACKNOWLEDGE_SITUATIONS):
        require_capability(actor, Capability.REPORT_SITUATIONS)
    may_report = actor.can(Capability.REPORT_SITUATIONS) and scope.area_in_scope(actor, path, "capture")
    may_receive = actor.can(Capability.ACKNOWLEDGE_SITUATIONS) and scope.area_in_scope(actor, path)
    if not (may_report or may_receive):
        raise OutOfScope()
    body = text.strip()
    errors: Errors = {}
    if not body:
        add_error(errors, "text", _("Write the follow-up."))
    elif len(body) > 2000:
        add_error(errors, "text", _("Keep it under 2,000 characters."))
    _no_identifiers(errors, "text", body)
    if errors:
        raise InvalidInput(errors)
    update = SituationUpdate.objects.create(report=report, text=body, written_by=actor)
    _situation_audit(actor, "update", report, "important situation followed up", update_id=update.pk)
    transaction.on_commit(lambda: _tell(report, "situation_updated", actor))
    return update
