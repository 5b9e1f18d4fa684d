"""Importing townships (9-digit codes) and villages (12-digit) from a spreadsheet: all or nothing.

Every row is checked and every problem reported with its row number and column; if there is any
problem nothing is written. A code already in the database with the same name is left alone (so
importing the same file twice changes nothing); with another name it is renamed and reported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability, refusal
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core.errors import Message, NotPermitted, ServiceError
from fupin.core.i18n import lazy_format

# Header names accepted for each column, compared after normalizing (see ``_header_key``).
CODE_HEADERS = {"code", "areacode", "代码", "编码", "区划代码", "统计用区划代码", "行政区划代码"}
NAME_HEADERS = {"name", "areaname", "名称", "区划名称", "单位名称"}
NAME_MAX_LENGTH = Area._meta.get_field("name").max_length or 100
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in exported sheets
SOURCE = "import"

_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９．＋Ｅｅ"}
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")
_NUMBER_WITH_ZERO_FRACTION = re.compile(r"^(\d+)\.0*$")


@dataclass(frozen=True)
class ImportProblem:
    """One problem: ``row`` is the row number in the file (0: the file as a whole)."""

    row: int
    column: str
    message: Message


@dataclass
class ImportResult:
    created: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (code, old name, new name)
    unchanged: list[str] = field(default_factory=list)  # codes


class AreaImportFailed(ServiceError):
    message = _("Nothing was imported: the file has errors.")

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__()


@dataclass
class Table:
    """Rows of a file under its header; ``rows[i]`` is row ``first_row + i`` of the file."""

    rows: list[dict[str, object]]
    first_row: int


# ----------------------------------------------------------------------------- reading files


def read_table(path: str | Path) -> Table:
    """The first sheet of an .xlsx, or a CSV in UTF-8 (with or without BOM), GB18030 or UTF-16."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid = _read_xlsx(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        grid = _read_csv(path.read_bytes())
    else:
        raise AreaImportFailed(
            [
                ImportProblem(
                    0,
                    "",
                    lazy_format(
                        _("The file type %(suffix)s is not supported: save the sheet as .xlsx or .csv."),
                        suffix=suffix or "?",
                    ),
                )
            ]
        )
    return _table_from_grid(grid)


def _read_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl errors alike: the file is not a workbook
        raise AreaImportFailed(
            [ImportProblem(0, "", _("The file could not be read as an Excel workbook (.xlsx)."))]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(min_row=1, values_only=True)]
    finally:
        workbook.close()


def _read_csv(data: bytes) -> list[list[object]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")  # Excel's "Unicode text" export
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise AreaImportFailed(
                [
                    ImportProblem(
                        0, "", _("The file could not be read as text: save it as CSV in UTF-8 or GB18030.")
                    )
                ]
            )
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max([",", "\t", ";", "，"], key=first_line.count)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _header_key(value: object) -> str:
    text = str(value or "").replace("\ufeff", "").replace("\u3000", "")
    return re.sub(r"[\s_\-]", "", text).lower()


def _table_from_grid(grid: list[list[object]]) -> Table:
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = [_header_key(cell) for cell in row]
        if any(k in CODE_HEADERS for k in keys) and any(k in NAME_HEADERS for k in keys):
            headers = [str(cell).replace("\ufeff", "").strip() if cell is not None else "" for cell in row]
            rows = [
                {h: (data[i] if i < len(data) else None) for i, h in enumerate(headers) if h}
                for data in grid[index + 1 :]
            ]
            return Table(rows=rows, first_row=index + 2)
    raise AreaImportFailed(
        [
            ImportProblem(
                1,
                "",
                _(
                    "No header row with a code column and a name column was found: "
                    "name the columns “code” and “name” (or 代码 and 名称)."
                ),
            )
        ]
    )


# ----------------------------------------------------------------------------- checking rows


def normalize_code(value: object) -> tuple[str, str]:
    """(digits, problem) for a code cell: problem is "", "missing", "scientific" or "format".

    Full-width digits become ASCII; numbers that Excel made of a code (``220822100201.0``) are
    turned back; a 12-digit township code in the statistics bureau's form (``220822100000``)
    becomes the 9-digit code.
    """
    if value is None:
        return "", "missing"
    if isinstance(value, bool):
        return str(value), "format"
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, Decimal):
        if value != value.to_integral_value():
            return str(value), "format"
        text = str(int(value))
    elif isinstance(value, float):
        if not value.is_integer():
            return str(value), "format"
        text = str(int(value))
    else:
        text = str(value).translate(_FULL_WIDTH)
        text = "".join(ch for ch in text if not ch.isspace()).strip("'\"‘’“”")
        if not text:
            return "", "missing"
        if _SCIENTIFIC.match(text):
            return text, "scientific"
        match = _NUMBER_WITH_ZERO_FRACTION.match(text)
        if match:
            text = match.group(1)
    if not text.isascii() or not text.isdigit() or len(text) not in (9, 12):
        return text, "format"
    if len(text) == 12 and text.endswith("000"):
        text = text[:9]
    return text, ""


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\u3000", " ").strip()


