"""Benefit programmes (issue 13): the format and its checks, seed 002's worked cases, and properties of
the engine's caps whatever the order and batching of the applications. No Django but the last test."""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.engine import benefits
from fupin.engine.backends import DuckDBBackend, PostgresBackend, SparkBackend
from fupin.engine.checker import check_pack
from fupin.engine.packs import PackError, load_pack, parse_pack
from fupin.engine.tables import TableError

ROOT = Path(__file__).resolve().parent.parent
JILIN_PATH = ROOT / "src/fupin/policies/jilin.yaml"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "fupin_hben_engine"
D = dt.date(2022, 6, 1)
COUNTY = "220822"


def _bench() -> Any:
    """bench/benefits.py: the row-by-row baseline is the oracle the engine is compared with."""
    spec = importlib.util.spec_from_file_location("bench_benefits", ROOT / "bench/benefits.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_benefits"] = module
    spec.loader.exec_module(module)
    return module


BENCH = _bench()
JILIN = check_pack(load_pack(JILIN_PATH))


def table(rows: list[dict[str, Any]]) -> pa.Table:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    columns = benefits.application_columns(JILIN)
    return pa.table(
        {k: pa.array([r.get(k) for r in rows], columns[k].arrow if k in columns else None) for k in keys}
    )


def run(rows: list[dict[str, Any]], history: pa.Table | None = None, checked: Any = JILIN) -> dict[int, dict]:
    result = benefits.compute(checked, table(rows), history)
    return {row["application_id"]: row for row in result.rows()}


def app(application_id: int, programme: str, **facts: Any) -> dict[str, Any]:
    row = {"application_id": application_id, "programme": programme, "applied_on": D, "county_code": COUNTY}
    row.update(facts)
    return row


def worker(application_id: int, person: int, entity: int, **facts: Any) -> dict[str, Any]:
    values = {
        "person_id": person,
        "entity_id": entity,
        "person_category": "lifted_out",
        "hire_date": dt.date(2021, 3, 1),
        "months_worked": 4,
        "monthly_wage": 2000.0,
    }
    values.update(facts)
    return app(application_id, "employment_one_time", **values)


def yuan(fen: int | None) -> float | None:
    return None if fen is None else fen / 100


# ---------------------------------------------------------------- seed 002, worked cases


def test_production_subsidy_800_per_person_driven_and_100000_per_entity():
    out = run(
        [
            app(1, "production_subsidy", entity_id=1, persons_driven=10),
            app(2, "production_subsidy", entity_id=2, persons_driven=125),  # exactly the cap
            app(3, "production_subsidy", entity_id=3, persons_driven=126),  # one person over
            app(4, "production_subsidy", entity_id=4, persons_driven=100, applied_on=D),
            app(5, "production_subsidy", entity_id=4, persons_driven=30, applied_on=D + dt.timedelta(days=1)),
            app(6, "production_subsidy", entity_id=4, persons_driven=1, applied_on=D + dt.timedelta(days=2)),
            app(7, "production_subsidy", entity_id=5, persons_driven=0),
        ]
    )
    assert (yuan(out[1]["amount"]), out[1]["cut_per_entity"]) == (8000, 0)
    assert (yuan(out[2]["amount"]), out[2]["cut_per_entity"]) == (100000, 0)
    assert (yuan(out[3]["base"]), yuan(out[3]["amount"]), yuan(out[3]["cut_per_entity"])) == (
        100800,
        100000,
        800,
    )
    # One entity's applications add up: 80,000, then 24,000 of which 20,000 fit, then nothing.
    assert [yuan(out[i]["amount"]) for i in (4, 5, 6)] == [80000, 20000, 0]
    assert yuan(out[5]["used_per_entity"]) == 80000 and yuan(out[5]["cut_per_entity"]) == 4000
    assert out[7]["refusal"] == "condition" and out[7]["refusal_detail"] == "drives_households"


