"""Reads for project assets, every one through the scope layer (outside the scope: nothing, or 404)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from fupin.accounts import scope
from fupin.areas.models import Area, AreaLevel
from fupin.assets.models import (
    Asset,
    AssetClass,
    Disposal,
    DisposalState,
    Distribution,
    DistributionShare,
    IncomeRecord,
    OwnerLevel,
    Status,
)
from fupin.registry.models import Household


@dataclass(frozen=True)
class Filters:
    asset_class: str = ""
    status: str = ""
    owner_level: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> Filters:
        def pick(name: str, allowed: list[str]) -> str:
            value = str(query.get(name, "") or "")
            return value if value in allowed else ""

        return cls(
            asset_class=pick("class", AssetClass.values),
            status=pick("status", Status.values),
            owner_level=pick("owner", OwnerLevel.values),
        )

    def as_dict(self) -> dict[str, str]:
        return {"class": self.asset_class, "status": self.status, "owner": self.owner_level}


def visible_area(user: Any, code: str) -> Area | None:
    area = Area.objects.filter(code=code).first()
    if area is None or not scope.area_in_scope(user, area.path):
        return None
    return area


def areas_for(user: Any) -> list[Area]:
    return list(Area.objects.filter(path__in=scope.granted_paths(user, "view")).order_by("path"))


def capture_areas(user: Any) -> list[Area]:
    paths = scope.granted_paths(user, "capture")
    if not paths:
        return []
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return list(Area.objects.filter(condition, level__gte=AreaLevel.COUNTY).order_by("path")[:500])


def assets_in(user: Any, area: Area, filters: Filters = Filters()) -> QuerySet[Asset]:
    queryset = scope.scoped(Asset.objects.all(), user).filter(area__path__startswith=area.path)
    if filters.asset_class:
        queryset = queryset.filter(asset_class=filters.asset_class)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.owner_level:
        queryset = queryset.filter(owner_level=filters.owner_level)
    return queryset.select_related("area", "county", "project", "household").annotate(
        income_fen=Sum("incomes__amount_fen", distinct=False)
    )


def get_asset(user: Any, pk: int) -> Asset:
    """One asset in the user's view scope (``Asset.DoesNotExist`` otherwise: the page says 404)."""
    return scope.scoped(
        Asset.objects.select_related("area", "county", "project", "household", "registered_by"), user
    ).get(pk=pk)


def get_disposal(user: Any, pk: int) -> Disposal:
    return scope.scoped(Disposal.objects.select_related("asset"), user).get(pk=pk)


@dataclass(frozen=True)
class YearFigures:
    year: int
    income_fen: int
    distributed_fen: int
    guaranteed_fen: int | None  # what the contract guarantees for the year (None: no guarantee)

    @property
    def left_fen(self) -> int:
        return self.income_fen - self.distributed_fen

    @property
    def below_guarantee(self) -> bool:
        return self.guaranteed_fen is not None and self.income_fen < self.guaranteed_fen


def asset_page(asset: Asset) -> dict[str, Any]:
    """What the asset's page shows: funding, handovers, income by year, distributions, disposals, history."""
    incomes = list(asset.incomes.select_related("recorded_by"))
    distributions = list(
        asset.distributions.prefetch_related("lines__shares__household").select_related("recorded_by")
    )
    years = sorted({i.year for i in incomes} | {d.year for d in distributions}, reverse=True)
    guaranteed = (
        int(asset.guaranteed_rate * asset.original_value_fen) if asset.guaranteed_rate is not None else None
    )
    figures = [
        YearFigures(
            year,
            sum(i.amount_fen for i in incomes if i.year == year),
            sum(d.total_fen for d in distributions if d.year == year),
            guaranteed,
        )
        for year in years
    ]
    return {
        "funding": list(asset.funding.all()),
        "handovers": list(asset.handovers.all()),
        "incomes": incomes,
        "figures": figures,
        "distributions": distributions,
        "disposals": list(asset.disposals.select_related("requested_by", "township_by", "county_by")),
        "open_disposal": asset.disposals.filter(
            state__in=(DisposalState.REQUESTED, DisposalState.TOWNSHIP_APPROVED, DisposalState.APPROVED)
        ).first(),
        "events": list(asset.events.select_related("actor")),
    }


