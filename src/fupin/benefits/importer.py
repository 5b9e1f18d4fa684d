"""Applications of a programme opening from a spreadsheet (xlsx or CSV): all or nothing.

* **Template.** One per opening: its columns follow the programme (the application date; the ID number
  of the person and/or the entity's credit code, name and kind; the post; the month claimed; each fact
  the programme's rules read, headed in Chinese; the bank account), Chinese headers in row 1, English
  in row 2, data from row 3, and a sheet of instructions. Either header row is recognised.
* **Reading.** ``fupin.exchange``'s reader (the header found among the first ten rows, CSV in any
  encoding Excel writes), its header check (missing, misspelt and doubled columns block the import,
  other columns are ignored and named) and its cell parsers for dates and ID numbers.
* **Rules.** Every row goes through ``services.enter_applications``, which checks all rows and enters
  all or none; nothing is checked twice here. Problems of a cell that cannot be read (a date that is
  not one, an ID number Excel turned into a number) are reported by the importer, and the service's
  own messages for that cell are then left out.
* **Where.** A row naming someone outside the user's capture area makes the service refuse the whole
  call without saying which row; the importer finds the row by halving the rows (each probe ends
  with a row that is never valid, so a probe writes nothing) and names it.
* **All or nothing.** One transaction: a problem anywhere leaves the database as it was. The problems
  come back with their row, column (Chinese and English header) and masked value, and as the uploaded
  rows with an error column (``error_workbook``).
* **Limits.** ``MAX_BYTES`` and ``MAX_ROWS`` per file, said in the message when exceeded.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fupin.audit import services as audit
from fupin.benefits import programmes as programme_info
from fupin.benefits import services
from fupin.benefits.models import Application, Opening
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message, OutOfScope
from fupin.core.i18n import bilingual, in_language, lazy_format
from fupin.domain import bankaccount, idnumber
from fupin.engine.checker import CheckedPack
from fupin.engine.programmes import Programme
from fupin.entities.models import EntityKind
from fupin.exchange import headers, reader
from fupin.exchange.cells import Parser, blank, parser_for, shown
from fupin.exchange.importer import ImportFailed, Problem
from fupin.exchange.specs import Col, choice_labels, lookup_code
from fupin.exchange.workbook import HEADER_FILL, RED
from fupin.feeds.kinds import header_key, header_keys
from fupin.feeds.services import parse_date
from fupin.pii.crypto import get_cipher

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
OUTSIDE_ROWS_NAMED = 20  # rows outside the area located one by one; past this, the file is refused as is
TEMPLATE_ROWS = 500  # rows of the template that get drop-down lists and the text format
KEEP_ERROR_WORKBOOKS = dt.timedelta(hours=24)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_KINDS = ("id_number", "text", "bank_account")
_MONTH = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))\s*$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_ENTITY_KIND = Col("entity_kind", "主体类型", "entity_kind", "code", choices=EntityKind)


@dataclass(frozen=True)
class Column:
    """One column of an opening's import file (what ``fupin.exchange.headers`` compares headers with).

    ``field`` is the service's key for the value: an ``ApplicationInput`` field or a fact's name.
    ``kind``: date, month, id_number, text, entity_kind, bank_account, or a fact's kind (number,
    integer, boolean, date, string) when ``fact`` is set.
    """

    field: str
    chinese: str
    english: str
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: Message = ""
    fact: bool = False

    @property
    def header(self) -> str:
        return f"{self.chinese} / {self.english}"

    @property
    def accepted(self) -> tuple[str, ...]:
        keys = [header_key(h) for h in (self.chinese, self.english, *self.aliases)]
        return tuple(dict.fromkeys(k for k in keys if k))


FACT_HELP: dict[str, Message] = {
    "number": _("a number, not negative, at most two decimals"),
    "integer": _("a whole number, not negative"),
    "boolean": _("是 or 否 (yes or no)"),
    "date": _("a date such as 2026-03-05"),
    "string": _("text, at most 100 characters"),
}


def programme_of(opening: Opening) -> tuple[CheckedPack, Programme]:
    checked = programme_info.checked(opening.pack)
    programme = programme_info.programme(checked, opening.programme)
    if programme is None:
        raise ImportFailed([Problem(0, "", _("The policy pack no longer has this programme."))])
    return checked, programme


def columns_for(checked: CheckedPack, programme: Programme) -> list[Column]:
    """The columns of the programme's import file, in the template's order."""
    cols = [
        Column(
            "applied_on",
            "申请日期",
            "applied_on",
            "date",
            True,
            ("申请时间", "申报日期", "date_applied"),
            _("a date of the opening's year, such as 2026-03-05"),
        )
    ]
    if programme_info.needs_person(programme):
        chinese = "劳动力身份证号" if programme.applicant == "enterprise" else "身份证号"
        cols.append(
            Column(
                "id_number",
                chinese,
                "id_number",
                "id_number",
                True,
                ("身份证号", "身份证号码", "公民身份号码", "证件号码", "劳动力身份证号码", "idcard"),
                _("18-character resident ID number of a person in the registry; keep the column as text"),
            )
        )
    if programme_info.needs_entity(programme):
        cols += [
            Column(
                "credit_code",
                "统一社会信用代码",
                "credit_code",
                "text",
                True,
                ("信用代码", "社会信用代码", "unified_social_credit_code"),
                _("18 characters"),
            ),
            Column(
                "entity_name",
                "主体名称",
                "entity_name",
                "text",
                False,
                ("企业名称", "单位名称", "经营主体名称", "name_of_entity"),
                _("registered name; needed when the entity is new to the system"),
            ),
            Column(
                "entity_kind",
                "主体类型",
                "entity_kind",
                "entity_kind",
                False,
                ("企业类型", "经营主体类型", "kind_of_entity"),
                _("needed when the entity is new to the system"),
            ),
        ]
    if programme.applicant == "post":
        cols.append(
            Column(
                "post_code",
                "岗位",
                "post",
                "text",
                True,
                ("岗位名称", "岗位编号", "公益岗位", "post_code"),
                _("the post's number or name, at most 40 characters"),
            )
        )
    if programme_info.needs_period(programme):
        cols.append(
            Column(
                "period",
                "补贴月份",
                "month",
                "month",
                True,
                ("月份", "享受月份", "period"),
                _("the month claimed, such as 2026-03"),
            )
        )
    for fact in programme_info.facts_asked(checked, programme):
        english_label = in_language(fact.label, "en")
        cols.append(
            Column(
                fact.name,
                in_language(fact.label, "zh-hans"),
                fact.name,
                fact.kind,
                True,
                (english_label,) if english_label != fact.name else (),
                FACT_HELP.get(fact.kind, ""),
                fact=True,
            )
        )
    if programme.amount is not None:
        cols += [
            Column(
                "bank_name",
                "开户银行",
                "bank_name",
                "text",
                False,
                ("开户行", "银行", "bank"),
                _("needed with an account number"),
            ),
            Column(
                "bank_holder",
                "账户名",
                "account_holder",
                "text",
                False,
                ("户名", "开户人", "持卡人", "bank_holder"),
                _("leave blank for the applicant's own name"),
            ),
            Column(
                "bank_account",
                "银行账号",
                "bank_account",
                "bank_account",
                False,
                ("账号", "银行卡号", "卡号", "account_number"),
                _("digits only, kept as text; leave blank to keep the account recorded before"),
            ),
        ]
    return cols


def _choices(column: Column) -> list[str]:
    if column.kind == "boolean":
        return ["是", "否"]
    if column.kind == "entity_kind":
        return choice_labels(_ENTITY_KIND)
    return []


# ---------------------------------------------------------------- the template


def template(opening: Opening) -> bytes:
    """The opening's import template as xlsx bytes."""
    checked, programme = programme_of(opening)
    cols = columns_for(checked, programme)
    title_zh = programme.title.get("zh") or programme.id
    title_en = programme.title.get("en") or programme.id
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "data"
    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    for index, col in enumerate(cols, start=1):
        letter = get_column_letter(index)
        chinese = ws.cell(row=1, column=index, value=col.chinese + ("*" if col.required else ""))
        english = ws.cell(row=2, column=index, value=col.english)
        for cell in (chinese, english):
            cell.fill = HEADER_FILL
            cell.font = bold
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[letter].width = max(14, min(40, len(col.chinese) * 2 + 4), len(col.english) + 2)
        if col.kind in TEXT_KINDS:
            for row in range(3, TEMPLATE_ROWS + 3):
                ws.cell(row=row, column=index).number_format = "@"
        choices = _choices(col)
        if choices:
            for r, word in enumerate(choices, start=1):
                lists.cell(row=r, column=index, value=word)
            validation = DataValidation(
                type="list",
                formula1=f"lists!${letter}$1:${letter}${len(choices)}",
                allow_blank=not col.required,
                showErrorMessage=True,
                errorTitle="不在列表中 / Not in the list",
                error="请从下拉列表中选择 / Choose a value from the list",
            )
            validation.add(f"{letter}3:{letter}{TEMPLATE_ROWS + 2}")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A3"
    info = wb.create_sheet("说明 instructions")
    county = opening.county.name
    lines: list[list[object]] = [
        [f"{county} {opening.year}年 {title_zh} — 申请导入模板"],
        [f"{county} {opening.year} {title_en} — application import template"],
        [],
        ["第1行为中文表头，第2行为英文表头，从第3行开始每行填写一份申请；两行表头都可以保留。"],
        ["Row 1 has the Chinese headers, row 2 the English ones; from row 3, one application a row."],
        [f"申请日期须在{opening.year}年内且不晚于今天；带*的列必须填写；下拉列表列请从列表中选择。"],
        [
            f"The application date must be in {opening.year} and not after today; columns marked * are "
            "required; choose coded values from the drop-down list."
        ],
        ["身份证号、信用代码、银行账号列已设为文本格式，请勿改为数字（Excel会丢失末尾数字）。"],
        ["ID-number, credit-code and account columns are text: do not turn them into numbers."],
        [
            "导入时全部行都会按补贴规则校验；只要有一处错误，整个文件都不会导入，"
            "并列出每个错误的行和列，可下载带错误说明列的工作簿。"
        ],
        [
            "Every row is checked against the programme's rules; if anything is wrong nothing is "
            "imported, and every problem is listed by row and column, with a workbook of the rows and "
            "an error column to download."
        ],
        [
            f"每个文件最多{MAX_ROWS}行、{MAX_BYTES // (1024 * 1024)} MB。"
            "补贴金额由系统按规则计算，导入后等待另一人审核。"
        ],
        [
            f"At most {MAX_ROWS:,} rows and {MAX_BYTES // (1024 * 1024)} MB a file. The amounts are "
            "computed by the system from the rules; the applications then wait for another person's "
            "approval."
        ],
        [],
        ["列 / column", "必填 / required", "说明 / notes"],
    ]
    for col in cols:
        notes = bilingual(col.help) if col.help else ""
        choices = _choices(col)
        if choices:
            notes = (notes + "; " if notes else "") + "、".join(choices)
        lines.append([col.header, "是 / yes" if col.required else "否 / no", notes])
    for line in lines:
        info.append(line)
    info.column_dimensions["A"].width = 42
    info.column_dimensions["B"].width = 14
    info.column_dimensions["C"].width = 100
    info["A1"].font = Font(bold=True, size=14)
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_name(opening: Opening) -> str:
    return f"benefits-{opening.programme}-{opening.county.code}-{opening.year}.xlsx"


