"""Benefits: programme openings in scope, their applications, entering a batch, approving a batch.

Reads go through ``fupin.benefits.selectors`` (the scoping layer): openings of the counties the token
user's area holds or is part of, and of their applications only those inside the user's area. An
opening or an application outside is "not found" (404), whether it exists or not.

Writes go through ``fupin.benefits.services``: ``enter_applications`` checks every row against the
programme's rules and enters all of them or none (a problem is 422 with
``loc`` ``["body", "rows", <index from 0>, <field>]``, a fact's as ``[..., "facts", <fact>]``), and
``approve`` approves a batch with the amounts the engine allows at that moment and leaves out, with
the reason, what it may not approve (the approver's own entry, one the rules refuse, one no longer
waiting). A push takes an ``Idempotency-Key`` as the feeds push does (``fupin.api.idempotency``).

Responses show ID numbers only masked and bank accounts only as their last four digits.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema
from ninja.pagination import paginate

from fupin.accounts.models import User
from fupin.api import idempotency
from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut, ValidationErrorOut
from fupin.benefits import programmes as programme_info
from fupin.benefits import selectors, services
from fupin.benefits.models import Application, ApplicationStatus, Opening, OpeningStatus
from fupin.core.errors import InvalidInput, Message, OutOfScope
from fupin.engine.programmes import APPLICANTS
from fupin.entities.models import EntityKind

router = Router(tags=["benefits"])

MAX_ROWS = 500
MAX_APPROVALS = 1000
INPUT_FIELDS = (
    "applied_on",
    "id_number",
    "credit_code",
    "entity_name",
    "entity_kind",
    "post_code",
    "period",
    "bank_name",
    "bank_holder",
    "bank_account",
)


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else format((Decimal(fen) / 100).quantize(Decimal("0.01")), "f")


# ---------------------------------------------------------------- openings


class FactOut(Schema):
    name: str = Field(description="the key of the fact in an application's `facts`")
    kind: str = Field(json_schema_extra={"enum": ["number", "integer", "boolean", "date", "string"]})
    label: str = Field(description="what the fact is, in the request's language")


class OpeningOut(Schema):
    id: int
    pack: str = Field(description="the policy pack the programme's rules are in")
    programme: str
    title: str = Field(description="the programme's title in the request's language")
    county_code: str
    county_name: str
    year: int
    status: str = Field(json_schema_extra={"enum": list(OpeningStatus.values)})
    public_notice: bool = Field(description="the approved beneficiaries are announced before payment")
    applicant: str = Field(json_schema_extra={"enum": list(APPLICANTS)})
    needs_id_number: bool = Field(description="an application names a person by ID number")
    needs_credit_code: bool = Field(description="an application names an entity by its credit code")
    needs_post: bool = Field(description="an application names a post (`post_code`)")
    needs_period: bool = Field(description="an application names the month claimed (`period`)")
    pays_money: bool = Field(description="false for a decision without money (a repayment extension)")
    facts: list[FactOut] = Field(description="the facts the programme's rules read: send each one")


def _opening_out(opening: Opening) -> dict[str, Any]:
    checked = programme_info.checked(opening.pack)
    programme = programme_info.programme(checked, opening.programme)
    base = {
        "id": opening.pk,
        "pack": opening.pack,
        "programme": opening.programme,
        "title": programme_info.title(programme, opening.programme),
        "county_code": opening.county.code,
        "county_name": opening.county.name,
        "year": opening.year,
        "status": opening.status,
        "public_notice": opening.public_notice,
    }
    if programme is None:  # the pack no longer has it: nothing can be entered
        return {
            **base,
            "applicant": "person",
            "needs_id_number": False,
            "needs_credit_code": False,
            "needs_post": False,
            "needs_period": False,
            "pays_money": False,
            "facts": [],
        }
    return {
        **base,
        "applicant": programme.applicant,
        "needs_id_number": programme_info.needs_person(programme),
        "needs_credit_code": programme_info.needs_entity(programme),
        "needs_post": programme.applicant == "post",
        "needs_period": programme_info.needs_period(programme),
        "pays_money": programme.amount is not None,
        "facts": [
            {"name": f.name, "kind": f.kind, "label": str(f.label)}
            for f in programme_info.facts_asked(checked, programme)
        ],
    }


@router.get(
    "/benefit-openings",
    response=list[OpeningOut],
    summary="Benefit programmes opened in your counties",
    description=(
        "Programmes of a policy pack a county opened for a year, newest year first, for the counties "
        "your area holds or is part of: who applies, and the facts an application must give."
    ),
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_openings(request: HttpRequest) -> Any:
    openings = selectors.openings_for(actor(request)).order_by("-year", "county__code", "programme", "id")
    return [_opening_out(opening) for opening in openings]


# ---------------------------------------------------------------- applications


class ApplicationOut(Schema):
    id: int
    opening_id: int
    programme: str
    status: str = Field(json_schema_extra={"enum": list(ApplicationStatus.values)})
    status_label: str = Field(description="the status in the request's language")
    applied_on: dt.date
    period: dt.date | None = Field(description="the month claimed (its first day)")
    area_code: str = Field(description="the person's village, or the entity's area")
    person_name: str | None
    id_number_masked: str | None
    entity_name: str | None
    credit_code: str | None = Field(description="the entity's unified social credit code")
    post_code: str
    eligible: bool | None = Field(description="the rules' decision: provisional until approved")
    refusal_code: str = Field(description="the condition or cap that refused it, if any")
    amount: str | None = Field(description="yuan the rules allow (provisional until approved)")
    entered_by: str | None
    entered_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str = Field(description="the approver's note, or why it was returned or refused")


class ExplanationOut(Schema):
    zh: list[str]
    en: list[str]


class ApplicationDetailOut(ApplicationOut):
    base_amount: str | None = Field(description="yuan by the amount formula, before any cap")
    explanation: ExplanationOut = Field(description="the base, each cap that applied, the final amount")
    facts: dict[str, Any] = Field(description="the facts as stored (numbers as decimal strings)")
    bank_name: str | None
    bank_account_masked: str | None = Field(description="the payee account's last four digits")


def _application_out(application: Application) -> dict[str, Any]:
    member, entity = application.member, application.entity
    return {
        "id": application.pk,
        "opening_id": application.opening_id,
        "programme": application.programme,
        "status": application.status,
        "status_label": str(ApplicationStatus(application.status).label),
        "applied_on": application.applied_on,
        "period": application.period,
        "area_code": application.area.code,
        "person_name": member.name if member is not None else None,
        "id_number_masked": member.id_number_masked if member is not None else None,
        "entity_name": entity.name if entity is not None else None,
        "credit_code": entity.credit_code if entity is not None else None,
        "post_code": application.post_code,
        "eligible": application.eligible,
        "refusal_code": application.refusal_code,
        "amount": _yuan(application.amount_fen),
        "entered_by": application.entered_by.username if application.entered_by else None,
        "entered_at": application.entered_at,
        "decided_by": application.decided_by.username if application.decided_by else None,
        "decided_at": application.decided_at,
        "decision_note": application.decision_note,
    }


def _detail_out(application: Application) -> dict[str, Any]:
    account = services.payee_account(application)
    explanation = application.explanation or {}
    return {
        **_application_out(application),
        "base_amount": _yuan(application.base_fen),
        "explanation": {"zh": list(explanation.get("zh", [])), "en": list(explanation.get("en", []))},
        "facts": dict(application.facts or {}),
        "bank_name": account.bank_name if account is not None else None,
        "bank_account_masked": account.number_masked if account is not None else None,
    }


class ApplicationQuery(Schema):
    status: str = Field(
        "", json_schema_extra={"enum": ["", *ApplicationStatus.values]}, description="empty: every status"
    )


@router.get(
    "/benefit-openings/{int:opening_id}/applications",
    response={200: list[ApplicationOut], 404: MessageOut},
    summary="The applications of an opening in your area",
    description=(
        "In date order, with the rules' amount (provisional until approved). Only applications of "
        "people and entities inside your area are listed; an opening of a county you are no part of "
        "is 404."
    ),
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_applications(request: HttpRequest, opening_id: int, filters: Query[ApplicationQuery]) -> Any:
    user = actor(request)
    opening = selectors.get_opening(user, opening_id)
    applications = selectors.applications_for(user).filter(opening=opening).order_by("applied_on", "id")
    if filters.status in ApplicationStatus.values:
        applications = applications.filter(status=filters.status)
    elif filters.status:
        raise InvalidInput({"status": [_("Choose a status from the list.")]})
    return [_application_out(a) for a in applications]


@router.get(
    "/benefit-applications/{int:application_id}",
    response={200: ApplicationDetailOut, 404: MessageOut},
    summary="One application: its amount and how it was computed",
    description=(
        "Status, the facts, the amount and its explanation in Chinese and English (the base, each cap "
        "that applied and by how much, the final amount). 404 outside your area."
    ),
)
def get_application(request: HttpRequest, application_id: int) -> dict[str, Any]:
    return _detail_out(selectors.get_application(actor(request), application_id))


# ---------------------------------------------------------------- entering


FactValue = bool | int | Decimal | str | None


class ApplicationIn(Schema):
    """One application. Which fields a programme needs: ``GET /benefit-openings`` (``needs_*``, ``facts``)."""

    applied_on: dt.date = Field(description="in the opening's year, not after today")
    id_number: str = Field("", max_length=40, description="the person's ID number (GB 11643)")
    credit_code: str = Field("", max_length=40, description="the entity's unified social credit code")
    entity_name: str = Field("", max_length=100, description="needed when the entity is new to the system")
    entity_kind: str = Field(
        "",
        json_schema_extra={"enum": ["", *EntityKind.values]},
        description="needed when the entity is new to the system",
    )
    post_code: str = Field("", max_length=40, description="the post's number or name")
    period: dt.date | None = Field(None, description="the month claimed: any day of it")
    facts: dict[str, FactValue] = Field(
        default_factory=dict,
        description="fact → value: numbers as JSON numbers or decimal strings, yes/no as booleans, "
        "dates as YYYY-MM-DD",
        json_schema_extra={"maxProperties": 30},
    )
    bank_name: str = Field("", max_length=100)
    bank_holder: str = Field("", max_length=100, description="empty: the applicant's own name")
    bank_account: str = Field("", max_length=40, description="empty: keep the account recorded before")


class ApplicationsIn(Schema):
    rows: list[ApplicationIn] = Field(min_length=1, max_length=MAX_ROWS, description=f"1-{MAX_ROWS} rows")


class ApplicationsOut(Schema):
    count: int
    amount: str = Field(description="yuan in all, as the rules compute it now (provisional)")
    applications: list[ApplicationOut]


def _error(loc: list[str | int], message: Message, kind: str = "invalid") -> dict[str, Any]:
    return {"loc": loc, "msg": str(message), "type": kind}


def _unusable(value: str) -> bool:
    """Text the database cannot take: a NUL or an unpaired surrogate."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _input_problems(opening: Opening, rows: list[ApplicationIn]) -> list[dict[str, Any]]:
    """Facts the programme does not read, and text that is not text (before the service is asked)."""
    checked = programme_info.checked(opening.pack)
    programme = programme_info.programme(checked, opening.programme)
    asked = {f.name for f in programme_info.facts_asked(checked, programme)} if programme else set()
    problems = []
    for index, row in enumerate(rows):
        for name in INPUT_FIELDS:
            value = getattr(row, name)
            if isinstance(value, str) and _unusable(value):
                problems.append(
                    _error(["body", "rows", index, name], _("This value holds characters that are not text."))
                )
        for name, value in row.facts.items():
            loc: list[str | int] = ["body", "rows", index, "facts", name]
            if _unusable(name) or name not in asked:
                problems.append(_error(loc, _("The programme's rules read no such fact: leave it out.")))
            elif isinstance(value, str) and _unusable(value):
                problems.append(_error(loc, _("This value holds characters that are not text.")))
    return problems


