"""Importing a department list (CSV, xlsx or Parquet): every row checked, then all or nothing.

Rules, in the order they are applied:

* **Who.** The importer needs the capability to edit records (village cadres up to county
  administrators; department and province accounts only read). The operator at the command line
  without ``--user`` (``actor`` is a string) is trusted like ``fupin areas import``.
* **Header.** Before any row, the header is compared with the kind's columns
  (``fupin.exchange.headers``): a missing, misspelt ("did you mean …?") or doubled column refuses
  the file; another column not recognised is ignored and named in a note.
* **Rows.** Every row is checked (ID number by GB 11643 including its check character, name, date,
  amount ≥ 0, code from the kind's list) and every problem is reported with the row number and the
  column as written in the file. Row numbers are the spreadsheet's (the header is usually row 1); for
  Parquet, which has no header row, the first record is row 1.
* **Linking.** A row is linked to the registered person whose ID number has the same blind index
  (exact match; a current member is preferred to one who has left a household). A row that matches
  nobody is kept, *unlinked*, and counted: nobody sees it through the scoping layer and the
  screening engine does not read it.
* **Scope.** A row that matches a person registered outside the importer's capture scope is refused
  with a row-level problem, so the whole file is refused: importing it would attach facts to a
  household the importer may not edit, and leaving it silently unlinked would hide the fact from the
  cadres who are responsible for that person. The message does not say where the person lives.
* **Once.** The same bytes imported again for the same kind are refused (medical bills would count
  twice in the screening).
* **Audit.** One entry per import, with kind, file name and counts: never names or ID numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability, refusal
from fupin.areas.divisions import id_area_code_exists
from fupin.areas.services import AreaImportFailed, ImportProblem, _cell_text, _read_csv, _read_xlsx
from fupin.audit import services as audit
from fupin.core.errors import Message, NotPermitted, ServiceError
from fupin.core.i18n import lazy_format
from fupin.domain import idnumber
from fupin.feeds.kinds import KINDS, KindSpec, header_keys
from fupin.feeds.models import FeedBatch, FeedRecord
from fupin.pii.crypto import get_cipher
from fupin.registry.models import Member
from fupin.registry.services import ID_PROBLEMS

__all__ = [
    "FeedImportFailed",
    "FeedImportResult",
    "ImportProblem",
    "import_feed",
    "link_people",
    "template_csv",
]

HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in exported sheets
NAME_MAX_LENGTH = FeedRecord._meta.get_field("name").max_length or 50
MAX_AMOUNT = Decimal("999999999999.99")  # DecimalField(14, 2)
EARLIEST_DATE = dt.date(1900, 1, 1)
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)
LOOKUP_CHUNK = 500
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")

_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９．，－＋"}
# 2026-03-05, 2026/3/5, 2026.3.5, 2026年3月5日, optionally followed by a time of day.
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")


class FeedImportFailed(ServiceError):
    message = _("Nothing was imported: the file has errors.")

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__()


@dataclass(frozen=True)
class FeedImportResult:
    batch_id: int
    kind: str
    file_name: str
    rows: int
    linked: int
    unlinked: int
    notes: tuple[ImportProblem, ...] = ()  # columns not recognised and ignored


@dataclass(frozen=True)
class LinkedPerson:
    member_id: int
    household_id: int
    village_path: str
    county_code: str


@dataclass
class _Row:
    number: int
    id_number: str
    name: str
    event_date: dt.date
    amount: Decimal | None
    code: str | None


@dataclass
class _Sheet:
    """The file's rows as cells; ``rows[i]`` is row ``first_row + i`` of the file."""

    headers: list[object]
    header_row: int
    rows: list[list[object]]
    first_row: int


def _problem(row: int, column: str, message: Message) -> ImportProblem:
    return ImportProblem(row, column, message)


def _fail(row: int, column: str, message: Message) -> FeedImportFailed:
    return FeedImportFailed([_problem(row, column, message)])