# ---------------------------------------------------------------- reading the file


class ImportRejected(ImportFailed):
    """Nothing was imported; ``header_row`` is the file's header row when it was found."""

    def __init__(
        self,
        problems: list[Problem],
        notes: list[Problem] | None = None,
        header_row: int = 0,
        accepted: frozenset[str] = frozenset(),
    ) -> None:
        self.header_row = header_row
        self.accepted = accepted  # the header keys of the columns, to find the header rows again
        super().__init__(problems, len(problems), notes)


@dataclass
class ImportResult:
    applications: list[Application]
    notes: list[Problem] = field(default_factory=list)  # columns not recognised and ignored
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.applications)

    @property
    def total_fen(self) -> int:
        return sum(a.amount_fen or 0 for a in self.applications)


@dataclass
class _Row:
    number: int  # in the file
    data: ApplicationData
    problems: dict[str, Message]  # field → the cell's problem


@dataclass
class ApplicationData:
    """An ``ApplicationInput`` being filled from one row."""

    values: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def to_input(self) -> services.ApplicationInput:
        return services.ApplicationInput(facts=self.facts, **self.values)


def _month(value: object) -> tuple[dt.date | None, Message | None]:
    """The first day of the month a cell names: 2026-03, 2026/3, 2026年3月, 202603 or a whole date."""
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1), None
    if isinstance(value, dt.date):
        return value.replace(day=1), None
    text = shown(value)
    found = _MONTH.match(text)
    if found:
        year, month = int(found.group(1)), int(found.group(2) or found.group(3))
        if 1 <= month <= 12:
            return dt.date(year, month, 1), None
    day, _problem = parse_date(value, today=dt.date.max)  # a future month is the service's to refuse
    if day is not None:
        return day.replace(day=1), None
    return None, lazy_format(_("“%(value)s” is not a month: write it as 2026-03."), value=text[:40])


