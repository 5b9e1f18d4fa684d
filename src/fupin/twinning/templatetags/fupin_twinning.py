"""Twinning on other apps' pages: the household page's "Helpers and visits" card and the last-visit age
on worklists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.core import clock
from fupin.registry.models import Household
from fupin.twinning import selectors

register = template.Library()

LATEST_VISITS = 3


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("twinning/_household_section.html", takes_context=True)
def household_twinning(context: template.Context, household: Any) -> dict[str, Any]:
    """The household's current helpers and latest visits (the household is already scope-checked)."""
    user = _user(context)
    if user is None or not user.is_authenticated:
        return {"household": household, "hidden": True}
    assignments = [a for a in selectors.household_assignments(user, household) if a.is_current]
    visits = selectors.household_visits(user, household, limit=LATEST_VISITS)
    in_capture = scope.area_in_scope(user, household.village.path, "capture")
    return {
        "household": household,
        "assignments": assignments,
        "visits": visits,
        "last_visit_days": (clock.today() - visits[0].visited_on).days if visits else None,
        "due_days": settings.TWINNING_VISIT_DUE_DAYS,
        "can_assign": in_capture and user.can(Capability.MANAGE_HELPERS),
        "can_visit": in_capture and user.can(Capability.RECORD_VISITS),
        "can_reveal": context.get("can_reveal", False),
    }


def _household_id(item: Any) -> int | None:
    """A worklist row (with ``.case``), a case, a visit or a household: its household's id."""
    item = getattr(item, "case", item)
    if isinstance(item, Household):
        return item.pk
    return getattr(item, "household_id", None)


@register.simple_tag(takes_context=True)
def last_visit_ages(context: template.Context, rows: Iterable[Any]) -> dict[int, int]:
    """Household id → days since the last recorded visit, for one page of a worklist (one query)."""
    user = _user(context)
    if user is None or not user.is_authenticated:
        return {}
    return selectors.last_visit_days(user, [_household_id(row) for row in rows if row is not None])


@register.filter
def visit_late(days: int | None) -> bool:
    """Whether a last visit is older than the county's usual interval (``TWINNING_VISIT_DUE_DAYS``)."""
    return days is None or days > settings.TWINNING_VISIT_DUE_DAYS
