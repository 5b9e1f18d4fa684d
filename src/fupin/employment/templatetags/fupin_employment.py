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
