"""Policy what-if benchmark: a scenario against the baseline, and a 31-step sensitivity sweep.

The data is bench/screening.py's generated snapshot (the same generator, seed and Parquet folder, made
once per size); reading it into Arrow is not part of any figure. Measured in one process, on DuckDB:

* twice     ``screen`` with the baseline pack, then with the scenario's pack (two screening runs);
* simulate  ``engine.scenarios.simulate``: both in one query, with the per-household difference, the
            aggregation by county/township/village and the members' count of the changed households;
* sweep     ``engine.scenarios.sweep`` over the monitoring range, 5,000 to 8,000 in steps of 100
            (31 values) in one query;
* 31 runs   ``screen`` once per value (only with ``--sweep-runs``: 31 screenings take long at 10M).

The simulation's counts are checked against the two screenings', and the sweep's step at the scenario's
value against the simulation's.

    flock /tmp/bench.lock .venv/bin/python bench/bench_scenarios.py --households 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.screening import AS_OF, PACK, SOURCES, generate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--base", default=str(ROOT / "var" / "bench" / "screening"))
    parser.add_argument("--range", type=float, default=7500.0, help="the scenario's monitoring range")
    parser.add_argument("--sweep-runs", action="store_true", help="also screen once per sweep value")
    args = parser.parse_args()

    from fupin.engine import scenarios as sc
    from fupin.engine.checker import check_pack
    from fupin.engine.packs import load_pack
    from fupin.engine.screening import screen

    folder = Path(args.base) / f"h{args.households}-s{args.seed}"
    if not (folder / "meta.json").exists():
        print(f"generating {args.households:,} households into {folder} ...", flush=True)
        meta = generate(folder, args.households, args.seed)
        print(f"  generated in {meta['seconds']:.1f} s", flush=True)
    started = time.perf_counter()
    data = {s: pq.read_table(folder / f"{s}.parquet") for s in SOURCES}
    print(
        f"read {args.households:,} households in {time.perf_counter() - started:.1f} s (not counted)",
        flush=True,
    )

    base = check_pack(load_pack(PACK))
    overlay = sc.Overlay({"monitoring_range": args.range})
    results: dict[str, object] = {"households": args.households, "nproc": os.cpu_count()}

    t = time.perf_counter()
    scenario = sc.check_overlay(base.pack, overlay, AS_OF)
    first = screen(base, data, AS_OF)
    second = screen(scenario, data, AS_OF)
    results["twice"] = time.perf_counter() - t
    base_ids = set(first.evaluated.column("household_id").to_pylist())
    scenario_ids = set(second.evaluated.column("household_id").to_pylist())
    del first, second
    print(f"screening twice: {results['twice']:.1f} s", flush=True)

    t = time.perf_counter()
    states, items = sc.scenario_states(base.pack, overlay, AS_OF)
    simulation = sc.simulate(base, states, data, AS_OF, items=items)
    totals = simulation.totals()
    for level in ("county", "township", "village"):
        simulation.by_area(level)
    simulation.by_category()
    simulation.by_risk_type()
    simulation.attribution()
    results["simulate"] = time.perf_counter() - t
    results["simulate_timings"] = simulation.timings
    results["totals"] = totals
    assert totals["only_scenario"] == len(scenario_ids - base_ids), totals
    assert totals["only_baseline"] == len(base_ids - scenario_ids), totals
    assert totals["both"] == len(base_ids & scenario_ids), totals
    print(f"simulation: {results['simulate']:.1f} s {totals}", flush=True)
    del simulation

    values = sc.sweep_values(5000, 8000, 100)
    t = time.perf_counter()
    swept = sc.sweep(base, sc.Overlay(), "monitoring_range", values, data, AS_OF)
    results["sweep"] = time.perf_counter() - t
    at = next(s for s in swept.steps if s["value"] == args.range)
    assert at["flagged"] == totals["scenario"] and at["only_scenario"] == totals["only_scenario"], at
    print(f"sweep of {len(values)} steps: {results['sweep']:.1f} s", flush=True)

    if args.sweep_runs:
        t = time.perf_counter()
        for value in values:
            packed = sc.check_overlay(base.pack, sc.Overlay({"monitoring_range": value}), AS_OF)
            result = screen(packed, data, AS_OF)
            step = next(s for s in swept.steps if s["value"] == value)
            assert result.evaluated.num_rows == step["flagged"], (value, step)
            del result
        results["runs_31"] = time.perf_counter() - t
        print(f"31 screenings: {results['runs_31']:.1f} s", flush=True)

    results["ratio_simulate_vs_twice"] = results["simulate"] / results["twice"]  # type: ignore[operator]
    results["ratio_sweep_vs_simulate"] = results["sweep"] / results["simulate"]  # type: ignore[operator]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        )
        results["commit"] = commit.stdout.strip()
    except OSError:
        pass
    print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
