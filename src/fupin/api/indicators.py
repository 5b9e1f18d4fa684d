"""Indicator figures for a province BI tool: the builds, and an area's figures in one of them.

Figures are read from the pre-aggregated tables (``fupin.indicators.selectors``), never recomputed:
the same numbers as the dashboard, the exports and the monthly report. An area outside the user's
view scope is "not found" (``areas.selectors.area_for``), as on the dashboard.

The field names of ``values`` are the engine's (``fupin.engine.indicators``): they are stable, and a
new indicator only adds a name. Shares and ratios are fractions (0.125 is 12.5 %), incomes yuan per
person per year; a ratio with no denominator is ``null``.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut
from fupin.areas.models import Area
from fupin.areas.selectors import area_for
from fupin.core.errors import OutOfScope
from fupin.indicators import selectors
from fupin.indicators.models import AreaFigures, Build, BuildState

router = Router(tags=["indicators"])

MAX_ID = 2**31 - 1
VALUES_DESCRIPTION = (
    "The area's figures by stable name, among them: `households`, `people`, `monitored_households`, "
    "`monitored_people`, `share_monitored`, `new_monitored` (this month), `eliminated_households`, "
    "`share_eliminated`, `open_cases`, `overdue_cases`, `coverage_measure`, `coverage_developmental`, "
    "`coverage_helper`, `coverage_helper_lifted_out`, `mean_income`, `incidence`, `gini`, `theil`, "
    "`p0_<line>`, `p1_<line>`, `p2_<line>`, `watts_<line>` (line: `poverty_line`, `monitoring_range` or "
    "`line_<yuan>`), `md_h`, `md_a`, `md_m0`, `households_<type>`, `households_status_<status>`, "
    "`category_<category>_households`, `risk_<risk type>_households`; villages and counties also "
    "`exit_threshold`, `exit_passes`, `exit_people_to_lift`. Shares are fractions; null: no denominator."
)


class BuildOut(Schema):
    id: int
    period: str = Field(description="the month the figures report, YYYY-MM")
    as_of: dt.date = Field(description="the day the registry was read")
    state: str = Field(
        json_schema_extra={"enum": list(BuildState.values)},
        description="current: what pages read now; kept: a month's reported figures; building; failed",
    )
    trigger: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    households: int
    areas: int


class MonthOut(Schema):
    month: str = Field(description="YYYY-MM")
    taken_into_monitoring: int
    risk_eliminated: int


class ChildOut(Schema):
    code: str
    name: str
    level: int
    has_figures: bool = Field(description="false: no households there in this build")
    values: dict[str, Any] = Field(description="as the area's `values`")


class AreaFiguresOut(Schema):
    code: str
    name: str
    level: int = Field(description="1 province, 2 prefecture, 3 county, 4 township, 5 village")
    build: BuildOut
    has_figures: bool = Field(description="false: no households there in this build")
    values: dict[str, Any] = Field(description=VALUES_DESCRIPTION)
    months: list[MonthOut] = Field(description="households taken into monitoring and with risk eliminated")
    children: list[ChildOut] = Field(description="the areas directly below, with their figures")


class FiguresQuery(Schema):
    build: int | None = Field(
        None, ge=1, le=MAX_ID, description="a build's id (current or kept); default: the current build"
    )


@router.get(
    "/indicators/builds",
    response=list[BuildOut],
    summary="Indicator builds, newest first",
    description=(
        "Every calculation of the indicator tables with its state: the `current` build is what pages "
        "and `/indicators/{area_code}` read; a `kept` build is a past month's reported figures."
    ),
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def list_builds(request: HttpRequest) -> Any:
    actor(request)
    return Build.objects.order_by("-started_at", "-id")


def _build(build_id: int | None) -> Build:
    if build_id is None:
        build = selectors.current_build()
    else:
        build = Build.objects.filter(pk=build_id, state__in=(BuildState.CURRENT, BuildState.KEPT)).first()
    if build is None:
        raise OutOfScope()
    return build


def _months(row: AreaFigures | None) -> list[dict[str, Any]]:
    if row is None:
        return []
    return [
        {"month": f"{m // 100:04d}-{m % 100:02d}", "taken_into_monitoring": t, "risk_eliminated": e}
        for m, t, e in row.months
    ]


@router.get(
    "/indicators/{area_code}",
    response={200: AreaFiguresOut, 404: MessageOut},
    summary="An area's indicator figures, and those of the areas below it",
    description=(
        "The figures of a province, prefecture, county, township or village in your area from the "
        "current build (or `?build=ID`, a current or kept build), its months, and the figures of each "
        "area directly below. 404 for an area outside your area, an unknown code or build, or before "
        "the first build."
    ),
)
def area_figures(request: HttpRequest, area_code: str, filters: Query[FiguresQuery]) -> dict[str, Any]:
    place = area_for(actor(request), area_code)
    build = _build(filters.build)
    below = list(Area.objects.filter(parent=place).order_by("code"))
    stored = selectors.of_codes(build, [place.code, *(a.code for a in below)])
    row = stored.get(place.code)
    return {
        "code": place.code,
        "name": place.name,
        "level": place.level,
        "build": build,
        "has_figures": row is not None,
        "values": row.values if row else {},
        "months": _months(row),
        "children": [
            {
                "code": child.code,
                "name": child.name,
                "level": child.level,
                "has_figures": child.code in stored,
                "values": stored[child.code].values if child.code in stored else {},
            }
            for child in below
        ],
    }
