"""Today's date for business rules (deadlines, notice periods, elimination gates).

Dates that rules count with come from here, never from ``date.today()``, so that one place decides
what "today" is. ``FUPIN_CLOCK_FILE`` (development and browser tests only; never set it in
production) names a file holding an ISO date: while it exists, that date is today. The browser test
uses it to let a notice period pass without waiting five days.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils import timezone

_override = threading.local()


@contextmanager
def pretend_today(day: dt.date) -> Iterator[None]:
    """Within the block (this thread only), ``today()`` is ``day``: the demo replays past weeks of work."""
    previous = getattr(_override, "day", None)
    _override.day = day
    try:
        yield
    finally:
        _override.day = previous


def today() -> dt.date:
    pretended = getattr(_override, "day", None)
    if pretended is not None:
        return pretended
    clock_file = getattr(settings, "CLOCK_FILE", "")
    if clock_file:
        path = Path(clock_file)
        if path.exists():
            text = path.read_text().strip()
            if text:
                return dt.date.fromisoformat(text)
    return timezone.localdate()


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clipped to the month's end (31 Aug - 6 months = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last_day))
