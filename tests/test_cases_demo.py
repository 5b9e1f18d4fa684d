"""The demo replays casework so that a new user finds a case at every step, through the real services."""

from __future__ import annotations

import datetime as dt

import time_machine

from fupin.accounts.models import User
from fupin.cases import selectors
from fupin.cases.models import Case, CaseEvent, Declaration, DeclarationStatus, State

TODAY = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@time_machine.travel(TODAY, tick=False)
def test_demo_cases_cover_every_step_and_reach_the_right_worklists(db):
    from fupin.demo import cases
    from fupin.demo.loader import load_demo_county

    load_demo_county(households=1000, seed=5, as_of=TODAY.date())
    staged = cases.replay()
    assert staged is not None
    states = set(Case.objects.values_list("state", flat=True))
    assert {State.APPROVED, State.COUNTY, State.TOWNSHIP, State.IN_NOTICE, State.VISIT} <= states
    approved = Case.objects.get(state=State.APPROVED)
    assert approved.household.monitoring_category == "marginal"
    # The dates are the replayed ones, spread over the past weeks, not all today.
    assert CaseEvent.objects.filter(case=approved, action="open").get().on == TODAY.date() - dt.timedelta(
        days=20
    )
    village, township, county = (
        User.objects.get(username=n) for n in ("demo-village", "demo-township", "demo-county")
    )
    assert selectors.my_tasks(county).filter(state=State.COUNTY).exists()
    assert selectors.my_tasks(township).filter(state=State.TOWNSHIP).exists()
    village_tasks = selectors.my_tasks(village)
    assert village_tasks.filter(selectors.overdue_q(TODAY.date())).exists()  # the visit left undone
    assert village_tasks.filter(state=State.IN_NOTICE, objections__resolved_on__isnull=True).exists()
    assert list(selectors.new_declarations(village)) == list(
        Declaration.objects.filter(status=DeclarationStatus.NEW)
    )
