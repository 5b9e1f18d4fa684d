"""The demo county's linkage funds: what a new user finds on the funds pages after `make demo`."""

from __future__ import annotations

import time_machine

from fupin.accounts.models import User
from fupin.funds import selectors
from fupin.funds.models import Allocation, Disbursement


@time_machine.travel("2026-09-20 10:00 +0800", tick=False)
def test_the_demo_county_has_a_years_plan_spending_and_a_late_project(db):
    from fupin.demo import funds, loader

    loader.load_demo_county(county_code="220822", households=300, seed=5)
    staged = funds.stage(5)
    assert staged is not None and staged.year == 2026 and staged.projects >= 3
    assert Allocation.objects.count() > staged.projects and Disbursement.objects.exists()
    admin = User.objects.get(username="demo-admin")
    county = admin.area_grants.first().area
    plan = selectors.year_plan(admin, county, 2026)
    assert plan.share_check is not None and plan.share_check.passes is True  # 64% industry ≥ 60%
    assert plan.household_share and plan.household_share > 0
    assert all(s.remaining_fen is not None and s.remaining_fen >= 0 for s in plan.sources)
    progress = selectors.spending_progress(admin, county, 2026)
    assert progress.months == 9 and progress.total.cumulative_fen[-1] == staged.disbursed_fen
    assert progress.late  # a lagging project is flagged
    assert funds.stage(5) is None  # staged once only
