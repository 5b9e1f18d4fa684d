"""Excel files the clerk gets: an import template per kind, and the marked-up copy of a failed file.

Template layout (documented in the instructions sheet): Chinese headers in row 1, English headers in
row 2, data from row 3; the importer recognises either header row and skips the other. Coded columns
have a drop-down list (values from the hidden ``lists`` sheet, so the 255-character limit of inline
lists does not apply); ID-number, phone, household-number and code columns are formatted as text so
that Excel keeps every digit.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fupin.core.i18n import bilingual
from fupin.exchange import reader
from fupin.exchange.importer import Problem
from fupin.exchange.specs import SPECS, Col, choice_labels
from fupin.feeds.kinds import KINDS as FEED_KINDS

RED = PatternFill("solid", fgColor="FFC7CE")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TEXT_TYPES = ("id_number", "phone", "household", "village", "text")
TEMPLATE_ROWS = 2000  # rows that get the drop-down lists and text format


def template_kinds() -> list[str]:
    return [*SPECS, "areas", *FEED_KINDS]


def _columns(kind: str) -> tuple[str, list[Col], list[str]]:
    """(title, columns, instruction lines) of a kind."""
    if kind in SPECS:
        spec = SPECS[kind]
        return bilingual(spec.label), list(spec.columns), []
    if kind == "areas":
        cols = [
            Col("code", "代码", "code", "village", True, help=_("9-digit township or 12-digit village code")),
            Col("name", "名称", "name", "text", True, max_length=100),
        ]
        return bilingual(_("Townships and villages")), cols, []
    feed = FEED_KINDS[kind]
    cols = []
    for column in feed.columns:
        kind_of = {"id_number": "id_number", "name": "text", "event_date": "date", "amount": "decimal"}.get(
            column.field, "feed_code"
        )
        meaning = {"event_date": feed.date_meaning, "amount": feed.amount_meaning, "code": feed.code_meaning}
        cols.append(
            Col(
                column.field,
                column.chinese,
                column.english,
                kind_of,
                column.required,
                help=meaning.get(column.field) or "",
            )
        )
    lines = [f"{bilingual(feed.label)} — {bilingual(feed.department)}"]
    if feed.codes:
        lines.append(f"{feed.code.header if feed.code else ''}: {feed.codes_display}")
    return bilingual(feed.label), cols, lines


def _choices(kind: str, col: Col) -> list[str]:
    if col.kind == "code" and col.choices is not None:
        return choice_labels(col)
    if col.kind == "bool":
        return ["是", "否"]
    if col.kind == "feed_code":
        return [code.chinese for code in FEED_KINDS[kind].codes]
    return []


def template(kind: str) -> bytes:
    """The import template of ``kind`` as xlsx bytes."""
    title, cols, extra = _columns(kind)
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
            cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[letter].width = max(12, len(col.chinese) * 2 + 4, len(col.english) + 2)
        if col.kind in TEXT_TYPES:
            for row in range(3, TEMPLATE_ROWS + 3):
                ws.cell(row=row, column=index).number_format = "@"
        choices = _choices(kind, col)
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
    lines: list[Sequence[object]] = [
        [f"{title} — 导入模板 / import template"],
        [],
        ["第1行为中文表头，第2行为英文表头，从第3行开始填写数据；两行表头都可以保留。"],
        ["Row 1 has the Chinese headers, row 2 the English ones; fill in data from row 3. Keep both rows."],
        ["带*的列必须填写；下拉列表列请从列表中选择。身份证号、电话、户编号列已设为文本格式，请勿改为数字。"],
        [
            "Columns marked * are required; choose coded values from the drop-down list. "
            "ID-number, phone and "
            "household-number columns are text: do not turn them into numbers (Excel would lose digits)."
        ],
        ["导入时全部行都会校验；只要有一处错误，整个文件都不会导入，并返回标红的错误工作簿。"],
        [
            "Every row is checked; if anything is wrong nothing is imported and you get the file back with "
            "every wrong cell in red."
        ],
        ["再次导入同一文件不会产生重复记录（按户编号、身份证号、户编号+年度更新）。"],
        [
            "Importing the same file again creates no duplicates "
            "(households by number, members by ID number, "
            "incomes by household number and year)."
        ],
        [*extra],
        [],
        ["列 / column", "必填 / required", "说明 / notes"],
    ]
    for col in cols:
        choices = _choices(kind, col)
        notes = bilingual(col.help) if col.help else ""
        if choices:
            notes = (notes + "; " if notes else "") + "、".join(choices)
        lines.append([col.header, "是 / yes" if col.required else "否 / no", notes])
    for line in lines:
        info.append(list(line))
    info.column_dimensions["A"].width = 40
    info.column_dimensions["C"].width = 90
    info["A1"].font = Font(bold=True, size=14)
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _header_indexes(data: bytes, file_name: str) -> dict[str, int]:
    """Header text → column index, from the first ten rows (for problems that only name a column)."""
    found: dict[str, int] = {}
    try:
        rows = reader.open_rows(data, file_name)
        for number, row in enumerate(rows, start=1):
            for index, cell in enumerate(row):
                text = reader.header_text(cell)
                if text and text not in found:
                    found[text] = index
            if number >= reader.HEADER_SEARCH_ROWS:
                break
    except reader.UnreadableFile:
        return {}
    return found


def error_workbook(
    data: bytes, file_name: str, problems: Sequence[Problem], total: int | None = None
) -> bytes:
    """The uploaded sheet with every bad cell red and explained, and an ``errors`` sheet listing them."""
    headers = _header_indexes(data, file_name)
    by_cell: dict[tuple[int, int], list[str]] = {}
    for p in problems:
        index = p.col_index if p.col_index is not None else headers.get(p.column, 0 if p.row else None)
        if p.row and index is not None:
            by_cell.setdefault((p.row, index), []).append(bilingual(p.message))
    bad_rows = {row for row, _i in by_cell}
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("data")
    errors = wb.create_sheet("errors")
    try:
        rows = reader.open_rows(data, file_name)
    except reader.UnreadableFile:
        rows = iter(())
    for number, read in enumerate(rows, start=1):
        row = [None if value == "" else value for value in read]  # calamine's empty cell: left empty
        if number not in bad_rows:
            sheet.append(row)
            continue
        width = max([len(row), *(i + 1 for (r, i) in by_cell if r == number)])
        cells = []
        for index in range(width):
            cell = WriteOnlyCell(sheet, value=row[index] if index < len(row) else None)
            messages = by_cell.get((number, index))
            if messages:
                cell.fill = RED
                cell.comment = Comment("\n".join(messages), "fupin", width=300, height=120)
            cells.append(cell)
        sheet.append(cells)
    bold = Font(bold=True)
    head = []
    for text in ("行 / row", "列 / column", "值 / value", "问题 / problem"):
        cell = WriteOnlyCell(errors, value=text)
        cell.font = bold
        head.append(cell)
    errors.append(head)
    for p in problems:
        errors.append([p.row or "", p.column, p.value, bilingual(p.message)])
    if total is not None and total > len(problems):
        errors.append(
            [
                "",
                "",
                "",
                f"另有 {total - len(problems)} 个问题未列出 / "
                f"{total - len(problems)} more problems not listed",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