def test_transport_subsidy_below_at_and_one_yuan_over_1600_and_a_5_month_contract():
    base = {"person_category": "lifted_out", "inter_provincial": True, "contract_months": 6}
    out = run(
        [
            app(1, "transport_subsidy", person_id=1, fare=1599.0, **base),
            app(2, "transport_subsidy", person_id=2, fare=1600.0, **base),
            app(3, "transport_subsidy", person_id=3, fare=1601.0, **base),
            app(4, "transport_subsidy", person_id=4, fare=900.0, **{**base, "contract_months": 5}),
            app(5, "transport_subsidy", person_id=5, fare=900.0, **{**base, "inter_provincial": False}),
            # two tickets of one worker: together at most 1,600
            app(6, "transport_subsidy", person_id=6, fare=1000.0, **base),
            app(
                7, "transport_subsidy", person_id=6, fare=1000.0, applied_on=D + dt.timedelta(days=3), **base
            ),
            app(8, "transport_subsidy", person_id=7, fare=1234.56, **base),
        ]
    )
    assert [yuan(out[i]["amount"]) for i in (1, 2, 3)] == [1599, 1600, 1600]
    assert [yuan(out[i]["cut_per_person"]) for i in (1, 2, 3)] == [0, 0, 1]
    assert out[4]["refusal_detail"] == "contract_long_enough" and out[4]["amount"] == 0
    assert benefits.refusal_reason(JILIN, out[4], "zh", {"contract_months": 5}) == (
        "劳动合同或就业协议 5 个月，不足 6 个月"
    )
    assert benefits.refusal_reason(JILIN, out[4], "en", {"contract_months": 5}) == (
        "the contract or agreement runs 5 months, less than 6"
    )
    assert out[5]["refusal_detail"] == "inter_provincial"
    assert [yuan(out[i]["amount"]) for i in (6, 7)] == [1000, 600]
    assert out[8]["amount"] == 123456  # the fare to the fen, not 123455 from binary rounding


def test_employment_subsidy_the_enterprise_cap_is_reached_at_the_32nd_worker():
    """31 × 1,600 = 49,600; the 32nd worker gets the 400 left, the 33rd nothing.

    Seed 002 says "1,600 yuan for each person, at most 50,000 per enterprise": the 50,000 bounds the
    enterprise's total, not the number of workers, so the last worker is paid what is left under it
    (as the production subsidy's "up to 100,000 in total" is read)."""
    rows = [worker(i, person=100 + i, entity=1, applied_on=D + dt.timedelta(days=i)) for i in range(1, 34)]
    out = run(rows)
    assert all(out[i]["amount"] == 160000 for i in range(1, 32))
    assert yuan(out[32]["amount"]) == 400 and yuan(out[32]["cut_per_entity"]) == 1200
    assert yuan(out[32]["used_per_entity"]) == 49600
    assert out[33]["amount"] == 0 and out[33]["eligible"]
    assert sum(r["amount"] for r in out.values()) == 5000000
    assert benefits.explain(JILIN, out[32], "zh") == [
        "基础金额 1,600.00 元",
        "每家企业补贴上限 50,000.00 元，已计 49,600.00 元，核减 1,200.00 元",
        "核定金额 400.00 元",
    ]
    assert benefits.explain(JILIN, out[32], "en") == [
        "base amount 1,600.00 yuan",
        "most per enterprise 50,000.00 yuan, 49,600.00 already counted: cut by 1,200.00",
        "amount granted 400.00 yuan",
    ]


def test_employment_subsidy_a_worker_already_counted_by_another_enterprise():
    out = run(
        [
            worker(1, person=7, entity=1),
            worker(2, person=7, entity=2, applied_on=D + dt.timedelta(days=5)),
            worker(3, person=8, entity=2),
        ]
    )
    assert out[1]["amount"] == 160000 and out[1]["counted"]
    assert out[2]["refusal"] == "once_per_person" and out[2]["holder"] == 1 and out[2]["amount"] == 0
    assert benefits.explain(JILIN, out[2], "zh") == [
        "不符合条件：该人员已计入一次性补贴（申请 1），同一人只能享受一次"
    ]
    assert out[3]["amount"] == 160000
    # The same in a later run, with the first run's results as its history.
    first = benefits.compute(JILIN, table([worker(1, person=7, entity=1)])).table
    later = run([worker(2, person=7, entity=2, applied_on=D + dt.timedelta(days=5))], history=first)
    assert later[2]["refusal"] == "once_per_person" and later[2]["holder"] == 1