def _bank_account(value: object) -> tuple[str, Message | None]:
    if isinstance(value, float) and (not value.is_integer() or abs(value) >= 1e15):
        return "", _("This number was stored as a number and lost digits: format the column as text.")
    if isinstance(value, float):
        return str(int(value)), None
    text = shown(value)
    if "E+" in text.upper():
        return "", _("This number was stored as a number and lost digits: format the column as text.")
    return text, None


def _cell(column: Column, value: object, id_number: Parser) -> tuple[Any, Message | None]:
    """The value the service takes for one cell, or the reason the cell cannot be read."""
    kind = column.kind
    if blank(value):
        return (None if kind in ("date", "month") or column.fact else ""), None
    if kind == "date":  # the application's date, or a fact's
        return parse_date(value, today=clock.today())
    if kind == "month":
        return _month(value)
    if kind == "id_number":
        number, problem = id_number(value)
        return ("", problem) if problem is not None else (number, None)
    if kind == "entity_kind":
        code = lookup_code(_ENTITY_KIND, shown(value))
        if code is None:
            return "", lazy_format(
                _("“%(value)s” is not allowed here: use one of %(codes)s."),
                value=shown(value)[:40],
                codes="、".join(choice_labels(_ENTITY_KIND)),
            )
        return code, None
    if kind == "bank_account":
        return _bank_account(value)
    if column.fact and isinstance(value, bool):
        return value, None
    if column.fact and isinstance(value, float) and not value.is_integer():
        return repr(value), None
    return shown(value), None


