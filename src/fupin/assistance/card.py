"""The household card (明白卡): an A4 PDF of the household's plan and helpers, posted in the household.

It tells the household what help it gets, from whom, and whom to call. It carries the helpers' work
phones (that is its purpose) but nothing the household would not want on its wall: no ID numbers, no
phone of its own, no health or disability details, no incomes. Rows are built here from those facts
alone, so the template cannot show more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from fupin.assistance import selectors
from fupin.assistance.models import MeasureStatus
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.printing import chinese_term, choice_label, render_pdf, village_name
from fupin.pii.crypto import get_cipher
from fupin.registry import selectors as registry_selectors
from fupin.registry.choices import HouseholdType, MonitoringCategory, Relation, RiskType
from fupin.registry.models import Household
from fupin.twinning import selectors as twinning
from fupin.web.pages import current_user, page


@dataclass(frozen=True)
class MeasureLine:
    name: str
    responsible: str
    period: str
    status: str


@dataclass(frozen=True)
class HelperLine:
    name: str
    unit: str
    phone: str


def _period(start: dt.date | None, end: dt.date | None) -> str:
    if start is None:
        return "—"
    return f"{start:%Y-%m-%d} — {end:%Y-%m-%d}" if end else f"{start:%Y-%m-%d} —"


def card_context(user: Any, household: Household, site: str) -> dict[str, Any]:
    """What the card shows, in the active language (the PDF renders it in Chinese)."""
    members = [m for m in household.members.all() if m.is_current]
    heads = [m for m in members if m.relation == Relation.HEAD]
    measures = [
        MeasureLine(
            name=measure.title,
            responsible=measure.responsible or "—",
            period=_period(measure.started_on, measure.ended_on),
            status=str(measure.get_status_display()),
        )
        for measure in selectors.measures_of(user, household)
        if measure.status != MeasureStatus.STOPPED
    ]
    cipher = get_cipher()
    helpers = [
        HelperLine(
            name=a.helper.name,
            unit=a.helper.unit,
            phone=cipher.decrypt(a.helper.phone_enc) if a.helper.phone_enc else "—",
        )
        for a in twinning.household_assignments(user, household)
        if a.ended_on is None
    ]
    village = household.village
    township = village.parent
    declare_url = f"{site}{reverse('declare:form')}?village={village.code}"
    return {
        "household": household,
        "head_name": heads[0].name if heads else "—",
        "size": len(members),
        "place": " ".join(a.name for a in (township, village) if a is not None),
        "village_name": village_name(village.name),
        "household_type": chinese_term(choice_label(HouseholdType, household.household_type)),
        "category": chinese_term(choice_label(MonitoringCategory, household.monitoring_category))
        if household.monitoring_category
        else "",
        "risks": "、".join(chinese_term(choice_label(RiskType, code)) for code in household.risk_type_list),
        "measures": measures,
        "helpers": helpers,
        "declare_url": declare_url,
        "declare_qr": _qr_svg(declare_url),
        "printed_on": clock.today(),
    }


def _qr_svg(address: str) -> str:
    """The address as a QR code, inline SVG (a phone's camera opens the declaration form)."""
    import segno

    svg = segno.make(address, error="m").svg_inline(scale=3, border=2)
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the address is encoded in the modules


def public_site(request: HttpRequest) -> str:
    """The configured public address (``FUPIN_PUBLIC_URL``), else the address of this request."""
    return (settings.PUBLIC_URL or request.build_absolute_uri("/")).rstrip("/")


def render_card_pdf(user: Any, household: Household, site: str) -> bytes:
    with translation.override("zh-hans"):  # the context's own labels are put together in Chinese too
        context = card_context(user, household, site)
    return render_pdf("assistance/card_pdf.html", context)


@page
def household_card(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = registry_selectors.get_household(user, pk)
    content = render_card_pdf(user, household, public_site(request))
    audit.record(
        actor=user,
        action="print",
        object_type="household_card",
        object_id=household.pk,
        area_code=household.village.code,
        summary=f"household card of {household.number} printed",
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="card-{household.number}.pdf"'
    return response
