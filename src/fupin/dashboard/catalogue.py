"""The indicators the dashboard shows, with their labels and how to print them.

The numbers themselves are defined once in ``fupin.engine.indicators``; this is only what they are
called on screen, in exports and in the monthly report, and which direction is good (for map colours).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fupin.core.i18n import lazy_format
from fupin.engine.indicators import LINE_GRID, grid_line

Kind = Literal["count", "share", "money", "index"]
LINE_LABELS: dict[str, Any] = {
    "monitoring_range": _("monitoring range"),
    "poverty_line": _("poverty line"),
    **{
        grid_line(amount): lazy_format(_("line of %(amount)s yuan"), amount=f"{amount:,}")
        for amount in LINE_GRID
    },
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Promise
    kind: Kind
    good: Literal["high", "low", ""] = ""
    line: bool = False  # the key takes the chosen line as suffix: p0 → p0_monitoring_range

    def key_for(self, line: str) -> str:
        return f"{self.key}_{line}" if self.line else self.key


INDICATORS: tuple[Indicator, ...] = (
    Indicator("households", _("Households"), "count"),
    Indicator("people", _("People"), "count"),
    Indicator("monitored_households", _("Monitored households"), "count", "low"),
    Indicator("monitored_people", _("Monitored people"), "count", "low"),
    Indicator("share_monitored", _("Share of households monitored"), "share", "low"),
    Indicator("new_monitored", _("Taken into monitoring this month"), "count", "low"),
    Indicator("eliminated_households", _("Households with risk eliminated"), "count", "high"),
    Indicator("share_eliminated", _("Share with risk eliminated"), "share", "high"),
    Indicator("open_cases", _("Open cases"), "count"),
    Indicator("overdue_cases", _("Overdue cases"), "count", "low"),
    Indicator("coverage_measure", _("Monitored with a measure"), "share", "high"),
    Indicator("coverage_developmental", _("Able to work, with a developmental measure"), "share", "high"),
    Indicator("coverage_helper", _("Monitored with a helper"), "share", "high"),
    Indicator("coverage_helper_lifted_out", _("Lifted-out households with a helper"), "share", "high"),
    Indicator("mean_income", _("Mean per-capita net income (yuan)"), "money", "high"),
    Indicator("p0", _("Headcount below the line (P0)"), "share", "low", line=True),
    Indicator("p1", _("Poverty gap (P1)"), "index", "low", line=True),
    Indicator("p2", _("Poverty severity (P2)"), "index", "low", line=True),
    Indicator("watts", _("Watts index"), "index", "low", line=True),
    Indicator("gini", _("Gini coefficient"), "index", "low"),
    Indicator("theil", _("Theil index"), "index", "low"),
    Indicator("incidence", _("Poverty incidence"), "share", "low"),
    Indicator("md_h", _("Multidimensional headcount (H)"), "share", "low"),
    Indicator("md_a", _("Intensity among the poor (A)"), "share", "low"),
    Indicator("md_m0", _("Multidimensional index (M0)"), "index", "low"),
    Indicator("benefits_paid", _("Benefits paid this year (yuan)"), "money"),
    Indicator("benefits_paid_month", _("Benefits paid this month (yuan)"), "money"),
    Indicator("benefit_payments", _("Benefit payments this year"), "count"),
)
BY_KEY = {indicator.key: indicator for indicator in INDICATORS}

# The columns of the table of areas below the one shown (the rest are in the export).
TABLE_KEYS = (
    "households",
    "monitored_households",
    "share_monitored",
    "new_monitored",
    "overdue_cases",
    "share_eliminated",
    "coverage_measure",
    "coverage_helper",
    "mean_income",
    "p0",
    "incidence",
)


def formatted(value: Any, kind: Kind) -> str:
    if value is None:
        return "—"
    if kind == "count":
        return str(intcomma(int(value)))
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return str(intcomma(round(value)))
    return f"{value:.4f}"


def chosen_line(requested: str | None) -> str:
    return requested if requested in LINE_LABELS else "monitoring_range"


def chosen_indicator(requested: str | None) -> Indicator:
    return BY_KEY.get(requested or "", BY_KEY["share_monitored"])
