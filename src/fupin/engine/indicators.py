"""Indicators per area and period, defined once and computed on DuckDB, PostgreSQL or Spark.

Input: ``facts``, one row per household with everything the indicators count (see ``FACTS``), and
``lines``, one row per county with its poverty line, monitoring range and exit threshold. Output:
one row per area at every level (nation, province, prefecture, county, township, village) holding
additive sums, and the Gini coefficient, plus monthly counts of households taken into and out of
monitoring.

Why sums: a village's sums add up to its township's, the township's to the county's, and so on, so
the households are read once and every level above the village is a small GROUP BY over villages.
Every ratio (FGT, Watts, Theil, coverage, Alkire-Foster H, A and M0, incidence) is then derived
from the sums in ``derive`` in plain Python, the same on every engine. Only the Gini coefficient
needs the incomes in order, so it is one window query per level.

Definitions follow ``fupin.engine.measures`` (the reference implementation); the tests hold the two
together. Income is per-capita net income weighted by the household's people, so every measure is
a measure over people.
"""

# The SQL below is assembled from this module's own constants, whole numbers, ISO dates and dimension
# names checked against DIMENSION_SOURCES: nothing a user types reaches it, hence no S608.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from fupin.engine.backends import Backend, default_duckdb
from fupin.engine.tables import BOOLEAN, DATE, INTEGER, NUMBER, STRING, ColumnType, TableError

DIALECT = "duckdb"

# (level, length of the area code). Level 0 is the nation, whose code is "".
LEVELS: tuple[tuple[int, int], ...] = ((5, 12), (4, 9), (3, 6), (2, 4), (1, 2), (0, 0))
HOUSEHOLD_TYPES = ("lifted_out", "ordinary", "poor")
STATUSES = ("normal", "newly_identified", "not_lifted", "lifted", "pre_lifted", "returned", "cancelled")
# Columns a facts table may lack (written by an older snapshot or a generator): filled with these.
OPTIONAL_FACTS: dict[str, object] = {"status": ""}
CATEGORIES = ("unstable_lifted", "marginal", "sudden_difficulty")
# Bit i of ``risk_mask`` is RISK_TYPES[i].
RISK_TYPES = (
    "illness",
    "schooling",
    "disability",
    "disaster",
    "accident",
    "business_failure",
    "unstable_employment",
    "lack_of_labour",
    "housing",
    "water",
    "other",
)
LINES = ("poverty_line", "monitoring_range")
# Fixed lines (yuan per person per year) every build also measures against, so that policy staff can try
# another line on the page without a rebuild: 2,000 to 12,000 yuan in steps of 500.
LINE_GRID = tuple(range(2000, 12001, 500))


def grid_line(amount: int) -> str:
    """The name a fixed line's figures carry: p0_at_7500, …"""
    return f"at_{amount}"


# People by per-capita income band: [0, 2000), [2000, 4000), …, [30000, ∞); incomes below 0 go in the first.
BAND_WIDTH = 2000
BANDS = 16

FACTS: dict[str, ColumnType] = {
    "household_id": INTEGER,
    "village_code": STRING,  # 12 digits; its prefixes are the township, county, prefecture, province
    "household_type": STRING,  # lifted_out | ordinary | poor
    "status": STRING,  # normal | newly_identified | not_lifted | lifted | pre_lifted | returned | cancelled
    "registered_poor": BOOLEAN,  # counts towards poverty incidence (a poor household not yet lifted out)
    "monitoring_category": STRING,  # "" when not monitored now
    "risk_mask": INTEGER,  # bit i set: risk type RISK_TYPES[i] recorded
    "monitored_since": DATE,  # start of the current or last monitoring; null if never monitored
    "eliminated_on": DATE,  # when monitoring ended by risk elimination; null otherwise
    "elimination_kind": STRING,  # assisted | natural | ""
    "people": INTEGER,  # current members
    "labourers": INTEGER,  # members with ordinary or skilled labour capacity
    "per_capita_income": NUMBER,  # latest year's per-capita net income; null without an income record
    "has_measure": BOOLEAN,  # a measure planned, in progress or done
    "has_developmental": BOOLEAN,  # a developmental measure in progress or done
    "has_helper": BOOLEAN,  # a current twinning
    "open_cases": INTEGER,
    "overdue_cases": INTEGER,
    # Deprivations the multidimensional index may use as dimensions.
    "dep_education": BOOLEAN,  # a school-age member out of school
    "dep_health": BOOLEAN,  # a member without basic medical insurance
    "dep_housing": BOOLEAN,  # housing rated C or D
    "dep_water": BOOLEAN,  # drinking water difficult to get or unsafe
    "dep_electricity": BOOLEAN,  # no electricity
    "dep_labour": BOOLEAN,  # nobody can work
}

