"""The plan rules of domain.md section 6 on plain data: each rule with a passing and a failing household
(failing alone), and properties that hold for any plan (Hypothesis)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.assistance import rules
from fupin.assistance.models import MeasureCategory, MeasureStatus
from fupin.assistance.rules import IncomeFacts, MeasureFacts, MemberFacts, PlanFacts
from fupin.registry.choices import LabourCapacity, RiskType

D = dt.date(2025, 3, 1)


def measure(
    category: str,
    *against: str,
    status: str = "in_progress",
    started_on: dt.date | None = D,
    ended_on: dt.date | None = None,
    answers: frozenset[str] | None = None,
    type_code: str = "",
    id: int | None = None,
) -> MeasureFacts:
    return MeasureFacts(
        category=category,
        answers=rules.answers_of_category(category) if answers is None else answers,
        risk_types=frozenset(against),
        status=status,
        started_on=started_on,
        ended_on=ended_on,
        type_code=type_code,
        id=id,
    )


WORKER = MemberFacts("ordinary")
NO_LABOUR = MemberFacts("lost")
ON_DIBAO = MemberFacts("none", receives_dibao=True)

HEALTH = measure("health", "illness", id=1)
INDUSTRY = measure("industry", id=2)

# A household at risk of illness whose head works: a health measure and a developmental one.
GOOD = PlanFacts(risk_types=("illness",), members=(WORKER,), measures=(HEALTH, INDUSTRY))


def eliminated(measures, income: IncomeFacts, members=(WORKER,)) -> PlanFacts:
    """Monitoring ended with the risk eliminated (risk types cleared), one year's income recorded."""
    return PlanFacts(risk_types=(), members=members, measures=measures, incomes=(income,), eliminated=True)


def income(wage=1000, business=1000, transfer=1000, year=2025) -> IncomeFacts:
    return IncomeFacts(year=year, wage=Decimal(wage), business=Decimal(business), transfer=Decimal(transfer))


# rule code → (a household that keeps it, the same kind of household breaking only this rule)
CASES: dict[str, tuple[PlanFacts, PlanFacts]] = {
    "risk_unanswered": (GOOD, replace(GOOD, measures=(INDUSTRY,))),
    "measure_not_answering": (
        replace(
            GOOD,
            risk_types=("illness", "housing"),
            measures=(HEALTH, INDUSTRY, measure("housing", "housing")),
        ),
        replace(
            GOOD,
            risk_types=("illness", "housing"),
            # a housing renovation recorded against illness as well: housing measures do not answer illness
            measures=(
                HEALTH,
                INDUSTRY,
                measure("housing", "housing", "illness", answers=frozenset({"housing"})),
            ),
        ),
    ),
    "no_developmental": (GOOD, replace(GOOD, measures=(HEALTH,))),
    "only_security": (
        PlanFacts(
            risk_types=("disability",),
            members=(WORKER,),
            measures=(measure("comprehensive_security", "disability"), INDUSTRY),
        ),
        PlanFacts(
            risk_types=("disability",),
            members=(WORKER,),
            measures=(measure("comprehensive_security", "disability"),),
        ),
    ),
    "no_allowance": (
        replace(GOOD, members=(NO_LABOUR, ON_DIBAO), measures=(HEALTH,)),
        replace(GOOD, members=(NO_LABOUR, MemberFacts("none")), measures=(HEALTH,)),
    ),
    "work_without_labour": (
        replace(GOOD, members=(ON_DIBAO,), measures=(HEALTH,)),
        replace(GOOD, members=(ON_DIBAO,), measures=(HEALTH, measure("public_welfare_post", id=7))),
    ),
    "no_start_date": (GOOD, replace(GOOD, measures=(HEALTH, measure("industry", started_on=None)))),
    "end_before_start": (
        replace(GOOD, measures=(HEALTH, measure("industry", ended_on=D + dt.timedelta(days=1)))),
        replace(GOOD, measures=(HEALTH, measure("industry", ended_on=D - dt.timedelta(days=1)))),
    ),
    "wage_vs_employment": (
        eliminated((measure("employment"),), income(wage=8000)),
        eliminated((measure("employment"),), income(wage=0)),
    ),
    "business_vs_industry": (
        eliminated((INDUSTRY,), income(business=3000)),
        eliminated((INDUSTRY,), income(business=0)),
    ),
    "transfer_vs_allowance": (
        eliminated((INDUSTRY,), income(transfer=2400), members=(WORKER, ON_DIBAO)),
        eliminated((INDUSTRY,), income(transfer=0), members=(WORKER, ON_DIBAO)),
    ),
}


