"""Reads of the linkage funds: the year's plan of an area, the industry-share check, spending progress.

Everything is read through the scoping layer. The county is where the money is: its year amounts are
visible to those who see the county (``YearFund`` is scoped by the county's path); an area below the
county sees the allocations and payments of its own projects only.

**The industry share.** The share of the year's central linkage funds (``FundSource.CENTRAL``) that is
allocated to industry projects (``Category.INDUSTRY``), against the pack parameter
``industry_share_min`` in force on 1 January of the year for the county. The denominator is the year's
central amount (the documents received), so money not yet planned does not count towards industry.
Only the category 产业发展 counts: employment projects (就业项目: public-welfare posts, transport
subsidies, training) are a category of their own in the county forms and in the national statements
("用于产业发展的比重"), even where they are described as workshops; a workshop built as an industry
project is recorded with the category industry and counts.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth

from fupin.accounts import scope
from fupin.areas.models import Area, AreaLevel
from fupin.core import clock
from fupin.engine.parameters import value_in_force
from fupin.funds.models import Allocation, Disbursement, YearFund
from fupin.projects.models import APPROVED_STATES, Category, FundSource, Project
from fupin.screening import packs

APPROVED = APPROVED_STATES


def parameter(county_code: str, name: str, on: dt.date) -> tuple[Decimal, str, str]:
    """A pack parameter in force for the county on a day: value, source, confidence."""
    pack = packs.checked().pack
    entry = pack.parameters[name]
    value = value_in_force(entry, county_code, on).value
    return Decimal(str(value)), str(getattr(entry, "source", "") or ""), str(getattr(entry, "confidence", ""))


def visible_area(user: Any, code: str) -> Area | None:
    area = Area.objects.filter(code=code).first()
    if area is None or not scope.area_in_scope(user, area.path):
        return None
    return area


def county_of(area: Area) -> Area | None:
    if area.level < AreaLevel.COUNTY:
        return None
    if area.level == AreaLevel.COUNTY:
        return area
    return Area.objects.filter(code=area.code[:6]).first()


def allocations_for(user: Any, area: Area, year: int) -> QuerySet[Allocation]:
    return (
        scope.scoped(Allocation.objects.all(), user)
        .filter(year=year, project__area__path__startswith=area.path)
        .select_related("project", "project__area", "county")
    )


def disbursements_for(user: Any, area: Area, year: int) -> QuerySet[Disbursement]:
    return (
        scope.scoped(Disbursement.objects.all(), user)
        .filter(allocation__year=year, allocation__project__area__path__startswith=area.path)
        .select_related("allocation", "allocation__project")
    )


def get_allocation(user: Any, pk: int) -> Allocation:
    """The allocation in the user's view scope (DoesNotExist otherwise: the page answers 404)."""
    return scope.scoped(Allocation.objects.select_related("project", "project__area", "county"), user).get(
        pk=pk
    )


def get_project(user: Any, pk: int) -> Project:
    return scope.scoped(Project.objects.select_related("area", "county"), user).get(pk=pk)


