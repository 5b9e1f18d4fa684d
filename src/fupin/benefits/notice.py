"""The list of a programme's beneficiaries for public notice (公示名单), as a printable A4 PDF.

Only what a public notice may show: the beneficiary's name, their village (for an entity: its name
and where it is registered) and the amount approved. ID numbers, phones, bank accounts, health
details and the application's facts never reach the template: the rows are built here from those
few fields alone. The list holds the approved applications inside the reader's view scope (a village
cadre prints their village's part), one line per person or entity with the sum of their amounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fupin.audit import services as audit
from fupin.benefits import programmes as programme_info
from fupin.benefits import selectors
from fupin.benefits.models import Application, ApplicationStatus, Opening
from fupin.core import clock
from fupin.core.errors import InvalidInput, Refused
from fupin.core.i18n import lazy_format
from fupin.core.printing import render_pdf, village_name
from fupin.registry.choices import Relation

DEFAULT_DAYS = 7  # a county's usual notice period for a subsidy list
MAX_DAYS = 30
PAYS_ENTITY = ("entity", "enterprise")


@dataclass(frozen=True)
class NoticeRow:
    name: str
    place: str  # the village, or where the entity is registered
    persons: int  # people the entity's amount is for (entity programmes with a person each)
    amount_fen: int

    @property
    def amount(self) -> str:
        return _yuan(self.amount_fen)


def _yuan(fen: int) -> str:
    return format(Decimal(fen) / 100, ",.2f")


def _place(area: Any) -> str:
    """A village as "township village", other areas by their name."""
    parent = area.parent if len(area.code) == 12 else None
    name = village_name(area.name) if len(area.code) == 12 else area.name
    return f"{parent.name} {name}" if parent is not None else name


def _head_name(application: Application) -> str:
    household = application.household
    if household is None:
        return "—"
    heads = [m for m in household.members.all() if m.relation == Relation.HEAD and m.is_current]
    return heads[0].name if heads else "—"


def notice_rows(user: Any, opening: Opening, pays_entity: bool) -> list[NoticeRow]:
    """One row per beneficiary of the opening's approved applications in the user's view scope."""
    applications = (
        selectors.applications_for(user)
        .filter(opening=opening, status=ApplicationStatus.APPROVED, eligible=True)
        .select_related("area__parent", "entity__area__parent", "household")
        .prefetch_related("household__members")
        .order_by("area__code", "id")
    )
    grouped: dict[tuple[str, int], dict[str, Any]] = {}
    for application in applications:
        if pays_entity and application.entity is not None:
            key = ("entity", application.entity.pk)
            name, place, area_code = (
                application.entity.name,
                _place(application.entity.area),
                application.entity.area.code,
            )
        elif application.member is not None:
            key = ("person", application.member.pk)
            name, place, area_code = application.member.name, _place(application.area), application.area.code
        else:
            key = ("household", application.household_id or 0)
            name, place, area_code = _head_name(application), _place(application.area), application.area.code
        row = grouped.setdefault(
            key, {"name": name, "place": place, "code": area_code, "persons": set(), "amount": 0}
        )
        if application.member_id is not None:
            row["persons"].add(application.member_id)
        row["amount"] += application.amount_fen or 0
    ordered = sorted(grouped.values(), key=lambda r: (r["code"], r["name"]))
    return [
        NoticeRow(r["name"], r["place"], len(r["persons"]) if pays_entity else 0, r["amount"])
        for r in ordered
    ]


def notice_period(first: str | None, days: str | None) -> tuple[dt.date, int]:
    """The notice's first day (today when not given) and its length in days, from a query string."""
    errors: dict[str, list[Any]] = {}
    first_day = clock.today()
    if first:
        try:
            first_day = dt.date.fromisoformat(first.strip())
        except ValueError:
            errors["from"] = [_("Give a date as YYYY-MM-DD.")]
    length = DEFAULT_DAYS
    if days:
        length = int(days) if days.strip().isdigit() else 0
        if not 1 <= length <= MAX_DAYS:
            errors["days"] = [lazy_format(_("Give 1 to %(max)s days."), max=MAX_DAYS)]
    if errors:
        raise InvalidInput(errors)
    return first_day, length


def notice_context(user: Any, opening: Opening, first_day: dt.date, days: int) -> dict[str, Any]:
    """What the list shows, in the active language (the PDF renders it in Chinese)."""
    checked = programme_info.checked(opening.pack)
    programme = programme_info.programme(checked, opening.programme)
    if programme is None:
        raise Refused(_("The policy pack no longer has this programme."))
    if not opening.public_notice:
        raise Refused(_("The beneficiaries of this programme are not publicly announced."))
    pays_entity = programme.applicant in PAYS_ENTITY
    rows = notice_rows(user, opening, pays_entity)
    if not rows:
        raise Refused(_("No application is approved yet: there is nobody to announce."))
    title = programme_info.title(programme)
    county = opening.county.name
    total = sum(row.amount_fen for row in rows)
    last_day = first_day + dt.timedelta(days=days - 1)
    return {
        "opening": opening,
        "title": str(
            lazy_format(
                _("%(county)s %(year)s %(programme)s: public notice of the beneficiaries"),
                county=county,
                year=opening.year,
                programme=title,
            )
        ),
        "county": county,
        "programme": title,
        "year": opening.year,
        "rows": rows,
        "pays_entity": pays_entity,
        "has_amount": programme.amount is not None,
        "count": len(rows),
        "persons": sum(row.persons for row in rows),
        "total": _yuan(total),
        "total_fen": total,
        "first_day": first_day,
        "last_day": last_day,
        "days": days,
        "printed_on": clock.today(),
    }


def render_notice_pdf(user: Any, opening: Opening, first_day: dt.date, days: int) -> tuple[bytes, int, int]:
    """The list as A4 PDF bytes in Chinese, its number of rows and its total (fen); audited."""
    with translation.override("zh-hans"):
        context = notice_context(user, opening, first_day, days)
    content = render_pdf("benefits/notice_pdf.html", context)
    audit.record(
        actor=user,
        action="export",
        object_type="opening",
        object_id=opening.pk,
        area_code=opening.county.code,
        summary=f"public notice list of {opening.programme} {opening.year} printed",
        changes={"rows": context["count"], "amount_fen": context["total_fen"], "days": days},
    )
    return content, context["count"], context["total_fen"]


def file_name(opening: Opening, first_day: dt.date) -> str:
    return f"notice-{opening.programme}-{opening.county.code}-{opening.year}-{first_day.isoformat()}.pdf"
