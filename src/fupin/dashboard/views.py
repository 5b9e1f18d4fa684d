"""Dashboard pages: an area's figures, the areas below it, charts, a map, the exit assessment, the report.

Every page reads the pre-aggregated indicator tables (``fupin.indicators``), never the registry, except
the exit assessment of one village, which lists its households. Areas outside the user's view scope
are "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.dashboard import catalogue, geo, report, selectors
from fupin.dashboard.catalogue import INDICATORS, TABLE_KEYS
from fupin.indicators import selectors as builds
from fupin.indicators import services as rebuilding
from fupin.indicators.models import Build, BuildState
from fupin.jobs import services as jobs
from fupin.web import exports
from fupin.web.pages import current_user, is_htmx, page, require

LEVEL_CHILD_NOUN = {
    1: gettext_lazy("prefectures"),
    2: gettext_lazy("counties"),
    3: gettext_lazy("townships"),
    4: gettext_lazy("villages"),
}


def _common(request: HttpRequest) -> dict[str, Any]:
    line = catalogue.chosen_line(request.GET.get("line"))
    indicator = catalogue.chosen_indicator(request.GET.get("indicator"))
    user = current_user(request)
    return {
        "build": builds.current_build(),
        "latest": builds.latest_build(),
        "line": line,
        "line_label": catalogue.LINE_LABELS[line],
        "lines": catalogue.LINE_LABELS,
        "indicator": indicator,
        "indicators": INDICATORS,
        "table_indicators": [catalogue.BY_KEY[k] for k in TABLE_KEYS],
        "can_export": user.can(Capability.EXPORT),
        "can_rebuild": user.can(Capability.RUN_SCREENING),
    }


@page
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    roots = selectors.root_areas(user)
    if len(roots) == 1:
        return redirect("dashboard:area", code=roots[0].code)
    context = _common(request)
    build = context["build"]
    rows = selectors.rows_of(build, roots)
    indicator, line = context["indicator"], context["line"]
    provinces = bool(roots) and all(area.level == 1 for area in roots)
    context.update(
        rows=rows,
        nation=selectors.nation_row(build) if build and selectors.sees_nation(user, build) else None,
        # Several provinces: they are drawn on the map of China, coloured by the chosen indicator.
        has_map=provinces and geo.data_dir() is not None,
        map_values=_map_values(rows, indicator, line),
    )
    return render(request, "dashboard/home.html", context)


def _map_values(rows: list[selectors.Row], indicator: catalogue.Indicator, line: str) -> dict[str, Any]:
    shown = [row for row in rows if row.value(indicator, line) is not None]
    return {
        "label": str(indicator.label),
        "kind": indicator.kind,
        "good": indicator.good,
        "values": [
            {"code": row.code, "name": row.name, "value": row.value(indicator, line)} for row in shown
        ],
    }


@page
def area(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    place = selectors.area_for(user, code)
    context = _common(request)
    build = context["build"]
    row = selectors.row_of(build, place)
    children = selectors.child_rows(build, place)
    indicator, line = context["indicator"], context["line"]
    ranked = sorted(
        (c for c in children if c.value(indicator, line) is not None),
        key=lambda c: c.value(indicator, line),
        reverse=indicator.good != "low",
    )
    widest = max((abs(c.value(indicator, line)) for c in ranked), default=0) or 1
    categories, risks = _categories(row), _risks(row)
    context.update(
        area=place,
        row=row,
        children=children,
        ranked=[(c, round(100 * abs(c.value(indicator, line)) / widest, 1)) for c in ranked],
        map_values=_map_values(ranked, indicator, line),
        child_noun=LEVEL_CHILD_NOUN.get(place.level, ""),
        crumbs=selectors.breadcrumbs(user, place),
        # The areas below on a map where their boundaries exist (provinces and most prefectures);
        # otherwise where the area itself lies (a county, township or village). The map hides itself
        # on a 404.
        has_map=geo.boundaries(place.code) is not None,
        place_map=_place_map(place),
        map_installed=geo.data_dir() is not None,
        charts=_charts(row, selectors.trend(place.code, build), categories, risks)
        if row.has_figures
        else None,
        categories=categories,
        risks=risks,
        md=_multidimensional(row, build),
        report_months=_report_months(),
    )
    return render(request, "dashboard/area.html", context)


def _place_map(place: Area) -> dict[str, str] | None:
    """What the map of an area without boundaries below it shows: the names of the area it marks
    (its county, or prefecture) and of the area whose map it is; None when there is no such map."""
    if geo.boundaries(place.code) is not None:
        return None
    located = geo.place(place.code)
    if located is None:
        return None
    names = dict(
        Area.objects.filter(code__in=[located["current"], located["within"]]).values_list("code", "name")
    )
    features = {f["properties"]["code"]: f["properties"]["name"] for f in located["features"]}
    current = names.get(located["current"]) or features.get(located["current"], "")
    return {"current": current, "within": names.get(located["within"], "")}


def _charts(
    row: selectors.Row,
    trend: dict[str, list[Any]],
    categories: list[tuple[str, int]],
    risks: list[tuple[str, int]],
) -> dict[str, Any]:
    """What the page's charts draw (dashboard.js), beside the tables that say the same in words."""
    from fupin.engine.indicators import BAND_WIDTH, BANDS

    values = row.values
    bands = [values.get(f"band_{i:02d}", 0) for i in range(BANDS)]
    labels = [
        f"<{BAND_WIDTH // 1000}k"
        if i == 0
        else (
            f"≥{i * BAND_WIDTH // 1000}k"
            if i == BANDS - 1
            else f"{i * BAND_WIDTH // 1000}-{(i + 1) * BAND_WIDTH // 1000}k"
        )
        for i in range(BANDS)
    ]
    # Month-end counts exist only for months with stored figures: with one or two of them the line
    # is drawn as marked, labelled points (a lone point of a plain line is invisible) with a note.
    known = [
        month for month, value in zip(trend["months"], trend["monitored"], strict=True) if value is not None
    ]
    return {
        "trend": {
            **trend,
            "monitored_months": len(known),
            "monitored_since": known[0] if known else "",
            "sparse": len(known) < 3,
            "labels": {
                "taken": _("Taken into monitoring"),
                "eliminated": _("Risk eliminated"),
                "monitored": _("Monitored at month end"),
                "axis_month": _("Households in the month"),
                "axis_end": _("Households at month end"),
            },
        },
        "categories": {"names": [name for name, _ in categories], "values": [v for _, v in categories]},
        "risks": {"names": [name for name, _ in risks], "values": [v for _, v in risks]},
        "income": {"labels": labels, "people": bands},
    }


