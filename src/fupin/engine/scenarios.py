"""Policy what-if: a scenario (an overlay of changes on the pack in force) against the baseline.

A scenario is an *overlay*: new values for some parameters (in force in one region from a date) and
added or replaced rules, applied to the base pack with ``packs.merge``, exactly as a published province
pack that ``extends`` the base would be. So "simulate the scenario" and "publish it, then screen" read
the same values for every county by construction (tests/test_scenarios_engine.py checks it).

One engine run: the baseline and every variant (the scenario, the intermediate states of the rule
attribution, or every step of a sensitivity sweep) are *combined* into one pack. Names a variant
changes (a parameter with other values, a rule or variable with another definition, and everything that
depends on them) are copied under a suffix (``within_range__v1``), the rest is shared, so the aggregates
over members, incomes and feeds are computed once and every variant's rules come out of one query as
columns of the same rows.

Rule attribution (``Simulation.attribution``) is *sequential*: the changes are applied one after the
other in the order the scenario lists them (state 0 = baseline, state k = the first k changes, state n =
the scenario). A household newly flagged by the scenario is attributed to the change of the *last* step
at which it went from not flagged to flagged (it may flip back and forth before); a household no longer
flagged, to the last step at which it went from flagged to not flagged. Every changed household is thus
attributed to exactly one change, and the attribution adds up to the total difference.

The sensitivity sweep computes every step of one parameter in the same single query: each household
gets a bit mask (bit 0: flagged by the baseline, bit i: flagged with the i-th value), grouped by county
and mask, and the counts per step are read from the few distinct masks. At most 62 steps.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from fupin.engine.backends import Backend, default_duckdb
from fupin.engine.checker import CheckedPack, CheckFailed, check_pack, parse
from fupin.engine.compiler import rule_column
from fupin.engine.packs import (
    CATEGORIES,
    RISK_TYPES,
    SEVERITIES,
    Pack,
    PackError,
    Parameter,
    ParameterValue,
    Problem,
    Rule,
    Variable,
    merge,
)
from fupin.engine.parameters import parameter_table
from fupin.engine.screening import _compiled, prepare, uniform_values

MAX_SWEEP_STEPS = 62
STATUSES = ("both", "only_baseline", "only_scenario")


# ---------------------------------------------------------------- the overlay


@dataclass(frozen=True)
class RuleChange:
    """A rule added or replaced (by id). ``condition: false`` switches a base rule off."""

    id: str
    condition: str
    category: str
    risk_types: tuple[str, ...]
    severity: str
    title: dict[str, str]
    message: dict[str, str]


@dataclass(frozen=True)
class Overlay:
    """The changes a scenario makes: parameter values (in force in ``region`` from the date the overlay
    is applied with) and rules. JSON-ready through ``as_dict``/``from_dict``."""

    parameters: dict[str, float | int | bool] = field(default_factory=dict)
    rules: tuple[RuleChange, ...] = ()
    region: str = ""  # "" nation, 2-digit province, 4-digit prefecture, 6-digit county

    def items(self) -> list[tuple[str, str]]:
        """The changes in order, as (kind, name): what attribution is reported for."""
        return [("parameter", n) for n in self.parameters] + [("rule", r.id) for r in self.rules]

    def only(self, count: int) -> Overlay:
        """The first ``count`` changes (an intermediate state of the attribution)."""
        names = list(self.parameters)
        return Overlay(
            parameters={n: self.parameters[n] for n in names[:count]},
            rules=self.rules[: max(0, count - len(names))],
            region=self.region,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "parameters": dict(self.parameters),
            "rules": [
                {
                    "id": r.id,
                    "condition": r.condition,
                    "category": r.category,
                    "risk_types": list(r.risk_types),
                    "severity": r.severity,
                    "title": dict(r.title),
                    "message": dict(r.message),
                }
                for r in self.rules
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Overlay:
        rules = tuple(
            RuleChange(
                id=str(r.get("id", "")),
                condition=str(r.get("condition", "")),
                category=str(r.get("category", "")),
                risk_types=tuple(r.get("risk_types") or ()),
                severity=str(r.get("severity", "")),
                title=dict(r.get("title") or {}),
                message=dict(r.get("message") or {}),
            )
            for r in data.get("rules") or ()
        )
        return cls(dict(data.get("parameters") or {}), rules, str(data.get("region") or ""))


OVERLAY_FILE = "<scenario>"


def _overlay_problems(base: Pack, overlay: Overlay) -> list[Problem]:
    problems = []

    def fail(place: str, message: str) -> None:
        problems.append(Problem(OVERLAY_FILE, place, None, message))

    region = overlay.region
    if region and (not region.isdigit() or len(region) not in (2, 4, 6)):
        fail("region", f"region {region!r} is not a 2, 4 or 6-digit code")
    for name, value in overlay.parameters.items():
        parameter = base.parameters.get(name)
        if parameter is None:
            fail(f"parameters[{name}]", f"the pack has no parameter {name}")
        elif parameter.type == "boolean" and not isinstance(value, bool):
            fail(f"parameters[{name}]", "must be true or false")
        elif parameter.type != "boolean" and (isinstance(value, bool) or not isinstance(value, int | float)):
            fail(f"parameters[{name}]", f"must be a {parameter.type}")
        elif parameter.type == "integer" and not float(value).is_integer():
            fail(f"parameters[{name}]", "must be a whole number")
    seen: set[str] = set()
    for rule in overlay.rules:
        place = f"rules[{rule.id or '?'}]"
        if not rule.id or not rule.id.replace("_", "").isalnum() or not rule.id.isascii():
            fail(place, "a rule id is letters, digits and _")
        if rule.id in seen:
            fail(place, "this rule id is used twice")
        seen.add(rule.id)
        if rule.category not in CATEGORIES:
            fail(place, f"category {rule.category!r}; choose one of {', '.join(CATEGORIES)}")
        if rule.severity not in SEVERITIES:
            fail(place, f"severity {rule.severity!r}; choose one of {', '.join(SEVERITIES)}")
        if not 1 <= len(rule.risk_types) <= 5 or any(r not in RISK_TYPES for r in rule.risk_types):
            fail(place, f"'risk_types' lists one to five of {', '.join(RISK_TYPES)}")
        if not rule.condition.strip():
            fail(place, "'condition' is missing")
    return problems


def overlay_pack(
    base: Pack, overlay: Overlay, effective_from: dt.date, *, name: str = "", version: str = ""
) -> Pack:
    """The base pack with the overlay merged in (``packs.merge``), its values in force from the date.

    Raises PackError (file ``<scenario>``) when a change does not fit the base pack.
    """
    problems = _overlay_problems(base, overlay)
    if problems:
        raise PackError(problems)
    parameters = {}
    for pname, value in overlay.parameters.items():
        kind = base.parameters[pname].type
        typed: float | int | bool = (
            value if kind == "boolean" else (int if kind == "integer" else float)(value)
        )
        parameters[pname] = Parameter(
            pname,
            "",
            "",
            {},
            "",
            "",
            (ParameterValue(overlay.region, effective_from, None, typed, False, None),),
            None,
        )
    rules = tuple(
        Rule(
            id=r.id,
            category=r.category,
            risk_types=r.risk_types,
            condition=r.condition,
            severity=r.severity,
            message={"zh": r.message.get("zh", ""), "en": r.message.get("en", "")},
            line=None,
            title={"zh": r.title.get("zh", r.id), "en": r.title.get("en", r.id)},
        )
        for r in overlay.rules
    )
    layer = replace(
        base,
        name=name or base.name,
        version=version or base.version,
        parameters=parameters,
        variables={},
        rules=rules,
        tests=(),
        file=OVERLAY_FILE,
        extends=base.name,
        programmes=(),
        scorecards=(),
    )
    merged = merge(base, layer)
    # The base's test cases describe the base's values; a scenario keeps the base's region and dates.
    return replace(
        merged, region=base.region, effective_from=base.effective_from, effective_to=base.effective_to
    )


def check_overlay(base: Pack, overlay: Overlay, effective_from: dt.date) -> CheckedPack:
    """The scenario's pack, checked by the same checker as every pack (raises PackError)."""
    return check_pack(overlay_pack(base, overlay, effective_from))


