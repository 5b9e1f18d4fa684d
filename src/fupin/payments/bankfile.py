"""The bank file of a batch, CSV and xlsx, and the columns the bank's return file is read by.

The bank file is the one place an account number appears in full: it is decrypted here, row by row,
into the file and nowhere else (not the page, not the audit log, not a log line). Headers are bilingual
(``付款参考号 / reference``) like the import templates; a return file may use either half.

CSV is UTF-8 with a byte-order mark (Excel on a Chinese Windows opens it right) and keeps account
numbers as plain digits, which is what a bank's import reads. The workbook stores the account number as
text, because Excel turns 19 digits into 6.22E+18 and loses the last ones; amounts are numbers in yuan
with two decimals. Text that a spreadsheet would run as a formula is defused in both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from fupin.feeds.kinds import Column
from fupin.payments.models import Batch, Payment
from fupin.pii.crypto import get_cipher
from fupin.web.exports import defuse

# The bank file's columns, in order; the return file accepts the first and the result columns below.
REFERENCE = Column(
    "reference", "付款参考号", "reference", True, ("参考号", "付款编号", "交易参考号", "业务参考号", "ref")
)
PAYEE = Column("payee", "收款人", "payee", False, ("收款人姓名", "户名", "收款户名", "payee_name"))
BANK = Column("bank", "开户银行", "bank", False, ("开户行", "收款银行", "bank_name"))
ACCOUNT = Column("account", "账号", "account_number", False, ("收款账号", "银行账号", "卡号", "account"))
AMOUNT = Column("amount", "金额（元）", "amount_yuan", False, ("金额", "支付金额", "交易金额", "amount"))
PROGRAMME = Column("programme", "项目", "programme", False, ("补贴项目",))
COUNTY = Column("county", "县", "county", False, ("县区", "区县"))
BANK_FILE_COLUMNS = (REFERENCE, PAYEE, BANK, ACCOUNT, AMOUNT, PROGRAMME, COUNTY)

RESULT = Column(
    "result", "结果", "result", True, ("处理结果", "支付结果", "交易结果", "状态", "支付状态", "status")
)
REASON = Column("reason", "失败原因", "failure_reason", False, ("原因", "失败说明", "reason"))
PAID_ON = Column(
    "paid_on", "支付日期", "paid_date", False, ("日期", "入账日期", "交易日期", "paid_on", "date")
)
RETURN_COLUMNS = (REFERENCE, RESULT, REASON, PAID_ON, AMOUNT, PAYEE, BANK, ACCOUNT, PROGRAMME, COUNTY)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def yuan_text(fen: int) -> str:
    """Integer fen as yuan with two decimals and no separators (1600.00): what a bank's import reads."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


@dataclass(frozen=True)
class BankRow:
    reference: str
    payee: str
    bank: str
    account: str  # in full
    amount_fen: int
    programme: str
    county: str


def bank_rows(batch: Batch, payments: Iterable[Payment], programme: str) -> list[BankRow]:
    cipher = get_cipher()
    county = batch.envelope.opening.county.name
    return [
        BankRow(
            reference=p.reference,
            payee=p.payee_name,
            bank=p.bank_name,
            account=cipher.decrypt(p.account_enc),
            amount_fen=p.amount_fen,
            programme=programme,
            county=county,
        )
        for p in payments
    ]


def _cells(row: BankRow) -> list[str]:
    return [
        defuse(row.reference),
        defuse(row.payee),
        defuse(row.bank),
        row.account,  # digits only (checked when recorded): nothing to defuse, nothing to lose
        yuan_text(row.amount_fen),
        defuse(row.programme),
        defuse(row.county),
    ]


def csv_bytes(rows: Sequence[BankRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.header for column in BANK_FILE_COLUMNS])
    for row in rows:
        writer.writerow(_cells(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Sequence[BankRow], *, title: str, summary: Sequence[tuple[str, object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet1")
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (24, 16, 24, 26, 14, 24, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    header = []
    for column in BANK_FILE_COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        account = WriteOnlyCell(sheet, value=row.account)
        account.number_format = "@"
        amount = WriteOnlyCell(sheet, value=Decimal(row.amount_fen) / 100)
        amount.number_format = "0.00"
        values = _cells(row)
        sheet.append([values[0], values[1], values[2], account, amount, values[5], values[6]])
    about = book.create_sheet(_("Summary")[:31])
    for label, value in summary:
        about.append([defuse(str(label)), defuse(value) if isinstance(value, str) else value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
