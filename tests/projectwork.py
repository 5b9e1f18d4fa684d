"""Project work the project tests share: a complete proposal, and a project walked through its steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fupin.core import clock
from fupin.projects import services
from fupin.projects.models import Project
from fupin.projects.services import AcceptanceInput, AppraisalInput, ProjectInput, TargetInput

TARGETS = (
    TargetInput("output", "quantity", "新建大棚", "≥", "20", "座"),
    TargetInput("output", "quality", "验收合格率", "=", "100", "%"),
    TargetInput("effect", "economic", "带动脱贫户年增收", "≥", "2000", "元/户"),
    TargetInput("satisfaction", "beneficiaries", "受益群众满意度", "≥", "95", "%"),
)


def proposal(
    village_code: str, *, year: int | None = None, complete: bool = True, **changes: Any
) -> ProjectInput:
    values: dict[str, Any] = {
        "name": "一村蔬菜大棚建设项目",
        "category": "industry",
        "subcategory": "种植业基地",
        "area_code": village_code,
        "content": "新建日光温室大棚20座，配套灌溉设施",
        "implementing_unit": "开通镇人民政府",
        "unit_person": "李镇长",
        "months": 6,
        "year": year or clock.today().year,
        "link_kind": "asset_income" if complete else "",
        "link_description": "资产归村集体所有，出租收益优先用于脱贫户和监测户" if complete else "",
        "households_driven": 35,
        "persons_driven": 80,
        "expected_income_fen": 200_000,
        "budget": {"central": 150_000_000, "county": 20_000_000},
        "targets": TARGETS if complete else TARGETS[:2],
    }
    values.update(changes)
    return ProjectInput(**values)


APPRAISAL_PASS = AppraisalInput(
    necessity="pass",
    feasibility="pass",
    budget="pass",
    link_to_farmers="pass",
    targets="pass",
    compliance="pass",
    opinion="项目必要可行，预算合理，联农带农机制明确",
)


def to_library(project: Project, *, village, township, appraiser, approver, travel) -> Project:
    """Walk a complete proposal through every step into the library; ``travel`` moves the frozen clock
    (a time_machine traveller) past each notice."""
    step = services.take_step
    step(actor=village, project=project, step="post_village_notice")
    travel.shift(dt.timedelta(days=7))
    step(actor=village, project=project, step="submit")
    step(actor=township, project=project, step="township_pass")
    travel.shift(dt.timedelta(days=7))
    step(actor=township, project=project, step="forward")
    step(actor=appraiser, project=project, step="appraise", appraisal=APPRAISAL_PASS)
    step(actor=approver, project=project, step="approve")
    travel.shift(dt.timedelta(days=7))
    return step(actor=approver, project=project, step="enter_library")


def to_completion(project: Project, *, approver, travel, year: int) -> Project:
    step = services.take_step
    step(actor=approver, project=project, step="plan", year=year)
    step(actor=approver, project=project, step="post_start_notice")
    travel.shift(dt.timedelta(days=7))
    step(actor=approver, project=project, step="start")
    travel.shift(dt.timedelta(days=30))
    return step(
        actor=approver,
        project=project,
        step="accept",
        acceptance=AcceptanceInput(accepted_on=clock.today(), result="验收合格", settled_fen=168_000_000),
    )