def overlay_yaml(
    base: Pack,
    overlay: Overlay,
    *,
    name: str,
    version: str,
    effective_from: dt.date,
    title: Mapping[str, str],
) -> str:
    """The overlay as a policy pack file that ``extends`` the base: what publishing hands to the operator
    (put it in a ``FUPIN_POLICY_DIRS`` folder and make it the pack in force)."""
    import yaml

    document: dict[str, Any] = {
        "name": name,
        "version": version,
        "extends": base.name,
        "region": overlay.region or "nation",
        "effective": {"from": base.effective_from},
        "title": {"zh": title.get("zh", name), "en": title.get("en", name)},
    }
    if overlay.parameters:
        document["parameters"] = {
            n: {"values": [{"region": overlay.region or "nation", "from": effective_from, "value": v}]}
            for n, v in overlay.parameters.items()
        }
    if overlay.rules:
        document["rules"] = [
            {
                "id": r.id,
                "title": {"zh": r.title.get("zh", r.id), "en": r.title.get("en", r.id)},
                "category": r.category,
                "risk_types": list(r.risk_types),
                "severity": r.severity,
                "condition": r.condition,
                "message": {"zh": r.message.get("zh", ""), "en": r.message.get("en", "")},
            }
            for r in overlay.rules
        ]
    header = f"# Published from a scenario: {base.name} with {len(overlay.items())} change(s).\n"
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