def codes(plan: PlanFacts) -> list[str]:
    return [problem.code for problem in rules.check(plan)]


def test_every_rule_has_a_passing_and_a_failing_household():
    assert set(CASES) == set(rules.RULES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_rule_fails_alone(code):
    passing, failing = CASES[code]
    assert codes(passing) == []
    assert codes(failing) == [code]
    [problem] = rules.check(failing)
    assert problem.severity == rules.RULES[code].severity
    assert str(problem.message)  # plain words, rendered


def test_the_messages_say_what_is_wrong_and_what_answers_it():
    [problem] = rules.check(CASES["risk_unanswered"][1])
    with translation.override("en"):
        text = str(problem.message)
        post_text = str(rules.check(CASES["work_without_labour"][1])[0].message)
    assert "Illness (因病)" in text and "Health (健康帮扶)" in text and "Social assistance (社会帮扶)" in text
    assert problem.risk == "illness" and problem.is_error
    [post] = rules.check(CASES["work_without_labour"][1])
    assert post.measure_id == 7 and "Public-welfare post" in post_text
    with translation.override("zh-hans"):
        assert "因病" in str(problem.message) and "没有" in str(problem.message)


def test_a_stopped_measure_counts_for_nothing():
    stopped = replace(HEALTH, status=MeasureStatus.STOPPED, ended_on=D)
    assert codes(replace(GOOD, measures=(stopped, INDUSTRY))) == ["risk_unanswered"]
    # ...and a stopped job is no error where nobody works
    post = measure("employment", status=MeasureStatus.STOPPED, ended_on=D)
    assert codes(replace(GOOD, members=(ON_DIBAO,), measures=(HEALTH, post))) == []


def test_a_planned_measure_answers_a_risk_but_has_not_begun():
    planned = replace(HEALTH, status=MeasureStatus.PLANNED, started_on=None)
    assert codes(replace(GOOD, measures=(planned, INDUSTRY))) == []


def test_households_outside_the_plan_rules_and_unknown_members():
    # An ordinary household without measures and not monitored: nothing to plan.
    assert codes(PlanFacts(members=(WORKER,), needs_plan=False)) == []
    assert codes(PlanFacts(members=(NO_LABOUR,), needs_plan=False)) == []
    # Nobody recorded yet: nothing to say about labour (the risk rule still holds).
    assert codes(PlanFacts(risk_types=("water",))) == ["risk_unanswered"]


def test_income_rules_wait_for_elimination_and_read_the_latest_year():
    running = (measure("employment"),)
    assert codes(replace(eliminated(running, income(wage=0)), eliminated=False)) == []
    # The measure began after the year of the income record: nothing to compare.
    later = (measure("employment", started_on=dt.date(2026, 1, 5)),)
    assert codes(eliminated(later, income(wage=0))) == []
    # Two years: the latest decides.
    plan = replace(
        eliminated(running, income(wage=0, year=2025)), incomes=(income(wage=0, year=2025), income(year=2024))
    )
    assert codes(plan) == ["wage_vs_employment"]


def test_errors_come_before_warnings():
    plan = replace(
        eliminated((measure("employment"),), income(wage=0)), risk_types=("illness",), eliminated=True
    )
    problems = rules.check(plan)
    assert [p.code for p in problems] == ["risk_unanswered", "wage_vs_employment"]


# ---------------------------------------------------------------- suggestions

ENTRIES = [
    rules.CatalogueEntry(1, "medical_assistance", "health", frozenset({"illness", "accident"})),
    rules.CatalogueEntry(2, "industry_subsidy", "industry", frozenset({"business_failure"})),
    rules.CatalogueEntry(3, "welfare_post", "public_welfare_post", frozenset({"lack_of_labour"})),
    rules.CatalogueEntry(4, "dibao", "comprehensive_security", frozenset({"lack_of_labour", "disability"})),
    rules.CatalogueEntry(5, "social_twinning", "social", frozenset({"illness", "lack_of_labour"})),
    rules.CatalogueEntry(6, "water_project", "water", frozenset({"water"})),
]


def test_suggestions_put_developmental_measures_first_for_a_household_that_can_work():
    plan = PlanFacts(risk_types=("illness", "lack_of_labour"), members=(WORKER,))
    found = [(s.entry.code, s.reason) for s in rules.suggest(plan, ENTRIES)]
    assert found == [
        ("welfare_post", "risk"),  # developmental first, most risks answered first
        ("industry_subsidy", "developmental"),
        ("social_twinning", "risk"),
        ("medical_assistance", "risk"),
        ("dibao", "risk"),
    ]  # and no water project: there is no water risk


def test_suggestions_put_security_first_where_nobody_works_and_never_a_job():
    plan = PlanFacts(risk_types=("illness", "lack_of_labour"), members=(NO_LABOUR,))
    found = [(s.entry.code, s.reason) for s in rules.suggest(plan, ENTRIES)]
    assert found[0] == ("dibao", "risk")
    assert "welfare_post" not in dict(found) and "industry_subsidy" not in dict(found)


def test_suggestions_leave_out_what_the_plan_has():
    taken = replace(measure("health", "illness"), type_id=1)
    plan = PlanFacts(risk_types=("illness",), members=(WORKER,), measures=(taken,))
    found = [s.entry.code for s in rules.suggest(plan, ENTRIES)]
    assert "medical_assistance" not in found and "social_twinning" not in found  # illness is answered
    assert found == ["industry_subsidy", "welfare_post"]


# ---------------------------------------------------------------- properties

RISKS = st.sampled_from(RiskType.values)
CATEGORIES = st.sampled_from(MeasureCategory.values)
STATUSES = st.sampled_from(MeasureStatus.values)
DATES = st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2027, 12, 31))


