"""Project assets: the worked example of docs/assets.md to the fen, the rules a distribution obeys, the
disposal's two approvals by people other than the one who asked, and the ledger's refusals."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.accounts.roles import Role
from fupin.assets import rules, services
from fupin.assets.models import Asset, Distribution, DistributionShare, Event, Status
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, Refused
from fupin.projects.models import State
from fupin.registry.models import Household
from tests.assetwork import completed_project, in_use, solar_input

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are read in English here (the Chinese of one is checked below)."""
    with translation.override("en"):
        yield


@pytest.fixture
def officer(place, make_user):
    return make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)


@pytest.fixture
def solar(place, officer):
    project = completed_project(officer, place.village_a1)
    asset = services.register_asset(actor=officer, data=solar_input(place.village_a1, project))
    return in_use(officer, asset)


@pytest.fixture
def example_households(household_factory, place):
    """Ten households of 一村 in number order: H01–H07 lifted out (H05 and H06 monitored instead),
    H08 lifted out, H09 monitored, H10 an ordinary household."""
    made = []
    for index in range(10):
        kind = "lifted_out" if index not in (4, 5, 8, 9) else "ordinary"
        made.append(
            household_factory(
                place.village_a1, household_type=kind, status="lifted" if kind == "lifted_out" else "normal"
            )
        )
    Household.objects.filter(pk__in=[made[4].pk, made[5].pk, made[8].pk]).update(
        monitoring_category="marginal"
    )
    return [Household.objects.get(pk=h.pk) for h in made]


def _example(h: list[Household]) -> services.DistributionInput:
    """docs/assets.md, "A worked example": the 20-kW station's 2025 income of 9,700.00 yuan."""
    return services.DistributionInput(
        year=2025,
        total_fen=970_000,
        decided_on=dt.date(2026, 1, 15),
        decision="一村村民代表大会决议（2026年1月15日）",
        lines=[
            services.LineInput(
                "no_labour",
                388_000,
                [
                    (h[0].pk, 1),
                    (h[1].pk, 2),
                    (h[2].pk, 1),
                    (h[3].pk, 3),
                    (h[4].pk, 1),
                    (h[5].pk, 2),
                    (h[6].pk, 1),
                ],
            ),
            services.LineInput("post_wages", 240_000, [(h[0].pk, 1), (h[3].pk, 1)]),
            services.LineInput("projects", 100_000, note="光伏板清洗和线路维护"),
            services.LineInput("industry_awards", 142_000, [(h[7].pk, 1), (h[8].pk, 1), (h[9].pk, 1)]),
            services.LineInput("collective", 100_000),
        ],
    )


def _income(actor, asset):
    services.record_income(
        actor=actor,
        asset=asset,
        data=services.IncomeInput(2025, 486_137, "sales", dt.date(2025, 7, 10), "上半年上网电费"),
    )
    services.record_income(
        actor=actor,
        asset=asset,
        data=services.IncomeInput(2025, 483_863, "sales", dt.date(2026, 1, 8), "下半年上网电费"),
    )


