"""Supervision over the API: the problem list (read, record a problem), important situation reports
(read, report one), and the scheduling reports an area fills (read, fill and submit).

Every route goes through the services and selectors of ``fupin.supervision``, the pages' own, so the
rules (identifiers refused in text, capture scope for writes, all problems of a body at once, the
system's figures never typed over) and the audit entries are the same. Pushes take an
``Idempotency-Key`` as the other pushes do (``fupin.api.idempotency``).
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.pagination import paginate

from fupin.accounts.models import User
from fupin.api import idempotency
from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut, ValidationErrorOut
from fupin.core.errors import OutOfScope
from fupin.supervision import schedules, scheduling, selectors, services
from fupin.supervision.models import Problem, ReportSubmission, Source, Status

router = Router(tags=["supervision"])

WRITE_ERRORS: dict[int, Any] = {403: MessageOut, 404: MessageOut, 409: MessageOut, 422: ValidationErrorOut}
KEY_DESCRIPTION = (
    "A unique value per push (a UUID, say), 1-255 characters. A retry with the same key and body returns "
    "the first answer and records nothing again; the same key with another body is 422."
)


def _key() -> Any:
    return Header(
        None,
        alias=idempotency.HEADER,
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        description=KEY_DESCRIPTION,
    )


# ---------------------------------------------------------------- problems


class ProblemOut(Schema):
    id: int
    source: str
    area_code: str = Field(alias="area.code")
    household_id: int | None
    inspection_id: int | None
    kind: str
    severity: str
    description: str
    found_on: dt.date
    deadline: dt.date | None
    status: str = Field(description="pending, in_progress, awaiting_acceptance, closed or returned")
    overdue: bool = Field(description="not closed and past its deadline")
    closed_on: dt.date | None
    reopened: int
    check_code: str = Field(description="the data check it came from, if one did")

    @staticmethod
    def resolve_overdue(obj: Problem) -> bool:
        return selectors.is_overdue(obj)


class ProblemQuery(Schema):
    status: str | None = Field(None, description="a status, or 'open' for every one not closed")
    source: str | None = Field(None, description="inspection, unannounced_visit, assessment, complaint, …")
    overdue: bool = Field(False, description="only problems past their deadline and not closed")
    area_code: str | None = Field(None, max_length=12, description="an area in your scope (404 otherwise)")


class ProblemIn(Schema):
    source: str = Field(description="where it was found: " + ", ".join(Source.values))
    area_code: str = Field("", description="the area whose list it goes on (in your capture area)")
    household_id: int | None = Field(None, description="the household it is about, if one")
    kind: str = Field(
        description="identification, assistance, policy, funds, data_quality, work_style, other"
    )
    severity: str = Field(description="general, serious or grave")
    description: str = Field(description="what is wrong, without ID numbers or phone numbers")
    found_on: dt.date | None = Field(None, description="the day it was found (today if left out)")
    deadline: dt.date | None = Field(None, description="the rectification deadline")
    lead_unit: str = Field("", max_length=100)


@router.get(
    "/problems",
    response={200: list[ProblemOut], 404: MessageOut, 422: ValidationErrorOut},
    summary="The problem list of your area",
    description="Problems in your area, soonest deadline first, filtered by status, source, overdue, area.",
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_problems(request: HttpRequest, filters: Query[ProblemQuery]) -> Any:
    user = actor(request)
    area = None
    if filters.area_code:
        area = selectors.visible_area(user, filters.area_code)
        if area is None:
            raise OutOfScope()
    status = filters.status or ""
    wanted = selectors.Filters(
        source=filters.source if filters.source in Source.values else "",
        status=status if status in (*Status.values, "open") else "",
        overdue=filters.overdue,
    )
    return selectors.problems_for(user, wanted, area)


@router.get(
    "/problems/{int:problem_id}",
    response={200: ProblemOut, 404: MessageOut},
    summary="One problem",
    description="A problem in your area; 404 otherwise.",
)
def get_problem(request: HttpRequest, problem_id: int) -> Problem:
    try:
        return selectors.get_problem(actor(request), problem_id)
    except Problem.DoesNotExist:
        raise OutOfScope() from None


def _record_problem(user: User, payload: ProblemIn) -> tuple[int, dict[str, Any]]:
    problem = services.record_problem(
        actor=user,
        data=services.ProblemInput(
            source=payload.source,
            area_code=payload.area_code,
            kind=payload.kind,
            severity=payload.severity,
            description=payload.description,
            found_on=payload.found_on,
            deadline=payload.deadline,
            lead_unit=payload.lead_unit,
            household_id=payload.household_id,
        ),
    )
    shown = selectors.get_problem(user, problem.pk)
    return 201, ProblemOut.from_orm(shown).model_dump(mode="json")


@router.post(
    "/problems",
    response={201: ProblemOut, **WRITE_ERRORS},
    summary="Put a problem on the list",
    description=(
        "As the page does: every problem of the body at once (422 with its field); needs a role that "
        "records problems (403) and an area or household you keep records for (422). Send an "
        "`Idempotency-Key` so that a retry never records it twice."
    ),
)
def record_problem(
    request: HttpRequest, payload: ProblemIn, idempotency_key: str | None = _key()
) -> JsonResponse:
    user = actor(request)
    body = payload.model_dump(mode="json")
    return idempotency.respond_once(
        user, idempotency_key, "POST", "/problems", body, lambda: _record_problem(user, payload)
    )


# ---------------------------------------------------------------- important situation reports


class SituationOut(Schema):
    id: int
    area_code: str = Field(alias="area.code")
    kind: str
    title: str
    occurred_on: dt.date
    households_affected: int
    people_affected: int
    description: str
    measures: str
    reported_at: dt.datetime
    county_acknowledged_at: dt.datetime | None
    province_acknowledged_at: dt.datetime | None


class SituationIn(Schema):
    kind: str = Field(
        description="return_to_poverty, disaster, accident, unemployment, public_opinion, other"
    )
    area_code: str = Field(description="where it happened (in your capture area)")
    title: str
    occurred_on: dt.date | None = None
    households_affected: int | None = Field(None, description="0 to 10,000,000")
    people_affected: int | None = Field(None, description="0 to 10,000,000, not fewer than the households")
    description: str = Field(description="what happened, without ID numbers or phone numbers")
    measures: str = ""


@router.get(
    "/situations",
    response={200: list[SituationOut]},
    summary="Important situation reports of your area",
    description="Newest first; `waiting=true`: those not yet acknowledged at your level.",
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_situations(request: HttpRequest, waiting: bool = False) -> Any:
    return selectors.situations_for(actor(request), waiting_only=waiting)


def _report_situation(user: User, payload: SituationIn) -> tuple[int, dict[str, Any]]:
    report = services.report_situation(
        actor=user,
        data=services.SituationInput(
            kind=payload.kind,
            area_code=payload.area_code,
            title=payload.title,
            occurred_on=payload.occurred_on,
            households_affected=payload.households_affected,
            people_affected=payload.people_affected,
            description=payload.description,
            measures=payload.measures,
        ),
    )
    return 201, SituationOut.from_orm(selectors.get_situation(user, report.pk)).model_dump(mode="json")


@router.post(
    "/situations",
    response={201: SituationOut, **WRITE_ERRORS},
    summary="Report an important situation up",
    description=(
        "The county and province users whose areas hold it are told at once, in the application and by "
        "text. Every problem of the body at once (422); needs a role that reports situations (403)."
    ),
)
def report_situation(
    request: HttpRequest, payload: SituationIn, idempotency_key: str | None = _key()
) -> JsonResponse:
    user = actor(request)
    return idempotency.respond_once(
        user,
        idempotency_key,
        "POST",
        "/situations",
        payload.model_dump(mode="json"),
        lambda: _report_situation(user, payload),
    )


# ---------------------------------------------------------------- scheduling reports


class FieldOut(Schema):
    code: str
    kind: str
    label: str
    from_system: bool = Field(description="taken from the indicator tables on submitting; not typed")
    required: bool


class SubmissionOut(Schema):
    id: int
    round_id: int
    title: str = Field(alias="round.title")
    period: str = Field(alias="round.period")
    deadline: dt.date = Field(alias="round.deadline")
    area_code: str = Field(alias="area.code")
    status: str = Field(description="pending, submitted, returned or accepted")
    reason: str = Field(description="why it was returned, if it was")
    values: dict[str, str]
    fields: list[FieldOut]

    @staticmethod
    def resolve_fields(obj: ReportSubmission) -> list[dict[str, Any]]:
        return [
            {
                "code": f.code,
                "kind": f.kind,
                "label": f.label,
                "from_system": f.from_system,
                "required": f.required,
            }
            for f in schedules.fields_of(obj.round.fields)
        ]


class SubmissionIn(Schema):
    values: dict[str, str | int | float | None] = Field(description="typed fields by code")
    submit: bool = Field(True, description="false keeps a draft")


@router.get(
    "/reports/to-fill",
    response={200: list[SubmissionOut]},
    summary="Scheduling reports your areas fill",
    description="Open ones first, by deadline.",
)
@paginate(BoundedLimitOffsetPagination, max_limit=200)
def reports_to_fill(request: HttpRequest) -> Any:
    return selectors.to_fill(actor(request))


def _submission(user: User, submission_id: int) -> ReportSubmission:
    try:
        return selectors.get_submission(user, submission_id)
    except ReportSubmission.DoesNotExist:
        raise OutOfScope() from None


@router.get(
    "/reports/submissions/{int:submission_id}",
    response={200: SubmissionOut, 404: MessageOut},
    summary="One area's scheduling report",
    description="Your area's, or one of a round your area issued; 404 otherwise.",
)
def get_submission(request: HttpRequest, submission_id: int) -> ReportSubmission:
    return _submission(actor(request), submission_id)


@router.put(
    "/reports/submissions/{int:submission_id}",
    response={200: SubmissionOut, **WRITE_ERRORS},
    summary="Fill in and submit (or keep a draft of) your area's scheduling report",
    description=(
        "The typed fields by code; the system's figures are taken on submitting and never typed over. "
        "Every problem of every field at once (422). A submitted report is changed only once returned "
        "(409). Needs a role that fills reports (403) and the area in your capture area (404)."
    ),
)
def fill_submission(request: HttpRequest, submission_id: int, payload: SubmissionIn) -> ReportSubmission:
    user = actor(request)
    found = _submission(user, submission_id)
    saved = scheduling.save(actor=user, submission=found, typed=dict(payload.values), submit=payload.submit)
    return _submission(user, saved.pk)
