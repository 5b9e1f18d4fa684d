"""Linkage benchmark: 1M department records against 1M registry people (generated, with errors).

The truth set comes from ``fupin.linkage.synth`` (written to Parquet once per size and seed; generation
is not timed): half the records are clean (the exact ID-number join links them), the others have a
missing, mistyped or transposed ID number, homophone or variant characters in the name, missing birth
dates, sexes and villages; 10% are people who are not registered. Each measurement runs in its own
subprocess (peak memory is that process's ``ru_maxrss``):

* ``exact``   the baseline: the exact ID-number join only (pandas merge), what the importer does today;
* ``linkage`` the exact join, then ``fupin.linkage.model.link_records`` (Splink 4 on DuckDB, 2 threads)
              over the records the join did not link, with the default thresholds.

Precision and recall are over all records (and, for the linker, over the records it was given).

    .venv/bin/python bench/linkage.py --size 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench" / "linkage"


def _paths(size: int, seed: int) -> dict[str, Path]:
    base = DATA / f"{size}-{seed}"
    return {name: base / f"{name}.parquet" for name in ("people", "records", "truth")}


def generate(size: int, seed: int) -> None:
    import pandas as pd

    from fupin.linkage import synth

    paths = _paths(size, seed)
    if all(p.exists() for p in paths.values()):
        return
    paths["people"].parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    truth_set = synth.generate(people=size, records=size, seed=seed, clean_share=0.5)
    truth_set.people.drop(columns="household_id").to_parquet(paths["people"])
    truth_set.records.to_parquet(paths["records"])
    pd.DataFrame(
        {
            "record_id": list(truth_set.truth),
            "person_id": pd.array(list(truth_set.truth.values()), dtype="Int64"),
        }
    ).to_parquet(paths["truth"])
    print(f"generated {size:,} × {size:,} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def measure(mode: str, size: int, seed: int) -> dict[str, object]:
    import pandas as pd

    from fupin.linkage import model

    paths = _paths(size, seed)
    people = pd.read_parquet(paths["people"])
    records = pd.read_parquet(paths["records"]).drop(columns="hard")
    truth_frame = pd.read_parquet(paths["truth"])
    truth = {
        int(r): (None if pd.isna(p) else int(p))
        for r, p in zip(truth_frame["record_id"], truth_frame["person_id"], strict=True)
    }
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    exact = records[["unique_id", "id_number"]].merge(
        people[["unique_id", "id_number"]].rename(columns={"unique_id": "person_id"}), on="id_number"
    )
    exact_pairs = dict(zip(exact["unique_id"].tolist(), exact["person_id"].tolist(), strict=True))
    linker: dict[str, object] = {}
    if mode == "linkage":
        rest = records[~records["unique_id"].isin(exact["unique_id"])]
        result = model.link_records(rest, people, threads=2)
        linker = model.evaluate(result, {int(r): truth[int(r)] for r in rest["unique_id"]}).as_dict()
        linker["compared_pairs"] = result.compared_pairs
        accepted = dict(
            zip(result.accepted["record_id"].tolist(), result.accepted["person_id"].tolist(), strict=True)
        )
        exact_pairs.update(accepted)
    seconds = time.perf_counter() - started
    with_match = sum(1 for p in truth.values() if p is not None)
    correct = sum(1 for r, p in exact_pairs.items() if truth.get(r) == p)
    return {
        "mode": mode,
        "records": len(records),
        "people": len(people),
        "seconds": round(seconds, 1),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "rss_before_gib": round(rss_before / 2**20, 2),
        "linked": len(exact_pairs),
        "precision": round(correct / len(exact_pairs), 5) if exact_pairs else None,
        "recall": round(correct / with_match, 5),
        "linker": linker,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--modes", default="exact,linkage")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.size, args.seed), ensure_ascii=False))
        return
    generate(args.size, args.seed)
    print(json.dumps({"python": platform.python_version(), "cores": os.cpu_count(), "load": os.getloadavg()}))
    for mode in args.modes.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--size", str(args.size), "--seed", str(args.seed), "--child", mode],
            check=True,
            capture_output=True,
            text=True,
        )
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
