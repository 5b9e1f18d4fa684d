"""Reading the bank's return file: reference, result (paid or failed), failure reason, date paid.

Only the file's shape is checked here (columns, results, dates, amounts, reasons); the service then
checks every row against the batch and changes nothing unless every row is right. Each problem names
the row as the spreadsheet numbers it and the column by its letter and its header in the file.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from fupin.core import clock
from fupin.core.errors import Message
from fupin.core.i18n import lazy_format
from fupin.exchange import reader
from fupin.exchange.headers import check_header, column_letter
from fupin.feeds.kinds import Column, header_key
from fupin.feeds.services import parse_amount, parse_date
from fupin.payments.bankfile import AMOUNT, PAID_ON, REASON, REFERENCE, RESULT, RETURN_COLUMNS

MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS = 200  # a file with a wrong column would otherwise list every row

PAID = "paid"
FAILED = "failed"
RESULT_WORDS = {
    PAID: {
        "paid",
        "success",
        "succeeded",
        "successful",
        "ok",
        "成功",
        "已支付",
        "支付成功",
        "已付款",
        "付款成功",
        "已入账",
        "入账成功",
    },
    FAILED: {
        "failed",
        "failure",
        "fail",
        "unpaid",
        "失败",
        "支付失败",
        "付款失败",
        "未支付",
        "退回",
        "退票",
        "入账失败",
    },
}
_WORD_RESULT = {header_key(word): result for result, words in RESULT_WORDS.items() for word in words}


@dataclass(frozen=True)
class ReturnRow:
    row: int  # as the spreadsheet numbers it
    reference: str
    result: str  # paid | failed
    reason: str
    paid_on: dt.date | None
    amount_fen: int | None  # None when the file gives no amount


@dataclass
class ReadFile:
    rows: list[ReturnRow] = field(default_factory=list)
    problems: list[tuple[int, Message]] = field(default_factory=list)  # (row, message); row 0: the file
    notes: list[Message] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def column_name(self, column: Column) -> str:
        return self.headers.get(column.field) or column.header

    def problem(self, row: int, column: Column, message: Message) -> None:
        """'Row 7, column C (“结果 / result”): …' (without a letter when the file lacks the column)."""
        if len(self.problems) >= MAX_PROBLEMS:
            return
        if column.field in self.columns:
            self.problems.append(
                (
                    row,
                    lazy_format(
                        _("Row %(row)s, column %(letter)s (“%(column)s”): %(problem)s"),
                        row=row,
                        letter=column_letter(self.columns[column.field]),
                        column=self.column_name(column),
                        problem=message,
                    ),
                )
            )
        else:
            self.problems.append(
                (
                    row,
                    lazy_format(
                        _("Row %(row)s, column “%(column)s” (not in the file): %(problem)s"),
                        row=row,
                        column=column.header,
                        problem=message,
                    ),
                )
            )

    def file_problem(self, message: Message) -> None:
        self.problems.append((0, message))

    def messages(self) -> list[Message]:
        """Every problem, in the order of the rows (the file's own problems first)."""
        return [message for _row, message in sorted(self.problems, key=lambda item: item[0])]

    @property
    def readable(self) -> bool:
        """Whether the rows could be read at all (a header problem stops before any row)."""
        return not any(row == 0 for row, _message in self.problems)


def result_of(value: object) -> str | None:
    return _WORD_RESULT.get(header_key(unicodedata.normalize("NFKC", str(value or ""))))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).replace("\ufeff", "").strip()


def _cell(row: list[object], index: int | None) -> object:
    if index is None or index >= len(row):
        return None
    return row[index]


def read(data: bytes, file_name: str) -> ReadFile:
    """The rows of a return file, or the problems that keep it from being read."""
    found = ReadFile()
    if not data:
        found.file_problem(_("The file is empty."))
        return found
    if len(data) > MAX_BYTES:
        found.file_problem(_("The file is larger than 20 MB: a return file of one batch is much smaller."))
        return found
    accepted = {key for column in RETURN_COLUMNS for key in column.accepted}
    try:
        rows = reader.open_rows(data, file_name)
        header, first = reader.find_header(rows, accepted)
    except reader.UnreadableFile as error:
        found.file_problem(error.message)
        return found
    check = check_header(header.cells, RETURN_COLUMNS)
    found.columns, found.headers = check.columns, check.headers
    for issue in check.errors:
        found.file_problem(issue.message)
    found.notes.extend(issue.message for issue in check.notes)
    if found.problems:
        return found
    today = clock.today()
    number = header.first_data_row - 1
    seen: dict[str, int] = {}

    def every_row():  # type: ignore[no-untyped-def]
        yield from first
        yield from rows

    for cells in every_row():
        number += 1
        if all(_text(cell) == "" for cell in cells):
            continue
        if len(found.rows) >= MAX_ROWS:
            found.file_problem(lazy_format(_("The file has more than %(max)s rows."), max=f"{MAX_ROWS:,}"))
            break
        reference = _text(_cell(cells, found.columns.get("reference"))).lstrip("'")
        raw_result = _cell(cells, found.columns.get("result"))
        reason = _text(_cell(cells, found.columns.get("reason")))
        raw_date = _cell(cells, found.columns.get("paid_on"))
        raw_amount = _cell(cells, found.columns.get("amount"))
        if not reference:
            found.problem(number, REFERENCE, _("The payment reference is missing."))
        elif reference in seen:
            found.problem(
                number,
                REFERENCE,
                lazy_format(
                    _("The reference %(reference)s is in row %(other)s too."),
                    reference=reference,
                    other=seen[reference],
                ),
            )
        else:
            seen[reference] = number
        result = result_of(raw_result)
        if result is None:
            found.problem(
                number,
                RESULT,
                lazy_format(
                    _("“%(value)s” is not a result: write paid or failed (成功 or 失败)."),
                    value=_text(raw_result),
                ),
            )
        paid_on: dt.date | None = None
        if result == PAID:
            if _text(raw_date) == "":
                found.problem(number, PAID_ON, _("A paid payment needs the date the bank paid it."))
            else:
                paid_on, problem = parse_date(raw_date, today=today)
                if problem is not None:
                    found.problem(number, PAID_ON, problem)
        elif result == FAILED and not reason:
            found.problem(number, REASON, _("A failed payment needs the bank's reason."))
        if len(reason) > 200:
            found.problem(number, REASON, _("At most 200 characters, please."))
        amount_fen: int | None = None
        if _text(raw_amount) != "":
            amount, problem = parse_amount(raw_amount)
            if problem is not None:
                found.problem(number, AMOUNT, problem)
            elif amount is not None:
                amount_fen = int(amount * 100)
        if reference and result is not None:
            found.rows.append(
                ReturnRow(
                    row=number,
                    reference=reference,
                    result=result,
                    reason=reason[:200],
                    paid_on=paid_on,
                    amount_fen=amount_fen,
                )
            )
    if not found.rows and not found.problems:
        found.file_problem(_("The file has no rows under its header."))
    return found


def amount_of(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f}"