def test_the_worked_example_to_the_fen(officer, solar, example_households):
    h = example_households
    _income(officer, solar)
    distribution = services.distribute(actor=officer, asset=solar, data=_example(h))

    lines = {line.use: line.amount_fen for line in distribution.lines.all()}
    assert list(lines) == ["no_labour", "post_wages", "projects", "industry_awards", "collective"]
    assert sum(lines.values()) == distribution.total_fen == 970_000
    got = {
        (s.line.use, s.household.number): s.amount_fen
        for s in DistributionShare.objects.filter(line__distribution=distribution).select_related(
            "line", "household"
        )
    }
    n = [x.number for x in h]
    assert got == {
        ("no_labour", n[0]): 35_273,
        ("no_labour", n[1]): 70_545,
        ("no_labour", n[2]): 35_273,
        ("no_labour", n[3]): 105_818,
        ("no_labour", n[4]): 35_273,
        ("no_labour", n[5]): 70_545,
        ("no_labour", n[6]): 35_273,
        ("post_wages", n[0]): 120_000,
        ("post_wages", n[3]): 120_000,
        ("industry_awards", n[7]): 47_334,
        ("industry_awards", n[8]): 47_333,
        ("industry_awards", n[9]): 47_333,
    }
    # To lifted-out and monitored households: 3,880.00 + 2,400.00 + 946.67 = 7,226.67 yuan, 74.5017%.
    priority = sum(
        s.amount_fen for s in DistributionShare.objects.filter(line__distribution=distribution, priority=True)
    )
    assert priority == 722_667
    assert distribution.household_share_ppm == 745_017
    assert solar.project.__class__.objects.get(pk=solar.project_id).state == State.ASSETS_REGISTERED

    # The year's income is used up: one fen more is refused and nothing is written.
    with pytest.raises(InvalidInput) as refused:
        services.distribute(
            actor=officer,
            asset=solar,
            data=services.DistributionInput(
                2025, 1, dt.date(2026, 2, 1), "补充分配", [services.LineInput("collective", 1)]
            ),
        )
    assert "0.00" in str(refused.value.field_errors["total"][0])
    assert Distribution.objects.count() == 1
    assert AuditEntry.objects.filter(action="asset.distribute").count() == 1


def test_largest_remainder_ties_go_to_the_earlier_household():
    assert rules.largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert rules.largest_remainder(388_000, [1, 2, 1, 3, 1, 2, 1]) == [
        35_273,
        70_545,
        35_273,
        105_818,
        35_273,
        70_545,
        35_273,
    ]
    assert rules.largest_remainder(0, [5]) == [0]


@given(amount=st.integers(0, 10**13), weights=st.lists(st.integers(1, 1000), min_size=1, max_size=60))
def test_largest_remainder_sums_exactly_and_stays_within_a_fen(amount, weights):
    parts = rules.largest_remainder(amount, weights)
    assert sum(parts) == amount
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part * total - amount * weight) < total  # less than one fen from the exact share


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    income=st.integers(1, 5_000_000),
    asks=st.lists(
        st.tuples(st.integers(1, 3_000_000), st.lists(st.integers(1, 9), min_size=1, max_size=4)),
        min_size=1,
        max_size=4,
    ),
)
def test_distributions_never_exceed_the_income_and_add_up(officer, solar, example_households, income, asks):
    """Random distributions of random sizes: what is written never passes the year's income, each one's
    uses add up to its total, and each use's household amounts add up to the use."""
    Distribution.objects.filter(asset=solar).delete()
    solar.incomes.all().delete()
    services.record_income(
        actor=officer, asset=solar, data=services.IncomeInput(2025, income, "rent", dt.date(2025, 12, 1))
    )
    priority = [x.pk for x in example_households[:4]]
    for amount, weights in asks:
        to_households = amount // 2 + 1
        data = services.DistributionInput(
            2025,
            amount,
            dt.date(2026, 1, 10),
            "村民代表大会决议",
            [
                services.LineInput("no_labour", to_households, list(zip(priority, weights, strict=False))),
                *(
                    [services.LineInput("collective", amount - to_households)]
                    if amount > to_households
                    else []
                ),
            ],
        )
        with contextlib.suppress(InvalidInput):
            services.distribute(actor=officer, asset=solar, data=data)
    written = list(Distribution.objects.filter(asset=solar).prefetch_related("lines__shares"))
    assert sum(d.total_fen for d in written) <= income
    for d in written:
        assert sum(line.amount_fen for line in d.lines.all()) == d.total_fen
        for line in d.lines.all():
            if line.use == "no_labour":
                assert sum(s.amount_fen for s in line.shares.all()) == line.amount_fen


