"""Benefits: a pack's programmes computed for a whole table of applications, in one query.

``compute`` takes the applications (Arrow), the history of earlier decisions (the ``table`` of an
earlier ``compute``, or the grants recorded since) and a backend, and returns one row per
application: eligible or refused (a code and its detail), the base amount, for each cap its limit,
what already counted against it and how much it cut, and the final amount. The query is written
once (DuckDB dialect) and transpiled by SQLGlot for PostgreSQL and Spark, like screening's.

Amounts are integer fen everywhere (``base``, ``cut_*``, ``amount``): expressions compute yuan, which
are floored to the fen (a cap is never exceeded by rounding), and every sum is a sum of integers,
so every engine returns the same fen.

Caps are applied in the order of ``programmes.CAP_KINDS`` and, within a cap, in the order of
``applied_on`` then ``application_id``: running sums (window functions) over each cap's group give
every application what was left after all applications before it. The same applications therefore
get the same amounts however they arrive, and a run given the earlier runs' results as ``history``
gives what one run over all of them would have given (docs/benefits.md).

Nothing here is translated with gettext: results carry codes and numbers, ``explain`` renders them in
zh or en from the pack's own texts and the templates below, for the caller to show.
"""

from __future__ import annotations

# The query is built from this module's fragments, generated column names, programme ids checked by
# the loader (rendered as SQL literals by SQLGlot) and expressions re-rendered from checked syntax
# trees: nothing a user types reaches it unchecked, hence no S608.
# ruff: noqa: S608
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from fupin.engine.backends import Backend, default_duckdb
from fupin.engine.checker import DIALECT, CheckedPack
from fupin.engine.parameters import MissingParameter, value_in_force
from fupin.engine.programmes import CAP_KINDS, FACT_TYPES, FACTS, IDENTITY, Programme
from fupin.engine.tables import BOOLEAN, DATE, INTEGER, STRING, ColumnType, TableError

FEN = 100
_FAR = dt.date(9999, 12, 31)
# Added before flooring yuan to fen, so that 1234.56 (stored as 1234.55999…) stays 123456 fen.
_EPSILON = 0.0001
CUMULATIVE = ("max_months", "per_month", "per_person", "per_entity", "budget")

HISTORY: dict[str, ColumnType] = {
    "application_id": INTEGER,
    "programme": STRING,
    "applied_on": DATE,
    "county_code": STRING,
    "person_id": INTEGER,
    "entity_id": INTEGER,
    "period": DATE,
    "amount": INTEGER,  # fen granted
    "counted_amount": INTEGER,  # fen counted against the per-person/month/entity caps (before the budget)
    "counted": BOOLEAN,  # holds the person's once-per-person place
    "month_counted": BOOLEAN,  # its period counted as one of the person's months
}
REFUSALS = ("unknown_programme", "not_in_force", "no_parameter", "missing_id", "condition", "once_per_person")


# ---------------------------------------------------------------- the input tables


def application_columns(checked: CheckedPack) -> dict[str, ColumnType]:
    columns = {**IDENTITY, **FACTS}
    for programme in checked.pack.programmes:
        columns.update({name: FACT_TYPES[kind] for name, kind in programme.facts.items()})
    return columns


def _conform(
    table: pa.Table, columns: Mapping[str, ColumnType], required: Sequence[str], what: str
) -> pa.Table:
    missing = [name for name in required if name not in table.column_names]
    if missing:
        raise TableError(f"table {what} lacks columns: {', '.join(missing)}")
    arrays = []
    for name, column in columns.items():
        if name in table.column_names:
            try:
                arrays.append(pc.cast(table.column(name), column.arrow))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise TableError(f"table {what}, column {name}: {error}") from error
        else:
            arrays.append(pa.nulls(table.num_rows, column.arrow))
    return pa.table(arrays, names=list(columns))


