"""The coverage report as an Excel workbook: a summary by area, the households without a helper and the
helpers over quota. Phones appear masked only; a cell that starts like a formula is kept as text."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from fupin.twinning.selectors import Coverage
from fupin.web.history import risk_labels

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _value(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _header(sheet: Any, titles: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def coverage_workbook(report: Coverage) -> bytes:
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Summary"))
    summary.append([_("Coverage of households by helpers"), f"{report.area.name} ({report.area.code})"])
    summary.append([])
    summary.append(
        _header(
            summary,
            [
                _("Area"),
                _("Area code"),
                _("Households needing a helper"),
                _("With a helper"),
                _("Without a helper"),
            ],
        )
    )
    for row in report.by_area:
        summary.append([_value(row.area.name), row.area.code, row.households, row.covered, row.uncovered])
    summary.append(
        [
            _("Total"),
            report.area.code,
            report.households,
            report.households - report.uncovered_count,
            report.uncovered_count,
        ]
    )

    households = book.create_sheet(_("Without a helper"))
    households.append(
        _header(
            households,
            [
                _("Household number"),
                _("Township"),
                _("Village"),
                _("Village code"),
                _("Head of household"),
                _("Phone"),
                _("Household type"),
                _("Status"),
                _("Monitoring category"),
                _("Risk types"),
            ],
        )
    )
    for household in report.uncovered.iterator(chunk_size=2000):
        heads = getattr(household, "heads", [])
        township = household.village.parent
        households.append(
            [
                _value(v)
                for v in (
                    household.number,
                    township.name if township else "",
                    household.village.name,
                    household.village.code,
                    heads[0].name if heads else "",
                    household.phone_masked,
                    household.get_household_type_display(),
                    household.get_status_display(),
                    household.get_monitoring_category_display(),
                    "、".join(risk_labels(household.risk_types)),
                )
            ]
        )

    helpers = book.create_sheet(_("Helpers over quota"))
    helpers.append(
        _header(
            helpers,
            [_("Helper"), _("Work unit"), _("Rank"), _("Phone"), _("Households helped now"), _("Quota")],
        )
    )
    for helper_row in report.over_quota:
        helpers.append(
            [
                _value(v)
                for v in (
                    helper_row.helper.name,
                    helper_row.helper.unit,
                    helper_row.rank_label,
                    helper_row.helper.phone_masked,
                    helper_row.current,
                    helper_row.quota,
                )
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