def _categories(row: selectors.Row) -> list[tuple[str, int]]:
    from fupin.registry.choices import MonitoringCategory

    return [
        (str(label), int(row.values.get(f"category_{code}_households") or 0))
        for code, label in MonitoringCategory.choices
    ]


def _risks(row: selectors.Row) -> list[tuple[str, int]]:
    from fupin.registry.choices import RiskType

    pairs = [
        (str(label), int(row.values.get(f"risk_{code}_households") or 0)) for code, label in RiskType.choices
    ]
    return sorted(pairs, key=lambda pair: -pair[1])


def _multidimensional(row: selectors.Row, build: Build | None) -> list[dict[str, Any]]:
    if build is None or not row.has_figures:
        return []
    names = dict(DIMENSION_LABELS)
    return [
        {
            "name": names.get(name, name),
            "weight": weight,
            "censored": row.values.get(f"md_censored_{name}"),
            "contribution": row.values.get(f"md_contribution_{name}"),
        }
        for name, weight in build.settings.get("dimensions", [])
    ]


DIMENSION_LABELS = (
    ("income", gettext_lazy("Income below the poverty line")),
    ("education", gettext_lazy("A school-age child out of school")),
    ("health", gettext_lazy("A member without medical insurance")),
    ("housing", gettext_lazy("Unsafe housing (C or D)")),
    ("water", gettext_lazy("Drinking water difficult or unsafe")),
    ("electricity", gettext_lazy("No electricity")),
    ("labour", gettext_lazy("Nobody able to work")),
)


def _report_months() -> list[str]:
    return sorted(
        set(
            Build.objects.filter(state__in=(BuildState.CURRENT, BuildState.KEPT)).values_list(
                "period", flat=True
            )
        ),
        reverse=True,
    )


