"""The project library's public notices as printable A4 PDFs in Chinese.

What a notice may show (domain-wave2.md §1): place, content, period, the builder and the contractor
with the person responsible for each, the funds by source, procurement, expected and actual results,
and the 12317 hotline for reports. A household project lists its beneficiary households by the head's
name and village only. Nothing else about any person reaches the template: rows are built here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area
from fupin.core.errors import Refused
from fupin.core.printing import render_pdf, village_name
from fupin.projects import selectors
from fupin.projects.models import APPROVED_STATES, NoticeKind, Project
from fupin.registry.choices import Relation

HOTLINE = "12317"


def _yuan(fen: int) -> str:
    return format(Decimal(fen) / 100, ",.2f")


def _head(household: Any) -> str:
    heads = [m for m in household.members.all() if m.relation == Relation.HEAD and m.is_current]
    return heads[0].name if heads else "—"


def project_notice_pdf(project: Project, kind: str) -> bytes:
    notice = project.notices.filter(kind=kind).order_by("-posted_on", "-id").first()
    if notice is None:
        raise Refused(_("This notice has not been posted yet."))
    households = (
        [
            {"name": _head(b.household), "village": village_name(b.household.village.name)}
            for b in project.beneficiaries.select_related("household__village").prefetch_related(
                "household__members"
            )
        ]
        if project.household_project
        else []
    )
    return render_pdf(
        "projects/notice_pdf.html",
        {
            "project": project,
            "notice": notice,
            "kind": NoticeKind(kind).label,
            "villages": [village_name(v.name) for v in project.villages.all()],
            "budget": [(b.get_source_display(), _yuan(b.amount_fen)) for b in project.budget.all()],
            "total": _yuan(sum(b.amount_fen for b in project.budget.all())),
            "targets": list(project.targets.all()),
            "households": households,
            "settled": _yuan(project.settled_fen) if project.settled_fen is not None else "",
            "hotline": HOTLINE,
            "after": kind == NoticeKind.COMPLETION,
        },
    )


def library_notice_pdf(user: Any, area: Area, year: int) -> bytes:
    """The year's library of an area: every approved project with its place, category and budget."""
    projects = list(
        selectors.projects_for(user, selectors.Filters(year=year), area)
        .filter(state__in=APPROVED_STATES)
        .order_by("category", "code")
    )
    if not projects:
        raise Refused(_("No approved project in this year's library yet: there is nothing to announce."))
    rows = [
        {
            "code": p.code,
            "name": p.name,
            "place": p.area.name,
            "category": p.get_category_display(),
            "budget": _yuan(getattr(p, "budget_fen", 0) or 0),
            "driven": p.households_driven,
        }
        for p in projects
    ]
    return render_pdf(
        "projects/library_pdf.html",
        {
            "area": area,
            "year": year,
            "rows": rows,
            "total": _yuan(sum(int(getattr(p, "budget_fen", 0) or 0) for p in projects)),
            "hotline": HOTLINE,
        },
    )