def test_forbidden_uses_and_the_household_share_are_refused_and_nothing_changes(
    officer, solar, example_households
):
    _income(officer, solar)
    h = example_households
    with pytest.raises(InvalidInput) as refused:
        services.distribute(
            actor=officer,
            asset=solar,
            data=services.DistributionInput(
                2025,
                200_000,
                dt.date(2026, 1, 15),
                "决议",
                [
                    services.LineInput("no_labour", 100_000, [(h[0].pk, 1)]),
                    services.LineInput("running_costs", 100_000),
                ],
            ),
        )
    assert "Village committee running costs" in str(refused.value.field_errors["lines.1"][0])
    with translation.override("zh-hans"):
        assert "资产收益不得用于村级组织运转经费" in str(refused.value.field_errors["lines.1"][0])
    # 30% to priority households is below the 40% of the national pack.
    with pytest.raises(InvalidInput) as low:
        services.distribute(
            actor=officer,
            asset=solar,
            data=services.DistributionInput(
                2025,
                100_000,
                dt.date(2026, 1, 15),
                "决议",
                [
                    services.LineInput("no_labour", 30_000, [(h[0].pk, 1)]),
                    services.LineInput("collective", 70_000),
                ],
            ),
        )
    assert "30%" in str(low.value.field_errors["lines"][0]) and "40%" in str(
        low.value.field_errors["lines"][0]
    )
    # Parts that do not add up to the total.
    with pytest.raises(InvalidInput) as parts:
        services.distribute(
            actor=officer,
            asset=solar,
            data=services.DistributionInput(
                2025,
                100_001,
                dt.date(2026, 1, 15),
                "决议",
                [services.LineInput("no_labour", 100_000, [(h[0].pk, 1)])],
            ),
        )
    assert "1,000.00" in str(parts.value.field_errors["total"][0])
    assert not Distribution.objects.exists() and not DistributionShare.objects.exists()


def test_disposal_needs_the_township_and_the_county_two_other_people(place, make_user, officer, solar):
    township_2 = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    county = make_user(Role.COUNTY_OFFICER, place.county.code)
    county_2 = make_user(Role.COUNTY_ADMIN, place.county.code)
    disposal = services.request_disposal(
        actor=officer,
        asset=solar,
        data=services.DisposalInput(
            "disaster", "scrap", "2026年7月冰雹损毁组件", dt.date(2026, 7, 20), "村民代表大会同意报废"
        ),
    )
    assert Asset.objects.get(pk=solar.pk).status == Status.DISPOSAL_REQUESTED
    with pytest.raises(Refused):  # not one's own request
        services.decide_disposal(actor=officer, disposal=disposal, approve=True, opinion="")
    with pytest.raises(Refused):  # the county cannot skip the township
        services.complete_disposal(
            actor=county, disposal=disposal, data=services.CompletionInput(dt.date(2026, 8, 1), 0, "")
        )
    services.decide_disposal(
        actor=county, disposal=disposal, approve=True, opinion="同意"
    )  # the county covers the township
    with pytest.raises(Refused):  # the township's approver cannot also consent for the county
        services.decide_disposal(actor=county, disposal=disposal, approve=True, opinion="同意")
    with pytest.raises(Refused):  # a township officer's area does not cover the county's consent
        services.decide_disposal(actor=township_2, disposal=disposal, approve=True, opinion="同意")
    services.decide_disposal(
        actor=county_2, disposal=disposal, approve=True, opinion="县农业农村局、财政局同意"
    )
    assert Asset.objects.get(pk=solar.pk).status == Status.DISPOSAL_APPROVED
    with pytest.raises(InvalidInput):  # proceeds without saying where they go
        services.complete_disposal(
            actor=officer, disposal=disposal, data=services.CompletionInput(dt.date.today(), 150_000, "")
        )
    services.complete_disposal(
        actor=officer,
        disposal=disposal,
        data=services.CompletionInput(
            dt.date.today(), 150_000, "残值收入缴入县衔接资金专户，用于巩固拓展脱贫攻坚成果"
        ),
    )
    assert Asset.objects.get(pk=solar.pk).status == Status.DISPOSED
    actions = list(Event.objects.filter(asset=solar).values_list("action", flat=True))
    assert actions[-4:] == [
        "disposal_request",
        "disposal_township_approve",
        "disposal_county_approve",
        "disposed",
    ]