@page
def area_map(request: HttpRequest, code: str) -> HttpResponse:
    """The boundaries of the areas directly below ``code`` (GeoJSON), for the map of the area page; for
    an area without boundaries below it, the map of the level above with its own area marked
    (``geo.place``)."""
    user = current_user(request)
    if code != "nation":
        selectors.area_for(user, code)
    shapes = geo.boundaries_json("" if code == "nation" else code)
    if shapes is None and code != "nation":
        shapes = geo.place_json(code)  # no boundaries below it: where the area itself lies
    if shapes is None:
        raise Http404
    response = HttpResponse(shapes, content_type="application/json")
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _export_columns(line: str, build: Build | None) -> list[exports.Column[selectors.Row]]:
    """Every indicator, then every breakdown the page draws (types, statuses, categories, risk types,
    income bands) and the multidimensional index's dimensions: the whole page as one sheet."""
    from fupin.engine.indicators import BAND_WIDTH, BANDS
    from fupin.registry.choices import HouseholdStatus, HouseholdType, MonitoringCategory, RiskType

    columns: list[exports.Column[selectors.Row]] = [
        exports.Column(_("Area code"), lambda r: r.code, 14),
        exports.Column(_("Area"), lambda r: r.name, 18),
    ]
    for indicator in INDICATORS:
        title = str(indicator.label)
        if indicator.line:
            title = f"{title} ({catalogue.LINE_LABELS[line]})"
        columns.append(exports.Column(title, _reader(indicator.key_for(line)), 14))
    columns.append(exports.Column(_("Poverty incidence below the exit threshold"), _exit_cell, 12))
    breakdowns = [
        *((f"households_{code}", label) for code, label in HouseholdType.choices),
        *((f"households_status_{code}", label) for code, label in HouseholdStatus.choices),
        *((f"category_{code}_households", label) for code, label in MonitoringCategory.choices),
        *((f"risk_{code}_households", label) for code, label in RiskType.choices),
    ]
    households = _("households")
    for key, label in breakdowns:
        columns.append(exports.Column(f"{label} ({households})", _reader(key), 12))
    people_with = _("People with per-capita income (yuan)")
    for band in range(BANDS):
        low, high = band * BAND_WIDTH, (band + 1) * BAND_WIDTH
        span = f"≥ {low}" if band == BANDS - 1 else f"{low}-{high}"
        columns.append(exports.Column(f"{people_with} {span}", _reader(f"band_{band:02d}"), 12))
    names: dict[str, Any] = dict(DIMENSION_LABELS)
    censored, contribution = _("Censored headcount"), _("Contribution")
    for name, _weight in build.settings.get("dimensions", []) if build else []:
        dimension = str(names.get(name, name))
        columns.append(exports.Column(f"{dimension}: {censored}", _reader(f"md_censored_{name}"), 12))
        columns.append(exports.Column(f"{dimension}: {contribution}", _reader(f"md_contribution_{name}"), 12))
    return columns


def _reader(key: str) -> Callable[[selectors.Row], Any]:
    return lambda row: row.values.get(key)


def _exit_cell(row: selectors.Row) -> str:
    passes = row.values.get("exit_passes")
    return "" if passes is None else (_("yes") if passes else _("no"))


@page
def export(request: HttpRequest, code: str) -> HttpResponseBase:
    user = current_user(request)
    place = selectors.area_for(user, code)
    exports.require_export(user)
    line = catalogue.chosen_line(request.GET.get("line"))
    build = builds.current_build()
    rows = [selectors.row_of(build, place), *selectors.child_rows(build, place)]
    return exports.export_list(
        user,
        "xlsx",
        name="dashboard",
        columns=_export_columns(line, build),
        rows=rows,
        count=len(rows),
        filters={"area": place.code, "line": line, "as_of": build.as_of.isoformat() if build else ""},
        sheet_title=place.name,
        stem=f"indicators-{place.code}",
        area_code=place.code,
    )


