"""Reads the pages need beyond ``registry.selectors``; all of them go through the scoping layer.

Candidates to move into ``registry.selectors`` / an ``areas.selectors`` module later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit.models import AuditEntry
from fupin.audit.selectors import history_of_many
from fupin.core.errors import OutOfScope
from fupin.registry import selectors
from fupin.registry.choices import Relation
from fupin.registry.models import (
    Household,
    HouseholdTypeHistory,
    IncomeRecord,
    Member,
    MonitoringHistory,
)


def granted_areas(user: Any) -> list[Area]:
    """The areas assigned to the user (view or capture), each once, by code."""
    if not getattr(user, "is_authenticated", False):
        return []
    ids = user.area_grants.values_list("area_id", flat=True)
    return list(Area.objects.filter(id__in=ids).order_by("code"))


def villages_in_scope(user: Any, mode: scope.ScopeMode = "view") -> list[Area]:
    """Villages inside the user's view or capture scope, with their townships."""
    if not scope.granted_paths(user, mode):
        return []
    return list(
        Area.objects.filter(scope.scope_filter(user, mode, "path"), level=AreaLevel.VILLAGE)
        .select_related("parent")
        .order_by("code")
    )


def filter_areas(user: Any, limit: int = 1500) -> list[Area]:
    """Areas to offer in the list's area filter: the whole subtree when it is small enough,
    otherwise down to townships, otherwise down to counties (a province has thousands of villages)."""
    if not scope.granted_paths(user, "view"):
        return []
    base = Area.objects.filter(scope.scope_filter(user, "view", "path"))
    upper = [AreaLevel.PREFECTURE, AreaLevel.COUNTY]
    for levels in (
        [*upper, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE],
        [*upper, AreaLevel.TOWNSHIP],
        upper,
    ):
        chosen = base.filter(level__in=levels)
        if len(levels) == len(upper) or chosen.count() <= limit:
            break
    return list(chosen.order_by("code"))


def heads_prefetch(household: str = "") -> Prefetch[Any]:
    """Prefetch of the current head into ``heads`` of each household (``household``: the path to it)."""
    heads = Member.objects.filter(relation=Relation.HEAD, exit_reason="").order_by("id")
    return Prefetch(f"{household}__members" if household else "members", queryset=heads, to_attr="heads")


def head_of(household: Household) -> Member | None:
    """The current head fetched by ``heads_prefetch``, if any."""
    heads = getattr(household, "heads", [])
    return heads[0] if heads else None


def household_rows(user: Any, filters: selectors.HouseholdFilters) -> QuerySet[Household]:
    """The household search with what a list row shows: village, township and the current head;
    after a search by the end of an ID number, also the members it matched (``id_matches``), whose
    numbers the row shows masked."""
    rows = (
        selectors.search_households(user, filters)
        .select_related("village__parent")
        .prefetch_related(heads_prefetch())
    )
    query = selectors.parse_query(filters.query)
    if query.id_tail:
        matched = Member.objects.filter(selectors.id_tail_condition(query.id_tail)).order_by("id")
        rows = rows.prefetch_related(Prefetch("members", queryset=matched, to_attr="id_matches"))
    return rows


@dataclass
class HouseholdDetail:
    household: Household
    members: list[Member]
    incomes: list[IncomeRecord]
    type_history: list[HouseholdTypeHistory]
    monitoring_history: list[MonitoringHistory]
    changes: list[AuditEntry]


def household_detail(user: Any, pk: int) -> HouseholdDetail:
    """Everything the household page shows; ``OutOfScope`` when the user may not see it."""
    household = selectors.households_for(user).select_related("village__parent").filter(pk=pk).first()
    if household is None:
        raise OutOfScope()
    members = list(household.members.order_by("exit_reason", "id"))
    incomes = list(household.incomes.order_by("-year"))
    type_history = list(
        household.type_history.select_related("recorded_by").order_by("-effective_from", "-id")
    )
    monitoring_history = list(
        household.monitoring_history.select_related("recorded_by").order_by("-effective_from", "-id")
    )
    changes = history_of_many(
        {
            "household": [household.pk],
            "member": [member.pk for member in members],
            "income": [income.pk for income in incomes],
        }
    )
    return HouseholdDetail(
        household=household,
        members=members,
        incomes=incomes,
        type_history=type_history,
        monitoring_history=monitoring_history,
        changes=changes,
    )


def get_income(user: Any, household: Household, year: int) -> IncomeRecord:
    record = selectors.incomes_for(user).filter(household=household, year=year).first()
    if record is None:
        raise OutOfScope()
    return record


def may_edit(user: Any, household: Household) -> bool:
    """Whether edit buttons are shown: the role edits and the household is in capture scope."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.can(Capability.EDIT_RECORDS)
        and scope.area_in_scope(user, household.village.path, "capture")
    )
