"""Reading a spreadsheet row by row: CSV in any encoding Excel writes, and xlsx.

* CSV: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or GB18030, which covers GBK as
  saved by Excel on Chinese Windows; comma, tab, semicolon or full-width comma as separator.
* xlsx: the first sheet, read by calamine (a Rust reader; the sheet's cells are held in memory while
  it is read), or by openpyxl when the workbook has error cells (see ``xlsx_rows``).
* The header is found among the first ten rows: the row naming most of the known columns. A header
  cell left empty by a vertically merged cell takes the value above it; a second header row right
  under the first (the template's English headers) is skipped. Blank rows and columns are ignored.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from fupin.core.errors import Message, ServiceError
from fupin.feeds.kinds import header_keys

HEADER_SEARCH_ROWS = 10
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+(\d+)(?::[A-Z]+(\d+))?"')


class UnreadableFile(ServiceError):
    pass


@dataclass
class Header:
    row: int  # row number of the (last) header row in the file
    cells: list[object]  # the header text per column index
    first_data_row: int


def _decode_csv(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(
            _("The file could not be read as text: save it as CSV in UTF-8 or GB18030.")
        ) from None


def csv_rows(data: bytes) -> Iterator[list[object]]:
    text = _decode_csv(data)
    first_line = text[:10000].lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max([",", "\t", ";", "，"], key=first_line.count)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    return iter(reader)  # type: ignore[arg-type]


def xlsx_rows(data: bytes) -> Iterator[list[object]]:
    """The first sheet's rows, read by calamine (Rust): about ten times faster than openpyxl's
    read-only reader, which was most of an xlsx import's time. Cells come as openpyxl gave them,
    except that an empty cell is ``""`` rather than ``None``, a whole number is a float (``2.0``) and a
    date-only cell a ``date``; the parsers in ``cells`` treat these alike. Rows and columns keep their
    positions in the sheet (row 1 is the first item, column A index 0), as with openpyxl.

    calamine reports an error cell (``#N/A``, ``#REF!``) as empty; a workbook with error cells is read
    by openpyxl instead, so that such a cell is reported with its value rather than taken as blank.
    """
    from python_calamine import CalamineWorkbook

    if _has_error_cells(data):
        return _openpyxl_rows(data)
    try:
        sheet = CalamineWorkbook.from_object(io.BytesIO(data)).get_sheet_by_index(0)
    except Exception:  # zip, XML and calamine errors alike: the file is not a workbook
        raise UnreadableFile(_("The file could not be read as an Excel workbook (.xlsx).")) from None
    start = sheet.start
    # calamine yields the empty rows above the data but starts each row at the first used column.
    skip = start[1] if start else 0
    rows: Iterator[list[Any]] = sheet.iter_rows()
    if skip:
        pad = [""] * skip
        return (pad + row for row in rows)
    return rows


def _has_error_cells(data: bytes) -> bool:
    """Whether a worksheet of the workbook holds an error cell (``<c ... t="e">``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with archive.open(name) as stream:
                    tail = b""
                    while chunk := stream.read(1 << 20):
                        if b't="e"' in tail + chunk[:8] or b't="e"' in chunk:
                            return True
                        tail = chunk[-8:]
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return False  # calamine reports the file as unreadable
    return False


def _openpyxl_rows(data: bytes) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl errors alike: the file is not a workbook
        raise UnreadableFile(_("The file could not be read as an Excel workbook (.xlsx).")) from None

    def rows() -> Iterator[list[object]]:
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()

    return rows()


def file_format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    raise UnreadableFile(_("This file type is not supported: save the sheet as .xlsx or .csv."))


def open_rows(data: bytes, file_name: str) -> Iterator[list[object]]:
    """Every row of the file as a list of cells (the first row is row 1)."""
    if file_format(file_name) == "csv":
        return csv_rows(data)
    return xlsx_rows(data)


def estimate_rows(data: bytes, file_name: str) -> int:
    """Rows in the file, for progress: exact for CSV (lines), from the sheet's dimension for xlsx."""
    if file_format(file_name) == "csv":
        return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = sorted(
                (n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")),
                key=lambda n: (len(n), n),
            )
            with archive.open(sheets[0]) as stream:
                head = stream.read(4096)
        found = _DIMENSION.search(head)
        return int(found.group(2) or found.group(1)) if found else 0
    except Exception:  # noqa: BLE001 - only an estimate; reading reports the real problem
        return 0


def _matches(cell: object, accepted: set[str]) -> bool:
    return any(k in accepted for k in header_keys(cell))


def find_header(rows: Iterator[list[object]], accepted: set[str]) -> tuple[Header, list[list[object]]]:
    """Read up to ten rows, find the header; returns it and the rows read past it (to process first)."""
    head: list[list[object]] = []
    for row in rows:
        head.append(row)
        if len(head) >= HEADER_SEARCH_ROWS + 1:
            break
    scores = [sum(1 for cell in row if _matches(cell, accepted)) for row in head[:HEADER_SEARCH_ROWS]]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i), default=-1)
    if best < 0 or scores[best] < 2:
        raise UnreadableFile(
            _("No header row was found in the first ten rows: use the template's column headers.")
        )
    width = max(len(r) for r in head)
    cells: list[object] = []
    for index in range(width):
        value = head[best][index] if index < len(head[best]) else None
        above = best - 1
        while _blank(value) and above >= 0:  # a merged header cell keeps its value in the top cell
            value = head[above][index] if index < len(head[above]) else None
            above -= 1
        cells.append(value)
    header_row = best
    # A second header row (English under Chinese, or the lower level of a two-level header).
    while header_row + 1 < len(head) and _is_header_like(head[header_row + 1], accepted):
        header_row += 1
        for index, value in enumerate(head[header_row]):
            if index >= len(cells) or _blank(value):
                continue
            if _blank(cells[index]) or not _matches(cells[index], accepted):
                cells[index] = value  # the lower level of a two-level header names the column
    rest = head[header_row + 1 :]
    return Header(row=header_row + 1, cells=cells, first_data_row=header_row + 2), rest


def _is_header_like(row: Sequence[object], accepted: set[str]) -> bool:
    filled = [cell for cell in row if not _blank(cell)]
    return bool(filled) and sum(1 for cell in filled if _matches(cell, accepted)) * 2 >= len(filled)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def header_text(value: object) -> str:
    return str(value).replace("\ufeff", "").replace("\n", " ").strip() if value is not None else ""


def describe(value: Any) -> Message:
    return str(value)
