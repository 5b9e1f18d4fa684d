"""The one place supervision reads the data checks (``fupin.checks``): a check's title and severity by
its code, and whether a household still fails it.

The checks are moving into a check pack; when they do, only this module follows them. Supervision
imports the checks, never the other way round: the checks page links to ``supervision:from_check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class CheckInfo:
    code: str
    title: str | Promise
    severity: str  # "error" or "warning"


def describe(code: str) -> CheckInfo | None:
    from fupin.checks import catalogue

    try:
        check = catalogue.get(code)
    except KeyError:
        return None
    return CheckInfo(code=check.code, title=check.title, severity=check.severity)


def still_fails(code: str, household: Any) -> bool | None:
    """Whether the household fails the check today (None for a check that no longer exists).

    The check runs over the household's village only, so asking costs one small query.
    """
    from fupin.checks import catalogue

    try:
        check = catalogue.get(code)
    except KeyError:
        return None
    ctx = catalogue.CheckContext.for_area(household.village)
    failing = check.failing(ctx)
    if check.target == "household":
        return failing.filter(pk=household.pk).exists()
    return failing.filter(household_id=household.pk).exists()
