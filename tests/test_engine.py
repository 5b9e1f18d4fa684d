"""The screening engine without Django: packs, checking, parameters, and one pack on three engines."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.engine import tables
from fupin.engine.backends import DuckDBBackend, PostgresBackend, SparkBackend
from fupin.engine.checker import check_pack
from fupin.engine.packs import PackError, Parameter, ParameterValue, load_pack, parse_pack
from fupin.engine.parameters import MissingParameter, value_in_force
from fupin.engine.screening import screen
from fupin.engine.testing import run_cases

POLICIES = Path(__file__).resolve().parent.parent / "src/fupin/policies"
NATIONAL = POLICIES / "national-monitoring.yaml"
PG_URI = "postgresql://postgres@127.0.0.1:5432/postgres"
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def national():
    return check_pack(load_pack(NATIONAL))


# ---------------------------------------------------------------- generated data


def generated(households: int, seed: int) -> dict[str, pa.Table]:
    """Households of every kind the rules look at, including values right at the thresholds."""
    rng = random.Random(seed)
    counties = ["220822", "220821", "110101"]
    h, m, i, f = [], [], [], []
    member_id = record_id = 0
    for hid in range(1, households + 1):
        county = rng.choice(counties)
        h.append(
            {
                "household_id": hid,
                "county_code": county,
                "village_code": county + "100201",
                "household_type": rng.choices(["lifted_out", "ordinary", "poor"], [3, 6, 1])[0],
                "status": "normal",
                "monitoring_category": rng.choices(["", "marginal"], [9, 1])[0],
                "housing_safety": rng.choices(["A", "B", "C", "D", ""], [6, 2, 1, 1, 1])[0],
                "water_difficult": rng.random() < 0.05,
                "water_safe": rng.random() > 0.05,
                "has_electricity": True,
            }
        )
        size = rng.randint(1, 6)
        for n in range(size):
            member_id += 1
            m.append(
                {
                    "member_id": member_id,
                    "household_id": hid,
                    "is_current": rng.random() > 0.05,
                    "sex": rng.choice("MF"),
                    "birth_date": dt.date(rng.randint(1935, 2024), rng.randint(1, 12), rng.randint(1, 28)),
                    "relation": "head" if n == 0 else "child",
                    "health": rng.choices(["healthy", "chronic", "serious", "disabled"], [20, 3, 1, 1])[0],
                    "has_disability_certificate": rng.random() < 0.03,
                    "labour_capacity": rng.choices(
                        ["ordinary", "skilled", "weak", "lost", "none"], [8, 1, 2, 1, 2]
                    )[0],
                    "schooling_status": rng.choices(
                        ["not_applicable", "in_school", "dropped_out"], [5, 4, 1]
                    )[0],
                    "basic_medical_insurance": rng.random() > 0.03,
                    "receives_dibao": rng.random() < 0.05,
                    "receives_tekun": False,
                    "migrant_work_months": rng.randint(0, 12),
                }
            )
        for year in (2024, 2025):
            if rng.random() < 0.05:
                continue  # some households have no income record for a year
            # Per-capita values right at the 6,900 range appear on purpose.
            per_capita = (
                rng.choice([6900.0, 6900.01, 6899.99]) if rng.random() < 0.1 else rng.uniform(2000, 30000)
            )
            net = round(per_capita * size, 2)
            i.append(
                {
                    "household_id": hid,
                    "year": year,
                    "household_size": size,
                    "wage": net,
                    "business": 0.0,
                    "property_income": 0.0,
                    "transfer": 0.0,
                    "business_expenditure": 0.0,
                    "net_income": net,
                    "per_capita_net_income": round(net / size, 2),
                    "compliant_oop_spending": rng.choice([0.0, 0.0, 500.0, 10000.0, 25000.0]),
                }
            )
        for _ in range(rng.choice([0, 1, 3, 5])):
            record_id += 1
            kind = rng.choice(
                ["medical", "disaster", "school", "insurance", "returned_migrant", "housing", "death"]
            )
            f.append(
                {
                    "record_id": record_id,
                    "household_id": hid,
                    "member_id": None,
                    "kind": kind,
                    "event_date": AS_OF - dt.timedelta(days=rng.randint(-30, 800)),  # some in the future
                    "amount": rng.choice([None, 2000.0, 10000.0, 30000.0]),
                    "code": {"school": "dropped_out", "insurance": "lapsed", "housing": "D"}.get(kind),
                }
            )
    return {
        name: pa.Table.from_pylist(rows, schema=tables.schema(name))
        for name, rows in {"households": h, "members": m, "incomes": i, "feeds": f}.items()
    }


def hit_set(result) -> set[tuple[int, str]]:
    return {(hit["household_id"], hit["rule_id"]) for hit in result.hits}


def values_of(result) -> dict[tuple[int, str], dict]:
    return {(hit["household_id"], hit["rule_id"]): hit["values"] for hit in result.hits}


# ---------------------------------------------------------------- the same clues on every engine


@pytest.mark.xdist_group("spark")
def test_one_pack_gives_exactly_the_same_clues_on_duckdb_postgres_and_spark(national):
    data = generated(1500, seed=7)
    duck = screen(national, data, AS_OF, DuckDBBackend())
    assert len(duck.hits) > 100 and len({h["rule_id"] for h in duck.hits}) >= 10  # a real workout
    for other in (PostgresBackend(PG_URI), SparkBackend()):
        result = screen(national, data, AS_OF, other)
        assert hit_set(result) == hit_set(duck), other.name
        assert values_of(result) == values_of(duck), other.name
        assert result.counts == duck.counts


@pytest.mark.xdist_group("spark")
@pytest.mark.parametrize("engine", ["duckdb", "postgres", "spark"])
def test_pack_test_cases_pass_on_every_engine(engine):
    backend = {"duckdb": DuckDBBackend(), "postgres": PostgresBackend(PG_URI), "spark": SparkBackend()}[
        engine
    ]
    for path in (NATIONAL, POLICIES / "jilin.yaml"):
        checked = check_pack(load_pack(path))
        outcomes = run_cases(checked, backend)
        assert outcomes and all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]


def test_one_household_alone_hits_what_it_hits_in_the_batch(national):
    data = generated(400, seed=11)
    batch = screen(national, data, AS_OF)
    by_household: dict[int, set[str]] = {}
    for household_id, rule_id in hit_set(batch):
        by_household.setdefault(household_id, set()).add(rule_id)
    rng = random.Random(3)
    for household_id in rng.sample(range(1, 401), 300):
        alone = {
            name: table.filter(pc.equal(table.column("household_id"), household_id))
            for name, table in data.items()
        }
        result = screen(national, alone, AS_OF)
        assert {h["rule_id"] for h in result.hits} == by_household.get(household_id, set()), household_id


def test_explanations_show_the_values_in_both_languages(national):
    from fupin.engine.screening import explain

    data = generated(300, seed=5)
    result = screen(national, data, AS_OF)
    rules = {rule.id: rule for rule in national.pack.rules}
    hit = next(
        h for h in result.hits if h["rule_id"] == "marginal_illness" or h["rule_id"] == "unstable_illness"
    )
    zh = explain(rules[hit["rule_id"]].message, hit["values"], "zh")
    en = explain(rules[hit["rule_id"]].message, hit["values"], "en")
    assert "6,900.00" in zh and "6,900.00" in en  # the range in force, as a number a cadre reads
    assert f"{hit['values']['per_capita_income']:,.2f}" in en
    assert "{" not in zh + en


def test_already_monitored_households_and_future_records_are_left_out(national):
    data = generated(600, seed=9)
    result = screen(national, data, AS_OF, only_hits=False)
    monitored = set(
        data["households"]
        .filter(pc.not_equal(data["households"].column("monitoring_category"), ""))
        .column("household_id")
        .to_pylist()
    )
    assert monitored and not {h for h, _ in hit_set(screen(national, data, AS_OF))} & monitored
    assert result.evaluated.num_rows == 600


# ---------------------------------------------------------------- refusing bad packs

BASE = NATIONAL.read_text(encoding="utf-8")


def _problems(text: str) -> list:
    with pytest.raises(PackError) as failure:
        check_pack(parse_pack(text, file="bad.yaml"))
    return failure.value.problems


def _added_rule_text(condition: str, *, message: bool = True) -> str:
    # Insert the rule before the tests section so it belongs to `rules`.
    rule = (
        "  - id: added_rule\n"
        "    title: {zh: 测试规则, en: test rule}\n"
        "    category: marginal\n"
        "    risk_types: [other]\n"
        "    severity: low\n"
        f"    condition: {condition!r}\n"
    )
    if message:
        rule += "    message: {zh: '测试 {per_capita_income}', en: 'test {per_capita_income}'}\n"
    return BASE.replace("\ntests:\n", "\n" + rule + "\ntests:\n", 1)


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ("per_capita_incme < 5000", "unknown name 'per_capita_incme'"),
        ("household_type > 5", "cannot compare string with integer"),
        ("per_capita_income + 1", "must be true or false"),
        ("pg_read_file('/etc/passwd') = ''", "function PG_READ_FILE is not allowed"),
        ("1 = 1; DROP TABLE households", "only one expression"),
        ("per_capita_income > (SELECT max(wage) FROM incomes)", "not allowed"),
        ("incomes.wage > 0", "write the plain name"),
        ("risk_illness AND 'x'", "AND/OR joins conditions"),
    ],
)
def test_bad_conditions_are_refused_naming_rule_and_line(condition, words):
    text = _added_rule_text(condition)
    problems = _problems(text)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.place == "rules[added_rule].condition"
    assert words in problem.message
    rule_line = text.splitlines().index("  - id: added_rule") + 1
    assert problem.line == rule_line and str(problem).startswith(f"bad.yaml:{rule_line}:")


def test_a_rule_without_a_message_or_with_an_unknown_placeholder_is_refused():
    problems = _problems(_added_rule_text("risk_water", message=False))
    assert [p.place for p in problems] == ["rules[added_rule]"] and "zh and en" in problems[0].message
    text = _added_rule_text("risk_water").replace("{per_capita_income}", "{income_pc}")
    problems = _problems(text)
    assert {p.message for p in problems} == {"unknown name {income_pc} in the message"}


def test_packs_rules_and_parameters_without_a_title_in_both_languages_are_refused():
    """Pages show titles, never codes: a pack, a rule or a parameter without one does not load."""
    untitled_rule = _added_rule_text("risk_water").replace("    title: {zh: 测试规则, en: test rule}\n", "")
    assert [(p.place, p.message) for p in _problems(untitled_rule)] == [
        ("rules[added_rule]", "'title' is missing: give it in zh and en")
    ]
    untitled_parameter = BASE.replace("    title: {zh: 监测范围, en: monitoring range}\n", "", 1)
    assert [p.place for p in _problems(untitled_parameter)] == ["parameters[monitoring_range]"]
    half_titled_pack = BASE.replace(
        "  en: Dynamic monitoring to prevent return to poverty (national base rules)\n", ""
    )
    assert [(p.place, p.message) for p in _problems(half_titled_pack)] == [
        ("pack", "'title' needs a zh and an en text")
    ]


def test_variables_are_checked_too():
    text = BASE.replace(
        "aggregate: count\n    where: is_current\n", "aggregate: count\n    where: is_curent\n", 1
    )
    problems = _problems(text)
    assert [(p.place, p.message) for p in problems] == [
        ("variables[household_size].where", "unknown name 'is_curent'")
    ]
    cyclic = BASE.replace("expr: disaster_loss_recent > 0", "expr: risk_disaster OR disaster_loss_recent > 0")
    assert "refers to itself" in _problems(cyclic)[0].message


def test_nothing_runs_for_a_bad_pack(tmp_path):
    """`fupin policy test` on a bad pack stops before any engine is touched."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(_added_rule_text("household_type > 5"), encoding="utf-8")
    with pytest.raises(PackError):
        check_pack(load_pack(bad))