# ----------------------------------------------------------------------------- reading files


def _read_grid(data: bytes, file_name: str) -> tuple[list[list[object]], bool]:
    """(rows of cells, whether the first row is certainly the header: Parquet's column names)."""
    suffix = Path(file_name).suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            return _read_csv(data), False
        if suffix in XLSX_SUFFIXES:
            # openpyxl reads a file-like object as well as a path.
            return _read_xlsx(cast(Path, io.BytesIO(data))), False
    except AreaImportFailed as exc:  # the shared readers' own file-level problems
        raise FeedImportFailed(exc.problems) from None
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(data), True
    raise _fail(
        0,
        "",
        lazy_format(
            _("The file type %(suffix)s is not supported: save the list as .csv, .xlsx or .parquet."),
            suffix=suffix or "?",
        ),
    )


def _read_parquet(data: bytes) -> list[list[object]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError):
        raise _fail(0, "", _("The file could not be read as Parquet.")) from None
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [list(table.column_names), *(list(row) for row in zip(*columns, strict=True))]


def _find_header(grid: list[list[object]], spec: KindSpec, certain: bool) -> _Sheet:
    """The header is the first row (of the first ten) with an ID-number column."""
    id_keys = set(spec.columns[0].accepted)
    candidates = grid[:1] if certain else grid[:HEADER_SEARCH_ROWS]
    for index, row in enumerate(candidates):
        if any(id_keys & set(header_keys(cell)) for cell in row):
            # Parquet has no header row: its first record is row 1.
            header_row, first_row = (0, 1) if certain else (index + 1, index + 2)
            return _Sheet(list(row), header_row, grid[index + 1 :], first_row)
    raise _fail(
        0 if certain else 1,
        "",
        lazy_format(
            _("No header row with an ID-number column was found: name the column “%(header)s”."),
            header=spec.columns[0].header,
        ),
    )


def _map_columns(
    sheet: _Sheet, spec: KindSpec
) -> tuple[dict[str, int], list[ImportProblem], list[ImportProblem]]:
    """(column index per field, problems, notes), from the header alone (``exchange.headers``, as
    for every import): a missing, misspelt or doubled column is a problem at the header row, another
    column not recognised a note that it was ignored."""
    from fupin.exchange.headers import check_header

    check = check_header(sheet.headers, spec.columns)
    problems = [_problem(sheet.header_row, i.column, i.message) for i in check.errors]
    notes = [_problem(sheet.header_row, i.column, i.message) for i in check.notes]
    return check.columns, problems, notes


# ----------------------------------------------------------------------------- cells


def parse_id_number(value: object) -> tuple[str, Message | None]:
    """(the normalized number, problem). A number Excel stored as a number has lost digits."""
    if isinstance(value, float) or (isinstance(value, str) and _SCIENTIFIC.match(value.strip())):
        return "", _(
            "The ID number was stored as a number and its last digits are lost: "
            "format the column as text and export the file again."
        )
    text = _cell_text(value)
    if not text:
        return "", _("The ID number is missing.")
    try:
        info = idnumber.parse(text.strip("'\"‘’“”"), area_exists=id_area_code_exists)
    except idnumber.IdNumberError as exc:
        return "", ID_PROBLEMS[exc.code]
    return info.number, None


