"""Policy what-if in the engine (no Django): overlays, the simulation, attribution and the sweep."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.engine import scenarios as sc
from fupin.engine.checker import check_pack
from fupin.engine.packs import PackError, load_pack
from fupin.engine.screening import screen
from tests.test_engine import AS_OF, NATIONAL, POLICIES, generated

DATA = generated(600, 7)


@pytest.fixture(scope="module")
def national():
    return check_pack(load_pack(NATIONAL))


def _hits(checked, data=DATA, as_of=AS_OF) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for hit in screen(checked, data, as_of).hits:
        found[hit["household_id"]].add(hit["rule_id"])
    return dict(found)


def _simulate(national, overlay, data=DATA, as_of=AS_OF):
    states, items = sc.scenario_states(national.pack, overlay, as_of)
    return sc.simulate(national, states, data, as_of, items=items), states


def _rules(text: str | None) -> set[str]:
    return {r for r in (text or "").split(",") if r}


def test_a_scenario_against_itself_is_empty(national):
    same = sc.Overlay({"monitoring_range": 6900.0})  # the value already in force
    simulation, _ = _simulate(national, same)
    assert simulation.count("only_scenario") == simulation.count("only_baseline") == 0
    assert simulation.count("both") == len(_hits(national))
    assert all(a["only_scenario"] == a["only_baseline"] == 0 for a in simulation.attribution())
    itself = sc.simulate(national, [national], DATA, AS_OF)
    assert itself.totals()["only_scenario"] == itself.totals()["only_baseline"] == 0
    for row in itself.table.to_pylist():
        assert row["baseline_rules"] == row["scenario_rules"]


def test_the_simulation_agrees_with_screening_each_pack_alone(national):
    overlay = sc.Overlay({"monitoring_range": 7600, "income_drop_share": 0.5})
    simulation, states = _simulate(national, overlay)
    baseline, scenario = _hits(national), _hits(states[-1])
    rows = {row["household_id"]: row for row in simulation.table.to_pylist()}
    assert set(rows) == set(baseline) | set(scenario)
    for household_id, row in rows.items():
        assert _rules(row["baseline_rules"]) == baseline.get(household_id, set())
        assert _rules(row["scenario_rules"]) == scenario.get(household_id, set())
        expected = (
            "both"
            if household_id in baseline and household_id in scenario
            else "only_baseline"
            if household_id in baseline
            else "only_scenario"
        )
        assert row["status"] == expected
    assert simulation.count("only_scenario") > 0 and simulation.count("only_baseline") > 0


def test_publishing_the_scenario_then_screening_gives_exactly_the_same_hits(national, tmp_path: Path):
    effective = dt.date(2026, 6, 1)
    overlay = sc.Overlay(
        {"monitoring_range": 7200, "large_oop_amount": 20000},
        rules=(
            sc.RuleChange(
                id="marginal_no_water",
                condition="not_monitored AND household_type = 'ordinary' AND within_range AND NOT water_safe",
                category="marginal",
                risk_types=("water",),
                severity="medium",
                title={"zh": "饮水不安全", "en": "unsafe water"},
                message={"zh": "人均 {per_capita_income} 元", "en": "per capita {per_capita_income}"},
            ),
        ),
        region="22",
    )
    text = sc.overlay_yaml(
        national.pack, overlay, name="jilin-2027", version="2027.1", effective_from=effective, title={}
    )
    path = tmp_path / "jilin-2027.yaml"
    path.write_text(text, encoding="utf-8")
    published = check_pack(load_pack(path, [POLICIES]))
    screened = _hits(published, as_of=effective)
    simulation, _ = _simulate(national, overlay, as_of=effective)
    simulated = {
        row["household_id"]: _rules(row["scenario_rules"])
        for row in simulation.table.to_pylist()
        if row["status"] != "only_baseline"
    }
    assert simulated == screened
    assert any("marginal_no_water" in rules for rules in screened.values())
    # Outside the region (the 110101 households) nothing changes.
    outside = [r for r in simulation.table.to_pylist() if r["village_code"].startswith("11")]
    assert outside and all(r["status"] == "both" for r in outside)


@pytest.mark.parametrize(
    ("overlay", "place"),
    [
        (sc.Overlay({"no_such_thing": 1}), "parameters[no_such_thing]"),
        (sc.Overlay({"lookback_days": 30.5}), "parameters[lookback_days]"),
        (sc.Overlay({"monitoring_range": True}), "parameters[monitoring_range]"),
        (sc.Overlay(region="2"), "region"),
        (
            sc.Overlay(
                rules=(
                    sc.RuleChange("bad", "per_capita_income > 'x'", "marginal", ("illness",), "high", {}, {}),
                )
            ),
            "rules[bad].condition",
        ),
        (
            sc.Overlay(rules=(sc.RuleChange("odd", "TRUE", "nowhere", ("illness",), "high", {}, {}),)),
            "rules[odd]",
        ),
    ],
)
def test_an_invalid_overlay_is_refused_naming_the_place(national, overlay, place):
    with pytest.raises(PackError) as error:
        sc.check_overlay(national.pack, overlay, AS_OF)
    assert any(p.place == place for p in error.value.problems), error.value.problems


changes = st.fixed_dictionaries(
    {},
    optional={
        "monitoring_range": st.integers(4000, 12000).map(float),
        "large_oop_amount": st.sampled_from([500.0, 5000.0, 10000.0, 30000.0]),
        "income_drop_share": st.sampled_from([0.1, 0.3, 0.6]),
        "lookback_days": st.integers(0, 800),
    },
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parameters=changes, switch_off=st.booleans(), order=st.randoms(use_true_random=False))
def test_attribution_adds_up_to_the_total_difference(national, parameters, switch_off, order):
    names = list(parameters)
    order.shuffle(names)
    rules = ()
    if switch_off:
        old = next(r for r in national.pack.rules if r.id == "sudden_income_drop")
        rules = (sc.RuleChange(old.id, "FALSE", old.category, old.risk_types, old.severity, {}, old.message),)
    overlay = sc.Overlay({n: parameters[n] for n in names}, rules=rules)
    simulation, states = _simulate(national, overlay)
    totals = simulation.totals()
    attribution = simulation.attribution()
    assert [(a["kind"], a["name"]) for a in attribution] == (overlay.items() or [("change", "scenario")])
    assert sum(a["only_scenario"] for a in attribution) == totals["only_scenario"]
    assert sum(a["only_baseline"] for a in attribution) == totals["only_baseline"]
    # And the scenario's side is what screening with the scenario's pack finds.
    assert totals["scenario"] == len(_hits(states[-1]))


def test_attribution_is_the_step_that_flagged_the_household(national):
    overlay = sc.Overlay(
        {"large_oop_amount": 10000.0, "monitoring_range": 9000.0}
    )  # the first changes nothing
    simulation, _ = _simulate(national, overlay)
    first, second = simulation.attribution()
    assert first["only_scenario"] == 0 and second["only_scenario"] == simulation.count("only_scenario") > 0


_TEMPLATES = [
    "not_monitored AND per_capita_income <= {p}",
    "not_monitored AND per_capita_income > {p} * 1.5 AND risk_illness",
    "oop_spending >= {p} OR disaster_loss_recent >= {p}",
    "NOT (per_capita_income BETWEEN {p} - 1000 AND {p}) AND household_type = 'lifted_out'",
    "per_capita_after_oop <= {p} AND labourers = 0",
]
_SWEPT = {
    "monitoring_range": (3000.0, 10000.0, 250.0),
    "large_oop_amount": (0.0, 30000.0, 2500.0),
    "disaster_loss_amount": (1000.0, 40000.0, 3000.0),
}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parameter=st.sampled_from(sorted(_SWEPT)),
    templates=st.lists(st.sampled_from(_TEMPLATES), min_size=0, max_size=2, unique=True),
    start=st.integers(0, 6),
    steps=st.integers(1, 9),
)
def test_the_sweep_at_each_step_equals_a_separate_simulation(national, parameter, templates, start, steps):
    low, high, step = _SWEPT[parameter]
    values = sc.sweep_values(low + start * step, min(high, low + (start + steps - 1) * step), step)
    # A random pack: the national pack with random rules on the swept parameter added.
    rules = tuple(
        sc.RuleChange(
            f"extra_{i}", t.format(p=parameter), "marginal", ("other",), "low", {}, {"zh": "x", "en": "x"}
        )
        for i, t in enumerate(templates)
    )
    base_overlay = sc.Overlay(rules=rules)
    baseline = sc.check_overlay(national.pack, base_overlay, AS_OF)
    swept = sc.sweep(baseline, sc.Overlay(), parameter, values, DATA, AS_OF)
    base_hits = set(_hits(baseline))
    assert swept.baseline == len(base_hits)
    for result in swept.steps:
        scenario = sc.check_overlay(baseline.pack, sc.Overlay({parameter: result["value"]}), AS_OF)
        hits = set(_hits(scenario))
        assert result["flagged"] == len(hits), result
        assert result["only_scenario"] == len(hits - base_hits)
        assert result["only_baseline"] == len(base_hits - hits)
    assert [sum(c[i] for c in swept.by_county.values()) for i in range(len(values))] == [
        s["flagged"] for s in swept.steps
    ]


def test_a_sweep_over_a_parameter_of_the_row_conditions(national):
    values = [30.0, 200.0, 365.0, 700.0]
    swept = sc.sweep(national, sc.Overlay(), "lookback_days", values, DATA, AS_OF)
    for result in swept.steps:
        scenario = sc.check_overlay(national.pack, sc.Overlay({"lookback_days": result["value"]}), AS_OF)
        assert result["flagged"] == len(_hits(scenario))


def test_sweep_values_are_bounded():
    assert sc.sweep_values(5000, 8000, 100)[-1] == 8000 and len(sc.sweep_values(5000, 8000, 100)) == 31
    with pytest.raises(ValueError):
        sc.sweep_values(0, 10000, 100)
    with pytest.raises(ValueError):
        sc.sweep_values(10, 1, 1)
