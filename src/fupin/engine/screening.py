"""Screening: a checked pack, the input tables and a date in; one row per (household, rule hit) out.

``screen`` is the only way rules are evaluated, for a batch of ten million households and for the
one household just saved on a page, so the two can never disagree.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from fupin.engine import tables
from fupin.engine.backends import Backend, default_duckdb
from fupin.engine.checker import CheckedPack, message_names
from fupin.engine.compiler import Compiled, compile_pack, rule_column
from fupin.engine.packs import CATEGORIES
from fupin.engine.parameters import parameter_table, values_used


@dataclass
class ScreenResult:
    checked: CheckedPack
    engine: str
    as_of: dt.date
    households: int
    evaluated: pa.Table  # one row per household that hit something (or all, with only_hits=False)
    counts: dict[str, int]
    parameters: dict[str, dict[str, object]]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    _hits: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def pack(self) -> str:
        return self.checked.pack.label

    @property
    def hits(self) -> list[dict[str, Any]]:
        """One dict per hit with its values: for a county's clues; a national run uses hit_table()."""
        if self._hits is None:
            self._hits = hits_of(self.checked, self.evaluated)
        return self._hits

    def hit_table(self) -> pa.Table:
        return hit_table(self.checked, self.evaluated)


def prepare(data: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """The four source tables, conformed to their schemas (an absent feed table is empty)."""
    prepared = {}
    for source in tables.SOURCES:
        table = data.get(source)
        prepared[source] = tables.empty(source) if table is None else tables.conform(source, table)
    return prepared


def screen(
    checked: CheckedPack,
    data: Mapping[str, pa.Table],
    as_of: dt.date,
    backend: Backend | None = None,
    *,
    only_hits: bool = True,
) -> ScreenResult:
    backend = backend or default_duckdb()
    started = time.perf_counter()
    prepared = prepare(data)
    counties = prepared["households"].column("county_code").unique().to_pylist()
    prepared["params"] = parameter_table(checked.pack, counties, as_of)
    compiled = _compiled(checked, as_of, only_hits, uniform_values(prepared["params"]))
    evaluated = backend.run(compiled, prepared)
    ran = time.perf_counter()
    return ScreenResult(
        checked=checked,
        engine=backend.name,
        as_of=as_of,
        households=prepared["households"].num_rows,
        evaluated=evaluated,
        counts=rule_counts(checked, evaluated),
        parameters=values_used(checked.pack, counties, as_of),
        seconds=time.perf_counter() - started,
        timings={"evaluate": ran - started, "collect": time.perf_counter() - ran},
    )


def uniform_values(params: pa.Table) -> dict[str, float | int | bool]:
    """Parameters with the same value in every county of the run (most of them, most of the time)."""
    uniform = {}
    for name in params.column_names:
        if name == "county_code":
            continue
        values = params.column(name).unique().to_pylist()
        if len(values) == 1 and values[0] is not None:
            uniform[name] = values[0]
    return uniform


_COMPILED: dict[tuple[Any, ...], tuple[CheckedPack, Compiled]] = {}


def _compiled(
    checked: CheckedPack, as_of: dt.date, only_hits: bool, constants: dict[str, float | int | bool]
) -> Compiled:
    """Compiling takes longer than screening one household: keep the last few queries per pack."""
    key = (id(checked), as_of, only_hits, tuple(sorted(constants.items())))
    cached = _COMPILED.get(key)
    if cached is not None and cached[0] is checked:  # the id of a pack that is gone may be reused
        return cached[1]
    compiled = compile_pack(checked, as_of, only_hits=only_hits, constants=constants)
    if len(_COMPILED) >= 32:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[key] = (checked, compiled)
    return compiled


def _plain(value: object, kind: str | None = None) -> object:
    """A JSON-ready value; counts as whole numbers and money rounded to the fen, whatever numeric
    type the engine returned (DuckDB sums integers as HUGEINT, Spark as DECIMAL)."""
    if kind == "integer" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return round(value, 2)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def hits_of(checked: CheckedPack, evaluated: pa.Table) -> list[dict[str, Any]]:
    """One dict per (household, rule hit), with the values its message shows (for writing clues)."""
    shown = sorted(n for n in message_names(checked.pack) if n in evaluated.column_names)
    kinds = {**{n: p.type for n, p in checked.pack.parameters.items()}, **checked.variable_kinds}
    rules = checked.pack.rules
    rule_columns = {r.id: evaluated.column(rule_column(r.id)).to_pylist() for r in rules}
    value_columns = {n: evaluated.column(n).to_pylist() for n in shown}
    households = evaluated.column("household_id").to_pylist()
    hits = []
    for row, household_id in enumerate(households):
        values = None
        for rule in rules:
            if not rule_columns[rule.id][row]:
                continue
            if values is None:
                values = {n: _plain(value_columns[n][row], kinds.get(n)) for n in shown}
            hits.append(
                {
                    "household_id": household_id,
                    "rule_id": rule.id,
                    "category": rule.category,
                    "risk_types": list(rule.risk_types),
                    "severity": rule.severity,
                    "values": values,
                }
            )
    return hits


def hit_table(checked: CheckedPack, evaluated: pa.Table) -> pa.Table:
    """The hits as a long Arrow table (household_id, rule_id), built column-wise: what a province
    or national run writes out, without a Python object per hit."""
    household_ids = evaluated.column("household_id")
    parts = []
    for rule in checked.pack.rules:
        mask = pc.fill_null(evaluated.column(rule_column(rule.id)), False)
        ids = household_ids.filter(mask)
        parts.append(pa.table({"household_id": ids, "rule_id": pa.array([rule.id] * len(ids), pa.string())}))
    if not parts:
        return pa.table({"household_id": pa.array([], pa.int64()), "rule_id": pa.array([], pa.string())})
    return pa.concat_tables(parts)


def rule_counts(checked: CheckedPack, evaluated: pa.Table) -> dict[str, int]:
    return {
        rule.id: int(
            pc.sum(pc.cast(pc.fill_null(evaluated.column(rule_column(rule.id)), False), pa.int64())).as_py()
            or 0
        )
        for rule in checked.pack.rules
    }


def explain(rule_message: Mapping[str, str], values: Mapping[str, object], language: str) -> str:
    """The rule's message in a language, with the values that made it fire."""
    template = rule_message.get(language) or rule_message.get("en", "")
    return template.format_map({k: _format_value(v, language) for k, v in values.items()})


_YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}


def _format_value(value: object, language: str) -> str:
    if isinstance(value, bool):
        yes, no = _YES_NO.get(language, _YES_NO["en"])
        return yes if value else no
    if isinstance(value, float):
        return f"{value:,.2f}"
    return "—" if value is None else str(value)


_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def suggestion(hits: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The category a household's hits suggest (most severe first, then the pack's order of
    categories) and its risk types (at most five, most severe hits first)."""
    ordered = sorted(
        hits, key=lambda h: (_SEVERITY_ORDER.get(h["severity"], 9), CATEGORIES.index(h["category"]))
    )
    risk_types: list[str] = []
    for hit in ordered:
        for risk in hit["risk_types"]:
            if risk not in risk_types:
                risk_types.append(risk)
    return ordered[0]["category"], risk_types[:5]
