"""Benefits paid, per area, for the indicator tables: this year's and this month's payments.

Read from the benefits the bank confirmed (``Application.paid_on``), summed by the database per
application area and rolled up here to the township, county, prefecture, province and nation: the
figures sit in each area's row of a build like every other indicator.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum

from fupin.benefits.models import Application

# The prefixes of an area code that name the areas above it (and the nation, "").
_PREFIXES = (0, 2, 4, 6, 9, 12)
KEYS = ("benefits_paid", "benefits_paid_month", "benefit_payments")


def paid_by_area(as_of: dt.date) -> dict[str, dict[str, float | int]]:
    """Area code → yuan paid since 1 January, yuan paid this month, payments this year (to as_of)."""
    year_start, month_start = as_of.replace(month=1, day=1), as_of.replace(day=1)
    rows = (
        Application.objects.filter(paid_on__gte=year_start, paid_on__lte=as_of, paid_fen__gt=0)
        .values("area__code")
        .annotate(
            year_fen=Sum("paid_fen"),
            month_fen=Sum("paid_fen", filter=Q(paid_on__gte=month_start)),
            paid_count=Count("id"),
        )
    )
    totals: dict[str, list[int]] = {}
    for row in rows:
        code = row["area__code"]
        for length in _PREFIXES:
            if length > len(code):
                break
            entry = totals.setdefault(code[:length], [0, 0, 0])
            entry[0] += int(row["year_fen"] or 0)
            entry[1] += int(row["month_fen"] or 0)
            entry[2] += int(row["paid_count"] or 0)
    return {
        code: {"benefits_paid": year / 100, "benefits_paid_month": month / 100, "benefit_payments": count}
        for code, (year, month, count) in totals.items()
    }


def empty() -> dict[str, float | int]:
    return {"benefits_paid": 0.0, "benefits_paid_month": 0.0, "benefit_payments": 0}
