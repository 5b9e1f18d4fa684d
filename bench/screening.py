"""Screening benchmark: the national monitoring pack over generated households on every engine.

Generated data at the given sizes (about 2.6 members, 2 income years and 3 department-feed records per
household) is written as Parquet once per size and seed; snapshot/generation time is printed but is not
part of any screening figure. Each measurement then runs in its own subprocess so that peak memory
figures do not pollute each other:

* duckdb   ``DuckDBBackend().run_parquet`` straight over the Parquet files, then ``hits_of``;
* pandas   a plain-pandas implementation of the same rules (the baseline), written by hand below;
* postgres the tables loaded into a scratch schema with ADBC (load timed separately), ANALYZE, then
           ``PostgresBackend.run_in_place`` and ``hits_of``; the schema is dropped afterwards;
* spark    ``SparkBackend().run_parquet`` in local[2] mode on the loopback interface, then ``hits_of``.

End to end means: load and check the pack, compile (parameters with one value everywhere as literals,
as ``screen`` does), run, and collect the hits with ``hits_of`` (one dict per hit); "columnar" collects
them with ``hit_table`` instead. Every engine's set of (household_id, rule_id) hits is compared with
DuckDB's.

    .venv/bin/python bench/screening.py --households 1000000,10000000 --engines duckdb,pandas,postgres,spark
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from fupin.engine import tables  # noqa: E402

PACK = ROOT / "src" / "fupin" / "policies" / "national-monitoring.yaml"
AS_OF = dt.date(2026, 6, 30)
CHUNK = 1_000_000  # households generated per chunk (the data depends on the seed and this, not on memory)
SOURCES = ("households", "members", "incomes", "feeds")
ENGINES = ("duckdb", "pandas", "postgres", "spark")
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/postgres"
GB = 1024**3

# Three provinces (Jilin, Guizhou, Gansu), 8 prefectures each, 5 counties each, 50 villages per county.
PROVINCES = ("22", "52", "62")
COUNTIES = [f"{p}{pref:02d}{c:02d}" for p in PROVINCES for pref in range(1, 9) for c in range(21, 26)]
VILLAGES_PER_COUNTY = 50
VILLAGES = [f"{county}{t:03d}{v:03d}" for county in COUNTIES for t in range(1, 6) for v in range(1, 11)]

CATEGORY_VALUES = ("", "unstable_lifted", "marginal", "sudden_difficulty")
HOUSING_VALUES = ("A", "B", "C", "D", "")
FEED_KINDS = ("medical", "insurance", "school", "housing", "disaster", "returned_migrant")
FEED_KIND_SHARES = (0.45, 0.25, 0.15, 0.07, 0.05, 0.03)
# Per kind: codes, their shares, and the mean amount in yuan (0: the record carries no amount).
FEED_CODES: dict[str, tuple[tuple[str, ...], tuple[float, ...], tuple[float, ...]]] = {
    "medical": (
        ("outpatient", "inpatient", "chronic_disease", "serious_illness"),
        (0.60, 0.25, 0.12, 0.03),
        (300.0, 5000.0, 1500.0, 20000.0),
    ),
    "insurance": (("enrolled", "renewed", "lapsed"), (0.50, 0.46, 0.04), (380.0, 380.0, 0.0)),
    "school": (
        ("enrolled", "transferred", "dropped_out", "returned"),
        (0.90, 0.07, 0.02, 0.01),
        (0, 0, 0, 0),
    ),
    "housing": (("A", "B", "C", "D"), (0.45, 0.35, 0.15, 0.05), (0, 0, 0, 0)),
    "disaster": (
        ("flood", "drought", "hail", "earthquake", "landslide"),
        (0.40, 0.30, 0.15, 0.05, 0.10),
        (8000.0, 5000.0, 3000.0, 20000.0, 10000.0),
    ),
    "returned_migrant": (("returned",), (1.0,), (0.0,)),
}


# --------------------------------------------------------------------------------------------------
# Generator


def _strings(values: list[str] | tuple[str, ...], index: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(index.astype(np.int32)))


def _pick(rng: np.random.Generator, shares: tuple[float, ...], size: int) -> np.ndarray:
    """Indexes 0..len(shares)-1 drawn with the given shares."""
    edges = np.cumsum(shares)
    edges[-1] = 1.0
    return np.searchsorted(edges, rng.random(size), side="right")


def _cents(yuan: np.ndarray) -> np.ndarray:
    return np.rint(yuan * 100).astype(np.int64)


def _per_capita_cents(net_cents: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Net ÷ size rounded half away from zero to the fen, like fupin.domain.income (size > 0)."""
    size = np.maximum(size, 1)
    magnitude = (2 * np.abs(net_cents) + size) // (2 * size)
    return np.sign(net_cents) * magnitude


def _date32(epoch_days: np.ndarray) -> pa.Array:
    return pa.array(epoch_days.astype(np.int32), pa.int32()).cast(pa.date32())


