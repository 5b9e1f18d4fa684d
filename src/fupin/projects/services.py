"""Writes of the project library: prepare a project, take its steps, roll the unfunded over.

Every write checks the role (``workflow.STEPS``) and the capture scope on the server, locks the
project's row, leaves a history event and an audit entry, and changes nothing when it refuses. The
rules the state machine test (tests/test_projects_lifecycle.py) holds to:

- no project reaches the library without the village notice, the township review and its notice, the
  county's appraisal and approval and the county notice, in that order;
- nobody reviews a step they took, and the county's approver is not its appraiser;
- a notice runs at least the pack's minimum days before the next step;
- a project without a link to farmers (联农带农), performance targets of all three levels or a budget
  cannot leave the village, and cannot be approved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, OutOfScope, Refused, StaleEdit, add_error
from fupin.core.i18n import lazy_format
from fupin.domain.free_text import has_identifiers
from fupin.engine.parameters import value_in_force
from fupin.projects import workflow
from fupin.projects.models import (
    TARGET_KINDS_BY_LEVEL,
    Appraisal,
    Beneficiary,
    Budget,
    Category,
    Event,
    FundSource,
    LinkKind,
    Nature,
    Notice,
    NoticeKind,
    PerformanceTarget,
    Project,
    State,
    TargetKind,
    TargetLevel,
    Verdict,
)
from fupin.registry.models import Household
from fupin.registry.services import require_capability
from fupin.screening import packs

COMPARATORS = ("≥", "≤", "=", ">", "<")
# Amounts above this (a hundred billion yuan) are typing errors, not projects.
MAX_FEN = 10**13

NOTICE_KIND_OF_STATE = {
    State.VILLAGE_NOTICE: NoticeKind.PROPOSAL,
    State.TOWNSHIP_NOTICE: NoticeKind.REVIEW,
    State.COUNTY_NOTICE: NoticeKind.LIBRARY,
    State.PRE_START_NOTICE: NoticeKind.PRE_START,
}


@dataclass(frozen=True)
class TargetInput:
    level: str
    kind: str
    indicator: str
    comparator: str
    value: str
    unit: str = ""


@dataclass(frozen=True)
class ProjectInput:
    name: str
    category: str
    area_code: str
    content: str
    implementing_unit: str
    unit_person: str
    months: int
    year: int
    subcategory: str = ""
    nature: str = Nature.NEW
    village_codes: Sequence[str] = ()
    department: str = ""
    contractor: str = ""
    contractor_person: str = ""
    procurement: str = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    unit_subsidy: str = ""
    link_kind: str = ""
    link_description: str = ""
    households_driven: int = 0
    persons_driven: int = 0
    expected_income_fen: int = 0
    household_project: bool = False
    budget: Mapping[str, int] = field(default_factory=dict)  # source → fen
    targets: Sequence[TargetInput] = ()
    beneficiary_ids: Sequence[int] = ()


def _param(county_code: str, name: str, on: dt.date) -> float:
    pack = packs.checked().pack
    return float(value_in_force(pack.parameters[name], county_code, on).value)


def notice_days(county_code: str, state: str, on: dt.date) -> int:
    return int(_param(county_code, workflow.NOTICE_STATES[State(state)], on))


def _audit(actor: Any, action: str, project: Project, summary: str, **changes: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type="project",
        object_id=project.pk,
        area_code=project.area.code,
        summary=summary,
        changes=changes,
    )


def _text(errors: Errors, name: str, value: str, *, required: bool, limit: int, message: Any) -> str:
    text = (value or "").strip()
    if required and not text:
        add_error(errors, name, message)
    elif len(text) > limit:
        add_error(errors, name, lazy_format(_("Keep this under %(limit)s characters."), limit=limit))
    elif has_identifiers(text):
        # Everything here is published on notices: identifiers never belong in it.
        add_error(errors, name, _("Leave ID numbers and phone numbers out: this text is published."))
    return text


def _validate(actor: Any, data: ProjectInput) -> tuple[Area, list[Area], list[Household], Errors]:
    errors: Errors = {}
    _text(errors, "name", data.name, required=True, limit=120, message=_("Give the project a name."))
    if data.category not in Category.values:
        add_error(errors, "category", _("Choose the project's category."))
    if data.nature not in Nature.values:
        add_error(errors, "nature", _("Choose new or continued construction."))
    _text(errors, "subcategory", data.subcategory, required=False, limit=60, message="")
    _text(errors, "content", data.content, required=True, limit=2000, message=_("Describe what is built."))
    _text(
        errors,
        "implementing_unit",
        data.implementing_unit,
        required=True,
        limit=100,
        message=_("Name the implementing unit."),
    )
    _text(
        errors,
        "unit_person",
        data.unit_person,
        required=True,
        limit=40,
        message=_("Name the person responsible for the implementing unit."),
    )
    for name, limit in (
        ("department", 100),
        ("contractor", 100),
        ("contractor_person", 40),
        ("procurement", 200),
        ("unit_subsidy", 100),
        ("link_description", 1000),
    ):
        _text(errors, name, getattr(data, name), required=False, limit=limit, message="")
    if not 1 <= data.months <= 120:
        add_error(errors, "months", _("The implementation period is 1 to 120 months."))
    today = clock.today()
    if not 2021 <= data.year <= today.year + 5:
        add_error(
            errors,
            "year",
            lazy_format(_("The year is between 2021 and %(last)s."), last=today.year + 5),
        )
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        add_error(errors, "ends_on", _("The planned end is before the planned start."))
    if data.link_kind and data.link_kind not in LinkKind.values:
        add_error(errors, "link_kind", _("Choose how the project links to farmers."))
    for name in ("households_driven", "persons_driven", "expected_income_fen"):
        number = getattr(data, name)
        if number < 0 or number > MAX_FEN:
            add_error(errors, name, _("Enter a number of zero or more."))
    for source, fen in data.budget.items():
        if source not in FundSource.values:
            add_error(errors, "budget", lazy_format(_("Unknown funding source “%(source)s”."), source=source))
        elif not 0 <= fen <= MAX_FEN:
            add_error(
                errors,
                "budget",
                lazy_format(
                    _("The amount of %(source)s is not a valid amount."), source=FundSource(source).label
                ),
            )
    for number, target in enumerate(data.targets, start=1):
        where = f"targets.{number}"
        if target.level not in TargetLevel.values:
            add_error(errors, where, _("Choose the first-level indicator (output, effect, satisfaction)."))
        elif target.kind not in TARGET_KINDS_BY_LEVEL[TargetLevel(target.level)]:
            add_error(
                errors,
                where,
                lazy_format(
                    _("“%(kind)s” is not a second-level indicator of “%(level)s”."),
                    kind=TargetKind(target.kind).label if target.kind in TargetKind.values else target.kind,
                    level=TargetLevel(target.level).label,
                ),
            )
        if not target.indicator.strip() or len(target.indicator) > 100:
            add_error(errors, where, _("Name the indicator (up to 100 characters)."))
        if target.comparator not in COMPARATORS:
            add_error(errors, where, _("The comparator is one of ≥ ≤ = > <."))
        if not target.value.strip() or len(target.value) > 30:
            add_error(errors, where, _("Give the indicator's value (up to 30 characters)."))
        if len(target.unit) > 20:
            add_error(errors, where, _("Keep the unit under 20 characters."))

    area = Area.objects.filter(code=data.area_code).first()
    villages: list[Area] = []
    households: list[Household] = []
    # A project starts in a village, or in a township for several of its villages: the township reviews
    # it, so a place above the township has nobody to take that step.
    if area is None or area.level < AreaLevel.TOWNSHIP:
        add_error(errors, "area_code", _("Choose the village (or the township) that proposes the project."))
        return area or Area(), villages, households, errors
    if not scope.area_in_scope(actor, area.path, "capture"):
        raise OutOfScope()
    codes = list(dict.fromkeys(data.village_codes))
    if area.level == AreaLevel.VILLAGE and area.code not in codes:
        codes.insert(0, area.code)
    villages = list(Area.objects.filter(code__in=codes, level=AreaLevel.VILLAGE))
    if len(villages) != len(codes):
        add_error(errors, "village_codes", _("One of the villages does not exist."))
    elif any(not v.path.startswith(area.path) for v in villages):
        add_error(errors, "village_codes", _("Every village must lie inside the project's place."))
    ids = list(dict.fromkeys(data.beneficiary_ids))
    households = list(
        scope.scoped(Household.objects.filter(pk__in=ids), actor, "capture").select_related("village")
    )
    if len(households) != len(ids):
        add_error(errors, "beneficiaries", _("One of the households is not in your area."))
    elif any(h.village.county_code != area.county_code for h in households):
        add_error(
            errors, "beneficiaries", _("Every beneficiary household must live in the project's county.")
        )
    return area, villages, households, errors


def completeness(project: Project) -> list[Any]:
    """What the project still lacks before it may leave the village or be approved (empty when nothing).

    A project without a link to farmers or performance targets is not admissible (国乡振发〔2021〕3号 via
    domain-wave2.md §1); nor one without money or, for a household project, without its households.
    """
    lacks: list[Any] = []
    if not project.link_kind or not project.link_description.strip():
        lacks.append(_("the link to farmers (how it drives households' income)"))
    levels = set(project.targets.values_list("level", flat=True))
    missing = [TargetLevel(level).label for level in TargetLevel.values if level not in levels]
    if missing:
        lacks.append(
            lazy_format(
                _("performance targets of every level (missing: %(levels)s)"),
                levels=", ".join(str(m) for m in missing),
            )
        )
    if not project.budget.filter(amount_fen__gt=0).exists():
        lacks.append(_("a budget by funding source"))
    if project.household_project and not project.beneficiaries.exists():
        lacks.append(_("the list of beneficiary households of a household project"))
    return lacks


def _require_complete(project: Project) -> None:
    lacks = completeness(project)
    if lacks:
        raise Refused(
            lazy_format(
                _("The project cannot go on without %(lacks)s."),
                lacks="; ".join(str(item) for item in lacks),
            )
        )


def _next_code(county: Area, year: int) -> str:
    prefix = f"XM{county.code}{year}"
    last = Project.objects.filter(code__startswith=prefix).aggregate(last=Max("code"))["last"]
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _write_parts(
    project: Project, data: ProjectInput, villages: list[Area], households: list[Household]
) -> None:
    project.villages.set(villages)
    project.budget.all().delete()
    Budget.objects.bulk_create(
        Budget(project=project, source=source, amount_fen=fen)
        for source, fen in data.budget.items()
        if fen > 0
    )
    project.targets.all().delete()
    PerformanceTarget.objects.bulk_create(
        PerformanceTarget(
            project=project,
            level=t.level,
            kind=t.kind,
            indicator=t.indicator.strip(),
            comparator=t.comparator,
            value=t.value.strip(),
            unit=t.unit.strip(),
        )
        for t in data.targets
    )
    project.beneficiaries.all().delete()
    Beneficiary.objects.bulk_create(Beneficiary(project=project, household=h) for h in households)


_PLAIN_FIELDS = (
    "name",
    "category",
    "subcategory",
    "nature",
    "content",
    "implementing_unit",
    "unit_person",
    "department",
    "contractor",
    "contractor_person",
    "procurement",
    "months",
    "starts_on",
    "ends_on",
    "unit_subsidy",
    "link_kind",
    "link_description",
    "households_driven",
    "persons_driven",
    "expected_income_fen",
    "household_project",
    "year",
)


@transaction.atomic
def create_project(*, actor: Any, data: ProjectInput) -> Project:
    """A village's (or township's, county's) new proposal, in preparation until its notice is posted."""
    require_capability(actor, Capability.PROPOSE_PROJECTS)
    area, villages, households, errors = _validate(actor, data)
    if errors:
        raise InvalidInput(errors)
    county = Area.objects.get(code=area.county_code)
    project = Project(area=area, county=county, proposed_by=actor, code=_next_code(county, data.year))
    for name in _PLAIN_FIELDS:
        value = getattr(data, name)
        setattr(project, name, value.strip() if isinstance(value, str) else value)
    project.save()
    _write_parts(project, data, villages, households)
    Event.objects.create(project=project, action="propose", from_state="", to_state=State.DRAFT, actor=actor)
    _audit(actor, "project.propose", project, f"{project.code} proposed", category=project.category)
    return project


