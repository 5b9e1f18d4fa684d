"""Linkage funds in the demo county: the year's documents of four sources, a plan across the county's
approved projects (the industry share of central funds above the year's minimum, household projects
among them) and monthly payments up to today, with one project lagging (flagged late).

Made through the real services by the demo county administrator. The projects are the project
library's own approved projects of the county when its demo made some; otherwise this module creates
a year's set through the ORM in the state "in the year's plan" (``fupin.projects`` walks projects
through the procedure; funds only need them approved).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fupin.accounts.models import User
from fupin.areas.models import Area
from fupin.core import clock
from fupin.funds import services
from fupin.funds.models import Allocation, YearFund
from fupin.projects.models import SPENDING_STATES, PerformanceTarget, Project, State

WAN = 10_000 * 100  # 万元 in fen

# (code suffix, name, category, household project, months, share of the central funds, other source)
PROJECTS = (
    ("CY1", "肉牛养殖小区扩建", "industry", False, 8, 0.22, ("provincial", 300)),
    ("CY2", "庭院经济到户补助", "industry", True, 6, 0.14, ("county", 150)),
    ("CY3", "杂粮杂豆加工厂建设", "industry", False, 10, 0.16, ("integrated", 400)),
    ("CY4", "日光温室大棚建设", "industry", False, 7, 0.12, None),
    ("JY1", "帮扶车间配套及以工代赈", "employment", False, 9, 0.08, ("provincial", 200)),
    ("JC1", "村内道路硬化", "infrastructure", False, 6, 0.18, ("county", 250)),
    ("JC2", "农村饮水安全巩固提升", "infrastructure", False, 5, 0.06, ("integrated", 300)),
)
CENTRAL_WAN = 5000
SOURCES_WAN = {"central": CENTRAL_WAN, "provincial": 600, "county": 500, "integrated": 800}


@dataclass(frozen=True)
class DemoFunds:
    year: int
    projects: int
    allocated_fen: int
    disbursed_fen: int


def _projects(proposer: User, county: Area, year: int) -> list[Project]:
    found = list(
        Project.objects.filter(county=county, state__in=SPENDING_STATES, year=year).order_by("code")[
            : len(PROJECTS)
        ]
    )
    if len(found) >= 3:
        return found
    villages = list(
        Area.objects.filter(path__startswith=county.path, level=5).order_by("code")[: len(PROJECTS)]
    )
    if not villages:
        return []
    made = []
    for index, (suffix, name, category, household, months, _share, _other) in enumerate(PROJECTS):
        village = villages[index % len(villages)]
        project = Project.objects.filter(
            code=f"XM{county.code}{year}{suffix}"
        ).first() or Project.objects.create(
            code=f"XM{county.code}{year}{suffix}",
            name=f"{village.name}{name}",
            category=category,
            area=village,
            county=county,
            content=name,
            implementing_unit=f"{village.parent.name if village.parent else county.name}人民政府",
            unit_person="项目负责人",
            months=months,
            starts_on=dt.date(year, 3, 1),
            year=year,
            library_year=year - 1,
            state=State.UNDER_WAY if index % 3 else State.PLANNED,
            household_project=household,
            link_kind="household_support" if household else "employment",
            link_description="优先吸纳脱贫户和监测户务工，收益优先分配给脱贫户和监测户",
            households_driven=40 + 10 * index,
            persons_driven=90 + 20 * index,
            proposed_by=proposer,
        )
        for level, kind in (
            ("output", "quantity"),
            ("effect", "economic"),
            ("satisfaction", "beneficiaries"),
        ):
            PerformanceTarget.objects.get_or_create(
                project=project,
                level=level,
                kind=kind,
                defaults={"indicator": "指标", "comparator": "≥", "value": "1"},
            )
        made.append(project)
    return made


def stage(seed: int = 2024) -> DemoFunds | None:
    """None when the demo accounts are missing or the year's funds were staged already."""
    users = {u.username: u for u in User.objects.filter(username__in=["demo-admin", "demo-village"])}
    if len(users) < 2:
        return None
    admin = users["demo-admin"]
    grant = admin.area_grants.select_related("area").first()
    if grant is None:
        return None
    county = grant.area
    today = clock.today()
    year = today.year
    if YearFund.objects.filter(county=county, year=year).exists():
        return None
    projects = _projects(users["demo-village"], county, year)
    if not projects:
        return None
    for source, amount in SOURCES_WAN.items():
        services.add_year_fund(
            actor=admin,
            county=county,
            data=services.YearFundInput(
                year=year,
                source=source,
                amount_fen=amount * WAN,
                document_no=f"吉财农〔{year}〕{10 + len(source)}号",
                document_date=min(dt.date(year, 1, 15), today),
                note="第一批",
            ),
        )
    allocations: list[Allocation] = []
    for project, (_suffix, _name, _category, _household, _months, share, other) in zip(
        projects, PROJECTS, strict=False
    ):
        data = services.AllocationInput(project.pk, year, "central", int(CENTRAL_WAN * share) * WAN)
        allocations.append(services.allocate(actor=admin, county=county, data=data))
        if other is not None:
            source, amount = other
            data = services.AllocationInput(project.pk, year, source, amount * WAN)
            allocations.append(services.allocate(actor=admin, county=county, data=data))
    disbursed = 0
    for index, allocation in enumerate(allocations):
        if allocation.project.state not in SPENDING_STATES:
            continue
        # Paid in monthly instalments from April; the third project's pay lags (a late project).
        instalments = 2 if index in (2, 3) else 8
        for month in range(4, min(today.month, 12) + 1):
            paid_on = min(dt.date(year, month, 15), today)
            amount = allocation.amount_fen // instalments
            if (
                month - 3 > instalments - 1
                or services.disbursed_fen(allocation) + amount > allocation.amount_fen
            ):
                break
            services.disburse(
                actor=admin,
                allocation=allocation,
                data=services.DisbursementInput(paid_on, amount, f"记{year}{month:02d}{index:03d}"),
            )
            disbursed += amount
            if index in (2, 3):
                break
    return DemoFunds(year, len(projects), sum(a.amount_fen for a in allocations), disbursed)