LINES_TABLE: dict[str, ColumnType] = {
    "county_code": STRING,
    "poverty_line": NUMBER,
    "monitoring_range": NUMBER,
    # In ten-thousandths (200 = 2%), so that "incidence below the threshold" is an exact integer test.
    "exit_threshold_bp": INTEGER,
}

# Dimensions of the multidimensional index: a deprivation column, or "income" (below the poverty line).
DIMENSION_SOURCES = ("income", *(name[4:] for name in FACTS if name.startswith("dep_")))


@dataclass(frozen=True)
class Dimension:
    name: str  # one of DIMENSION_SOURCES
    weight: int  # in a common integer unit


@dataclass(frozen=True)
class MultidimensionalConfig:
    dimensions: tuple[Dimension, ...]
    k: int  # poor when the weighted deprivation score is at least k (same unit as the weights)

    def __post_init__(self) -> None:
        names = [d.name for d in self.dimensions]
        unknown = [n for n in names if n not in DIMENSION_SOURCES]
        if unknown:
            raise ValueError(
                f"unknown dimensions: {', '.join(unknown)}; choose from {', '.join(DIMENSION_SOURCES)}"
            )
        if len(set(names)) != len(names):
            raise ValueError("a dimension may appear only once")
        if not self.dimensions:
            raise ValueError("the index needs at least one dimension")
        if any(
            not isinstance(d.weight, int) or isinstance(d.weight, bool) or d.weight <= 0
            for d in self.dimensions
        ):
            raise ValueError("dimension weights must be positive whole numbers")
        if not isinstance(self.k, int) or not 0 < self.k <= self.total_weight:
            raise ValueError(f"the cutoff k must be a whole number from 1 to {self.total_weight}")

    @property
    def total_weight(self) -> int:
        return sum(d.weight for d in self.dimensions)


# Six equally weighted dimensions, poor when deprived in two or more (one third of the weight).
DEFAULT_MULTIDIMENSIONAL = MultidimensionalConfig(
    dimensions=tuple(
        Dimension(name, 1) for name in ("income", "education", "health", "housing", "water", "labour")
    ),
    k=2,
)


