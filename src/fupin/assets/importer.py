"""Excel import of the assets a county already keeps in its ledgers: all rows or none.

The template has one header row (Chinese and English) and one asset a row. Choices may be given by code
(``operating``) or by their Chinese or English label (经营性资产); amounts in yuan. Every row goes through
``services.register_asset`` (the same checks, audit and project step as the form) inside one transaction:
when any row is refused, nothing is kept and the page lists every problem by row and column.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from fupin.accounts.roles import Capability
from fupin.assets import services
from fupin.assets.models import AssetClass, OwnerLevel, Status, SubType
from fupin.audit import services as audit
from fupin.core.errors import InvalidInput, OutOfScope, Refused
from fupin.projects.models import Project
from fupin.registry.models import Household
from fupin.registry.services import require_capability

# (key, Chinese header, English header)
COLUMNS = (
    ("code", "资产编码", "asset code"),
    ("name", "资产名称", "asset name"),
    ("asset_class", "资产类别", "class"),
    ("sub_type", "子类", "sub-type"),
    ("project_code", "来源项目编码", "project code"),
    ("year_formed", "形成年度", "year formed"),
    ("original_value", "原值（元）", "original value (yuan)"),
    ("area_code", "所在地区划代码", "area code"),
    ("owner_level", "产权层级", "owner level"),
    ("owner_entity", "产权所有者", "owner"),
    ("household_number", "所属农户户编号", "household number"),
    ("status", "状态", "status"),
    ("operator", "经营主体", "operator"),
    ("contract_from", "合同起始", "contract from"),
    ("contract_to", "合同截止", "contract to"),
    ("guaranteed_percent", "保底收益率（%）", "guaranteed return (%)"),
    ("maintenance_body", "管护主体", "maintenance body"),
    ("maintenance_person", "管护责任人", "maintenance person"),
    ("beneficiaries", "受益户数", "households benefiting"),
)
MAX_ROWS = 5000
# The service's field names → the template's columns.
FIELD_COLUMNS = {
    "area": "area_code",
    "household": "household_number",
    "project": "project_code",
    "guaranteed_rate": "guaranteed_percent",
    "funding": "original_value",
}


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    imported: int
    problems: list[RowProblem]


def template() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "assets"
    sheet.append([f"{zh} {en}" for _k, zh, en in COLUMNS])
    sheet.append(
        [
            "ZC-220822100201-001",
            "一村20千瓦村级光伏电站",
            "经营性资产",
            "光伏电站",
            "",
            2019,
            "160000.00",
            "220822100201",
            "村集体",
            "一村股份经济合作社",
            "",
            "在用",
            "",
            "",
            "",
            "",
            "一村村民委员会",
            "王管护",
            30,
        ]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _choice(choices: type[TextChoices], value: Any) -> str:
    text = str(value or "").strip()
    if text in choices.values:
        return text
    for code, label in choices.choices:
        for language in ("zh-hans", "en"):
            with translation.override(language):
                shown = str(label)
            if text and (text == shown or shown.startswith(text) or shown.split(" (")[0] == text):
                return str(code)
    return text  # unknown: the service says "choose …"


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value).replace(",", "").strip())


def _row_input(row: dict[str, Any]) -> services.AssetInput:
    value = _decimal(row.get("original_value"))
    percent = _decimal(row.get("guaranteed_percent"))
    project_id = None
    if row.get("project_code"):
        project_id = (
            Project.objects.filter(code=str(row["project_code"]).strip()).values_list("pk", flat=True).first()
            or 0
        )
    household_id = None
    if row.get("household_number"):
        household_id = (
            Household.objects.filter(number=str(row["household_number"]).strip())
            .values_list("pk", flat=True)
            .first()
            or 0
        )
    return services.AssetInput(
        code=str(row.get("code") or "").strip(),
        name=str(row.get("name") or "").strip(),
        asset_class=_choice(AssetClass, row.get("asset_class")),
        sub_type=_choice(SubType, row.get("sub_type")),
        year_formed=int(str(row.get("year_formed") or 0).split(".")[0]),
        original_value_fen=services.yuan_to_fen(value) if value is not None else 0,
        area_code=str(row.get("area_code") or "").strip().split(".")[0],
        owner_level=_choice(OwnerLevel, row.get("owner_level")),
        owner_entity=str(row.get("owner_entity") or "").strip(),
        status=_choice(Status, row.get("status")),
        project_id=project_id,
        household_id=household_id,
        operator=str(row.get("operator") or "").strip(),
        contract_from=_date(row.get("contract_from")),
        contract_to=_date(row.get("contract_to")),
        guaranteed_rate=percent / 100 if percent is not None else None,
        maintenance_body=str(row.get("maintenance_body") or "").strip(),
        maintenance_person=str(row.get("maintenance_person") or "").strip(),
        beneficiaries=int(str(row.get("beneficiaries") or 0).split(".")[0]),
    )


class _RollBack(Exception):
    pass


def import_assets(*, actor: Any, content: bytes) -> ImportResult:
    """Register every row, or none when any row is refused (the problems say which row and column)."""
    from openpyxl import load_workbook

    require_capability(actor, Capability.MANAGE_ASSETS)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable upload is the same answer
        return ImportResult(0, [RowProblem(0, "", _("The file is not an Excel workbook (.xlsx)."))])
    rows = list(book.active.iter_rows(values_only=True))
    if not rows:
        return ImportResult(0, [RowProblem(0, "", _("The workbook is empty."))])
    keys = [k for k, _zh, _en in COLUMNS]
    if len(rows) - 1 > MAX_ROWS:
        return ImportResult(0, [RowProblem(0, "", _("At most 5,000 assets at a time."))])
    headers = {key: f"{zh} {en}" for key, zh, en in COLUMNS}
    problems: list[RowProblem] = []
    imported = 0
    try:
        with transaction.atomic():
            for number, cells in enumerate(rows[1:], start=2):
                if not any(c not in (None, "") for c in cells):
                    continue
                row = dict(zip(keys, cells, strict=False))
                try:
                    data = _row_input(row)
                except (ValueError, InvalidOperation):
                    problems.append(RowProblem(number, "", _("A number or date in this row cannot be read.")))
                    continue
                try:
                    with transaction.atomic():
                        services.register_asset(actor=actor, data=data)
                    imported += 1
                except InvalidInput as error:
                    for field, messages in error.field_errors.items():
                        column = headers.get(FIELD_COLUMNS.get(field, field), field)
                        problems.extend(RowProblem(number, column, str(m)) for m in messages)
                except OutOfScope:
                    problems.append(
                        RowProblem(number, headers["area_code"], _("This area is not in your capture area."))
                    )
                except Refused as error:
                    problems.append(RowProblem(number, "", str(error.message)))
            if problems:
                raise _RollBack()
            audit.record(
                actor=actor,
                action="asset.import",
                object_type="asset_ledger",
                summary=f"{imported} assets imported",
                changes={"rows": imported},
            )
    except _RollBack:
        return ImportResult(0, problems)
    return ImportResult(imported, [])
