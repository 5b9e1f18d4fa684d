"""What the dashboard reads, inside the user's view scope: areas, their figures, children and trends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from fupin.accounts import scope
from fupin.areas.models import Area
from fupin.areas.selectors import area_for  # noqa: F401 - the dashboard's area lookup
from fupin.dashboard import catalogue
from fupin.indicators import selectors as figures
from fupin.indicators.models import Build
from fupin.indicators.snapshot import POOR_STATUSES
from fupin.registry.models import Household


@dataclass
class Row:
    code: str
    name: str
    level: int
    values: dict[str, Any] = field(default_factory=dict)
    has_figures: bool = True

    def value(self, indicator: catalogue.Indicator, line: str) -> Any:
        return self.values.get(indicator.key_for(line))

    def shown(self, indicator: catalogue.Indicator, line: str) -> str:
        return catalogue.formatted(self.value(indicator, line), indicator.kind)


def root_areas(user: Any) -> list[Area]:
    """The areas granted to the user, widest first (a user's dashboard starts at these)."""
    paths = scope.granted_paths(user, "view")
    return list(Area.objects.filter(path__in=paths).order_by("level", "code"))


def sees_nation(user: Any, build: Build) -> bool:
    """A user granted every province that has figures sees the nation's row."""
    roots = {area.code for area in root_areas(user) if area.level == 1}
    provinces = {row.code for row in figures.children(build, "")}
    return bool(provinces) and provinces <= roots


def row_of(build: Build | None, area: Area) -> Row:
    return rows_of(build, [area])[0]


def nation_row(build: Build) -> Row | None:
    stored = figures.figures(build, "")
    return Row("", "", 0, stored.values) if stored else None


def child_rows(build: Build | None, area: Area) -> list[Row]:
    """Every area directly below ``area``, with its figures (or none, when it has no households)."""
    return rows_of(build, list(Area.objects.filter(parent=area).order_by("code")))


def rows_of(build: Build | None, areas: list[Area]) -> list[Row]:
    """The areas with their figures in ``build`` (none for an area without households), in one query."""
    stored = figures.of_codes(build, [a.code for a in areas]) if build else {}
    return [
        Row(a.code, a.name, a.level, stored[a.code].values if a.code in stored else {}, a.code in stored)
        for a in areas
    ]


def breadcrumbs(user: Any, area: Area) -> list[Area]:
    """The areas above ``area`` that the user may open, top first, then the area itself."""
    codes = [area.code[:n] for n in (2, 4, 6, 9) if n < len(area.code)]
    above = {a.code: a for a in Area.objects.filter(code__in=codes)}
    return [above[c] for c in codes if c in above and scope.area_in_scope(user, above[c].path)] + [area]


def trend(area_code: str, build: Build | None, months: int = 24) -> dict[str, list[Any]]:
    """Every month of the two years up to the build's: taken into monitoring, eliminated, monitored."""
    if build is None:
        return {"months": [], "taken": [], "eliminated": [], "monitored": []}
    from fupin.engine.indicators import Period

    last = Period.parse(build.period)
    periods = [str(last.minus_months(back)) for back in range(months - 1, -1, -1)]
    stored = figures.figures(build, area_code)
    events = {f"{m // 100:04d}-{m % 100:02d}": (t, e) for m, t, e in (stored.months if stored else [])}
    history = dict(figures.history(area_code, months, until=build.period))
    return {
        "months": periods,
        "taken": [events.get(p, (0, 0))[0] for p in periods],
        "eliminated": [events.get(p, (0, 0))[1] for p in periods],
        "monitored": [history[p].get("monitored_households") if p in history else None for p in periods],
    }


def blocking_households(user: Any, village: Area) -> QuerySet[Household]:
    """The registered poor households of a village not yet lifted out: those that keep it from exiting."""
    return (
        scope.scoped(Household.objects.all(), user)
        .filter(village=village, household_type="poor", status__in=list(POOR_STATUSES))
        .prefetch_related("members", "incomes")
        .order_by("number")
    )