def _column(row: Mapping[str, object], accepted: set[str]) -> str | None:
    return next((h for h in row if _header_key(h) in accepted), None)


@dataclass
class _Row:
    number: int
    code: str
    name: str


def import_areas(
    rows: Iterable[Mapping[str, object]],
    *,
    actor: Any,
    first_row: int = 2,
    source_name: str = "",
) -> ImportResult:
    """Check every row, then create or rename townships and villages; nothing at all on any problem.

    ``rows`` map header → cell value; ``rows[i]`` is row ``first_row + i`` of the file (header in row
    ``first_row - 1``). ``actor`` is a user, who needs the area-management capability and may only
    touch areas in their capture scope, or a string naming an operator at the command line.
    """
    is_user = not isinstance(actor, str)
    if is_user and not (getattr(actor, "is_authenticated", False) and actor.can(Capability.MANAGE_AREAS)):
        raise NotPermitted(refusal(getattr(actor, "role", ""), Capability.MANAGE_AREAS))
    rows = list(rows)
    problems: list[ImportProblem] = []
    header = rows[0] if rows else {}
    code_col = _column(header, CODE_HEADERS) if header else None
    name_col = _column(header, NAME_HEADERS) if header else None
    if rows and (code_col is None or name_col is None):
        raise AreaImportFailed(
            [
                ImportProblem(
                    max(first_row - 1, 1),
                    "",
                    _(
                        "No header row with a code column and a name column was found: "
                        "name the columns “code” and “name” (or 代码 and 名称)."
                    ),
                )
            ]
        )

    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows):
        number = first_row + offset
        if all(_cell_text(v) == "" for v in row.values()):
            continue  # blank lines are not an error
        assert code_col is not None and name_col is not None
        raw_code = row.get(code_col)
        code, problem = normalize_code(raw_code)
        name = _cell_text(row.get(name_col))
        if problem == "missing":
            problems.append(ImportProblem(number, code_col, _("The code is missing.")))
        elif problem == "scientific":
            problems.append(
                ImportProblem(
                    number,
                    code_col,
                    lazy_format(
                        _(
                            "The code %(code)s is in scientific notation: Excel turned it into a number. "
                            "Format the column as text and export the file again."
                        ),
                        code=code,
                    ),
                )
            )
        elif problem:
            problems.append(
                ImportProblem(
                    number,
                    code_col,
                    lazy_format(
                        _("The code %(code)s is not 9 digits (township) or 12 digits (village)."),
                        code=code or _cell_text(raw_code),
                    ),
                )
            )
        elif code in seen:
            problems.append(
                ImportProblem(
                    number,
                    code_col,
                    lazy_format(
                        _("The code %(code)s also appears in row %(row)s."), code=code, row=seen[code]
                    ),
                )
            )
        if not name:
            problems.append(ImportProblem(number, name_col, _("The name is missing.")))
        elif len(name) > NAME_MAX_LENGTH:
            problems.append(
                ImportProblem(
                    number,
                    name_col,
                    lazy_format(_("The name is longer than %(max)s characters."), max=NAME_MAX_LENGTH),
                )
            )
        if not problem and code not in seen:
            seen[code] = number
            parsed.append(_Row(number, code, name))

    if not parsed and not problems:
        raise AreaImportFailed([ImportProblem(0, "", _("The file has no rows to import."))])

    # Parents: the county of a township, the township of a village, in the database or the file.
    codes = [r.code for r in parsed]
    parent_codes = sorted({r.code[:6] if len(r.code) == 9 else r.code[:9] for r in parsed})
    known = Area.objects.in_bulk(codes + parent_codes, field_name="code")
    townships_in_file = {r.code for r in parsed if len(r.code) == 9}
    for r in parsed:
        if len(r.code) == 9:
            county = known.get(r.code[:6])
            if county is None or county.level != AreaLevel.COUNTY:
                problems.append(
                    ImportProblem(
                        r.number,
                        code_col or "",
                        lazy_format(_("There is no county %(parent)s for this township."), parent=r.code[:6]),
                    )
                )
        else:
            parent = r.code[:9]
            if parent not in townships_in_file and parent not in known:
                problems.append(
                    ImportProblem(
                        r.number,
                        code_col or "",
                        lazy_format(
                            _(
                                "There is no township %(parent)s for this village: "
                                "add it to the file or import it first."
                            ),
                            parent=parent,
                        ),
                    )
                )
        if is_user and not scope.area_in_scope(actor, Area.path_of(r.code), "capture"):
            problems.append(
                ImportProblem(
                    r.number,
                    code_col or "",
                    lazy_format(_("The code %(code)s is outside your area."), code=r.code),
                )
            )
    if problems:
        problems.sort(key=lambda p: p.row)
        raise AreaImportFailed(problems)

    return _write(parsed, known, actor=actor, source_name=source_name)


