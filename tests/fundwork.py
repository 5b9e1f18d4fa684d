"""Funds tests share: approved projects made with the ORM in the state a test needs, a county with
its year's money."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from fupin.funds import services
from fupin.projects.models import PerformanceTarget, Project

_numbers = itertools.count(1)


def project(
    actor: Any,
    village: Any,
    *,
    category: str = "industry",
    state: str = "planned",
    year: int = 2023,
    household: bool = False,
    linked: bool = True,
    starts_on: dt.date | None = None,
    months: int = 6,
    name: str = "",
) -> Project:
    number = next(_numbers)
    made = Project.objects.create(
        code=f"XMF{village.code}{number:04d}",
        name=name or f"测试项目{number}",
        category=category,
        area=village,
        county=village.parent.parent,
        content="新建大棚",
        implementing_unit="开通镇人民政府",
        unit_person="李镇长",
        months=months,
        starts_on=starts_on,
        year=year,
        state=state,
        household_project=household,
        link_kind="asset_income" if linked else "",
        link_description="收益优先用于脱贫户" if linked else "",
        households_driven=30,
        proposed_by=actor,
    )
    if linked:
        for level, kind in (
            ("output", "quantity"),
            ("effect", "economic"),
            ("satisfaction", "beneficiaries"),
        ):
            PerformanceTarget.objects.create(
                project=made, level=level, kind=kind, indicator="指标", comparator="≥", value="1"
            )
    return made


def year_fund(actor: Any, county: Any, year: int, source: str, amount_fen: int, number: str = "") -> Any:
    return services.add_year_fund(
        actor=actor,
        county=county,
        data=services.YearFundInput(
            year=year,
            source=source,
            amount_fen=amount_fen,
            document_no=number or f"吉财农〔{year}〕{source}{amount_fen}号",
            document_date=dt.date(year, 1, 10),
        ),
    )


def allocate(actor: Any, project: Project, source: str, amount_fen: int, year: int | None = None) -> Any:
    return services.allocate(
        actor=actor,
        county=project.county,
        data=services.AllocationInput(
            project_id=project.pk, year=year or project.year, source=source, amount_fen=amount_fen
        ),
    )