# ---------------------------------------------------------------- combining variants into one pack


def names_in(text: str | None) -> set[str]:
    if not text:
        return set()
    try:
        return {c.name for c in parse(text).find_all(exp.Column)}
    except CheckFailed:
        return set()


def _rename(text: str | None, names: Mapping[str, str]) -> str | None:
    if text is None or not names:
        return text
    tree = parse(text)

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in names:
            return exp.column(names[node.name])
        return node

    return tree.transform(swap).sql(dialect="duckdb")


def _values(parameter: Parameter) -> tuple[tuple[Any, ...], ...]:
    return tuple((v.region, v.effective_from, v.effective_to, v.value) for v in parameter.values)


def _variable_key(v: Variable) -> tuple[Any, ...]:
    return (v.source, v.aggregate, v.value, v.where, v.expr)


def _rule_key(r: Rule) -> tuple[Any, ...]:
    return (r.condition, r.category, r.risk_types, r.severity)


@dataclass(frozen=True)
class Combined:
    pack: Pack
    # For each variant (0 = base): its rule id → the rule id in the combined pack.
    rules: tuple[dict[str, str], ...]


def combine(base: Pack, variants: Sequence[Pack]) -> Combined:
    """One pack that evaluates the base and every variant: what a variant changes is copied under a suffix."""
    parameters = dict(base.parameters)
    variables = dict(base.variables)
    rules = list(base.rules)
    maps: list[dict[str, str]] = [{r.id: r.id for r in base.rules}]
    base_rules = {r.id: r for r in base.rules}
    taken = set(parameters) | set(variables) | set(base_rules)
    for index, variant in enumerate(variants, 1):
        suffix = f"__v{index}"
        changed = {
            n
            for n, p in variant.parameters.items()
            if n not in base.parameters or _values(p) != _values(base.parameters[n])
        }
        deps = {
            n: names_in(v.value) | names_in(v.where) | names_in(v.expr) for n, v in variant.variables.items()
        }
        growing = True
        while growing:
            growing = False
            for n, v in variant.variables.items():
                if n in changed:
                    continue
                if (
                    n not in base.variables
                    or _variable_key(v) != _variable_key(base.variables[n])
                    or deps[n] & changed
                ):
                    changed.add(n)
                    growing = True
        names = {n: n + suffix for n in changed}
        for n in names.values():
            if n in taken:
                raise PackError(
                    [Problem(OVERLAY_FILE, n, None, "a name of the pack ends like a scenario copy")]
                )
        for n in changed:
            if n in variant.parameters:
                parameters[names[n]] = replace(variant.parameters[n], name=names[n])
            else:
                v = variant.variables[n]
                variables[names[n]] = replace(
                    v,
                    name=names[n],
                    value=_rename(v.value, names),
                    where=_rename(v.where, names),
                    expr=_rename(v.expr, names),
                )
        mapping = {}
        for rule in variant.rules:
            old = base_rules.get(rule.id)
            if (
                old is not None
                and _rule_key(old) == _rule_key(rule)
                and not names_in(rule.condition) & changed
            ):
                mapping[rule.id] = rule.id
                continue
            copy_id = rule.id + suffix
            rules.append(replace(rule, id=copy_id, condition=_rename(rule.condition, names) or ""))
            mapping[rule.id] = copy_id
        maps.append(mapping)
    pack = replace(
        base,
        parameters=parameters,
        variables=variables,
        rules=tuple(rules),
        tests=(),
        programmes=(),
        scorecards=(),
    )
    return Combined(pack, tuple(maps))


