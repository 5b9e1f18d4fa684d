"""Benefits benchmark: the Jilin pack's programmes (seed 002) over generated applications, with every cap.

* engine    ``fupin.engine.benefits.compute`` on DuckDB: one query over the whole table (also run in
            batches, each given the earlier batches' results as history, which must give the same);
* baseline  a row-by-row Python implementation of the same programmes (below): applications sorted by
            date and id, each one's parameters resolved, its expressions evaluated by closures compiled
            once from the pack's checked syntax trees, its caps applied with dictionaries of running
            totals. It is also the tests' oracle (tests/test_benefits_engine.py).

The baseline runs on the first ``--baseline-sample`` applications (by id; 100,000 by default) and its
time is scaled linearly to the full size, which the output says; the engine's results on that sample
are compared with the baseline's, field by field. The engine's one run and the baseline are each
timed ``--repeat`` times (3 by default, alternately, after the engine's warm-up on 1,000) and the
ratio is taken between the medians, so that a burst of load on a shared machine moves neither alone;
the garbage collector runs before each timed run, so that neither pays for the other's garbage.

    .venv/bin/python bench/benefits.py --applications 1000000 --batches 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sqlglot import exp  # noqa: E402

from fupin.engine import benefits  # noqa: E402
from fupin.engine.checker import CheckedPack, check_pack  # noqa: E402
from fupin.engine.packs import load_pack  # noqa: E402
from fupin.engine.parameters import MissingParameter, value_in_force  # noqa: E402
from fupin.engine.programmes import CAP_KINDS, Programme  # noqa: E402

PACK = ROOT / "src" / "fupin" / "policies" / "jilin.yaml"

# ---------------------------------------------------------------- the row-by-row baseline

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]


def _and(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: Any, b: Any) -> Any:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}
_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b,
    exp.Mul: lambda a, b: a * b,
    exp.Div: lambda a, b: None if b == 0 else a / b,
}


def compile_expression(node: exp.Expr) -> Fn:  # noqa: C901 - one branch per node type
    """A checked expression as a Python closure with SQL's NULL semantics."""
    if isinstance(node, exp.Paren):
        return compile_expression(node.this)
    if isinstance(node, exp.Column):
        name = node.name
        return lambda env: env.get(name)
    if isinstance(node, exp.Literal):
        value: Any = (
            node.this if node.is_string else (int(node.this) if node.this.isdigit() else float(node.this))
        )
        return lambda env: value
    if isinstance(node, exp.Boolean):
        flag = node.this
        return lambda env: flag
    if isinstance(node, exp.Null):
        return lambda env: None
    if isinstance(node, exp.And | exp.Or):
        left, right = compile_expression(node.left), compile_expression(node.right)
        combine = _and if isinstance(node, exp.And) else _or
        return lambda env: combine(left(env), right(env))
    if isinstance(node, exp.Not):
        inner = compile_expression(node.this)

        def negate(env: Env) -> Any:
            value = inner(env)
            return None if value is None else not value

        return negate
    if type(node) in _COMPARE:
        op = _COMPARE[type(node)]
        left, right = compile_expression(node.left), compile_expression(node.right)

        def compare(env: Env) -> Any:
            a, b = left(env), right(env)
            return None if a is None or b is None else op(a, b)

        return compare
    if type(node) in _ARITHMETIC:
        arith = _ARITHMETIC[type(node)]
        left, right = compile_expression(node.left), compile_expression(node.right)

        def calculate(env: Env) -> Any:
            a, b = left(env), right(env)
            return None if a is None or b is None else arith(a, b)

        return calculate
    if isinstance(node, exp.Neg):
        inner = compile_expression(node.this)
        return lambda env: None if inner(env) is None else -inner(env)
    if isinstance(node, exp.In):
        left = compile_expression(node.this)
        items = [compile_expression(e) for e in node.expressions]

        def contains(env: Env) -> Any:
            a = left(env)
            if a is None:
                return None
            values = [f(env) for f in items]
            if a in values:
                return True
            return None if None in values else False

        return contains
    if isinstance(node, exp.Between):
        this = compile_expression(node.this)
        low, high = compile_expression(node.args["low"]), compile_expression(node.args["high"])

        def between(env: Env) -> Any:
            a, lo, hi = this(env), low(env), high(env)
            return None if None in (a, lo, hi) else lo <= a <= hi

        return between
    if isinstance(node, exp.Is):
        inner = compile_expression(node.this)
        return lambda env: inner(env) is None
    if isinstance(node, exp.Coalesce | exp.Greatest | exp.Least):
        parts = [compile_expression(node.this), *(compile_expression(e) for e in node.expressions)]

        def pick(env: Env) -> Any:
            values = [f(env) for f in parts]
            present = [v for v in values if v is not None]
            if not present:
                return None
            if isinstance(node, exp.Coalesce):
                return present[0]
            return max(present) if isinstance(node, exp.Greatest) else min(present)

        return pick
    if isinstance(node, exp.Case):
        branches = [
            (compile_expression(b.this), compile_expression(b.args["true"])) for b in node.args["ifs"]
        ]
        default = compile_expression(node.args["default"]) if node.args.get("default") else (lambda env: None)

        def case(env: Env) -> Any:
            for condition, value in branches:
                if condition(env) is True:
                    return value(env)
            return default(env)

        return case
    raise ValueError(f"the baseline cannot evaluate {type(node).__name__}")