@st.composite
def measures(draw, ids=st.integers(1, 10_000)):
    category = draw(CATEGORIES)
    allowed = sorted(rules.answers_of_category(category))
    return MeasureFacts(
        category=category,
        answers=frozenset(draw(st.lists(st.sampled_from(allowed), max_size=4))),
        risk_types=frozenset(draw(st.lists(RISKS, max_size=3))),
        status=draw(STATUSES),
        started_on=draw(DATES),
        ended_on=draw(DATES),
        type_id=draw(st.none() | st.integers(1, 8)),
        type_code=draw(st.sampled_from(["", "dibao", "tekun", "welfare_post"])),
        id=draw(ids),
    )


members = st.builds(MemberFacts, st.sampled_from(LabourCapacity.values), st.booleans(), st.booleans())
incomes = st.builds(
    IncomeFacts,
    st.integers(2020, 2027),
    st.sampled_from([Decimal(0), Decimal(1200)]),
    st.sampled_from([Decimal(0), Decimal(3000)]),
    st.sampled_from([Decimal(0), Decimal(2400)]),
)
plans = st.builds(
    PlanFacts,
    risk_types=st.lists(RISKS, max_size=5, unique=True).map(tuple),
    members=st.lists(members, max_size=4).map(tuple),
    measures=st.lists(measures(), max_size=6).map(tuple),
    incomes=st.lists(incomes, max_size=2).map(tuple),
    needs_plan=st.booleans(),
    eliminated=st.booleans(),
)


