"""Compiling a checked pack to one SQL query, written once and transpiled for each engine.

The query (DuckDB dialect, transpiled by SQLGlot to PostgreSQL and Spark SQL) reads the tables
``households``, ``members``, ``incomes``, ``feeds`` and ``params`` and returns one row per household
(or only households that hit a rule) with every variable, parameter and rule result as columns.
Names in expressions become qualified columns of the right table; expression variables are inlined,
so nothing a pack writes reaches the SQL except through the checked syntax tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from fupin.engine import tables
from fupin.engine.checker import DIALECT, CheckedPack, message_names

_SOURCE_ALIAS = {"members": "m", "incomes": "i", "feeds": "f"}


@dataclass(frozen=True)
class Compiled:
    sql: str  # DuckDB dialect
    variables: tuple[str, ...]
    parameters: tuple[str, ...]
    rules: tuple[str, ...]  # rule ids; column of rule X is "rule__X"

    def for_dialect(self, dialect: str) -> str:
        import sqlglot

        if dialect == DIALECT:
            return self.sql
        return sqlglot.transpile(self.sql, read=DIALECT, write=dialect)[0]


def rule_column(rule_id: str) -> str:
    return f"rule__{rule_id}"


def _date(value: dt.date) -> exp.Expr:
    return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))


def _qualify(tree: exp.Expr, resolve: dict[str, exp.Expr]) -> exp.Expr:
    """A copy of ``tree`` with every plain name replaced by what it stands for."""

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in resolve:
            return exp.Paren(this=resolve[node.name].copy())
        return node

    return tree.copy().transform(replace)


def _col(alias: str, name: str) -> exp.Column:
    return exp.column(name, table=alias, quoted=True)


def _int(expression: exp.Expr) -> exp.Expr:
    """As an integer: PostgreSQL's EXTRACT returns NUMERIC, slow for a value per member."""
    return exp.Cast(this=expression, to=exp.DataType.build("INT"))


def _literal(value: float | int | bool) -> exp.Expr:
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        return exp.Literal.number(value)
    # As DOUBLE, as the parameter column would be: DuckDB reads 6900.0 as a DECIMAL.
    return exp.Cast(this=exp.Literal.number(repr(float(value))), to=exp.DataType.build("DOUBLE"))


