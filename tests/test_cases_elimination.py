"""Risk elimination: the same steps as identification, and each gate refuses on its own.

A household that meets every gate is built once per test; each parametrized case breaks exactly one
thing and the county decision must be refused naming that gate, with nothing changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from fupin.accounts.roles import Role
from fupin.assistance.services import add_measure
from fupin.cases import services
from fupin.cases.models import Case, CaseKind, State
from fupin.core.errors import Refused
from fupin.registry.models import Household, IncomeRecord, Member
from fupin.registry.services import change_monitoring

TZ = dt.timezone(dt.timedelta(hours=8))
IDENTIFIED = dt.datetime(2025, 6, 2, 9, 0, tzinfo=TZ)
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # nine months later; 2026's range is 6,900 yuan


@pytest.fixture
def people(place, make_user, county_officer, village_cadre):
    return {
        "cadre": village_cadre,
        "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        "county": county_officer,
    }


def _monitored(people, household_factory, *, since: dt.datetime, risks: list[str], measured: list[str]):
    with time_machine.travel(since, tick=False):
        household = household_factory()
        household = change_monitoring(
            actor=people["county"],
            household=household,
            expected_version=household.version,
            category="marginal",
            risk_types=risks,
            effective_from=since.date(),
            reason="identified",
        )
        for risk in measured:
            add_measure(
                actor=people["county"],
                household=household,
                category="health" if risk == "illness" else "housing",
                risk_types=[risk],
                started_on=since.date(),
            )
    return household


def _to_county(people, household: Household, traveller, *, visit: dict) -> Case:
    case = services.propose_elimination(actor=people["cadre"], household=household, reason="务工收入稳定")
    today = NOW.date()
    services.record_visit(
        actor=people["cadre"], case=case, visited_on=today, findings="收入稳定", proceed=True, **visit
    )
    services.record_appraisal(
        actor=people["cadre"],
        case=case.pk,
        held_on=today,
        attendees=7,
        votes_for=7,
        votes_against=0,
        agreed=True,
    )
    services.post_notice(actor=people["cadre"], case_ids=[case.pk], posted_on=today, days=5)
    traveller.move_to(NOW + dt.timedelta(days=5))
    services.submit(actor=people["cadre"], case=case.pk)
    services.township_review(actor=people["township"], case=case.pk, approve=True)
    return Case.objects.get(pk=case.pk)


GOOD_VISIT = {
    "income_per_capita": "12000",
    "income_stable_since": dt.date(2025, 7, 1),
    "rigid_spending_resolved": True,
}


def test_a_household_meeting_every_gate_is_eliminated_and_its_record_stays(people, household_factory):
    household = _monitored(
        people, household_factory, since=IDENTIFIED, risks=["illness"], measured=["illness"]
    )
    with time_machine.travel(NOW, tick=False) as traveller:
        case = _to_county(people, household, traveller, visit=GOOD_VISIT)
        assert case.kind == CaseKind.ELIMINATION
        services.county_decide(
            actor=people["county"], case=case.pk, decision="approve", elimination_kind="assisted"
        )
    household.refresh_from_db()
    case.refresh_from_db()
    assert case.state == State.APPROVED and case.elimination_kind == "assisted"
    assert household.monitoring_category == ""
    # The record stays: the history shows when monitoring began and when the risk was eliminated.
    history = list(
        household.monitoring_history.order_by("effective_from", "id").values_list("category", flat=True)
    )
    assert history[-2:] == ["marginal", ""]


def _break_recent_identification(ctx: dict) -> None:
    ctx["since"] = NOW - dt.timedelta(days=90)


def _break_missing_measure(ctx: dict) -> None:
    ctx["risks"] = ["illness", "housing"]  # housing has no measure


def _break_low_income(ctx: dict) -> None:
    ctx["visit"] = {**GOOD_VISIT, "income_per_capita": "6500"}


def _break_income_record_this_year(ctx: dict) -> None:
    ctx["after"] = lambda h: IncomeRecord.objects.create(
        household=h, year=2026, household_size=1, wage=Decimal("5000")
    )


def _break_unstable_income(ctx: dict) -> None:
    ctx["visit"] = {**GOOD_VISIT, "income_stable_since": dt.date(2026, 1, 1)}


def _break_unsafe_house(ctx: dict) -> None:
    ctx["after"] = lambda h: Household.objects.filter(pk=h.pk).update(housing_safety="D")


def _break_water(ctx: dict) -> None:
    ctx["after"] = lambda h: Household.objects.filter(pk=h.pk).update(water_safe=False)


def _break_insurance(ctx: dict) -> None:
    ctx["after"] = lambda h: Member.objects.filter(household=h).update(basic_medical_insurance=False)


def _break_rigid_spending(ctx: dict) -> None:
    ctx["visit"] = {**GOOD_VISIT, "rigid_spending_resolved": False}


def _break_no_labour(ctx: dict) -> None:
    ctx["after"] = lambda h: Member.objects.filter(household=h).update(labour_capacity="none")


BREAKS: list[tuple[str, Callable[[dict], None], str]] = [
    ("monitored_long_enough", _break_recent_identification, "months are needed"),
    ("measures", _break_missing_measure, "No measure yet against"),
    ("income_above_range", _break_low_income, "6,500"),
    ("income_above_range", _break_income_record_this_year, "This year's income record"),
    ("income_stable", _break_unstable_income, "2026-01-01"),
    ("guarantees", _break_unsafe_house, "unsafe"),
    ("guarantees", _break_water, "drinking water"),
    ("guarantees", _break_insurance, "medical insurance"),
    ("rigid_spending", _break_rigid_spending, "rigid spending"),
    ("labour", _break_no_labour, "Nobody in the household can work"),
]


@pytest.mark.parametrize(("gate", "breaker", "said"), BREAKS, ids=[b[1].__name__[7:] for b in BREAKS])
def test_each_gate_alone_refuses_elimination(people, household_factory, gate, breaker, said):
    ctx: dict = {"since": IDENTIFIED, "risks": ["illness"], "visit": GOOD_VISIT, "after": None}
    breaker(ctx)
    measured = ["illness"]
    household = _monitored(
        people, household_factory, since=ctx["since"], risks=ctx["risks"], measured=measured
    )
    if ctx["after"]:
        ctx["after"](household)
    with time_machine.travel(NOW, tick=False) as traveller:
        case = _to_county(people, household, traveller, visit=ctx["visit"])
        failing = [g.code for g in services.gates_for(case) if not g.passed]
        assert failing == [gate]  # exactly the broken gate fails
        with pytest.raises(Refused) as refused:
            services.county_decide(
                actor=people["county"], case=case.pk, decision="approve", elimination_kind="assisted"
            )
    with translation.override("en"):
        assert said in str(refused.value.message)
    assert Case.objects.get(pk=case.pk).state == State.COUNTY
    assert Household.objects.get(pk=household.pk).monitoring_category == "marginal"


def test_natural_elimination_when_nobody_is_left(people, household_factory):
    household = _monitored(
        people, household_factory, since=NOW - dt.timedelta(days=30), risks=["illness"], measured=[]
    )
    Member.objects.filter(household=household).update(exit_reason="deceased", exit_date=NOW.date())
    with time_machine.travel(NOW, tick=False) as traveller:
        case = _to_county(people, household, traveller, visit={**GOOD_VISIT, "income_per_capita": "0"})
        with pytest.raises(Refused):  # "assisted" needs every gate
            services.county_decide(
                actor=people["county"], case=case.pk, decision="approve", elimination_kind="assisted"
            )
        services.county_decide(
            actor=people["county"], case=case.pk, decision="approve", elimination_kind="natural"
        )
    assert Household.objects.get(pk=household.pk).monitoring_category == ""


def test_elimination_needs_a_monitored_household(people, household_factory):
    household = household_factory()
    with pytest.raises(Refused):
        services.propose_elimination(actor=people["cadre"], household=household, reason="x")
