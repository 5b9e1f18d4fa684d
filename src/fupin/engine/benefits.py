"""Benefits: a pack's programmes computed for a whole table of applications, in one query.

``compute`` takes the applications (Arrow), the history of earlier decisions (the ``table`` of an
earlier ``compute``, or the grants recorded since) and a backend, and returns one row per
application: eligible or refused (a code and its detail), the base amount, for each cap its limit,
what already counted against it and how much it cut, and the final amount. The query is written
once (DuckDB dialect) and transpiled by SQLGlot for PostgreSQL and Spark, like screening's (Spark
gets the same stages in one chain rather than one branch per set of caps: ``compile_programmes``).

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
from fupin.engine.programmes import CAP_KINDS, FACT_TYPES, FACTS, IDENTITY, PERIOD_CAPS, Programme
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
    if ids.null_count or not (_increasing(ids) or len(pc.unique(ids)) == len(ids)):
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
    # Internal names begin with "_", which no fact can (a fact's name begins with a letter).
    return f"_p{index}_{position}"


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
        "missing_code": [],
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
    codes = {refusal: i for i, refusal in enumerate(refusal_codes(checked))}
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
                rows["missing_code"].append(None if missing is None else codes[("no_parameter", missing)])
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
        "missing_code": pa.int64(),  # the refusal's index in ``refusal_codes``
        "budget_key": pa.string(),
        "budget_id": pa.int64(),
        **{column: _ARROW[kind] for column, (_i, _n, kind) in extra.items()},
    }
    return pa.table({name: pa.array(values, types[name]) for name, values in rows.items()})


def _budget_parameter(checked: CheckedPack, programme: Programme) -> str | None:
    tree = checked.programme_trees.get(f"{programme.id}.caps.budget")
    return tree.name if isinstance(tree, exp.Column) else None


# ---------------------------------------------------------------- the query

Refusal = tuple[str, str | None]  # (code, detail)


def refusal_codes(checked: CheckedPack) -> tuple[Refusal, ...]:
    """Every refusal the pack's query can give, as (code, detail). The query returns an index into
    this tuple rather than text: each window sorts the columns it carries, so strings would slow
    every cap stage, and the texts are attached once, in Arrow, after the query."""
    codes: list[Refusal] = [("unknown_programme", None), ("not_in_force", None), ("once_per_person", None)]
    for programme in checked.pack.programmes:
        codes += [("no_parameter", name) for name in programme.parameters]
        codes += [("missing_id", column) for column in programme.needs()]
        codes += [("condition", condition.id) for condition in programme.conditions]
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True)
class BenefitQuery:
    """The query (DuckDB dialect; ``one_chain`` is the form for Spark, see ``compile_programmes``) and
    the refusals its ``refusal_code`` column indexes. It returns one row per application without the
    application's own columns (``compute`` puts them back from the input, rather than the engine
    joining the wide rows back), ordered by application_id except on Spark."""

    sql: str
    refusals: tuple[Refusal, ...]
    one_chain: str

    def for_dialect(self, dialect: str) -> str:
        import sqlglot

        if dialect == DIALECT:
            return self.sql
        tree = sqlglot.parse_one(self.one_chain if dialect == "spark" else self.sql, read=DIALECT)
        if dialect == "spark":
            # Spark has no MATERIALIZED hint (it plans a CTE read twice itself), and a global sort
            # there costs a sampling job and a shuffle: ``compute`` orders its rows in Arrow instead.
            for cte in tree.find_all(exp.CTE):
                cte.set("materialized", None)
            tree.set("order", None)
        return tree.sql(dialect=dialect)


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


def _by_index(cases: list[tuple[int, str]], null_type: str) -> str:
    """A CASE over the programme's index (``_pi``): integers compare faster than the programme's id."""
    if not cases:
        return f"CAST(NULL AS {null_type})"
    return f"CASE _pi {' '.join(f'WHEN {i} THEN {sql}' for i, sql in cases)} END"


# The columns a cap's running total is grouped by (``pi`` is the programme's index: every cap but
# once-per-person counts within one programme; a budget's id names its programme too).
# ``y_KIND`` is the year a cap counts in: the application's year where the programme's cap is per
# year, 0 where it is for life (programmes.PERIOD_CAPS); ``period`` already names its year.
_KEYS = {
    "per_application": (),
    "max_months": ("pi", "person_id", "y_max_months", "period"),
    "per_month": ("pi", "person_id", "period"),
    "per_person": ("pi", "person_id", "y_per_person"),
    "per_entity": ("pi", "entity_id", "y_per_entity"),
    "budget": ("budget_id", "y_budget"),
}
_KEY_COLUMNS = (
    "pi", "person_id", "entity_id", "period", "budget_id",
    "y_max_months", "y_per_person", "y_per_entity", "y_budget",
)  # fmt: skip
_RUNNING = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"


class _Branch:
    """The cap stages of the programmes that have the same caps, as a chain of CTEs over their rows
    only: a stage's window then sorts just the applications it can cut, and a programme without
    the cap does not pass through it. Every cap but once-per-person counts within one programme,
    so the branches are independent; each stage keeps only the columns later stages still need."""

    def __init__(self, index: int, kinds: tuple[str, ...], first: str, columns: list[str]) -> None:
        self.name = f"b{index}"
        self.kinds = kinds
        self.ctes: list[tuple[str, str]] = [(f"{self.name}_0", first)]
        self.columns = columns

    def select(
        self, new: Mapping[str, str], later: Sequence[str], join: str = "", drop: Sequence[str] = ()
    ) -> None:
        """One CTE: the previous one's columns (as ``x.``) but ``drop`` and the keys no stage in
        ``later`` needs, then ``new`` (SQL over ``x``'s columns and ``join``'s tables)."""
        needed = {key for kind in later for key in _KEYS[kind]}
        kept = [
            c
            for c in self.columns
            if c not in new and c not in drop and (c in needed or c not in _KEY_COLUMNS)
        ]
        items = [f"x.{c}" for c in kept] + [f"{sql} AS {name}" for name, sql in new.items()]
        name = f"{self.name}_{len(self.ctes)}"
        self.ctes.append((name, f"SELECT {', '.join(items)} FROM {self.ctes[-1][0]} x {join}".rstrip()))
        self.columns = kept + list(new)

    def outputs(self, once_code: int, used_kinds: Sequence[str]) -> str:
        """The branch's rows as the query's result columns: NULL for the caps it does not have, and
        none for the caps no programme has (``compute`` adds those, all NULL)."""
        columns = [
            "application_id",
            "eligible",
            f"CASE WHEN eligible THEN NULL WHEN once_refused THEN {once_code} ELSE refusal0 END "
            "AS refusal_code",
            "holder",
            "holder IS NOT NULL AND eligible AS counted",
            "base",
        ]
        for kind in used_kinds:
            produced = [f"used_{kind}"] if kind in CUMULATIVE else []
            if kind in self.kinds:
                columns.append(f"lim_{kind} AS limit_{kind}")
                # NULL where the programme has no such cap (its limit is NULL)
                columns += [
                    f"CASE WHEN lim_{kind} IS NULL THEN NULL ELSE {c} END AS {c}"
                    for c in [*produced, f"cut_{kind}"]
                ]
            else:
                columns += [
                    f"CAST(NULL AS BIGINT) AS {c}" for c in [f"limit_{kind}", *produced, f"cut_{kind}"]
                ]
        columns.append(
            "COALESCE(month_counted, FALSE) AS month_counted"
            if "max_months" in self.kinds
            else "FALSE AS month_counted"
        )
        columns.append("counted_amount" if "budget" in self.kinds else "a AS counted_amount")
        columns.append("a AS amount")
        return f"SELECT {', '.join(columns)} FROM {self.ctes[-1][0]}"


def _cap_stages(branch: _Branch) -> None:
    """The branch's caps in the order of ``CAP_KINDS`` (docs/benefits.md says why this order)."""
    for position, kind in enumerate(branch.kinds):
        later = branch.kinds[position + 1 :]
        limit = f"lim_{kind}"
        if kind == "per_application":
            branch.select(
                {f"cut_{kind}": f"x.a - LEAST(x.a, x.{limit})", "a": f"LEAST(x.a, x.{limit})"}, later
            )
        elif kind == "max_months":
            # Distinct months per person, numbered by their first claim: the month's first claim
            # (its smallest seq), then that claim's rank among the person's months not in the history.
            counts = f"x.{limit} IS NOT NULL AND x.a > 0"
            branch.select(
                {
                    "in_hist": "hm.period IS NOT NULL",
                    "hist_months": "COALESCE(hmc.n, 0)",
                    "mf": counts,
                    "first_seq": f"CASE WHEN {counts} THEN MIN(x.seq) OVER (PARTITION BY x.pi, x.person_id, "
                    f"x.y_max_months, x.period, {counts}) END",
                },
                [kind, *later],
                "LEFT JOIN hm ON hm.pi = x.pi AND hm.person_id = x.person_id AND hm.period = x.period "
                "AND hm.y_max_months = x.y_max_months "
                "LEFT JOIN hmc ON hmc.pi = x.pi AND hmc.person_id = x.person_id "
                "AND hmc.y_max_months = x.y_max_months",
            )
            branch.select(
                {
                    "month_idx": "CASE WHEN x.mf AND NOT x.in_hist THEN x.hist_months + DENSE_RANK() OVER "
                    "(PARTITION BY x.pi, x.person_id, x.y_max_months, x.mf, x.in_hist "
                    "ORDER BY x.first_seq) END",
                },
                later,
            )
            allowed = f"(NOT x.mf OR x.in_hist OR x.month_idx <= x.{limit})"
            branch.select(
                {
                    f"cut_{kind}": f"CASE WHEN {allowed} THEN 0 ELSE x.a END",
                    "month_counted": f"x.mf AND (x.in_hist OR x.month_idx <= x.{limit})",
                    f"used_{kind}": f"CASE WHEN NOT x.mf OR x.in_hist THEN NULL "
                    f"ELSE LEAST(x.month_idx - 1, x.{limit}) END",
                    "a": f"CASE WHEN {allowed} THEN x.a ELSE 0 END",
                },
                later,
                drop=("in_hist", "hist_months", "mf", "first_seq", "month_idx"),
            )
        else:
            keys = _KEYS[kind]
            running = (
                f"SUM(x.a) OVER (PARTITION BY {', '.join('x.' + k for k in keys)} ORDER BY x.seq {_RUNNING})"
            )
            branch.select(
                {
                    "raw": f"CASE WHEN x.{limit} IS NULL THEN NULL ELSE COALESCE(h.total, 0) + "
                    f"CAST({running} AS BIGINT) - x.a END"
                },
                later,
                f"LEFT JOIN h_{kind} h ON {' AND '.join(f'h.{k} = x.{k}' for k in keys)}",
            )
            new = f"CASE WHEN x.{limit} IS NULL THEN x.a ELSE GREATEST(0, LEAST(x.a, x.{limit} - x.raw)) END"
            columns = {f"cut_{kind}": f"x.a - {new}", f"used_{kind}": f"LEAST(x.raw, x.{limit})"}
            if kind == "budget":
                columns["counted_amount"] = "x.a"
            branch.select({**columns, "a": new}, later, drop=("raw",))