def compile_pack(
    checked: CheckedPack,
    as_of: dt.date,
    *,
    only_hits: bool = True,
    constants: Mapping[str, float | int | bool] | None = None,
) -> Compiled:
    """The pack as one query. ``constants`` are parameters with one value for every county of the
    run: row conditions use them as literals, so the aggregates need not join the households."""
    pack = checked.pack
    constants = constants or {}
    builtins: dict[str, exp.Expr] = {
        "as_of": _date(as_of),
        "as_of_year": exp.Literal.number(as_of.year),
    }
    params = tuple(pack.parameters)

    # Row views: members with age, feeds with days_ago (and nothing dated after as_of).
    birth = exp.column("birth_date")
    age = exp.Sub(
        this=exp.Sub(
            this=exp.Literal.number(as_of.year),
            expression=_int(exp.Extract(this=exp.var("YEAR"), expression=birth)),
        ),
        expression=exp.Case(
            ifs=[
                exp.If(
                    this=exp.GT(
                        this=exp.Add(
                            this=exp.Mul(
                                this=_int(exp.Extract(this=exp.var("MONTH"), expression=birth.copy())),
                                expression=exp.Literal.number(100),
                            ),
                            expression=_int(exp.Extract(this=exp.var("DAY"), expression=birth.copy())),
                        ),
                        expression=exp.Literal.number(as_of.month * 100 + as_of.day),
                    ),
                    true=exp.Literal.number(1),
                )
            ],
            default=exp.Literal.number(0),
        ),
    )
    views = {
        "members": exp.select("*", exp.alias_(age, "age")).from_("members"),
        "incomes": exp.select("*").from_("incomes"),
        "feeds": exp.select(
            "*",
            exp.alias_(
                exp.DateDiff(this=_date(as_of), expression=exp.column("event_date"), unit=exp.var("DAY")),
                "days_ago",
            ),
        )
        .from_("feeds")
        .where(exp.LTE(this=exp.column("event_date"), expression=_date(as_of))),
    }

    hp_columns: list[Any] = [exp.column(c, table="h", quoted=True) for c in tables.HOUSEHOLDS]
    hp_columns += [exp.alias_(_col("p", p), p, quoted=True) for p in params]
    hp = (
        exp.select(*hp_columns)
        .from_(exp.to_table("households").as_("h"))
        .join(
            exp.to_table("params").as_("p"),
            on=exp.EQ(this=_col("h", "county_code"), expression=_col("p", "county_code")),
        )
    )

    # Aggregates, one grouped sub-query per source table.
    aggregated_by_source: dict[str, list[Any]] = {}
    needs_households: set[str] = set()
    row_conditions: dict[str, list[exp.Expr | None]] = {}
    for name, variable in pack.variables.items():
        if variable.source is None:
            continue
        alias = _SOURCE_ALIAS[variable.source]
        row_names: dict[str, exp.Expr] = {
            c: _col(alias, c) for c in tables.columns_for_policies(variable.source)
        }
        row_names.update({p: _literal(constants[p]) if p in constants else _col("hp", p) for p in params})
        row_names.update(builtins)
        where_tree = checked.trees.get(f"variables.{name}.where")
        value_tree = checked.trees.get(f"variables.{name}.value")
        condition = _qualify(where_tree, row_names) if where_tree is not None else exp.true()
        if variable.aggregate in ("count", "any"):
            value: exp.Expr = exp.Literal.number(1)
        else:
            assert value_tree is not None
            value = _qualify(value_tree, row_names)
        case = exp.Case(ifs=[exp.If(this=exp.Paren(this=condition), true=value)])
        if variable.aggregate == "count":
            # COUNT gives a 64-bit integer on every engine (DuckDB's SUM of integers is a HUGEINT,
            # which reaches Python as Decimal, one object per value).
            aggregated: exp.Expr = exp.Count(this=case)
        elif variable.aggregate == "any":
            aggregated = exp.Coalesce(
                this=exp.GT(this=exp.Max(this=case), expression=exp.Literal.number(0)),
                expressions=[exp.false()],
            )
        elif variable.aggregate == "sum":
            total: exp.Expr = exp.Sum(this=case)
            if checked.variable_kinds.get(name) == "integer":
                total = exp.Cast(this=total, to=exp.DataType.build("BIGINT"))
            aggregated = exp.Coalesce(this=total, expressions=[exp.Literal.number(0)])
        elif variable.aggregate == "max":
            aggregated = exp.Max(this=case)
        else:
            aggregated = exp.Min(this=case)
        if any(t.table == "hp" for t in aggregated.find_all(exp.Column)):
            needs_households.add(variable.source)
        row_conditions.setdefault(variable.source, []).append(condition if where_tree is not None else None)
        aggregated_by_source.setdefault(variable.source, []).append(exp.alias_(aggregated, name, quoted=True))

    aggregate_ctes: dict[str, exp.Select] = {}
    for source, columns_of_source in aggregated_by_source.items():
        alias = _SOURCE_ALIAS[source]
        select = exp.select(
            exp.alias_(_col(alias, "household_id"), "household_id", quoted=True), *columns_of_source
        )
        select = select.from_(exp.to_table(f"{source}_v").as_(alias))
        if source in needs_households:  # a parameter that differs between counties is in a row condition
            select = select.join(
                exp.to_table("hp").as_("hp"),
                on=exp.EQ(this=_col("hp", "household_id"), expression=_col(alias, "household_id")),
            )
        conditions = row_conditions[source]
        if all(c is not None for c in conditions):
            # A row that meets no variable's condition adds nothing to any of them: leave it out
            # before grouping (a household left with no rows gets the same empty-group values).
            select = select.where(exp.or_(*(exp.Paren(this=c.copy()) for c in conditions if c is not None)))
        aggregate_ctes[source] = select.group_by(_col(alias, "household_id"))

    # Household level, in layers: l0 has the household columns, parameters and aggregates (with
    # their empty-group values); each further layer adds the expression variables whose inputs are
    # all in the layer below. Rules read the last layer by column name, so no expression is copied
    # into another (Spark's planner is slow on large inlined expressions).
    layer0: list[Any] = [_col("hp", c) for c in tables.HOUSEHOLDS]
    layer0 += [_col("hp", p) for p in params]
    for name, variable in pack.variables.items():
        if variable.source is None:
            continue
        column: exp.Expr = _col(f"a_{variable.source}", name)
        if variable.aggregate in ("count", "sum"):
            column = exp.Coalesce(this=column, expressions=[exp.Literal.number(0)])
        elif variable.aggregate == "any":
            column = exp.Coalesce(this=column, expressions=[exp.false()])
        layer0.append(exp.alias_(column, name, quoted=True))
    layers: list[exp.Select] = [exp.select(*layer0).from_(exp.to_table("hp").as_("hp"))]
    for source in aggregate_ctes:
        layers[0] = layers[0].join(
            exp.to_table(f"a_{source}").as_(f"a_{source}"),
            on=exp.EQ(this=_col(f"a_{source}", "household_id"), expression=_col("hp", "household_id")),
            join_type="left",
        )

    depth: dict[str, int] = {}
    for name in checked.order:
        refs = {c.name for c in checked.trees[f"variables.{name}.expr"].find_all(exp.Column)}
        depth[name] = 1 + max((depth[r] for r in refs if r in depth), default=0)
    available = [*tables.HOUSEHOLDS, *params, *(n for n, v in pack.variables.items() if v.source)]
    for level in range(1, max(depth.values(), default=0) + 1):
        below = f"l{level - 1}"
        resolve: dict[str, exp.Expr] = {n: _col(below, n) for n in available}
        resolve.update(builtins)
        added = [n for n in checked.order if depth[n] == level]
        columns: list[Any] = [exp.Column(this=exp.Star(), table=exp.to_identifier(below))]
        columns += [
            exp.alias_(_qualify(checked.trees[f"variables.{n}.expr"], resolve), n, quoted=True) for n in added
        ]
        layers.append(exp.select(*columns).from_(exp.to_table(below).as_(below)))
        available += added

    last = f"l{len(layers) - 1}"
    resolve = {n: _col(last, n) for n in available}
    resolve.update(builtins)
    outputs: list[Any] = [_col(last, "household_id"), _col(last, "county_code")]
    shown = message_names(pack)
    outputs += [
        _col(last, c) for c in tables.HOUSEHOLDS if c in shown and c not in ("household_id", "county_code")
    ]
    outputs += [_col(last, p) for p in params]
    outputs += [_col(last, v) for v in pack.variables]
    for rule in pack.rules:
        condition = exp.Coalesce(
            this=exp.Paren(this=_qualify(checked.trees[f"rules.{rule.id}"], resolve)),
            expressions=[exp.false()],
        )
        outputs.append(exp.alias_(condition, rule_column(rule.id), quoted=True))
    evaluated = exp.select(*outputs).from_(exp.to_table(last).as_(last))

    query = exp.select("*").from_("evaluated")
    if only_hits and pack.rules:
        query = query.where(exp.or_(*(exp.column(rule_column(r.id), quoted=True) for r in pack.rules)))
    query = query.order_by(exp.column("household_id", quoted=True))

    query = query.with_("hp", as_=hp)
    for source, view in views.items():
        query = query.with_(f"{source}_v", as_=view)
    for source, select in aggregate_ctes.items():
        query = query.with_(f"a_{source}", as_=select)
    for level, layer in enumerate(layers):
        query = query.with_(f"l{level}", as_=layer)
    query = query.with_("evaluated", as_=evaluated)
    return Compiled(
        sql=query.sql(dialect=DIALECT),
        variables=tuple(pack.variables),
        parameters=params,
        rules=tuple(r.id for r in pack.rules),
    )