def test_employment_subsidy_conditions_at_their_edges():
    out = run(
        [
            worker(1, 1, 1, hire_date=dt.date(2019, 12, 31)),
            worker(2, 2, 1, hire_date=dt.date(2020, 1, 1)),
            worker(3, 3, 1, months_worked=2),
            worker(4, 4, 1, months_worked=3),
            worker(5, 5, 1, monthly_wage=1639.99),
            worker(6, 6, 1, monthly_wage=1640.0),
            worker(7, 7, 1, person_category="ordinary"),
            worker(8, 8, 1, person_category="monitored"),
            worker(9, None, 1),
        ]
    )
    assert {i: out[i]["refusal_detail"] for i in out if not out[i]["eligible"]} == {
        1: "hired_since",
        3: "months_worked",
        5: "minimum_wage",
        7: "lifted_out_or_monitored",
        9: "person_id",
    }
    assert benefits.refusal_reason(JILIN, out[1], "en", {"hire_date": dt.date(2019, 12, 31)}) == (
        "hired on 2019-12-31, before 2020-01-01"
    )
    assert benefits.refusal_reason(JILIN, out[5], "zh", {"monthly_wage": 1639.99}) == (
        "月工资 1,639.99 元，低于当地最低工资标准 1,640.00 元"
    )
    assert benefits.refusal_reason(JILIN, out[9], "zh") == "缺少人员"


def test_the_once_only_place_is_taken_even_when_the_enterprise_cap_leaves_nothing():
    """A worker counts once their first eligible claim is accepted, whatever the enterprise's cap
    leaves for it: otherwise an enterprise at its cap could pass its workers to another to claim."""
    rows = [worker(i, person=100 + i, entity=1, applied_on=D) for i in range(1, 33)]
    rows.append(worker(33, person=500, entity=1, applied_on=D + dt.timedelta(days=1)))  # gets 0
    rows.append(worker(34, person=500, entity=2, applied_on=D + dt.timedelta(days=2)))
    out = run(rows)
    assert out[33]["eligible"] and out[33]["amount"] == 0 and out[33]["counted"]
    assert out[34]["refusal"] == "once_per_person" and out[34]["holder"] == 33


def test_public_welfare_post_the_third_month_is_paid_and_the_fourth_is_not():
    def month(i: int, m: int, **facts: Any) -> dict[str, Any]:
        values = {"person_id": 9, "post_id": 3, "person_category": "monitored", "period": dt.date(2022, m, 1)}
        values.update(facts)
        return app(i, "temporary_welfare_post", applied_on=dt.date(2022, m, 25), **values)

    out = run([month(1, 1), month(2, 2), month(3, 3), month(4, 4), month(5, 3, post_id=4)])
    assert [yuan(out[i]["amount"]) for i in (1, 2, 3, 4)] == [1000, 1000, 1000, 0]
    assert yuan(out[4]["cut_max_months"]) == 1000 and out[4]["used_max_months"] == 3
    assert benefits.explain(JILIN, out[4], "zh")[1] == "最长补贴月数 3 个月，已补贴 3 个月，核减 1,000.00 元"
    # A second post in the third month: that month is already paid in full.
    assert out[5]["amount"] == 0 and yuan(out[5]["cut_per_month"]) == 1000
    assert [out[i]["month_counted"] for i in (1, 2, 3, 4)] == [True, True, True, False]
    # With two months in the history, one more is paid.
    first = benefits.compute(JILIN, table([month(1, 1), month(2, 2)])).table
    later = run([month(3, 3), month(4, 4)], history=first)
    assert [yuan(later[i]["amount"]) for i in (3, 4)] == [1000, 0]
    missing = run([month(6, 5, post_id=None)])[6]
    assert missing["refusal"] == "missing_id" and benefits.refusal_reason(JILIN, missing, "en") == (
        "the post is missing"
    )