def _to_input(row: ApplicationIn) -> services.ApplicationInput:
    return services.ApplicationInput(
        applied_on=row.applied_on,
        id_number=row.id_number,
        credit_code=row.credit_code,
        entity_name=row.entity_name,
        entity_kind=row.entity_kind,
        post_code=row.post_code,
        period=row.period,
        facts=dict(row.facts),
        bank_name=row.bank_name,
        bank_holder=row.bank_holder,
        bank_account=row.bank_account,
    )


def _row_loc(key: str, rows: int, facts: set[str]) -> list[str | int]:
    """A service error key (``N:field``, or ``field`` for a single row) as a body location."""
    head, sep, name = key.partition(":")
    if sep and head.isdigit():
        index = int(head) - 1
    else:
        index, name = 0, key
    if not 0 <= index < rows:
        return ["body", "rows"]
    if name in facts:
        return ["body", "rows", index, "facts", name]
    if name in INPUT_FIELDS:
        return ["body", "rows", index, name]
    return ["body", "rows", index]


def _enter(user: User, opening: Opening, payload: ApplicationsIn) -> tuple[int, dict[str, Any]]:
    problems = _input_problems(opening, payload.rows)
    if problems:
        return 422, {"detail": problems}
    facts = {name for row in payload.rows for name in row.facts}
    try:
        created = services.enter_applications(
            actor=user, opening=opening, rows=[_to_input(row) for row in payload.rows]
        )
    except InvalidInput as exc:
        return 422, {
            "detail": [
                _error(_row_loc(key, len(payload.rows), facts), message)
                for key, messages in exc.field_errors.items()
                for message in messages
            ]
        }
    fresh = selectors.applications_for(user).filter(pk__in=[a.pk for a in created]).order_by("id")
    body = ApplicationsOut(
        count=len(created),
        amount=_yuan(sum(a.amount_fen or 0 for a in created)) or "0.00",
        applications=[ApplicationOut(**_application_out(a)) for a in fresh],
    ).model_dump(mode="json")
    return 201, body


