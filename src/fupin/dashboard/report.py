"""The monthly report of an area: key figures, charts, the areas below it and the overdue cases, as PDF.

Charts are drawn here as SVG (WeasyPrint renders SVG, not JavaScript), from the same indicator tables
as the dashboard. The overdue list shows household numbers and villages, never names or identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy, override

from fupin.areas.models import Area
from fupin.audit import services as audit
from fupin.cases import selectors as case_selectors
from fupin.cases.models import Case
from fupin.core import clock
from fupin.core.errors import ServiceError
from fupin.core.fonts import PDF_FONT_FAMILY
from fupin.core.i18n import lazy_format
from fupin.core.printing import render_pdf
from fupin.dashboard import catalogue, selectors
from fupin.indicators import selectors as builds

OVERDUE_LIMIT = 200


class NoFigures(ServiceError):
    pass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def bar_chart(bars: list[Bar], *, width: int = 520, height: int = 170, colour: str = "#2f6fb0") -> str:
    """A plain vertical bar chart as SVG text (labels under the bars, values above them)."""
    if not bars:
        return ""
    top = max((b.value for b in bars), default=0) or 1
    slot = width / len(bars)
    plot = height - 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{PDF_FONT_FAMILY}">'
    ]
    parts.append(
        f'<line x1="0" y1="{plot + 14}" x2="{width}" y2="{plot + 14}" stroke="#888" stroke-width="0.5"/>'
    )
    for index, bar in enumerate(bars):
        bar_height = plot * bar.value / top
        x = index * slot + slot * 0.15
        y = plot + 14 - bar_height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_height:.1f}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 2:.1f}" font-size="8" text-anchor="middle">'
            f"{escape(_number(bar.value))}</text>"
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{plot + 26}" font-size="7.5" text-anchor="middle">'
            f"{escape(bar.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _overdue_cases(user: Any, area: Area) -> QuerySet[Case]:
    """Overdue cases in the area: within the user's scope, or all of them for the operator (``user`` None)."""
    if user is None:
        return Case.objects.filter(
            case_selectors.overdue_q(clock.today()), household__village__path__startswith=area.path
        ).select_related("household__village")
    return case_selectors.search_cases(user, case_selectors.CaseFilters(overdue=True, area_code=area.code))


def render(user: Any, area: Area, period: str | None = None) -> bytes:
    """The report as PDF bytes; ``period`` "YYYY-MM" picks that month's figures (default: the current)."""
    with override("zh-hans"):
        return render_pdf("dashboard/report.html", context(user, area, period))


def print_report(actor: Any, area: Area, period: str | None = None) -> bytes:
    """The report as PDF bytes, printing audited. ``actor`` is a user (their scope applies to the overdue
    list) or None for the operator at the command line (every overdue case of the area)."""
    pdf = render(actor, area, period)
    audit.record(
        actor=actor or "cli",
        action="report.print",
        object_type="area",
        object_id=area.code,
        area_code=area.code,
        summary=f"monthly report {period or 'current'}",
    )
    return pdf


def context(user: Any, area: Area, period: str | None) -> dict[str, Any]:
    build = builds.build_of_month(period) if period else builds.current_build()
    if build is None:
        raise NoFigures(
            lazy_format(gettext_lazy("There are no figures for %(month)s yet."), month=period)
            if period
            else gettext_lazy("There are no figures yet: recalculate them first.")
        )
    row = selectors.row_of(build, area)
    children = selectors.child_rows(build, area)
    trend = selectors.trend(area.code, build)
    values = row.values
    line = "monitoring_range"
    key_figures = [
        (indicator, row.shown(indicator, line))
        for indicator in (
            catalogue.BY_KEY[k]
            for k in (
                "households",
                "people",
                "monitored_households",
                "share_monitored",
                "new_monitored",
                "share_eliminated",
                "open_cases",
                "overdue_cases",
                "coverage_measure",
                "coverage_developmental",
                "coverage_helper",
                "mean_income",
                "p0",
                "gini",
                "incidence",
                "md_m0",
            )
        )
    ]
    from fupin.registry.choices import MonitoringCategory, RiskType

    categories = [
        Bar(str(label).split("(")[-1].rstrip(")"), values.get(f"category_{code}_households") or 0)
        for code, label in MonitoringCategory.choices
    ]
    risks = sorted(
        (
            Bar(str(label).split("(")[-1].rstrip(")"), values.get(f"risk_{code}_households") or 0)
            for code, label in RiskType.choices
        ),
        key=lambda b: -b.value,
    )
    months = trend["months"][-12:]
    taken = dict(zip(trend["months"], trend["taken"], strict=True))
    overdue = _overdue_cases(user, area).order_by("decision_due", "step_due", "pk")[:OVERDUE_LIMIT]
    return {
        "area": area,
        "build": build,
        "row": row,
        "key_figures": key_figures,
        "children": children,
        "table_indicators": [catalogue.BY_KEY[k] for k in catalogue.TABLE_KEYS],
        "line": line,
        "trend_svg": bar_chart([Bar(m[2:], taken[m]) for m in months]),
        "category_svg": bar_chart(categories, width=300, colour="#b05a2f"),
        "risk_svg": bar_chart([b for b in risks if b.value][:8] or risks[:8], width=520, colour="#5a8f3a"),
        "overdue": list(overdue),
        "overdue_limit": OVERDUE_LIMIT,
        "printed_on": clock.today(),
        "as_of": build.as_of,
        "period": build.period,
    }
