"""The helpers' visit log: read the visits to households in your area, record a visit.

Reads go through ``fupin.twinning.selectors.visit_log`` (view scope); a visit is recorded by
``fupin.twinning.services.record_visit``, the service of the "record a visit" page, with its rules (the
role records visits, the household is in the capture area, a visit by a helper falls in one of the
helper's twinnings with the household, no day in the future) and its audit entry. Photos are added on
the page: the API records the visit's facts.

A push carries an ``Idempotency-Key`` as the feeds push does (``fupin.api.idempotency``): a client on a
poor village connection that retries never records the same visit twice.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema
from ninja.pagination import paginate

from fupin.accounts.models import User
from fupin.api import idempotency
from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.query import invalid_query
from fupin.api.schemas import MessageOut, ValidationErrorOut
from fupin.core.errors import InvalidInput, OutOfScope
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Household
from fupin.twinning import selectors, services
from fupin.twinning.models import Visit

router = Router(tags=["visits"])

WRITE_ERRORS: dict[int, Any] = {403: MessageOut, 404: MessageOut, 422: ValidationErrorOut}
TEXT_LIMIT = 4000  # as the service and the page's form
KEY_DESCRIPTION = (
    "A unique value per visit (a UUID, say), 1-255 characters. A retry with the same key and the same "
    "body returns the first answer and records nothing again; the same key with another body is 422."
)


class VisitLogItem(Schema):
    id: int
    household_id: int
    household_number: str = Field(alias="household.number")
    village_code: str = Field(alias="household.village.code")
    visited_on: dt.date
    helper_id: int | None = Field(description="the helper who went; null: the cadre who recorded it")
    visitor_name: str = Field(description="who went, as recorded on the day")
    findings: str
    follow_up: str
    risk_present: bool = Field(description="the visitor found the risk still present")
    photos: int = Field(description="photos taken on the visit (seen on the visit's page)")
    recorded_at: dt.datetime = Field(alias="created_at")

    @staticmethod
    def resolve_photos(obj: Visit) -> int:
        return int(getattr(obj, "photo_count", 0))


class VisitQuery(Schema):
    household_id: int | None = Field(None, ge=1, description="one household's visits (404 if not yours)")
    helper_id: int | None = Field(None, ge=1, description="one helper's visits (404 if not in your area)")
    visited_from: dt.date | None = Field(None, description="visits on or after this day")
    visited_to: dt.date | None = Field(None, description="visits on or before this day")
    risk_present: bool | None = Field(None, description="only visits that found the risk (true) or not")


class VisitIn(Schema):
    visited_on: dt.date | None = Field(None, description="the day of the visit; not in the future")
    helper_id: int | None = Field(
        None,
        description="the helper who went, twinned with the household on that day; "
        "leave out when you went yourself (your name is recorded)",
    )
    findings: str = Field("", description=f"what the visit found (required, at most {TEXT_LIMIT} characters)")
    follow_up: str = Field("", description=f"follow-up actions (at most {TEXT_LIMIT} characters)")
    risk_present: bool | None = Field(None, description="whether the risk is still present (required)")


@router.get(
    "/visits",
    response={200: list[VisitLogItem], 404: MessageOut, 422: ValidationErrorOut},
    summary="The visit log of your area",
    description=(
        "Visits to households in your area, newest first, filtered by household, helper, a range of days "
        "and whether the visit found the risk still present. A household or helper outside your area is 404."
    ),
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_visits(request: HttpRequest, filters: Query[VisitQuery]) -> Any:
    user = actor(request)
    if filters.visited_from and filters.visited_to and filters.visited_from > filters.visited_to:
        raise invalid_query({"visited_to": [_("The last day comes before the first day.")]})
    if filters.household_id is not None:
        registry_selectors.get_household(user, filters.household_id)
    if filters.helper_id is not None:
        selectors.get_helper(user, filters.helper_id)
    return selectors.visit_log(
        user,
        selectors.VisitFilters(
            household_id=filters.household_id,
            helper_id=filters.helper_id,
            visited_from=filters.visited_from,
            visited_to=filters.visited_to,
            risk_present=filters.risk_present,
        ),
    )


def _visit_out(user: User, visit_id: int) -> Visit:
    visit = selectors.visit_log(user, selectors.VisitFilters()).filter(pk=visit_id).first()
    if visit is None:
        raise OutOfScope()
    return visit


@router.get(
    "/visits/{int:visit_id}",
    response={200: VisitLogItem, 404: MessageOut},
    summary="One visit",
    description="A visit to a household in your area; 404 otherwise.",
)
def get_visit(request: HttpRequest, visit_id: int) -> Visit:
    return _visit_out(actor(request), visit_id)


def _record(user: User, household: Household, payload: VisitIn) -> tuple[int, dict[str, Any]]:
    try:
        visit = services.record_visit(
            actor=user,
            household=household,
            visited_on=payload.visited_on,
            findings=payload.findings,
            follow_up=payload.follow_up,
            risk_present=payload.risk_present,
            helper_id=payload.helper_id,
        )
    except InvalidInput as exc:
        # The service names the helper "helper" (the page's field); here it is sent as helper_id.
        raise InvalidInput(
            {
                ("helper_id" if key == "helper" else key): messages
                for key, messages in exc.field_errors.items()
            }
        ) from None
    return 201, VisitLogItem.from_orm(_visit_out(user, visit.pk)).model_dump(mode="json")


@router.post(
    "/households/{int:household_id}/visits",
    response={201: VisitLogItem, **WRITE_ERRORS},
    summary="Record a visit to a household",
    description=(
        "Records a visit as the page does: by one of the household's helpers (`helper_id`, twinned with "
        "it on that day) or by you. Every problem comes back at once as 422 with its field. Needs a role "
        "that records visits (403) and the household in your capture area (404). Send an "
        "`Idempotency-Key` header so that a retry never records the visit twice: the same key and body "
        "answer the first result again (header `Idempotent-Replayed: true`); a refused visit keeps no key."
    ),
)
def record_visit(
    request: HttpRequest,
    household_id: int,
    payload: VisitIn,
    idempotency_key: str | None = Header(
        None,
        alias=idempotency.HEADER,
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        description=KEY_DESCRIPTION,
    ),
) -> JsonResponse:
    user = actor(request)
    household = registry_selectors.get_household(user, household_id)
    # The service's refusals (403, 404, 422) leave the idempotency transaction as exceptions, so
    # nothing is kept of the key and the API's handlers answer them.
    return idempotency.respond_once(
        user,
        idempotency_key,
        "POST",
        f"/households/{household.pk}/visits",
        payload.model_dump(mode="json"),
        lambda: _record(user, household, payload),
    )