@router.post(
    "/benefit-openings/{int:opening_id}/applications",
    response={
        201: ApplicationsOut,
        403: MessageOut,
        404: MessageOut,
        409: MessageOut,
        422: ValidationErrorOut,
    },
    summary="Enter applications to an opening (all or nothing)",
    description=(
        "Enters the rows as applications of the opening, exactly as the form and the Excel import do: "
        "every row is checked against the programme's rules, then all are entered or none. A problem is "
        '422 with `loc` `["body", "rows", index, field]` (a fact: `[..., "facts", name]`). The answer '
        "gives each application's provisional amount; each waits for approval by another person. Send "
        "an `Idempotency-Key` header so that a retry never enters twice: the same key and body answer "
        "the first result again (header `Idempotent-Replayed: true`); a failed request keeps no key. "
        "Needs a role that enters applications; a row naming someone outside your area is 404; a "
        "closed opening is 409."
    ),
)
def enter_applications(
    request: HttpRequest,
    opening_id: int,
    payload: ApplicationsIn,
    idempotency_key: str | None = Header(
        None,
        alias=idempotency.HEADER,
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        description=idempotency.KEY_DESCRIPTION,
    ),
) -> JsonResponse:
    user = actor(request)
    opening = selectors.get_opening(user, opening_id)
    return idempotency.respond_once(
        user,
        idempotency_key,
        "POST",
        f"/benefit-openings/{opening.pk}/applications",
        payload.model_dump(mode="json"),
        lambda: _enter(user, opening, payload),
    )