def compile_programmes(checked: CheckedPack) -> BenefitQuery:
    """The pack's programmes as one query over ``applications`` (with ``_seq``, an integer in date
    then id order), ``history`` and ``params``.

    The wide part (the parameter join, refusals, amounts and limits, one CASE per programme) is
    computed once into a narrow table of integers (``e``); once-per-person is decided on the rows of
    programmes that have it; then each set of programmes with the same caps runs its own chain of
    cap stages (``_Branch``) and the branches' rows are put together.

    Spark gets the same stages as one chain that every application passes (a stage leaves the
    applications of a programme without its cap as they are): there each branch's joins and windows
    are jobs of their own, and starting jobs, not sorting rows, is what a run costs. That DuckDB's
    branches and Spark's chain give the same rows is tested."""
    refusal_list = refusal_codes(checked)
    return BenefitQuery(
        _compile(checked, refusal_list, True), refusal_list, _compile(checked, refusal_list, False)
    )


def _compile(checked: CheckedPack, refusal_list: tuple[Refusal, ...], split: bool) -> str:
    programmes = checked.pack.programmes
    code = {refusal: i for i, refusal in enumerate(refusal_list)}
    ids = ", ".join(_string(p.id) for p in programmes) or _string("")
    param_columns = [
        _param_column(i, k)
        for i, programme in enumerate(programmes)
        for k in range(len(programme.parameters))
    ]
    joined_params = "".join(f", p.{c}" for c in param_columns)

    refusals: list[tuple[int, str]] = []
    amounts: list[tuple[int, str]] = []
    limits: dict[str, list[tuple[int, str]]] = {kind: [] for kind in CAP_KINDS}
    group_names = sorted({p.once_per_person for p in programmes if p.once_per_person})
    groups: list[tuple[str, str]] = []
    group_of: list[tuple[int, str]] = []
    indexes: list[tuple[str, str]] = []
    signatures: list[tuple[str, ...]] = []  # the caps of each branch
    once_branches: set[int] = set()  # the branches with a programme that is once per person
    branch_of: list[tuple[int, str]] = []
    for i, programme in enumerate(programmes):
        indexes.append((programme.id, str(i)))
        checks = [
            f"WHEN {column} IS NULL THEN {code[('missing_id', column)]}" for column in programme.needs()
        ]
        for condition in programme.conditions:
            when = _expression(checked, i, programme, f"conditions.{condition.id}")
            checks.append(f"WHEN NOT COALESCE({when}, FALSE) THEN {code[('condition', condition.id)]}")
        if checks:
            refusals.append((i, f"CASE {' '.join(checks)} END"))
        if programme.amount is not None:
            amounts.append((i, f"GREATEST({_fen(_expression(checked, i, programme, 'amount'))}, 0)"))
        for kind in programme.caps:
            text = _expression(checked, i, programme, f"caps.{kind}")
            if kind == "max_months":
                limit = f"CAST(FLOOR(CAST({text} AS DOUBLE) + {_EPSILON}) AS BIGINT)"
            else:
                limit = _fen(text)
            limits[kind].append((i, f"GREATEST({limit}, 0)"))
        if programme.once_per_person:
            group = str(group_names.index(programme.once_per_person))
            groups.append((programme.id, group))
            group_of.append((i, group))
        signature = tuple(k for k in CAP_KINDS if k in programme.caps)
        if signature not in signatures:
            signatures.append(signature)
        branch_of.append((i, str(signatures.index(signature))))
        if programme.once_per_person:
            once_branches.add(signatures.index(signature))
    used_kinds = [k for k in CAP_KINDS if limits[k]]
    if not split:
        signatures, branch_of = [tuple(used_kinds)], [(i, "0") for i, _ in branch_of]
        once_branches = {0} if groups else set()
    elif () not in signatures:  # unknown programmes
        signatures.append(())
    fallback = signatures.index(()) if split else 0
    period_kinds = [k for k in used_kinds if k in PERIOD_CAPS]

    def year_key(kind: str, applied_on: str, by_pi: bool) -> str:
        """The year the cap counts in: the application's year for a yearly cap, 0 for a lifetime
        one (and for programmes without the cap, whose rows never reach it)."""
        year = f"CAST(EXTRACT(YEAR FROM {applied_on}) AS BIGINT)"
        having = [i for i, p in enumerate(programmes) if kind in p.caps]
        yearly = [i for i in having if programmes[i].period(kind) == "year"]
        if len(yearly) == len(having):
            return year
        if not yearly:
            return "CAST(0 AS BIGINT)"
        if by_pi:
            return f"COALESCE({_by_index([(i, year) for i in yearly], 'BIGINT')}, 0)"
        cases = [(programmes[i].id, year) for i in yearly]
        return f"COALESCE({_by_programme(cases, 'BIGINT', 'h.programme')}, 0)"

    segment_join = (
        "p.programme = {t}.programme AND p.county_code = {t}.county_code "
        "AND {t}.applied_on >= p.valid_from AND {t}.applied_on < p.valid_until"
    )
    # --- eligibility: the first reason to refuse, as an index into ``refusal_list``
    refusal = (
        f"CASE WHEN programme NOT IN ({ids}) THEN {code[('unknown_programme', None)]} "
        f"WHEN NOT COALESCE(_in_force, FALSE) THEN {code[('not_in_force', None)]} "
        f"WHEN _missing IS NOT NULL THEN _missing ELSE {_by_index(refusals, 'BIGINT')} END"
    )
    ctes = [
        (
            "j",
            "SELECT a.*, p.in_force AS _in_force, p.missing_code AS _missing, p.budget_id AS _budget_id"
            f"{joined_params}, COALESCE({_by_programme(indexes, 'BIGINT', 'a.programme')}, -1) AS _pi "
            f"FROM applications a LEFT JOIN params p ON {segment_join.format(t='a')}",
        ),
        # --- the narrow table the caps run on
        (
            "e",
            "SELECT application_id, _seq AS seq, _pi AS pi, "
            f"COALESCE({_by_index(branch_of, 'BIGINT')}, {fallback}) AS branch, "
            "person_id, entity_id, period, _budget_id AS budget_id, "
            + "".join(f"{year_key(kind, 'applied_on', by_pi=True)} AS y_{kind}, " for kind in period_kinds)
            + f"{_by_index(group_of, 'BIGINT')} AS once_group, "
            f"{refusal} AS refusal0, {_by_index(amounts, 'BIGINT')} AS base0"
            + "".join(f", {_by_index(limits[k], 'BIGINT')} AS lim_{k}" for k in used_kinds)
            + " FROM j",
        ),
        # --- the history: programme index, once-only group and budget of each earlier decision
        (
            "hx",
            f"SELECT COALESCE({_by_programme(indexes, 'BIGINT', 'h.programme')}, -1) AS pi, "
            f"{_by_programme(groups, 'BIGINT', 'h.programme')} AS once_group, h.person_id, h.entity_id, "
            "h.period, h.application_id, h.amount, h.counted_amount, h.counted, h.month_counted, "
            + "".join(f"{year_key(kind, 'h.applied_on', by_pi=False)} AS y_{kind}, " for kind in period_kinds)
            + f"p.budget_id FROM history h LEFT JOIN params p ON {segment_join.format(t='h')}",
        ),
    ]
    if groups:
        ctes += [
            # the first eligible application of the person in the group holds the place, unless the
            # history has one
            (
                "ho",
                "SELECT once_group, person_id, MIN(application_id) AS by_id FROM hx "
                "WHERE counted AND once_group IS NOT NULL GROUP BY once_group, person_id",
            ),
            (
                "ow",
                "SELECT application_id, once_group, person_id, FIRST_VALUE(application_id) OVER "
                "(PARTITION BY once_group, person_id ORDER BY seq) AS first_id FROM e "
                "WHERE once_group IS NOT NULL AND refusal0 IS NULL",
            ),
            (
                "oc",
                "SELECT w.application_id, ho.by_id IS NOT NULL OR w.first_id <> w.application_id "
                "AS once_refused, COALESCE(ho.by_id, w.first_id) AS holder FROM ow w "
                "LEFT JOIN ho ON ho.once_group = w.once_group AND ho.person_id = w.person_id",
            ),
        ]
    if "max_months" in used_kinds:
        # months already counted in the history
        ctes += [
            ("hm", "SELECT DISTINCT pi, person_id, y_max_months, period FROM hx WHERE month_counted"),
            (
                "hmc",
                "SELECT pi, person_id, y_max_months, COUNT(*) AS n FROM hm "
                "GROUP BY pi, person_id, y_max_months",
            ),
        ]
    for kind in used_kinds:
        if kind in ("per_application", "max_months"):
            continue
        key_list = ", ".join(_KEYS[kind])
        history_amount = "amount" if kind == "budget" else "counted_amount"
        ctes.append(
            (
                f"h_{kind}",
                f"SELECT {key_list}, CAST(SUM({history_amount}) AS BIGINT) AS total FROM hx "
                f"WHERE {' AND '.join(f'{k} IS NOT NULL' for k in _KEYS[kind])} GROUP BY {key_list}",
            )
        )
    # ---------------- the caps, one branch per set of programmes with the same caps
    branches = []
    for index, kinds in enumerate(signatures):
        once = index in once_branches
        keys = list(dict.fromkeys(k for kind in kinds for k in _KEYS[kind]))
        first = (
            "SELECT e.application_id, e.seq, "
            + "".join(f"e.{k}, " for k in keys)
            + "".join(f"e.lim_{kind}, " for kind in kinds)
            + "e.refusal0, e.base0, "
            + (
                "COALESCE(oc.once_refused, FALSE) AS once_refused, oc.holder FROM e "
                "LEFT JOIN oc ON oc.application_id = e.application_id"
                if once
                else "FALSE AS once_refused, CAST(NULL AS BIGINT) AS holder FROM e"
            )
            + f" WHERE e.branch = {index}"
        )
        branch = _Branch(
            index,
            kinds,
            first,
            [
                "application_id",
                "seq",
                *keys,
                *(f"lim_{k}" for k in kinds),
                "refusal0",
                "base0",
                "once_refused",
                "holder",
            ],
        )
        paid = "x.refusal0 IS NULL AND NOT x.once_refused"
        branch.select(
            {
                "eligible": paid,
                "base": f"CASE WHEN {paid} THEN COALESCE(x.base0, 0) ELSE 0 END",
                "a": f"CASE WHEN {paid} THEN COALESCE(x.base0, 0) ELSE 0 END",
            },
            kinds,
            drop=("base0",),
        )
        _cap_stages(branch)
        ctes += branch.ctes
        branches.append(branch.outputs(code[("once_per_person", None)], used_kinds))
    # ``e`` is read by every branch: computed once, not once per branch (DuckDB inlines a CTE it
    # judges cheap, and e's CASEs are not cheap on a million rows).
    with_clause = ",\n".join(
        f"{name} AS {'MATERIALIZED ' if name == 'e' else ''}({sql})" for name, sql in ctes
    )
    # Ordered by id for the caller: the engine's parallel sort of these narrow rows was faster and
    # steadier in the benchmark than Arrow's take of every column after the query.
    union = "\nUNION ALL\n".join(branches)
    return f"WITH {with_clause}\n{union}\nORDER BY application_id"


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
    numbered = apps.append_column("_seq", _sequence(apps))
    prepared = time.perf_counter()
    query = _query(checked)
    table = backend.run(query, {"applications": numbered, "history": past, "params": params})
    ran = time.perf_counter()
    table = _assemble(apps, table, query.refusals)
    assembled = time.perf_counter()
    return BenefitResult(
        checked=checked,
        engine=backend.name,
        table=table,
        seconds=assembled - started,
        timings={"prepare": prepared - started, "run": ran - prepared, "assemble": assembled - ran},
    )