@dataclass(frozen=True)
class Period:
    """A calendar month: the figures are as of its last day (or of ``as_of`` inside it)."""

    year: int
    month: int

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Period:
        year, month = text.split("-")
        period = cls(int(year), int(month))
        if not 1 <= period.month <= 12:
            raise ValueError(f"no month {text}")
        return period

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        following = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    def minus_months(self, months: int) -> Period:
        index = self.year * 12 + self.month - 1 - months
        return Period(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class IndicatorConfig:
    period: Period
    multidimensional: MultidimensionalConfig = DEFAULT_MULTIDIMENSIONAL
    trend_months: int = 24


@dataclass(frozen=True)
class _Query:
    sql: str

    def for_dialect(self, dialect: str) -> str:
        import sqlglot

        if dialect == DIALECT:
            return self.sql
        return sqlglot.transpile(self.sql, read=DIALECT, write=dialect)[0]


def _schema(columns: Mapping[str, ColumnType]) -> pa.Schema:
    return pa.schema([pa.field(name, col.arrow) for name, col in columns.items()])


def conform(name: str, table: pa.Table) -> pa.Table:
    columns = FACTS if name == "facts" else LINES_TABLE
    wanted = _schema(columns)
    if name == "facts":
        for column, default in OPTIONAL_FACTS.items():
            if column not in table.column_names:
                table = table.append_column(
                    column, pa.repeat(pa.scalar(default, FACTS[column].arrow), table.num_rows)
                )
    missing = [f.name for f in wanted if f.name not in table.column_names]
    if missing:
        raise TableError(f"table {name} lacks columns: {', '.join(missing)}")
    return table.select(wanted.names).cast(wanted)


def empty_facts() -> pa.Table:
    return _schema(FACTS).empty_table()


# --- The sums, per household, written once ------------------------------------------------------


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _people_if(condition: str) -> str:
    return f"CASE WHEN {condition} THEN people ELSE 0 END"


def _date(day: dt.date) -> str:
    return f"CAST('{day.isoformat()}' AS DATE)"


def _deprived(source: str) -> str:
    return "(per_capita_income < poverty_line)" if source == "income" else f"dep_{source}"


def household_sums(config: IndicatorConfig) -> list[tuple[str, str, bool]]:
    """(name, per-household expression, is integer) for every additive sum."""
    start, end = _date(config.period.first_day), _date(config.period.last_day)
    monitored = "monitoring_category <> ''"
    eliminated = "(eliminated_on IS NOT NULL AND monitoring_category = '')"
    y = "per_capita_income"
    sums: list[tuple[str, str, bool]] = [("households", "1", True), ("people", "people", True)]
    for kind in HOUSEHOLD_TYPES:
        sums.append((f"households_{kind}", _flag(f"household_type = '{kind}'"), True))
        sums.append((f"people_{kind}", _people_if(f"household_type = '{kind}'"), True))
    for status in STATUSES:
        sums.append((f"households_status_{status}", _flag(f"status = '{status}'"), True))
    sums.append(("monitored_households", _flag(monitored), True))
    sums.append(("monitored_people", _people_if(monitored), True))
    for category in CATEGORIES:
        sums.append((f"category_{category}_households", _flag(f"monitoring_category = '{category}'"), True))
        sums.append((f"category_{category}_people", _people_if(f"monitoring_category = '{category}'"), True))
    for bit, risk in enumerate(RISK_TYPES):
        sums.append(
            (f"risk_{risk}_households", _flag(f"{monitored} AND (risk_mask & {1 << bit}) <> 0"), True)
        )
    sums += [
        ("ever_monitored_households", _flag("monitored_since IS NOT NULL"), True),
        ("eliminated_households", _flag(eliminated), True),
        ("eliminated_assisted", _flag(f"{eliminated} AND elimination_kind = 'assisted'"), True),
        ("eliminated_natural", _flag(f"{eliminated} AND elimination_kind = 'natural'"), True),
        ("new_monitored", _flag(f"monitored_since BETWEEN {start} AND {end}"), True),
        ("eliminated_in_period", _flag(f"eliminated_on BETWEEN {start} AND {end}"), True),
        ("open_cases", "open_cases", True),
        ("overdue_cases", "overdue_cases", True),
        ("monitored_with_measure", _flag(f"{monitored} AND has_measure"), True),
        ("monitored_with_developmental", _flag(f"{monitored} AND has_developmental"), True),
        ("monitored_with_helper", _flag(f"{monitored} AND has_helper"), True),
        ("monitored_can_work", _flag(f"{monitored} AND labourers > 0"), True),
        (
            "monitored_can_work_developmental",
            _flag(f"{monitored} AND labourers > 0 AND has_developmental"),
            True,
        ),
        ("lifted_out_with_helper", _flag("household_type = 'lifted_out' AND has_helper"), True),
        ("registered_poor_households", _flag("registered_poor"), True),
        ("registered_poor_people", _people_if("registered_poor"), True),
        ("income_households", _flag(f"{y} IS NOT NULL"), True),
        ("income_people", _people_if(f"{y} IS NOT NULL"), True),
        ("income_sum", f"CASE WHEN {y} IS NOT NULL THEN people * {y} ELSE 0 END", False),
        ("positive_people", _people_if(f"{y} > 0"), True),
        ("positive_sum", f"CASE WHEN {y} > 0 THEN people * {y} ELSE 0 END", False),
        ("positive_sum_ylny", f"CASE WHEN {y} > 0 THEN people * {y} * LN({y}) ELSE 0 END", False),
    ]
    # Each county's own lines (columns of ``lines``), then the fixed lines (literals).
    measured = [(line, line) for line in LINES] + [
        (grid_line(amount), f"CAST({amount} AS DOUBLE)") for amount in LINE_GRID
    ]
    for name, line in measured:
        gap = f"(({line} - {y}) / {line})"
        sums += [
            (f"poor_{name}", _people_if(f"{y} < {line}"), True),
            (f"gap_{name}", f"CASE WHEN {y} < {line} THEN people * {gap} ELSE 0 END", False),
            (f"severity_{name}", f"CASE WHEN {y} < {line} THEN people * {gap} * {gap} ELSE 0 END", False),
            (
                f"watts_sum_{name}",
                f"CASE WHEN {y} > 0 AND {y} < {line} THEN people * LN({line} / {y}) ELSE 0 END",
                False,
            ),
        ]
    k = config.multidimensional.k
    sums += [
        ("md_poor_people", _people_if(f"md_score >= {k}"), True),
        ("md_poor_score", f"CASE WHEN md_score >= {k} THEN people * md_score ELSE 0 END", True),
    ]
    for dimension in config.multidimensional.dimensions:
        deprived = f"COALESCE({_deprived(dimension.name)}, FALSE)"
        sums.append((f"deprived_{dimension.name}_people", _people_if(deprived), True))
        sums.append(
            (f"censored_{dimension.name}_people", _people_if(f"{deprived} AND md_score >= {k}"), True)
        )
    for band in range(BANDS):
        low, high = band * BAND_WIDTH, (band + 1) * BAND_WIDTH
        if band == 0:
            condition = f"{y} < {high}"
        elif band == BANDS - 1:
            condition = f"{y} >= {low}"
        else:
            condition = f"{y} >= {low} AND {y} < {high}"
        sums.append((f"band_{band:02d}", _people_if(condition), True))
    return sums


def _sum_column(name: str, expression: str, integer: bool) -> str:
    if integer:
        return f"CAST(SUM({expression}) AS BIGINT) AS {name}"
    return f"CAST(SUM({expression}) AS DOUBLE) AS {name}"


def _rolled(name: str, integer: bool) -> str:
    return f"CAST(SUM({name}) AS {'BIGINT' if integer else 'DOUBLE'}) AS {name}"


def _enriched_facts(config: IndicatorConfig) -> str:
    score = " + ".join(
        f"{d.weight} * CASE WHEN COALESCE({_deprived(d.name)}, FALSE) THEN 1 ELSE 0 END"
        for d in config.multidimensional.dimensions
    )
    return f"""
    enriched AS (
        SELECT f.*, l.poverty_line, l.monitoring_range, l.exit_threshold_bp
        FROM facts AS f LEFT JOIN lines AS l ON SUBSTR(f.village_code, 1, 6) = l.county_code
    ),
    scored AS (SELECT enriched.*, {score} AS md_score FROM enriched)"""


def sums_query(config: IndicatorConfig) -> _Query:
    """One row per area at every level: the additive sums and, per village, the exit test."""
    sums = household_sums(config)
    village_columns = ",\n        ".join(_sum_column(*s) for s in sums)
    rolled_columns = ", ".join(_rolled(name, integer) for name, _, integer in sums)
    fails = _flag("people > 0 AND registered_poor_people * 10000 >= exit_threshold_bp * people")
    parts = [
        f"SELECT village_code AS area_code, 5 AS level, {', '.join(name for name, _, _ in sums)}, "
        f"CAST(1 AS BIGINT) AS villages, CAST({fails} AS BIGINT) AS villages_failing, exit_threshold_bp "
        "FROM villages"
    ]
    for level, length in LEVELS[1:]:
        code = f"SUBSTR(village_code, 1, {length})" if length else "''"
        parts.append(
            f"SELECT {code} AS area_code, {level} AS level, {rolled_columns}, "
            f"CAST(COUNT(*) AS BIGINT) AS villages, CAST(SUM({fails}) AS BIGINT) AS villages_failing, "
            f"{'MAX(exit_threshold_bp)' if length >= 6 else 'CAST(NULL AS BIGINT)'} AS exit_threshold_bp "
            f"FROM villages GROUP BY {code if length else 'level'}"
        )
    union = "\nUNION ALL\n".join(parts)
    sql = f"""WITH {_enriched_facts(config)},
    villages AS (
        SELECT village_code,
        {village_columns},
        CAST(MAX(exit_threshold_bp) AS BIGINT) AS exit_threshold_bp
        FROM scored GROUP BY village_code
    )
{union}"""
    return _Query(sql)


def gini_query(levels: Sequence[int] | None = None) -> _Query:
    """The Gini coefficient of per-capita income over people, per area at every level (or ``levels``).

    One minus the trapezoid area under the Lorenz curve: G = 1 − Σ w(2·S_before + w·y) / (W·S), with
    the incomes in ascending order within the area; ties may come in any order without changing G.
    """
    parts = []
    for level, length in LEVELS:
        if levels is not None and level not in levels:
            continue
        code = f"SUBSTR(village_code, 1, {length})" if length else "''"
        parts.append(
            f"""SELECT area_code, {level} AS level,
                CAST(1 - SUM(people * (2 * COALESCE(before, 0) + people * y))
                         / (SUM(people) * SUM(people * y)) AS DOUBLE) AS gini
            FROM (
                SELECT {code} AS area_code, people, y,
                    SUM(people * y) OVER (PARTITION BY {code} ORDER BY y
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
                FROM incomes
            ) AS ordered
            GROUP BY area_code
            HAVING SUM(people * y) <> 0"""
        )
    union = "\nUNION ALL\n".join(parts)
    sql = f"""WITH incomes AS (
        SELECT village_code, CAST(people AS DOUBLE) AS people, per_capita_income AS y FROM facts
        WHERE per_capita_income IS NOT NULL AND people > 0
    )
{union}"""
    return _Query(sql)


EVENTS_TABLE: dict[str, ColumnType] = {
    "village_code": STRING,
    "day": DATE,
    "taken": INTEGER,  # 1: a household taken into monitoring that day
    "eliminated": INTEGER,  # 1: a household's risk eliminated that day
}


def months_query(config: IndicatorConfig, *, from_events: bool = False) -> _Query:
    """Households taken into monitoring and out of it by risk elimination, per area and month.

    From ``events`` (every spell of every household: what a registry snapshot gives) or, without it,
    from the facts' current or last spell (a generated facts table).
    """
    since = _date(config.period.minus_months(config.trend_months - 1).first_day)
    until = _date(config.period.last_day)

    def month(column: str) -> str:
        return f"CAST(EXTRACT(YEAR FROM {column}) * 100 + EXTRACT(MONTH FROM {column}) AS BIGINT)"

    parts = []
    for level, length in LEVELS:
        code = f"SUBSTR(village_code, 1, {length})" if length else "''"
        group = f"{code}, month" if length else "month"
        parts.append(
            f"SELECT {code} AS area_code, {level} AS level, month, CAST(SUM(taken) AS BIGINT) AS taken, "
            f"CAST(SUM(eliminated) AS BIGINT) AS eliminated FROM events GROUP BY {group}"
        )
    union = "\nUNION ALL\n".join(parts)
    if from_events:
        sql = f"""WITH events AS (
        SELECT village_code, {month("day")} AS month, taken, eliminated FROM event_rows
        WHERE day BETWEEN {since} AND {until}
    )
{union}"""
        return _Query(sql)
    sql = f"""WITH events AS (
        SELECT village_code, {month("monitored_since")} AS month, 1 AS taken, 0 AS eliminated FROM facts
        WHERE monitored_since BETWEEN {since} AND {until}
        UNION ALL
        SELECT village_code, {month("eliminated_on")} AS month, 0 AS taken, 1 AS eliminated FROM facts
        WHERE eliminated_on BETWEEN {since} AND {until} AND monitoring_category = ''
    )
{union}"""
    return _Query(sql)


# --- Running and deriving ----------------------------------------------------------------------


@dataclass
class AreaFigures:
    code: str
    level: int
    sums: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)  # derived: ratios, measures, exit test
    months: list[tuple[int, int, int]] = field(default_factory=list)  # (yyyymm, taken, eliminated)