@transaction.atomic
def _write(parsed: list[_Row], known: dict[str, Area], *, actor: Any, source_name: str) -> ImportResult:
    result = ImportResult()
    by_code = dict(known)
    for level_length in (9, 12):  # townships first: villages may hang under a township of this file
        new = []
        for r in parsed:
            if len(r.code) != level_length:
                continue
            existing = by_code.get(r.code)
            if existing is None:
                area = Area(code=r.code, name=r.name, source=SOURCE)
                area.fill_derived()
                area.parent = by_code[r.code[:6] if level_length == 9 else r.code[:9]]
                new.append(area)
                result.created.append((r.code, r.name))
            elif existing.name != r.name:
                Area.objects.filter(pk=existing.pk).update(name=r.name)
                result.renamed.append((r.code, existing.name, r.name))
            else:
                result.unchanged.append(r.code)
        Area.objects.bulk_create(new)
        by_code.update(Area.objects.in_bulk([a.code for a in new], field_name="code"))
    counties = sorted({r.code[:6] for r in parsed})
    audit.record(
        actor=actor,
        action="import",
        object_type="area",
        area_code=counties[0] if len(counties) == 1 else "",
        summary=(
            f"areas import {source_name}: {len(result.created)} created, "
            f"{len(result.renamed)} renamed, {len(result.unchanged)} unchanged"
        ).replace("  ", " "),
        changes={
            "file": source_name,
            "created": len(result.created),
            "townships_created": sum(1 for code, _n in result.created if len(code) == 9),
            "villages_created": sum(1 for code, _n in result.created if len(code) == 12),
            "renamed": len(result.renamed),
            "unchanged": len(result.unchanged),
        },
    )
    return result


def import_area_file(path: str | Path, *, actor: Any) -> ImportResult:
    """Read ``path`` and import it (see ``read_table`` and ``import_areas``)."""
    table = read_table(path)
    return import_areas(table.rows, actor=actor, first_row=table.first_row, source_name=Path(path).name)