def masked_value(column: Column | None, value: object) -> str:
    """A cell as the problem list and the errors sheet show it: ID numbers and accounts masked."""
    text = shown(value)
    if column is not None and column.kind == "id_number" and text:
        return idnumber.mask(idnumber.normalize(text))
    if column is not None and column.kind == "bank_account" and text:
        return bankaccount.mask(re.sub(r"\D", "", text)) or "****"
    return text[:100]


def _rows_of(data: bytes, file_name: str) -> Iterator[list[object]]:
    try:
        return reader.open_rows(data, file_name)
    except reader.UnreadableFile as exc:
        raise ImportRejected([Problem(0, "", exc.message)]) from None


class _Reading:
    """The file read into rows of service input, with the problems of cells that cannot be read."""

    def __init__(self, cols: list[Column], data: bytes, file_name: str) -> None:
        self.cols = cols
        self.by_field = {col.field: col for col in cols}
        self.id_number = parser_for(Col("id_number", "身份证号", "id_number", "id_number"))
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []
        rows = _rows_of(data, file_name)
        accepted = frozenset(k for col in cols for k in col.accepted)
        self.accepted = accepted
        try:
            header, rest = reader.find_header(rows, set(accepted))
        except reader.UnreadableFile as exc:
            raise ImportRejected([Problem(0, "", exc.message)]) from None
        self.header_row = header.row
        check = headers.check_header(header.cells, cols)
        self.columns = check.columns
        for issue in check.issues:
            found = Problem(header.row, issue.column, issue.message, issue.index, issue.column)
            (self.problems if issue.blocking else self.notes).append(found)
        if self.problems:
            raise ImportRejected(self.problems, self.notes, header.row, accepted)
        self.rows: list[_Row] = []

        def all_rows() -> Iterator[list[object]]:
            yield from rest
            yield from rows

        number = header.first_data_row - 1
        for cells in all_rows():
            number += 1
            if all(blank(v) for v in cells):
                continue
            if len(self.rows) >= MAX_ROWS:
                raise ImportRejected(
                    [
                        Problem(
                            0,
                            "",
                            lazy_format(
                                _(
                                    "The file has more than %(max)s applications: split it into files "
                                    "of at most %(max)s rows. Nothing was imported."
                                ),
                                max=f"{MAX_ROWS:,}",
                            ),
                        )
                    ],
                    self.notes,
                    header.row,
                    accepted,
                )
            self.rows.append(self._row(number, cells))
        if not self.rows:
            raise ImportRejected(
                [Problem(0, "", _("The file has no rows to import."))], self.notes, header.row, accepted
            )

    def _row(self, number: int, cells: list[object]) -> _Row:
        entry = ApplicationData()
        problems: dict[str, Message] = {}
        for col in self.cols:
            index = self.columns.get(col.field)
            raw = cells[index] if index is not None and index < len(cells) else None
            value, problem = _cell(col, raw, self.id_number)
            if problem is not None:
                problems[col.field] = problem
                self.problem(number, col.field, problem, raw)
                value = None if col.kind in ("date", "month") or col.fact else ""
            if col.fact:
                entry.facts[col.field] = value
            else:
                entry.values[col.field] = value
        entry.values.setdefault("applied_on", None)
        return _Row(number, entry, problems)

    def problem(self, row: int, name: str, message: Message, raw: object = None) -> None:
        col = self.by_field.get(name)
        self.problems.append(
            Problem(
                row,
                col.header if col is not None else "",
                message,
                self.columns.get(name),
                masked_value(col, raw) if raw is not None else "",
            )
        )

    def raw(self, row: _Row, name: str) -> object:
        value = row.data.facts.get(name) if name in row.data.facts else row.data.values.get(name)
        if isinstance(value, dt.date):
            return value.isoformat()
        return value


