"""Export of a list page as CSV or Excel: one code path for every list a user can see.

The view hands over the rows of the same scoped selector its page lists, with the same filters, and
column definitions whose values are only what the page shows: identifiers come masked from the
``*_masked`` fields and nothing is decrypted here. One audit entry (filters and row count, no personal
data) is written before the first byte goes out.

CSV is UTF-8 with a byte-order mark, so that Excel on a Chinese Windows opens it right; the workbook has
a bold, frozen header row, column widths, dates as dates and numbers as numbers. Text that a spreadsheet
would run as a formula (= + - @ at the start) is defused with a leading apostrophe in both.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.web import services
from fupin.web.pages import require

T = TypeVar("T")

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column: its header (already in the user's language), how to read a row, its Excel width."""

    title: str
    value: Callable[[T], Any]
    width: int = 14


def require_export(user: User) -> None:
    """403 for a role that may not export; call before reading anything."""
    require(user, Capability.EXPORT)


def defuse(text: str) -> str:
    """Text a spreadsheet would take for a formula gets a leading apostrophe."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def yes_no(value: object) -> str:
    return _("Yes") if value else _("No")


def _plain(value: Any) -> Any:
    """A cell value: None, a number, a date, a naive local date-time, or defused text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value
    return defuse(str(value))


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def iterate(rows: Iterable[T]) -> Iterator[T]:
    """Rows one by one; a queryset is read in chunks (its prefetches too) rather than all at once."""
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=CHUNK)
    return iter(rows)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(columns: Sequence[Column[T]], rows: Iterable[T], filename: str) -> StreamingHttpResponse:
    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow([defuse(column.title) for column in columns])
        for row in iterate(rows):
            yield writer.writerow([_csv_text(_plain(column.value(row))) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def xlsx_response(
    columns: Sequence[Column[T]], rows: Iterable[T], filename: str, sheet_title: str
) -> FileResponse:
    """A write-only workbook spooled to a temporary file (large lists never sit in memory whole)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    # Excel refuses sheet titles over 31 characters or with []:*?/\ in them.
    sheet = book.create_sheet("".join(ch for ch in sheet_title if ch not in "[]:*?/\\")[:31] or "Sheet1")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=defuse(column.title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in iterate(rows):
        sheet.append([_plain(column.value(row)) for column in columns])
        count += 1
    if count:
        sheet.auto_filter.ref = f"A1:{_column_letter(len(columns))}{count + 1}"
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the FileResponse closes it
    book.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX)


def export_list(
    user: User,
    fmt: str,
    *,
    name: str,
    columns: Sequence[Column[T]],
    rows: Iterable[T],
    count: int,
    filters: Mapping[str, Any],
    sheet_title: str,
    stem: str = "",
    area_code: str = "",
) -> HttpResponseBase:
    """Audit the export of ``count`` rows of the list ``name`` and answer the file ``stem-DATE.fmt``.

    ``filters`` is what narrowed the list, without personal data: free text is kept only as whether
    one was used.
    """
    require_export(user)
    if fmt not in FORMATS:
        raise Http404
    services.record_list_export(
        actor=user, list_name=name, format=fmt, rows=count, filters=filters, area_code=area_code
    )
    filename = f"{stem or name}-{timezone.localdate().isoformat()}.{fmt}"
    if fmt == "csv":
        return csv_response(columns, rows, filename)
    return xlsx_response(columns, rows, filename, sheet_title)
