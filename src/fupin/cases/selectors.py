"""Reading cases: worklists, counts per area for supervisors, a household's timeline. Always scoped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.cases.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    Declaration,
    DeclarationStatus,
    Notification,
    State,
    VillageNotice,
)
from fupin.core import clock
from fupin.core.errors import OutOfScope
from fupin.registry.models import Household

# Which steps a capability acts on: a user's worklist is the open cases at these steps.
STEPS_OF = {
    Capability.VILLAGE_STEPS: (State.VISIT, State.APPRAISAL, State.NOTICE, State.IN_NOTICE),
    Capability.TOWNSHIP_REVIEW: (State.TOWNSHIP,),
    Capability.COUNTY_DECISION: (State.COUNTY,),
}


def overdue_q(today: dt.date) -> Q:
    """Open cases past their step's due day or past the decision deadline (due day itself is on time)."""
    return Q(state__in=OPEN_STATES) & (Q(step_due__lt=today) | Q(decision_due__lt=today))


def is_overdue(case: Case, today: dt.date | None = None) -> bool:
    today = today or clock.today()
    return case.state in OPEN_STATES and (case.step_due < today or case.decision_due < today)


def cases_for(user: Any, mode: scope.ScopeMode = "view") -> QuerySet[Case]:
    return scope.scoped(Case.objects.select_related("household__village"), user, mode)


def get_case(user: Any, pk: int) -> Case:
    case = (
        cases_for(user).select_related("notice", "clue", "submitted_by", "township_by").filter(pk=pk).first()
    )
    if case is None:
        raise OutOfScope()
    return case


@dataclass(frozen=True)
class CaseFilters:
    state: str = ""
    kind: str = ""
    overdue: bool = False
    due_by: dt.date | None = None
    area_code: str = ""
    household_number: str = ""
    open_only: bool = True


def _filtered(queryset: QuerySet[Case], filters: CaseFilters) -> QuerySet[Case]:
    if filters.open_only and not filters.state:
        queryset = queryset.filter(state__in=OPEN_STATES)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.overdue:
        queryset = queryset.filter(overdue_q(clock.today()))
    if filters.due_by:
        queryset = queryset.filter(step_due__lte=filters.due_by)
    if filters.area_code:
        queryset = queryset.filter(household__village__path__contains=f"/{filters.area_code}/")
    if filters.household_number:
        queryset = queryset.filter(household__number=filters.household_number.strip())
    return queryset.order_by("step_due", "id")


def search_cases(user: Any, filters: CaseFilters) -> QuerySet[Case]:
    return _filtered(cases_for(user), filters)


def my_tasks(user: Any, filters: CaseFilters | None = None) -> QuerySet[Case]:
    """Open cases in the user's capture area at a step their role takes, minus those they may not review."""
    steps: list[str] = []
    for capability, states in STEPS_OF.items():
        if user.can(capability):
            steps.extend(states)
    if not steps:
        return Case.objects.none()
    tasks = cases_for(user, "capture").filter(state__in=steps)
    # Nobody reviews their own step (fupin.cases.workflow): such cases wait for someone else.
    tasks = tasks.exclude(Q(state=State.TOWNSHIP) & Q(submitted_by=user))
    tasks = tasks.exclude(Q(state=State.COUNTY) & (Q(submitted_by=user) | Q(township_by=user)))
    return _filtered(tasks, filters or CaseFilters())


def new_declarations(user: Any) -> QuerySet[Declaration]:
    if not user.can(Capability.RAISE_CLUE):
        return Declaration.objects.none()
    found = scope.scoped(Declaration.objects.select_related("village"), user, "capture")
    return found.filter(status=DeclarationStatus.NEW).order_by("created_at", "id")


def get_declaration(user: Any, pk: int) -> Declaration:
    declaration = (
        scope.scoped(Declaration.objects.select_related("village", "case"), user).filter(pk=pk).first()
    )
    if declaration is None:
        raise OutOfScope()
    return declaration


@dataclass(frozen=True)
class AreaCount:
    area: Area
    open: int
    overdue: int
    by_state: dict[str, int]


def counts_by_area(user: Any, parent: Area | None = None) -> list[AreaCount]:
    """Open and overdue cases per child area of ``parent`` (default: the user's widest granted area)."""
    if parent is None:
        granted = scope.granted_paths(user, "view")
        if not granted:
            return []
        parent = Area.objects.filter(path=granted[0]).first()
        if parent is None:
            return []
    children = list(Area.objects.filter(parent=parent).order_by("code"))
    if not children:
        children = [parent]
    # The village's code for the children's level: its county code when the children are counties.
    key = {
        1: "household__village__province_code",
        2: "household__village__prefecture_code",
        3: "household__village__county_code",
        4: "household__village__township_code",
        5: "household__village__code",
    }[children[0].level]
    today = clock.today()
    cases = cases_for(user).filter(state__in=OPEN_STATES, household__village__path__startswith=parent.path)
    rows = cases.values(key, "state").annotate(n=Count("id"), late=Count("id", filter=overdue_q(today)))
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = totals.setdefault(row[key], {"open": 0, "overdue": 0, "by_state": {}})
        entry["open"] += row["n"]
        entry["overdue"] += row["late"]
        entry["by_state"][row["state"]] = row["n"]
    return [
        AreaCount(
            area=child,
            open=totals.get(child.code, {}).get("open", 0),
            overdue=totals.get(child.code, {}).get("overdue", 0),
            by_state=totals.get(child.code, {}).get("by_state", {}),
        )
        for child in children
    ]


def timeline(user: Any, household: Household) -> QuerySet[CaseEvent]:
    """Every step of every case of a household, oldest first (the household is already scope-checked)."""
    events = scope.scoped(CaseEvent.objects.select_related("case", "actor"), user)
    return events.filter(case__household=household).order_by("at", "id")


def notices_for(user: Any) -> QuerySet[VillageNotice]:
    return scope.scoped(VillageNotice.objects.select_related("village"), user)


def get_notice(user: Any, pk: int) -> VillageNotice:
    notice = notices_for(user).filter(pk=pk).first()
    if notice is None:
        raise OutOfScope()
    return notice


def notifications_for(user: Any, limit: int = 50) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")[:limit]
