"""The monthly report of an area: key figures, charts, the areas below it and the overdue cases, as PDF.

Charts are drawn here as SVG (WeasyPrint renders SVG, not JavaScript), from the same indicator tables
as the dashboard. The overdue list shows household numbers and villages, never names or identifiers.
"""

from __future__ import annotations

import math
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
# The columns of the table of areas below: fewer than the page's, so that on A4 portrait every
# heading has room for a few characters a line (the rest are in the Excel export).
REPORT_TABLE_KEYS = (
    "households",
    "monitored_households",
    "share_monitored",
    "new_monitored",
    "overdue_cases",
    "share_eliminated",
    "coverage_measure",
    "incidence",
)
# The charts' axis titles.
MONTH_AXIS = gettext_lazy("Month")
TAKEN_AXIS = gettext_lazy("Households taken in")
HOUSEHOLDS_AXIS = gettext_lazy("Monitored households")
CATEGORY_AXIS = gettext_lazy("Monitoring category")
RISK_AXIS = gettext_lazy("Risk type (most frequent first)")


class NoFigures(ServiceError):
    pass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def bar_chart(
    bars: list[Bar],
    *,
    x_label: str,
    y_label: str,
    width: int = 520,
    height: int = 190,
    colour: str = "#2f6fb0",
) -> str:
    """A vertical bar chart as SVG text: a value axis with ticks and its title on the left, the bars'
    labels under them (wrapped to the bar's width) and the category axis's title at the bottom."""
    if not bars:
        return ""
    font = 7.5
    ticks = _ticks(max((b.value for b in bars), default=0))
    top_value = ticks[-1] or 1
    tick_width = max(len(_number(t)) for t in ticks) * font * 0.6
    left = round(14 + tick_width + 6)
    slot = (width - left - 4) / len(bars)
    per_line = max(1, int(slot * 0.95 // font))  # CJK characters are one em wide
    wrapped = [_wrap(bar.label, per_line) for bar in bars]
    label_lines = min(max(len(lines) for lines in wrapped), 2)
    plot_top, plot_bottom = 12, height - 16 - label_lines * (font + 1.5)
    plot = plot_bottom - plot_top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{PDF_FONT_FAMILY}">'
    ]
    for tick in ticks:
        y = plot_bottom - plot * tick / top_value
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 4}" y2="{y:.1f}" '
            f'stroke="{"#888" if tick == 0 else "#ddd"}" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text class="tick" x="{left - 3}" y="{y + font / 3:.1f}" font-size="{font}" '
            f'text-anchor="end">{escape(_number(tick))}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{plot_top}" x2="{left}" y2="{plot_bottom:.1f}" '
        'stroke="#888" stroke-width="0.5"/>'
    )
    parts.append(
        f'<text class="axis-title" transform="translate(8 {plot_top + plot / 2:.1f}) rotate(-90)" '
        f'font-size="{font}" text-anchor="middle">{escape(y_label)}</text>'
    )
    for index, (bar, lines) in enumerate(zip(bars, wrapped, strict=True)):
        bar_height = plot * bar.value / top_value
        x = left + index * slot + slot * 0.15
        centre = x + slot * 0.35
        y = plot_bottom - bar_height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_height:.1f}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{y - 2:.1f}" font-size="8" text-anchor="middle">'
            f"{escape(_number(bar.value))}</text>"
        )
        for line_no, line in enumerate(lines[:label_lines]):
            parts.append(
                f'<text class="label" x="{centre:.1f}" y="{plot_bottom + 9 + line_no * (font + 1.5):.1f}" '
                f'font-size="{font}" text-anchor="middle">{escape(line)}</text>'
            )
    parts.append(
        f'<text class="axis-title" x="{left + (width - left) / 2:.1f}" y="{height - 3}" font-size="{font}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(highest: float) -> list[float]:
    """0 and round steps (1, 2 or 5 times a power of ten, whole numbers) up to at least ``highest``."""
    if highest <= 0:
        return [0, 1]
    raw = highest / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, step)
    count = math.ceil(highest / step)
    return [i * step for i in range(count + 1)]


def _wrap(label: str, per_line: int) -> list[str]:
    """A label cut into lines of ``per_line`` characters; a last line that does not fit ends in …."""
    lines = [label[i : i + per_line] for i in range(0, len(label), per_line)] or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][:-1] + "…"]
    return lines


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
        "table_indicators": [catalogue.BY_KEY[k] for k in REPORT_TABLE_KEYS],
        "line": line,
        "trend_svg": bar_chart(
            [Bar(m[2:], taken[m]) for m in months], x_label=str(MONTH_AXIS), y_label=str(TAKEN_AXIS)
        ),
        "category_svg": bar_chart(
            categories,
            x_label=str(CATEGORY_AXIS),
            y_label=str(HOUSEHOLDS_AXIS),
            width=300,
            colour="#b05a2f",
        ),
        "risk_svg": bar_chart(
            [b for b in risks if b.value][:8] or risks[:8],
            x_label=str(RISK_AXIS),
            y_label=str(HOUSEHOLDS_AXIS),
            width=520,
            colour="#5a8f3a",
        ),
        "overdue": list(overdue),
        "overdue_limit": OVERDUE_LIMIT,
        "printed_on": clock.today(),
        "as_of": build.as_of,
        "period": build.period,
    }