def test_a_refused_disposal_returns_the_asset_to_its_status(place, make_user, officer, solar):
    township_2 = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    disposal = services.request_disposal(
        actor=officer,
        asset=solar,
        data=services.DisposalInput("idle_loss", "auction", "闲置", dt.date(2026, 7, 20), "同意拍卖"),
    )
    with pytest.raises(InvalidInput):  # a refusal says why
        services.decide_disposal(actor=township_2, disposal=disposal, approve=False, opinion="")
    services.decide_disposal(
        actor=township_2, disposal=disposal, approve=False, opinion="电站运行正常，不符合处置条件"
    )
    assert Asset.objects.get(pk=solar.pk).status == Status.IN_USE


def test_registration_refusals(place, officer, make_user, household_factory):
    unfinished = completed_project(officer, place.village_a1, code="XM-2", state=State.UNDER_WAY)
    with pytest.raises(InvalidInput) as refused:
        services.register_asset(
            actor=officer,
            data=solar_input(
                place.village_a1,
                unfinished,
                original_value_fen=0,
                funding={"central": 1},
                guaranteed_rate=None,
                owner_level="household",
            ),
        )
    errors = refused.value.field_errors
    assert {"project", "original_value", "owner_level"} <= set(errors)
    with pytest.raises(InvalidInput) as rate:
        services.register_asset(
            actor=officer,
            data=solar_input(
                place.village_a1, operator="某光伏公司", guaranteed_rate=__import__("decimal").Decimal("0.12")
            ),
        )
    assert "6%" in str(rate.value.field_errors["guaranteed_rate"][0]) and "10%" in str(
        rate.value.field_errors["guaranteed_rate"][0]
    )
    with pytest.raises(InvalidInput) as funding:
        services.register_asset(actor=officer, data=solar_input(place.village_a1, funding={"central": 100}))
    assert "160,000.00" in str(funding.value.field_errors["funding"][0])
    with pytest.raises(OutOfScope):
        services.register_asset(actor=officer, data=solar_input(place.village_b1))
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    with pytest.raises(NotPermitted):
        services.register_asset(actor=cadre, data=solar_input(place.village_a1))
    assert not Asset.objects.exists()
    # A household asset names its household, of the asset's village.
    cow_owner = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    cows = services.register_asset(
        actor=officer,
        data=solar_input(
            place.village_a1,
            code="ZC-NIU-1",
            name="到户基础母牛2头",
            asset_class="household",
            sub_type="livestock",
            owner_level="household",
            owner_entity="到户",
            household_id=cow_owner.pk,
            original_value_fen=1_600_000,
            funding={},
            status="handed_over",
        ),
    )
    assert cows.household_id == cow_owner.pk


def test_status_steps_follow_the_sequence(officer, place):
    asset = services.register_asset(actor=officer, data=solar_input(place.village_a1))
    with pytest.raises(Refused):
        services.change_status(actor=officer, asset=asset, to_status="in_use")
    with pytest.raises(Refused):  # the handover has its own record
        services.change_status(
            actor=officer,
            asset=services.change_status(actor=officer, asset=asset, to_status="rights_registered"),
            to_status="handed_over",
        )
    in_use_asset = services.change_status(
        actor=officer,
        asset=services.record_handover(
            actor=officer,
            asset=asset,
            data=services.HandoverInput(dt.date(2025, 1, 5), "镇政府", "一村股份经济合作社", "移交书1号"),
        ).asset,
        to_status="in_use",
    )
    with pytest.raises(InvalidInput):  # idle says why
        services.change_status(actor=officer, asset=in_use_asset, to_status="idle")
    assert (
        services.change_status(
            actor=officer, asset=in_use_asset, to_status="idle", reason="电网检修停运"
        ).status
        == Status.IDLE
    )
