"""Households: scoped list with filters, detail, create, correct, and the dated type/monitoring changes."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import (
    HouseholdCreate,
    HouseholdListItem,
    HouseholdOut,
    HouseholdPatch,
    MessageOut,
    MonitoringChange,
    TypeStatusChange,
    ValidationErrorOut,
)
from fupin.core.errors import InvalidInput
from fupin.registry import choices, selectors, services
from fupin.registry.models import Household

router = Router(tags=["households"])

WRITE_ERRORS: dict[int, Any] = {403: MessageOut, 404: MessageOut, 409: MessageOut, 422: ValidationErrorOut}


class HouseholdQuery(Schema):
    q: str = Field(
        "",
        description=(
            "part of a household number or member name, a county, township or village name, a full ID "
            "number (exact match), or its last 4 or 6 characters (audited; fewer than 4 digits are refused)"
        ),
    )
    area_code: str = Field("", description="code of a province, prefecture, county, township or village")
    household_type: str = Field("", json_schema_extra={"enum": ["", *choices.HouseholdType.values]})
    status: str = Field("", json_schema_extra={"enum": ["", *choices.HouseholdStatus.values]})
    monitoring_category: str = Field("", json_schema_extra={"enum": ["", *choices.MonitoringCategory.values]})
    risk_type: str = Field("", json_schema_extra={"enum": ["", *choices.RiskType.values]})
    monitored_only: bool = False


@router.get("/households", response=list[HouseholdListItem], summary="List households in your area")
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_households(request: HttpRequest, filters: Query[HouseholdQuery]) -> Any:
    """Households in the token user's view scope, by household number; ``count`` is the total found.
    A search by name or ID number is better sent to ``POST /households/search``: a query string is
    written to the access logs of the proxies in between."""
    return _households(request, filters)


@router.post("/households/search", response=list[HouseholdListItem], summary="Search households in your area")
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def search_households(request: HttpRequest, filters: HouseholdQuery) -> Any:
    """The list's search and filters, sent in the body so that no name or ID number stands in an
    address (only ``limit`` and ``offset`` do). Nothing is changed; the search is audited as the list's."""
    return _households(request, filters)


def _households(request: HttpRequest, filters: HouseholdQuery) -> Any:
    if selectors.parse_query(filters.q).too_short:
        raise InvalidInput({"q": [selectors.TOO_FEW_ID_DIGITS]})
    user = actor(request)
    found = selectors.search_households(
        user,
        selectors.HouseholdFilters(
            query=filters.q,
            area_code=filters.area_code.strip(),
            household_type=filters.household_type,
            status=filters.status,
            monitoring_category=filters.monitoring_category,
            risk_type=filters.risk_type,
            monitored_only=filters.monitored_only,
        ),
    )
    services.record_household_search(
        actor=user, query=filters.q, found=found.count(), channel="api", area_code=filters.area_code.strip()
    )
    return found


@router.get("/households/{int:household_id}", response={200: HouseholdOut, 404: MessageOut})
def get_household(request: HttpRequest, household_id: int) -> Household:
    return selectors.get_household(actor(request), household_id)


@router.post("/households", response={201: HouseholdOut, **WRITE_ERRORS})
def create_household(request: HttpRequest, payload: HouseholdCreate) -> Status[Household]:
    household = services.create_household(
        actor=actor(request),
        number=payload.number,
        village_code=payload.village_code.strip(),
        household_type=payload.household_type,
        status=payload.status,
        values=payload.model_dump(
            exclude_unset=True,
            include=set(services.HOUSEHOLD_EDITABLE),
        ),
        phone_number=payload.phone,
        effective_from=payload.effective_from,
    )
    return Status(201, selectors.get_household(actor(request), household.pk))


@router.patch("/households/{int:household_id}", response={200: HouseholdOut, **WRITE_ERRORS})
def update_household(request: HttpRequest, household_id: int, payload: HouseholdPatch) -> Household:
    household = selectors.get_household(actor(request), household_id)
    sent = payload.model_dump(exclude_unset=True)
    services.update_household(
        actor=actor(request),
        household=household,
        expected_version=payload.version,
        values={k: v for k, v in sent.items() if k in services.HOUSEHOLD_EDITABLE},
        phone_number=sent.get("phone"),
        village_code=sent.get("village_code"),
    )
    return selectors.get_household(actor(request), household_id)


@router.post(
    "/households/{int:household_id}/type-status",
    response={200: HouseholdOut, **WRITE_ERRORS},
    summary="Record a dated change of household type and status",
)
def change_type_and_status(request: HttpRequest, household_id: int, payload: TypeStatusChange) -> Household:
    household = selectors.get_household(actor(request), household_id)
    services.change_type_and_status(
        actor=actor(request),
        household=household,
        expected_version=payload.version,
        household_type=payload.household_type,
        status=payload.status,
        effective_from=payload.effective_from,
        reason=payload.reason,
    )
    return selectors.get_household(actor(request), household_id)


@router.post(
    "/households/{int:household_id}/monitoring",
    response={200: HouseholdOut, **WRITE_ERRORS},
    summary="Record a dated change of monitoring category and risk types",
)
def change_monitoring(request: HttpRequest, household_id: int, payload: MonitoringChange) -> Household:
    household = selectors.get_household(actor(request), household_id)
    services.change_monitoring(
        actor=actor(request),
        household=household,
        expected_version=payload.version,
        category=payload.category,
        risk_types=payload.risk_types,
        effective_from=payload.effective_from,
        reason=payload.reason,
    )
    return selectors.get_household(actor(request), household_id)