def test_consumption_reward_10_percent_of_purchases_at_most_50000():
    base = {"unsalable": True}
    out = run(
        [
            app(1, "consumption_reward", entity_id=1, purchases=400000.0, **base),
            app(2, "consumption_reward", entity_id=2, purchases=500000.0, **base),
            app(3, "consumption_reward", entity_id=3, purchases=500010.0, **base),  # 50,001: one yuan over
            app(4, "consumption_reward", entity_id=4, purchases=123456.78, **base),
            app(5, "consumption_reward", entity_id=5, purchases=1000.0, unsalable=False),
        ]
    )
    assert [yuan(out[i]["amount"]) for i in (1, 2, 3)] == [40000, 50000, 50000]
    assert [yuan(out[i]["cut_per_entity"]) for i in (1, 2, 3)] == [0, 0, 1]
    assert out[4]["amount"] == 1234567  # 12,345.678 floored to the fen: never above 10%
    assert out[5]["refusal_detail"] == "unsalable_products"


def test_microcredit_extension_of_6_months_is_allowed_and_of_7_refused_with_the_reason():
    base = {"person_category": "lifted_out"}
    out = run(
        [
            app(1, "microcredit_extension", person_id=1, extension_months=6, **base),
            app(2, "microcredit_extension", person_id=2, extension_months=7, **base),
        ]
    )
    assert out[1]["eligible"] and out[1]["amount"] == 0
    assert benefits.explain(JILIN, out[1], "en") == ["eligible"]
    assert out[2]["refusal_detail"] == "extension_at_most"
    assert benefits.explain(JILIN, out[2], "zh", {"extension_months": 7}) == [
        "不符合条件：申请延期 7 个月，超过最长 6 个月"
    ]
    assert benefits.explain(JILIN, out[2], "en", {"extension_months": 7}) == [
        "refused: an extension of 7 months is longer than the 6 months allowed"
    ]


def test_out_of_force_outside_the_province_and_unknown_programmes_are_refused():
    out = run(
        [
            worker(1, 1, 1, applied_on=dt.date(2021, 12, 31)),
            worker(2, 2, 1, county_code="110101"),
            app(3, "no_such_programme", person_id=3),
        ]
    )
    assert out[1]["refusal"] == "not_in_force"
    assert out[2]["refusal"] == "no_parameter" and out[2]["refusal_detail"] == "hired_since"
    assert benefits.refusal_reason(JILIN, out[2], "zh") == "“吸纳起始日期”在该地区该日期没有取值"
    assert out[3]["refusal"] == "unknown_programme"
    with pytest.raises(TableError, match="unique"):
        run([worker(1, 1, 1), worker(1, 2, 1)])
    with pytest.raises(TableError, match="applied_on"):
        benefits.compute(
            JILIN, pa.table({"application_id": [1], "programme": ["x"], "county_code": ["220822"]})
        )


# ---------------------------------------------------------------- the format and its checks

RULE = {
    "id": "r",
    "title": {"zh": "规则", "en": "rule"},
    "category": "marginal",
    "risk_types": ["other"],
    "condition": "water_difficult",
    "severity": "low",
    "message": {"zh": "规则", "en": "rule"},
}


def money(name: str, value: float, kind: str = "number", **extra: Any) -> dict[str, Any]:
    return {
        "title": {"zh": name, "en": name},
        "type": kind,
        "unit": "yuan",
        "description": {"zh": name, "en": name},
        "source": "test",
        "confidence": "example",
        "values": [{"region": "22", "from": dt.date(2022, 1, 1), "value": value, **extra}],
    }


