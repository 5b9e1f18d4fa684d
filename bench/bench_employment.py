"""Benchmark of employment progress per area (issue 15): persons in work against the target, for every
village, township, county, prefecture and province, this month and the same month last year.

Run:  .venv/bin/python bench/bench_employment.py [--households 10000000] [--threads 2]

A synthetic registry is generated in DuckDB (in memory): ``--households`` households in 48,000 villages
(10 villages a township, 12 townships a county, 10 counties a prefecture, 10 prefectures a province),
1.2 labourers a household (12M at 10M households), about 60% of them in lifted-out or monitored
households (the ones counted), each with one or two employment records (history: the later record
supersedes the earlier one from its start month), targets per county and township.

What a person counts as in a month is what ``fupin.employment.selectors.working_in`` says: the record in
effect (the latest starting on or before the month) says working and has not ended before it.

Two ways, same run, same answer (checked row by row):

- **grouped**: one pass over the records: each labourer's record in effect for both months (``arg_max``
  with ``FILTER``), then ``GROUP BY ROLLUP`` over the code prefixes (province, prefecture, county,
  township, village): every level in one query, each level exactly the sum of the level below.
- **baseline**: one ``GROUP BY`` per level (five queries, each reading the records again), the way a page
  that asks each level for its own figure works.

Targets: a county's and township's own; a prefecture's or province's the sum of its counties'. Percent =
persons × 100 / target to one decimal, half up, in integers (never float).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import duckdb

VILLAGES = 48_000
LEVELS = (("province", 2), ("prefecture", 4), ("county", 6), ("township", 9), ("village", 12))
NOW = 2026 * 12 + 5
LAST_YEAR = NOW - 12


def generate(con: duckdb.DuckDBPyConnection, households: int) -> dict[str, int]:
    labourers = households * 6 // 5
    con.execute(
        f"""
        CREATE TABLE villages AS
        SELECT v AS vidx,
               printf('%02d%02d%02d%03d%03d',
                      22 + v // 12000, (v // 1200) % 10 + 1, (v // 120) % 10 + 1,
                      100 + (v // 10) % 12, 200 + v % 10) AS code
        FROM range({VILLAGES}) t(v)
        """
    )
    # Labourers: household = id * H / L, village = household * V / H; counted when the household is
    # lifted out or monitored (60%, by a hash of the household).
    con.execute(
        f"""
        CREATE TABLE labourers AS
        SELECT id,
               CAST((id * {households} // {labourers}) * {VILLAGES} // {households} AS INTEGER) AS vidx,
               hash(id * {households} // {labourers}) % 100 < 60 AS counted
        FROM range({labourers}) t(id)
        """
    )
    # History: every labourer has a first record from a month of 2024-01..2026-06 (working 70%);
    # 40% have a second, later one (working 55%), which supersedes the first from its start.
    con.execute(
        f"""
        CREATE TABLE records AS
        WITH first AS (
            SELECT id AS labourer_id,
                   CAST({2024 * 12} + hash(id, 1) % 30 AS INTEGER) AS start_month,
                   hash(id, 2) % 100 < 70 AS working,
                   CASE WHEN hash(id, 3) % 10 = 0 THEN CAST({2024 * 12} + 30 + hash(id, 4) % 12 AS INTEGER)
                   END AS end_month
            FROM labourers
        )
        SELECT * FROM first
        UNION ALL
        SELECT labourer_id,
               CAST(start_month + 1 + hash(labourer_id, 5) % 18 AS INTEGER),
               hash(labourer_id, 6) % 100 < 55,
               NULL
        FROM first WHERE hash(labourer_id, 7) % 100 < 40
        """
    )
    con.execute(
        """
        CREATE TABLE records_placed AS
        SELECT r.labourer_id, r.start_month, r.working, r.end_month, v.code AS village_code
        FROM records r JOIN labourers l ON l.id = r.labourer_id JOIN villages v USING (vidx)
        WHERE l.counted
        """
    )
    con.execute("DROP TABLE records")
    con.execute(
        """
        CREATE TABLE targets AS
        SELECT code, CAST(persons AS BIGINT) AS persons FROM (
            SELECT substr(code, 1, 6) AS code, count(*) * 70 AS persons FROM villages GROUP BY 1
            UNION ALL
            SELECT substr(code, 1, 9), count(*) * 65 FROM villages GROUP BY 1
        )
        """
    )
    return {
        "labourers": labourers,
        "records": con.execute("SELECT count(*) FROM records_placed").fetchone()[0],  # type: ignore[index]
    }


# Each counted labourer's record in effect now and a year ago (None: no record yet), as working 0/1.
EFFECTIVE = f"""
    SELECT labourer_id, any_value(village_code) AS village_code,
           arg_max(working AND (end_month IS NULL OR end_month >= {NOW}), start_month)
               FILTER (WHERE start_month <= {NOW}) AS now_working,
           arg_max(working AND (end_month IS NULL OR end_month >= {LAST_YEAR}), start_month)
               FILTER (WHERE start_month <= {LAST_YEAR}) AS before_working
    FROM records_placed GROUP BY labourer_id
"""

PERCENT = """
    CASE WHEN t.persons > 0 THEN
        CAST((a.persons * 2000 + t.persons) // (2 * t.persons) AS DECIMAL(18, 0)) / 10 END
"""


def grouped(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        f"""
        WITH eff AS ({EFFECTIVE}),
        agg AS (
            SELECT coalesce(village, township, county, prefecture, province) AS code,
                   count(*) AS labourers,
                   count(*) FILTER (WHERE now_working) AS persons,
                   count(*) FILTER (WHERE before_working) AS last_year
            FROM (SELECT substr(village_code, 1, 2) AS province, substr(village_code, 1, 4) AS prefecture,
                         substr(village_code, 1, 6) AS county, substr(village_code, 1, 9) AS township,
                         village_code AS village, now_working, before_working FROM eff)
            GROUP BY ROLLUP (province, prefecture, county, township, village)
            HAVING province IS NOT NULL
        ),
        rolled AS (
            SELECT code, persons FROM targets
            UNION ALL
            SELECT substr(code, 1, n), sum(persons) FROM targets, (VALUES (2), (4)) s(n)
            WHERE length(code) = 6 GROUP BY 1
        )
        SELECT a.code, a.labourers, a.persons, a.last_year, t.persons AS target, {PERCENT} AS percent
        FROM agg a LEFT JOIN rolled t USING (code) ORDER BY a.code
        """
    ).fetchall()


def per_level(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    rows: list[tuple] = []
    for _name, length in LEVELS:
        target = (
            f"SELECT substr(code, 1, {length}) AS code, sum(persons) AS persons FROM targets "
            f"WHERE length(code) = 6 GROUP BY 1"
            if length < 6
            else f"SELECT code, persons FROM targets WHERE length(code) = {length}"
        )
        rows += con.execute(
            f"""
            WITH eff AS ({EFFECTIVE}),
            agg AS (
                SELECT substr(village_code, 1, {length}) AS code, count(*) AS labourers,
                       count(*) FILTER (WHERE now_working) AS persons,
                       count(*) FILTER (WHERE before_working) AS last_year
                FROM eff GROUP BY 1
            )
            SELECT a.code, a.labourers, a.persons, a.last_year, t.persons AS target, {PERCENT} AS percent
            FROM agg a LEFT JOIN ({target}) t USING (code)
            """
        ).fetchall()
    return sorted(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory", default="12GB")
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}; SET memory_limit = '{args.memory}'")
    con.execute("SET preserve_insertion_order = false")
    print(
        f"households {args.households:,}, threads {args.threads}, duckdb {duckdb.__version__}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible"
    )
    started = time.perf_counter()
    sizes = generate(con, args.households)
    print(
        f"generate: {time.perf_counter() - started:.1f} s "
        f"({sizes['labourers']:,} labourers, {sizes['records']:,} records of counted labourers)"
    )

    timings: dict[str, float] = {}
    results: dict[str, list[tuple]] = {}
    for name, run in (("grouped", grouped), ("baseline", per_level)):
        wall, cpu = time.perf_counter(), time.process_time()
        results[name] = run(con)
        timings[name] = time.perf_counter() - wall
        print(
            f"{name}: {timings[name]:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, "
            f"{len(results[name]):,} areas"
        )
    assert results["grouped"] == results["baseline"], "the two ways disagree"
    by_code = {row[0]: row for row in results["grouped"]}
    # Every level is exactly the sum of the level below.
    for (_, parent_len), (_, child_len) in zip(LEVELS, LEVELS[1:], strict=False):
        for code, row in by_code.items():
            if len(code) == parent_len:
                below = (
                    [r for c, r in by_code.items() if len(c) == child_len and c.startswith(code)]
                    if parent_len <= 4
                    else None
                )
                if below is not None:
                    assert sum(r[2] for r in below) == row[2], code
    province = by_code["22"]
    print(
        f"province 22: {province[2]:,} in work of {province[1]:,} labourers, target {province[4]:,}, "
        f"{province[5]}%; last year {province[3]:,}"
    )
    print(f"ratio baseline / grouped: {timings['baseline'] / timings['grouped']:.2f}x")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