def parse_date(value: object, *, today: dt.date) -> tuple[dt.date | None, Message | None]:
    """A date from a date cell, an Excel serial number or text such as 2026-03-05 or 2026/3/5."""
    day: dt.date | None = None
    shown = _cell_text(value)
    if value is None or shown == "":
        return None, _("The date is missing.")
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = float(value)
        compact = _DATE_COMPACT.match(str(int(number))) if number.is_integer() and number >= 0 else None
        # 20260305 kept as a number, or an Excel serial number that lost its date format
        day = _compact_date(compact) if compact else _excel_serial(number)
    else:
        text = unicodedata.normalize("NFKC", shown).strip()
        match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
        if match:
            day = _compact_date(match)
        elif re.fullmatch(r"\d{5}(\.0+)?", text):  # a serial number that lost its date format
            day = _excel_serial(float(text))
    if day is None:
        return None, lazy_format(
            _("“%(value)s” is not a date: write it as 2026-03-05 or 2026/3/5."), value=shown
        )
    if day > today:
        return None, lazy_format(_("The date %(value)s is in the future."), value=day.isoformat())
    if day < EARLIEST_DATE:
        return None, lazy_format(_("The date %(value)s is implausibly long ago."), value=day.isoformat())
    return day, None


def _compact_date(match: re.Match[str]) -> dt.date | None:
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _excel_serial(serial: float) -> dt.date | None:
    if not serial.is_integer() or not 1 <= serial <= 2_958_465:
        return None
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_amount(value: object) -> tuple[Decimal | None, Message | None]:
    """Yuan with at most two decimals; ``1,234.50``, ``¥1234.5`` and ``1234.5元`` are accepted."""
    shown = _cell_text(value)
    if value is None or shown == "":
        return None, None
    if isinstance(value, bool):
        return None, lazy_format(_("“%(value)s” is not an amount in yuan."), value=shown)
    if isinstance(value, float):
        # Spreadsheet arithmetic leaves binary noise (0.1 + 0.2): money is rounded to the fen.
        amount = Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    elif isinstance(value, int | Decimal):
        amount = Decimal(value)
    else:
        text = str(value).translate(_FULL_WIDTH).strip()
        text = re.sub(r"^[¥￥]|元$", "", text).replace(",", "").replace(" ", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None, lazy_format(_("“%(value)s” is not an amount in yuan."), value=shown)
    if not amount.is_finite():
        return None, lazy_format(_("“%(value)s” is not an amount in yuan."), value=shown)
    if amount < 0:
        return None, lazy_format(_("The amount %(value)s is negative."), value=shown)
    if amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        return None, lazy_format(_("The amount %(value)s has more than two decimals."), value=shown)
    if amount > MAX_AMOUNT:
        return None, lazy_format(_("The amount %(value)s is too large."), value=shown)
    return amount.quantize(Decimal("0.01")), None


def parse_code(value: object, spec: KindSpec) -> tuple[str | None, Message | None]:
    shown = _cell_text(value)
    if not shown:
        return None, lazy_format(_("This value is missing: use one of %(codes)s."), codes=spec.codes_display)
    code = spec.code_for(shown)
    if code is None:
        return None, lazy_format(
            _("“%(value)s” is not allowed here: use one of %(codes)s."), value=shown, codes=spec.codes_display
        )
    return code, None


def _check_rows(
    sheet: _Sheet, spec: KindSpec, columns: dict[str, int]
) -> tuple[list[_Row], list[ImportProblem]]:
    today = timezone.localdate()
    header_names = [str(h).replace("\ufeff", "").strip() if h is not None else "" for h in sheet.headers]
    rows: list[_Row] = []
    problems: list[ImportProblem] = []

    def cell(data: Sequence[object], field: str) -> object:
        index = columns.get(field)
        return data[index] if index is not None and index < len(data) else None

    for offset, data in enumerate(sheet.rows):
        number = sheet.first_row + offset
        if all(_cell_text(v) == "" for v in data):
            continue  # blank lines are not an error
        found: list[str] = []

        def report(field: str, message: Message, number: int = number, found: list[Any] = found) -> None:
            found.append(field)
            problems.append(_problem(number, header_names[columns[field]], message))

        id_number, problem = parse_id_number(cell(data, "id_number"))
        if problem:
            report("id_number", problem)
        name = _cell_text(cell(data, "name"))
        if not name:
            report("name", _("The name is missing."))
        elif len(name) > NAME_MAX_LENGTH:
            report(
                "name",
                lazy_format(_("The name is longer than %(max)s characters."), max=NAME_MAX_LENGTH),
            )
        event_date, problem = parse_date(cell(data, "event_date"), today=today)
        if problem:
            report("event_date", problem)
        amount: Decimal | None = None
        if spec.amount is not None and "amount" in columns:
            amount, problem = parse_amount(cell(data, "amount"))
            if problem:
                report("amount", problem)
            elif amount is None and spec.amount.required:
                report("amount", _("The amount is missing."))
        code: str | None = None
        if spec.code is not None and "code" in columns:
            code, problem = parse_code(cell(data, "code"), spec)
            if problem:
                report("code", problem)
        if not found and event_date is not None:
            rows.append(_Row(number, id_number, name, event_date, amount, code))
    return rows, problems


# ----------------------------------------------------------------------------- linking


def new_record(
    batch: FeedBatch,
    *,
    person: LinkedPerson | None,
    id_number: str,
    blind_index: str,
    name: str,
    event_date: dt.date,
    amount: Decimal | None,
    code: str | None,
    source_row: int,
    cipher: Any,
) -> FeedRecord:
    """One checked row as a record (not saved): the ID number only encrypted, indexed and masked,
    linked to the person its blind index found (or to nobody)."""
    return FeedRecord(
        batch=batch,
        kind=batch.kind,
        member_id=person.member_id if person else None,
        household_id=person.household_id if person else None,
        id_number_enc=cipher.encrypt(id_number),
        id_number_bidx=blind_index,
        id_number_masked=idnumber.mask(id_number),
        name=name,
        event_date=event_date,
        amount=amount,
        code=code,
        source_row=source_row,
    )


def link_people(blind_indexes: Iterable[str]) -> dict[str, LinkedPerson]:
    """Registered people by ID-number blind index (exact match).

    When several members share a number (someone who left one household and joined another),
    the current member wins, then the one who left last.
    """
    wanted = sorted(set(blind_indexes))
    candidates: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = Member.objects.filter(id_number_bidx__in=wanted[start : start + LOOKUP_CHUNK]).values(
            "id",
            "id_number_bidx",
            "household_id",
            "exit_reason",
            "exit_date",
            "household__village__path",
            "household__village__county_code",
        )
        for row in chunk:
            candidates.setdefault(row["id_number_bidx"], []).append(dict(row))
    linked = {}
    for digest, rows in candidates.items():
        best = max(
            rows,
            key=lambda r: (r["exit_reason"] == "", r["exit_date"] or dt.date.min, r["id"]),
        )
        linked[digest] = LinkedPerson(
            member_id=best["id"],
            household_id=best["household_id"],
            village_path=best["household__village__path"] or "",
            county_code=best["household__village__county_code"] or "",
        )
    return linked


# ----------------------------------------------------------------------------- import


def import_feed(
    actor: Any,
    kind: str,
    path_or_bytes: str | Path | bytes,
    filename: str | None = None,
) -> FeedImportResult:
    """Check every row of a department list and store it; nothing at all on any problem.

    ``path_or_bytes`` is a file path or the file's bytes (an upload); ``filename`` gives the name
    (and so the format: .csv, .xlsx or .parquet) for bytes, and defaults to the path's name.
    Raises ``NotPermitted`` or ``FeedImportFailed`` (with every problem, row by row).
    """
    is_user = not isinstance(actor, str)
    if is_user and not (getattr(actor, "is_authenticated", False) and actor.can(Capability.EDIT_RECORDS)):
        raise NotPermitted(refusal(getattr(actor, "role", ""), Capability.EDIT_RECORDS))
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes
        file_name = filename or ""
    else:
        path = Path(path_or_bytes)
        file_name = filename or path.name
        try:
            data = path.read_bytes()
        except OSError:
            raise _fail(0, "", lazy_format(_("No such file: %(path)s"), path=str(path))) from None
    file_name = Path(file_name).name[:255]
    spec = KINDS.get(kind)
    if spec is None:
        raise _fail(
            0,
            "",
            lazy_format(_("Unknown kind of list. Choose one of: %(kinds)s."), kinds=", ".join(KINDS)),
        )

    grid, certain = _read_grid(data, file_name)
    sheet = _find_header(grid, spec, certain)
    columns, problems, notes = _map_columns(sheet, spec)
    if problems:
        raise FeedImportFailed(problems)
    rows, problems = _check_rows(sheet, spec, columns)
    if not rows and not problems:
        raise _fail(0, "", _("The file has no rows to import."))

    cipher = get_cipher()
    digest = cipher.blind_index(f"feed-file:{spec.kind}", hashlib.sha256(data).hexdigest())
    id_column = str(sheet.headers[columns["id_number"]] or "").replace("\ufeff", "").strip()
    with transaction.atomic():
        earlier = FeedBatch.objects.filter(kind=spec.kind, content_digest=digest).first()
        if earlier is not None:
            problems.insert(
                0,
                _problem(
                    0,
                    "",
                    lazy_format(
                        _("This file was already imported on %(date)s (batch %(batch)s)."),
                        date=timezone.localtime(earlier.imported_at).date().isoformat(),
                        batch=earlier.pk,
                    ),
                ),
            )
        blind = {row.number: cipher.blind_index("id", row.id_number) for row in rows}
        people = link_people(blind.values())
        for row in rows:
            person = people.get(blind[row.number])
            if (
                is_user
                and person is not None
                and not scope.area_in_scope(actor, person.village_path, "capture")
            ):
                problems.append(
                    _problem(
                        row.number,
                        id_column,
                        _(
                            "This person is registered outside your area: remove the row, or ask "
                            "someone responsible for that area to import it."
                        ),
                    )
                )
        if problems:
            problems.sort(key=lambda p: p.row)
            raise FeedImportFailed(problems)

        batch = FeedBatch.objects.create(
            kind=spec.kind,
            file_name=file_name,
            imported_by=actor if is_user else None,
            row_count=len(rows),
            content_digest=digest,
        )
        records = [
            new_record(
                batch,
                person=people.get(blind[row.number]),
                id_number=row.id_number,
                blind_index=blind[row.number],
                name=row.name,
                event_date=row.event_date,
                amount=row.amount,
                code=row.code,
                source_row=row.number,
                cipher=cipher,
            )
            for row in rows
        ]
        FeedRecord.objects.bulk_create(records, batch_size=1000)
        linked = sum(1 for r in records if r.household_id is not None)
        batch.linked_count, batch.unlinked_count = linked, len(records) - linked
        batch.save(update_fields=["linked_count", "unlinked_count"])
        counties = sorted({people[blind[r.number]].county_code for r in rows if blind[r.number] in people})
        audit.record(
            actor=actor,
            action="import",
            object_type="feed_batch",
            object_id=batch.pk,
            area_code=counties[0] if len(counties) == 1 else "",
            summary=(
                f"feed import {spec.kind} {file_name}: {len(records)} rows, "
                f"{linked} linked, {len(records) - linked} unlinked"
            ),
            changes={
                "kind": spec.kind,
                "file": file_name,
                "rows": len(records),
                "linked": linked,
                "unlinked": len(records) - linked,
            },
        )
    return FeedImportResult(
        batch_id=batch.pk,
        kind=spec.kind,
        file_name=file_name,
        rows=len(records),
        linked=linked,
        unlinked=len(records) - linked,
        notes=tuple(notes),
    )


# ----------------------------------------------------------------------------- template


def template_csv(kind: str) -> str:
    """A CSV with only the bilingual header row of ``kind`` (re-importable as it is)."""
    spec = KINDS[kind]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.header for c in spec.columns])
    return out.getvalue()