def programme(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "p",
        "title": {"zh": "项目", "en": "programme"},
        "source": "test",
        "applicant": "person",
        "effective": {"from": dt.date(2022, 1, 1)},
        "conditions": [
            {
                "id": "c",
                "title": {"zh": "条件", "en": "condition"},
                "when": "fare > 0",
                "refusal": {"zh": "无 {fare}", "en": "none {fare}"},
            }
        ],
        "amount": "fare",
        "caps": {"per_person": "cap"},
        "parameters": {"cap": money("cap", 100)},
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def pack_text(*programmes: dict[str, Any]) -> str:
    pack = {
        "name": "t",
        "version": "1",
        "region": "22",
        "effective": {"from": dt.date(2022, 1, 1)},
        "title": {"zh": "测试", "en": "test"},
        "rules": [RULE],
        "programmes": list(programmes),
    }
    return yaml.safe_dump(pack, allow_unicode=True, sort_keys=False)


def problems_of(*programmes: dict[str, Any]) -> str:
    with pytest.raises(PackError) as caught:
        check_pack(parse_pack(pack_text(*programmes), "t.yaml"))
    return str(caught.value)


def test_a_well_formed_programme_passes():
    checked = check_pack(parse_pack(pack_text(programme()), "t.yaml"))
    assert [p.id for p in checked.pack.programmes] == ["p"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"caps": {"per_persn": "cap"}}, "unknown cap 'per_persn'"),
        (
            {"caps": {"per_person": "cap", "per_entity": "cap"}},
            "per person (per_person, per_month, max_months) or per entity",
        ),
        (
            {"caps": {"per_entity": "cap * persons_driven"}},
            "may use parameters only, not the application's persons_driven",
        ),
        ({"caps": {"budget": "cap * 2"}}, "the budget is one parameter"),
        ({"amount": "person_category"}, "programmes[p].amount: the amount is a number of yuan, not string"),
        ({"amount": "fares * 2"}, "unknown name 'fares'"),
        ({"amount": None}, "caps need an 'amount'"),
        ({"applicant": "company"}, "'applicant' is 'company'; choose one of person, household, entity"),
        ({"title": {"zh": "项目"}}, "programmes[p]: 'title' needs a zh and an en text"),
        ({"effective": None}, "'effective' is missing"),
        ({"cap": {"per_person": "cap"}}, "unknown key(s) cap"),
        ({"once_per_person": "One Time"}, "name the group of programmes"),
        (
            {"parameters": {"cap": {**money("cap", 100), "title": None}}},
            "programmes[p].parameters[cap]: 'title' is missing",
        ),
        (
            {"parameters": {"cap": money("cap", 100, kind="money")}},
            "'type' is 'money'; choose one of number, integer, boolean, date",
        ),
        ({"facts": {"hours": "float"}}, "programmes[p].facts[hours]: a fact's type is one of"),
        ({"id": "P 1"}, "an id is lower-case letters"),
    ],
)
def test_malformed_programmes_are_refused_naming_the_place(changes, words):
    assert words in problems_of(programme(**changes))


def test_conditions_and_their_refusal_texts_are_checked():
    bad_condition = {
        "id": "c",
        "title": {"zh": "条件", "en": "c"},
        "when": "fare + 1",
        "refusal": {"zh": "x", "en": "x"},
    }
    assert "conditions[c].when: a condition is true or false, not number" in problems_of(
        programme(conditions=[bad_condition])
    )
    bad_text = {
        "id": "c",
        "title": {"zh": "条件", "en": "c"},
        "when": "fare > 0",
        "refusal": {"zh": "{fair}", "en": "x"},
    }
    assert "conditions[c].refusal.zh: unknown name {fair}" in problems_of(programme(conditions=[bad_text]))
    sneaky = {
        "id": "c",
        "title": {"zh": "条件", "en": "c"},
        "when": "pg_sleep(1) = 1",
        "refusal": {"zh": "x", "en": "x"},
    }
    assert "function PG_SLEEP is not allowed" in problems_of(programme(conditions=[sneaky]))
    assert "this programme id is used twice" in problems_of(programme(), programme())
    assert "declares it as integer" in problems_of(
        programme(facts={"hours": "integer"}), programme(id="q", facts={"hours": "number"})
    )