# ---------------------------------------------------------------- checking through the service


_NEVER_VALID = services.ApplicationInput(applied_on=None)  # no date: the service always refuses it


def _split(field_errors: dict[str, list[Message]], rows: int) -> dict[int, dict[str, list[Message]]]:
    """The service's ``N:field`` keys (``field`` alone for a single row) by row index from 0."""
    found: dict[int, dict[str, list[Message]]] = {}
    for key, messages in field_errors.items():
        head, sep, name = key.partition(":")
        if sep and head.isdigit():
            index = int(head) - 1
        else:
            index, name = 0, key
        if 0 <= index < rows:
            found.setdefault(index, {}).setdefault(name, []).extend(messages)
    return found


def _probe(actor: Any, opening: Opening, inputs: Sequence[services.ApplicationInput]) -> Any:
    """The service's field errors for ``inputs`` without entering anything, or ``OutOfScope``."""
    try:
        services.enter_applications(actor=actor, opening=opening, rows=[*inputs, _NEVER_VALID])
    except InvalidInput as exc:
        return _split(exc.field_errors, len(inputs))
    except OutOfScope as exc:
        return exc
    raise AssertionError("an application without a date was entered")  # pragma: no cover


def _first_outside(actor: Any, opening: Opening, inputs: Sequence[services.ApplicationInput]) -> int:
    """The index of the first row the service finds outside the actor's area (``inputs`` has one)."""
    low, high = 1, len(inputs)  # inputs[:high] holds such a row
    while low < high:
        middle = (low + high) // 2
        if isinstance(_probe(actor, opening, inputs[:middle]), OutOfScope):
            high = middle
        else:
            low = middle + 1
    return low - 1


def _check(actor: Any, opening: Opening, reading: _Reading, programme: Programme) -> None:
    """Add the service's problems of every row to ``reading.problems`` (nothing is entered)."""
    candidates = list(range(len(reading.rows)))
    where = "id_number" if programme_info.needs_person(programme) else "credit_code"
    outside = 0
    while True:
        inputs = [reading.rows[i].data.to_input() for i in candidates]
        found = _probe(actor, opening, inputs)
        if not isinstance(found, OutOfScope):
            break
        if outside >= OUTSIDE_ROWS_NAMED:
            reading.problem(
                0,
                "",
                _("More rows name people or entities outside the area you keep records for: remove them."),
            )
            return
        position = _first_outside(actor, opening, inputs)
        row = reading.rows[candidates.pop(position)]
        outside += 1
        reading.problem(
            row.number,
            where,
            _("This person or entity is outside the area you keep records for: remove the row."),
            reading.raw(row, where),
        )
    for position, errors in sorted(found.items()):
        row = reading.rows[candidates[position]]
        for name, messages in errors.items():
            if name in row.problems:
                continue  # the cell could not be read: its own problem says so
            for message in messages:
                reading.problem(row.number, name, message, reading.raw(row, name))


