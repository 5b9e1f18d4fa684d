"""Helpers and twinning (read only): helpers in the user's area, a household's helpers and visits.

Through ``fupin.twinning.selectors``: helpers kept in the user's area or twinned with a household
they see; twinnings and visits of households in their view scope. Helpers' phones appear only
masked; a household outside the user's area is "not found".
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut
from fupin.registry import selectors as registry_selectors
from fupin.twinning import selectors
from fupin.twinning.models import Assignment, Visit

router = Router(tags=["twinning"])


class HelperOut(Schema):
    id: int
    name: str
    unit: str = Field(description="work unit")
    rank: str = Field(description="the rank's code in the county's quota table")
    rank_label: str
    area_code: str = Field(description="the area whose cadres keep the helper's record")
    phone_masked: str
    active: bool = Field(description="still helping")
    current_households: int = Field(description="households twinned now")
    quota: int | None = Field(description="households per helper of the rank; null: no quota")
    over_quota: bool


class HelperQuery(Schema):
    q: str = Field("", max_length=50, description="part of the name or the work unit")
    rank: str = Field("", max_length=30)
    active_only: bool = True


class AssignmentOut(Schema):
    id: int
    helper_id: int
    helper_name: str = Field(alias="helper.name")
    helper_unit: str = Field(alias="helper.unit")
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str
    current: bool

    @staticmethod
    def resolve_current(obj: Assignment) -> bool:
        return obj.ended_on is None


class VisitOut(Schema):
    id: int
    visited_on: dt.date
    helper_id: int | None
    visitor_name: str
    findings: str
    follow_up: str
    risk_present: bool
    photos: int

    @staticmethod
    def resolve_photos(obj: Visit) -> int:
        return int(getattr(obj, "photo_count", 0))


class TwinningOut(Schema):
    household_id: int
    household_number: str
    assignments: list[AssignmentOut] = Field(description="current twinnings first, then ended ones")
    visits: list[VisitOut] = Field(description="newest first")


@router.get(
    "/helpers",
    response=list[HelperOut],
    summary="Helpers in your area",
    description=(
        "Helpers (帮扶责任人) kept in your area or twinned with a household in it, by name, with how "
        "many households each helps now against the county's quota for the rank."
    ),
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_helpers(request: HttpRequest, filters: Query[HelperQuery]) -> Any:
    rows = selectors.helper_rows(
        actor(request),
        selectors.HelperFilters(query=filters.q, rank=filters.rank, active_only=filters.active_only),
    )
    return [
        {
            "id": row.helper.pk,
            "name": row.helper.name,
            "unit": row.helper.unit,
            "rank": row.helper.rank,
            "rank_label": row.rank_label,
            "area_code": row.helper.area.code,
            "phone_masked": row.helper.phone_masked,
            "active": row.helper.active,
            "current_households": row.current,
            "quota": row.quota,
            "over_quota": row.over_quota,
        }
        for row in rows
    ]


@router.get(
    "/households/{int:household_id}/twinning",
    response={200: TwinningOut, 404: MessageOut},
    summary="A household's helpers and visits",
    description=(
        "The household's twinnings with helpers (current first) and its visit log (newest first). "
        "404 for a household outside your area."
    ),
)
def household_twinning(request: HttpRequest, household_id: int) -> dict[str, Any]:
    user = actor(request)
    household = registry_selectors.get_household(user, household_id)
    return {
        "household_id": household.pk,
        "household_number": household.number,
        "assignments": selectors.household_assignments(user, household),
        "visits": selectors.household_visits(user, household),
    }