def _month(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """A period as the first day of its month."""
    if array.null_count == len(array):
        return array
    return pc.cast(pc.floor_temporal(pc.cast(array, pa.timestamp("s")), unit="month"), pa.date32())


def conform_applications(checked: CheckedPack, table: pa.Table) -> pa.Table:
    conformed = _conform(
        table,
        application_columns(checked),
        ("application_id", "programme", "applied_on", "county_code"),
        "applications",
    )
    ids = conformed.column("application_id")
    if ids.null_count or len(pc.unique(ids)) != len(ids):
        raise TableError("table applications: application_id must be present and unique")
    if conformed.column("applied_on").null_count:
        raise TableError("table applications: applied_on must be present")
    return conformed.set_column(
        conformed.schema.get_field_index("period"), "period", _month(conformed.column("period"))
    )


def conform_history(table: pa.Table | None) -> pa.Table:
    """Earlier decisions: an earlier ``compute``'s table (with the application columns it needs), or
    grants recorded since. Without the counting columns a grant counts with its amount, holds its
    person's once-only place and its month."""
    if table is None:
        return pa.schema([pa.field(n, c.arrow) for n, c in HISTORY.items()]).empty_table()
    conformed = _conform(
        table, HISTORY, ("application_id", "programme", "applied_on", "county_code", "amount"), "history"
    )
    amount = conformed.column("amount")
    for name, default in (("counted_amount", amount), ("counted", None), ("month_counted", None)):
        if name in table.column_names:
            continue
        value = (
            default if default is not None else pa.chunked_array([pa.array([True] * len(amount), pa.bool_())])
        )
        conformed = conformed.set_column(conformed.schema.get_field_index(name), name, value)
    return conformed.set_column(
        conformed.schema.get_field_index("period"), "period", _month(conformed.column("period"))
    )


def _param_column(index: int, position: int) -> str:
    return f"p{index}_{position}"


def _plain_value(kind: str, value: float | int | bool) -> Any:
    return dt.date.fromordinal(int(value)) if kind == "date" else value


_ARROW = {"number": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_(), "date": pa.date32()}


def parameter_segments(checked: CheckedPack, counties: Sequence[str]) -> pa.Table:
    """One row per (programme, county, dated segment) in which every parameter of the programme keeps
    one value: the values in force (the most specific region, then the latest date, as screening
    resolves them), whether the programme is in force, the first parameter without a value, and the
    budget the segment's applications share (the programme, the budget value's region and date)."""
    rows: dict[str, list[Any]] = {
        "programme": [],
        "county_code": [],
        "valid_from": [],
        "valid_until": [],
        "in_force": [],
        "missing": [],
        "budget_key": [],
    }
    programmes = checked.pack.programmes
    extra = {
        _param_column(i, k): (i, name, p.type)
        for i, programme in enumerate(programmes)
        for k, (name, p) in enumerate(programme.parameters.items())
    }
    for column in extra:
        rows[column] = []
    for i, programme in enumerate(programmes):
        starts = {programme.effective_from}
        if programme.effective_to:
            starts.add(programme.effective_to + dt.timedelta(days=1))
        for parameter in programme.parameters.values():
            for v in parameter.values:
                starts.add(v.effective_from)
                if v.effective_to:
                    starts.add(v.effective_to + dt.timedelta(days=1))
        ordered = sorted(starts)
        budget = _budget_parameter(checked, programme)
        for county in sorted(set(counties)):
            for s_index, start in enumerate(ordered):
                until = ordered[s_index + 1] if s_index + 1 < len(ordered) else _FAR
                rows["programme"].append(programme.id)
                rows["county_code"].append(county)
                rows["valid_from"].append(start)
                rows["valid_until"].append(until)
                rows["in_force"].append(
                    programme.effective_from <= start
                    and (programme.effective_to is None or start <= programme.effective_to)
                )
                missing = None
                values: dict[str, Any] = {}
                for name, parameter in programme.parameters.items():
                    try:
                        values[name] = _plain_value(
                            parameter.type, value_in_force(parameter, county, start).value
                        )
                    except MissingParameter:
                        values[name] = None
                        missing = missing or name
                rows["missing"].append(missing)
                key = None
                if budget and values.get(budget) is not None:
                    v = value_in_force(programme.parameters[budget], county, start)
                    key = f"{programme.id}|{v.region or 'nation'}|{v.effective_from.isoformat()}"
                rows["budget_key"].append(key)
                for column, (owner, name, _kind) in extra.items():
                    rows[column].append(values.get(name) if owner == i else None)
    types = {
        "programme": pa.string(),
        "county_code": pa.string(),
        "valid_from": pa.date32(),
        "valid_until": pa.date32(),
        "in_force": pa.bool_(),
        "missing": pa.string(),
        "budget_key": pa.string(),
        **{column: _ARROW[kind] for column, (_i, _n, kind) in extra.items()},
    }
    return pa.table({name: pa.array(values, types[name]) for name, values in rows.items()})


def _budget_parameter(checked: CheckedPack, programme: Programme) -> str | None:
    tree = checked.programme_trees.get(f"{programme.id}.caps.budget")
    return tree.name if isinstance(tree, exp.Column) else None


# ---------------------------------------------------------------- the query


@dataclass(frozen=True)
class BenefitQuery:
    sql: str  # DuckDB dialect

    def for_dialect(self, dialect: str) -> str:
        import sqlglot

        if dialect == DIALECT:
            return self.sql
        return sqlglot.transpile(self.sql, read=DIALECT, write=dialect)[0]


def _string(text: str) -> str:
    return exp.Literal.string(text).sql(dialect=DIALECT)


def _expression(checked: CheckedPack, index: int, programme: Programme, key: str) -> str:
    """A checked expression with the programme's parameters as their segment columns."""
    tree = checked.programme_trees[f"{programme.id}.{key}"]
    columns = {name: _param_column(index, k) for k, name in enumerate(programme.parameters)}

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in columns:
            return exp.column(columns[node.name])
        return node

    return exp.Paren(this=tree.copy().transform(replace)).sql(dialect=DIALECT)


def _fen(yuan: str) -> str:
    return f"CAST(FLOOR(CAST({yuan} AS DOUBLE) * {FEN} + {_EPSILON}) AS BIGINT)"


def _by_programme(cases: list[tuple[str, str]], null_type: str) -> str:
    if not cases:
        return f"CAST(NULL AS {null_type})"
    whens = " ".join(f"WHEN {_string(p)} THEN {sql}" for p, sql in cases)
    return f"CASE programme {whens} END"


def _order() -> str:
    return "ORDER BY applied_on, application_id"


def _running(value: str, partition: str) -> str:
    """The sum of ``value`` over the rows of the partition before this one (in date, id order)."""
    return (
        f"(CAST(SUM({value}) OVER (PARTITION BY {partition} {_order()} "
        f"ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) - {value})"
    )


def compile_programmes(checked: CheckedPack) -> BenefitQuery:
    programmes = checked.pack.programmes
    ids = ", ".join(_string(p.id) for p in programmes) or _string("")
    param_columns = [
        _param_column(i, k)
        for i, programme in enumerate(programmes)
        for k in range(len(programme.parameters))
    ]
    joined_params = "".join(f", p.{c}" for c in param_columns)

    refusals = []
    amounts: list[tuple[str, str]] = []
    limits: dict[str, list[tuple[str, str]]] = {kind: [] for kind in CAP_KINDS}
    groups: list[tuple[str, str]] = []
    for i, programme in enumerate(programmes):
        checks = [f"WHEN {column} IS NULL THEN 'missing_id|{column}'" for column in programme.needs()]
        for condition in programme.conditions:
            when = _expression(checked, i, programme, f"conditions.{condition.id}")
            checks.append(f"WHEN NOT COALESCE({when}, FALSE) THEN {_string('condition|' + condition.id)}")
        if checks:
            refusals.append(f"WHEN programme = {_string(programme.id)} THEN CASE {' '.join(checks)} END")
        if programme.amount is not None:
            amounts.append(
                (programme.id, f"GREATEST({_fen(_expression(checked, i, programme, 'amount'))}, 0)")
            )
        for kind in programme.caps:
            text = _expression(checked, i, programme, f"caps.{kind}")
            limit = (
                f"CAST(FLOOR(CAST({text} AS DOUBLE) + {_EPSILON}) AS BIGINT)"
                if kind == "max_months"
                else _fen(text)
            )
            limits[kind].append((programme.id, f"GREATEST({limit}, 0)"))
        if programme.once_per_person:
            groups.append((programme.id, _string(programme.once_per_person)))
    once_group = _by_programme(groups, "VARCHAR")
    history_group = once_group  # the same CASE over the history's programme column

    identity = "application_id, programme, applied_on, county_code, person_id, entity_id, period"
    limit_columns = ", ".join(f"{_by_programme(limits[k], 'BIGINT')} AS lim_{k}" for k in CAP_KINDS)
    segment_join = (
        "p.programme = {t}.programme AND p.county_code = {t}.county_code "
        "AND {t}.applied_on >= p.valid_from AND {t}.applied_on < p.valid_until"
    )
    # --- eligibility: the first reason to refuse, as "code|detail"
    refusal = (
        f"CASE WHEN programme NOT IN ({ids}) THEN 'unknown_programme|' "
        "WHEN NOT COALESCE(_in_force, FALSE) THEN 'not_in_force|' "
        "WHEN _missing IS NOT NULL THEN 'no_parameter|' || _missing "
        f"{' '.join(refusals)} END"
    )
    ctes = [
        (
            "j",
            f"SELECT a.*, p.in_force AS _in_force, p.missing AS _missing, p.budget_key AS budget_key"
            f"{joined_params} FROM applications a LEFT JOIN params p ON {segment_join.format(t='a')}",
        ),
        (
            "e",
            f"SELECT {identity}, budget_key, {refusal} AS refusal0, "
            f"{_by_programme(amounts, 'BIGINT')} AS base0, {limit_columns}, "
            f"{once_group} AS once_group FROM j",
        ),
        # --- once per person: the first eligible application of the person in the group, or history's
        (
            "ho",
            "SELECT once_group, person_id, MIN(application_id) AS by_id FROM "
            f"(SELECT {history_group} AS once_group, person_id, application_id FROM history WHERE counted) t "
            "WHERE once_group IS NOT NULL GROUP BY once_group, person_id",
        ),
        (
            "o1",
            "SELECT e.*, CASE WHEN once_group IS NOT NULL AND refusal0 IS NULL THEN "
            "FIRST_VALUE(application_id) "
            f"OVER (PARTITION BY once_group, person_id, refusal0 IS NULL {_order()}) END AS first_id FROM e",
        ),
        (
            "o",
            "SELECT o1.*, CASE WHEN o1.refusal0 IS NOT NULL THEN o1.refusal0 "
            "WHEN o1.once_group IS NOT NULL AND ho.by_id IS NOT NULL THEN 'once_per_person|' "
            "WHEN o1.once_group IS NOT NULL AND o1.first_id <> o1.application_id THEN 'once_per_person|' "
            "END AS refusal, "
            "CASE WHEN o1.once_group IS NOT NULL AND o1.refusal0 IS NULL "
            "THEN COALESCE(ho.by_id, o1.first_id) END "
            "AS holder FROM o1 LEFT JOIN ho ON ho.once_group = o1.once_group AND ho.person_id = o1.person_id",
        ),
        # --- base amount and the per-application cap
        (
            "s1",
            "SELECT o.*, refusal IS NULL AS eligible, "
            "CASE WHEN refusal IS NULL THEN COALESCE(base0, 0) ELSE 0 END AS a0, "
            "CASE WHEN refusal IS NOT NULL THEN 0 WHEN lim_per_application IS NULL THEN COALESCE(base0, 0) "
            "ELSE LEAST(COALESCE(base0, 0), lim_per_application) END AS a1 FROM o",
        ),
        # --- at most N distinct months per person: months numbered in order of their first claim
        ("hm", "SELECT DISTINCT programme, person_id, period FROM history WHERE month_counted"),
        ("hmc", "SELECT programme, person_id, COUNT(*) AS n FROM hm GROUP BY programme, person_id"),
        (
            "m1",
            "SELECT s1.*, hm.period IS NOT NULL AS in_hist, COALESCE(hmc.n, 0) AS hist_months, "
            "CASE WHEN lim_max_months IS NOT NULL AND a1 > 0 THEN ROW_NUMBER() OVER (PARTITION BY "
            "s1.programme, s1.person_id, s1.period, lim_max_months IS NOT NULL AND a1 > 0 "
            f"{_order()}) END AS rn "
            "FROM s1 LEFT JOIN hm ON hm.programme = s1.programme AND hm.person_id = s1.person_id "
            "AND hm.period = s1.period LEFT JOIN hmc ON hmc.programme = s1.programme "
            "AND hmc.person_id = s1.person_id",
        ),
        (
            "m2",
            "SELECT m1.*, hist_months + CAST(SUM(CASE WHEN rn = 1 AND NOT in_hist THEN 1 ELSE 0 END) OVER "
            f"(PARTITION BY programme, person_id, rn IS NOT NULL {_order()} ROWS BETWEEN UNBOUNDED PRECEDING "
            "AND CURRENT ROW) AS BIGINT) AS idx FROM m1",
        ),
        (
            "m3",
            "SELECT m2.*, MAX(CASE WHEN rn = 1 THEN idx END) OVER "
            "(PARTITION BY programme, person_id, period, rn IS NOT NULL) AS month_idx FROM m2",
        ),
        (
            "s2",
            "SELECT m3.*, rn IS NOT NULL AND (in_hist OR month_idx <= lim_max_months) AS month_counted, "
            "CASE WHEN rn IS NULL OR in_hist THEN NULL ELSE LEAST(month_idx - 1, lim_max_months) END "
            "AS used_max_months, "
            "CASE WHEN rn IS NULL OR in_hist OR month_idx <= lim_max_months THEN a1 ELSE 0 END AS a2 FROM m3",
        ),
    ]
    # --- running caps: per month, per person, per entity, then the budget
    stages = [
        ("per_month", "programme, person_id, period", "counted_amount", "a2", "a3"),
        ("per_person", "programme, person_id", "counted_amount", "a3", "a4"),
        ("per_entity", "programme, entity_id", "counted_amount", "a4", "a5"),
    ]
    previous = "s2"
    for kind, keys, history_amount, before, after in stages:
        columns = [k.strip() for k in keys.split(",")]
        ctes.append(
            (
                f"h_{kind}",
                f"SELECT {keys}, CAST(SUM({history_amount}) AS BIGINT) AS total FROM history GROUP BY {keys}",
            )
        )
        on = " AND ".join(f"h.{c} = x.{c}" for c in columns)
        used = f"COALESCE(h.total, 0) + {_running('x.' + before, ', '.join('x.' + c for c in columns))}"
        ctes.append(
            (
                f"c_{kind}",
                f"SELECT x.*, CASE WHEN lim_{kind} IS NULL THEN NULL ELSE LEAST({used}, lim_{kind}) END "
                f"AS used_{kind} "
                f"FROM {previous} x LEFT JOIN h_{kind} h ON {on}",
            )
        )
        ctes.append(
            (
                f"s_{kind}",
                f"SELECT c_{kind}.*, CASE WHEN lim_{kind} IS NULL THEN {before} "
                f"ELSE GREATEST(0, LEAST({before}, lim_{kind} - used_{kind})) END AS {after} FROM c_{kind}",
            )
        )
        previous = f"s_{kind}"
    ctes.append(
        (
            "h_budget",
            "SELECT p.budget_key, CAST(SUM(h.amount) AS BIGINT) AS total FROM history h "
            f"JOIN params p ON {segment_join.format(t='h')} WHERE p.budget_key IS NOT NULL "
            "GROUP BY p.budget_key",
        )
    )
    used = f"COALESCE(h.total, 0) + {_running('x.a5', 'x.budget_key')}"
    ctes.append(
        (
            "c_budget",
            f"SELECT x.*, CASE WHEN lim_budget IS NULL THEN NULL ELSE LEAST({used}, lim_budget) END "
            "AS used_budget "
            f"FROM {previous} x LEFT JOIN h_budget h ON h.budget_key = x.budget_key",
        )
    )
    ctes.append(
        (
            "s_budget",
            "SELECT c_budget.*, CASE WHEN lim_budget IS NULL THEN a5 "
            "ELSE GREATEST(0, LEAST(a5, lim_budget - used_budget)) END AS a6 FROM c_budget",
        )
    )
    befores = {
        "per_application": ("a0", "a1"),
        "max_months": ("a1", "a2"),
        "per_month": ("a2", "a3"),
        "per_person": ("a3", "a4"),
        "per_entity": ("a4", "a5"),
        "budget": ("a5", "a6"),
    }
    outputs = [
        "application_id",
        "programme",
        "applied_on",
        "county_code",
        "person_id",
        "entity_id",
        "period",
        "eligible",
        "CASE WHEN refusal IS NULL THEN NULL ELSE SPLIT_PART(refusal, '|', 1) END AS refusal",
        "CASE WHEN refusal IS NULL THEN NULL ELSE NULLIF(SPLIT_PART(refusal, '|', 2), '') END "
        "AS refusal_detail",
        "holder",
        "once_group IS NOT NULL AND eligible AS counted",
        "a0 AS base",
    ]
    for kind in CAP_KINDS:
        before, after = befores[kind]
        outputs.append(f"lim_{kind} AS limit_{kind}")
        if kind in CUMULATIVE:
            outputs.append(f"used_{kind}")
        outputs.append(f"CASE WHEN lim_{kind} IS NULL THEN NULL ELSE {before} - {after} END AS cut_{kind}")
    outputs += ["COALESCE(month_counted, FALSE) AS month_counted", "a5 AS counted_amount", "a6 AS amount"]
    with_clause = ",\n".join(f"{name} AS ({sql})" for name, sql in ctes)
    sql = f"WITH {with_clause}\nSELECT {', '.join(outputs)} FROM s_budget ORDER BY application_id"
    return BenefitQuery(sql)


_QUERIES: dict[int, tuple[CheckedPack, BenefitQuery]] = {}


def _query(checked: CheckedPack) -> BenefitQuery:
    cached = _QUERIES.get(id(checked))
    if cached is not None and cached[0] is checked:
        return cached[1]
    query = compile_programmes(checked)
    if len(_QUERIES) >= 16:
        _QUERIES.pop(next(iter(_QUERIES)))
    _QUERIES[id(checked)] = (checked, query)
    return query


# ---------------------------------------------------------------- running it


@dataclass
class BenefitResult:
    checked: CheckedPack
    engine: str
    table: pa.Table  # one row per application, ordered by application_id
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()

    def total(self) -> int:
        """The fen granted in this run."""
        return int(pc.sum(self.table.column("amount")).as_py() or 0)


def compute(
    checked: CheckedPack,
    applications: pa.Table,
    history: pa.Table | None = None,
    backend: Backend | None = None,
) -> BenefitResult:
    """Every application's decision and amount, given what earlier runs granted (``history``)."""
    backend = backend or default_duckdb()
    started = time.perf_counter()
    apps = conform_applications(checked, applications)
    past = conform_history(history)
    counties = set(apps.column("county_code").unique().to_pylist()) | set(
        past.column("county_code").unique().to_pylist()
    )
    params = parameter_segments(checked, sorted(c for c in counties if c is not None))
    prepared = time.perf_counter()
    table = backend.run(_query(checked), {"applications": apps, "history": past, "params": params})
    table = _normalise(table)
    ran = time.perf_counter()
    return BenefitResult(
        checked=checked,
        engine=backend.name,
        table=table,
        seconds=ran - started,
        timings={"prepare": prepared - started, "run": ran - prepared},
    )


def result_schema() -> pa.Schema:
    fields = [
        pa.field("application_id", pa.int64()),
        pa.field("programme", pa.string()),
        pa.field("applied_on", pa.date32()),
        pa.field("county_code", pa.string()),
        pa.field("person_id", pa.int64()),
        pa.field("entity_id", pa.int64()),
        pa.field("period", pa.date32()),
        pa.field("eligible", pa.bool_()),
        pa.field("refusal", pa.string()),
        pa.field("refusal_detail", pa.string()),
        pa.field("holder", pa.int64()),
        pa.field("counted", pa.bool_()),
        pa.field("base", pa.int64()),
    ]
    for kind in CAP_KINDS:
        fields.append(pa.field(f"limit_{kind}", pa.int64()))
        if kind in CUMULATIVE:
            fields.append(pa.field(f"used_{kind}", pa.int64()))
        fields.append(pa.field(f"cut_{kind}", pa.int64()))
    fields += [
        pa.field("month_counted", pa.bool_()),
        pa.field("counted_amount", pa.int64()),
        pa.field("amount", pa.int64()),
    ]
    return pa.schema(fields)


def _normalise(table: pa.Table) -> pa.Table:
    """The same column types from every engine (PostgreSQL returns some sums as NUMERIC, Spark DECIMAL)."""
    schema = result_schema()
    return pa.table([pc.cast(table.column(f.name), f.type) for f in schema], schema=schema)


# ---------------------------------------------------------------- explanations, zh and en

_REFUSALS: dict[str, dict[str, str]] = {
    "unknown_programme": {"zh": "没有该补贴项目", "en": "there is no such programme"},
    "not_in_force": {
        "zh": "申请日期不在项目执行期内",
        "en": "the programme is not in force on the application date",
    },
    "no_parameter": {
        "zh": "“{detail}”在该地区该日期没有取值",
        "en": "{detail} has no value for this area on this date",
    },
    "missing_id": {"zh": "缺少{detail}", "en": "the {detail} is missing"},
    "once_per_person": {
        "zh": "该人员已计入一次性补贴（申请 {holder}），同一人只能享受一次",
        "en": "this person already counted for the one-time subsidy (application {holder}); "
        "only once per person",
    },
}
_IDS = {
    "person_id": {"zh": "人员", "en": "person"},
    "household_id": {"zh": "户", "en": "household"},
    "entity_id": {"zh": "经营主体或企业", "en": "entity or enterprise"},
    "post_id": {"zh": "岗位", "en": "post"},
    "period": {"zh": "补贴月份", "en": "month claimed"},
}
_CAPS: dict[str, dict[str, str]] = {
    "per_application": {
        "zh": "{title} {limit} 元，核减 {cut} 元",
        "en": "{title} {limit} yuan: cut by {cut}",
    },
    "max_months": {
        "zh": "{title} {limit} 个月，已补贴 {used} 个月，核减 {cut} 元",
        "en": "{title} {limit} months, {used} already paid: cut by {cut}",
    },
    "per_month": {
        "zh": "{title} {limit} 元，本月已计 {used} 元，核减 {cut} 元",
        "en": "{title} {limit} yuan, {used} already counted this month: cut by {cut}",
    },
    "per_person": {
        "zh": "{title} {limit} 元，已计 {used} 元，核减 {cut} 元",
        "en": "{title} {limit} yuan, {used} already counted: cut by {cut}",
    },
    "per_entity": {
        "zh": "{title} {limit} 元，已计 {used} 元，核减 {cut} 元",
        "en": "{title} {limit} yuan, {used} already counted: cut by {cut}",
    },
    "budget": {
        "zh": "{title} {limit} 元，已用 {used} 元，核减 {cut} 元",
        "en": "{title} {limit} yuan, {used} already used: cut by {cut}",
    },
}
_CAP_TITLES = {
    "per_application": {"zh": "单次申请上限", "en": "per-application cap"},
    "max_months": {"zh": "最长补贴月数", "en": "most months"},
    "per_month": {"zh": "每月上限", "en": "monthly cap"},
    "per_person": {"zh": "每人上限", "en": "per-person cap"},
    "per_entity": {"zh": "每个主体上限", "en": "per-entity cap"},
    "budget": {"zh": "预算", "en": "budget"},
}
_LINES = {
    "base": {"zh": "基础金额 {base} 元", "en": "base amount {base} yuan"},
    "amount": {"zh": "核定金额 {amount} 元", "en": "amount granted {amount} yuan"},
    "eligible": {"zh": "符合条件", "en": "eligible"},
    "refused": {"zh": "不符合条件：{reason}", "en": "refused: {reason}"},
}


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / FEN:,.2f}"


