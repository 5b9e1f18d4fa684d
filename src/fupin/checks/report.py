"""Failing records as rows for a page or a spreadsheet, and the Excel workbook of a run.

Rows hold only what the pages show: household number, village, names, masked phones. No ID number
and no full phone is ever read here (nothing is decrypted), so an export cannot leak one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fupin.checks.catalogue import Check, CheckContext
from fupin.registry.models import Household, Member


@dataclass(frozen=True)
class Failure:
    check: Check
    household: Household
    record: Any  # the failing household, member, measure or income record
    detail: str

    @property
    def member(self) -> Member | None:
        return self.record if self.check.target == "member" else None

    @property
    def head_name(self) -> str:
        heads = getattr(self.household, "heads", [])
        return heads[0].name if heads else ""

    @property
    def record_label(self) -> str:
        """What the row is about beyond the household: a member's name, an income year, a measure."""
        if self.check.target == "member":
            return str(self.record.name)
        if self.check.target == "income":
            return _("Income %(year)s") % {"year": self.record.year}
        if self.check.target == "measure":
            return str(self.record.get_category_display())
        return ""


def failures(check: Check, ctx: CheckContext, records: Iterable[Any]) -> Iterator[Failure]:
    for record in records:
        household = record if check.target == "household" else record.household
        yield Failure(check, household, record, check.detail(record, ctx))


def _cell(value: object) -> object:
    """A spreadsheet cell; text starting with = + - @ is defused so that the spreadsheet does not run it."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class Section:
    """The failures of some checks over one area."""

    ctx: CheckContext
    checks: list[tuple[Check, int, QuerySet[Any]]]  # check, failure count, failing records ready to list


def write_workbook(sections: list[Section], out: IO[bytes]) -> int:
    """Write a summary sheet and a sheet of every failing record; returns the number of records."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Summary"))
    rows = book.create_sheet(_("Failing records"))
    bold = Font(bold=True)

    def header(sheet: Any, titles: list[str]) -> None:
        cells = []
        for title in titles:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    header(
        summary,
        [
            _("Area"),
            _("Area code"),
            _("Check code"),
            _("Check"),
            _("Severity"),
            _("Failures"),
            _("What is wrong"),
            _("How to fix it"),
        ],
    )
    header(
        rows,
        [
            _("Check code"),
            _("Check"),
            _("Severity"),
            _("Township"),
            _("Village"),
            _("Village code"),
            _("Household number"),
            _("Head of household"),
            _("Record"),
            _("Problem"),
        ],
    )
    summary.column_dimensions["D"].width = 40
    rows.column_dimensions["B"].width = 36
    rows.column_dimensions["J"].width = 60
    written = 0
    for section in sections:
        area = section.ctx.area
        for check, count, records in section.checks:
            summary.append(
                [
                    _cell(v)
                    for v in (
                        area.name,
                        area.code,
                        check.code,
                        str(check.title),
                        str(check.severity_label),
                        count,
                        str(check.explanation),
                        str(check.fix),
                    )
                ]
            )
            for failure in failures(check, section.ctx, records.iterator(chunk_size=2000)):
                village = failure.household.village
                rows.append(
                    [
                        _cell(v)
                        for v in (
                            check.code,
                            str(check.title),
                            str(check.severity_label),
                            village.parent.name if village.parent else "",
                            village.name,
                            village.code,
                            failure.household.number,
                            failure.head_name,
                            failure.record_label,
                            failure.detail,
                        )
                    ]
                )
                written += 1
    book.save(out)
    return written