@transaction.atomic
def update_project(
    *, actor: Any, project: Project | int, data: ProjectInput, version: int | None = None
) -> Project:
    """Correct a project still in preparation (after a return, say). An approved project changes only by
    being approved again, so past the village it is refused."""
    require_capability(actor, Capability.PROPOSE_PROJECTS)
    project = _locked(actor, project)
    if version is not None and version != project.version - 1:
        raise StaleEdit()
    if project.state != State.DRAFT:
        raise Refused(_("Only a project being prepared by the village can be changed."))
    area, villages, households, errors = _validate(actor, data)
    if errors:
        raise InvalidInput(errors)
    if area.county_code != project.county.code:
        raise InvalidInput({"area_code": [_("A project stays in its county.")]})
    project.area = area
    for name in _PLAIN_FIELDS:
        value = getattr(data, name)
        setattr(project, name, value.strip() if isinstance(value, str) else value)
    project.save()
    _write_parts(project, data, villages, households)
    _audit(actor, "project.update", project, f"{project.code} corrected")
    return project


def _locked(actor: Any, project: Project | int) -> Project:
    """The project's row, locked and current, or OutOfScope when the actor may not write in its area."""
    pk = project.pk if isinstance(project, Project) else project
    fresh = Project.objects.select_for_update().filter(pk=pk).first()
    if fresh is None:
        raise OutOfScope()
    fresh = Project.objects.select_related("area", "county").get(pk=pk)
    if not scope.area_in_scope(actor, fresh.area.path, "capture"):
        raise OutOfScope()
    fresh.version += 1
    return fresh


