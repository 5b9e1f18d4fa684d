"""The indicator engine: published worked examples, an independent implementation, engines agreeing.

The oracles: the World Bank handbook's FGT example, Alkire & Foster's (2011) counting example, and
for weighted measures a naive implementation that repeats each income as many times as its weight
(a weight of 3 is three people with that income) and computes the Gini by its mean-difference form.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.engine import indicators as ind
from fupin.engine import measures
from fupin.engine.backends import PostgresBackend

PG_URI = "postgresql://postgres@127.0.0.1:5432/postgres"
PERIOD = ind.Period(2026, 11)
COUNTY = "220822"
VILLAGE = COUNTY + "100201"


def lines(poverty_line: float = 125.0, monitoring_range: float = 200.0, threshold_bp: int = 200) -> pa.Table:
    return pa.table(
        {
            "county_code": [COUNTY, "520102"],
            "poverty_line": [poverty_line, poverty_line],
            "monitoring_range": [monitoring_range, monitoring_range],
            "exit_threshold_bp": [threshold_bp, 300],
        }
    )


def nation(rows: list[dict[str, Any]], config: ind.IndicatorConfig | None = None, **line_args: Any) -> dict:
    result = ind.compute(ind.facts_from_rows(rows), lines(**line_args), config or ind.IndicatorConfig(PERIOD))
    return result.areas[""].figures


# --- Published worked examples ------------------------------------------------------------------


def test_fgt_worked_example_reference_and_engine() -> None:
    incomes = [100, 110, 150, 160]
    assert measures.fgt(incomes, 125, 0) == 0.5
    assert measures.fgt(incomes, 125, 1) == pytest.approx(0.08, abs=1e-15)
    assert measures.fgt(incomes, 125, 2) == pytest.approx(0.0136, abs=1e-15)
    figures = nation([{"village_code": VILLAGE, "per_capita_income": float(y), "people": 1} for y in incomes])
    assert figures["p0_poverty_line"] == 0.5
    assert figures["p1_poverty_line"] == pytest.approx(0.08, abs=1e-15)
    assert figures["p2_poverty_line"] == pytest.approx(0.0136, abs=1e-15)


def test_fgt_counts_only_strictly_below_the_line() -> None:
    figures = nation(
        [
            {"village_code": VILLAGE, "per_capita_income": 125.0},
            {"village_code": VILLAGE, "per_capita_income": 124.0},
        ]
    )
    assert figures["p0_poverty_line"] == 0.5


def test_alkire_foster_worked_example_reference_and_engine() -> None:
    counts = (0, 2, 4, 1)
    matrix = [[j < c for j in range(4)] for c in counts]
    result = measures.alkire_foster(matrix, [1, 1, 1, 1], k=2)
    assert (result.headcount, result.intensity, result.m0) == (0.5, 0.75, 0.375)
    assert sum(result.contributions) == pytest.approx(1.0)

    dims = ("education", "health", "housing", "water")
    config = ind.IndicatorConfig(
        PERIOD, multidimensional=ind.MultidimensionalConfig(tuple(ind.Dimension(d, 1) for d in dims), k=2)
    )
    rows = [
        {"village_code": VILLAGE, **{f"dep_{d}": flag for d, flag in zip(dims, row, strict=True)}}
        for row in matrix
    ]
    figures = nation(rows, config)
    assert (figures["md_h"], figures["md_a"], figures["md_m0"]) == (0.5, 0.75, 0.375)
    # Censored headcounts: education is deprived for the two poor units, water only for the unit with 4.
    assert figures["md_censored_education"] == 0.5
    assert figures["md_censored_water"] == 0.25
    assert sum(figures[f"md_contribution_{d}"] for d in dims) == pytest.approx(1.0)


def test_alkire_foster_cutoff_is_decided_on_integers() -> None:
    # Weights 1, 1, 1 with k = 1 of 3: a float share 1/3 + 1/3 + 1/3 would not compare cleanly.
    config = ind.MultidimensionalConfig(
        (ind.Dimension("health", 1), ind.Dimension("water", 1), ind.Dimension("housing", 1)), k=3
    )
    figures = nation(
        [
            {"village_code": VILLAGE, "dep_health": True, "dep_water": True, "dep_housing": True},
            {"village_code": VILLAGE},
        ],
        ind.IndicatorConfig(PERIOD, multidimensional=config),
    )
    assert figures["md_h"] == 0.5 and figures["md_a"] == 1.0


@pytest.mark.parametrize(
    ("dimensions", "k", "message"),
    [
        ((("health", 1),), 2, "cutoff"),
        ((("health", 0),), 1, "whole numbers"),
        ((("health", 1), ("health", 1)), 1, "only once"),
        ((("wealth", 1),), 1, "unknown"),
    ],
)
def test_bad_multidimensional_settings_are_refused(dimensions: tuple, k: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ind.MultidimensionalConfig(tuple(ind.Dimension(n, w) for n, w in dimensions), k=k)


# --- Weighted measures against an independent implementation -----------------------------------


def expanded(incomes: list[float], weights: list[int]) -> list[float]:
    return [y for y, w in zip(incomes, weights, strict=True) for _ in range(w)]


def naive_gini(values: list[float]) -> float:
    n = len(values)
    mean = sum(values) / n
    return sum(abs(a - b) for a in values for b in values) / (2 * n * n * mean)


def naive_fgt(values: list[float], line: float, alpha: int) -> float:
    return sum(((line - y) / line) ** alpha for y in values if y < line) / len(values)


def naive_theil(values: list[float]) -> float:
    positive = [y for y in values if y > 0]
    mean = sum(positive) / len(positive)
    return sum((y / mean) * math.log(y / mean) for y in positive) / len(positive)


def naive_watts(values: list[float], line: float) -> float:
    positive = [y for y in values if y > 0]
    return sum(math.log(line / y) for y in positive if y < line) / len(positive)


households = st.lists(
    st.tuples(st.integers(min_value=-500, max_value=20000).map(float), st.integers(min_value=1, max_value=6)),
    min_size=2,
    max_size=30,
).filter(lambda rows: sum(y for y, _ in rows if y > 0) > 0 and sum(y * w for y, w in rows) > 0)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(households, st.sampled_from([4000.0, 6000.0, 6900.0]))
def test_weighted_measures_agree_with_an_independent_implementation(
    rows: list[tuple[float, int]], line: float
) -> None:
    incomes = [y for y, _ in rows]
    weights = [w for _, w in rows]
    people = expanded(incomes, weights)
    facts = [{"village_code": VILLAGE, "per_capita_income": y, "people": w} for y, w in rows]
    figures = nation(facts, poverty_line=line)
    for alpha in (0, 1, 2):
        expected = naive_fgt(people, line, alpha)
        assert measures.fgt(incomes, line, alpha, weights) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert figures[f"p{alpha}_poverty_line"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert measures.gini(incomes, weights) == pytest.approx(naive_gini(people), rel=1e-9, abs=1e-12)
    assert figures["gini"] == pytest.approx(naive_gini(people), rel=1e-9, abs=1e-12)
    assert figures["theil"] == pytest.approx(naive_theil(people), rel=1e-7, abs=1e-9)
    assert measures.theil(incomes, weights) == pytest.approx(naive_theil(people), rel=1e-9, abs=1e-12)
    assert figures["watts_poverty_line"] == pytest.approx(naive_watts(people, line), rel=1e-9, abs=1e-12)
    # The fixed lines every build also measures against (chosen on the page without a rebuild).
    for amount in (2000, 7500, 12000):
        for alpha in (0, 1, 2):
            expected = naive_fgt(people, amount, alpha)
            assert figures[f"p{alpha}_at_{amount}"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert figures["mean_income"] == pytest.approx(sum(people) / len(people))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.lists(st.booleans(), min_size=3, max_size=3), st.integers(min_value=1, max_value=5)),
        min_size=1,
        max_size=25,
    ),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    st.integers(1, 9),
)
def test_weighted_alkire_foster_agrees_with_expanded_units(rows: list, dim_weights: tuple, k: int) -> None:
    k = min(k, sum(dim_weights))
    names = ("health", "water", "housing")
    matrix = [flags for flags, _ in rows]
    people = [w for _, w in rows]
    naive = measures.alkire_foster([f for f, w in rows for _ in range(w)], list(dim_weights), k)
    weighted = measures.alkire_foster(matrix, list(dim_weights), k, people)
    config = ind.MultidimensionalConfig(
        tuple(ind.Dimension(n, w) for n, w in zip(names, dim_weights, strict=True)), k
    )
    figures = nation(
        [
            {
                "village_code": VILLAGE,
                "people": w,
                **{f"dep_{n}": flag for n, flag in zip(names, flags, strict=True)},
            }
            for flags, w in rows
        ],
        ind.IndicatorConfig(PERIOD, multidimensional=config),
    )
    for result in (weighted,):
        assert result.headcount == pytest.approx(naive.headcount)
        assert result.m0 == pytest.approx(naive.m0)
    assert figures["md_h"] == pytest.approx(naive.headcount)
    assert figures["md_a"] == pytest.approx(naive.intensity)
    assert figures["md_m0"] == pytest.approx(naive.m0)
    for name, censored in zip(names, naive.censored_headcounts, strict=True):
        assert figures[f"md_censored_{name}"] == pytest.approx(censored)
    if naive.m0:
        assert sum(figures[f"md_contribution_{n}"] for n in names) == pytest.approx(1.0)


# --- Areas, rolling up, exit test, months ------------------------------------------------------


def random_facts(seed: int, households: int = 400) -> pa.Table:
    rng = random.Random(seed)
    villages = [
        f"{county}{t:03d}{v:03d}"
        for county in (COUNTY, "520102")
        for t in (100, 101)
        for v in (201, 202, 203)
    ]
    rows = []
    for _ in range(households):
        monitored = rng.random() < 0.2
        since = (
            dt.date(2026, 11, 28) - dt.timedelta(days=rng.randrange(900))
            if monitored or rng.random() < 0.1
            else None
        )
        rows.append(
            {
                "village_code": rng.choice(villages),
                "household_type": rng.choice(ind.HOUSEHOLD_TYPES),
                "registered_poor": rng.random() < 0.03,
                "monitoring_category": rng.choice(ind.CATEGORIES) if monitored else "",
                "risk_mask": rng.randrange(1 << len(ind.RISK_TYPES)) if monitored else 0,
                "monitored_since": since,
                "eliminated_on": (since + dt.timedelta(days=200)) if since and not monitored else None,
                "elimination_kind": rng.choice(["assisted", "natural"]) if since and not monitored else "",
                "people": rng.randint(1, 6),
                "labourers": rng.randint(0, 3),
                "per_capita_income": None if rng.random() < 0.05 else round(rng.uniform(-300, 30000), 2),
                "has_measure": rng.random() < 0.7,
                "has_developmental": rng.random() < 0.5,
                "has_helper": rng.random() < 0.6,
                "open_cases": rng.randint(0, 1),
                "overdue_cases": rng.randint(0, 1),
                **{name: rng.random() < 0.2 for name in ind.FACTS if name.startswith("dep_")},
            }
        )
    return ind.facts_from_rows(rows)


def test_every_level_adds_up_to_the_level_above() -> None:
    result = ind.compute(
        random_facts(1), lines(poverty_line=4000, monitoring_range=6900), ind.IndicatorConfig(PERIOD)
    )
    additive = [name for name, _, integer in ind.household_sums(result.config) if integer]
    for code, area in result.areas.items():
        if area.level == 5:
            continue
        length = {0: 2, 1: 4, 2: 6, 3: 9, 4: 12}[area.level]
        children = [
            a for a in result.areas.values() if a.level == area.level + 1 and a.code[: len(code)] == code
        ]
        assert children, code
        for name in additive:
            assert area.sums[name] == sum(c.sums[name] for c in children), (code, name)
        assert all(len(c.code) == length for c in children)
    assert result.areas[""].sums["households"] == 400


def test_gini_of_every_area_equals_the_reference_whether_computed_or_copied() -> None:
    facts = random_facts(3, households=300)
    for table in (facts, facts.filter(pa.compute.starts_with(facts["village_code"], "22"))):
        result = ind.compute(table, lines(), ind.IndicatorConfig(PERIOD))
        rows = table.to_pylist()
        for code, area in result.areas.items():
            mine = [
                r for r in rows if r["village_code"].startswith(code) and r["per_capita_income"] is not None
            ]
            expected = measures.gini([r["per_capita_income"] for r in mine], [r["people"] for r in mine])
            assert area.sums["gini"] == pytest.approx(expected, rel=1e-9), code


def test_exit_threshold_is_strictly_below_and_western_provinces_use_their_own() -> None:
    def village_rows(code: str, poor: int, people: int) -> list[dict[str, Any]]:
        return [{"village_code": code, "registered_poor": i < poor, "people": 1} for i in range(people)]

    rows = (
        village_rows(COUNTY + "100201", 2, 100)  # exactly 2%: fails
        + village_rows(COUNTY + "100202", 1, 100)  # 1%: passes
        + village_rows("520102100201", 2, 100)  # 2% in Guizhou, threshold 3%: passes
    )
    result = ind.compute(ind.facts_from_rows(rows), lines(), ind.IndicatorConfig(PERIOD))
    assert result.areas[COUNTY + "100201"].figures["exit_passes"] is False
    assert result.areas[COUNTY + "100201"].figures["exit_people_to_lift"] == 1
    assert result.areas[COUNTY + "100202"].figures["exit_passes"] is True
    assert result.areas["520102100201"].figures["exit_passes"] is True
    assert result.areas[COUNTY].figures["incidence"] == 0.015
    assert result.areas[COUNTY].figures["exit_passes"] is True
    assert result.areas[COUNTY].figures["villages_failing"] == 1
    assert result.areas[""].figures["counties"] == 2 and result.areas[""].figures["counties_failing"] == 0


def test_a_facts_table_without_the_optional_status_column_is_accepted() -> None:
    facts = ind.facts_from_rows([{"village_code": VILLAGE}]).drop_columns(["status"])
    result = ind.compute(facts, lines(), ind.IndicatorConfig(PERIOD))
    assert result.areas[""].sums["households"] == 1 and result.areas[""].sums["households_status_normal"] == 0
    with pytest.raises(ind.TableError, match="village_code"):
        ind.compute(facts.drop_columns(["village_code"]), lines(), ind.IndicatorConfig(PERIOD))


def test_trend_months_count_inclusions_and_eliminations() -> None:
    rows = [
        {"village_code": VILLAGE, "monitoring_category": "marginal", "monitored_since": dt.date(2026, 11, 2)},
        {
            "village_code": VILLAGE,
            "monitored_since": dt.date(2026, 3, 1),
            "eliminated_on": dt.date(2026, 10, 9),
        },
        {"village_code": VILLAGE, "monitoring_category": "marginal", "monitored_since": dt.date(2020, 1, 1)},
    ]
    result = ind.compute(ind.facts_from_rows(rows), lines(), ind.IndicatorConfig(PERIOD))
    assert result.areas[""].months == [(202603, 1, 0), (202610, 0, 1), (202611, 1, 0)]
    nation_sums = result.areas[""].sums
    assert nation_sums["new_monitored"] == 1 and nation_sums["eliminated_in_period"] == 0
    assert result.areas[""].figures["share_eliminated"] == pytest.approx(1 / 3)


def test_coverage_of_monitored_households() -> None:
    rows = [
        {
            "village_code": VILLAGE,
            "monitoring_category": "marginal",
            "has_measure": True,
            "has_helper": True,
            "labourers": 2,
            "has_developmental": True,
        },
        {"village_code": VILLAGE, "monitoring_category": "marginal", "has_measure": True, "labourers": 1},
        {"village_code": VILLAGE, "monitoring_category": "marginal", "labourers": 0},
        {"village_code": VILLAGE, "has_measure": True, "has_helper": True},  # not monitored: not counted
    ]
    figures = nation(rows)
    assert figures["coverage_measure"] == pytest.approx(2 / 3)
    assert figures["coverage_helper"] == pytest.approx(1 / 3)
    assert figures["coverage_developmental"] == pytest.approx(1 / 2)


# --- Engines agree ------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def test_duckdb_and_postgresql_give_the_same_indicators() -> None:
    facts = random_facts(7, households=600)
    duck = ind.compute(facts, lines(poverty_line=4000, monitoring_range=6900), ind.IndicatorConfig(PERIOD))
    pg = ind.compute(
        facts,
        lines(poverty_line=4000, monitoring_range=6900),
        ind.IndicatorConfig(PERIOD),
        backend=PostgresBackend(PG_URI),
    )
    assert duck.areas.keys() == pg.areas.keys()
    for code, area in duck.areas.items():
        other = pg.areas[code]
        assert area.months == other.months, code
        for name, value in {**area.sums, **area.figures}.items():
            theirs = {**other.sums, **other.figures}[name]
            assert (value is None and theirs is None) or _same(value, theirs), (code, name, value, theirs)
