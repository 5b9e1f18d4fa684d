"""Benchmark of the indicator snapshot (issue 7): the registry read into the engine's ``facts`` table.

Run:  .venv/bin/python bench/snapshot.py [--households 100000] [--database sqlite|postgresql]

``bench/dashboard.py`` starts from a generated facts table; this measures the step before it on a real
registry: a demo county of ``--households`` households (members, incomes, monitoring histories,
measures, helpers, cases) written by the demo loader into a fresh database (SQLite in a temporary var
directory, or a PostgreSQL database ``fupin_bench_snapshot``), then ``fupin.indicators.snapshot.facts``
timed twice. Baseline in the same run: the first implementation (one Python dict per household, one
ORM row per member, income record and history entry), kept below as ``rowwise_facts``. Both must give
the same table, row for row.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
DATABASE = "fupin_bench_snapshot"


def rowwise_facts(as_of: dt.date) -> Any:
    """The first snapshot (until 2026-11-25), kept as the baseline: a dict per household."""
    from django.conf import settings
    from django.db.models import Q

    from fupin.assistance.models import ACTIVE_STATUSES, TAKEN_STATUSES, Measure
    from fupin.assistance.rules import DEVELOPMENTAL_CATEGORIES
    from fupin.cases.models import OPEN_STATES, Case, CaseKind, State
    from fupin.domain.income import per_capita_net_income
    from fupin.engine import indicators as ind
    from fupin.indicators.snapshot import OUT_OF_SCHOOL, POOR_STATUSES, RISK_BITS, WORKING
    from fupin.registry.models import Household, IncomeRecord, Member, MonitoringHistory
    from fupin.twinning.models import Assignment

    def age(born: dt.date, on: dt.date) -> int:
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    rows: dict[int, dict[str, Any]] = {}
    for (
        pk,
        village,
        kind,
        status,
        category,
        risks,
        safety,
        difficult,
        safe,
        power,
    ) in Household.objects.values_list(
        "pk",
        "village__code",
        "household_type",
        "status",
        "monitoring_category",
        "risk_types",
        "housing_safety",
        "water_difficult",
        "water_safe",
        "has_electricity",
    ).iterator(chunk_size=20000):
        mask = 0
        if category:
            for risk in risks.split(","):
                mask |= RISK_BITS.get(risk, 0)
        rows[pk] = {
            "household_id": pk,
            "village_code": village,
            "household_type": kind,
            "status": status,
            "registered_poor": kind == "poor" and status in POOR_STATUSES,
            "monitoring_category": category,
            "risk_mask": mask,
            "monitored_since": None,
            "eliminated_on": None,
            "elimination_kind": "",
            "people": 0,
            "labourers": 0,
            "per_capita_income": None,
            "has_measure": False,
            "has_developmental": False,
            "has_helper": False,
            "open_cases": 0,
            "overdue_cases": 0,
            "dep_education": False,
            "dep_health": False,
            "dep_housing": safety in ("C", "D"),
            "dep_water": bool(difficult or not safe),
            "dep_electricity": not power,
            "dep_labour": True,
        }
    for household_id, born, labour, schooling, insured in (
        Member.objects.filter(exit_reason="")
        .values_list(
            "household_id", "birth_date", "labour_capacity", "schooling_status", "basic_medical_insurance"
        )
        .iterator(chunk_size=20000)
    ):
        row = rows.get(household_id)
        if row is None:
            continue
        row["people"] += 1
        if labour in WORKING:
            row["labourers"] += 1
            row["dep_labour"] = False
        if not insured:
            row["dep_health"] = True
        if schooling in OUT_OF_SCHOOL and 6 <= age(born, as_of) <= 15:
            row["dep_education"] = True
    for record in (
        IncomeRecord.objects.filter(year__lte=as_of.year)
        .order_by("household_id", "year")
        .iterator(chunk_size=20000)
    ):
        value = per_capita_net_income(
            wage=record.wage,
            business=record.business,
            property_income=record.property_income,
            transfer=record.transfer,
            business_expenditure=record.business_expenditure,
            household_size=record.household_size,
            excluded_transfer=record.excluded_transfer,
            exclude_listed_allowances=settings.INCOME_EXCLUDE_LISTED_ALLOWANCES,
        )
        if value is not None and record.household_id in rows:
            rows[record.household_id]["per_capita_income"] = float(value)
    previous: dict[int, str] = {}
    for household_id, category, since in (
        MonitoringHistory.objects.filter(effective_from__lte=as_of)
        .order_by("household_id", "effective_from", "id")
        .values_list("household_id", "category", "effective_from")
        .iterator(chunk_size=20000)
    ):
        row = rows.get(household_id)
        if row is None:
            continue
        if category and not previous.get(household_id):
            row["monitored_since"], row["eliminated_on"] = since, None
        elif not category and previous.get(household_id):
            row["eliminated_on"] = since
        previous[household_id] = category
    for household_id, decided_on, kind in (
        Case.objects.filter(kind=CaseKind.ELIMINATION, state=State.APPROVED)
        .order_by("household_id", "decided_on", "id")
        .values_list("household_id", "decided_on", "elimination_kind")
    ):
        row = rows.get(household_id)
        if row is not None and row["monitored_since"] and decided_on >= row["monitored_since"]:
            row["elimination_kind"] = kind
    for household_id, fast_tracked_on in Case.objects.filter(
        kind=CaseKind.IDENTIFICATION, fast_tracked_on__isnull=False, state__in=["rejected", "closed"]
    ).values_list("household_id", "fast_tracked_on"):
        row = rows.get(household_id)
        if row is not None and row["monitored_since"] and fast_tracked_on >= row["monitored_since"]:
            row["eliminated_on"] = None  # an unconfirmed inclusion, not an elimination
    for household_id, category, status in Measure.objects.filter(status__in=ACTIVE_STATUSES).values_list(
        "household_id", "category", "status"
    ):
        if household_id not in rows:
            continue
        rows[household_id]["has_measure"] = True
        if category in DEVELOPMENTAL_CATEGORIES and status in TAKEN_STATUSES:
            rows[household_id]["has_developmental"] = True
    for household_id in Assignment.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=as_of), started_on__lte=as_of
    ).values_list("household_id", flat=True):
        if household_id in rows:
            rows[household_id]["has_helper"] = True
    for household_id, step_due, decision_due in Case.objects.filter(state__in=OPEN_STATES).values_list(
        "household_id", "step_due", "decision_due"
    ):
        if household_id not in rows:
            continue
        rows[household_id]["open_cases"] += 1
        if step_due < as_of or decision_due < as_of:
            rows[household_id]["overdue_cases"] += 1
    for row in rows.values():
        if not row["people"]:
            row["dep_labour"] = False
    return ind.facts_from_rows(list(rows.values()))


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="fupin-bench-snapshot-"))
    os.environ["FUPIN_VAR_DIR"] = str(folder)
    os.environ["FUPIN_INDICATORS_AUTO_REBUILD"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    if args.database == "postgresql":
        subprocess.run(
            ["psql", PG_SERVER + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DATABASE}"], check=True
        )
        subprocess.run(["psql", PG_SERVER + "/postgres", "-qc", f"CREATE DATABASE {DATABASE}"], check=True)
        os.environ["FUPIN_DATABASE_URL"] = f"{PG_SERVER}/{DATABASE}"
    else:
        os.environ["FUPIN_DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from fupin.demo import loader
        from fupin.indicators import snapshot
        from fupin.registry.models import Household, IncomeRecord, Member, MonitoringHistory

        call_command("migrate", verbosity=0)
        print(f"machine: {os.cpu_count()} cores, {platform.python_version()}, load {os.getloadavg()}")
        started = time.perf_counter()
        loader.load_demo_county(households=args.households, seed=args.seed)
        counts = {
            "households": Household.objects.count(),
            "members": Member.objects.count(),
            "income records": IncomeRecord.objects.count(),
            "monitoring history": MonitoringHistory.objects.count(),
        }
        print(
            f"registry ({args.database}): {counts} loaded in "
            f"{time.perf_counter() - started:.1f} s (not timed)"
        )
        as_of = dt.date.today()
        if os.environ.get("FUPIN_BENCH_PROFILE"):
            import cProfile

            snapshot.facts(as_of)  # imports and caches out of the profile
            cProfile.runctx("snapshot.facts(as_of)", globals(), locals(), sort="tottime")
            return
        timings: dict[str, list[float]] = {"columns": [], "rowwise": []}
        tables: dict[str, Any] = {}
        for _ in range(2):
            for name, function in (("columns", snapshot.facts), ("rowwise", rowwise_facts)):
                started = time.perf_counter()
                tables[name] = function(as_of)
                timings[name].append(time.perf_counter() - started)
        same = tables["columns"].sort_by("household_id").equals(tables["rowwise"].sort_by("household_id"))
        best = {name: min(values) for name, values in timings.items()}
        n = counts["households"]
        print(f"column by column: {timings['columns']} s; row by row (baseline): {timings['rowwise']} s")
        print(f"ratio row-wise / columns: {best['rowwise'] / best['columns']:.1f}x; same table: {same}")
        print(
            f"per household: {best['columns'] / n * 1e6:.1f} µs (columns), "
            f"{best['rowwise'] / n * 1e6:.1f} µs "
            f"(row-wise); 10M households at that rate (extrapolated, not run): "
            f"{best['columns'] / n * 1e7:.0f} s and {best['rowwise'] / n * 1e7:.0f} s"
        )
        print(f"peak RSS {_peak_gib():.2f} GiB; load {os.getloadavg()}")
        if not same:
            raise SystemExit("the two snapshots differ")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if args.database == "postgresql":
            from django.db import connections

            connections.close_all()
            subprocess.run(
                ["psql", PG_SERVER + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DATABASE}"], check=False
            )


if __name__ == "__main__":
    main()
