"""The demo county's assets: what a new user finds on the asset ledger after `make demo`."""

from __future__ import annotations

from fupin.assets.models import Asset, Disposal, Distribution, DistributionShare
from fupin.projects.models import Project, State


def test_the_demo_has_assets_income_distributions_and_a_disposal_waiting(db):
    from fupin.demo import assets, loader

    loader.load_demo_county(county_code="220822", households=600, seed=5)
    staged = assets.stage(5)
    assert staged is not None and staged.assets == Asset.objects.count() == 4
    distribution = Distribution.objects.get()
    assert distribution.total_fen == staged.distributed_fen == 970_000
    assert sum(s.amount_fen for s in DistributionShare.objects.filter(line__use="no_labour")) == 388_000
    assert distribution.household_share_ppm >= 400_000
    assert Project.objects.filter(state=State.ASSETS_REGISTERED).count() == 2
    assert Disposal.objects.get().state == "township_approved"  # the county's consent is waiting
    assert assets.stage(5) is None  # staged once only
