"""The words a parameter's unit and confidence are written in by the pack (English, for its authors),
as a user reads them: the pack's files stay as they are, the pages translate them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

UNITS = {
    "days": _("days"),
    "years": _("years"),
    "months": _("months"),
    "yes or no": _("yes or no"),
    "yuan per person per year": _("yuan per person per year"),
    "yuan per person per year (nominal)": _("yuan per person per year (nominal)"),
    "yuan per household": _("yuan per household"),
    "yuan per household in the last year": _("yuan per household in the last year"),
    "share of the previous year's per-capita income": _("share of the previous year's per-capita income"),
    "share of the original value a year": _("share of the original value a year"),
    "months per person per year": _("months per person per year"),
    "workers of lifted-out or monitored households": _("workers of lifted-out or monitored households"),
    "share of the rural registered population": _("share of the rural registered population"),
    "share of the year's central linkage funds": _("share of the year's central linkage funds"),
    "share of the allocation": _("share of the allocation"),
    "share of the amount distributed": _("share of the amount distributed"),
    "the monitoring year": _("the monitoring year"),
}

CONFIDENCES = {
    "firm": _("firm (official text)"),
    "local": _("local practice"),
    "uncertain": _("uncertain"),
    "example": _("example value"),
}


def localize_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its unit and confidence in the user's language (unknown words stay as written)."""
    unit = str(row.get("unit") or "")
    confidence = str(row.get("confidence") or "")
    return {**row, "unit": UNITS.get(unit, unit), "confidence": CONFIDENCES.get(confidence, confidence)}


SEVERITIES = {"high": _("high severity"), "medium": _("medium severity"), "low": _("low severity")}
