"""Project assets in the demo county: the demo village's 20-kW solar station (from a completed project),
a help workshop let to an operator with an 8% guaranteed return, a village road formed before the system
and a household's cattle; the station's and the workshop's income of last year, the station's income
distributed to the village's lifted-out and monitored households in the order of use, and a disposal
waiting for the county. Made through the real services by the demo accounts.

The projects behind the station and the workshop are created here through the ORM in the completed state
when the project library's own demo has not made them (``fupin.projects`` walks projects through the
procedure; this module only needs them finished).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from fupin.accounts.models import User
from fupin.assets import services
from fupin.assets.models import Asset
from fupin.core import clock
from fupin.projects.models import Project, State
from fupin.registry.models import Household


@dataclass(frozen=True)
class DemoAssets:
    assets: int
    distributed_fen: int
    households: int


def _project(actor: User, village, code: str, name: str, content: str) -> Project:
    found = Project.objects.filter(code=code).first()
    if found is not None:
        return found
    return Project.objects.create(
        code=code,
        name=name,
        category="industry",
        area=village,
        county=village.parent.parent,
        content=content,
        implementing_unit=f"{village.parent.name}人民政府",
        unit_person="项目负责人",
        months=6,
        year=2024,
        library_year=2024,
        state=State.COMPLETED,
        accepted_on=dt.date(2024, 11, 30),
        acceptance_note="验收合格",
        link_kind="asset_income",
        link_description="资产归村集体所有，收益优先用于脱贫户和监测户",
        households_driven=30,
        proposed_by=actor,
    )


def stage(seed: int = 2024) -> DemoAssets | None:
    """None when the demo accounts are missing or assets were staged already."""
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["demo-township", "demo-county", "demo-admin", "demo-village"]
        )
    }
    if len(users) < 4 or Asset.objects.exists():
        return None
    township_officer, county, admin = users["demo-township"], users["demo-county"], users["demo-admin"]
    grant = users["demo-village"].area_grants.select_related("area__parent__parent").first()
    if grant is None or grant.area.parent is None:
        return None
    village = grant.area
    today = clock.today()
    year = today.year - 1  # last year's income, distributed this January (or today, early in January)
    decided_on = min(dt.date(today.year, 1, 15), today)
    township = grant.area.parent
    code = village.code
    solar_project = _project(
        county, village, f"XM{code}-GF", f"{village.name}20千瓦村级光伏电站", "建设20千瓦光伏电站"
    )
    workshop_project = _project(
        county, village, f"XM{code}-CJ", f"{village.name}帮扶车间建设", "新建帮扶车间厂房600平方米"
    )

    def register(**values) -> Asset:
        base = {
            "year_formed": 2024,
            "area_code": code,
            "owner_level": "village",
            "owner_entity": f"{village.name}股份经济合作社",
            "status": "accepted",
            "maintenance_body": f"{village.name}村民委员会",
            "maintenance_person": "村管护员",
        }
        return services.register_asset(actor=county, data=services.AssetInput(**{**base, **values}))

    def to_use(asset: Asset, to_party: str, document: str) -> Asset:
        services.change_status(actor=county, asset=asset, to_status="rights_registered")
        services.record_handover(
            actor=county,
            asset=asset,
            data=services.HandoverInput(
                dt.date(2024, 12, 20), f"{township.name}人民政府", to_party, document
            ),
        )
        return services.change_status(actor=county, asset=asset, to_status="in_use")

    solar = to_use(
        register(
            code=f"ZC{code}001",
            name=f"{village.name}20千瓦村级光伏电站",
            asset_class="operating",
            sub_type="solar",
            original_value_fen=16_000_000,
            project_id=solar_project.pk,
            beneficiaries=30,
            funding={"central": 12_000_000, "county": 4_000_000},
        ),
        f"{village.name}股份经济合作社",
        "移交书〔2024〕1号",
    )
    workshop = to_use(
        register(
            code=f"ZC{code}002",
            name=f"{village.name}帮扶车间厂房",
            asset_class="operating",
            sub_type="workshop",
            original_value_fen=80_000_000,
            project_id=workshop_project.pk,
            operator="某服装加工有限公司",
            contract_from=dt.date(year, 1, 1),
            contract_to=dt.date(2029, 12, 31),
            guaranteed_rate=Decimal("0.08"),
            beneficiaries=20,
            funding={"central": 60_000_000, "integrated": 20_000_000},
        ),
        "某服装加工有限公司",
        "租赁合同〔2024〕3号",
    )
    road = register(
        code=f"ZC{code}003",
        name=f"{village.name}通组水泥路2.5公里",
        asset_class="public_welfare",
        sub_type="road",
        year_formed=2019,
        original_value_fen=150_000_000,
        status="in_use",
        beneficiaries=120,
    )
    households = list(
        Household.objects.filter(village=village, household_type="lifted_out").order_by("number")[:12]
    )
    monitored = list(
        Household.objects.filter(village=village).exclude(monitoring_category="").order_by("number")[:3]
    )
    made = 3
    if households:
        services.register_asset(
            actor=county,
            data=services.AssetInput(
                code=f"ZC{code}004",
                name="到户基础母牛2头",
                asset_class="household",
                sub_type="livestock",
                year_formed=2023,
                original_value_fen=1_600_000,
                area_code=code,
                owner_level="household",
                owner_entity="到户",
                household_id=households[0].pk,
                status="in_use",
            ),
        )
        made += 1
    services.record_income(
        actor=county,
        asset=solar,
        data=services.IncomeInput(year, 486_137, "sales", dt.date(year, 7, 10), "上半年上网电费"),
    )
    services.record_income(
        actor=county,
        asset=solar,
        data=services.IncomeInput(year, 483_863, "sales", dt.date(year, 12, 28), "下半年上网电费"),
    )
    services.record_income(
        actor=county,
        asset=workshop,
        data=services.IncomeInput(year, 6_400_000, "rent", dt.date(year, 12, 20), "年租金（保底收益8%）"),
    )
    distributed = 0
    paid: set[int] = set()
    priority = list({h.pk: h for h in [*households[1:8], *monitored]}.values())
    if len(priority) >= 3:
        no_labour = [(h.pk, 1 + (i % 3)) for i, h in enumerate(priority[:7])]
        awards = [(h.pk, 1) for h in priority[-3:]]
        lines = [
            services.LineInput("no_labour", 388_000, no_labour),
            services.LineInput("post_wages", 240_000, [(priority[0].pk, 1), (priority[1].pk, 1)]),
            services.LineInput("projects", 100_000, note="光伏板清洗和线路维护"),
            services.LineInput("industry_awards", 142_000, awards),
            services.LineInput("collective", 100_000),
        ]
        services.distribute(
            actor=county,
            asset=solar,
            data=services.DistributionInput(year, 970_000, decided_on, "村民代表大会决议", lines),
        )
        distributed += 970_000
        paid = {h for line in lines for h, _w in line.households}
    # The road's upkeep is past its end: the village asked to scrap a worn section, the township agreed.
    disposal = services.request_disposal(
        actor=township_officer if township_officer.area_grants.exists() else admin,
        asset=road,
        data=services.DisposalInput(
            "end_of_life",
            "scrap",
            "旧桥涵段0.3公里损坏，已由新建道路替代",
            today - dt.timedelta(days=10),
            "村民代表大会同意报废",
        ),
    )
    services.decide_disposal(actor=admin, disposal=disposal, approve=True, opinion="同意报县审批")
    del seed
    return DemoAssets(assets=made, distributed_fen=distributed, households=len(paid))