def _sequence(apps: pa.Table) -> pa.ChunkedArray | pa.Array:
    """One integer per application that orders as (applied_on, application_id), the order every cap
    counts in, so that each window sorts on one column. Usually the date's day in the run and the id
    packed in one integer (no sort needed); else each application's rank in that order."""
    days = pc.cast(apps.column("applied_on"), pa.int32())
    ids = apps.column("application_id")
    if apps.num_rows:
        first, last = pc.min_max(days).values()
        low, high = pc.min_max(ids).values()
        if low.as_py() >= 0 and high.as_py() < 1 << 40 and last.as_py() - first.as_py() < 1 << 22:
            offset = pc.cast(pc.subtract(days, first), pa.int64())
            return pc.add(pc.multiply(offset, 1 << 40), ids)
    order = pc.sort_indices(apps, [("applied_on", "ascending"), ("application_id", "ascending")])
    return pc.cast(pc.sort_indices(order), pa.int64())


_APPLICATION_COLUMNS = (
    "application_id",
    "programme",
    "applied_on",
    "county_code",
    "person_id",
    "entity_id",
    "period",
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


def _increasing(ids: pa.ChunkedArray) -> bool:
    """Strictly increasing: ordered and unique, found without sorting or hashing (callers usually
    pass applications in id order)."""
    return len(ids) < 2 or bool(pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py())


def _by_id(table: pa.Table) -> pa.Table:
    ids = table.column("application_id")
    if _increasing(ids):
        return table
    order = pc.sort_indices(ids)
    # A cap no programme has leaves its columns all NULL: nothing to reorder there.
    columns = [
        pa.nulls(len(c), c.type) if c.null_count == len(c) else pc.take(c, order) for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def _assemble(apps: pa.Table, result: pa.Table, refusals: Sequence[Refusal]) -> pa.Table:
    """The query's rows (in the engine's order) beside the applications' own columns, ordered by
    application_id, with the refusal codes as text and every engine's types made the same
    (PostgreSQL returns some sums as NUMERIC, Spark DECIMAL)."""
    apps, result = _by_id(apps), _by_id(result)
    if result.num_rows != apps.num_rows or not result.column("application_id").equals(
        apps.column("application_id")
    ):
        raise RuntimeError("the benefits query did not return one row per application")
    code = pc.cast(result.column("refusal_code"), pa.int64())
    columns = {
        "refusal": pc.take(pa.array([r for r, _ in refusals], pa.string()), code),
        "refusal_detail": pc.take(pa.array([d for _, d in refusals], pa.string()), code),
    }
    arrays = []
    for f in result_schema():
        if f.name in _APPLICATION_COLUMNS:
            arrays.append(apps.column(f.name))
        elif f.name in columns:
            arrays.append(columns[f.name])
        elif f.name in result.column_names:
            arrays.append(pc.cast(result.column(f.name), f.type))
        else:  # a cap no programme of the pack has
            arrays.append(pa.nulls(result.num_rows, f.type))
    return pa.table(arrays, schema=result_schema())


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
