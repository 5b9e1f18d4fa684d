"""A registry snapshot as the engine's four tables (Arrow), for one area subtree.

This is the bridge between the application database (SQLite or PostgreSQL, through the ORM) and the
engine. Per-capita net income is computed here by ``fupin.domain.income`` (the one function), so
the engine never has its own formula. No names, ID numbers or phones leave the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import cast

import pyarrow as pa
from django.conf import settings
from django.utils import timezone

from fupin.areas.models import Area
from fupin.domain.income import net_income, per_capita_net_income
from fupin.engine import tables
from fupin.registry.models import Household, IncomeRecord, Member


def _table(source: str, rows: dict[str, list[object]]) -> pa.Table:
    columns = tables.SOURCES[source]
    return pa.table({name: pa.array(rows[name], columns[name].arrow) for name in columns})


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def snapshot(
    area: Area, *, household_ids: Iterable[int] | None = None, as_of: dt.date | None = None
) -> dict[str, pa.Table]:
    """The households under ``area`` (or just ``household_ids`` among them) as engine tables."""
    households = Household.objects.filter(village__path__startswith=area.path)
    if household_ids is not None:
        households = households.filter(pk__in=list(household_ids))
    h_rows: dict[str, list[object]] = {name: [] for name in tables.HOUSEHOLDS}
    for row in households.values_list(
        "pk",
        "village__code",
        "household_type",
        "status",
        "monitoring_category",
        "housing_safety",
        "water_difficult",
        "water_safe",
        "has_electricity",
    ).iterator(chunk_size=5000):
        pk, village, *rest = row
        for name, value in zip(tables.HOUSEHOLDS, (pk, village[:6], village, *rest), strict=True):
            h_rows[name].append(value)
    chosen = None if household_ids is None else [cast(int, pk) for pk in h_rows["household_id"]]
    in_snapshot: dict[str, object] = {"household__village__path__startswith": area.path}
    if chosen is not None:
        in_snapshot = {"household_id__in": chosen}

    m_rows: dict[str, list[object]] = {name: [] for name in tables.MEMBERS}
    for values in (
        Member.objects.filter(**in_snapshot)
        .values_list(
            "pk",
            "household_id",
            "exit_reason",
            "sex",
            "birth_date",
            "relation",
            "health",
            "has_disability_certificate",
            "labour_capacity",
            "schooling_status",
            "basic_medical_insurance",
            "receives_dibao",
            "receives_tekun",
            "migrant_work_months",
        )
        .iterator(chunk_size=5000)
    ):
        pk, household_id, exit_reason, *rest = values
        for name, value in zip(tables.MEMBERS, (pk, household_id, not exit_reason, *rest), strict=True):
            m_rows[name].append(value)

    i_rows: dict[str, list[object]] = {name: [] for name in tables.INCOMES}
    exclude = settings.INCOME_EXCLUDE_LISTED_ALLOWANCES
    for record in IncomeRecord.objects.filter(**in_snapshot).iterator(chunk_size=5000):
        parts = {
            "wage": record.wage,
            "business": record.business,
            "property_income": record.property_income,
            "transfer": record.transfer,
            "business_expenditure": record.business_expenditure,
        }
        net = net_income(
            **parts, excluded_transfer=record.excluded_transfer, exclude_listed_allowances=exclude
        )
        per_capita = per_capita_net_income(
            **parts,
            household_size=record.household_size,
            excluded_transfer=record.excluded_transfer,
            exclude_listed_allowances=exclude,
        )
        income_row: dict[str, object] = {
            "household_id": record.household_id,
            "year": record.year,
            "household_size": record.household_size,
            **{k: _money(v) for k, v in parts.items()},
            "net_income": _money(net),
            "per_capita_net_income": _money(per_capita),
            "compliant_oop_spending": _money(record.compliant_oop_spending),
        }
        for name in tables.INCOMES:
            i_rows[name].append(income_row[name])

    return {
        "households": _table("households", h_rows),
        "members": _table("members", m_rows),
        "incomes": _table("incomes", i_rows),
        "feeds": _feeds(area, chosen, as_of or timezone.localdate()),
    }


def _feeds(area: Area, household_ids: list[int] | None, as_of: dt.date) -> pa.Table:
    from fupin.feeds.selectors import feed_table

    return feed_table(as_of, area_path=area.path, household_ids=household_ids)
