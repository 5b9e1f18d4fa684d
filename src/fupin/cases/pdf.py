"""The village public notice as a printable A4 PDF, ready for the village notice board.

The notice lists, for each household, only what domain.md section 5 allows on a public notice: the
head's name, the village group, the monitoring category and the risk types. ID numbers, phones, bank
accounts, health and disability details and the visit's findings never reach the template: the rows
are built here from those four facts alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fupin.audit import services as audit
from fupin.cases import selectors
from fupin.cases.models import CaseKind, VillageNotice
from fupin.core.i18n import lazy_format
from fupin.core.printing import chinese_term, choice_label, render_pdf, village_name
from fupin.registry.choices import MonitoringCategory, Relation, RiskType
from fupin.web.pages import current_user, page


@dataclass(frozen=True)
class NoticeRow:
    head_name: str
    group_name: str
    category: str
    risk_types: str


def _rows(notice: VillageNotice) -> list[NoticeRow]:
    cases = (
        notice.cases.select_related("household")
        .prefetch_related("household__members")
        .order_by("household__group_name", "household__number", "id")
    )
    rows = []
    for case in cases:
        household = case.household
        heads = [m for m in household.members.all() if m.relation == Relation.HEAD and m.is_current]
        category = case.proposed_category or case.decided_category or household.monitoring_category
        risks = case.proposed_risk_list or case.decided_risk_list or household.risk_type_list
        rows.append(
            NoticeRow(
                head_name=heads[0].name if heads else "—",
                group_name=household.group_name or "—",
                category=chinese_term(choice_label(MonitoringCategory, category)) if category else "—",
                risk_types="、".join(chinese_term(choice_label(RiskType, code)) for code in risks) or "—",
            )
        )
    return rows


def _committee(village: str) -> str:
    """The issuer: the villagers' committee of the village ("××村村民委员会")."""
    return str(lazy_format(_("%(village)s villagers' committee"), village=village))


def notice_context(notice: VillageNotice) -> dict[str, Any]:
    """What the notice shows, in the active language (the PDF renders it in Chinese)."""
    village = notice.village
    shown_name = village_name(village.name)
    last_day = notice.ends_on - dt.timedelta(days=1)
    if notice.kind == CaseKind.ELIMINATION:
        title = lazy_format(_("%(village)s: public notice of risk elimination"), village=shown_name)
    else:
        title = lazy_format(
            _("%(village)s: public notice of households identified for monitoring"), village=shown_name
        )
    township = village.parent
    county = township.parent if township is not None else None
    return {
        "notice": notice,
        "title": str(title),
        "place": " ".join(a.name for a in (county, township) if a is not None),
        "village": village,
        "village_name": shown_name,
        "committee": _committee(shown_name),
        "is_elimination": notice.kind == CaseKind.ELIMINATION,
        "rows": _rows(notice),
        "first_day": notice.posted_on,
        "last_day": last_day,
        "days": (notice.ends_on - notice.posted_on).days,
    }


def render_notice_pdf(notice: VillageNotice) -> bytes:
    """The notice as A4 PDF bytes, in Chinese whatever the reader's language."""
    with translation.override("zh-hans"):  # the context's own labels are put together in Chinese too
        context = notice_context(notice)
    return render_pdf("cases/notice_pdf.html", context)


@page
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    notice = selectors.get_notice(user, pk)
    content = render_notice_pdf(notice)
    audit.record(
        actor=user,
        action="print",
        object_type="village_notice",
        object_id=notice.pk,
        area_code=notice.village.code,
        summary=f"public notice {notice.pk} of {notice.village.code} printed",
    )
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"notice-{notice.village.code}-{notice.posted_on.isoformat()}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