def _fen(value: Any) -> int:
    return max(math.floor(float(value) * benefits.FEN + 0.0001), 0) if value is not None else 0


class RowByRow:
    """The programmes applied to one application at a time, in (applied_on, application_id) order."""

    def __init__(self, checked: CheckedPack) -> None:
        self.checked = checked
        self.programmes: dict[str, Programme] = {p.id: p for p in checked.pack.programmes}
        trees = checked.programme_trees
        self.conditions = {
            p.id: [(c.id, compile_expression(trees[f"{p.id}.conditions.{c.id}"])) for c in p.conditions]
            for p in checked.pack.programmes
        }
        self.amounts = {
            p.id: compile_expression(trees[f"{p.id}.amount"]) for p in checked.pack.programmes if p.amount
        }
        self.caps = {
            p.id: {kind: compile_expression(trees[f"{p.id}.caps.{kind}"]) for kind in p.caps}
            for p in checked.pack.programmes
        }
        self.budget = {p.id: benefits._budget_parameter(checked, p) for p in checked.pack.programmes}
        self.yearly = {p.id: {k for k in p.periods if p.period(k) == "year"} for p in checked.pack.programmes}

    def _parameters(
        self, programme: Programme, county: str, on: dt.date
    ) -> tuple[dict[str, Any], str | None]:
        values: dict[str, Any] = {}
        missing = None
        for name, parameter in programme.parameters.items():
            try:
                v = value_in_force(parameter, county, on).value
                values[name] = dt.date.fromordinal(int(v)) if parameter.type == "date" else v
            except MissingParameter:
                missing = missing or name
        return values, missing

    def _year(self, programme_id: str, kind: str, on: dt.date) -> int:
        """The year a cap counts in: the application's year for a yearly cap, 0 for a lifetime one."""
        return on.year if kind in self.yearly.get(programme_id, ()) else 0

    def _budget_key(self, programme: Programme, county: str, on: dt.date) -> str | None:
        name = self.budget[programme.id]
        if name is None:
            return None
        try:
            v = value_in_force(programme.parameters[name], county, on)
        except MissingParameter:
            return None
        return f"{programme.id}|{v.region or 'nation'}|{v.effective_from.isoformat()}"

    def run(
        self, applications: Iterable[Mapping[str, Any]], history: Iterable[Mapping[str, Any]] = ()
    ) -> list[dict[str, Any]]:
        holders: dict[tuple[str, int], int] = {}
        months: dict[tuple[str, int, int], list[dt.date]] = {}
        history_months: dict[tuple[str, int, int], set[dt.date]] = {}
        totals: dict[str, dict[tuple[Any, ...], int]] = {
            kind: {} for kind in ("per_month", "per_person", "per_entity", "budget")
        }
        for h in history:
            programme = self.programmes.get(h["programme"])
            group = programme.once_per_person if programme else None
            if h.get("counted", True) and group and h.get("person_id") is not None:
                key = (group, h["person_id"])
                holders[key] = min(holders.get(key, h["application_id"]), h["application_id"])
            if (
                h.get("month_counted", True)
                and h.get("person_id") is not None
                and h.get("period") is not None
            ):
                year = self._year(h["programme"], "max_months", h["applied_on"])
                history_months.setdefault((h["programme"], h["person_id"], year), set()).add(h["period"])
            counted = h.get("counted_amount", h["amount"]) or 0
            for kind, key in (
                ("per_month", (h["programme"], h.get("person_id"), h.get("period"))),
                (
                    "per_person",
                    (
                        h["programme"],
                        h.get("person_id"),
                        self._year(h["programme"], "per_person", h["applied_on"]),
                    ),
                ),
                (
                    "per_entity",
                    (
                        h["programme"],
                        h.get("entity_id"),
                        self._year(h["programme"], "per_entity", h["applied_on"]),
                    ),
                ),
            ):
                if None not in key:
                    totals[kind][key] = totals[kind].get(key, 0) + counted
            if programme is not None:
                budget_key = self._budget_key(programme, h["county_code"], h["applied_on"])
                if budget_key:
                    key = (budget_key, self._year(h["programme"], "budget", h["applied_on"]))
                    totals["budget"][key] = totals["budget"].get(key, 0) + (h["amount"] or 0)

        results = []
        for row in sorted(applications, key=lambda r: (r["applied_on"], r["application_id"])):
            results.append(self._one(row, holders, months, history_months, totals))
        results.sort(key=lambda r: r["application_id"])
        return results

    def _one(
        self,
        row: Mapping[str, Any],
        holders: dict[tuple[str, int], int],
        months: dict[tuple[str, int, int], list[dt.date]],
        history_months: dict[tuple[str, int, int], set[dt.date]],
        totals: dict[str, dict[tuple[Any, ...], int]],
    ) -> dict[str, Any]:
        period = row.get("period")
        if period is not None:
            period = period.replace(day=1)
        out: dict[str, Any] = {
            "application_id": row["application_id"],
            "programme": row["programme"],
            "applied_on": row["applied_on"],
            "county_code": row["county_code"],
            "person_id": row.get("person_id"),
            "entity_id": row.get("entity_id"),
            "period": period,
            "holder": None,
            "counted": False,
        }
        for kind in CAP_KINDS:
            out[f"limit_{kind}"] = None
            if kind in benefits.CUMULATIVE:
                out[f"used_{kind}"] = None
            out[f"cut_{kind}"] = None
        programme = self.programmes.get(row["programme"])
        refusal = detail = None
        env: dict[str, Any] = {}
        if programme is None:
            refusal = "unknown_programme"
        elif not (
            programme.effective_from <= row["applied_on"]
            and (programme.effective_to is None or row["applied_on"] <= programme.effective_to)
        ):
            refusal = "not_in_force"
        else:
            params, missing = self._parameters(programme, row["county_code"], row["applied_on"])
            env = {**row, "period": period, **params}
            if missing:
                refusal, detail = "no_parameter", missing
            else:
                for column in programme.needs():
                    if env.get(column) is None:
                        refusal, detail = "missing_id", column
                        break
                else:
                    for condition_id, condition in self.conditions[programme.id]:
                        if condition(env) is not True:
                            refusal, detail = "condition", condition_id
                            break
        group = programme.once_per_person if programme else None
        if refusal is None and group:
            key = (group, row["person_id"])
            out["holder"] = holders.get(key, row["application_id"])
            if key in holders:
                refusal = "once_per_person"
            else:
                holders[key] = row["application_id"]
                out["counted"] = True
        out["eligible"] = refusal is None
        out["refusal"], out["refusal_detail"] = refusal, detail
        amount = 0
        if refusal is None and programme is not None and programme.id in self.amounts:
            amount = _fen(self.amounts[programme.id](env))
        out["base"] = amount
        month_counted = False
        before_budget = 0
        assert programme is not None or refusal is not None
        caps = self.caps[programme.id] if programme is not None else {}
        for kind in CAP_KINDS:
            if kind not in caps:
                continue
            raw = caps[kind](env) if env else None
            if kind == "max_months":
                limit = max(math.floor(float(raw) + 0.0001), 0) if raw is not None else 0
            else:
                limit = _fen(raw)
            out[f"limit_{kind}"] = limit
            before = amount
            if kind == "per_application":
                amount = min(amount, limit)
            elif kind == "max_months":
                if amount > 0:
                    key2 = (
                        row["programme"],
                        row["person_id"],
                        self._year(row["programme"], kind, row["applied_on"]),
                    )
                    in_history = period in history_months.get(key2, set())
                    if not in_history:
                        seen = months.setdefault(key2, [])
                        if period not in seen:
                            seen.append(period)
                        index = len(history_months.get(key2, set())) + seen.index(period) + 1
                        out["used_max_months"] = min(index - 1, limit)
                        if index > limit:
                            amount = 0
                    month_counted = amount > 0
            else:
                year = self._year(row["programme"], kind, row["applied_on"])
                key = {
                    "per_month": (row["programme"], row.get("person_id"), period),
                    "per_person": (row["programme"], row.get("person_id"), year),
                    "per_entity": (row["programme"], row.get("entity_id"), year),
                    "budget": (self._budget_key(programme, row["county_code"], row["applied_on"]), year)
                    if programme
                    else (None, year),
                }[kind]
                used = totals[kind].get(key, 0)
                out[f"used_{kind}"] = min(used, limit)
                amount = max(0, min(amount, limit - used))
                totals[kind][key] = used + amount
            if kind == "budget":
                before_budget = before
            out[f"cut_{kind}"] = before - amount
        # What counts against the per-person, per-month and per-entity caps: all but the budget's cut.
        out["counted_amount"] = before_budget if "budget" in caps else amount
        out["month_counted"] = month_counted
        out["amount"] = amount
        return out