@dataclass
class IndicatorResult:
    config: IndicatorConfig
    areas: dict[str, AreaFigures]  # by area code; "" is the nation
    seconds: dict[str, float]


def compute(
    facts: pa.Table,
    lines: pa.Table,
    config: IndicatorConfig,
    *,
    backend: Backend | None = None,
    events: pa.Table | None = None,
) -> IndicatorResult:
    """Every indicator for every area that has households, on the given engine (DuckDB by default).

    ``events`` (``EVENTS_TABLE``): every inclusion and elimination, for the monthly trend; without it the
    trend counts each household's current or last spell only.
    """
    import time

    engine = backend or default_duckdb()
    data = {"facts": conform("facts", facts), "lines": conform("lines", lines)}
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    sums = engine.run(sums_query(config), data)
    seconds["sums"] = time.perf_counter() - started
    started = time.perf_counter()
    # Sorting incomes is most of the work. An area with a single child has that child's people and so its
    # Gini: a level where every area has one child (the nation of a one-province deployment) is copied.
    children: dict[int, dict[str, int]] = {}
    for code, level in zip(
        sums.column("area_code").to_pylist(), sums.column("level").to_pylist(), strict=True
    ):
        if level:
            parent = code[: dict(LEVELS)[level - 1]]
            children.setdefault(level - 1, {}).setdefault(parent, 0)
            children[level - 1][parent] += 1
    needed = [
        level for level, _ in LEVELS if level == 5 or max(children.get(level, {}).values(), default=0) > 1
    ]
    ginis = engine.run(gini_query(needed), {"facts": data["facts"]})
    seconds["gini"] = time.perf_counter() - started
    started = time.perf_counter()
    if events is not None:
        wanted = _schema(EVENTS_TABLE)
        months = engine.run(
            months_query(config, from_events=True), {"event_rows": events.select(wanted.names).cast(wanted)}
        )
    else:
        months = engine.run(months_query(config), {"facts": data["facts"]})
    seconds["months"] = time.perf_counter() - started
    started = time.perf_counter()
    areas: dict[str, AreaFigures] = {}
    for row in sums.to_pylist():
        code = row.pop("area_code")
        level = int(row.pop("level"))
        areas[code] = AreaFigures(code, level, {k: _plain(v) for k, v in row.items()})
    for row in ginis.to_pylist():
        if row["area_code"] in areas:
            areas[row["area_code"]].sums["gini"] = _plain(row["gini"])
    for level, length in LEVELS:  # a copied level takes its only child's, finest levels first
        if level in needed:
            continue
        for area in list(areas.values()):
            if area.level == level + 1:
                areas[area.code[:length]].sums["gini"] = area.sums.get("gini")
    for row in sorted(months.to_pylist(), key=lambda r: r["month"]):
        if row["area_code"] in areas:
            areas[row["area_code"]].months.append(
                (int(row["month"]), int(row["taken"]), int(row["eliminated"]))
            )
    counties_failing: dict[str, list[int]] = {}
    for area in areas.values():
        area.figures = derive(area.sums, area.level, config.multidimensional)
        if area.level == 3 and area.figures.get("exit_passes") is not None:
            for length in (4, 2, 0):
                tally = counties_failing.setdefault(area.code[:length], [0, 0])
                tally[0] += 1
                tally[1] += 0 if area.figures["exit_passes"] else 1
    for code, (counties, failing) in counties_failing.items():
        if code in areas:
            areas[code].figures["counties"] = counties
            areas[code].figures["counties_failing"] = failing
    seconds["derive"] = time.perf_counter() - started
    return IndicatorResult(config, areas, seconds)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def derive(sums: Mapping[str, Any], level: int, multidimensional: MultidimensionalConfig) -> dict[str, Any]:
    """Every ratio and measure from an area's sums: the one definition pages, exports and reports show."""
    s = sums
    figures: dict[str, Any] = {
        "share_monitored": _ratio(s["monitored_households"], s["households"]),
        "share_eliminated": _ratio(s["eliminated_households"], s["ever_monitored_households"]),
        "coverage_measure": _ratio(s["monitored_with_measure"], s["monitored_households"]),
        "coverage_developmental": _ratio(s["monitored_can_work_developmental"], s["monitored_can_work"]),
        "coverage_helper": _ratio(s["monitored_with_helper"], s["monitored_households"]),
        "coverage_helper_lifted_out": _ratio(s["lifted_out_with_helper"], s["households_lifted_out"]),
        "mean_income": _ratio(s["income_sum"], s["income_people"]),
        "gini": s.get("gini"),
        "incidence": _ratio(s["registered_poor_people"], s["people"]),
    }
    for line in (*LINES, *(grid_line(amount) for amount in LINE_GRID)):
        figures[f"p0_{line}"] = _ratio(s[f"poor_{line}"], s["income_people"])
        figures[f"p1_{line}"] = _ratio(s[f"gap_{line}"], s["income_people"])
        figures[f"p2_{line}"] = _ratio(s[f"severity_{line}"], s["income_people"])
        figures[f"watts_{line}"] = _ratio(s[f"watts_sum_{line}"], s["positive_people"])
    mean_positive = _ratio(s["positive_sum"], s["positive_people"])
    figures["theil"] = (
        s["positive_sum_ylny"] / (s["positive_people"] * mean_positive) - math.log(mean_positive)
        if mean_positive
        else None
    )
    # Alkire-Foster over people: H, A, M0, censored headcounts and contributions.
    total_weight = multidimensional.total_weight
    headcount = _ratio(s["md_poor_people"], s["people"])
    intensity = _ratio(s["md_poor_score"], s["md_poor_people"] * total_weight) if s["md_poor_people"] else 0.0
    m0 = headcount * intensity if headcount is not None and intensity is not None else None
    figures.update({"md_h": headcount, "md_a": intensity, "md_m0": m0})
    for dimension in multidimensional.dimensions:
        censored = _ratio(s[f"censored_{dimension.name}_people"], s["people"])
        figures[f"md_censored_{dimension.name}"] = censored
        figures[f"md_contribution_{dimension.name}"] = (
            dimension.weight * censored / (total_weight * m0) if m0 and censored is not None else None
        )
    # Exit test (village and county): incidence strictly below the threshold, decided on integers.
    threshold = s.get("exit_threshold_bp")
    if level in (3, 5) and threshold is not None and s["people"]:
        figures["exit_threshold"] = threshold / 10000
        figures["exit_passes"] = s["registered_poor_people"] * 10000 < threshold * s["people"]
        # The fewest poor people who must leave poverty for the area to pass.
        allowed = max(0, -(-threshold * s["people"] // 10000) - 1)
        figures["exit_people_to_lift"] = max(0, s["registered_poor_people"] - allowed)
    if level < 5:
        figures["villages"] = s.get("villages")
        figures["villages_failing"] = s.get("villages_failing")
    return figures


def facts_from_rows(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """A facts table from dicts (tests and small snapshots); missing columns take harmless defaults."""
    defaults: dict[str, Any] = {
        "household_type": "ordinary",
        "status": "normal",
        "registered_poor": False,
        "monitoring_category": "",
        "risk_mask": 0,
        "monitored_since": None,
        "eliminated_on": None,
        "elimination_kind": "",
        "people": 1,
        "labourers": 1,
        "per_capita_income": None,
        "has_measure": False,
        "has_developmental": False,
        "has_helper": False,
        "open_cases": 0,
        "overdue_cases": 0,
        **{name: False for name in FACTS if name.startswith("dep_")},
    }
    columns: dict[str, list[Any]] = {name: [] for name in FACTS}
    for index, row in enumerate(rows):
        for name in FACTS:
            if name == "household_id":
                columns[name].append(row.get(name, index + 1))
            else:
                columns[name].append(row[name] if name in row else defaults[name])
    return pa.table({name: pa.array(values, FACTS[name].arrow) for name, values in columns.items()})
