"""Project assets over the API (read only): the ledger of an area, one asset with its history, and the
summary by class. Every route reads through ``fupin.assets.selectors``, the pages' own, so the scope is
the same: an asset or area outside it is 404. Money is integer fen."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut, ValidationErrorOut
from fupin.assets import selectors
from fupin.assets.models import Asset
from fupin.core.errors import OutOfScope

router = Router(tags=["assets"])


class AssetOut(Schema):
    id: int
    code: str
    name: str
    asset_class: str = Field(description="operating, public_welfare or household")
    sub_type: str
    project_code: str | None = Field(None, description="the project that formed it; none before the system")
    year_formed: int
    original_value_fen: int
    area_code: str = Field(alias="area.code")
    owner_level: str
    owner_entity: str
    household_number: str | None = None
    operator: str
    contract_from: dt.date | None
    contract_to: dt.date | None
    guaranteed_rate: Decimal | None = Field(description="the yearly guaranteed return, 0.08 = 8%")
    maintenance_body: str
    maintenance_person: str
    beneficiaries: int
    status: str

    @staticmethod
    def resolve_project_code(obj: Asset) -> str | None:
        return obj.project.code if obj.project else None

    @staticmethod
    def resolve_household_number(obj: Asset) -> str | None:
        return obj.household.number if obj.household else None


class FundingOut(Schema):
    source: str
    amount_fen: int


class HandoverOut(Schema):
    handed_on: dt.date
    from_party: str
    to_party: str
    document: str


class AssetIncomeOut(Schema):
    year: int
    amount_fen: int
    source: str
    received_on: dt.date


class AssetShareOut(Schema):
    household_id: int
    household_number: str = Field(alias="household.number")
    weight: int
    amount_fen: int
    priority: bool = Field(description="lifted-out or monitored when the distribution was made")


class LineOut(Schema):
    use: str
    amount_fen: int
    shares: list[AssetShareOut]

    @staticmethod
    def resolve_shares(obj: Any) -> list[Any]:
        return list(obj.shares.all())


class DistributionOut(Schema):
    year: int
    total_fen: int
    household_share_ppm: int = Field(
        description="share paid to lifted-out and monitored households, per million"
    )
    decided_on: dt.date
    decision: str
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class DisposalOut(Schema):
    ground: str
    method: str
    state: str
    meeting_on: dt.date
    township_on: dt.date | None
    county_on: dt.date | None
    disposed_on: dt.date | None
    proceeds_fen: int | None


class AssetDetailOut(AssetOut):
    funding: list[FundingOut]
    handovers: list[HandoverOut]
    incomes: list[AssetIncomeOut]
    distributions: list[DistributionOut]
    disposals: list[DisposalOut]

    @staticmethod
    def resolve_funding(obj: Asset) -> list[Any]:
        return list(obj.funding.all())

    @staticmethod
    def resolve_handovers(obj: Asset) -> list[Any]:
        return list(obj.handovers.all())

    @staticmethod
    def resolve_incomes(obj: Asset) -> list[Any]:
        return list(obj.incomes.all())

    @staticmethod
    def resolve_distributions(obj: Asset) -> list[Any]:
        return list(obj.distributions.prefetch_related("lines__shares__household"))

    @staticmethod
    def resolve_disposals(obj: Asset) -> list[Any]:
        return list(obj.disposals.all())


class ClassOut(Schema):
    asset_class: str
    count: int
    value_fen: int
    income_fen: int
    distributed_fen: int
    priority_fen: int = Field(description="distributed to lifted-out and monitored households")


class LedgerQuery(Schema):
    area_code: str = Field(max_length=12, description="an area in your scope (404 otherwise)")
    asset_class: str | None = None
    status: str | None = None
    owner_level: str | None = None


def _area(user: Any, code: str) -> Any:
    area = selectors.visible_area(user, code)
    if area is None:
        raise OutOfScope()
    return area


@router.get(
    "/assets",
    response={200: list[AssetOut], 404: MessageOut, 422: ValidationErrorOut},
    summary="The asset ledger of an area",
    description="Project assets in an area of your scope, filtered by class, status and owner level.",
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_assets(request: HttpRequest, filters: Query[LedgerQuery]) -> Any:
    user = actor(request)
    area = _area(user, filters.area_code)
    wanted = selectors.Filters.from_query(
        {
            "class": filters.asset_class or "",
            "status": filters.status or "",
            "owner": filters.owner_level or "",
        }
    )
    return selectors.assets_in(user, area, wanted)


@router.get(
    "/assets/{int:asset_id}",
    response={200: AssetDetailOut, 404: MessageOut},
    summary="One asset with its funding, handovers, income, distributions and disposals",
    description="An asset in your area; 404 otherwise.",
)
def get_asset(request: HttpRequest, asset_id: int) -> Any:
    try:
        asset = selectors.get_asset(actor(request), asset_id)
    except Asset.DoesNotExist:
        raise OutOfScope() from None
    return asset


@router.get(
    "/assets/summary/{area_code}",
    response={200: list[ClassOut], 404: MessageOut},
    summary="Assets by class in an area",
    description="Number, original value, income and distributions by class; 404 outside your scope.",
)
def asset_summary(request: HttpRequest, area_code: str) -> Any:
    user = actor(request)
    return selectors.summary(user, _area(user, area_code))