def share(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass
class SourceLine:
    source: str
    label: Any
    amount_fen: int | None  # None: the area below the county does not see the county's documents
    allocated_fen: int
    disbursed_fen: int

    @property
    def remaining_fen(self) -> int | None:
        return None if self.amount_fen is None else self.amount_fen - self.allocated_fen


@dataclass
class ShareCheck:
    """The industry share of the year's central funds against the pack's minimum."""

    central_fen: int
    industry_fen: int
    minimum: Decimal
    source: str
    confidence: str

    @property
    def value(self) -> Decimal | None:
        return share(self.industry_fen, self.central_fen)

    @property
    def passes(self) -> bool | None:
        if self.central_fen <= 0:
            return None
        # Exact, not the rounded share: 54.9999% does not pass 55%.
        return Decimal(self.industry_fen) >= self.minimum * Decimal(self.central_fen)


@dataclass
class Plan:
    area: Area
    county: Area | None
    year: int
    sources: list[SourceLine]
    allocations: list[Allocation]
    share_check: ShareCheck | None
    household_fen: int
    total_allocated_fen: int
    by_category: list[tuple[Any, int]]
    without_link: list[Project] = field(default_factory=list)

    @property
    def household_share(self) -> Decimal | None:
        return share(self.household_fen, self.total_allocated_fen)

    @property
    def total_amount_fen(self) -> int | None:
        amounts = [s.amount_fen for s in self.sources if s.amount_fen is not None]
        return sum(amounts) if self.county is not None and self.area == self.county else None


def _year_amounts(county: Area, year: int) -> dict[str, int]:
    rows = (
        YearFund.objects.filter(county=county, year=year).values("source").annotate(total=Sum("amount_fen"))
    )
    return {row["source"]: int(row["total"]) for row in rows}


def share_check(county: Area, year: int) -> ShareCheck:
    """The industry-share check of a county's year (reads the county's whole plan)."""
    central = _year_amounts(county, year).get(FundSource.CENTRAL, 0)
    industry = (
        Allocation.objects.filter(
            county=county, year=year, source=FundSource.CENTRAL, project__category=Category.INDUSTRY
        ).aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )
    minimum, source, confidence = parameter(county.code, "industry_share_min", dt.date(year, 1, 1))
    return ShareCheck(int(central), int(industry), minimum, source, confidence)


def lacking_link(projects: Iterable[Project]) -> list[Project]:
    """Allocated projects without a link to farmers or performance targets of every level."""
    from fupin.projects.models import TargetLevel

    missing = []
    for project in projects:
        levels = set(project.targets.values_list("level", flat=True))
        if (
            not project.link_kind
            or not project.link_description.strip()
            or any(level not in levels for level in TargetLevel.values)
        ):
            missing.append(project)
    return missing


def year_plan(user: Any, area: Area, year: int) -> Plan:
    county = county_of(area)
    allocations = list(allocations_for(user, area, year).order_by("project__code", "source"))
    disbursed = {
        row["allocation__source"]: int(row["total"])
        for row in disbursements_for(user, area, year)
        .values("allocation__source")
        .annotate(total=Sum("amount_fen"))
    }
    whole_county = county is not None and area.pk == county.pk and scope.area_in_scope(user, county.path)
    amounts = _year_amounts(county, year) if whole_county and county is not None else {}
    sources = []
    for source in FundSource:
        allocated = sum(a.amount_fen for a in allocations if a.source == source)
        amount = amounts.get(source, 0) if whole_county else None
        if allocated or (amount or 0) or disbursed.get(source):
            sources.append(SourceLine(source, source.label, amount, allocated, disbursed.get(source, 0)))
    categories: dict[str, int] = {}
    for allocation in allocations:
        categories[allocation.project.category] = (
            categories.get(allocation.project.category, 0) + allocation.amount_fen
        )
    projects = {a.project_id: a.project for a in allocations if a.amount_fen > 0}
    return Plan(
        area=area,
        county=county,
        year=year,
        sources=sources,
        allocations=allocations,
        share_check=share_check(county, year) if whole_county and county is not None else None,
        household_fen=sum(a.amount_fen for a in allocations if a.project.household_project),
        total_allocated_fen=sum(a.amount_fen for a in allocations),
        by_category=[(Category(c).label, v) for c, v in sorted(categories.items(), key=lambda kv: -kv[1])],
        without_link=lacking_link(projects.values()),
    )


# ---------------------------------------------------------------- spending progress


@dataclass
class ProgressLine:
    source: str
    label: Any
    allocated_fen: int
    cumulative_fen: list[int]  # by the end of each month, January first

    @property
    def shares(self) -> list[Decimal | None]:
        return [share(v, self.allocated_fen) for v in self.cumulative_fen]


@dataclass
class LateProject:
    project: Project
    allocated_fen: int
    disbursed_fen: int
    elapsed: Decimal

    @property
    def disbursed_share(self) -> Decimal:
        return share(self.disbursed_fen, self.allocated_fen) or Decimal(0)


@dataclass
class Progress:
    area: Area
    year: int
    months: int  # months shown: up to the current month in the current year, 12 for past years
    lines: list[ProgressLine]
    total: ProgressLine
    late: list[LateProject]
    lag_max: Decimal
    lag_source: str


def _period(project: Project, year: int) -> tuple[dt.date, dt.date]:
    start = project.starts_on or dt.date(year, 1, 1)
    if project.ends_on and project.ends_on > start:
        return start, project.ends_on
    months = max(1, int(project.months or 12))
    month = start.month - 1 + months
    end_year, end_month = start.year + month // 12, month % 12 + 1
    day = min(start.day, calendar.monthrange(end_year, end_month)[1])
    return start, dt.date(end_year, end_month, day)


def elapsed_share(project: Project, year: int, on: dt.date) -> Decimal:
    start, end = _period(project, year)
    if on <= start:
        return Decimal(0)
    if on >= end:
        return Decimal(1)
    return (Decimal((on - start).days) / Decimal((end - start).days)).quantize(Decimal("0.0001"))


def spending_progress(user: Any, area: Area, year: int, on: dt.date | None = None) -> Progress:
    today = on or clock.today()
    months = 12 if year < today.year else (0 if year > today.year else today.month)
    allocations = list(allocations_for(user, area, year))
    monthly: dict[tuple[str, int], int] = {}
    rows = (
        disbursements_for(user, area, year)
        .filter(paid_on__year=year)
        .annotate(month=ExtractMonth("paid_on"))
        .values("allocation__source", "month")
        .annotate(total=Sum("amount_fen"))
    )
    for row in rows:
        monthly[(row["allocation__source"], int(row["month"]))] = int(row["total"])
    before = {
        row["allocation__source"]: int(row["total"])
        for row in disbursements_for(user, area, year)
        .filter(paid_on__year__lt=year)
        .values("allocation__source")
        .annotate(total=Sum("amount_fen"))
    }
    lines = []
    for source in FundSource:
        allocated = sum(a.amount_fen for a in allocations if a.source == source)
        if not allocated:
            continue
        running, cumulative = before.get(source, 0), []
        for month in range(1, months + 1):
            running += monthly.get((source, month), 0)
            cumulative.append(running)
        lines.append(ProgressLine(source, source.label, allocated, cumulative))
    total = ProgressLine(
        "",
        "",
        sum(line.allocated_fen for line in lines),
        [sum(line.cumulative_fen[i] for line in lines) for i in range(months)],
    )
    county = county_of(area)
    lag, lag_source, _confidence = parameter(
        (county or area).code, "spending_lag_max", min(today, dt.date(year, 12, 31))
    )
    return Progress(
        area, year, months, lines, total, late_projects(user, area, year, today, lag), lag, lag_source
    )


def late_projects(user: Any, area: Area, year: int, on: dt.date, lag: Decimal) -> list[LateProject]:
    """Projects whose disbursed share lags the elapsed share of their implementation period by more
    than the pack's ``spending_lag_max``."""
    allocated: dict[int, int] = {}
    projects: dict[int, Project] = {}
    for allocation in allocations_for(user, area, year):
        allocated[allocation.project_id] = allocated.get(allocation.project_id, 0) + allocation.amount_fen
        projects[allocation.project_id] = allocation.project
    paid = {
        row["allocation__project"]: int(row["total"])
        for row in disbursements_for(user, area, year)
        .filter(paid_on__lte=on)
        .values("allocation__project")
        .annotate(total=Sum("amount_fen"))
    }
    late = []
    for pk, amount in allocated.items():
        if amount <= 0:
            continue
        entry = LateProject(projects[pk], amount, paid.get(pk, 0), elapsed_share(projects[pk], year, on))
        if entry.elapsed - entry.disbursed_share > lag:
            late.append(entry)
    return sorted(late, key=lambda e: (e.disbursed_share - e.elapsed, e.project.code))


# ---------------------------------------------------------------- the province's table


@dataclass
class CountyRow:
    county: Area
    amount_fen: int
    allocated_fen: int
    disbursed_fen: int
    share_check: ShareCheck

    @property
    def progress(self) -> Decimal | None:
        return share(self.disbursed_fen, self.allocated_fen)


def counties_table(user: Any, area: Area, year: int) -> list[CountyRow]:
    """Every county in the area (and the user's scope): its year amount, plan, share and progress."""
    counties = [
        county
        for county in Area.objects.filter(level=AreaLevel.COUNTY, path__startswith=area.path).order_by("code")
        if scope.area_in_scope(user, county.path)
    ]
    amounts = {
        row["county"]: int(row["total"])
        for row in YearFund.objects.filter(year=year, county__in=counties)
        .values("county")
        .annotate(total=Sum("amount_fen"))
    }
    allocated = {
        row["county"]: int(row["total"])
        for row in Allocation.objects.filter(year=year, county__in=counties)
        .values("county")
        .annotate(total=Sum("amount_fen"))
    }
    paid = {
        row["allocation__county"]: int(row["total"])
        for row in Disbursement.objects.filter(allocation__year=year, allocation__county__in=counties)
        .values("allocation__county")
        .annotate(total=Sum("amount_fen"))
    }
    return [
        CountyRow(c, amounts.get(c.pk, 0), allocated.get(c.pk, 0), paid.get(c.pk, 0), share_check(c, year))
        for c in counties
        if amounts.get(c.pk) or allocated.get(c.pk)
    ]


def fundable_projects(user: Any, county: Area) -> QuerySet[Project]:
    """The county's approved projects (the allocation form's choices), in the user's scope."""
    return (
        scope.scoped(Project.objects.all(), user)
        .filter(county=county, state__in=APPROVED_STATES)
        .filter(~Q(state=""))
        .order_by("code")
    )