def test_yaml_errors_name_the_line():
    with pytest.raises(PackError) as failure:
        parse_pack("name: x\nrules: [\n", file="broken.yaml")
    assert failure.value.problems[0].line is not None


# ---------------------------------------------------------------- parameters by region and date

regions = st.sampled_from(["", "22", "2208", "220822", "11", "220821"])
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2027, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.tuples(regions, dates, st.integers(1000, 9000)), min_size=1, max_size=8),
    county=st.sampled_from(["220822", "220821", "110101"]),
    on=dates,
)
def test_the_most_specific_region_then_the_latest_date_wins(values, county, on):
    parameter = Parameter(
        name="p",
        type="number",
        unit="",
        description={},
        source="",
        confidence="example",
        values=tuple(ParameterValue(r, d, None, float(v), True, None) for r, d, v in values),
        line=None,
    )
    applicable = [(r, d, v) for r, d, v in values if county.startswith(r) and d <= on]
    if not applicable:
        with pytest.raises(MissingParameter):
            value_in_force(parameter, county, on)
        return
    chosen = value_in_force(parameter, county, on)
    best_region = max(len(r) for r, _, _ in applicable)
    latest = max(d for r, d, _ in applicable if len(r) == best_region)
    assert len(chosen.region) == best_region and chosen.effective_from == latest
    assert chosen.value in {float(v) for r, d, v in applicable if len(r) == best_region and d == latest}


def test_the_province_pack_changes_the_range_only_in_its_province():
    jilin = check_pack(load_pack(POLICIES / "jilin.yaml"))
    data = generated(300, seed=2)
    result = screen(jilin, data, AS_OF)
    used = result.parameters["monitoring_range"]
    assert used["220822"]["value"] == 7500 and used["220822"]["region"] == "22"
    assert used["110101"]["value"] == 6900 and used["110101"]["region"] == "nation"
    assert result.parameters["large_oop_amount"]["220822"]["value"] == 8000
    assert result.parameters["large_oop_amount"]["220821"]["value"] == 10000