@page
def exit_assessment(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    place = selectors.area_for(user, code)
    context = _common(request)
    build = context["build"]
    row = selectors.row_of(build, place)
    context.update(area=place, row=row, crumbs=selectors.breadcrumbs(user, place))
    if place.level == 5:
        context["households"] = _household_rows(selectors.blocking_households(user, place))
    else:
        units = _exit_units(build, place)
        context.update(units=units, failing=[u for u in units if u.values.get("exit_passes") is False])
    return render(request, "dashboard/exit.html", context)


def _exit_units(build: Build | None, place: Area) -> list[selectors.Row]:
    """The villages (below a county or township) or counties (below a prefecture or province) to assess."""
    unit_level = 5 if place.level >= 3 else 3
    areas = list(Area.objects.filter(path__startswith=place.path, level=unit_level).order_by("code"))
    rows = selectors.rows_of(build, areas)
    # Failing first (the highest incidence first), then passing, then areas without people to assess.
    order = {False: 0, True: 1, None: 2}
    return sorted(rows, key=lambda r: (order[r.values.get("exit_passes")], -(r.values.get("incidence") or 0)))


def _household_rows(households: Any) -> list[dict[str, Any]]:
    rows = []
    for household in households:
        members = [m for m in household.members.all() if not m.exit_reason]
        head = next((m for m in members if m.relation == "head"), None)
        latest = max(household.incomes.all(), key=lambda r: r.year, default=None)
        rows.append(
            {
                "household": household,
                "head": head.name if head else "",
                "people": len(members),
                "income": latest.per_capita_net_income if latest else None,
                "year": latest.year if latest else None,
            }
        )
    return rows


@page
def exit_export(request: HttpRequest, code: str) -> HttpResponseBase:
    user = current_user(request)
    place = selectors.area_for(user, code)
    exports.require_export(user)
    build = builds.current_build()
    if place.level == 5:
        household_rows = _household_rows(selectors.blocking_households(user, place))
        return exports.export_list(
            user,
            "xlsx",
            name="exit_households",
            columns=[
                exports.Column(_("Household number"), lambda r: r["household"].number, 22),
                exports.Column(_("Head of household"), lambda r: r["head"], 12),
                exports.Column(_("People"), lambda r: r["people"], 8),
                exports.Column(_("Per-capita net income (yuan)"), lambda r: r["income"], 14),
                exports.Column(_("Income year"), lambda r: r["year"], 10),
                exports.Column(_("Status"), lambda r: r["household"].get_status_display(), 18),
            ],
            rows=household_rows,
            count=len(household_rows),
            filters={"area": place.code},
            sheet_title=place.name,
            stem=f"exit-{place.code}",
            area_code=place.code,
        )
    units = _exit_units(build, place)
    return exports.export_list(
        user,
        "xlsx",
        name="exit_assessment",
        columns=[
            exports.Column(_("Area code"), lambda r: r.code, 14),
            exports.Column(_("Area"), lambda r: r.name, 18),
            exports.Column(_("People"), lambda r: r.values.get("people"), 10),
            exports.Column(_("Registered poor people"), lambda r: r.values.get("registered_poor_people"), 12),
            exports.Column(_("Poverty incidence"), lambda r: r.values.get("incidence"), 12),
            exports.Column(_("Threshold"), lambda r: r.values.get("exit_threshold"), 10),
            exports.Column(_("Passes"), _exit_cell, 8),
            exports.Column(
                _("People who must leave poverty to pass"), lambda r: r.values.get("exit_people_to_lift"), 14
            ),
        ],
        rows=units,
        count=len(units),
        filters={"area": place.code, "as_of": build.as_of.isoformat() if build else ""},
        sheet_title=place.name,
        stem=f"exit-{place.code}",
        area_code=place.code,
    )


@page
def monthly_report(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    place = selectors.area_for(user, code)
    period = request.GET.get("month") or ""
    try:
        pdf = report.print_report(user, place, period or None)
    except report.NoFigures as missing:
        messages.error(request, str(missing.message))
        return redirect("dashboard:area", code=place.code)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{place.code}-{period or "current"}.pdf"'
    return response


@page
@require_POST
def rebuild(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RUN_SCREENING)
    if rebuilding.rebuild_running():
        messages.info(request, _("The figures are already being recalculated."))
    else:
        rebuilding.start_from_page()
        messages.success(request, _("The figures are being recalculated; this page shows the progress."))
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/dashboard/") else reverse("dashboard:home"))


@page
def build_status(request: HttpRequest) -> HttpResponse:
    """The progress of the newest build (polled by the page while one runs)."""
    latest = builds.latest_build()
    stopped = latest is not None and jobs.stopped(latest.error)
    context = {
        "latest": latest,
        "build": builds.current_build(),
        "polled": is_htmx(request),
        "stopped": stopped,
    }
    return render(request, "dashboard/_build_status.html", context)