@dataclass(frozen=True)
class ClassRow:
    asset_class: str
    label: str
    count: int
    value_fen: int
    income_fen: int
    distributed_fen: int
    priority_fen: int


def summary(user: Any, area: Area, year: int | None = None) -> list[ClassRow]:
    """Assets by class in an area: number, original value, income and what was distributed (of a year)."""
    assets = scope.scoped(Asset.objects.all(), user).filter(area__path__startswith=area.path)
    counted = {
        row["asset_class"]: row
        for row in assets.values("asset_class").annotate(n=Count("id"), v=Sum("original_value_fen"))
    }
    incomes = scope.scoped(IncomeRecord.objects.all(), user).filter(asset__area__path__startswith=area.path)
    distributions = scope.scoped(Distribution.objects.all(), user).filter(
        asset__area__path__startswith=area.path
    )
    shares = scope.scoped(DistributionShare.objects.all(), user).filter(
        line__distribution__asset__area__path__startswith=area.path, priority=True
    )
    if year is not None:
        incomes = incomes.filter(year=year)
        distributions = distributions.filter(year=year)
        shares = shares.filter(line__distribution__year=year)

    def by_class(queryset: QuerySet[Any], prefix: str, amount: str) -> dict[str, int]:
        return {
            r[f"{prefix}asset_class"]: int(r["s"] or 0)
            for r in queryset.values(f"{prefix}asset_class").annotate(s=Sum(amount))
        }

    income = by_class(incomes, "asset__", "amount_fen")
    distributed = by_class(distributions, "asset__", "total_fen")
    priority = by_class(shares, "line__distribution__asset__", "amount_fen")
    return [
        ClassRow(
            value,
            str(label),
            int(counted.get(value, {}).get("n", 0)),
            int(counted.get(value, {}).get("v") or 0),
            income.get(value, 0),
            distributed.get(value, 0),
            priority.get(value, 0),
        )
        for value, label in AssetClass.choices
    ]


@dataclass(frozen=True)
class AreaRow:
    area: Area
    count: int
    value_fen: int
    income_fen: int
    distributed_fen: int


def areas_below(user: Any, area: Area) -> list[AreaRow]:
    """Each area one level below: its assets and their income (the province's and county's summary)."""
    if area.level >= AreaLevel.VILLAGE:
        return []
    children = list(Area.objects.filter(parent=area).order_by("code"))
    assets = scope.scoped(Asset.objects.all(), user).filter(area__path__startswith=area.path)
    rows = []
    for child in children:
        if not scope.area_in_scope(user, child.path) and not any(
            p.startswith(child.path) for p in scope.granted_paths(user, "view")
        ):
            continue
        inside = assets.filter(area__path__startswith=child.path)
        figures = inside.aggregate(n=Count("id"), v=Sum("original_value_fen"))
        income = IncomeRecord.objects.filter(asset__in=inside).aggregate(s=Sum("amount_fen"))["s"]
        distributed = Distribution.objects.filter(asset__in=inside).aggregate(s=Sum("total_fen"))["s"]
        if figures["n"]:
            rows.append(
                AreaRow(
                    child, int(figures["n"]), int(figures["v"] or 0), int(income or 0), int(distributed or 0)
                )
            )
    return rows


def household_assets(user: Any, household: Household) -> list[Asset]:
    return list(scope.scoped(Asset.objects.filter(household=household), user).order_by("code"))


def household_shares(user: Any, household: Household) -> list[DistributionShare]:
    return list(
        scope.scoped(DistributionShare.objects.filter(household=household), user)
        .select_related("line__distribution__asset")
        .order_by("-line__distribution__year", "line__distribution__asset__code", "line__id")
    )


def projects_done(user: Any) -> QuerySet[Any]:
    """Completed projects whose assets may be registered (the form's choices)."""
    from fupin.projects.models import Project
    from fupin.projects.models import State as ProjectState

    return scope.scoped(
        Project.objects.filter(state__in=(ProjectState.COMPLETED, ProjectState.ASSETS_REGISTERED)), user
    ).order_by("-year", "code")
