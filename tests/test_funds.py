"""Linkage funds: the year's amounts, allocations and disbursements and their rules, the industry-share
check at its threshold for two years, spending progress with late projects, row locks on PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import translation
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope
from fupin.funds import selectors, services
from fupin.funds.models import Allocation, Disbursement, YearFund
from tests import fundwork

ON_POSTGRES = os.environ.get("FUPIN_DATABASE_URL", "").startswith("postgres")
YUAN = 100


@pytest.fixture
def clerk(place, make_user):
    return make_user(Role.COUNTY_ADMIN, place.county.code)


def _errors(excinfo) -> str:
    with translation.override("en"):
        return " ".join(str(m) for messages in excinfo.value.field_errors.values() for m in messages)


def test_allocations_never_exceed_the_source_and_a_refusal_changes_nothing(clerk, place):
    fundwork.year_fund(clerk, place.county, 2023, "central", 1_000_000 * YUAN)
    first = fundwork.project(clerk, place.village_a1)
    second = fundwork.project(clerk, place.village_a2)
    fundwork.allocate(clerk, first, "central", 600_000 * YUAN)
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as excinfo:
        fundwork.allocate(clerk, second, "central", 400_001 * YUAN)
    assert "400,000.00" in _errors(excinfo)  # what is left, said in the message
    assert Allocation.objects.filter(project=second).count() == 0
    assert AuditEntry.objects.count() == before
    fundwork.allocate(clerk, second, "central", 400_000 * YUAN)  # exactly what is left
    # Raising the first one's allocation is checked against the others too; lowering it is fine.
    with pytest.raises(InvalidInput):
        fundwork.allocate(clerk, first, "central", 600_001 * YUAN)
    fundwork.allocate(clerk, first, "central", 500_000 * YUAN)
    assert selectors.year_plan(clerk, place.county, 2023).sources[0].remaining_fen == 100_000 * YUAN
    # Another source has its own amount: none recorded, nothing may be allocated from it.
    with pytest.raises(InvalidInput):
        fundwork.allocate(clerk, first, "provincial", 1)


def test_only_approved_projects_of_the_county_get_funds(clerk, place):
    fundwork.year_fund(clerk, place.county, 2023, "central", 1_000_000 * YUAN)
    draft = fundwork.project(clerk, place.village_a1, state="township_review")
    with pytest.raises(InvalidInput) as excinfo:
        fundwork.allocate(clerk, draft, "central", 1000)
    assert "not approved" in _errors(excinfo)
    elsewhere = fundwork.project(clerk, place.other_county_village)
    with pytest.raises((InvalidInput, OutOfScope)):
        services.allocate(
            actor=clerk,
            county=place.county,
            data=services.AllocationInput(elsewhere.pk, 2023, "central", 1000),
        )
    in_library = fundwork.project(clerk, place.village_a1, state="in_library")
    fundwork.allocate(clerk, in_library, "central", 1000)


def test_disbursed_never_beyond_allocated_and_only_to_spending_projects(clerk, place):
    fundwork.year_fund(clerk, place.county, 2023, "central", 1_000_000 * YUAN)
    project = fundwork.project(clerk, place.village_a1, state="in_library")
    allocation = fundwork.allocate(clerk, project, "central", 100_000 * YUAN)
    pay = services.DisbursementInput(dt.date(2023, 3, 1), 50_000 * YUAN, "记-001")
    with pytest.raises(InvalidInput) as excinfo:  # approved but not planned yet
        services.disburse(actor=clerk, allocation=allocation, data=pay)
    assert "nothing can be paid" in _errors(excinfo)
    project.state = "under_way"
    project.save()
    services.disburse(actor=clerk, allocation=allocation, data=pay)
    with pytest.raises(InvalidInput) as excinfo:
        services.disburse(
            actor=clerk,
            allocation=allocation,
            data=services.DisbursementInput(dt.date(2023, 4, 1), 50_001 * YUAN, "记-2"),
        )
    assert "50,000.00" in _errors(excinfo)
    assert Disbursement.objects.count() == 1
    # The allocation cannot be cut below what is paid; the year amount cannot be taken back under it.
    with pytest.raises(InvalidInput):
        fundwork.allocate(clerk, project, "central", 49_999 * YUAN)
    fund = YearFund.objects.get()
    with pytest.raises(services.Refused):
        services.remove_year_fund(actor=clerk, fund=fund)


def test_bad_input_is_named_and_roles_are_checked(clerk, place, make_user):
    with pytest.raises(InvalidInput) as excinfo:
        services.add_year_fund(
            actor=clerk,
            county=place.county,
            data=services.YearFundInput(2023, "nowhere", 10.5, "", dt.date(2099, 1, 1)),  # type: ignore[arg-type]
        )
    assert set(excinfo.value.field_errors) == {"source", "amount_fen", "document_no", "document_date"}
    officer = make_user(Role.COUNTY_OFFICER, place.county.code)
    with pytest.raises(NotPermitted):
        fundwork.year_fund(officer, place.county, 2023, "central", 100)
    village_admin = make_user(Role.COUNTY_ADMIN, place.village_a1.code)
    with pytest.raises(OutOfScope):
        fundwork.year_fund(village_admin, place.county, 2023, "central", 100)
    assert YearFund.objects.count() == 0


# ---------------------------------------------------------------- the industry share at its threshold


@pytest.mark.parametrize(
    ("year", "industry_yuan", "passes"),
    [
        (2022, 550_000, True),  # at 55%
        (2022, 549_999, False),  # just below
        (2022, 550_001, True),  # just above
        (2023, 600_000, True),  # at 60%
        (2023, 599_999, False),
        (2023, 600_001, True),
        (2023, 580_000, False),  # would pass in 2022, not in 2023
    ],
)
def test_industry_share_of_central_funds_against_the_years_minimum(clerk, place, year, industry_yuan, passes):
    fundwork.year_fund(clerk, place.county, year, "central", 1_000_000 * YUAN)
    industry = fundwork.project(clerk, place.village_a1, year=year)
    roads = fundwork.project(clerk, place.village_a2, year=year, category="infrastructure")
    employment = fundwork.project(clerk, place.village_b1, year=year, category="employment")
    fundwork.allocate(clerk, industry, "central", industry_yuan * YUAN)
    fundwork.allocate(clerk, employment, "central", 10_000 * YUAN)  # employment does not count as industry
    fundwork.allocate(clerk, roads, "central", (990_000 - industry_yuan) * YUAN)
    check = selectors.year_plan(clerk, place.county, year).share_check
    assert check is not None
    assert check.minimum == (Decimal("0.55") if year == 2022 else Decimal("0.60"))
    assert check.passes is passes
    assert check.industry_fen == industry_yuan * YUAN


def test_household_share_and_projects_without_a_link_are_shown(clerk, place):
    fundwork.year_fund(clerk, place.county, 2023, "county", 1_000 * YUAN)
    households = fundwork.project(clerk, place.village_a1, household=True)
    bare = fundwork.project(clerk, place.village_a2, linked=False)
    fundwork.allocate(clerk, households, "county", 300 * YUAN)
    fundwork.allocate(clerk, bare, "county", 700 * YUAN)
    plan = selectors.year_plan(clerk, place.county, 2023)
    assert plan.household_share == Decimal("0.3")
    assert plan.without_link == [bare]
    assert plan.share_check is not None and plan.share_check.passes is None  # no central funds: not judged


# ---------------------------------------------------------------- spending progress


def test_progress_by_month_and_late_projects(clerk, place):
    fundwork.year_fund(clerk, place.county, 2023, "central", 1_000 * YUAN)
    fundwork.year_fund(clerk, place.county, 2023, "county", 1_000 * YUAN)
    early = fundwork.project(clerk, place.village_a1, starts_on=dt.date(2023, 1, 1), months=4)
    steady = fundwork.project(clerk, place.village_a2, starts_on=dt.date(2023, 1, 1), months=12)
    a = fundwork.allocate(clerk, early, "central", 400 * YUAN)
    b = fundwork.allocate(clerk, steady, "county", 600 * YUAN)
    services.disburse(
        actor=clerk, allocation=a, data=services.DisbursementInput(dt.date(2023, 2, 10), 100 * YUAN, "1")
    )
    services.disburse(
        actor=clerk, allocation=b, data=services.DisbursementInput(dt.date(2023, 3, 5), 300 * YUAN, "2")
    )
    progress = selectors.spending_progress(clerk, place.county, 2023, on=dt.date(2023, 6, 30))
    assert progress.months == 6  # up to the day asked about
    central = next(line for line in progress.lines if line.source == "central")
    assert central.cumulative_fen[:3] == [0, 100 * YUAN, 100 * YUAN]
    assert central.shares[5] == Decimal("0.25")
    assert progress.total.cumulative_fen[2] == 400 * YUAN
    assert progress.lag_max == Decimal("0.3")
    # On 30 June: the four-month project is over (elapsed 1) with 25% paid: late. The year-long one is
    # at ~50% elapsed with 50% paid: not late.
    assert [entry.project for entry in progress.late] == [early]


# ---------------------------------------------------------------- whatever the order: a state machine


class FundsMachine(RuleBasedStateMachine):
    """Year amounts added and removed, allocations set and changed, payments made, in any order: the
    allocations of a source never exceed its year amount, the payments of an allocation never exceed it."""

    def __init__(self) -> None:
        super().__init__()
        self.clerk = None

    @initialize()
    def setup(self) -> None:
        Disbursement.objects.all().delete()
        Allocation.objects.all().delete()
        YearFund.objects.all().delete()
        self.projects = [
            fundwork.project(CONTEXT["clerk"], CONTEXT["village"], state=state)
            for state in ("planned", "under_way", "in_library")
        ]
        self.clerk = CONTEXT["clerk"]
        self.county = CONTEXT["village"].parent.parent

    @rule(source=st.sampled_from(["central", "county"]), amount=st.integers(1, 1000))
    def add_fund(self, source: str, amount: int) -> None:
        fundwork.year_fund(self.clerk, self.county, 2023, source, amount, number=f"N{next(NUMBERS)}")

    @rule(index=st.integers(0, 20))
    def remove_fund(self, index: int) -> None:
        funds = list(YearFund.objects.order_by("pk"))
        if funds:
            with contextlib.suppress(services.Refused):
                services.remove_year_fund(actor=self.clerk, fund=funds[index % len(funds)])

    @rule(
        project=st.integers(0, 2), source=st.sampled_from(["central", "county"]), amount=st.integers(0, 1500)
    )
    def allocate(self, project: int, source: str, amount: int) -> None:
        with contextlib.suppress(InvalidInput):
            fundwork.allocate(self.clerk, self.projects[project], source, amount)

    @rule(index=st.integers(0, 20), amount=st.integers(1, 800))
    def pay(self, index: int, amount: int) -> None:
        allocations = list(Allocation.objects.order_by("pk"))
        if allocations:
            with contextlib.suppress(InvalidInput):
                services.disburse(
                    actor=self.clerk,
                    allocation=allocations[index % len(allocations)],
                    data=services.DisbursementInput(dt.date(2023, 5, 1), amount, "V"),
                )

    @invariant()
    def within_the_money(self) -> None:
        if self.clerk is None:
            return
        for source in ("central", "county"):
            amount = sum(YearFund.objects.filter(source=source).values_list("amount_fen", flat=True))
            assert services.allocated_fen(self.county, 2023, source) <= amount
        for allocation in Allocation.objects.all():
            assert services.disbursed_fen(allocation) <= allocation.amount_fen
        # Nothing is ever paid to the project that is only in the library.
        assert not Disbursement.objects.filter(allocation__project=self.projects[2]).exists()


CONTEXT: dict = {}
NUMBERS = itertools.count(1)


def test_funds_state_machine(clerk, place):
    CONTEXT.update(clerk=clerk, village=place.village_a1)
    FundsMachine.TestCase.settings = settings(
        max_examples=20, stateful_step_count=15, deadline=None, suppress_health_check=list(HealthCheck)
    )
    FundsMachine.TestCase().runTest()


# ---------------------------------------------------------------- two clerks at once


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks are what this test is about: the PostgreSQL pass")
def test_two_clerks_allocating_the_last_money_at_once(audit_triggers_back, flushable_audit, place, make_user):
    """Two clerks each allocate 60% of the central funds at the same moment: one succeeds, the other is
    refused, and never both."""
    first = make_user(Role.COUNTY_ADMIN, place.county.code)
    second = make_user(Role.COUNTY_ADMIN, place.county.code)
    fundwork.year_fund(first, place.county, 2023, "central", 1000 * YUAN)
    projects = [fundwork.project(first, place.village_a1), fundwork.project(first, place.village_a2)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def allocate(clerk, project) -> None:
        try:
            start.wait()
            fundwork.allocate(clerk, project, "central", 600 * YUAN)
            outcomes.append("ok")
        except InvalidInput:
            outcomes.append("refused")
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=allocate, args=pair) for pair in zip((first, second), projects, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert services.allocated_fen(place.county, 2023, "central") == 600 * YUAN
