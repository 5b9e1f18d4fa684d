"""Reads of the project library, every one through the scope layer (outside the scope: not found)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import QueryDict

from fupin.accounts import scope
from fupin.areas.models import Area, AreaLevel
from fupin.projects import workflow
from fupin.projects.models import APPROVED_STATES, Budget, Category, Project, State
from fupin.registry.models import Household


@dataclass(frozen=True)
class Filters:
    state: str = ""  # a State, or "approved" for everything admitted to the library
    category: str = ""
    year: int | None = None
    area_code: str = ""
    text: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        year = query.get("year", "").strip()
        return cls(
            state=query.get("state", "").strip(),
            category=query.get("category", "").strip(),
            year=int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None,
            area_code=query.get("area", "").strip(),
            text=query.get("q", "").strip()[:50],
        )


def projects_for(user: Any, filters: Filters = Filters(), area: Area | None = None) -> QuerySet[Project]:
    queryset = scope.scoped(Project.objects.all(), user).select_related("area", "county")
    if area is not None:
        queryset = queryset.filter(area__path__startswith=area.path)
    if filters.state == "approved":
        queryset = queryset.filter(state__in=APPROVED_STATES)
    elif filters.state in State.values:
        queryset = queryset.filter(state=filters.state)
    if filters.category in Category.values:
        queryset = queryset.filter(category=filters.category)
    if filters.year:
        queryset = queryset.filter(year=filters.year)
    if filters.text:
        queryset = queryset.filter(Q(name__icontains=filters.text) | Q(code__icontains=filters.text))
    return queryset.annotate(budget_fen=Sum("budget__amount_fen"))


def get_project(user: Any, pk: int) -> Project:
    """The project in the user's view scope (Project.DoesNotExist otherwise)."""
    return (
        scope.scoped(Project.objects.all(), user)
        .select_related("area__parent", "county", "proposed_by", "appraisal")
        .prefetch_related(
            "villages", "budget", "targets", "notices", "events__actor", "beneficiaries__household"
        )
        .get(pk=pk)
    )


def visible_area(user: Any, code: str) -> Area | None:
    area = Area.objects.filter(code=code).first()
    if area is None or not scope.area_in_scope(user, area.path):
        return None
    return area


def proposal_areas(user: Any) -> list[Area]:
    """Villages and townships where the user may propose a project (inside their capture scope)."""
    paths = scope.granted_paths(user, "capture")
    if not paths:
        return []
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return list(Area.objects.filter(condition, level__gte=AreaLevel.TOWNSHIP).order_by("path")[:2000])


def allowed_steps(user: Any, project: Project) -> list[workflow.Step]:
    """The buttons to show: steps the user's role may take now, in capture scope."""
    if not scope.area_in_scope(user, project.area.path, "capture"):
        return []
    return workflow.STEPS.allowed(user, project)


def budget_total(project: Project) -> int:
    return sum(b.amount_fen for b in project.budget.all())


@dataclass(frozen=True)
class LibraryFigures:
    """One area's library in numbers: what a county's project staff and the province read first."""

    area: Area
    proposed: int  # not yet decided (any step before the library)
    approved: int  # admitted to the library (and beyond)
    planned: int  # in a year's plan or beyond
    under_way: int
    completed: int
    rejected: int
    budget_fen: int  # budget of the approved projects
    households_driven: int


def library_figures(user: Any, area: Area, year: int | None = None) -> LibraryFigures:
    queryset = projects_for(user, Filters(year=year), area)
    before = [
        s for s in State.values if s not in APPROVED_STATES and s not in (State.REJECTED, State.TERMINATED)
    ]
    counts = queryset.aggregate(
        proposed=Count("pk", filter=Q(state__in=before), distinct=True),
        approved=Count("pk", filter=Q(state__in=APPROVED_STATES), distinct=True),
        planned=Count("pk", filter=Q(state__in=APPROVED_STATES[1:]), distinct=True),
        under_way=Count("pk", filter=Q(state=State.UNDER_WAY), distinct=True),
        completed=Count("pk", filter=Q(state__in=(State.COMPLETED, State.ASSETS_REGISTERED)), distinct=True),
        rejected=Count("pk", filter=Q(state=State.REJECTED), distinct=True),
    )
    approved = scope.scoped(Project.objects.all(), user).filter(
        area__path__startswith=area.path, state__in=APPROVED_STATES, **({"year": year} if year else {})
    )
    budget = Budget.objects.filter(project__in=approved).aggregate(total=Sum("amount_fen"))["total"] or 0
    driven = approved.aggregate(total=Sum("households_driven"))["total"] or 0
    return LibraryFigures(area=area, budget_fen=budget, households_driven=driven, **counts)


def household_projects(user: Any, household: Household) -> list[Project]:
    """Projects that list the household among their beneficiaries (its page and card show them)."""
    return list(
        scope.scoped(Project.objects.all(), user)
        .filter(beneficiaries__household=household)
        .exclude(state__in=(State.REJECTED,))
        .order_by("-year", "code")
    )
