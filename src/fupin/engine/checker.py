"""Checking a pack's expressions with SQLGlot: only declared names, allowed functions, right types.

Every condition and variable is parsed (DuckDB dialect, the pack language) and walked against an
allow-list of node types. Anything else (a sub-query, a second statement, a table reference, an
unknown function such as ``pg_read_file``) is refused, so a pack can only compute values from the
columns it is given. Types are inferred so that ``household_type > 5`` or a numeric condition is
refused before anything runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from fupin.engine import tables
from fupin.engine.packs import Pack, PackError, Problem, Variable

DIALECT = "duckdb"

# Built-in names every expression may use: the screening date and its year.
BUILTINS = {"as_of": "date", "as_of_year": "integer"}

# Node types an expression may contain (besides the functions below).
_ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.Neg,
    exp.Case,
    exp.If,
    exp.Like,
    exp.Cast,
    exp.DataType,
)
# Functions by their SQLGlot class, with the name a policy writer sees.
_FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Coalesce: "COALESCE",
    exp.Abs: "ABS",
    exp.Greatest: "GREATEST",
    exp.Least: "LEAST",
    exp.Nullif: "NULLIF",
}
_CAST_TYPES = {
    exp.DataType.Type.DOUBLE: "number",
    exp.DataType.Type.BIGINT: "integer",
    exp.DataType.Type.INT: "integer",
    exp.DataType.Type.BOOLEAN: "boolean",
    exp.DataType.Type.VARCHAR: "string",
}


class CheckFailed(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def parse(text: str) -> exp.Expr:
    """Parse one expression; refuse anything that is not a single allowed expression."""
    if ";" in text:
        raise CheckFailed("only one expression is allowed: remove the ';'")
    try:
        tree = sqlglot.parse_one(text, read=DIALECT)
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        raise CheckFailed(f"cannot read the expression: {first.get('description', error)}") from error
    for node in tree.walk():
        if isinstance(node, tuple(_FUNCTIONS)):
            continue
        if not isinstance(node, _ALLOWED_NODES):
            name = node.sql(dialect=DIALECT) if isinstance(node, exp.Func) else type(node).__name__
            if isinstance(node, exp.Anonymous | exp.Func):
                allowed = ", ".join(sorted(_FUNCTIONS.values()))
                function = node.name.upper() if isinstance(node, exp.Anonymous) else node.sql_name()
                raise CheckFailed(f"function {function} is not allowed; allowed: {allowed}")
            raise CheckFailed(f"{name} is not allowed in a policy expression")
        if isinstance(node, exp.Column) and node.table:
            raise CheckFailed(f"write the plain name, not {node.sql()}")
    return tree


@dataclass
class Names:
    """What an expression may refer to, name → type kind."""

    kinds: dict[str, str]

    def kind_of(self, name: str) -> str:
        if name not in self.kinds:
            raise CheckFailed(f"unknown name {name!r}")
        return self.kinds[name]


_NUMERIC = {"number", "integer"}


def infer(node: exp.Expr, names: Names) -> str:
    """The type kind of an expression: number, integer, boolean, string, date or null."""
    if isinstance(node, exp.Paren):
        return infer(node.this, names)
    if isinstance(node, exp.Column):
        return names.kind_of(node.name)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "string"
        return "integer" if re.fullmatch(r"\d+", node.this) else "number"
    if isinstance(node, exp.Boolean):
        return "boolean"
    if isinstance(node, exp.Null):
        return "null"
    if isinstance(node, exp.And | exp.Or):
        for side in (node.left, node.right):
            _expect(side, names, {"boolean"}, "AND/OR joins conditions")
        return "boolean"
    if isinstance(node, exp.Not):
        _expect(node.this, names, {"boolean"}, "NOT takes a condition")
        return "boolean"
    if isinstance(node, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        _comparable(infer(node.left, names), infer(node.right, names), node)
        return "boolean"
    if isinstance(node, exp.Is):
        infer(node.this, names)
        return "boolean"
    if isinstance(node, exp.In):
        left = infer(node.this, names)
        for item in node.expressions:
            _comparable(left, infer(item, names), node)
        return "boolean"
    if isinstance(node, exp.Between):
        left = infer(node.this, names)
        _comparable(left, infer(node.args["low"], names), node)
        _comparable(left, infer(node.args["high"], names), node)
        return "boolean"
    if isinstance(node, exp.Like):
        _expect(node.this, names, {"string"}, "LIKE compares text")
        return "boolean"
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod):
        left = _expect(node.left, names, _NUMERIC | {"null"}, "arithmetic needs numbers")
        right = _expect(node.right, names, _NUMERIC | {"null"}, "arithmetic needs numbers")
        if isinstance(node, exp.Div) or "number" in (left, right):
            return "number"
        return "integer"
    if isinstance(node, exp.Neg):
        return _expect(node.this, names, _NUMERIC, "a minus sign needs a number")
    if isinstance(node, exp.Abs):
        return _expect(node.this, names, _NUMERIC, "ABS needs a number")
    if isinstance(node, exp.Coalesce | exp.Greatest | exp.Least):
        kinds = [infer(node.this, names), *(infer(e, names) for e in node.expressions)]
        return _common(kinds, node)
    if isinstance(node, exp.Nullif):
        kind = infer(node.this, names)
        _comparable(kind, infer(node.expression, names), node)
        return kind
    if isinstance(node, exp.Case):
        kinds = []
        for branch in node.args.get("ifs") or []:
            _expect(branch.this, names, {"boolean"}, "WHEN takes a condition")
            kinds.append(infer(branch.args["true"], names))
        if node.args.get("default") is not None:
            kinds.append(infer(node.args["default"], names))
        return _common(kinds, node)
    if isinstance(node, exp.Cast):
        infer(node.this, names)
        target = node.to.this
        if target not in _CAST_TYPES:
            raise CheckFailed(
                f"CAST to {node.to.sql()} is not allowed; use DOUBLE, BIGINT, BOOLEAN or VARCHAR"
            )
        return _CAST_TYPES[target]
    raise CheckFailed(f"{type(node).__name__} is not allowed in a policy expression")


def _expect(node: exp.Expr, names: Names, kinds: set[str], why: str) -> str:
    kind = infer(node, names)
    if kind not in kinds and kind != "null":
        raise CheckFailed(f"{why}: {node.sql(dialect=DIALECT)} is {kind}")
    return kind


def _comparable(left: str, right: str, node: exp.Expr) -> None:
    if "null" in (left, right) or left == right or {left, right} <= _NUMERIC:
        return
    raise CheckFailed(f"cannot compare {left} with {right} in {node.sql(dialect=DIALECT)}")


def _common(kinds: list[str], node: exp.Expr) -> str:
    real = {k for k in kinds if k != "null"}
    if not real:
        return "null"
    if real <= _NUMERIC:
        return "number" if "number" in real else "integer"
    if len(real) == 1:
        return real.pop()
    raise CheckFailed(f"the branches of {node.sql(dialect=DIALECT)} mix {', '.join(sorted(real))}")


# ---------------------------------------------------------------- the whole pack


@dataclass(frozen=True)
class CheckedPack:
    """A pack whose every expression parsed and type-checked, with the parsed trees."""

    pack: Pack
    variable_kinds: dict[str, str]
    trees: dict[str, exp.Expr]  # "variables.NAME.value|where|expr", "rules.ID"
    order: tuple[str, ...]  # expression variables in dependency order
    # Benefit programmes' expressions: "PROGRAMME.conditions.ID", "PROGRAMME.amount", "PROGRAMME.caps.KIND"
    programme_trees: dict[str, exp.Expr] = field(default_factory=dict)


def _aggregate_kind(variable: Variable, value_kind: str | None) -> str:
    if variable.aggregate == "count":
        return "integer"
    if variable.aggregate == "any":
        return "boolean"
    if variable.aggregate == "sum":
        return "number" if value_kind == "number" else "integer"
    return value_kind or "number"


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_pack(pack: Pack) -> CheckedPack:
    """Parse and type-check everything; raise PackError naming file, place and line of each problem."""
    problems: list[Problem] = []
    trees: dict[str, exp.Expr] = {}

    def fail(place: str, line: int | None, message: str) -> None:
        problems.append(Problem(pack.file, place, line, message))

    parameter_kinds = {name: p.type for name, p in pack.parameters.items()}
    household_kinds = {name: col.kind for name, col in tables.HOUSEHOLDS.items()}
    scalars = {**BUILTINS, **parameter_kinds}
    for name in pack.variables:
        if name in household_kinds or name in scalars:
            fail(
                f"variables[{name}]", pack.variables[name].line, "this name is already a column or parameter"
            )

    variable_kinds: dict[str, str] = {}
    # Aggregates first: they read only their source's columns, parameters and built-ins.
    for name, variable in pack.variables.items():
        if variable.expr is not None or variable.source is None:
            continue
        row_names = Names(
            {**{n: c.kind for n, c in tables.columns_for_policies(variable.source).items()}, **scalars}
        )
        value_kind = None
        for part in ("value", "where"):
            text = getattr(variable, part)
            if text is None:
                continue
            place = f"variables[{name}].{part}"
            try:
                tree = parse(text)
                kind = infer(tree, row_names)
                if part == "where" and kind not in ("boolean", "null"):
                    raise CheckFailed(f"'where' must be a condition, not {kind}")
                if part == "value" and kind not in _NUMERIC | {"null"}:
                    raise CheckFailed(f"'value' must be a number to {variable.aggregate}, not {kind}")
                value_kind = kind if part == "value" else value_kind
                trees[f"variables.{name}.{part}"] = tree
            except CheckFailed as error:
                fail(place, variable.line, error.message)
        variable_kinds[name] = _aggregate_kind(variable, value_kind)

    # Expression variables in dependency order; a cycle is an error.
    pending = {n: v for n, v in pack.variables.items() if v.expr is not None}
    parsed: dict[str, exp.Expr] = {}
    for name, variable in pending.items():
        try:
            parsed[name] = parse(variable.expr or "")
        except CheckFailed as error:
            fail(f"variables[{name}].expr", variable.line, error.message)
    order: list[str] = []
    remaining = dict(parsed)
    while remaining:
        progressed = False
        for name, tree in list(remaining.items()):
            refs = {c.name for c in tree.find_all(exp.Column)}
            if refs & set(remaining):
                continue
            names = Names({**household_kinds, **scalars, **variable_kinds})
            try:
                variable_kinds[name] = infer(tree, names)
                trees[f"variables.{name}.expr"] = tree
                order.append(name)
            except CheckFailed as error:
                fail(f"variables[{name}].expr", pack.variables[name].line, error.message)
                variable_kinds[name] = "null"
            del remaining[name]
            progressed = True
        if not progressed:
            for name in remaining:
                fail(
                    f"variables[{name}].expr",
                    pack.variables[name].line,
                    "refers to itself through other variables",
                )
            break

    names = Names({**household_kinds, **scalars, **variable_kinds})
    for rule in pack.rules:
        place = f"rules[{rule.id}]"
        try:
            tree = parse(rule.condition)
            kind = infer(tree, names)
            if kind != "boolean":
                raise CheckFailed(f"the condition must be true or false, not {kind}")
            trees[f"rules.{rule.id}"] = tree
        except CheckFailed as error:
            fail(f"{place}.condition", rule.line, error.message)
        for language, template in rule.message.items():
            for placeholder in _PLACEHOLDER.findall(template):
                if placeholder not in names.kinds:
                    fail(
                        f"{place}.message.{language}",
                        rule.line,
                        f"unknown name {{{placeholder}}} in the message",
                    )
    from fupin.engine.programmes import check_programmes

    programme_problems, programme_trees = check_programmes(pack)
    problems.extend(programme_problems)
    if not pack.rules:
        fail("rules", None, "a pack needs at least one rule")
    for test in pack.tests:
        for rule_id in (*test.hits, *test.misses):
            if rule_id not in {r.id for r in pack.rules}:
                fail(f"tests[{test.name}]", test.line, f"no rule {rule_id!r} in this pack")
    if problems:
        raise PackError(problems)
    return CheckedPack(pack, variable_kinds, trees, tuple(order), programme_trees)


def message_names(pack: Pack) -> set[str]:
    return {p for rule in pack.rules for t in rule.message.values() for p in _PLACEHOLDER.findall(t)}
