"""Running a pack's own test cases: small households written in YAML, on every installed engine.

A test case gives only the fields that matter to it; everything else takes an ordinary default
(a healthy adult, safe housing and water, insured), so a case reads like the situation it describes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from fupin.engine import tables
from fupin.engine.backends import Backend
from fupin.engine.checker import CheckedPack
from fupin.engine.packs import TestCase
from fupin.engine.screening import screen

DEFAULT_AS_OF = dt.date(2026, 6, 30)
TEST_COUNTY = "220822"

HOUSEHOLD_DEFAULTS: dict[str, Any] = {
    "county_code": TEST_COUNTY,
    "village_code": TEST_COUNTY + "100201",
    "household_type": "ordinary",
    "status": "normal",
    "monitoring_category": "",
    "housing_safety": "A",
    "water_difficult": False,
    "water_safe": True,
    "has_electricity": True,
}
MEMBER_DEFAULTS: dict[str, Any] = {
    "is_current": True,
    "sex": "M",
    "birth_date": dt.date(1980, 1, 1),
    "relation": "head",
    "health": "healthy",
    "has_disability_certificate": False,
    "labour_capacity": "ordinary",
    "schooling_status": "not_applicable",
    "basic_medical_insurance": True,
    "receives_dibao": False,
    "receives_tekun": False,
    "migrant_work_months": 0,
}
INCOME_DEFAULTS: dict[str, Any] = {
    "wage": 0.0,
    "business": 0.0,
    "property_income": 0.0,
    "transfer": 0.0,
    "business_expenditure": 0.0,
    "compliant_oop_spending": 0.0,
}


def _date(value: object) -> object:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _table(source: str, rows: list[dict[str, Any]]) -> pa.Table:
    columns = tables.SOURCES[source]
    data = {name: [row.get(name) for row in rows] for name in columns}
    for name, col in columns.items():
        if col.kind == "date":
            data[name] = [_date(v) for v in data[name]]
        if col.kind == "number":
            data[name] = [None if v is None else float(v) for v in data[name]]
    return pa.table({name: pa.array(values, columns[name].arrow) for name, values in data.items()})


def case_tables(case: TestCase, household_id: int = 1) -> dict[str, pa.Table]:
    """The four input tables of one test case."""
    household = {**HOUSEHOLD_DEFAULTS, **case.household, "household_id": household_id}
    members = [
        {**MEMBER_DEFAULTS, **m, "member_id": household_id * 100 + i, "household_id": household_id}
        for i, m in enumerate(case.members or [{}])
    ]
    size = sum(1 for m in members if m["is_current"])
    incomes = []
    for record in case.incomes:
        row = {**INCOME_DEFAULTS, **record, "household_id": household_id}
        row.setdefault("household_size", size)
        net = (
            row["wage"]
            + row["business"]
            + row["property_income"]
            + row["transfer"]
            - row["business_expenditure"]
        )
        row["net_income"] = float(net)
        row["per_capita_net_income"] = (
            round(net / row["household_size"], 2) if row["household_size"] else None
        )
        incomes.append(row)
    feeds = [
        {
            "record_id": household_id * 1000 + i,
            "household_id": household_id,
            "member_id": None,
            "code": None,
            "amount": None,
            **f,
        }
        for i, f in enumerate(case.feeds)
    ]
    return {
        "households": _table("households", [household]),
        "members": _table("members", members),
        "incomes": _table("incomes", incomes),
        "feeds": _table("feeds", feeds),
    }


@dataclass(frozen=True)
class CaseOutcome:
    case: str
    engine: str
    hit: tuple[str, ...]
    missing: tuple[str, ...]  # expected to hit, did not
    unexpected: tuple[str, ...]  # expected to miss, did hit

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unexpected


def _concat(parts: list[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    return {source: pa.concat_tables([p[source] for p in parts]) for source in tables.SOURCES}


def run_cases(checked: CheckedPack, backend: Backend) -> list[CaseOutcome]:
    """Every case of the pack, as one household each; cases with the same date run in one batch
    (one query per date, which matters on Spark where each query costs seconds)."""
    by_date: dict[dt.date, list[tuple[int, TestCase]]] = {}
    for number, case in enumerate(checked.pack.tests, start=1):
        by_date.setdefault(case.as_of or DEFAULT_AS_OF, []).append((number, case))
    hit_by_case: dict[int, set[str]] = {}
    for as_of, cases in by_date.items():
        data = _concat([case_tables(case, household_id=number) for number, case in cases])
        for hit in screen(checked, data, as_of, backend).hits:
            hit_by_case.setdefault(hit["household_id"], set()).add(hit["rule_id"])
    outcomes = []
    for number, case in enumerate(checked.pack.tests, start=1):
        found = tuple(sorted(hit_by_case.get(number, set())))
        outcomes.append(
            CaseOutcome(
                case=case.name,
                engine=backend.name,
                hit=found,
                missing=tuple(r for r in case.hits if r not in found),
                unexpected=tuple(r for r in case.misses if r in found),
            )
        )
    return outcomes
