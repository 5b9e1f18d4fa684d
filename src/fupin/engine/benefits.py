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
        "budget_id": [],
    }
    programmes = checked.pack.programmes
    extra = {
        _param_column(i, k): (i, name, p.type)
        for i, programme in enumerate(programmes)
        for k, (name, p) in enumerate(programme.parameters.items())
    }
    for column in extra:
        rows[column] = []
    budget_ids: dict[str, int] = {}
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
                rows["budget_id"].append(None if key is None else budget_ids.setdefault(key, len(budget_ids)))
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
        "budget_id": pa.int64(),
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


def _by_programme(cases: list[tuple[str, str]], null_type: str, column: str = "programme") -> str:
    if not cases:
        return f"CAST(NULL AS {null_type})"
    whens = " ".join(f"WHEN {_string(p)} THEN {sql}" for p, sql in cases)
    return f"CASE {column} {whens} END"


def compile_programmes(checked: CheckedPack) -> BenefitQuery:
    """The pack's programmes as one query over ``applications``, ``history`` and ``params``.

    The wide part (the parameter join, refusal texts, amounts and limits, one CASE per programme) is
    computed once; the caps run on a narrow table of integers ordered by one sequence number
    (``seq``: date, then id), because each window sorts every column it carries."""
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
    group_names = sorted({p.once_per_person for p in programmes if p.once_per_person})
    groups: list[tuple[str, str]] = []
    indexes: list[tuple[str, str]] = []
    for i, programme in enumerate(programmes):
        indexes.append((programme.id, str(i)))
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
            if kind == "max_months":
                limit = f"CAST(FLOOR(CAST({text} AS DOUBLE) + {_EPSILON}) AS BIGINT)"
            else:
                limit = _fen(text)
            limits[kind].append((programme.id, f"GREATEST({limit}, 0)"))
        if programme.once_per_person:
            groups.append((programme.id, str(group_names.index(programme.once_per_person))))
    once_group = _by_programme(groups, "BIGINT")
    programme_index = f"COALESCE({_by_programme(indexes, 'BIGINT')}, -1)"

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
            "SELECT a.*, p.in_force AS _in_force, p.missing AS _missing, p.budget_id AS budget_id"
            f"{joined_params} FROM applications a LEFT JOIN params p ON {segment_join.format(t='a')}",
        ),
        (
            "e",
            "SELECT application_id, programme, applied_on, county_code, person_id, entity_id, period, "
            f"budget_id, {refusal} AS refusal0, {_by_programme(amounts, 'BIGINT')} AS base0, "
            f"{limit_columns}, {once_group} AS once_group, {programme_index} AS pi FROM j",
        ),
        # --- the narrow table the caps run on
        (
            "n",
            "SELECT application_id, ROW_NUMBER() OVER (ORDER BY applied_on, application_id) AS seq, pi, "
            "person_id, entity_id, period, budget_id, once_group, refusal0 IS NULL AS ok0, base0, "
            + ", ".join(f"lim_{k}" for k in CAP_KINDS)
            + " FROM e",
        ),
        # --- the history: programme index, once-only group and budget of each earlier decision
        (
            "hx",
            f"SELECT COALESCE({_by_programme(indexes, 'BIGINT', 'h.programme')}, -1) AS pi, "
            f"{_by_programme(groups, 'BIGINT', 'h.programme')} AS once_group, h.person_id, h.entity_id, "
            "h.period, h.application_id, h.amount, h.counted_amount, h.counted, h.month_counted, "
            f"p.budget_id FROM history h LEFT JOIN params p ON {segment_join.format(t='h')}",
        ),
        # --- once per person: the first eligible application of the person in the group, or history's
        (
            "ho",
            "SELECT once_group, person_id, MIN(application_id) AS by_id FROM hx "
            "WHERE counted AND once_group IS NOT NULL GROUP BY once_group, person_id",
        ),
        # --- months already counted in the history
        ("hm", "SELECT DISTINCT pi, person_id, period FROM hx WHERE month_counted"),
        ("hmc", "SELECT pi, person_id, COUNT(*) AS n FROM hm GROUP BY pi, person_id"),
    ]
    # ---------------- the caps, on a narrow chain: each stage carries only what the later ones need
    used_kinds = [k for k in CAP_KINDS if limits[k]]
    keys_of = {
        "once": ("person_id",),
        "per_application": (),
        "max_months": ("pi", "person_id", "period"),
        "per_month": ("pi", "person_id", "period"),
        "per_person": ("pi", "person_id"),
        "per_entity": ("pi", "entity_id"),
        "budget": ("budget_id",),
    }
    steps = (["once"] if groups else []) + used_kinds
    outputs_so_far: list[str] = []

    def carry(after: str) -> str:
        """The columns a stage passes on: the output columns so far, the current amount (``a``) and
        the keys and limits of the steps after ``after``."""
        later = steps[steps.index(after) + 1 :] if after in steps else steps
        keep = ["application_id", "seq", *outputs_so_far]
        for step in later:
            keep += [k for k in keys_of[step] if k not in keep]
            if step != "once":
                keep.append(f"lim_{step}")
        return ", ".join(dict.fromkeys(keep))

    previous = "n"
    if groups:
        ctes.append(
            (
                "o1",
                "SELECT n.*, CASE WHEN once_group IS NOT NULL AND ok0 THEN FIRST_VALUE(application_id) "
                "OVER (PARTITION BY once_group, person_id, ok0 ORDER BY seq) END AS first_id FROM n",
            )
        )
        ctes.append(
            (
                "o",
                "SELECT o1.*, COALESCE(o1.once_group IS NOT NULL AND o1.ok0 AND (ho.by_id IS NOT NULL "
                "OR o1.first_id <> o1.application_id), FALSE) AS once_refused, "
                "CASE WHEN o1.once_group IS NOT NULL AND o1.ok0 THEN COALESCE(ho.by_id, o1.first_id) END "
                "AS holder FROM o1 LEFT JOIN ho ON ho.once_group = o1.once_group "
                "AND ho.person_id = o1.person_id",
            )
        )
        previous = "o"
        once_columns = "once_refused, holder"
    else:
        once_columns = "FALSE AS once_refused, CAST(NULL AS BIGINT) AS holder"
    outputs_so_far += ["once_refused", "holder", "eligible", "base"]
    ctes.append(
        (
            "s0",
            f"SELECT {carry('once').replace('once_refused, holder, eligible, base', once_columns)}, "
            "ok0 AND NOT once_refused AS eligible, "
            "CASE WHEN ok0 AND NOT once_refused THEN COALESCE(base0, 0) ELSE 0 END AS base, "
            "CASE WHEN ok0 AND NOT once_refused THEN COALESCE(base0, 0) ELSE 0 END AS a "
            f"FROM {previous}",
        )
    )
    previous = "s0"
    for kind in used_kinds:
        before = [c.strip() for c in carry(kind).split(",")]
        outputs_so_far.append(f"cut_{kind}")
        if kind == "per_application":
            cut = "a - LEAST(a, lim_per_application) AS cut_per_application"
            ctes.append(
                (
                    "s_per_application",
                    f"SELECT {carry(kind).replace('cut_per_application', cut)}, "
                    f"LEAST(a, lim_per_application) AS a FROM {previous}",
                )
            )
        elif kind == "max_months":
            ctes += [
                (
                    "m1",
                    "SELECT s.*, hm.period IS NOT NULL AS in_hist, COALESCE(hmc.n, 0) AS hist_months, "
                    "CASE WHEN lim_max_months IS NOT NULL AND a > 0 THEN ROW_NUMBER() OVER (PARTITION BY "
                    "s.pi, s.person_id, s.period, lim_max_months IS NOT NULL AND a > 0 ORDER BY seq) END "
                    "AS rn "
                    f"FROM {previous} s LEFT JOIN hm ON hm.pi = s.pi AND hm.person_id = s.person_id "
                    "AND hm.period = s.period LEFT JOIN hmc ON hmc.pi = s.pi AND hmc.person_id = s.person_id",
                ),
                (
                    "m2",
                    "SELECT m1.*, hist_months + CAST(SUM(CASE WHEN rn = 1 AND NOT in_hist THEN 1 ELSE 0 END) "
                    "OVER (PARTITION BY pi, person_id, rn IS NOT NULL ORDER BY seq ROWS BETWEEN UNBOUNDED "
                    "PRECEDING AND CURRENT ROW) AS BIGINT) AS idx FROM m1",
                ),
                (
                    "m3",
                    "SELECT m2.*, MAX(CASE WHEN rn = 1 THEN idx END) OVER "
                    "(PARTITION BY pi, person_id, period, rn IS NOT NULL) AS month_idx FROM m2",
                ),
            ]
            allowed = "(rn IS NULL OR in_hist OR month_idx <= lim_max_months)"
            outputs_so_far += ["month_counted", "used_max_months"]
            columns = carry(kind).replace(
                "cut_max_months, month_counted, used_max_months",
                f"CASE WHEN {allowed} THEN 0 ELSE a END AS cut_max_months, "
                "rn IS NOT NULL AND (in_hist OR month_idx <= lim_max_months) AS month_counted, "
                "CASE WHEN rn IS NULL OR in_hist THEN NULL ELSE LEAST(month_idx - 1, lim_max_months) END "
                "AS used_max_months",
            )
            ctes.append(
                ("s_max_months", f"SELECT {columns}, CASE WHEN {allowed} THEN a ELSE 0 END AS a FROM m3")
            )
        else:
            keys = keys_of[kind]
            key_list = ", ".join(keys)
            history_amount = "amount" if kind == "budget" else "counted_amount"
            ctes.append(
                (
                    f"h_{kind}",
                    f"SELECT {key_list}, CAST(SUM({history_amount}) AS BIGINT) AS total FROM hx "
                    f"WHERE {' AND '.join(f'{k} IS NOT NULL' for k in keys)} GROUP BY {key_list}",
                )
            )
            on = " AND ".join(f"h.{k} = x.{k}" for k in keys)
            running = (
                f"CAST(SUM(x.a) OVER (PARTITION BY {', '.join('x.' + k for k in keys)} ORDER BY x.seq "
                "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) - x.a"
            )
            ctes.append(
                (
                    f"c_{kind}",
                    f"SELECT x.*, CASE WHEN x.lim_{kind} IS NULL THEN NULL "
                    f"ELSE COALESCE(h.total, 0) + {running} END AS raw FROM {previous} x "
                    f"LEFT JOIN h_{kind} h ON {on}",
                )
            )
            if kind == "budget":
                outputs_so_far.append("counted_amount")
            outputs_so_far.append(f"used_{kind}")
            new = f"CASE WHEN lim_{kind} IS NULL THEN a ELSE GREATEST(0, LEAST(a, lim_{kind} - raw)) END"
            columns = (
                carry(kind)
                .replace(f"cut_{kind}", f"a - {new} AS cut_{kind}")
                .replace(f"used_{kind}", f"LEAST(raw, lim_{kind}) AS used_{kind}")
            )
            if kind == "budget":
                columns = columns.replace("counted_amount", "a AS counted_amount")
            ctes.append((f"s_{kind}", f"SELECT {columns}, {new} AS a FROM c_{kind}"))
        previous = f"s_{kind}"
        del before
    produced = set(outputs_so_far)
    refusal_code = "CASE WHEN s.once_refused THEN 'once_per_person|' ELSE e.refusal0 END"
    outputs = [
        "e.application_id",
        "e.programme",
        "e.applied_on",
        "e.county_code",
        "e.person_id",
        "e.entity_id",
        "e.period",
        "s.eligible",
        f"CASE WHEN s.eligible THEN NULL ELSE SPLIT_PART({refusal_code}, '|', 1) END AS refusal",
        f"CASE WHEN s.eligible THEN NULL ELSE NULLIF(SPLIT_PART({refusal_code}, '|', 2), '') END "
        "AS refusal_detail",
        "s.holder",
        "s.holder IS NOT NULL AND s.eligible AS counted",
        "s.base",
    ]
    for kind in CAP_KINDS:
        outputs.append(f"e.lim_{kind} AS limit_{kind}")
        for column in ([f"used_{kind}"] if kind in CUMULATIVE else []) + [f"cut_{kind}"]:
            if column in produced:
                # NULL where the programme has no such cap
                outputs.append(f"CASE WHEN e.lim_{kind} IS NULL THEN NULL ELSE s.{column} END AS {column}")
            else:
                outputs.append(f"CAST(NULL AS BIGINT) AS {column}")
    outputs.append(
        "COALESCE(s.month_counted, FALSE) AS month_counted"
        if "month_counted" in produced
        else "FALSE AS month_counted"
    )
    outputs.append("s.counted_amount" if "counted_amount" in produced else "s.a AS counted_amount")
    outputs.append("s.a AS amount")
    with_clause = ",\n".join(f"{name} AS ({sql})" for name, sql in ctes)
    sql = (
        f"WITH {with_clause}\nSELECT {', '.join(outputs)} FROM e JOIN {previous} s "
        "ON s.application_id = e.application_id ORDER BY e.application_id"
    )
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