# ---------------------------------------------------------------- running the combined pack


@dataclass(frozen=True)
class _Sql:
    sql: str

    def for_dialect(self, dialect: str) -> str:
        import sqlglot

        return (
            self.sql if dialect == "duckdb" else sqlglot.transpile(self.sql, read="duckdb", write=dialect)[0]
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _any(columns: Sequence[str]) -> str:
    return "(" + " OR ".join(_quote(rule_column(c)) for c in columns) + ")" if columns else "FALSE"


_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _category_sql(pack: Pack, mapping: Mapping[str, str]) -> str:
    """The category the household's hits suggest (as ``screening.suggestion``: most severe, then the
    pack's order of categories), as one CASE."""
    rules = sorted(
        (r for r in pack.rules if r.id in mapping),
        key=lambda r: (_SEVERITY_ORDER.get(r.severity, 9), CATEGORIES.index(r.category)),
    )
    if not rules:
        return "''"
    whens = " ".join(f"WHEN {_quote(rule_column(mapping[r.id]))} THEN {_text(r.category)}" for r in rules)
    return f"CASE {whens} ELSE '' END"


def _list_sql(items: Sequence[tuple[str, str]]) -> str:
    """A comma-separated list of labels whose condition holds (concat_ws leaves out NULLs)."""
    if not items:
        return "''"
    return (
        "concat_ws(',', "
        + ", ".join(f"CASE WHEN {cond} THEN {_text(label)} END" for cond, label in items)
        + ")"
    )


_ORDERED = ' ORDER BY "household_id"'


def _evaluate_sql(
    checked: CheckedPack, data: Mapping[str, pa.Table], as_of: dt.date, *, only_hits: bool = True
) -> tuple[str, pa.Table]:
    """The compiled query (without its final sort: the caller groups or sorts) and its params table."""
    counties = data["households"].column("county_code").unique().to_pylist()
    params = parameter_table(checked.pack, counties, as_of)
    sql = _compiled(checked, as_of, only_hits, uniform_values(params)).sql
    return sql.removesuffix(_ORDERED), params


def _run(backend: Backend, sql: str, data: Mapping[str, pa.Table]) -> pa.Table:
    return backend.run(_Sql(sql), data)


@dataclass
class Simulation:
    """The baseline against a scenario on one snapshot, per household and aggregated."""

    as_of: dt.date
    households: int  # in the snapshot
    items: list[tuple[str, str]]
    table: pa.Table  # one row per household flagged by the baseline or the scenario (see COLUMNS)
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return int(pc.sum(pc.equal(self.table.column("status"), status)).as_py() or 0)

    def totals(self) -> dict[str, int]:
        status = self.table.column("status")
        people = self.table.column("people")
        figures = {s: self.count(s) for s in STATUSES}
        for s in ("only_baseline", "only_scenario"):
            figures[f"people_{s}"] = int(pc.sum(people.filter(pc.equal(status, s))).as_py() or 0)
        figures["baseline"] = figures["both"] + figures["only_baseline"]
        figures["scenario"] = figures["both"] + figures["only_scenario"]
        figures["households"] = self.households
        return figures

    def by_area(self, level: str) -> list[dict[str, Any]]:
        """Per county (6 digits), township (9) or village (12): the figures of its households."""
        width = {"county": 6, "township": 9, "village": 12}[level]
        codes = pc.utf8_slice_codeunits(self.table.column("village_code"), 0, width)
        rows: dict[str, dict[str, Any]] = {}
        for code, status, people in zip(
            codes.to_pylist(),
            self.table.column("status").to_pylist(),
            self.table.column("people").to_pylist(),
            strict=True,
        ):
            row = rows.setdefault(
                code,
                {
                    "code": code,
                    **dict.fromkeys(STATUSES, 0),
                    "people_only_baseline": 0,
                    "people_only_scenario": 0,
                },
            )
            row[status] += 1
            if status != "both":
                row[f"people_{status}"] += people or 0
        return [rows[c] for c in sorted(rows)]

    def by_category(self) -> dict[str, dict[str, int]]:
        """Newly flagged by the category the scenario suggests; no longer flagged by the baseline's."""
        out = {c: {"only_baseline": 0, "only_scenario": 0} for c in CATEGORIES}
        for status, column in (
            ("only_scenario", "scenario_category"),
            ("only_baseline", "baseline_category"),
        ):
            chosen = self.table.filter(pc.equal(self.table.column("status"), status)).column(column)
            for category, n in zip(*_value_counts(chosen), strict=True):
                if category in out:
                    out[category][status] += n
        return out

    def by_risk_type(self) -> dict[str, dict[str, int]]:
        out = {r: {"only_baseline": 0, "only_scenario": 0} for r in RISK_TYPES}
        for status, column in (("only_scenario", "scenario_risks"), ("only_baseline", "baseline_risks")):
            chosen = self.table.filter(pc.equal(self.table.column("status"), status)).column(column)
            for risks in chosen.to_pylist():
                for risk in (risks or "").split(","):
                    if risk in out:
                        out[risk][status] += 1
        return out

    def by_rule(self) -> dict[str, dict[str, int]]:
        """Households hit by each rule in the baseline and in the scenario."""
        out: dict[str, dict[str, int]] = {}
        for side in ("baseline", "scenario"):
            for rules in self.table.column(f"{side}_rules").to_pylist():
                for rule in (rules or "").split(","):
                    if rule:
                        out.setdefault(rule, {"baseline": 0, "scenario": 0})[side] += 1
        return out

    def attribution(self) -> list[dict[str, Any]]:
        """Per change (in order): the newly flagged and no longer flagged households it accounts for."""
        attributed = self.table.column("attributed").to_pylist()
        statuses = self.table.column("status").to_pylist()
        rows = [{"kind": k, "name": n, "only_scenario": 0, "only_baseline": 0} for k, n in self.items]
        for status, item in zip(statuses, attributed, strict=True):
            if status != "both" and item is not None and 0 <= item < len(rows):
                rows[item][status] += 1
        return rows

    def examples(self, status: str, limit: int = 10, item: int | None = None) -> list[dict[str, Any]]:
        chosen = self.table.filter(pc.equal(self.table.column("status"), status))
        if item is not None:
            chosen = chosen.filter(pc.equal(chosen.column("attributed"), item))
        return (
            chosen.slice(0, limit)
            .select(["household_id", "village_code", "baseline_rules", "scenario_rules", "attributed"])
            .to_pylist()
        )


def _value_counts(array: pa.ChunkedArray) -> tuple[list[Any], list[int]]:
    counted = pc.value_counts(array)
    return counted.field("values").to_pylist(), counted.field("counts").to_pylist()


def simulate(
    baseline: CheckedPack,
    states: Sequence[CheckedPack],
    data: Mapping[str, pa.Table],
    as_of: dt.date,
    backend: Backend | None = None,
    items: Sequence[tuple[str, str]] = (),
) -> Simulation:
    """The baseline against the last of ``states`` (the scenario); the states before it are the
    intermediate packs of the attribution (state k = the first k+1 changes), in one query.

    ``items`` names the change each state adds (``len(items) == len(states)``; empty: one unnamed change).
    """
    backend = backend or default_duckdb()
    started = time.perf_counter()
    prepared = prepare(data)
    combined = combine(baseline.pack, [s.pack for s in states])
    checked = check_pack(combined.pack)
    sql, params = _evaluate_sql(checked, prepared, as_of)
    compiled_at = time.perf_counter()
    n = len(states)
    flags = [f"{_any(list(m.values()))} AS any_{k}" for k, m in enumerate(combined.rules)]
    sides = []
    for side, pack, mapping in (
        ("baseline", baseline.pack, combined.rules[0]),
        ("scenario", states[-1].pack if states else baseline.pack, combined.rules[-1]),
    ):
        rules = [r for r in pack.rules if r.id in mapping]
        sides.append(
            _list_sql([(_quote(rule_column(mapping[r.id])), r.id) for r in rules]) + f" AS {side}_rules"
        )
        sides.append(_category_sql(pack, mapping) + f" AS {side}_category")
        risks = [
            (_any([mapping[r.id] for r in rules if risk in r.risk_types]), risk)
            for risk in RISK_TYPES
            if any(risk in r.risk_types for r in rules)
        ]
        sides.append(_list_sql(risks) + f" AS {side}_risks")
    query = (
        # The compiled (checked) query, quoted identifiers and quoted literals only.
        f"WITH s AS ({sql}) SELECT s.household_id, h.village_code, {', '.join(flags)}, {', '.join(sides)} "  # noqa: S608
        "FROM s JOIN households h ON h.household_id = s.household_id ORDER BY s.household_id"
    )
    result = _run(backend, query, {**prepared, "params": params})
    ran = time.perf_counter()
    table = _statuses(result, n)
    changed_ids = table.filter(pc.not_equal(table.column("status"), "both")).column("household_id")
    people = _people(backend, prepared["members"], changed_ids)
    table = table.append_column("people", _lookup(table.column("household_id"), people))
    if not states:
        raise ValueError("a simulation needs the scenario's pack")
    names = list(items) if items else [("change", "scenario")] * n
    return Simulation(
        as_of=as_of,
        households=prepared["households"].num_rows,
        items=names,
        table=table,
        seconds=time.perf_counter() - started,
        timings={
            "compile": compiled_at - started,
            "run": ran - compiled_at,
            "collect": time.perf_counter() - ran,
        },
    )


def _statuses(result: pa.Table, n: int) -> pa.Table:
    """Status (both / only_baseline / only_scenario / neither) and the attributed change per household."""
    flags = (
        np.stack(
            [result.column(f"any_{k}").to_numpy(zero_copy_only=False).astype(bool) for k in range(n + 1)]
        )
        if result.num_rows
        else np.zeros((n + 1, 0), bool)
    )
    base, last = flags[0], flags[n]
    status = np.where(
        base & last, "both", np.where(base, "only_baseline", np.where(last, "only_scenario", ""))
    )
    attributed = np.full(result.num_rows, -1, dtype=np.int64)
    for k in range(1, n + 1):
        went_on = flags[k] & ~flags[k - 1]
        went_off = ~flags[k] & flags[k - 1]
        attributed = np.where((last & ~base & went_on) | (base & ~last & went_off), k - 1, attributed)
    if n == 0:
        attributed[:] = -1
    keep = status != ""
    table = result.filter(pa.array(keep))
    table = table.select([c for c in table.column_names if not c.startswith("any_")])
    table = table.append_column("status", pa.array(status[keep], pa.string()))
    return table.append_column("attributed", pa.array(np.where(attributed[keep] >= 0, attributed[keep], 0)))


def _people(backend: Backend, members: pa.Table, household_ids: pa.ChunkedArray | pa.Array) -> pa.Table:
    ids = pa.table({"household_id": pa.array(household_ids.to_pylist() if household_ids else [], pa.int64())})
    sql = (
        "SELECT m.household_id, COUNT(*) AS people FROM members m "
        "WHERE m.is_current AND m.household_id IN (SELECT household_id FROM ids) GROUP BY m.household_id"
    )
    return _run(backend, sql, {"members": members, "ids": ids})


def _lookup(ids: pa.ChunkedArray, people: pa.Table) -> pa.Array:
    index = pc.index_in(ids, value_set=people.column("household_id").combine_chunks())
    values = people.column("people").combine_chunks().cast(pa.int64())
    taken = pc.take(values, index)
    return pc.fill_null(taken, 0)


def scenario_states(
    base: Pack, overlay: Overlay, as_of: dt.date
) -> tuple[list[CheckedPack], list[tuple[str, str]]]:
    """The checked packs of the attribution's states: the first 1, 2, …, n changes (n: the scenario)."""
    items = overlay.items()
    if not items:
        return [check_overlay(base, overlay, as_of)], [("change", "scenario")]
    return [check_overlay(base, overlay.only(k), as_of) for k in range(1, len(items) + 1)], items


# ---------------------------------------------------------------- the sensitivity sweep


@dataclass
class Sweep:
    parameter: str
    values: list[float]
    households: int
    baseline: int  # households flagged by the baseline
    steps: list[dict[str, Any]]  # value, flagged, only_scenario (newly), only_baseline (no longer)
    by_county: dict[str, list[int]]  # county → flagged per step
    seconds: float


def sweep_values(start: float, stop: float, step: float) -> list[float]:
    if step <= 0 or stop < start:
        raise ValueError("the sweep needs start <= stop and a positive step")
    count = int(round((stop - start) / step)) + 1
    if count > MAX_SWEEP_STEPS:
        raise ValueError(f"a sweep has at most {MAX_SWEEP_STEPS} steps, not {count}")
    return [round(start + i * step, 6) for i in range(count)]


def sweep(
    baseline: CheckedPack,
    overlay: Overlay,
    parameter: str,
    values: Sequence[float],
    data: Mapping[str, pa.Table],
    as_of: dt.date,
    backend: Backend | None = None,
) -> Sweep:
    """Flagged households at each value of ``parameter`` (on top of ``overlay``), all in one query."""
    if not 1 <= len(values) <= MAX_SWEEP_STEPS:
        raise ValueError(f"a sweep has 1 to {MAX_SWEEP_STEPS} steps")
    backend = backend or default_duckdb()
    started = time.perf_counter()
    prepared = prepare(data)
    variants = [
        overlay_pack(baseline.pack, replace(overlay, parameters={**overlay.parameters, parameter: v}), as_of)
        for v in values
    ]
    combined = combine(baseline.pack, variants)
    checked = check_pack(combined.pack)
    # Only households some variant flags (filtering first is about twice as fast as masking every row).
    sql, params = _evaluate_sql(checked, prepared, as_of)
    bits = " + ".join(
        f"CASE WHEN {_any(list(m.values()))} THEN {1 << k}::BIGINT ELSE 0::BIGINT END"
        for k, m in enumerate(combined.rules)
    )
    query = (
        f"WITH s AS ({sql}) SELECT county_code, mask, COUNT(*) AS households "  # noqa: S608
        f"FROM (SELECT county_code, ({bits}) AS mask FROM s) t GROUP BY county_code, mask"
    )
    grouped = _run(backend, query, {**prepared, "params": params}).to_pylist()
    steps = [{"value": v, "flagged": 0, "only_scenario": 0, "only_baseline": 0} for v in values]
    by_county: dict[str, list[int]] = {}
    flagged_baseline = 0
    for row in grouped:
        mask, count = int(row["mask"]), int(row["households"])
        in_base = bool(mask & 1)
        flagged_baseline += count if in_base else 0
        per_county = by_county.setdefault(row["county_code"], [0] * len(values))
        for i in range(len(values)):
            on = bool(mask >> (i + 1) & 1)
            if on:
                steps[i]["flagged"] += count
                per_county[i] += count
                if not in_base:
                    steps[i]["only_scenario"] += count
            elif in_base:
                steps[i]["only_baseline"] += count
    return Sweep(
        parameter=parameter,
        values=list(values),
        households=prepared["households"].num_rows,
        baseline=flagged_baseline,
        steps=steps,
        by_county=dict(sorted(by_county.items())),
        seconds=time.perf_counter() - started,
    )


__all__ = [
    "STATUSES",
    "Combined",
    "Overlay",
    "RuleChange",
    "Simulation",
    "Sweep",
    "check_overlay",
    "combine",
    "overlay_pack",
    "overlay_yaml",
    "scenario_states",
    "simulate",
    "sweep",
    "sweep_values",
]
