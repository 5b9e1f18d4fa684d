"""The year's plan notice (年度计划公告) as a printable Chinese A4 PDF.

What a county posts about its year's linkage funds: the sources and their size, the use (projects by
category), the user units (implementing units), the allocation principle, the result (each project
with its place, category and amount) and the 12317 hotline. No personal data: projects, places and
units only. Printed for an area the reader sees: a county's whole plan, or its part in the area below.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation

from fupin.areas.models import Area
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.printing import render_pdf
from fupin.funds import selectors
from fupin.funds.services import yuan


def context(user: Any, area: Area, year: int) -> dict[str, Any]:
    plan = selectors.year_plan(user, area, year)
    projects: dict[int, dict[str, Any]] = {}
    for allocation in plan.allocations:
        if allocation.amount_fen <= 0:
            continue
        row = projects.setdefault(
            allocation.project_id,
            {"project": allocation.project, "amount_fen": 0, "sources": []},
        )
        row["amount_fen"] += allocation.amount_fen
        row["sources"].append(str(allocation.get_source_display()))
    rows = [
        {**row, "amount": yuan(row["amount_fen"]), "sources": "、".join(row["sources"])}
        for row in sorted(projects.values(), key=lambda r: r["project"].code)
    ]
    units = sorted({row["project"].implementing_unit for row in rows})
    return {
        "plan": plan,
        "area": area,
        "county": plan.county or area,
        "year": year,
        "rows": rows,
        "units": units,
        "sources": [
            {
                "label": s.label,
                "amount": yuan(s.amount_fen) if s.amount_fen is not None else None,
                "allocated": yuan(s.allocated_fen),
            }
            for s in plan.sources
        ],
        "categories": [{"label": label, "amount": yuan(v)} for label, v in plan.by_category],
        "total": yuan(plan.total_allocated_fen),
        "printed_on": clock.today(),
    }


def render_notice_pdf(user: Any, area: Area, year: int) -> bytes:
    with translation.override("zh-hans"):
        values = context(user, area, year)
    content = render_pdf("funds/notice_pdf.html", values)
    audit.record(
        actor=user,
        action="export",
        object_type="area",
        object_id=area.pk,
        area_code=area.code,
        summary=f"year plan notice {year} printed",
        changes={"rows": len(values["rows"])},
    )
    return content