def test_the_jilin_pack_holds_every_seed_002_programme_with_sources():
    programmes = {p.id: p for p in JILIN.pack.programmes}
    assert set(programmes) == {
        "production_subsidy",
        "transport_subsidy",
        "employment_one_time",
        "temporary_welfare_post",
        "consumption_reward",
        "microcredit_extension",
    }
    for p in programmes.values():
        assert p.title["zh"] and p.title["en"] and p.source
        for parameter in p.parameters.values():
            assert (
                parameter.source and parameter.confidence and parameter.title["zh"] and parameter.title["en"]
            )
    assert programmes["employment_one_time"].once_per_person == "one_time_employment"


# ---------------------------------------------------------------- properties

PROPS_PROGRAMMES = (
    programme(
        id="hire",
        applicant="enterprise",
        once_per_person="hired_once",
        conditions=[],
        amount="unit",
        caps={"per_entity": "entity_cap", "budget": "budget"},
        parameters={
            "unit": money("unit", 300),
            "entity_cap": money("entity_cap", 1000),
            "budget": {
                **money("budget", 2500),
                "values": [
                    {"region": "22", "from": dt.date(2022, 1, 1), "value": 2500},
                    {"region": "220822", "from": dt.date(2022, 1, 1), "value": 1800},
                    {"region": "220822", "from": dt.date(2022, 7, 1), "value": 900},
                ],
            },
        },
    ),
    programme(
        id="ticket",
        once_per_person="hired_once",
        caps={"per_person": "cap", "per_application": "most"},
        parameters={"cap": money("cap", 500), "most": money("most", 420)},
    ),
    programme(
        id="post",
        applicant="post",
        conditions=[],
        amount="rate",
        caps={
            "max_months": "months",
            "per_month": "rate",
            "per_person": "person_cap",
            "budget": "budget",
        },
        parameters={
            "rate": money("rate", 100),
            "months": money("months", 2, kind="integer"),
            "person_cap": money("person_cap", 150),
            "budget": money("budget", 700),
        },
    ),
)
PROPS = check_pack(parse_pack(pack_text(*PROPS_PROGRAMMES), "props.yaml"))
CAPS = {"hire": {"per_entity": 100000}, "ticket": {"per_person": 50000}, "post": {"per_person": 15000}}