def generate_chunk(
    seed: int, chunk: int, first_household: int, n: int, first_member: int, first_record: int
) -> dict[str, pa.Table]:
    rng = np.random.default_rng([seed, chunk])
    as_of_days = (AS_OF - dt.date(1970, 1, 1)).days

    # Households
    household_id = np.arange(first_household, first_household + n, dtype=np.int64)
    village = rng.integers(0, len(VILLAGES), n)
    county = village // VILLAGES_PER_COUNTY
    lifted = rng.random(n) < 0.20
    monitored = rng.random(n) < 0.03
    category = np.where(
        monitored, np.where(lifted, 1, np.where(rng.random(n) < 0.7, 2, 3)), 0
    )  # "", unstable_lifted, marginal, sudden_difficulty
    status = np.where(monitored, 2, np.where(lifted, 0, 1))
    households = pa.table(
        {
            "household_id": household_id,
            "county_code": _strings(COUNTIES, county),
            "village_code": _strings(VILLAGES, village),
            "household_type": _strings(("lifted_out", "ordinary"), np.where(lifted, 0, 1)),
            "status": _strings(("lifted", "normal", "monitored"), status),
            "monitoring_category": _strings(CATEGORY_VALUES, category),
            "housing_safety": _strings(HOUSING_VALUES, _pick(rng, (0.68, 0.26, 0.035, 0.01, 0.015), n)),
            "water_difficult": rng.random(n) < 0.02,
            "water_safe": rng.random(n) >= 0.03,
            "has_electricity": rng.random(n) >= 0.001,
        }
    )

    # Members: head, spouse, then children (80%) or parents (20%); 2.66 members on average.
    size = 1 + _pick(rng, (0.22, 0.32, 0.20, 0.14, 0.08, 0.04), n)
    total = int(size.sum())
    local = np.repeat(np.arange(n), size)
    starts = np.cumsum(size) - size
    position = np.arange(total) - starts[local]
    head_age = np.clip(rng.normal(np.where(lifted, 58, 52), 13), 20, 95).astype(np.int64)[local]
    parent = rng.random(total) < 0.2
    age = np.where(
        position == 0,
        head_age,
        np.where(
            position == 1,
            np.clip(head_age + rng.integers(-6, 4, total), 18, 100),
            np.where(
                parent,
                np.minimum(head_age + rng.integers(20, 31, total), 100),
                np.maximum(head_age - rng.integers(18, 39, total), 0),
            ),
        ),
    )
    birth = as_of_days - np.floor(age * 365.25).astype(np.int64) - rng.integers(0, 365, total)
    relation = np.where(position == 0, 0, np.where(position == 1, 1, np.where(parent, 3, 2)))
    head_male = rng.random(n) < 0.8
    male = np.where(
        position == 0, head_male[local], np.where(position == 1, ~head_male[local], rng.random(total) < 0.5)
    )
    old = age >= 60
    r = rng.random(total)
    health = np.where(
        old,
        np.searchsorted(np.cumsum((0.78, 0.14, 0.04)), r, side="right"),
        np.searchsorted(np.cumsum((0.905, 0.05, 0.02)), r, side="right"),
    )  # healthy, chronic, serious, disabled
    certificate = np.where(health == 3, rng.random(total) < 0.75, rng.random(total) < 0.002)
    r = rng.random(total)
    labour = np.select(
        [
            age < 16,
            (health == 2) | (health == 3),
            age >= 70,
            age >= 60,
        ],
        [
            np.full(total, 4),
            np.where(r < 0.5, 2, 3),
            np.where(r < 0.5, 2, np.where(r < 0.9, 3, 4)),
            np.where(r < 0.4, 0, np.where(r < 0.85, 2, 3)),
        ],
        default=np.where(r < 0.72, 0, np.where(r < 0.90, 1, np.where(r < 0.97, 2, 3))),
    )  # ordinary, skilled, weak, lost, none
    r = rng.random(total)
    schooling = np.select(
        [age < 6, age <= 15, age <= 22],
        [
            np.full(total, 1),
            np.where(r < 0.986, 2, np.where(r < 0.996, 3, 4)),
            np.where(r < 0.45, 2, 5),
        ],
        default=0,
    )  # not_applicable, preschool, in_school, dropped_out, never_enrolled, graduated
    working_age = (age >= 16) & (age < 60)
    migrant = working_age & (rng.random(total) < 0.35)
    current = rng.random(total) >= 0.02
    members = pa.table(
        {
            "member_id": np.arange(first_member, first_member + total, dtype=np.int64),
            "household_id": household_id[local],
            "is_current": current,
            "sex": _strings(("F", "M"), male.astype(np.int64)),
            "birth_date": _date32(birth),
            "relation": _strings(("head", "spouse", "child", "parent"), relation),
            "health": _strings(("healthy", "chronic", "serious", "disabled"), health),
            "has_disability_certificate": certificate,
            "labour_capacity": _strings(("ordinary", "skilled", "weak", "lost", "none"), labour),
            "schooling_status": _strings(
                ("not_applicable", "preschool", "in_school", "dropped_out", "never_enrolled", "graduated"),
                schooling,
            ),
            "basic_medical_insurance": rng.random(total) >= 0.015,
            "receives_dibao": rng.random(total) < np.where(lifted[local], 0.08, 0.02),
            "receives_tekun": old & (rng.random(total) < 0.01),
            "migrant_work_months": np.where(migrant, rng.integers(1, 13, total), 0).astype(np.int64),
        }
    )

    # Incomes for as_of_year - 1 (1% of households have none) and as_of_year - 2 (3% more have none);
    # per-capita income is log-normal (median 16,000 yuan, 12,000 for lifted-out households); 6% of
    # households earned much more the year before (a sharp drop), 0.1% recorded no income that year.
    current_size = np.bincount(local, weights=current, minlength=n).astype(np.int64)
    year_rows = []
    has_last = rng.random(n) >= 0.01
    has_previous = has_last & (rng.random(n) >= 0.03)
    per_capita = np.exp(rng.normal(np.log(np.where(lifted, 12000.0, 16000.0)), np.where(lifted, 0.5, 0.55)))
    growth = np.where(rng.random(n) < 0.06, rng.uniform(1.5, 2.5, n), np.exp(rng.normal(-0.05, 0.1, n)))
    zero = rng.random(n) < 0.001
    for year, present, level in (
        (AS_OF.year - 1, has_last, per_capita),
        (AS_OF.year - 2, has_previous, np.where(zero, 0.0, per_capita * growth)),
    ):
        net = level * np.maximum(current_size, 1)
        wage_share = rng.uniform(0.3, 0.8, n)
        business_share = rng.uniform(0.0, 0.3, n)
        property_share = rng.uniform(0.0, 0.05, n)
        expenditure = _cents(net * business_share * rng.uniform(0.2, 0.6, n))
        wage = _cents(net * wage_share)
        business = _cents(net * business_share) + expenditure
        property_income = _cents(net * property_share)
        transfer = np.maximum(_cents(net) - wage - business - property_income + expenditure, 0)
        net_cents = wage + business + property_income + transfer - expenditure
        pc = _per_capita_cents(net_cents, current_size)
        oop = np.where(rng.random(n) < 0.12, _cents(rng.exponential(4000.0, n)), 0)
        rows = np.flatnonzero(present)
        year_rows.append(
            pa.table(
                {
                    "household_id": household_id[rows],
                    "year": np.full(len(rows), year, dtype=np.int64),
                    "household_size": current_size[rows],
                    "wage": wage[rows] / 100,
                    "business": business[rows] / 100,
                    "property_income": property_income[rows] / 100,
                    "transfer": transfer[rows] / 100,
                    "business_expenditure": expenditure[rows] / 100,
                    "net_income": net_cents[rows] / 100,
                    "per_capita_net_income": pa.array(pc[rows] / 100, mask=current_size[rows] == 0),
                    "compliant_oop_spending": oop[rows] / 100,
                }
            )
        )
    incomes = pa.concat_tables(year_rows)
    incomes = incomes.take(pa.array(np.argsort(incomes.column("household_id").to_numpy(), kind="stable")))

    # Department feeds: about 3 records per household within the last two years, whole-yuan amounts
    # (so sums are exact whatever order an engine adds them in).
    count = rng.poisson(3.0, n)
    feeds_total = int(count.sum())
    feed_local = np.repeat(np.arange(n), count)
    kind = _pick(rng, FEED_KIND_SHARES, feeds_total)
    vocabulary: list[str] = []
    code = np.zeros(feeds_total, dtype=np.int64)
    amount = np.zeros(feeds_total)
    for k, name in enumerate(FEED_KINDS):
        codes, shares, means = FEED_CODES[name]
        rows = np.flatnonzero(kind == k)
        picked = _pick(rng, shares, len(rows))
        code[rows] = len(vocabulary) + picked
        vocabulary.extend(codes)
        mean = np.asarray(means)[picked]
        amount[rows] = np.where(mean > 0, np.maximum(np.rint(rng.exponential(1.0, len(rows)) * mean), 1), 0)
    member = starts[feed_local] + rng.integers(0, size[feed_local])
    feeds = pa.table(
        {
            "record_id": np.arange(first_record, first_record + feeds_total, dtype=np.int64),
            "household_id": household_id[feed_local],
            "member_id": first_member + member,
            "kind": _strings(FEED_KINDS, kind),
            "event_date": _date32(as_of_days - rng.integers(0, 730, feeds_total)),
            "amount": amount,
            "code": _strings(vocabulary, code),
        }
    )
    return {
        "households": tables.conform("households", households),
        "members": tables.conform("members", members),
        "incomes": tables.conform("incomes", incomes),
        "feeds": tables.conform("feeds", feeds),
    }


