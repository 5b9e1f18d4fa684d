"""Monitoring cases: the scoped worklist, one case with its timeline, a department's referral, the steps.

Every step calls ``fupin.cases.services``, which checks the step, the role, the capture area and the
dated rules. Here a case outside the token user's area is "not found" (404) and a role that never
takes the step is "forbidden" (403) before the service is asked; a step the procedure refuses now
(wrong step, notice not over, objection open, the reviewer did the reviewed step) is 409 with the
reason in the request's language. Responses carry no names, ID numbers or phones: a case names its
household by number.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from fupin.accounts import scope
from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.accounts.roles import refusal as role_refusal
from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut, ValidationErrorOut
from fupin.cases import selectors, services, workflow
from fupin.cases.models import (
    Case,
    CaseEvent,
    CaseKind,
    Channel,
    EliminationKind,
    FastTrackReason,
    Objection,
    State,
    VillageNotice,
)
from fupin.core.errors import NotPermitted, OutOfScope
from fupin.registry import choices

router = Router(tags=["cases"])

STEP_ERRORS: dict[int, Any] = {403: MessageOut, 404: MessageOut, 409: MessageOut, 422: ValidationErrorOut}


def _codes(values: list[str]) -> dict[str, Any]:
    return {"enum": values}


RISK_CODES: dict[str, Any] = {"items": _codes(list(choices.RiskType.values))}


# ---------------------------------------------------------------- responses


class CaseListItem(Schema):
    id: int
    household_id: int
    household_number: str = Field(alias="household.number")
    village_code: str = Field(alias="household.village.code")
    kind: str = Field(json_schema_extra=_codes(list(CaseKind.values)))
    channel: str = Field(json_schema_extra=_codes(list(Channel.values)))
    step: str = Field(alias="state", json_schema_extra=_codes(list(State.values)))
    step_label: str = Field("", description="the step's name in the request's language")
    opened_on: dt.date
    step_due: dt.date
    decision_due: dt.date
    overdue: bool = Field(False, description="open and past the step's due day or the decision deadline")
    proposed_category: str
    proposed_risk_types: list[str] = Field(alias="proposed_risk_list")
    decided_category: str
    decided_risk_types: list[str] = Field(alias="decided_risk_list")
    decided_on: dt.date | None
    fast_tracked_on: dt.date | None
    notice_id: int | None

    @staticmethod
    def resolve_step_label(obj: Case) -> str:
        return str(State(obj.state).label)

    @staticmethod
    def resolve_overdue(obj: Case) -> bool:
        return selectors.is_overdue(obj)


class EventOut(Schema):
    action: str
    from_step: str = Field(alias="from_state")
    to_step: str = Field(alias="to_state")
    on: dt.date
    at: dt.datetime
    actor: str = Field(alias="actor_name")
    reason: str


class ObjectionOut(Schema):
    id: int
    case_id: int
    notice_id: int
    received_on: dt.date
    summary: str
    resolved_on: dt.date | None
    upheld: bool | None
    resolution: str


class CaseOut(CaseListItem):
    elimination_kind: str
    outcome_reason: str
    fast_track_reason: str
    visit: dict[str, Any] = Field(alias="visit_facts", description="what the household visit recorded")
    authorization_signed: bool
    appraisal: dict[str, Any]
    events: list[EventOut] = Field(default_factory=list, description="the timeline, oldest first")
    objections: list[ObjectionOut] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list, description="the steps the token user may take now")

    @staticmethod
    def resolve_events(obj: Case) -> list[CaseEvent]:
        return list(obj.events.order_by("at", "id"))

    @staticmethod
    def resolve_objections(obj: Case) -> list[Objection]:
        return list(obj.objections.order_by("received_on", "id"))

    @staticmethod
    def resolve_actions(obj: Case, context: dict[str, Any]) -> list[str]:
        return [a.name for a in workflow.allowed_actions(actor(context["request"]), obj)]


# ---------------------------------------------------------------- requests


class CaseQuery(Schema):
    step: str = Field("", json_schema_extra=_codes(["", *State.values]))
    kind: str = Field("", json_schema_extra=_codes(["", *CaseKind.values]))
    overdue: bool = False
    area_code: str = Field("", description="code of a county, township or village")
    household_number: str = ""
    open_only: bool = Field(True, description="without a step: only cases still under way")


class ReferralIn(Schema):
    household_number: str
    category: str = Field(json_schema_extra=_codes(list(choices.MonitoringCategory.values)))
    risk_types: list[str] = Field(default_factory=list, json_schema_extra=RISK_CODES)
    description: str = Field(description="what the department found")


class CaseVisitIn(Schema):
    visited_on: dt.date | None = None
    findings: str = ""
    proceed: bool = Field(description="false ends the case: no risk found (or, to eliminate, risk not gone)")
    authorization_signed: bool = Field(
        False, description="identification: the household signed the data checks"
    )
    category: str = Field("", json_schema_extra=_codes(["", *choices.MonitoringCategory.values]))
    risk_types: list[str] = Field(default_factory=list, json_schema_extra=RISK_CODES)
    income_per_capita: Decimal | None = Field(None, description="elimination: verified yuan per person")
    income_stable_since: dt.date | None = None
    rigid_spending_resolved: bool = False


class AppraisalIn(Schema):
    held_on: dt.date | None = None
    attendees: int
    votes_for: int
    votes_against: int
    agreed: bool
    notes: str = ""


class TownshipReviewIn(Schema):
    approve: bool
    reason: str = Field("", description="required to return the case to the village")


class CountyDecisionIn(Schema):
    decision: str = Field(json_schema_extra=_codes(["approve", "reject", "return"]))
    category: str = Field("", json_schema_extra=_codes(["", *choices.MonitoringCategory.values]))
    risk_types: list[str] = Field(default_factory=list, json_schema_extra=RISK_CODES)
    elimination_kind: str = Field("", json_schema_extra=_codes(["", *EliminationKind.values]))
    reason: str = ""


class FastTrackIn(Schema):
    reason_kind: str = Field(json_schema_extra=_codes(list(FastTrackReason.values)))
    category: str = Field(json_schema_extra=_codes(list(choices.MonitoringCategory.values)))
    risk_types: list[str] = Field(default_factory=list, json_schema_extra=RISK_CODES)
    reason: str


class ObjectionIn(Schema):
    received_on: dt.date | None = None
    summary: str


class NoticeIn(Schema):
    case_ids: list[int] = Field(description="cases of one village, all waiting for their notice")
    posted_on: dt.date | None = None
    days: int = Field(description="at least the policy's notice days (5 by default)")


class NoticeOut(Schema):
    id: int
    village_code: str = Field(alias="village.code")
    kind: str
    posted_on: dt.date
    days: int
    ends_on: dt.date = Field(description="the first day the cases may go to the township")
    case_ids: list[int]

    @staticmethod
    def resolve_case_ids(obj: VillageNotice) -> list[int]:
        return sorted(obj.cases.values_list("id", flat=True))


class SettlementIn(Schema):
    upheld: bool = Field(description="true ends the case at the village")
    resolution: str


# ---------------------------------------------------------------- reading


@router.get("/cases", response=list[CaseListItem], summary="Cases in your area, the earliest due first")
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_cases(request: HttpRequest, filters: Query[CaseQuery]) -> Any:
    return selectors.search_cases(
        actor(request),
        selectors.CaseFilters(
            state=filters.step,
            kind=filters.kind,
            overdue=filters.overdue,
            area_code=filters.area_code.strip(),
            household_number=filters.household_number,
            open_only=filters.open_only,
        ),
    )


@router.get(
    "/cases/{int:case_id}", response={200: CaseOut, 404: MessageOut}, summary="One case and its timeline"
)
def get_case(request: HttpRequest, case_id: int) -> Case:
    return selectors.get_case(actor(request), case_id)


# ---------------------------------------------------------------- opening and steps


@router.post(
    "/cases/referrals",
    response={201: CaseOut, **STEP_ERRORS},
    summary="A department refers a household in difficulty: a case opens at the household visit",
)
def refer(request: HttpRequest, payload: ReferralIn) -> Status[Case]:
    user = actor(request)
    case = services.refer(
        actor=user,
        household_number=payload.household_number,
        category=payload.category,
        risk_types=payload.risk_types,
        description=payload.description,
    )
    return Status(201, selectors.get_case(user, case.pk))


def _step(request: HttpRequest, case_id: int, capability: Capability) -> tuple[User, Case]:
    """The user and the case, if the case is in their area (else 404) and their role takes the step."""
    user = actor(request)
    case = selectors.get_case(user, case_id)
    if not user.can(capability):
        raise NotPermitted(role_refusal(user.role, capability))
    return user, case


@router.post(
    "/cases/{int:case_id}/visit", response={200: CaseOut, **STEP_ERRORS}, summary="The household visit"
)
def visit(request: HttpRequest, case_id: int, payload: CaseVisitIn) -> Case:
    user, case = _step(request, case_id, Capability.VILLAGE_STEPS)
    services.record_visit(
        actor=user,
        case=case.pk,
        visited_on=payload.visited_on,
        findings=payload.findings,
        proceed=payload.proceed,
        authorization_signed=payload.authorization_signed,
        category=payload.category,
        risk_types=payload.risk_types,
        income_per_capita=payload.income_per_capita,
        income_stable_since=payload.income_stable_since,
        rigid_spending_resolved=payload.rigid_spending_resolved,
    )
    return selectors.get_case(user, case_id)


@router.post(
    "/cases/{int:case_id}/appraisal",
    response={200: CaseOut, **STEP_ERRORS},
    summary="The village democratic appraisal",
)
def appraisal(request: HttpRequest, case_id: int, payload: AppraisalIn) -> Case:
    user, case = _step(request, case_id, Capability.VILLAGE_STEPS)
    services.record_appraisal(
        actor=user,
        case=case.pk,
        held_on=payload.held_on,
        attendees=payload.attendees,
        votes_for=payload.votes_for,
        votes_against=payload.votes_against,
        agreed=payload.agreed,
        notes=payload.notes,
    )
    return selectors.get_case(user, case_id)


@router.post(
    "/cases/{int:case_id}/objections",
    response={201: ObjectionOut, **STEP_ERRORS},
    summary="Record an objection raised during the public notice",
)
def record_objection(request: HttpRequest, case_id: int, payload: ObjectionIn) -> Status[Objection]:
    user, case = _step(request, case_id, Capability.VILLAGE_STEPS)
    objection = services.record_objection(
        actor=user, case=case.pk, received_on=payload.received_on, summary=payload.summary
    )
    return Status(201, objection)


@router.post(
    "/cases/{int:case_id}/submit",
    response={200: CaseOut, **STEP_ERRORS},
    summary="Send the case to the township once the notice is over and objections are settled",
)
def submit(request: HttpRequest, case_id: int) -> Case:
    user, case = _step(request, case_id, Capability.VILLAGE_STEPS)
    services.submit(actor=user, case=case.pk)
    return selectors.get_case(user, case_id)


@router.post(
    "/cases/{int:case_id}/township-review",
    response={200: CaseOut, **STEP_ERRORS},
    summary="Pass the case to the county, or return it to the village with a reason",
)
def township_review(request: HttpRequest, case_id: int, payload: TownshipReviewIn) -> Case:
    user, case = _step(request, case_id, Capability.TOWNSHIP_REVIEW)
    services.township_review(actor=user, case=case.pk, approve=payload.approve, reason=payload.reason)
    return selectors.get_case(user, case_id)


@router.post(
    "/cases/{int:case_id}/county-decision",
    response={200: CaseOut, **STEP_ERRORS},
    summary="Approve (with category and risk types, or how the risk was eliminated), reject, or return",
)
def county_decision(request: HttpRequest, case_id: int, payload: CountyDecisionIn) -> Case:
    user, case = _step(request, case_id, Capability.COUNTY_DECISION)
    services.county_decide(
        actor=user,
        case=case.pk,
        decision=payload.decision,
        reason=payload.reason,
        category=payload.category,
        risk_types=payload.risk_types,
        elimination_kind=payload.elimination_kind,
    )
    return selectors.get_case(user, case_id)


@router.post(
    "/cases/{int:case_id}/fast-track",
    response={200: CaseOut, **STEP_ERRORS},
    summary="Include the household at once (disaster, sudden serious illness, accident); the steps stay owed",
)
def fast_track(request: HttpRequest, case_id: int, payload: FastTrackIn) -> Case:
    user, case = _step(request, case_id, Capability.FAST_TRACK)
    services.fast_track(
        actor=user,
        case=case.pk,
        reason_kind=payload.reason_kind,
        category=payload.category,
        risk_types=payload.risk_types,
        reason=payload.reason,
    )
    return selectors.get_case(user, case_id)


@router.post(
    "/cases/notices",
    response={201: NoticeOut, **STEP_ERRORS},
    summary="Post a village public notice for cases waiting for it",
)
def post_notice(request: HttpRequest, payload: NoticeIn) -> Status[VillageNotice]:
    user = actor(request)
    if not user.can(Capability.VILLAGE_STEPS):
        raise NotPermitted(role_refusal(user.role, Capability.VILLAGE_STEPS))
    notice = services.post_notice(
        actor=user, case_ids=payload.case_ids, posted_on=payload.posted_on, days=payload.days
    )
    return Status(201, selectors.get_notice(user, notice.pk))


@router.post(
    "/cases/objections/{int:objection_id}/settlement",
    response={200: ObjectionOut, **STEP_ERRORS},
    summary="Settle an objection raised during the public notice",
)
def settle_objection(request: HttpRequest, objection_id: int, payload: SettlementIn) -> Objection:
    user = actor(request)
    # The area first (404 outside it), then the role (403), as for every step.
    if not scope.scoped(Objection.objects.all(), user).filter(pk=objection_id).exists():
        raise OutOfScope()
    if not user.can(Capability.VILLAGE_STEPS):
        raise NotPermitted(role_refusal(user.role, Capability.VILLAGE_STEPS))
    return services.settle_objection(
        actor=user, objection_id=objection_id, upheld=payload.upheld, resolution=payload.resolution
    )