# ---------------------------------------------------------------- approving


class ApprovalIn(Schema):
    application_ids: list[int] = Field(
        min_length=1,
        max_length=MAX_APPROVALS,
        description="applications of this opening waiting for approval",
        json_schema_extra={"items": {"type": "integer", "minimum": 1, "maximum": 2**53}},
    )
    note: str = Field("", max_length=300, description="kept with each approval")


class SkippedOut(Schema):
    id: int
    reason: str = Field(description="why it was not approved, in the request's language")


class ApprovalOut(Schema):
    approved: list[ApplicationOut] = Field(description="with the amounts now fixed")
    amount: str = Field(description="yuan approved in all")
    skipped: list[SkippedOut]


@router.post(
    "/benefit-openings/{int:opening_id}/approvals",
    response={200: ApprovalOut, 403: MessageOut, 404: MessageOut, 422: ValidationErrorOut},
    summary="Approve applications of an opening in a batch",
    description=(
        "Each application gets the amount the rules allow at this moment, after every application "
        "approved before it; one that cannot be approved is left as it was and listed under `skipped` "
        "with the reason: your own entry (another person must approve it), one the rules refuse, one "
        "no longer waiting. Needs a role that approves applications. An id that is not an application "
        "of this opening in your area makes the whole request 404."
    ),
)
def approve(request: HttpRequest, opening_id: int, payload: ApprovalIn) -> dict[str, Any]:
    user = actor(request)
    opening = selectors.get_opening(user, opening_id)
    ids = sorted(set(payload.application_ids))
    if any(not 0 < pk < 2**63 for pk in ids):
        raise OutOfScope()
    found = set(
        selectors.applications_for(user).filter(opening=opening, pk__in=ids).values_list("pk", flat=True)
    )
    if found != set(ids):
        raise OutOfScope()
    if _unusable(payload.note):
        raise InvalidInput({"note": [_("This value holds characters that are not text.")]})
    result = services.approve(actor=user, application_ids=ids, note=payload.note)
    approved = selectors.applications_for(user).filter(pk__in=[a.pk for a in result.approved]).order_by("id")
    return {
        "approved": [_application_out(a) for a in approved],
        "amount": _yuan(result.total_fen) or "0.00",
        "skipped": [{"id": pk, "reason": str(reason)} for pk, reason in sorted(result.skipped.items())],
    }