@dataclass(frozen=True)
class AppraisalInput:
    necessity: str
    feasibility: str
    budget: str
    link_to_farmers: str
    targets: str
    compliance: str
    opinion: str


@dataclass(frozen=True)
class AcceptanceInput:
    accepted_on: dt.date
    result: str
    settled_fen: int | None = None
    audited_fen: int | None = None


def _notice_over(project: Project, today: dt.date) -> None:
    notice = (
        project.notices.filter(kind=NOTICE_KIND_OF_STATE[State(project.state)])
        .order_by("-posted_on", "-id")
        .first()
    )
    if notice is None:  # a state entered without its notice is a bug elsewhere: refuse rather than skip
        raise Refused(_("The notice of this step is missing."))
    if today < notice.ends_on:
        raise Refused(
            lazy_format(
                _("The notice runs until %(last)s; the next step is possible from %(day)s."),
                last=(notice.ends_on - dt.timedelta(days=1)).isoformat(),
                day=notice.ends_on.isoformat(),
            )
        )


@transaction.atomic
def take_step(
    *,
    actor: Any,
    project: Project | int,
    step: str,
    reason: str = "",
    place: str = "",
    year: int | None = None,
    appraisal: AppraisalInput | None = None,
    acceptance: AcceptanceInput | None = None,
) -> Project:
    """Take one step of the procedure (``workflow.STEPS``) on the project, or refuse and change nothing.

    ``place`` is where a notice is posted; ``year`` the plan year of ``plan``; ``appraisal`` the county's
    record for ``appraise``; ``acceptance`` the completion acceptance for ``accept``.
    """
    project = _locked(actor, project)
    why_not = workflow.STEPS.refusal(actor, project, step)
    if why_not is not None:
        raise Refused(why_not)
    definition = workflow.STEPS[step]
    reason = reason.strip()
    if definition.needs_reason:
        if not reason:
            raise InvalidInput({"reason": [_("Give the reason.")]})
        if len(reason) > 1000 or has_identifiers(reason):
            raise InvalidInput(
                {"reason": [_("Keep the reason under 1,000 characters, without ID or phone numbers.")]}
            )
    today = clock.today()
    before = project.state
    if before in NOTICE_KIND_OF_STATE and step in ("submit", "forward", "enter_library", "start"):
        _notice_over(project, today)

    if step in ("post_village_notice", "submit"):
        _require_complete(project)
    if step == "submit":
        project.submitted_by = actor
    elif step == "township_pass":
        _require_complete(project)
        project.township_by = actor
    elif step == "appraise":
        _record_appraisal(actor, project, appraisal, today)
    elif step == "approve":
        _require_complete(project)
        record = Appraisal.objects.filter(project=project).first()
        if record is None or not record.passes():
            raise Refused(_("The appraisal did not pass every point: return or reject the project instead."))
        project.approved_by = actor
    elif step == "enter_library":
        project.library_year = today.year
    elif step == "plan":
        if year is None or not today.year - 1 <= year <= today.year + 5:
            raise InvalidInput({"year": [_("Choose the year of the plan.")]})
        project.year = year
    elif step == "accept":
        _record_acceptance(project, acceptance, today)
    elif step in ("township_return", "county_return"):
        # A returned project goes through every later step again, with fresh reviewers.
        project.township_by = None
        project.appraised_by = None
        project.approved_by = None
        Appraisal.objects.filter(project=project).delete()
        if step == "township_return":
            project.submitted_by = None

    project.state = definition.to_state
    if project.state in NOTICE_KIND_OF_STATE:
        _post_notice(actor, project, place, today)
    elif step == "accept":
        Notice.objects.create(
            project=project,
            kind=NoticeKind.COMPLETION,
            posted_on=today,
            ends_on=today,  # the completion announcement stays up; it gates nothing
            place=(place.strip() or project.area.name)[:100],
            posted_by=actor,
        )
    project.save()
    Event.objects.create(
        project=project, action=step, from_state=before, to_state=project.state, reason=reason, actor=actor
    )
    _audit(actor, f"project.{step}", project, f"{project.code}: {before} → {project.state}", reason=reason)
    return project


