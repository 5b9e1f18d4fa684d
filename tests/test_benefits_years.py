"""Caps per year or for life (issue 13): a county opens a programme each year, so a yearly cap starts
again on 1 January while a lifetime cap (and once-per-person) holds across years, whatever the order
and batching of the applications. The row-by-row baseline of bench/benefits.py is the oracle."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.engine import benefits
from fupin.engine.checker import check_pack
from fupin.engine.packs import parse_pack
from tests.test_benefits_engine import BENCH, JILIN, money, pack_text, problems_of, programme, run, worker

COUNTY = "220822"


def _period(period: str) -> dict[str, str]:
    return {"period": period, "source": "test", "confidence": "example"}


# ---------------------------------------------------------------- seed 002, worked cases


def test_an_enterprise_at_its_50000_cap_in_2025_is_paid_again_in_2026():
    # 32 workers at 1,600 = 51,200: the 32nd is cut to 400 yuan, then 2026 starts a new year.
    rows_2025 = [worker(i, person=i, entity=7, applied_on=dt.date(2025, 3, 1)) for i in range(1, 33)]
    first = run(rows_2025)
    assert sum(r["amount"] for r in first.values()) == 50_000 * 100
    history = benefits.compute(JILIN, pa.Table.from_pylist(rows_2025)).table
    next_year = run([worker(100, person=100, entity=7, applied_on=dt.date(2026, 2, 1))], history)
    assert next_year[100]["amount"] == 1_600 * 100
    assert next_year[100]["used_per_entity"] == 0
    # ... while the same enterprise's 33rd worker in 2025 gets nothing
    late = run([worker(101, person=101, entity=7, applied_on=dt.date(2025, 12, 31))], history)
    assert late[101]["amount"] == 0 and late[101]["cut_per_entity"] == 1_600 * 100


def test_a_person_paid_the_once_only_subsidy_in_2025_is_refused_in_2026_by_another_enterprise():
    paid = [worker(1, person=5, entity=1, applied_on=dt.date(2025, 5, 1))]
    history = benefits.compute(JILIN, pa.Table.from_pylist(paid)).table
    out = run([worker(2, person=5, entity=2, applied_on=dt.date(2026, 5, 1))], history)
    assert out[2]["eligible"] is False and out[2]["refusal"] == "once_per_person"
    assert out[2]["holder"] == 1 and out[2]["amount"] == 0
    # and within one run across the two years too
    both = run(
        [
            worker(1, person=5, entity=1, applied_on=dt.date(2025, 5, 1)),
            worker(2, person=5, entity=2, applied_on=dt.date(2026, 5, 1)),
        ]
    )
    assert (both[1]["amount"], both[2]["amount"], both[2]["refusal"]) == (160_000, 0, "once_per_person")


def test_public_welfare_posts_three_months_a_year():
    def post(i: int, on: dt.date, period: dt.date) -> dict[str, Any]:
        return {
            "application_id": i,
            "programme": "temporary_welfare_post",
            "applied_on": on,
            "county_code": COUNTY,
            "person_id": 9,
            "post_id": 1,
            "person_category": "lifted_out",
            "period": period,
        }

    rows = [post(i, dt.date(2025, 12, 1), dt.date(2025, i, 1)) for i in range(1, 5)]
    rows += [post(10 + i, dt.date(2026, 12, 1), dt.date(2026, i, 1)) for i in range(1, 5)]
    out = run(rows)
    assert [out[i]["amount"] // 100 for i in range(1, 5)] == [1000, 1000, 1000, 0]
    assert [out[10 + i]["amount"] // 100 for i in range(1, 5)] == [1000, 1000, 1000, 0]


LIFE_PROGRAMMES = (
    programme(
        id="hire",
        applicant="enterprise",
        once_per_person="hired_once",
        conditions=[],
        amount="unit",
        caps={"per_entity": "entity_cap", "budget": "budget"},
        periods={"per_entity": _period("year"), "budget": _period("year")},
        parameters={
            "unit": money("unit", 300),
            "entity_cap": money("entity_cap", 1000),
            "budget": money("budget", 2000),
        },
    ),
    programme(
        id="post",
        applicant="post",
        conditions=[],
        amount="rate",
        caps={"max_months": "months", "per_month": "rate", "per_person": "person_cap", "budget": "budget"},
        periods={"max_months": _period("life"), "per_person": _period("year"), "budget": _period("life")},
        parameters={
            "rate": money("rate", 100),
            "months": money("months", 3, kind="integer"),
            "person_cap": money("person_cap", 150),
            "budget": money("budget", 900),
        },
    ),
    programme(
        id="ticket",
        caps={"per_person": "cap"},
        periods={"per_person": _period("life")},
        parameters={"cap": money("cap", 500)},
    ),
)
YEARS = check_pack(parse_pack(pack_text(*LIFE_PROGRAMMES), "years.yaml"))


def years_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = benefits.application_columns(YEARS)
    keys = list(
        dict.fromkeys(
            ["application_id", "programme", "applied_on", "county_code", *(k for r in rows for k in r)]
        )
    )
    return pa.table({k: pa.array([r.get(k) for r in rows], columns[k].arrow) for k in keys})


def test_a_budget_counts_per_year_and_a_lifetime_cap_holds_across_years():
    rows = [
        {
            "application_id": i,
            "programme": "hire",
            "applied_on": dt.date(year, 3, 1),
            "county_code": COUNTY,
            "person_id": i,
            "entity_id": i,  # one worker per enterprise: only the budget binds
        }
        for i, year in enumerate([2025] * 8 + [2026] * 8, start=1)
    ]
    rows.append(
        {"application_id": 50, "programme": "ticket", "applied_on": dt.date(2025, 1, 1),
         "county_code": COUNTY, "person_id": 1, "fare": 400.0}
    )  # fmt: skip
    rows.append(
        {"application_id": 51, "programme": "ticket", "applied_on": dt.date(2026, 1, 1),
         "county_code": COUNTY, "person_id": 1, "fare": 400.0}
    )  # fmt: skip
    out = {r["application_id"]: r for r in benefits.compute(YEARS, years_table(rows)).rows()}
    per_year = defaultdict(int)
    for r in rows[:16]:
        per_year[r["applied_on"].year] += out[r["application_id"]]["amount"]
    # 2,000 yuan a year at 300 each: six full, the seventh cut to 200, the eighth nothing, each year
    assert dict(per_year) == {2025: 200_000, 2026: 200_000}
    assert out[50]["amount"] == 40_000 and out[51]["amount"] == 10_000  # 500 for life
    assert out[51]["used_per_person"] == 40_000


def test_the_checker_names_a_bad_period():
    message = problems_of(programme(periods={"per_person": {"period": "decade"}}))
    assert "periods.per_person" in message and "decade" in message and "'source' is missing" in message
    assert "no per_entity cap" in problems_of(programme(periods={"per_entity": _period("year")}))
    assert "only these caps have a period" in problems_of(programme(periods={"per_month": _period("year")}))


def test_seed_002_caps_have_a_period_with_its_source():
    by_id = {p.id: p for p in JILIN.pack.programmes}
    assert by_id["employment_one_time"].periods["per_entity"].period == "year"
    assert by_id["employment_one_time"].once_per_person  # the person: once, for life
    for p in JILIN.pack.programmes:
        for period in p.periods.values():
            assert period.source and period.confidence


# ---------------------------------------------------------------- properties across years


@st.composite
def applications(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(1, n + 1):
        programme_id = draw(st.sampled_from(["hire", "ticket", "post"]))
        year = draw(st.sampled_from([2024, 2025, 2026]))
        row = {
            "application_id": i,
            "programme": programme_id,
            "applied_on": dt.date(year, 6, 20) + dt.timedelta(days=draw(st.integers(0, 20))),
            "county_code": COUNTY,
            "person_id": draw(st.integers(1, 4)),
        }
        if programme_id == "hire":
            row["entity_id"] = draw(st.integers(1, 2))
        elif programme_id == "ticket":
            row["fare"] = draw(st.integers(0, 30000)) / 100
        else:
            row["post_id"] = 1
            row["period"] = dt.date(year, draw(st.integers(1, 5)), 1)
        rows.append(row)
    return rows


def in_runs(rows: list[dict[str, Any]], cuts: list[int]) -> list[dict[str, Any]]:
    results: list[pa.Table] = []
    bounds = [0, *sorted(set(c % (len(rows) + 1) for c in cuts)), len(rows)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        if start == end:
            continue
        history = pa.concat_tables(results) if results else None
        results.append(benefits.compute(YEARS, years_table(rows[start:end]), history).table)
    return sorted((r for t in results for r in t.to_pylist()), key=lambda r: r["application_id"])


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(applications())
def test_across_years_the_engine_gives_what_the_baseline_gives(rows):
    assert benefits.compute(YEARS, years_table(rows)).rows() == BENCH.RowByRow(YEARS).run(rows)


@FAST
@given(applications(), st.randoms(use_true_random=False), st.lists(st.integers(0, 50), max_size=4))
def test_across_years_and_any_order_no_yearly_cap_within_a_year_and_no_lifetime_cap_ever(rows, rng, cuts):
    rng.shuffle(rows)
    results = in_runs(rows, cuts)
    source = {r["application_id"]: r for r in rows}
    totals: dict[tuple[Any, ...], int] = defaultdict(int)
    once: dict[int, int] = defaultdict(int)
    months: dict[int, set[dt.date]] = defaultdict(set)
    for result in results:
        row = source[result["application_id"]]
        year, amount = row["applied_on"].year, result["amount"]
        if row["programme"] == "hire":
            once[row["person_id"]] += bool(result["counted"])
            totals[("entity", row["entity_id"], year)] += amount  # yearly
            totals[("hire budget", year)] += amount  # yearly
        elif row["programme"] == "ticket":
            totals[("ticket person", row["person_id"])] += amount  # lifetime
        else:
            totals[("post person", row["person_id"], year)] += amount  # yearly
            totals[("post budget",)] += amount  # lifetime
            if amount > 0:
                months[row["person_id"]].add(row["period"])  # lifetime
    limits = {"entity": 100_000, "hire budget": 200_000, "ticket person": 50_000,
              "post person": 15_000, "post budget": 90_000}  # fmt: skip
    for key, total in totals.items():
        assert total <= limits[key[0]], key
    assert all(n <= 1 for n in once.values())
    assert all(len(m) <= 3 for m in months.values())