@st.composite
def applications(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(1, n + 1):
        programme_id = draw(st.sampled_from(["hire", "ticket", "post"]))
        row = {
            "application_id": i,
            "programme": programme_id,
            "applied_on": dt.date(2022, 6, 20) + dt.timedelta(days=draw(st.integers(0, 20))),
            "county_code": draw(st.sampled_from(["220822", "220821"])),
            "person_id": draw(st.integers(1, 5)),
        }
        if programme_id == "hire":
            row["entity_id"] = draw(st.integers(1, 3))
        elif programme_id == "ticket":
            row["fare"] = draw(st.integers(0, 60000)) / 100
        else:
            row["post_id"] = draw(st.integers(1, 2))
            row["period"] = dt.date(2022, draw(st.integers(1, 4)), 1)
        rows.append(row)
    return rows


def props_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = benefits.application_columns(PROPS)
    keys = list(
        dict.fromkeys(
            ["application_id", "programme", "applied_on", "county_code", *(k for r in rows for k in r)]
        )
    )
    return pa.table({k: pa.array([r.get(k) for r in rows], columns[k].arrow) for k in keys})


def in_runs(rows: list[dict[str, Any]], cuts: list[int]) -> list[dict[str, Any]]:
    """The rows in consecutive runs split at ``cuts``, each given the earlier runs' results."""
    results: list[pa.Table] = []
    bounds = [0, *sorted(set(c % (len(rows) + 1) for c in cuts)), len(rows)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        if start == end:
            continue
        history = pa.concat_tables(results) if results else None
        results.append(benefits.compute(PROPS, props_table(rows[start:end]), history).table)
    return sorted((r for t in results for r in t.to_pylist()), key=lambda r: r["application_id"])


def budget_of(row: dict[str, Any]) -> tuple[str, str]:
    on_or_after_july = row["applied_on"] >= dt.date(2022, 7, 1)
    if row["programme"] == "hire":
        if row["county_code"] == "220822":
            return ("hire", "220822-jul" if on_or_after_july else "220822")
        return ("hire", "22")
    return (row["programme"], "22")


BUDGETS = {
    ("hire", "220822"): 180000,
    ("hire", "220822-jul"): 90000,
    ("hire", "22"): 250000,
    ("post", "22"): 70000,
}

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(applications())
def test_the_engine_gives_what_the_row_by_row_baseline_gives(rows):
    expected = BENCH.RowByRow(PROPS).run(rows)
    assert benefits.compute(PROPS, props_table(rows)).rows() == expected


@FAST
@given(applications(), st.randoms(use_true_random=False), st.lists(st.integers(0, 50), max_size=4))
def test_whatever_the_order_and_batching_no_cap_is_exceeded_and_nobody_is_paid_twice(rows, rng, cuts):
    rng.shuffle(rows)  # arrival order has nothing to do with the dates
    results = in_runs(rows, cuts)
    assert len(results) == len(rows)
    once: dict[int, int] = defaultdict(int)
    totals: dict[tuple[Any, ...], int] = defaultdict(int)
    months: dict[int, set[dt.date]] = defaultdict(set)
    per_month: dict[tuple[int, dt.date], int] = defaultdict(int)
    source = {r["application_id"]: r for r in rows}
    for result in results:
        row = source[result["application_id"]]
        if row["programme"] in ("hire", "ticket") and result["counted"]:
            once[row["person_id"]] += 1
        if row["programme"] in ("hire", "ticket") and result["amount"] > 0:
            assert result["counted"]
        if row["programme"] == "hire":
            totals[("hire", "entity", row["entity_id"])] += result["amount"]
        if row["programme"] in ("ticket", "post"):
            totals[(row["programme"], "person", row["person_id"])] += result["amount"]
        if row["programme"] == "post" and result["amount"] > 0:
            months[row["person_id"]].add(row["period"])
            per_month[(row["person_id"], row["period"])] += result["amount"]
        if row["programme"] in ("hire", "post"):
            totals[("budget", *budget_of(row))] += result["amount"]
    assert all(n <= 1 for n in once.values())
    for key, total in totals.items():
        if key[0] == "budget":
            assert total <= BUDGETS[key[1:]], key
        else:
            assert total <= CAPS[key[0]][f"per_{key[1]}"], key
    assert all(len(m) <= 2 for m in months.values())
    assert all(total <= 10000 for total in per_month.values())


@FAST
@given(applications(), st.lists(st.integers(0, 50), max_size=4))
def test_runs_in_date_order_give_exactly_what_one_run_gives(rows, cuts):
    rows.sort(key=lambda r: (r["applied_on"], r["application_id"]))
    one_run = benefits.compute(PROPS, props_table(rows)).rows()
    batched = in_runs(rows, cuts)
    keys = (
        "application_id",
        "eligible",
        "refusal",
        "holder",
        "base",
        "amount",
        "counted_amount",
        "month_counted",
    )
    assert [{k: r[k] for k in keys} for r in batched] == [{k: r[k] for k in keys} for r in one_run]
    assert sum(r["amount"] for r in batched) == sum(r["amount"] for r in one_run)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_the_seed_002_programmes_match_the_baseline_on_mixed_applications(seed):
    generated = BENCH.generate(300, seed)
    assert benefits.compute(JILIN, generated).rows() == BENCH.RowByRow(JILIN).run(generated.to_pylist())


# ---------------------------------------------------------------- engines


@pytest.fixture(scope="module")
def postgres_uri():
    """PostgreSQL runs wherever the suite does (CI starts it): no server is a failure, not a skip."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DATABASE


def test_duckdb_and_postgresql_give_the_same_decisions_and_fen(postgres_uri):
    generated = BENCH.generate(3000, 7)
    history = benefits.compute(JILIN, generated.slice(0, 1000)).table
    later = generated.slice(1000)
    duck = benefits.compute(JILIN, later, history, DuckDBBackend()).rows()
    pg = benefits.compute(JILIN, later, history, PostgresBackend(postgres_uri)).rows()
    assert pg == duck
    props = props_table(props_rows(199, seed=3))
    assert benefits.compute(PROPS, props, None, PostgresBackend(postgres_uri)).rows() == (
        benefits.compute(PROPS, props).rows()
    )


def props_rows(count: int, seed: int, people: int = 5) -> list[dict[str, Any]]:
    """Applications of the property pack that reach every cap: budgets by county and date, months,
    per-application and per-person caps, and once-only places shared by two programmes."""
    rng = random.Random(seed)
    return [
        {
            "application_id": i,
            "programme": rng.choice(["hire", "ticket", "post"]),
            "applied_on": dt.date(2022, 6, 20) + dt.timedelta(days=rng.randint(0, 20)),
            "county_code": rng.choice(["220822", "220821"]),
            "person_id": rng.randint(1, people),
            "entity_id": rng.randint(1, 3),
            "post_id": 1,
            "fare": rng.randint(0, 600) * 1.0,
            "period": dt.date(2022, rng.randint(1, 4), 1),
        }
        for i in range(1, count + 1)
    ]


def mixed_pack() -> Any:
    """Seed 002's programmes and the property pack's in one pack: every cap, real expressions."""
    raw = yaml.safe_load(pack_text(*PROPS_PROGRAMMES))
    raw["programmes"] += yaml.safe_load(JILIN_PATH.read_text(encoding="utf-8"))["programmes"]
    return check_pack(parse_pack(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "mixed.yaml"))


@pytest.mark.xdist_group("spark")  # the worker of the other Spark tests: one JVM (backends.spark_session)
def test_duckdb_and_spark_give_the_same_decisions_and_fen():
    """The same applications and history on Spark (local mode) give the same rows, field by field:
    refusals and holders, every cap's limit, use and cut, amounts in integer fen. One Spark query
    (each costs seconds of jobs) over seed 002's programmes and the property pack's together, so
    that every cap, the budgets by county and date and real expressions are in it."""
    mixed = mixed_pack()
    props = [{**row, "application_id": 100_000 + row["application_id"]} for row in props_rows(240, 5, 60)]
    rows = [*BENCH.generate(1500, 11).to_pylist(), *props]
    random.Random(2).shuffle(rows)
    odd = {"applied_on": D, "county_code": COUNTY, "person_id": 1, "fare": 100.0}
    rows += [  # refused before any cap: every other code
        {**odd, "application_id": 200_001, "programme": "no_such_programme"},
        {**odd, "application_id": 200_002, "programme": "ticket", "applied_on": dt.date(2021, 12, 31)},
        {**odd, "application_id": 200_003, "programme": "ticket", "county_code": "110101"},
        {**odd, "application_id": 200_004, "programme": "ticket", "person_id": None},
    ]
    columns = benefits.application_columns(mixed)
    applications = pa.table({k: pa.array([r.get(k) for r in rows], c.arrow) for k, c in columns.items()})
    history = benefits.compute(mixed, applications.slice(0, 600)).table
    later = applications.slice(600)
    duck = benefits.compute(mixed, later, history, DuckDBBackend())
    spark = benefits.compute(mixed, later, history, SparkBackend())
    assert spark.engine == "spark" and spark.table.schema == duck.table.schema
    assert spark.rows() == duck.rows()
    decided = duck.rows()
    assert set(benefits.REFUSALS) <= {r["refusal"] for r in decided}
    assert all(any(r[f"cut_{k}"] for r in decided) for k in benefits.CAP_KINDS)  # a real workout


# ---------------------------------------------------------------- the command


def test_policy_check_covers_programmes():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("policy", "check", str(JILIN_PATH), stdout=out)
    assert "6 benefit programmes" in out.getvalue()
    assert "employment_one_time (一次性吸纳就业补贴 / one-time employment subsidy)" in out.getvalue()
