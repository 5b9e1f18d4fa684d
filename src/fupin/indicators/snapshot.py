"""The registry as the indicator engine's ``facts`` table (one row per household) and ``lines`` table.

Each source is aggregated per household by the database and read column by column (no Python object
per household), then joined by DuckDB: no names, ID numbers or phones are read. Per-capita income
comes from ``fupin.domain.income`` (the one formula, on whole columns) for each household's latest
income year up to the as-of date.
"""

# The DuckDB query below is built from this module's constants only (risk and status codes): no S608.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Count, F, Q
from django.db.models.functions import Cast, Round

from fupin.assistance.models import ACTIVE_STATUSES, TAKEN_STATUSES, Measure
from fupin.assistance.rules import DEVELOPMENTAL_CATEGORIES
from fupin.cases.models import OPEN_STATES, Case, CaseKind, State
from fupin.core.clock import years_before
from fupin.domain.income import per_capita_from_fen
from fupin.engine import indicators as ind
from fupin.engine.parameters import value_in_force
from fupin.registry.choices import HouseholdStatus, LabourCapacity, SchoolingStatus
from fupin.registry.models import Household, IncomeRecord, Member, MonitoringHistory
from fupin.screening import packs
from fupin.twinning.models import Assignment

# A registered poor household that has not (yet) left poverty counts towards poverty incidence.
POOR_STATUSES = frozenset(
    {
        HouseholdStatus.NEWLY_IDENTIFIED,
        HouseholdStatus.NOT_LIFTED,
        HouseholdStatus.PRE_LIFTED,
        HouseholdStatus.RETURNED,
    }
)
WORKING = frozenset({LabourCapacity.ORDINARY, LabourCapacity.SKILLED})
OUT_OF_SCHOOL = frozenset({SchoolingStatus.DROPPED_OUT, SchoolingStatus.NEVER_ENROLLED})
RISK_BITS = {risk: 1 << bit for bit, risk in enumerate(ind.RISK_TYPES)}
CHUNK = 50000
SCHOOL_AGE_FROM, SCHOOL_AGE_TO = 6, 15  # compulsory schooling (the policy pack's defaults)

Progress = Callable[[int, int], None]


def _columns(queryset: Any, types: dict[str, pa.DataType]) -> pa.Table:
    """A ``values_list`` queryset's rows as Arrow columns, without a Python object per row where possible.

    PostgreSQL: ``COPY (query) TO STDOUT`` as CSV on the request's own connection (so inside its
    transaction), parsed by Arrow's CSV reader. Elsewhere: the raw cursor in chunks, column by column.
    """
    sql, params = queryset.query.sql_with_params()
    if connection.vendor == "postgresql":
        return _copied(sql, params, types)
    chunks: dict[str, list[pa.Array]] = {name: [] for name in types}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            for (name, kind), values in zip(types.items(), zip(*rows, strict=True), strict=True):
                chunks[name].append(_array(values, kind))
    return pa.table({name: pa.chunked_array(chunks[name], kind) for name, kind in types.items()})