# ---------------------------------------------------------------- generated applications

PROGRAMME_SHARES = {
    "employment_one_time": 0.30,
    "temporary_welfare_post": 0.25,
    "transport_subsidy": 0.20,
    "production_subsidy": 0.08,
    "consumption_reward": 0.07,
    "microcredit_extension": 0.10,
}
COUNTIES = [f"22{pref:02d}{c:02d}" for pref in range(1, 10) for c in range(21, 25)]


def generate(n: int, seed: int) -> pa.Table:
    """Applications of every programme, with enough repeats (workers at several enterprises, posts
    claimed month after month, entities with many applications) that every cap binds somewhere."""
    rng = random.Random(seed)
    people = max(n // 3, 10)
    entities = max(n // 60, 5)
    names = list(PROGRAMME_SHARES)
    weights = list(PROGRAMME_SHARES.values())
    start = dt.date(2022, 1, 1)  # two years: the yearly caps start again in 2023
    columns: dict[str, list[Any]] = {k: [] for k in benefits.application_columns(_checked())}
    categories = ["lifted_out", "monitored", "ordinary"]
    for i in range(1, n + 1):
        programme = rng.choices(names, weights)[0]
        person = rng.randint(1, people)
        entity = rng.randint(1, entities)
        applied = start + dt.timedelta(days=rng.randint(0, 729))
        row: dict[str, Any] = dict.fromkeys(columns)
        row.update(
            application_id=i,
            programme=programme,
            applied_on=applied,
            county_code=COUNTIES[
                (
                    entity
                    if programme in ("production_subsidy", "consumption_reward", "employment_one_time")
                    else person
                )
                % len(COUNTIES)
            ],
            person_category=rng.choices(categories, [6, 3, 1])[0],
        )
        if programme == "employment_one_time":
            row.update(
                person_id=person,
                entity_id=entity,
                hire_date=dt.date(2019, 6, 1) + dt.timedelta(days=rng.randint(0, 1000)),
                months_worked=rng.randint(1, 12),
                monthly_wage=float(rng.choice([1500, 1640, 1800, 2500, 3200])),
            )
        elif programme == "temporary_welfare_post":
            month = rng.randint(1, 12)
            row.update(person_id=person, post_id=person % 5000 + 1, period=dt.date(2022, month, 1))
        elif programme == "transport_subsidy":
            row.update(
                person_id=person,
                inter_provincial=rng.random() < 0.8,
                contract_months=rng.choice([3, 5, 6, 12]),
                fare=round(rng.uniform(200, 2200), 2),
            )
        elif programme == "production_subsidy":
            row.update(entity_id=entity, persons_driven=rng.randint(0, 60))
        elif programme == "consumption_reward":
            row.update(
                entity_id=entity, unsalable=rng.random() < 0.9, purchases=round(rng.uniform(1000, 300000), 2)
            )
        else:
            row.update(person_id=person, extension_months=rng.randint(0, 9))
        for k, v in row.items():
            columns[k].append(v)
    return pa.table(
        {k: pa.array(v, benefits.application_columns(_checked()).get(k).arrow) for k, v in columns.items()}  # type: ignore[union-attr]
    )


_CHECKED: CheckedPack | None = None


def _checked() -> CheckedPack:
    global _CHECKED
    if _CHECKED is None:
        _CHECKED = check_pack(load_pack(PACK))
    return _CHECKED


def batched(checked: CheckedPack, table: pa.Table, batches: int) -> pa.Table:
    """The applications in ``batches`` runs in date order, each given the earlier runs' results."""
    order = pc.sort_indices(table, [("applied_on", "ascending"), ("application_id", "ascending")])
    ordered = table.take(order)
    size = math.ceil(table.num_rows / batches)
    results: list[pa.Table] = []
    for start in range(0, table.num_rows, size):
        history = pa.concat_tables(results) if results else None
        results.append(benefits.compute(checked, ordered.slice(start, size), history).table)
    combined = pa.concat_tables(results)
    return combined.take(pc.sort_indices(combined, [("application_id", "ascending")]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--baseline-sample", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps({"python": platform.python_version(), "cores": os.cpu_count(), "load": os.getloadavg()}))
    checked = _checked()
    t0 = time.perf_counter()
    table = generate(args.applications, args.seed)
    print(f"generated {table.num_rows:,} applications in {time.perf_counter() - t0:.1f} s (not timed)")
    counts = dict(
        zip(*[c.to_pylist() for c in pc.value_counts(table.column("programme")).flatten()], strict=True)
    )
    print("programmes:", json.dumps(counts, ensure_ascii=False))

    benefits.compute(checked, table.slice(0, 1000))  # warm up: the query is compiled once per pack
    sample = table.slice(0, min(args.baseline_sample, table.num_rows))
    rows = sample.to_pylist()
    baseline = RowByRow(checked)
    engine_times: list[tuple[float, float]] = []
    baseline_times: list[tuple[float, float]] = []
    for attempt in range(args.repeat):
        # Each side starts from a collected heap: neither pays for the garbage the other left.
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        result = benefits.compute(checked, table)
        engine_times.append((time.perf_counter() - started, time.process_time() - cpu))
        timings = {k: round(v, 2) for k, v in result.timings.items()}
        print(
            f"engine (duckdb), one run #{attempt + 1}: {engine_times[-1][0]:.2f} s wall, "
            f"{engine_times[-1][1]:.2f} s cpu {timings}; load {os.getloadavg()[0]:.1f}"
        )
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        expected = baseline.run(rows)
        baseline_times.append((time.perf_counter() - started, time.process_time() - cpu))
        print(
            f"baseline (row by row) #{attempt + 1}: {baseline_times[-1][0]:.2f} s wall, "
            f"{baseline_times[-1][1]:.2f} s cpu for {sample.num_rows:,}; load {os.getloadavg()[0]:.1f}"
        )
    engine_s, engine_cpu = (statistics.median(t[i] for t in engine_times) for i in (0, 1))
    baseline_s, baseline_cpu = (statistics.median(t[i] for t in baseline_times) for i in (0, 1))
    total = result.total()
    print(
        f"engine (duckdb), one run, median of {args.repeat}: {engine_s:.2f} s wall, {engine_cpu:.2f} s cpu, "
        f"{table.num_rows / engine_s:,.0f}/s (best {min(t[0] for t in engine_times):.2f} s)"
    )

    gc.collect()
    started = time.perf_counter()
    in_batches = batched(checked, table, args.batches)
    batched_s = time.perf_counter() - started
    same = in_batches.column("amount").equals(result.table.column("amount"))
    print(
        f"engine (duckdb), {args.batches} batches in date order with history: {batched_s:.2f} s; "
        f"same amounts as one run: {same}"
    )

    scaled = baseline_s * table.num_rows / sample.num_rows
    scaled_cpu = baseline_cpu * table.num_rows / sample.num_rows
    got = benefits.compute(checked, sample).table.to_pylist()
    mismatches = sum(1 for a, b in zip(got, expected, strict=True) if a != b)
    print(
        f"baseline (row by row), median of {args.repeat}: {baseline_s:.2f} s wall, {baseline_cpu:.2f} s cpu "
        f"for {sample.num_rows:,} "
        f"→ {scaled:.1f} s scaled to {table.num_rows:,}; "
        f"engine vs baseline on the sample: {mismatches} mismatches"
    )
    granted = pc.sum(pc.cast(pc.greater(result.table.column("amount"), 0), pa.int64())).as_py()
    cuts = {
        k: int(
            pc.sum(
                pc.cast(pc.greater(pc.fill_null(result.table.column(f"cut_{k}"), 0), 0), pa.int64())
            ).as_py()
        )
        for k in CAP_KINDS
    }
    print(f"granted {granted:,} applications, {total / 100:,.2f} yuan; applications cut per cap: {cuts}")
    print(
        f"RATIO engine vs baseline (scaled, medians): {scaled / engine_s:.1f}x wall, "
        f"{scaled_cpu / engine_cpu:.1f}x cpu; "
        f"batched vs one run: {batched_s / engine_s:.2f}x"
    )


if __name__ == "__main__":
    main()
