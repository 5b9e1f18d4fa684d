"""Benchmark of the province load (issue 19, item 1): ``fupin demo-data --province`` at scale.

Run:  nice -n 10 .venv/bin/python bench/province_load.py --database postgresql --households 100000 1000000

Each measurement runs in a fresh process on a fresh database (PostgreSQL database
``fupin_bench_province``, dropped at the end unless ``--keep``; or SQLite in a temporary var
directory): migrate, then ``fupin.demo.province.load_province`` for province 22 (Jilin, 60 counties)
with the seconds of every stage. Baseline in the same run: the demo county's own path
(``fupin.demo.loader``: the generator, then ``bulk_create`` of the same registry tables, one
``encrypt`` per value) for ``--baseline`` households, on the same database; the ratio is of
households per second. Also measured: the encryption alone, ``PiiCipher.encrypt`` per value against
``encrypt_many``, over the ID numbers of a generated county.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = os.environ.get("FUPIN_BENCH_DATABASE", "fupin_bench_province")
PROVINCE = "22"


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def _fresh_database(database: str, folder: Path) -> None:
    os.environ["FUPIN_VAR_DIR"] = str(folder)
    os.environ["FUPIN_INDICATORS_AUTO_REBUILD"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    if database == "postgresql":
        _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        _psql(f"CREATE DATABASE {DATABASE}")
        os.environ["FUPIN_DATABASE_URL"] = f"{PG_SERVER}/{DATABASE}"
    else:
        os.environ["FUPIN_DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _database_bytes(database: str, folder: Path) -> int:
    from django.db import connection

    if database == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    return sum(p.stat().st_size for p in folder.glob("bench.sqlite3*"))


def one(mode: str, database: str, households: int, workers: int | None) -> dict[str, Any]:
    """One measurement in this process (called through ``--one``)."""
    import datetime as dt

    folder = Path(tempfile.mkdtemp(prefix="fupin-bench-province-"))
    try:
        _fresh_database(database, folder)
        as_of = dt.date(2026, 12, 4)
        if mode == "province":
            from fupin.demo import province

            summary = province.load_province(
                province_code=PROVINCE, households=households, seed=2024, as_of=as_of, workers=workers
            )
            result: dict[str, Any] = {
                "households": summary.households,
                "members": summary.members,
                "income_records": summary.income_records,
                "rows": summary.households
                + summary.members
                + summary.income_records
                + summary.type_history
                + summary.monitoring_history,
                "counties": summary.counties,
                "villages": summary.villages_created,
                "workers": summary.workers,
                "seconds": summary.seconds,
                "stages": summary.stages,
            }
        else:
            result = _demo_path(households, as_of)
        result["database_bytes"] = _database_bytes(database, folder)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["peak_worker_mb"] = children.ru_maxrss / 1024
        return result
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(folder, ignore_errors=True)


def _demo_path(households: int, as_of: Any) -> dict[str, Any]:
    """The demo county's registry path: generate, then the loader's bulk_create of the same tables."""
    from django.db import transaction

    from fupin.demo import generator, loader

    started = time.perf_counter()
    county = loader.county_or_error(generator.DEFAULT_COUNTY_CODE)
    data = generator.generate(households=households, seed=2024, as_of=as_of)
    generated = time.perf_counter()
    summary = loader.LoadSummary(county_code=county.code, county_name=county.name, seed=2024)
    with transaction.atomic():
        villages = loader._write_areas(county, data, summary)
        loader._write_households(data.households, villages, summary, None, loader.BATCH_SIZE)
    done = time.perf_counter()
    return {
        "households": summary.households,
        "members": summary.members,
        "rows": summary.households
        + summary.members
        + summary.income_records
        + summary.type_history
        + summary.monitoring_history,
        "seconds": done - started,
        "stages": {"generate": generated - started, "write (encrypt + bulk_create)": done - generated},
    }


def encryption(households: int = 20_000) -> dict[str, float]:
    """Seconds per value: ``encrypt`` one by one against ``encrypt_many`` (same tokens' format)."""
    import datetime as dt

    from cryptography.fernet import Fernet

    from fupin.demo import generator
    from fupin.pii.crypto import PiiCipher

    cipher = PiiCipher([Fernet.generate_key().decode()], "bench-index-key")
    data = generator.generate(households=households, seed=1, as_of=dt.date(2026, 12, 4))
    values = [m.id_number for h in data.households for m in h.members]
    single = many = float("inf")
    for _ in range(3):  # best of three: the machine is shared
        started = time.perf_counter()
        for v in values:
            cipher.encrypt(v)
        single = min(single, time.perf_counter() - started)
        started = time.perf_counter()
        tokens = cipher.encrypt_many(values)
        many = min(many, time.perf_counter() - started)
    assert [cipher.decrypt(t) for t in tokens[:100]] == values[:100]
    index = cipher.blind_indexer("id")
    started = time.perf_counter()
    for v in values:
        index(v)
        cipher.id_tail_index(v[-4:])
        cipher.id_tail_index(v[-6:])
    indexes = time.perf_counter() - started
    n = len(values)
    return {
        "values": n,
        "encrypt_us": single / n * 1e6,
        "encrypt_many_us": many / n * 1e6,
        "indexes_us": indexes / n * 1e6,
    }


def _run(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--households", type=int, nargs="+", default=[100_000])
    parser.add_argument("--baseline", type=int, default=20_000, help="households through the demo path")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the last PostgreSQL database loaded")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--one", nargs=3, metavar=("MODE", "DATABASE", "HOUSEHOLDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, database, households = args.one
        print(json.dumps(one(mode, database, int(households), args.workers or None)))
        return
    if args.one is None and os.environ.get("FUPIN_BENCH_ENCRYPTION_ONLY"):
        print(json.dumps(encryption()))
        return

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results: dict[str, Any] = {"database": args.database, "load_before": os.getloadavg()}
    env_only = dict(os.environ, FUPIN_BENCH_ENCRYPTION_ONLY="1")
    enc = json.loads(
        subprocess.run(
            [sys.executable, __file__], check=True, capture_output=True, text=True, env=env_only, cwd=ROOT
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    results["encryption"] = enc
    print(
        f"encryption of {enc['values']:,} ID numbers: encrypt {enc['encrypt_us']:.1f} µs/value, "
        f"encrypt_many {enc['encrypt_many_us']:.1f} µs/value "
        f"({enc['encrypt_us'] / enc['encrypt_many_us']:.1f}x), "
        f"blind + suffix indexes {enc['indexes_us']:.1f} µs/value",
        flush=True,
    )
    baseline = _run(["--one", "demo", args.database, str(args.baseline)])
    results["baseline"] = baseline
    base_rate = baseline["households"] / baseline["seconds"]
    print(
        f"demo path, {baseline['households']:,} households: {baseline['seconds']:.1f} s, "
        f"{base_rate:,.0f} households/s, {baseline['rows'] / baseline['seconds']:,.0f} rows/s; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in baseline["stages"].items()),
        flush=True,
    )
    results["province"] = []
    for n in args.households:
        extra = ["--workers", str(args.workers)] if args.workers else []
        r = _run(["--one", "province", args.database, str(n), *extra])
        r["load_after"] = os.getloadavg()
        results["province"].append(r)
        rate = r["households"] / r["seconds"]
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
        print(
            f"province load, {r['households']:,} households ({r['members']:,} members, {r['rows']:,} rows, "
            f"{r['counties']} counties, {r['villages']:,} villages, {r['workers']} workers): "
            f"{r['seconds']:.1f} s, {rate:,.0f} households/s, {r['rows'] / r['seconds']:,.0f} rows/s, "
            f"{rate / base_rate:.1f}x the demo path; stages (s): {stages}; "
            f"database {r['database_bytes'] / 2**30:.2f} GiB, peak RSS {r['peak_mb']:.0f} MB "
            f"(worker {r['peak_worker_mb']:.0f} MB); 10M by extrapolation {10_000_000 / rate / 60:.1f} min; "
            f"load average now {r['load_after'][0]:.2f}",
            flush=True,
        )
    if args.database == "postgresql" and not args.keep:
        _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