def _array(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    """One fetched column; SQLite's raw cursor gives dates as text and may give booleans as 0 and 1."""
    if kind == pa.bool_():
        try:
            return pa.array(values, kind)
        except pa.ArrowTypeError:
            return pa.array(values, pa.int64()).cast(kind)
    if kind == pa.date32():
        return pa.array([None if v is None else str(v) for v in values], pa.string()).cast(kind)
    return pa.array(values, kind)


def _copied(sql: str, params: Any, types: dict[str, pa.DataType]) -> pa.Table:
    import io

    import pyarrow.csv as csv

    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        # Django's psycopg cursor binds on the client: mogrify gives the statement with its values quoted.
        statement = cursor.cursor.mogrify(sql, params)
        with cursor.cursor.copy(f"COPY ({statement}) TO STDOUT (FORMAT CSV)") as copy:
            for block in copy:
                buffer.write(block)
    if not buffer.tell():
        return pa.schema(list(types.items())).empty_table()
    buffer.seek(0)
    return csv.read_csv(
        buffer,
        read_options=csv.ReadOptions(column_names=list(types)),
        convert_options=csv.ConvertOptions(
            column_types=types,
            true_values=["t"],
            false_values=["f"],
            # PostgreSQL writes NULL unquoted and an empty text as "": only the first is null.
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


def _fen(*fields: str) -> Any:
    """Σ of money fields in whole fen, computed by the database (amounts have two decimals)."""
    total: Any = F(fields[0])
    for name in fields[1:]:
        total = total + F(name) if not name.startswith("-") else total - F(name[1:])
    return Cast(Round(total * 100), BigIntegerField())


def facts(as_of: dt.date, *, progress: Progress | None = None) -> pa.Table:
    """Every household of the registry as of ``as_of``: the engine's facts table (see ``tables``)."""
    return tables(as_of, progress=progress)[0]


def tables(as_of: dt.date, *, progress: Progress | None = None) -> tuple[pa.Table, pa.Table]:
    """The facts (one row per household) and the events (every inclusion and elimination) as of
    ``as_of``; records entered later are read as they are now.

    Each source is aggregated per household by the database and read column by column; DuckDB joins them.
    """
    import duckdb
    import numpy as np

    steps = 8

    def done(step: int) -> None:
        if progress:
            progress(step, steps)

    households = _columns(
        # A cancelled (注销) household is no longer part of any population the indicators count.
        Household.objects.exclude(status=HouseholdStatus.CANCELLED)
        .order_by()
        .values_list(
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
        ),
        {
            "household_id": pa.int64(),
            "village_code": pa.string(),
            "household_type": pa.string(),
            "status": pa.string(),
            "monitoring_category": pa.string(),
            "risk_types": pa.string(),
            "housing_safety": pa.string(),
            "water_difficult": pa.bool_(),
            "water_safe": pa.bool_(),
            "has_electricity": pa.bool_(),
        },
    )
    done(1)
    school_age = Q(
        birth_date__gt=years_before(as_of, SCHOOL_AGE_TO + 1),
        birth_date__lte=years_before(as_of, SCHOOL_AGE_FROM),
    )
    members = _columns(
        Member.objects.filter(exit_reason="")
        .order_by()
        .values("household_id")
        .annotate(
            people=Count("id"),
            labourers=Count("id", filter=Q(labour_capacity__in=list(WORKING))),
            uninsured=Count("id", filter=Q(basic_medical_insurance=False)),
            out_of_school=Count("id", filter=school_age & Q(schooling_status__in=list(OUT_OF_SCHOOL))),
        )
        .values_list("household_id", "people", "labourers", "uninsured", "out_of_school"),
        {name: pa.int64() for name in ("household_id", "people", "labourers", "uninsured", "out_of_school")},
    )
    done(2)
    parts = ["wage", "business", "property_income", "transfer", "-business_expenditure"]
    if settings.INCOME_EXCLUDE_LISTED_ALLOWANCES:
        parts.append("-excluded_transfer")
    incomes = _columns(
        IncomeRecord.objects.filter(year__lte=as_of.year)
        .order_by()
        .annotate(total_fen=_fen(*parts))
        .values_list("household_id", "year", "household_size", "total_fen"),
        {
            "household_id": pa.int64(),
            "year": pa.int64(),
            "household_size": pa.int64(),
            "total_fen": pa.int64(),
        },
    )
    done(3)
    history = _columns(
        MonitoringHistory.objects.filter(effective_from__lte=as_of)
        .order_by()
        .values_list("household_id", "id", "category", "effective_from"),
        {
            "household_id": pa.int64(),
            "id": pa.int64(),
            "category": pa.string(),
            "effective_from": pa.date32(),
        },
    )
    eliminations = _columns(
        Case.objects.filter(kind=CaseKind.ELIMINATION, state=State.APPROVED)
        .order_by()
        .values_list("household_id", "id", "decided_on", "elimination_kind"),
        {"household_id": pa.int64(), "id": pa.int64(), "decided_on": pa.date32(), "kind": pa.string()},
    )
    # A fast-tracked inclusion the county did not confirm ends monitoring too, but no risk was eliminated.
    unconfirmed = _columns(
        Case.objects.filter(
            kind=CaseKind.IDENTIFICATION,
            fast_tracked_on__isnull=False,
            state__in=[State.REJECTED, State.CLOSED],
        )
        .order_by()
        .values_list("household_id", "fast_tracked_on"),
        {"household_id": pa.int64(), "fast_tracked_on": pa.date32()},
    )
    done(4)
    measures = _columns(
        Measure.objects.filter(status__in=list(ACTIVE_STATUSES))
        .order_by()
        .values("household_id")
        .annotate(
            developmental=Count(
                "id", filter=Q(category__in=list(DEVELOPMENTAL_CATEGORIES), status__in=list(TAKEN_STATUSES))
            )
        )
        .values_list("household_id", "developmental"),
        {"household_id": pa.int64(), "developmental": pa.int64()},
    )
    helpers = _columns(
        Assignment.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of), started_on__lte=as_of)
        .order_by()
        .values("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n"),
        {"household_id": pa.int64(), "n": pa.int64()},
    )
    done(5)
    late = Q(step_due__lt=as_of) | Q(decision_due__lt=as_of)
    cases = _columns(
        Case.objects.filter(state__in=list(OPEN_STATES))
        .order_by()
        .values("household_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=late))
        .values_list("household_id", "open", "overdue"),
        {"household_id": pa.int64(), "open": pa.int64(), "overdue": pa.int64()},
    )
    done(6)
    # The one income formula, on whole columns: the latest year's record of each household.
    latest = incomes.sort_by([("household_id", "ascending"), ("year", "descending")])
    if latest.num_rows:
        ids = latest.column("household_id").to_numpy()
        first = np.concatenate(([True], ids[1:] != ids[:-1]))
        latest = latest.filter(pa.array(first))
    latest = latest.append_column(
        "per_capita_income",
        pa.array(
            per_capita_from_fen(
                latest.column("total_fen").to_numpy(), latest.column("household_size").to_numpy()
            ),
            pa.float64(),
            from_pandas=True,  # NaN (no members on the record) becomes null
        ),
    )
    risk_mask = " + ".join(
        f"CASE WHEN list_contains(string_split(h.risk_types, ','), '{risk}') THEN {bit} ELSE 0 END"
        for risk, bit in RISK_BITS.items()
    )
    poor = ", ".join(f"'{status}'" for status in sorted(POOR_STATUSES))
    database = duckdb.connect()
    for name, table in {
        "h": households,
        "m": members,
        "inc": latest,
        "hist": history,
        "elim": eliminations,
        "meas": measures,
        "unconfirmed": unconfirmed,
        "helpers": helpers,
        "cases": cases,
    }.items():
        database.register(name, table)
    # Where monitoring started or ended: read by the facts (the last spell) and the events (every spell).
    database.execute(
        """
        CREATE TEMP VIEW changes AS
        SELECT household_id, effective_from, category <> '' AS started FROM (
            SELECT household_id, category, effective_from,
                   COALESCE(
                       LAG(category) OVER (PARTITION BY household_id ORDER BY effective_from, id), ''
                   ) AS before
            FROM hist
        ) AS marked
        WHERE (category <> '') <> (before <> '')
        """
    )
    table = database.sql(
        f"""
        WITH spells AS (
            SELECT household_id,
                   MAX(CASE WHEN started THEN effective_from END) AS since,
                   MAX(CASE WHEN NOT started THEN effective_from END) AS ended
            FROM changes GROUP BY household_id
        ),
        kinds AS (  -- the elimination decided during the last spell, if any
            SELECT elim.household_id, arg_max(elim.kind, (elim.decided_on, elim.id)) AS kind
            FROM elim JOIN spells
                ON elim.household_id = spells.household_id AND elim.decided_on >= spells.since
            GROUP BY elim.household_id
        ),
        not_confirmed AS (  -- the last spell began with a fast track the county did not confirm
            SELECT DISTINCT unconfirmed.household_id FROM unconfirmed
            JOIN spells ON unconfirmed.household_id = spells.household_id
            WHERE unconfirmed.fast_tracked_on >= spells.since
        )
        SELECT h.household_id, h.village_code, h.household_type, h.status,
               h.household_type = 'poor' AND h.status IN ({poor}) AS registered_poor,
               h.monitoring_category,
               CAST(CASE WHEN h.monitoring_category <> '' THEN {risk_mask} ELSE 0 END AS BIGINT) AS risk_mask,
               spells.since AS monitored_since,
               CASE WHEN spells.ended >= spells.since AND not_confirmed.household_id IS NULL
                    THEN spells.ended END AS eliminated_on,
               COALESCE(kinds.kind, '') AS elimination_kind,
               COALESCE(m.people, 0) AS people, COALESCE(m.labourers, 0) AS labourers,
               inc.per_capita_income,
               meas.household_id IS NOT NULL AS has_measure,
               COALESCE(meas.developmental, 0) > 0 AS has_developmental,
               helpers.household_id IS NOT NULL AS has_helper,
               COALESCE(cases.open, 0) AS open_cases, COALESCE(cases.overdue, 0) AS overdue_cases,
               COALESCE(m.out_of_school, 0) > 0 AS dep_education,
               COALESCE(m.uninsured, 0) > 0 AS dep_health,
               COALESCE(h.housing_safety IN ('C', 'D'), FALSE) AS dep_housing,
               COALESCE(h.water_difficult OR NOT h.water_safe, FALSE) AS dep_water,
               NOT COALESCE(h.has_electricity, TRUE) AS dep_electricity,
               COALESCE(m.people, 0) > 0 AND COALESCE(m.labourers, 0) = 0 AS dep_labour
        FROM h
        LEFT JOIN m USING (household_id)
        LEFT JOIN inc USING (household_id)
        LEFT JOIN spells USING (household_id)
        LEFT JOIN kinds USING (household_id)
        LEFT JOIN not_confirmed USING (household_id)
        LEFT JOIN meas USING (household_id)
        LEFT JOIN helpers USING (household_id)
        LEFT JOIN cases USING (household_id)
        ORDER BY h.household_id
        """
    ).to_arrow_table()
    # Every spell's start and end, not only the last one's, for the monthly trend.
    events = database.sql(
        """
        SELECT h.village_code, changes.effective_from AS day,
               CAST(CASE WHEN changes.started THEN 1 ELSE 0 END AS BIGINT) AS taken,
               CAST(CASE WHEN NOT changes.started AND NOT EXISTS (
                   SELECT 1 FROM unconfirmed u
                   WHERE u.household_id = changes.household_id
                     AND u.fast_tracked_on <= changes.effective_from
                     AND u.fast_tracked_on >= (
                         SELECT MAX(s.effective_from) FROM changes s
                         WHERE s.household_id = changes.household_id AND s.started
                           AND s.effective_from <= changes.effective_from
                     )
               ) THEN 1 ELSE 0 END AS BIGINT) AS eliminated
        FROM changes JOIN h USING (household_id)
        """
    ).to_arrow_table()
    database.close()
    done(steps)
    return ind.conform("facts", table), events


def lines(county_codes: Iterable[str], as_of: dt.date) -> pa.Table:
    """Each county's poverty line, monitoring range and exit threshold from the policy pack in force."""
    pack = packs.checked().pack
    counties = sorted(set(county_codes))
    columns: dict[str, list[object]] = {name: [] for name in ind.LINES_TABLE}
    for code in counties:
        columns["county_code"].append(code)
        columns["poverty_line"].append(
            float(value_in_force(pack.parameters["poverty_line"], code, as_of).value)
        )
        columns["monitoring_range"].append(
            float(value_in_force(pack.parameters["monitoring_range"], code, as_of).value)
        )
        threshold = float(value_in_force(pack.parameters["exit_incidence_threshold"], code, as_of).value)
        columns["exit_threshold_bp"].append(round(threshold * 10000))
    return pa.table({name: pa.array(values, ind.LINES_TABLE[name].arrow) for name, values in columns.items()})