def _shown(value: object, language: str) -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if language == "zh" else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return "—" if value is None else str(value)


def parameter_values(programme: Programme, county_code: str, on: dt.date) -> dict[str, Any]:
    """The programme's parameter values in force for a county on a date (those that have one)."""
    values = {}
    for name, parameter in programme.parameters.items():
        try:
            values[name] = _plain_value(parameter.type, value_in_force(parameter, county_code, on).value)
        except MissingParameter:
            continue
    return values


def programme_of(checked: CheckedPack, programme_id: str) -> Programme | None:
    return next((p for p in checked.pack.programmes if p.id == programme_id), None)


def refusal_reason(
    checked: CheckedPack, row: Mapping[str, Any], language: str, application: Mapping[str, Any] | None = None
) -> str | None:
    """Why an application was refused, in zh or en (None when it is eligible). The application's own
    facts (the input row) fill the condition's refusal text; without them the placeholders show '—'."""
    code = row.get("refusal")
    if not code:
        return None
    programme = programme_of(checked, str(row["programme"]))
    detail = row.get("refusal_detail") or ""
    if code == "condition" and programme is not None:
        condition = next(c for c in programme.conditions if c.id == detail)
        values = {
            **dict(application or {}),
            **parameter_values(programme, row["county_code"], row["applied_on"]),
        }
        template = condition.refusal.get(language) or condition.refusal["en"]
        names = {n: c for n, c in values.items()}
        return template.format_map(_Blank({n: _shown(v, language) for n, v in names.items()}))
    if code == "no_parameter" and programme is not None and detail in programme.parameters:
        detail = programme.parameters[detail].title.get(language, detail)
    elif code == "missing_id":
        detail = _IDS.get(detail, {}).get(language, detail)
    texts = _REFUSALS.get(code, {"zh": code, "en": code})
    return texts[language].format_map(
        _Blank({"detail": detail, "holder": _shown(row.get("holder"), language)})
    )


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "—"