def _post_notice(actor: Any, project: Project, place: str, today: dt.date) -> None:
    place = place.strip() or project.area.name
    if len(place) > 100 or has_identifiers(place):
        raise InvalidInput({"place": [_("Say where the notice is posted, in under 100 characters.")]})
    days = notice_days(project.county.code, project.state, today)
    Notice.objects.create(
        project=project,
        kind=NOTICE_KIND_OF_STATE[State(project.state)],
        posted_on=today,
        ends_on=today + dt.timedelta(days=days),
        place=place,
        posted_by=actor,
    )


def _record_appraisal(actor: Any, project: Project, data: AppraisalInput | None, today: dt.date) -> None:
    if data is None:
        raise InvalidInput({"appraisal": [_("Record the appraisal of every point.")]})
    errors: Errors = {}
    for point in Appraisal.POINTS:
        if getattr(data, point) not in Verdict.values:
            add_error(errors, point, _("Judge this point."))
    opinion = data.opinion.strip()
    if not opinion:
        add_error(errors, "opinion", _("Write the appraisal's opinion."))
    elif len(opinion) > 1000 or has_identifiers(opinion):
        add_error(
            errors, "opinion", _("Keep the opinion under 1,000 characters, without ID or phone numbers.")
        )
    if errors:
        raise InvalidInput(errors)
    Appraisal.objects.filter(project=project).delete()
    Appraisal.objects.create(
        project=project,
        appraised_on=today,
        appraised_by=actor,
        opinion=opinion,
        **{point: getattr(data, point) for point in Appraisal.POINTS},
    )
    project.appraised_by = actor