def import_applications(actor: Any, opening: Opening, data: bytes, file_name: str) -> ImportResult:
    """Enter every row of the file as an application of ``opening``, or none (``ImportRejected``)."""
    started = time.monotonic()
    if len(data) > MAX_BYTES:
        raise ImportRejected(
            [
                Problem(
                    0,
                    "",
                    lazy_format(
                        _("The file is larger than %(max)s MB: split it into smaller files."),
                        max=MAX_BYTES // (1024 * 1024),
                    ),
                )
            ]
        )
    checked, programme = programme_of(opening)
    reading = _Reading(columns_for(checked, programme), data, file_name)
    with transaction.atomic():
        if not reading.problems:
            try:
                created = services.enter_applications(
                    actor=actor, opening=opening, rows=[row.data.to_input() for row in reading.rows]
                )
            except (InvalidInput, OutOfScope):
                created = []
            else:
                _audit(actor, opening, file_name, created)
                return ImportResult(created, reading.notes, time.monotonic() - started)
        _check(actor, opening, reading, programme)
        if not reading.problems:  # pragma: no cover - the entry failed, the check found nothing
            reading.problem(0, "", InvalidInput.message)
    problems = sorted(reading.problems, key=lambda p: (p.row, p.col_index if p.col_index is not None else -1))
    raise ImportRejected(problems, reading.notes, reading.header_row, reading.accepted)


def _audit(actor: Any, opening: Opening, file_name: str, created: list[Application]) -> None:
    audit.record(
        actor=actor,
        action="import",
        object_type="opening",
        object_id=opening.pk,
        area_code=opening.county.code,
        summary=f"imported {len(created)} {opening.programme} applications",
        changes={
            "file": Path(file_name).suffix.lower(),
            "rows": len(created),
            "amount_fen": sum(a.amount_fen or 0 for a in created),
        },
    )


# ---------------------------------------------------------------- the error workbook


def error_workbook(data: bytes, file_name: str, failure: ImportFailed) -> bytes:
    """The uploaded rows with every bad cell red (its problems in a comment) and an error column that
    holds the row's problems, and an ``errors`` sheet listing every problem with its row and column."""
    header_row = getattr(failure, "header_row", 0)
    accepted: frozenset[str] = getattr(failure, "accepted", frozenset())
    by_row: dict[int, list[Problem]] = {}
    for problem in failure.problems:
        by_row.setdefault(problem.row, []).append(problem)
    try:
        rows = [list(row) for row in reader.open_rows(data, file_name)]
    except reader.UnreadableFile:
        rows = []
    width = 0
    for row in rows:
        while row and blank(row[-1]):
            row.pop()
        width = max(width, len(row))
    width = max([width, *((p.col_index or 0) + 1 for p in failure.problems)])
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("data")
    listing = wb.create_sheet("errors")
    bold = Font(bold=True)
    for number, row in enumerate(rows, start=1):
        problems = by_row.get(number, [])
        cells = []
        for index in range(width):
            value = row[index] if index < len(row) else None
            cell = WriteOnlyCell(sheet, value=None if value == "" else value)
            texts = [bilingual(p.message) for p in problems if p.col_index == index]
            if texts:
                cell.fill = RED
                cell.comment = Comment("\n".join(texts), "fupin", width=300, height=120)
            cells.append(cell)
        if number <= header_row and sum(1 for v in row if accepted & set(header_keys(v))) >= 2:
            error_cell = WriteOnlyCell(sheet, value="错误 / errors")
            error_cell.font = bold
        else:
            text = "；".join(
                f"{p.column}: {bilingual(p.message)}" if p.column else bilingual(p.message) for p in problems
            )
            error_cell = WriteOnlyCell(sheet, value=text or None)
            if text:
                error_cell.fill = RED
        cells.append(error_cell)
        sheet.append(cells)
    head = []
    for text in ("行 / row", "列 / column", "表头 / header", "值 / value", "问题 / problem"):
        cell = WriteOnlyCell(listing, value=text)
        cell.font = bold
        head.append(cell)
    listing.append(head)
    for p in failure.problems:
        letter = headers.column_letter(p.col_index) if p.col_index is not None else ""
        listing.append([p.row or "", letter, p.column, p.value, bilingual(p.message)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "benefits-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_error_workbook(user: Any, opening: Opening, book: bytes) -> str:
    """Keep the error workbook (it holds ID numbers: encrypted) for its user to download; a token."""
    folder = _folder()
    limit = time.time() - KEEP_ERROR_WORKBOOKS.total_seconds()
    for old in folder.glob("*.bin"):
        if old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)
    token = uuid.uuid4().hex
    (folder / f"{user.pk}-{opening.pk}-{token}.bin").write_bytes(get_cipher().encrypt_bytes(book))
    return token


def kept_error_workbook(user: Any, opening: Opening, token: str) -> bytes | None:
    """The error workbook kept for this user and opening under ``token``, if it is still there."""
    if not _TOKEN.match(token):
        return None
    path = _folder() / f"{user.pk}-{opening.pk}-{token}.bin"
    if not path.exists():
        return None
    return get_cipher().decrypt_bytes(path.read_bytes())