def explain(
    checked: CheckedPack, row: Mapping[str, Any], language: str, application: Mapping[str, Any] | None = None
) -> list[str]:
    """One result row as lines: the refusal, or the base, each cap that cut and by how much, the amount."""
    reason = refusal_reason(checked, row, language, application)
    if reason is not None:
        return [_LINES["refused"][language].format(reason=reason)]
    programme = programme_of(checked, str(row["programme"]))
    if programme is None or programme.amount is None:
        return [_LINES["eligible"][language]]
    lines = [_LINES["base"][language].format(base=yuan(row.get("base")))]
    for kind in CAP_KINDS:
        cut = row.get(f"cut_{kind}")
        if not cut:
            continue
        title = _CAP_TITLES[kind][language]
        tree = checked.programme_trees.get(f"{programme.id}.caps.{kind}")
        if isinstance(tree, exp.Column) and tree.name in programme.parameters:
            title = programme.parameters[tree.name].title.get(language, title)
        limit = row.get(f"limit_{kind}")
        used = row.get(f"used_{kind}")
        values = {
            "title": title,
            "limit": str(limit) if kind == "max_months" else yuan(limit),
            "used": str(used) if kind == "max_months" else yuan(used),
            "cut": yuan(cut),
        }
        lines.append(_CAPS[kind][language].format_map(_Blank(values)))
    lines.append(_LINES["amount"][language].format(amount=yuan(row.get("amount"))))
    return lines