def _record_acceptance(project: Project, data: AcceptanceInput | None, today: dt.date) -> None:
    if data is None:
        raise InvalidInput({"accepted_on": [_("Record the acceptance.")]})
    errors: Errors = {}
    if data.accepted_on > today:
        add_error(errors, "accepted_on", _("The acceptance cannot be in the future."))
    result = data.result.strip()
    if not result:
        add_error(errors, "result", _("Write the acceptance's result."))
    elif len(result) > 1000 or has_identifiers(result):
        add_error(errors, "result", _("Keep the result under 1,000 characters, without ID or phone numbers."))
    for name in ("settled_fen", "audited_fen"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= MAX_FEN:
            add_error(errors, name, _("Enter a valid amount."))
    if errors:
        raise InvalidInput(errors)
    project.accepted_on = data.accepted_on
    project.acceptance_note = result
    project.settled_fen = data.settled_fen
    project.audited_fen = data.audited_fen


def register_assets(*, actor: Any, project: Project | int) -> Project:
    """A completed project's assets are registered (``fupin.assets`` calls this with the first asset)."""
    return take_step(actor=actor, project=project, step="register_assets")


@transaction.atomic
def roll_over(*, actor: Any, county_code: str, from_year: int) -> int:
    """Approved projects of ``from_year`` not in its plan move to the next year (结转); the number moved."""
    require_capability(actor, Capability.APPROVE_PROJECTS)
    county = Area.objects.filter(code=county_code, level=AreaLevel.COUNTY).first()
    if county is None or not scope.area_in_scope(actor, county.path, "capture"):
        raise OutOfScope()
    moved = 0
    for project in Project.objects.select_for_update().filter(
        county=county, year=from_year, state=State.IN_LIBRARY
    ):
        project.year = from_year + 1
        project.version += 1
        project.save(update_fields=["year", "version", "updated_at"])
        Event.objects.create(
            project=project,
            action="roll_over",
            from_state=project.state,
            to_state=project.state,
            reason=f"{from_year} → {from_year + 1}",
            actor=actor,
        )
        moved += 1
    audit.record(
        actor=actor,
        action="project.roll_over",
        object_type="project_library",
        object_id=county.code,
        area_code=county.code,
        summary=f"{moved} approved projects of {from_year} rolled over to {from_year + 1}",
    )
    return moved


@transaction.atomic
def record_objection(*, actor: Any, project: Project | int, text: str) -> Project:
    """Write down an objection received while a notice runs (it is read by the step after the notice)."""
    project = _locked(actor, project)
    if project.state not in NOTICE_KIND_OF_STATE:
        raise Refused(_("Objections are recorded while a notice runs."))
    text = text.strip()
    if not text or len(text) > 500 or has_identifiers(text):
        raise InvalidInput(
            {"text": [_("Describe the objection in under 500 characters, without ID or phone numbers.")]}
        )
    notice = project.notices.filter(kind=NOTICE_KIND_OF_STATE[State(project.state)]).order_by("-id").first()
    assert notice is not None
    notice.objections = (notice.objections + "\n" + text).strip()[:1000]
    notice.save(update_fields=["objections"])
    project.save(update_fields=["version"])
    _audit(actor, "project.objection", project, f"{project.code}: objection recorded")
    return project
