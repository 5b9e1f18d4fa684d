"""Linkage funds over the API (read only, scoped): an area's year plan with the industry-share check,
its allocations, their disbursements and the spending progress by source and month.

Everything goes through ``fupin.funds.selectors``, the pages' own; an area or allocation outside the
token user's scope is 404 as one that does not exist. Amounts are integer fen.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut
from fupin.areas.models import Area
from fupin.core import clock
from fupin.core.errors import OutOfScope
from fupin.funds import selectors
from fupin.funds.models import Allocation, Disbursement

router = Router(tags=["funds"])


def _area(request: HttpRequest, code: str) -> Area:
    area = selectors.visible_area(actor(request), code)
    if area is None:
        raise OutOfScope()
    return area


def _year(year: int | None) -> int:
    return year or clock.today().year


class SourceOut(Schema):
    source: str
    amount_fen: int | None = Field(description="the year's amount (the county only; null for an area below)")
    allocated_fen: int
    remaining_fen: int | None
    disbursed_fen: int


class FundShareOut(Schema):
    central_fen: int
    industry_fen: int
    share: str | None = Field(description="industry / central, 4 decimals")
    minimum: str = Field(description="industry_share_min of the policy pack for the year")
    passes: bool | None
    source: str


class FundPlanOut(Schema):
    area_code: str
    year: int
    sources: list[SourceOut]
    total_allocated_fen: int
    household_share: str | None
    industry_share: FundShareOut | None
    projects_without_link: list[str] = Field(
        description="codes of allocated projects without a link to farmers or targets"
    )


class AllocationOut(Schema):
    id: int
    project_id: int
    project_code: str = Field(alias="project.code")
    project_name: str = Field(alias="project.name")
    category: str = Field(alias="project.category")
    year: int
    source: str
    amount_fen: int


class DisbursementOut(Schema):
    id: int
    allocation_id: int
    paid_on: dt.date
    amount_fen: int
    voucher_no: str


class ProgressLineOut(Schema):
    source: str = Field(description="empty for the total of all sources")
    allocated_fen: int
    cumulative_fen: list[int] = Field(description="disbursed by the end of each month, January first")


class LateOut(Schema):
    project_code: str
    allocated_fen: int
    disbursed_fen: int
    elapsed: str


class ProgressOut(Schema):
    area_code: str
    year: int
    lines: list[ProgressLineOut]
    total: ProgressLineOut
    late: list[LateOut]
    lag_max: str


@router.get(
    "/funds/{area_code}/plan",
    response={200: FundPlanOut, 404: MessageOut},
    summary="The year's plan of an area",
    description="Sources with amounts, allocated and remaining; the industry-share check (county only).",
)
def get_plan(request: HttpRequest, area_code: str, year: int | None = None) -> dict[str, Any]:
    area = _area(request, area_code)
    plan = selectors.year_plan(actor(request), area, _year(year))
    check = plan.share_check
    return {
        "area_code": area.code,
        "year": plan.year,
        "sources": [
            {
                "source": s.source,
                "amount_fen": s.amount_fen,
                "allocated_fen": s.allocated_fen,
                "remaining_fen": s.remaining_fen,
                "disbursed_fen": s.disbursed_fen,
            }
            for s in plan.sources
        ],
        "total_allocated_fen": plan.total_allocated_fen,
        "household_share": None if plan.household_share is None else str(plan.household_share),
        "industry_share": None
        if check is None
        else {
            "central_fen": check.central_fen,
            "industry_fen": check.industry_fen,
            "share": None if check.value is None else str(check.value),
            "minimum": str(check.minimum),
            "passes": check.passes,
            "source": check.source,
        },
        "projects_without_link": [p.code for p in plan.without_link],
    }


@router.get(
    "/funds/{area_code}/allocations",
    response={200: list[AllocationOut], 404: MessageOut},
    summary="The allocations of an area's year",
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_allocations(request: HttpRequest, area_code: str, year: int | None = None) -> Any:
    area = _area(request, area_code)
    return selectors.allocations_for(actor(request), area, _year(year)).order_by("project__code", "source")


@router.get(
    "/funds/allocations/{int:allocation_id}/disbursements",
    response={200: list[DisbursementOut], 404: MessageOut},
    summary="The payments of one allocation",
)
def list_disbursements(request: HttpRequest, allocation_id: int) -> Any:
    try:
        allocation = selectors.get_allocation(actor(request), allocation_id)
    except Allocation.DoesNotExist:
        raise OutOfScope() from None
    return list(Disbursement.objects.filter(allocation=allocation).order_by("paid_on", "id"))


@router.get(
    "/funds/{area_code}/progress",
    response={200: ProgressOut, 404: MessageOut},
    summary="Spending progress of an area's year",
    description="Disbursed by source and month (cumulative) against the allocated, and the late projects.",
)
def get_progress(request: HttpRequest, area_code: str, year: int | None = None) -> dict[str, Any]:
    area = _area(request, area_code)
    progress = selectors.spending_progress(actor(request), area, _year(year))

    def line(item: selectors.ProgressLine) -> dict[str, Any]:
        return {
            "source": item.source,
            "allocated_fen": item.allocated_fen,
            "cumulative_fen": item.cumulative_fen,
        }

    return {
        "area_code": area.code,
        "year": progress.year,
        "lines": [line(item) for item in progress.lines],
        "total": line(progress.total),
        "late": [
            {
                "project_code": e.project.code,
                "allocated_fen": e.allocated_fen,
                "disbursed_fen": e.disbursed_fen,
                "elapsed": str(e.elapsed),
            }
            for e in progress.late
        ],
        "lag_max": str(progress.lag_max),
    }