def generate(folder: Path, households: int, seed: int) -> dict[str, Any]:
    from fupin.engine.checker import check_pack
    from fupin.engine.packs import load_pack
    from fupin.engine.parameters import parameter_table

    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    writers = {s: pq.ParquetWriter(folder / f"{s}.parquet", tables.schema(s)) for s in SOURCES}
    rows = dict.fromkeys(SOURCES, 0)
    counties: set[str] = set()
    first_member = first_record = 1
    try:
        for chunk, first in enumerate(range(0, households, CHUNK)):
            n = min(CHUNK, households - first)
            data = generate_chunk(seed, chunk, first + 1, n, first_member, first_record)
            for source, table in data.items():
                writers[source].write_table(table, row_group_size=1_000_000)
                rows[source] += table.num_rows
            counties.update(data["households"].column("county_code").unique().to_pylist())
            first_member += data["members"].num_rows
            first_record += data["feeds"].num_rows
    finally:
        for writer in writers.values():
            writer.close()
    pack = check_pack(load_pack(PACK)).pack
    pq.write_table(parameter_table(pack, counties, AS_OF), folder / "params.parquet")
    meta = {
        "households": households,
        "seed": seed,
        "chunk": CHUNK,
        "as_of": AS_OF.isoformat(),
        "rows": rows,
        "counties": len(counties),
        "bytes": sum(p.stat().st_size for p in folder.glob("*.parquet")),
        "seconds": time.perf_counter() - started,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))
    return meta


