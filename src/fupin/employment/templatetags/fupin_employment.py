"""How an employment record reads on a page: the place with its province, the months."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from fupin.employment.models import EmploymentRecord, Place
from fupin.employment.selectors import province_names

register = template.Library()


@register.filter
def work_place(record: EmploymentRecord | None) -> str:
    if record is None or not record.place:
        return "—"
    if record.place == Place.OTHER_PROVINCE:
        name = province_names().get(record.province_code, record.province_code)
        return f"{record.get_place_display()} · {name}"
    return str(record.get_place_display())


@register.filter
def months(record: EmploymentRecord | None) -> str:
    if record is None:
        return "—"
    start = record.start_month.strftime("%Y-%m")
    if record.end_month:
        return f"{start} – {record.end_month:%Y-%m}"
    return _("from %(month)s") % {"month": start}


@register.filter
def yuan(fen: int | None) -> str:
    """Integer fen as yuan with two decimals and thousands separators (exact: no float)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


@register.filter
def months_total(holding: object) -> int:
    """The subsidy of a post holding's recorded months, in fen."""
    return sum(m.subsidy_fen for m in holding.months.all())  # type: ignore[attr-defined]


@register.filter
def get_label(labels: dict[str, object], key: str) -> object:
    return labels.get(key, key)
