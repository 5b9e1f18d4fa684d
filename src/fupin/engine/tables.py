"""The tables the engine reads: their columns, Arrow types and the names a policy may use.

A registry snapshot (``fupin.screening.snapshot``), a department feed and a benchmark generator all
produce exactly these schemas; ``conform`` checks a table and puts its columns in this order.
Money is in yuan as float64 on every engine, so that DuckDB, PostgreSQL and Spark compare the same
numbers (DECIMAL division differs between them).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class ColumnType:
    arrow: pa.DataType
    kind: str  # number | integer | boolean | string | date: what type checking sees


NUMBER = ColumnType(pa.float64(), "number")
INTEGER = ColumnType(pa.int64(), "integer")
BOOLEAN = ColumnType(pa.bool_(), "boolean")
STRING = ColumnType(pa.string(), "string")
DATE = ColumnType(pa.date32(), "date")

HOUSEHOLDS: dict[str, ColumnType] = {
    "household_id": INTEGER,
    "county_code": STRING,
    "village_code": STRING,
    "household_type": STRING,  # lifted_out | ordinary | poor
    "status": STRING,
    "monitoring_category": STRING,  # "" when not monitored
    "housing_safety": STRING,  # A | B | C | D | ""
    "water_difficult": BOOLEAN,
    "water_safe": BOOLEAN,
    "has_electricity": BOOLEAN,
}

MEMBERS: dict[str, ColumnType] = {
    "member_id": INTEGER,
    "household_id": INTEGER,
    "is_current": BOOLEAN,
    "sex": STRING,
    "birth_date": DATE,
    "relation": STRING,
    "health": STRING,  # healthy | chronic | serious | disabled
    "has_disability_certificate": BOOLEAN,
    "labour_capacity": STRING,  # ordinary | skilled | weak | lost | none
    "schooling_status": STRING,
    "basic_medical_insurance": BOOLEAN,
    "receives_dibao": BOOLEAN,
    "receives_tekun": BOOLEAN,
    "migrant_work_months": INTEGER,
}

INCOMES: dict[str, ColumnType] = {
    "household_id": INTEGER,
    "year": INTEGER,
    "household_size": INTEGER,
    "wage": NUMBER,
    "business": NUMBER,
    "property_income": NUMBER,
    "transfer": NUMBER,
    "business_expenditure": NUMBER,
    # Computed by fupin.domain.income (the one function), not by the engine.
    "net_income": NUMBER,
    "per_capita_net_income": NUMBER,
    "compliant_oop_spending": NUMBER,
}

FEEDS: dict[str, ColumnType] = {
    "record_id": INTEGER,
    "household_id": INTEGER,
    "member_id": INTEGER,
    "kind": STRING,
    "event_date": DATE,
    "amount": NUMBER,
    "code": STRING,
}

SOURCES: dict[str, dict[str, ColumnType]] = {
    "households": HOUSEHOLDS,
    "members": MEMBERS,
    "incomes": INCOMES,
    "feeds": FEEDS,
}

# Columns the engine derives for policies to use, per source (see compiler.py).
DERIVED: dict[str, dict[str, ColumnType]] = {
    "members": {"age": INTEGER},
    "feeds": {"days_ago": INTEGER},
}


def schema(source: str) -> pa.Schema:
    return pa.schema([pa.field(name, col.arrow) for name, col in SOURCES[source].items()])


def columns_for_policies(source: str) -> dict[str, ColumnType]:
    return {**SOURCES[source], **DERIVED.get(source, {})}


class TableError(ValueError):
    pass


def conform(source: str, table: pa.Table) -> pa.Table:
    """The table with exactly the source's columns, in order and cast to their types."""
    wanted = schema(source)
    missing = [f.name for f in wanted if f.name not in table.column_names]
    if missing:
        raise TableError(f"table {source} lacks columns: {', '.join(missing)}")
    try:
        return table.select(wanted.names).cast(wanted)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise TableError(f"table {source}: {error}") from error


def empty(source: str) -> pa.Table:
    return schema(source).empty_table()