def write_params(folder: Path) -> None:
    """The params table from the pack as it is now (the pack may have changed since generation)."""
    from fupin.engine.checker import check_pack
    from fupin.engine.packs import load_pack
    from fupin.engine.parameters import parameter_table

    pack = check_pack(load_pack(PACK)).pack
    pq.write_table(parameter_table(pack, COUNTIES, AS_OF), folder / "params.parquet")


def files_of(folder: Path) -> dict[str, Path]:
    return {name: folder / f"{name}.parquet" for name in (*SOURCES, "params")}


# --------------------------------------------------------------------------------------------------
# Peak memory: sample the RSS of this process and its children (the Spark JVM), or of other processes.


class PeakMemory:
    def __init__(
        self,
        extra: Callable[[], list[int]] | None = None,
        limit: int | None = None,
        interval: float = 0.05,
    ) -> None:
        import psutil

        self.process = psutil.Process()
        self.extra = extra
        self.limit = limit
        self.interval = interval
        self.peak = 0  # this process and its children
        self.peak_extra = 0  # the processes ``extra`` names (a PostgreSQL backend and its workers)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self, pids: list[int]) -> int:
        import psutil

        total = 0
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                total += psutil.Process(pid).memory_info().rss
        return total

    def sample(self) -> None:
        import psutil

        try:
            pids = [self.process.pid] + [c.pid for c in self.process.children(recursive=True)]
        except psutil.Error:
            pids = [self.process.pid]
        own = self._rss(pids)
        self.peak = max(self.peak, own)
        if self.extra is not None:
            self.peak_extra = max(self.peak_extra, self._rss(self.extra()))
        if self.limit is not None and own > self.limit:
            print(f"ABORT: RSS {own / GB:.1f} GB exceeds the limit of {self.limit / GB:.1f} GB", flush=True)
            os._exit(3)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        # ru_maxrss (KiB on Linux) catches a peak between two samples.
        self.peak = max(self.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


# --------------------------------------------------------------------------------------------------
# Engines through fupin.engine


def _pack_and_compile(folder: Path) -> tuple[Any, Any]:
    """As ``screen`` does: parameters with one value in every county are compiled in as literals."""
    from fupin.engine.checker import check_pack
    from fupin.engine.compiler import compile_pack
    from fupin.engine.packs import load_pack
    from fupin.engine.screening import uniform_values

    checked = check_pack(load_pack(PACK))
    constants = uniform_values(pq.read_table(files_of(folder)["params"]))
    return checked, compile_pack(checked, AS_OF, constants=constants)


def _collect(checked: Any, evaluated: pa.Table) -> tuple[pa.Table, list[dict[str, Any]], dict[str, float]]:
    """The hits both ways: ``hit_table`` (column-wise) and ``hits_of`` (one dict per hit)."""
    from fupin.engine.screening import hit_table, hits_of

    started = time.perf_counter()
    pairs = hit_table(checked, evaluated)
    tabled = time.perf_counter()
    hits = hits_of(checked, evaluated)
    finished = time.perf_counter()
    assert len(hits) == pairs.num_rows
    return pairs, hits, {"hit_table": tabled - started, "hits_of": finished - tabled}


def _figures(timings: dict[str, float]) -> dict[str, float]:
    """End to end = compile + run + hits_of; columnar = compile + run + hit_table."""
    engine = timings["compile"] + timings["run"]
    return {"seconds": engine + timings["hits_of"], "seconds_columnar": engine + timings["hit_table"]}


def run_duckdb(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    from fupin.engine.backends import DuckDBBackend

    with PeakMemory() as memory:
        started = time.perf_counter()
        checked, compiled = _pack_and_compile(folder)
        compiled_at = time.perf_counter()
        evaluated = DuckDBBackend().run_parquet(compiled, files_of(folder))
        ran = time.perf_counter()
        pairs, _hits, collected = _collect(checked, evaluated)
    timings = {"compile": compiled_at - started, "run": ran - compiled_at, **collected}
    return {
        **_figures(timings),
        "timings": timings,
        "peak_rss": memory.peak,
        "evaluated_rows": evaluated.num_rows,
        "pairs": pairs,
    }


def run_postgres(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    import adbc_driver_postgresql.dbapi as pg
    import psutil

    from fupin.engine.backends import PostgresBackend

    schema = f"fupin_bench_{uuid.uuid4().hex[:10]}"
    with pg.connect(args.database_url) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
        try:
            started = time.perf_counter()
            cursor.execute(f'CREATE SCHEMA "{schema}"')
            for name, path in files_of(folder).items():
                source = pq.ParquetFile(path)
                reader = pa.RecordBatchReader.from_batches(
                    source.schema_arrow, source.iter_batches(batch_size=500_000)
                )
                cursor.adbc_ingest(name, reader, mode="create", db_schema_name=schema)
            connection.commit()
            loaded = time.perf_counter()
            for name in files_of(folder):
                cursor.execute(f'ANALYZE "{schema}"."{name}"')
            connection.commit()
            analyzed = time.perf_counter()
            took = f"loaded in {loaded - started:.1f} s, analyzed in {analyzed - loaded:.1f} s"
            print(f"  postgres: {took}", flush=True)

            cursor.execute(f'SET search_path TO "{schema}"')
            cursor.execute(f"SET work_mem = '{args.pg_work_mem}'")
            cursor.execute(f"SET statement_timeout = '{int(args.timeout)}s'")

            def server() -> list[int]:
                pids = [backend_pid]
                try:
                    for process in psutil.Process(backend_pid).parent().children():
                        if f"parallel worker for PID {backend_pid}" in " ".join(process.cmdline()):
                            pids.append(process.pid)
                except psutil.Error:
                    pass
                return pids

            with PeakMemory(extra=server, interval=0.2) as memory:
                begun = time.perf_counter()
                checked, compiled = _pack_and_compile(folder)
                compiled_at = time.perf_counter()
                evaluated = PostgresBackend.run_in_place(cursor, compiled)
                ran = time.perf_counter()
                pairs, _hits, collected = _collect(checked, evaluated)
        finally:
            connection.rollback()
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.commit()
            cursor.close()
    timings = {
        "load": loaded - started,
        "analyze": analyzed - loaded,
        "compile": compiled_at - begun,
        "run": ran - compiled_at,
        **collected,
    }
    return {
        **_figures(timings),
        "timings": timings,
        "peak_rss": memory.peak,
        "peak_rss_server": memory.peak_extra,
        "work_mem": args.pg_work_mem,
        "evaluated_rows": evaluated.num_rows,
        "pairs": pairs,
    }


def run_spark(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from fupin.engine.backends import SparkBackend, spark_session

    with PeakMemory(interval=0.2) as memory:
        booting = time.perf_counter()
        session = spark_session(args.spark_memory or "4g")
        booted = time.perf_counter()
        started = time.perf_counter()
        checked, compiled = _pack_and_compile(folder)
        compiled_at = time.perf_counter()
        evaluated = SparkBackend(session).run_parquet(compiled, files_of(folder))
        ran = time.perf_counter()
        pairs, _hits, collected = _collect(checked, evaluated)
        session.stop()
    timings = {
        "session_start": booted - booting,
        "compile": compiled_at - started,
        "run": ran - compiled_at,
        **collected,
    }
    return {
        **_figures(timings),
        "timings": timings,
        "peak_rss": memory.peak,
        "driver_memory": args.spark_memory or "4g (backends.spark_session)",
        "evaluated_rows": evaluated.num_rows,
        "pairs": pairs,
    }


# --------------------------------------------------------------------------------------------------
# The baseline: the national pack's rules written by hand in plain pandas.


RULE_IDS = (
    "unstable_illness",
    "unstable_disability",
    "unstable_lack_of_labour",
    "unstable_schooling",
    "unstable_employment",
    "unstable_housing_water",
    "unstable_disaster",
    "marginal_illness",
    "marginal_disability",
    "marginal_lack_of_labour",
    "marginal_schooling",
    "marginal_employment",
    "marginal_housing_water",
    "marginal_disaster",
    "sudden_medical_spending",
    "sudden_disaster_loss",
    "sudden_income_drop",
)


def _read(path: Path, columns: list[str], categories: list[str]) -> Any:
    # What pd.read_parquet does, with the string codes as categoricals and dates as datetime64.
    return pq.read_table(path, columns=columns, read_dictionary=categories).to_pandas(date_as_object=False)


def pandas_screen(files: Mapping[str, Path], as_of: dt.date) -> tuple[Any, Any]:
    """(evaluated households that hit something, long table of household_id, rule_id hits)."""
    import pandas as pd

    params = pd.read_parquet(files["params"])
    hp = _read(
        files["households"],
        ["household_id", "county_code", "household_type", "monitoring_category", "housing_safety"]
        + ["water_difficult", "water_safe"],
        ["county_code", "household_type", "monitoring_category", "housing_safety"],
    )
    hp["county_code"] = hp["county_code"].astype(str)
    hp = hp.merge(params, on="county_code", how="inner").set_index("household_id")
    index = hp.index

    def per_row(frame: Any, column: str) -> Any:
        """A household-level column for each row of ``frame`` (-1 rows are not in hp: dropped)."""
        return hp[column].to_numpy()[frame["_hp"].to_numpy()]

    # Members
    m = _read(
        files["members"],
        ["household_id", "is_current", "birth_date", "health", "has_disability_certificate"]
        + ["labour_capacity", "schooling_status", "basic_medical_insurance"],
        ["health", "labour_capacity", "schooling_status"],
    )
    m["_hp"] = index.get_indexer(m["household_id"])
    m = m[m["_hp"] >= 0]
    birth = m["birth_date"]
    age = as_of.year - birth.dt.year - ((birth.dt.month * 100 + birth.dt.day) > as_of.month * 100 + as_of.day)
    current = m["is_current"]
    a_members = (
        pd.DataFrame(
            {
                "household_id": m["household_id"],
                "household_size": current,
                "seriously_ill_members": current & m["health"].isin(["serious", "chronic"]),
                "disabled_members": current & ((m["health"] == "disabled") | m["has_disability_certificate"]),
                "labourers": current & m["labour_capacity"].isin(["ordinary", "skilled"]),
                "children_out_of_school": current
                & (age >= per_row(m, "school_age_from"))
                & (age <= per_row(m, "school_age_to"))
                & m["schooling_status"].isin(["dropped_out", "never_enrolled"]),
                "uninsured_members": current & ~m["basic_medical_insurance"],
            }
        )
        .groupby("household_id")
        .sum()
    )
    del m, birth, age, current

    # Incomes
    i = pd.read_parquet(
        files["incomes"],
        columns=["household_id", "year", "household_size", "per_capita_net_income", "net_income"]
        + ["compliant_oop_spending"],
    )
    i = i[index.get_indexer(i["household_id"]) >= 0]
    last = i[i["year"] == as_of.year - 1].groupby("household_id")
    a_incomes = pd.DataFrame(
        {
            "per_capita_income": last["per_capita_net_income"].max(),
            "net_income": last["net_income"].max(),
            "recorded_oop": last["compliant_oop_spending"].max(),
            "income_household_size": last["household_size"].max(),
        }
    )
    previous = i[i["year"] == as_of.year - 2].groupby("household_id")["per_capita_net_income"].max()
    a_incomes = a_incomes.join(previous.rename("previous_per_capita_income"), how="outer")
    del i, last, previous

    # Feeds
    f = _read(files["feeds"], ["household_id", "kind", "event_date", "amount", "code"], ["kind", "code"])
    f["_hp"] = index.get_indexer(f["household_id"])
    f = f[(f["_hp"] >= 0) & (f["event_date"] <= pd.Timestamp(as_of))]
    recent = (pd.Timestamp(as_of) - f["event_date"]).dt.days <= per_row(f, "lookback_days")
    kind, code = f["kind"], f["code"]
    a_feeds = (
        pd.DataFrame(
            {
                "household_id": f["household_id"],
                "medical_oop_recent": f["amount"].where((kind == "medical") & recent, 0.0),
                "disaster_loss_recent": f["amount"].where((kind == "disaster") & recent, 0.0),
                "reported_dropouts": (kind == "school") & (code == "dropped_out") & recent,
                "reported_lapses": (kind == "insurance") & (code == "lapsed") & recent,
                "returned_migrants": (kind == "returned_migrant") & recent,
                "reported_unsafe_housing": (kind == "housing") & code.isin(["C", "D"]) & recent,
            }
        )
        .groupby("household_id")
        .agg(
            {
                "medical_oop_recent": "sum",
                "disaster_loss_recent": "sum",
                "reported_dropouts": "sum",
                "reported_lapses": "sum",
                "returned_migrants": "sum",
                "reported_unsafe_housing": "max",
            }
        )
    )
    del f, recent, kind, code

    # Households: aggregates joined (absent counts are 0, absent incomes stay missing), then the rules.
    e = hp.join(a_members, how="left").join(a_incomes, how="left").join(a_feeds, how="left")
    counts = list(a_members.columns) + [c for c in a_feeds.columns if c != "reported_unsafe_housing"]
    e[counts] = e[counts].fillna(0)
    e["reported_unsafe_housing"] = e["reported_unsafe_housing"].astype("boolean").fillna(False).astype(bool)
    pc, previous_pc = e["per_capita_income"], e["previous_per_capita_income"]
    oop = np.maximum(e["recorded_oop"].fillna(0), e["medical_oop_recent"])
    e["oop_spending"] = oop
    income_dropped = (previous_pc > 0) & ((previous_pc - pc) / previous_pc >= e["income_drop_share"])
    within = pc <= e["monitoring_range"]
    above = pc > e["monitoring_range"]
    not_monitored = e["monitoring_category"] == ""
    lifted_out = e["household_type"].isin(["lifted_out", "poor"])
    ordinary = e["household_type"] == "ordinary"
    risks = {
        "illness": (e["seriously_ill_members"] > 0)
        | (oop >= e["large_oop_amount"])
        | (e["uninsured_members"] + e["reported_lapses"] > 0),
        "disability": e["disabled_members"] > 0,
        "lack_of_labour": e["labourers"] == 0,
        "schooling": e["children_out_of_school"] + e["reported_dropouts"] > 0,
        "employment": (e["returned_migrants"] > 0) | income_dropped,
        "housing_water": e["housing_safety"].isin(["C", "D"])
        | e["reported_unsafe_housing"]
        | e["water_difficult"]
        | ~e["water_safe"],
        "disaster": e["disaster_loss_recent"] > 0,
    }
    rules = {}
    for risk, at_risk in risks.items():
        rules[f"unstable_{risk}"] = not_monitored & lifted_out & within & at_risk
        rules[f"marginal_{risk}"] = not_monitored & ordinary & within & at_risk
    size = e["income_household_size"].astype("float64")
    per_capita_after_oop = (e["net_income"] - oop) / size.where(size != 0)
    rules["sudden_medical_spending"] = (
        not_monitored
        & above
        & (oop >= e["large_oop_amount"])
        & (per_capita_after_oop <= e["monitoring_range"])
    )
    large_loss = e["disaster_loss_recent"] >= e["disaster_loss_amount"]
    rules["sudden_disaster_loss"] = not_monitored & above & large_loss
    rules["sudden_income_drop"] = not_monitored & above & income_dropped & (pc <= e["monitoring_range"] * 1.5)
    flags = pd.DataFrame({f"rule__{r}": rules[r].fillna(False).astype(bool) for r in RULE_IDS})
    hit = flags.any(axis=1)
    evaluated = e[hit].join(flags[hit]).sort_index()
    stacked = flags[hit].stack()
    pairs = stacked[stacked].reset_index()
    pairs.columns = ["household_id", "rule_id", "hit"]
    pairs["rule_id"] = pairs["rule_id"].str.removeprefix("rule__")
    return evaluated, pairs[["household_id", "rule_id"]]


def run_pandas(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    with PeakMemory(limit=int(args.pandas_max_gb * GB)) as memory:
        started = time.perf_counter()
        evaluated, pairs = pandas_screen(files_of(folder), AS_OF)
        finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "seconds_columnar": finished - started,
        "timings": {"read_and_evaluate": finished - started},
        "peak_rss": memory.peak,
        "evaluated_rows": len(evaluated),
        "pairs": pa.table(
            {
                "household_id": pa.array(pairs["household_id"].to_numpy(), pa.int64()),
                "rule_id": pa.array(pairs["rule_id"].tolist(), pa.string()),
            }
        ),
    }


RUNNERS: dict[str, Callable[[Path, argparse.Namespace], dict[str, Any]]] = {
    "duckdb": run_duckdb,
    "pandas": run_pandas,
    "postgres": run_postgres,
    "spark": run_spark,
}


def _engine_commit() -> str:
    """The commit the engine code came from, "+dirty" when src/fupin/engine had uncommitted changes."""

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "src/fupin/engine")
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def worker(args: argparse.Namespace) -> None:
    folder = Path(args.data)
    if args.worker == "generate":
        meta = generate(folder, args.households_one, args.seed)
        Path(args.out).write_text(json.dumps(meta))
        return
    load_before = os.getloadavg()[0]
    result = RUNNERS[args.worker](folder, args)
    result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result["engine_commit"] = _engine_commit()
    pairs: pa.Table = result.pop("pairs")
    hits_folder = folder / "hits"
    hits_folder.mkdir(exist_ok=True)
    pq.write_table(pairs, hits_folder / f"{args.worker}.parquet")
    result.update(engine=args.worker, households=args.households_one, hits=pairs.num_rows)
    Path(args.out).write_text(json.dumps(result))


# --------------------------------------------------------------------------------------------------
# The orchestrator


def _subprocess(argv: list[str], timeout: float) -> tuple[int, str]:
    """Run a worker in its own process group; on timeout end that group (our own processes only)."""
    process = subprocess.Popen(argv, start_new_session=True)
    try:
        return process.wait(timeout=timeout), ""
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return -1, f"timed out after {timeout:.0f} s"


def _worker_argv(args: argparse.Namespace, role: str, folder: Path, n: int, out: Path) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", role, "--data", str(folder)]
    argv += ["--households", str(n), "--seed", str(args.seed), "--out", str(out)]
    argv += ["--database-url", args.database_url, "--pg-work-mem", args.pg_work_mem]
    argv += ["--timeout", str(args.timeout), "--pandas-max-gb", str(args.pandas_max_gb)]
    if args.spark_memory:
        argv += ["--spark-memory", args.spark_memory]
    return argv


def _compare(reference: Path, other: Path) -> int:
    """How many (household_id, rule_id) pairs are in one file and not the other."""
    a = pq.read_table(reference)
    b = pq.read_table(other)
    left = set(zip(a.column("household_id").to_pylist(), a.column("rule_id").to_pylist(), strict=True))
    right = set(zip(b.column("household_id").to_pylist(), b.column("rule_id").to_pylist(), strict=True))
    return len(left ^ right)


def _gb(value: float | None) -> str:
    return "—" if not value else f"{value / GB:.2f} GB"


def orchestrate(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.households.split(",")]
    engines = [e.strip() for e in args.engines.split(",")]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        raise SystemExit(f"unknown engines: {', '.join(sorted(unknown))}")
    base = Path(args.base)
    base.mkdir(parents=True, exist_ok=True)
    results_path = base / "results.json"
    results: dict[str, Any] = json.loads(results_path.read_text()) if results_path.exists() else {}
    status = 0
    for n in sizes:
        folder = base / f"h{n}-s{args.seed}"
        meta_path = folder / "meta.json"
        if args.regenerate or not meta_path.exists():
            print(f"generating {n:,} households (seed {args.seed}) into {folder} ...", flush=True)
            code, why = _subprocess(_worker_argv(args, "generate", folder, n, meta_path), 3600)
            if code != 0:
                raise SystemExit(f"generation failed ({code}) {why}")
        meta = json.loads(meta_path.read_text())
        write_params(folder)
        rows = meta["rows"]
        print(
            f"snapshot {n:,} households: {rows['members']:,} members, {rows['incomes']:,} income rows, "
            f"{rows['feeds']:,} feed records ({rows['feeds'] / n:.2f} per household), "
            f"{meta['bytes'] / GB:.2f} GB Parquet, "
            f"generated in {meta['seconds']:.1f} s (excluded from the figures)",
            flush=True,
        )
        for engine in engines:
            out = folder / f"result-{engine}.json"
            out.unlink(missing_ok=True)
            print(f"[{n:,}] {engine} ...", flush=True)
            timeout = args.timeout + (3600 if engine == "postgres" else 0)  # the load is not in the figure
            code, why = _subprocess(_worker_argv(args, engine, folder, n, out), timeout)
            key = f"{engine}:{n}"
            if code != 0 or not out.exists():
                reason = why or f"exit code {code}" + (" (memory limit)" if code == 3 else "")
                print(f"[{n:,}] {engine} FAILED: {reason}", flush=True)
                results[key] = {"engine": engine, "households": n, "failed": reason}
                continue
            result = json.loads(out.read_text())
            result["snapshot_seconds"] = meta["seconds"]
            results[key] = result
            timings = ", ".join(f"{k} {v:.2f} s" for k, v in result["timings"].items())
            print(
                f"[{n:,}] {engine}: {result['seconds']:.2f} s end to end ({timings}), "
                f"{result['hits']:,} hits, engine {result.get('engine_commit')}, "
                f"load average {result.get('load_average')}, "
                f"peak RSS {_gb(result['peak_rss'])}"
                + (f", server {_gb(result['peak_rss_server'])}" if result.get("peak_rss_server") else ""),
                flush=True,
            )
        reference = folder / "hits" / "duckdb.parquet"
        for engine in engines:
            key = f"{engine}:{n}"
            if engine == "duckdb" or "failed" in results.get(key, {"failed": 1}) or not reference.exists():
                continue
            mismatches = _compare(reference, folder / "hits" / f"{engine}.parquet")
            results[key]["mismatches_vs_duckdb"] = mismatches
            verdict = "identical" if mismatches == 0 else f"MISMATCH: {mismatches:,} pairs differ"
            print(f"[{n:,}] {engine} hits vs duckdb: {verdict}", flush=True)
            if mismatches and engine == "pandas":
                status = 1
        results_path.write_text(json.dumps(results, indent=2))
    print_table(results, sizes, engines)
    return status


def print_table(results: Mapping[str, Any], sizes: list[int], engines: list[str]) -> None:
    measured_pandas = sorted(
        (r["households"], r["seconds"])
        for r in results.values()
        if r["engine"] == "pandas" and "seconds" in r
    )
    print()
    header = f"{'engine':<9} {'households':>11} {'seconds':>9} {'households/s':>13} {'vs pandas':>16}"
    header += f" {'columnar s':>10} peak RSS"
    print(header)
    print("-" * len(header))
    notes = []
    for n in sizes:
        pandas = results.get(f"pandas:{n}")
        if pandas and "seconds" in pandas:
            pandas_seconds, extrapolated = pandas["seconds"], False
        elif measured_pandas:
            largest, seconds = measured_pandas[-1]
            pandas_seconds, extrapolated = seconds * n / largest, True
            notes.append(
                f"pandas at {n:,} is EXTRAPOLATED linearly from its measurement at {largest:,} "
                f"({pandas_seconds:.1f} s)"
            )
        else:
            pandas_seconds, extrapolated = None, False
        for engine in engines:
            r = results.get(f"{engine}:{n}")
            if r is None:
                continue
            if "failed" in r:
                print(f"{engine:<9} {n:>11,} {'failed: ' + r['failed']}")
                continue
            ratio = "—"
            if pandas_seconds and engine != "pandas":
                ratio = f"{pandas_seconds / r['seconds']:.1f}x" + (" (extrap.)" if extrapolated else "")
            memory = _gb(r["peak_rss"])
            if r.get("peak_rss_server"):
                memory += f" + server {_gb(r['peak_rss_server'])}"
            rate = n / r["seconds"]
            columnar = r.get("seconds_columnar", r["seconds"])
            print(
                f"{engine:<9} {n:>11,} {r['seconds']:>9.2f} {rate:>13,.0f} {ratio:>16} "
                f"{columnar:>10.2f} {memory}"
            )
    for note in notes:
        print("NOTE: " + note)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", default="1000000,10000000", help="comma-separated sizes")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: " + ", ".join(ENGINES))
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--base", default=str(ROOT / "var" / "bench" / "screening"), help="data folder")
    parser.add_argument("--regenerate", action="store_true", help="generate the data even if it exists")
    parser.add_argument("--database-url", default=os.environ.get("FUPIN_BENCH_DATABASE", DEFAULT_DATABASE))
    parser.add_argument("--pg-work-mem", default="256MB", help="work_mem for the in-database query")
    parser.add_argument("--spark-memory", default="", help="driver memory for an own Spark session")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per engine measurement")
    parser.add_argument("--pandas-max-gb", type=float, default=15.0, help="abort pandas above this RSS")
    parser.add_argument("--worker", choices=("generate", *ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.households_one = int(args.households)
        worker(args)
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