@st.composite
def catalogues(draw):
    count = draw(st.integers(0, 8))
    entries = []
    for n in range(count):
        category = draw(CATEGORIES)
        allowed = sorted(rules.answers_of_category(category))
        answers = frozenset(draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=4)))
        entries.append(
            rules.CatalogueEntry(
                n + 1, draw(st.sampled_from(["", "dibao", "tekun", f"e{n}"])), category, answers
            )
        )
    return entries


def labour_gaps(found: list[str]) -> set[str]:
    return {"no_developmental" if code == "only_security" else code for code in found}


def unanswered(plan: PlanFacts) -> set[str]:
    return {p.risk for p in rules.check(plan) if p.code == "risk_unanswered"}


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(plans)
def test_any_plan_is_checked_with_known_rules_errors_first(plan):
    problems = rules.check(plan)
    assert all(p.code in rules.RULES and p.severity == rules.RULES[p.code].severity for p in problems)
    severities = [p.severity for p in problems]
    assert severities == sorted(severities, key=lambda s: s != rules.ERROR)
    assert unanswered(plan) == set(plan.unanswered())
    for problem in problems:
        str(problem.message)


@FAST
@given(plans, st.data())
def test_adding_a_measure_that_answers_a_risk_never_leaves_it_unanswered(plan, data):
    if not plan.risk_types:
        return
    risk = data.draw(st.sampled_from(plan.risk_types))
    category = data.draw(
        st.sampled_from(sorted(c for c in MeasureCategory.values if rules.category_may_answer(c, risk)))
    )
    status = data.draw(st.sampled_from(sorted(rules.ACTIVE)))
    added = MeasureFacts(
        category=category,
        answers=frozenset({risk}),
        risk_types=frozenset({risk}),
        status=status,
        started_on=D,
    )
    after = replace(plan, measures=(*plan.measures, added))
    assert risk not in unanswered(after)
    assert unanswered(after) <= unanswered(plan)


@FAST
@given(plans, st.data())
def test_stopping_a_measure_never_answers_a_risk(plan, data):
    if not plan.measures:
        return
    index = data.draw(st.integers(0, len(plan.measures) - 1))
    stopped = list(plan.measures)
    stopped[index] = replace(stopped[index], status=MeasureStatus.STOPPED)
    assert unanswered(replace(plan, measures=tuple(stopped))) >= unanswered(plan)


@FAST
@given(plans)
def test_a_developmental_measure_settles_the_labour_rules_of_a_household_that_can_work(plan):
    added = replace(INDUSTRY, id=None)
    after = codes(replace(plan, measures=(*plan.measures, added)))
    assert "no_developmental" not in after and "only_security" not in after


@FAST
@given(plans, st.randoms(use_true_random=False))
def test_the_order_of_measures_does_not_matter(plan, random):
    shuffled = list(plan.measures)
    random.shuffle(shuffled)
    before = sorted((p.code, p.measure_id or 0, p.risk) for p in rules.check(plan))
    after = sorted(
        (p.code, p.measure_id or 0, p.risk) for p in rules.check(replace(plan, measures=tuple(shuffled)))
    )
    assert before == after


@FAST
@given(plans, catalogues())
def test_planning_a_suggestion_closes_its_gap_and_opens_none(plan, catalogue):
    in_plan = {m.type_id for m in plan.active_measures}
    for suggestion in rules.suggest(plan, catalogue):
        entry = suggestion.entry
        assert entry.id not in in_plan
        if plan.members and not plan.can_work:
            assert entry.category not in rules.WORK_CATEGORIES
        added = MeasureFacts(
            category=entry.category,
            answers=entry.answers,
            risk_types=frozenset(suggestion.risks),
            status=MeasureStatus.PLANNED,
            type_id=entry.id,
            type_code=entry.code,
        )
        after = replace(plan, measures=(*plan.measures, added))
        assert unanswered(after) == unanswered(plan) - set(suggestion.risks)
        # Only comprehensive security instead of nothing developmental is the same gap, not a new one.
        assert labour_gaps(codes(after)) <= labour_gaps(codes(plan)), suggestion
        if suggestion.reason == rules.REASON_DEVELOPMENTAL:
            assert not {"no_developmental", "only_security"} & set(codes(after))
