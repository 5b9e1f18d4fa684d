"""Assistance in the demo county: plans, helpers within quotas, task forces and visits, and what the
data checks find in it (fupin.demo.assistance)."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter

import pytest

from fupin.assistance import rules as plan_rules
from fupin.demo import assistance, generator

AS_OF = dt.date(2025, 6, 30)
LATEST_INCOME_YEAR = generator.income_years(AS_OF)[-1]
MONITORING_BEGAN = dt.date(2021, 7, 1)  # the generator's earliest monitoring
QUOTAS = {"county_leader": 3, "section": 2, "general": 1}  # "321", the Django setting's default


def national_catalogue() -> dict[str, assistance.CatalogueEntry]:
    """The catalogue of migration 0004 as ``county_catalogue`` reads it from the database."""
    rows = importlib.import_module("fupin.assistance.migrations.0004_national_catalogue").NATIONAL
    return {
        code: assistance.CatalogueEntry(pk, code, category, frozenset(answers.split(",")))
        for pk, (code, _zh, _en, category, _kind, answers) in enumerate(rows, start=1)
    }


@pytest.fixture(scope="module")
def county() -> generator.DemoCounty:
    return generator.generate(households=3000, seed=5, as_of=AS_OF)


@pytest.fixture(scope="module")
def plan(county) -> assistance.DemoAssistance:
    return assistance.plan_assistance(county, national_catalogue(), seed=5, quotas=QUOTAS)


def monitored_of(county):
    return [h for h in county.households if h.monitoring_category]


def measures_by_household(plan):
    found: dict[str, list[assistance.MeasureRow]] = {}
    for row in plan.measures:
        found.setdefault(row.household, []).append(row)
    return found


def can_work(household) -> bool:
    return any(m.labour_capacity in plan_rules.WORKING for m in household.members)


def answered(rows, risk: str, catalogue) -> bool:
    return any(
        row.status in plan_rules.ACTIVE
        and risk in row.risk_types
        and (
            risk in catalogue[row.code].answers
            if row.code
            else plan_rules.category_may_answer(row.category, risk)
        )
        for row in rows
    )


# ----------------------------------------------------------------------------- plans


def test_the_same_seed_gives_the_same_assistance_and_another_seed_other_assistance(county, plan):
    again = assistance.plan_assistance(county, national_catalogue(), seed=5, quotas=QUOTAS)
    assert again == plan
    other = assistance.plan_assistance(county, national_catalogue(), seed=6, quotas=QUOTAS)
    assert other.measures != plan.measures and other.helpers != plan.helpers


def test_monitored_households_mostly_have_a_plan_answering_every_risk(county, plan):
    catalogue = national_catalogue()
    by_household = measures_by_household(plan)
    monitored = monitored_of(county)
    complete = [
        h
        for h in monitored
        if all(answered(by_household.get(h.number, []), risk, catalogue) for risk in h.risk_types)
    ]
    assert len(complete) / len(monitored) >= 0.85
    for household in monitored:
        if household.number in plan.gaps:
            continue
        rows = by_household[household.number]
        assert all(answered(rows, risk, catalogue) for risk in household.risk_types), household.number
        if can_work(household):  # a developmental measure where someone can work
            assert any(row.category in plan_rules.DEVELOPMENTAL_CATEGORIES for row in rows)
        else:  # nobody can work: no job measure
            assert not any(row.category in plan_rules.WORK_CATEGORIES for row in rows)


def test_measures_fit_the_catalogue_the_household_and_the_dates(county, plan):
    catalogue = national_catalogue()
    households = {h.number: h for h in county.households}
    for row in plan.measures:
        household = households[row.household]
        entry = catalogue[row.code]
        assert row.category == entry.category
        assert set(row.risk_types) <= entry.answers  # recorded only against risks it answers
        history = household.monitoring_history
        if row.started_on < MONITORING_BEGAN:  # an older measure of a lifted-out household
            assert household.household_type == "lifted_out" and row.risk_types == ()
            assert row.category in ("industry", "employment") and row.status == "done"
            assert row.started_on <= household.type_history[-1].effective_from  # before it was lifted out
            assert row.ended_on.year < LATEST_INCOME_YEAR
        elif household.monitoring_category:
            assert set(row.risk_types) <= set(household.risk_types)
            assert row.started_on > history[-1].effective_from  # after the monitoring began
        else:  # risk eliminated: the measures of then, done by the elimination
            assert history[0].effective_from < row.started_on and row.ended_on <= history[-1].effective_from
        assert row.started_on < AS_OF and row.status in ("in_progress", "done")
        assert row.responsible
        if row.status == "done" and plan.gaps.get(row.household) != "done_without_end":
            assert row.started_on <= row.ended_on < AS_OF
        if row.category in plan_rules.WORK_CATEGORIES:  # someone works, and earned wages last year
            assert can_work(household)
            running = row.ended_on is None or row.ended_on.year >= LATEST_INCOME_YEAR
            assert not running or household.incomes[-1].wage > 0


def test_some_plans_are_left_incomplete_on_purpose(county, plan):
    catalogue = national_catalogue()
    by_household = measures_by_household(plan)
    monitored = monitored_of(county)
    assert 0.03 <= len(plan.gaps) / len(monitored) <= 0.14
    assert len(set(plan.gaps.values())) >= 3
    households = {h.number: h for h in county.households}
    for number, gap in plan.gaps.items():
        household, rows = households[number], by_household.get(number, [])
        if gap == "no_measure":
            assert not rows
        elif gap == "risk_unanswered":
            assert rows and not all(answered(rows, r, catalogue) for r in household.risk_types)
        elif gap == "no_developmental":
            assert can_work(household)
            assert not any(row.category in plan_rules.DEVELOPMENTAL_CATEGORIES for row in rows)
        else:
            assert any(row.status == "done" and row.ended_on is None for row in rows)


def test_many_lifted_out_households_have_an_older_industry_or_employment_measure(county, plan):
    by_household = measures_by_household(plan)
    lifted = [h for h in county.households if h.household_type == "lifted_out" and not h.monitoring_history]
    older = [h for h in lifted if by_household.get(h.number)]
    assert 0.7 <= len(older) / len(lifted) <= 0.95
    categories = Counter(row.category for h in older for row in by_household[h.number])
    assert categories["industry"] and categories["employment"]


# ----------------------------------------------------------------------------- helpers and villages


def needing_of(county):
    """The households that need a helper, by the rule the coverage page counts with."""
    from fupin.twinning.selectors import needs_helper

    return [
        h
        for h in county.households
        if needs_helper(
            monitoring_category=h.monitoring_category, household_type=h.household_type, status=h.status
        )
    ]


def test_helpers_are_twinned_with_the_households_that_need_one_within_the_quotas(county, plan):
    households = {h.number: h for h in county.households}
    per_helper = Counter(a.helper for a in plan.assignments)
    assert set(per_helper) == set(range(len(plan.helpers)))  # nobody idle
    for index, count in per_helper.items():
        assert count <= QUOTAS[plan.helpers[index].rank]
    assert {h.rank for h in plan.helpers} == set(QUOTAS)
    assert Counter(h.rank for h in plan.helpers)["county_leader"] <= assistance.MAX_COUNTY_LEADERS
    twinned = [a.household for a in plan.assignments]
    assert len(twinned) == len(set(twinned))
    needing = {h.number for h in needing_of(county)}
    assert set(twinned) <= needing and len(needing) > 2 * len(monitored_of(county))  # lifted-out too
    assert 0.95 <= len(twinned) / len(needing) < 0.99  # a few gaps for the coverage page to show
    for assignment in plan.assignments:
        household = households[assignment.household]
        if household.monitoring_category:
            assert household.monitoring_history[-1].effective_from <= assignment.started_on
        assert assignment.started_on < AS_OF
    phones = [h.phone for h in plan.helpers]
    assert len(set(phones)) == len(phones) and all(len(p) == 11 and p.startswith("1") for p in phones)
    assert not set(phones) & {h.phone for h in county.households}
    assert len({h.name for h in plan.helpers}) == len(plan.helpers)
    assert all(h.unit.startswith(("通榆县", "国网通榆县", "中国")) for h in plan.helpers)


def test_most_villages_with_monitored_households_have_a_helping_unit_and_a_full_task_force(county, plan):
    from fupin.twinning.models import TaskForceMember
    from fupin.twinning.selectors import TaskForceRules, check_task_force

    rules = TaskForceRules(min_members=3, min_term_months=24, require_first_secretary=True)
    with_monitored = {h.village_code for h in monitored_of(county)}
    units = {u.village for u in plan.helping_units if u.ended_on is None}
    assert units <= with_monitored and len(units) / len(with_monitored) >= 0.8
    members: dict[str, list[TaskForceMember]] = {}
    for row in plan.task_force:
        members.setdefault(row.village, []).append(
            TaskForceMember(
                name=row.name, unit=row.unit, role=row.role, term_start=row.term_start, term_end=row.term_end
            )
        )
    assert set(members) == units
    failed = Counter()
    for village, people in members.items():
        checks = {check.code: check.passed for check in check_task_force(people, rules, AS_OF)}
        assert checks["term"] and checks["first_secretary"], village  # every term two years or more
        failed[checks["members"]] += 1
    assert 0 < failed[False] <= 0.15 * len(members)  # a few task forces a member short


def test_helpers_visited_most_of_their_households_some_long_ago(plan):
    started = {a.household: a.started_on for a in plan.assignments}
    helper = {a.household: a.helper for a in plan.assignments}
    last: dict[str, dt.date] = {}
    for visit in plan.visits:
        assert started[visit.household] <= visit.visited_on < AS_OF
        assert visit.helper == helper[visit.household]  # by the household's helper
        last[visit.household] = max(visit.visited_on, last.get(visit.household, visit.visited_on))
    assert 0.6 <= len(last) / len(started) < 1  # some never visited
    ages = [(AS_OF - day).days for day in last.values()]
    assert any(age <= 30 for age in ages) and any(age > 30 for age in ages)  # some overdue


# ----------------------------------------------------------------------------- in the database


def failing(ctx, code: str) -> int:
    from fupin.checks import catalogue

    return catalogue.get(code).failing(ctx).count()


def test_the_loaded_county_has_plans_helpers_and_far_fewer_findings(db):
    from fupin.areas.models import Area
    from fupin.assistance.models import Measure
    from fupin.audit.models import AuditEntry
    from fupin.checks.catalogue import CheckContext
    from fupin.demo.loader import load_demo_county
    from fupin.pii.crypto import get_cipher
    from fupin.registry.models import Household
    from fupin.twinning import selectors as twinning
    from fupin.twinning.models import Assignment, Helper, HelpingUnit, TaskForceMember, Visit

    summary = load_demo_county(households=2000, seed=7, as_of=AS_OF)
    assert summary.measures == Measure.objects.count() > 0
    assert summary.helpers == Helper.objects.count() > 0
    assert summary.twinnings == Assignment.objects.count()
    assert summary.visits == Visit.objects.count() > 0
    assert HelpingUnit.objects.exists() and TaskForceMember.objects.exists()
    entry = AuditEntry.objects.get(action="import")  # still one entry for the whole load
    assert entry.changes["measures"] == summary.measures and entry.changes["helpers"] == summary.helpers
    assert not Measure.objects.filter(measure_type__isnull=True).exists()  # all from the catalogue

    cipher = get_cipher()
    for helper in Helper.objects.all():
        plain = cipher.decrypt(helper.phone_enc)
        assert helper.phone_bidx == cipher.blind_index("phone", plain)
        assert helper.phone_masked == plain[:3] + "****" + plain[-4:]
        assert helper.area.code == "220822"
    for row in twinning.helper_rows(None, twinning.HelperFilters(), Helper.objects.all()):
        assert row.current <= row.quota

    county = Area.objects.get(code="220822")
    monitored = Household.objects.exclude(monitoring_category="")
    covered = monitored.filter(twinning.covered_exists()).count()
    assert 0.9 <= covered / monitored.count() < 1

    ctx = CheckContext.for_area(county, AS_OF)
    plan_findings = (
        "monitored_without_measure",
        "risk_without_measure",
        "labour_without_developmental_measure",
    )
    after = {
        code: failing(ctx, code) for code in (*plan_findings, "no_labour_no_allowance", "dibao_high_income")
    }
    for code in ("measure_without_dates", "job_measure_without_wage", "job_measure_nobody_works"):
        after[code] = failing(ctx, code)
    assert after["job_measure_without_wage"] == after["job_measure_nobody_works"] == 0
    assert 0 < sum(after[code] for code in plan_findings) <= 0.15 * monitored.count()
    assert after["no_labour_no_allowance"] <= 0.02 * summary.households
    ordinary = Household.objects.filter(household_type="ordinary").count()
    assert after["dibao_high_income"] <= 0.01 * ordinary

    Measure.objects.all().delete()  # the county as it was before the demo had plans
    assert (
        failing(ctx, "monitored_without_measure")
        == monitored.count()
        > 10 * after["monitored_without_measure"]
    )


def test_the_demo_county_has_a_helper_for_nearly_every_household_that_needs_one(db, client):
    """Measured as the coverage page measures it (``twinning.selectors.coverage``), on the county the
    ``demo-data`` command builds (screening and demo casework included), as its county login sees it.
    Issue 12: 3,740 of 4,249 households needing a helper had none, as only monitored ones were twinned."""
    from io import StringIO

    from django.core.management import call_command
    from django.urls import reverse

    from fupin.accounts.models import User
    from fupin.areas.models import Area
    from fupin.registry.models import Household
    from fupin.twinning import selectors as twinning

    call_command("demo_data", "--households", "1500", "--seed", "12", stdout=StringIO())
    user = User.objects.get(username="demo-county")
    county = Area.objects.get(code="220822")
    report = twinning.coverage(user, county)
    assert report.households > 250
    # The demo twins 97% of the households its generator marks as needing a helper; the households its
    # casework then takes into monitoring wait for one, as a newly identified household does (the
    # worklist shows them). How many that leaves depends on the day the demo is built for.
    from fupin.cases.models import Case

    fresh = report.uncovered.filter(pk__in=Case.objects.values("household_id")).count()
    generated = report.uncovered_count - fresh
    assert 0 < generated <= 0.05 * report.households, (generated, fresh, report.households)
    assert report.uncovered.count() == report.uncovered_count  # the worklist has them
    # The demo's rule in plain Python is the page's rule in SQL, household by household.
    targets = set(Household.objects.filter(twinning.target_q()).values_list("pk", flat=True))
    by_values = {
        pk
        for pk, category, kind, status in Household.objects.values_list(
            "pk", "monitoring_category", "household_type", "status"
        )
        if twinning.needs_helper(monitoring_category=category, household_type=kind, status=status)
    }
    assert by_values == targets
    client.force_login(user)
    page = client.get(reverse("twinning:coverage"), {"area": county.code}).content.decode()
    assert f'<span class="num">{report.uncovered_count:,}</span>' in page
