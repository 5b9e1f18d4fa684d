"""Reading the data checks for a user: the areas they may check, the counts, the failing records.

A check's own query runs over the chosen area and then through the scoping layer: an area outside the
user's view scope is "not found", and a record outside the scope is never counted or listed, even when
the area holds it (a user granted two villages of a township, checking the township).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from fupin.accounts import scope
from fupin.areas.models import Area
from fupin.areas.selectors import area_for  # noqa: F401 - the checks pages' area lookup
from fupin.checks.catalogue import CATALOGUE, Check, CheckContext
from fupin.registry.choices import Relation
from fupin.registry.models import Household, Member


def areas_to_check(user: Any) -> list[Area]:
    """The user's granted areas and the areas inside them that hold households: counties and townships,
    and villages too for a user whose areas are townships or villages (a short list)."""
    paths = scope.granted_paths(user, "view")
    if not paths:
        return []
    codes = set(Area.objects.filter(path__in=paths).values_list("code", flat=True))
    with_villages = all(len(code) >= 9 for code in codes)
    holding = (
        scope.scoped(Household.objects.all(), user)
        .values_list("village__county_code", "village__township_code", "village__code")
        .distinct()
    )
    for county, township, village in holding:
        codes.update(code for code in (county, township, village if with_villages else "") if code)
    areas = Area.objects.filter(code__in=codes).order_by("path")
    return [area for area in areas if scope.area_in_scope(user, area.path)]


@dataclass(frozen=True)
class CheckCount:
    check: Check
    count: int


def counts(user: Any, ctx: CheckContext, checks: tuple[Check, ...] = CATALOGUE) -> list[CheckCount]:
    """How many records of the area fail each check, within the user's scope (one query a check)."""
    return [CheckCount(check, scope.scoped(check.failing(ctx), user).count()) for check in checks]


def failing(user: Any, ctx: CheckContext, check: Check) -> QuerySet[Any]:
    """The failing records in the user's scope, ready to list."""
    return for_listing(check, ctx, scope.scoped(check.failing(ctx), user))


def for_listing(check: Check, ctx: CheckContext, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Ordered by household number, with village, township and head loaded, and what the detail reads.

    Pages pass a scoped queryset; only the operator's command passes the area's whole ``failing``.
    """
    heads = Member.objects.filter(relation=Relation.HEAD, exit_reason="").order_by("pk")
    if check.target == "household":
        queryset = queryset.select_related("village__parent").prefetch_related(
            Prefetch("members", queryset=heads, to_attr="heads")
        )
        ordered = queryset.order_by("number")
    else:
        queryset = queryset.select_related("household__village__parent").prefetch_related(
            Prefetch("household__members", queryset=heads, to_attr="heads")
        )
        ordered = queryset.order_by("household__number", "pk")
    return check.listing(ordered, ctx)
