"""Risk screening: the clues found in the user's area, and the rules one household hits today."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut
from fupin.registry import choices
from fupin.registry import selectors as registry_selectors
from fupin.screening import selectors
from fupin.screening.models import ClueStatus

router = Router(tags=["screening"])


class Reason(Schema):
    """One reason of a clue. A clue raised on a visit or a declaration has no rule behind it, so
    no category or values: those are empty, never missing."""

    rule_id: str
    severity: str
    category: str = ""
    title_zh: str = ""
    title_en: str = ""
    zh: str
    en: str
    values: dict[str, Any] = Field(default_factory=dict)


class RiskClueOut(Schema):
    id: int
    household_id: int
    household_number: str = Field(alias="household.number")
    village_code: str = Field(alias="household.village.code")
    status: str
    suggested_category: str
    risk_types: list[str] = Field(alias="risk_type_list")
    rule_ids: list[str]
    explanation: list[Reason]
    run_id: int | None
    created_at: Any


class ClueQuery(Schema):
    status: str = Field("open", json_schema_extra={"enum": ["", *ClueStatus.values]})
    category: str = Field("", json_schema_extra={"enum": ["", *choices.MonitoringCategory.values]})
    risk_type: str = Field("", json_schema_extra={"enum": ["", *choices.RiskType.values]})
    area_code: str = Field("", description="code of a county, township or village")


@router.get("/risk-clues", response=list[RiskClueOut], summary="Risk clues in your area, newest first")
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_clues(request: HttpRequest, filters: Query[ClueQuery]) -> Any:
    return selectors.search_clues(
        actor(request),
        selectors.ClueFilters(
            status=filters.status,
            category=filters.category,
            risk_type=filters.risk_type,
            area_code=filters.area_code,
        ),
    )


@router.get(
    "/households/{int:household_id}/screening",
    response={200: list[Reason], 404: MessageOut},
    summary="The rules this household hits today (the same compiled rules as a screening run)",
)
def household_screening(request: HttpRequest, household_id: int) -> Any:
    household = registry_selectors.get_household(actor(request), household_id)
    return selectors.rules_hit_now(household)
