"""The year's plan (allocations to projects) from a spreadsheet: all or nothing, as the house imports.

* **Template**: Chinese headers in row 1, English in row 2, data from row 3 (project code, funding
  source, amount in yuan), a sheet listing the county's approved projects and the sources.
* **Reading**: ``fupin.exchange.reader`` (the header found among the first ten rows, CSV or xlsx).
* **Rules**: every row goes through ``services.allocate_many``, which checks all rows together (the
  sums against each source's year amount included) and writes all or none.
* **Errors**: every problem with its row and column; the rows come back as an error workbook (the
  house's, ``fupin.benefits.importer.error_workbook``) kept for the user for a day. The plan holds no
  personal data, so the kept workbook is not encrypted.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from fupin.areas.models import Area
from fupin.audit import services as audit
from fupin.core.errors import Message
from fupin.exchange import reader
from fupin.exchange.importer import ImportFailed, Problem
from fupin.funds import selectors, services
from fupin.projects.models import FundSource, Project

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")

# (field, Chinese header, English header)
COLUMNS = (
    ("project", "项目编号", "project code"),
    ("source", "资金来源", "funding source"),
    ("amount", "安排金额（元）", "amount (yuan)"),
)


def _key(value: object) -> str:
    return re.sub(r"[\s()（）]", "", reader.header_text(value)).lower()


ACCEPTED = {_key(c) for _f, zh, en in COLUMNS for c in (zh, en)}


def template(county: Area, year: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "plan"
    bold = Font(bold=True)
    sheet.append([zh for _f, zh, _e in COLUMNS])
    sheet.append([en for _f, _z, en in COLUMNS])
    for row in (1, 2):
        for cell in sheet[row]:
            cell.font = bold
    for letter, width in zip("ABC", (26, 22, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    projects = book.create_sheet("projects")
    projects.append(["项目编号 / code", "项目名称 / name", "类型 / category", "状态 / state"])
    for project in Project.objects.filter(county=county, state__in=selectors.APPROVED).order_by("code"):
        projects.append(
            [project.code, project.name, project.get_category_display(), project.get_state_display()]
        )
    sources = book.create_sheet("sources")
    sources.append(["代码 / code", "名称", "name"])
    for source in FundSource:
        sources.append([source.value, CHINESE_SOURCES.get(source.value, ""), str(source.label)])
    notes = book.create_sheet("instructions")
    for line in (
        f"{county.name} {year} 年度衔接资金计划导入 / the year's plan of {county.name}, {year}",
        "每行一个项目的一个资金来源 / one row per project and source; an existing allocation is replaced",
        "金额以元为单位，最多两位小数 / amounts in yuan, at most two decimals",
        "任何一行有误则全部不导入 / one error anywhere and nothing is imported",
    ):
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_name(county: Area, year: int) -> str:
    return f"plan-template-{county.code}-{year}.xlsx"


class ImportRejected(ImportFailed):
    header_row = 2
    accepted = frozenset(ACCEPTED)


@dataclass
class ImportResult:
    rows: int
    total_fen: int


# The sources' Chinese names as the county's forms write them (accepted whatever the translations say).
CHINESE_SOURCES = {
    "central": "中央衔接资金",
    "provincial": "省级衔接资金",
    "municipal": "市级衔接资金",
    "county": "县级衔接资金",
    "integrated": "统筹整合涉农资金",
    "east_west": "东西部协作资金",
    "designated": "定点帮扶资金",
    "self_raised": "自筹及其他资金",
}


def _source_of(value: object) -> str | None:
    text = reader.header_text(value)
    for source in FundSource:
        if text in (source.value, str(source.label), CHINESE_SOURCES.get(source.value)):
            return source.value
    from django.utils import translation

    with translation.override("zh-hans"):
        for source in FundSource:
            if text == str(source.label):
                return source.value
    return None


def _fen(value: object) -> int | None:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    if amount != amount.quantize(Decimal("0.01")) or amount < 0:
        return None
    return int(amount * 100)


def import_plan(actor: Any, county: Area, year: int, data: bytes, file_name: str) -> ImportResult:
    """Every row an allocation of the year's plan, or none (``ImportRejected`` with every problem)."""
    problems: list[Problem] = []

    def problem(row: int, index: int | None, message: Message, value: object = "") -> None:
        column = "" if index is None else " / ".join(COLUMNS[index][1:])
        problems.append(Problem(row, column, message, index, "" if value is None else str(value)))

    try:
        rows = reader.open_rows(data, file_name)
        header, rest = reader.find_header(rows, ACCEPTED)
    except reader.UnreadableFile as error:
        raise ImportRejected([Problem(0, "", error.message)]) from None
    positions: dict[str, int] = {}
    for index, cell in enumerate(header.cells):
        for name, zh, en in COLUMNS:
            if _key(cell) in (_key(zh), _key(en)) and name not in positions:
                positions[name] = index
    missing = [i for i, (name, _zh, _en) in enumerate(COLUMNS) if name not in positions]
    if missing:
        raise ImportRejected(
            [
                Problem(0, " / ".join(COLUMNS[i][1:]), _("This column is missing: use the template."))
                for i in missing
            ]
        )
    codes = dict(Project.objects.filter(county=county).values_list("code", "pk"))
    items: list[services.AllocationInput] = []
    item_rows: list[int] = []
    number = header.first_data_row - 1
    for row in [*rest, *rows]:
        number += 1
        cells = {name: (row[i] if i < len(row) else None) for name, i in positions.items()}
        if all(c is None or not str(c).strip() for c in cells.values()):
            continue
        if len(items) >= MAX_ROWS:
            raise ImportRejected(
                [Problem(0, "", _("The file has too many rows: split it into smaller files."))]
            )
        code = reader.header_text(cells["project"])
        source = _source_of(cells["source"])
        amount = _fen(cells["amount"])
        bad = False
        if code not in codes:
            problem(number, positions["project"], _("No project of this county has this code."), code)
            bad = True
        if source is None:
            problem(number, positions["source"], _("Choose a funding source from the list."), cells["source"])
            bad = True
        if amount is None:
            problem(
                number,
                positions["amount"],
                _("Give the amount in yuan, at most two decimals."),
                cells["amount"],
            )
            bad = True
        if not bad and code in codes and source is not None and amount is not None:
            items.append(services.AllocationInput(codes[code], year, source, amount))
            item_rows.append(number)
    if not problems and not items:
        raise ImportRejected([Problem(0, "", _("The file has no rows to import."))])
    seen: dict[tuple[int, str], int] = {}
    for item, number in zip(items, item_rows, strict=True):
        key = (item.project_id, item.source)
        if key in seen:
            problem(number, positions["project"], _("This project and source are already on another row."))
        seen[key] = number
    if problems:
        raise ImportRejected(problems)
    try:
        written = services.allocate_many(actor=actor, county=county, items=items)
    except services.ManyRefused as refused:
        for index, errors in sorted(refused.by_item.items()):
            for name, messages in errors.items():
                column = {"project": 0, "source": 1}.get(name, 2)
                for message in messages:
                    problem(item_rows[index], positions[COLUMNS[column][0]], message)
        raise ImportRejected(problems) from None
    total = sum(a.amount_fen for a in written)
    audit.record(
        actor=actor,
        action="funds.import",
        object_type="county",
        object_id=county.pk,
        area_code=county.code,
        summary=f"year plan {year} imported: {len(written)} allocations",
        changes={"rows": len(written), "amount_fen": total},
    )
    return ImportResult(len(written), total)


def error_workbook(data: bytes, file_name: str, failure: ImportFailed) -> bytes:
    from fupin.benefits.importer import error_workbook as house_error_workbook

    return house_error_workbook(data, file_name, failure)


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "funds-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_error_workbook(user: Any, county: Area, book: bytes) -> str:
    folder = _folder()
    limit = time.time() - KEEP_SECONDS
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)
    token = uuid.uuid4().hex
    (folder / f"{user.pk}-{county.pk}-{token}.xlsx").write_bytes(book)
    return token


def kept_error_workbook(user: Any, county: Area, token: str) -> bytes | None:
    if not _TOKEN.match(token):
        return None
    path = _folder() / f"{user.pk}-{county.pk}-{token}.xlsx"
    return path.read_bytes() if path.exists() else None
