"""Reads of supervision, always through the scoping layer: the problem list with its filters, one
problem, an evidence file, the rectification ledger of an area and the counts per area.

Overdue is read from ``fupin.core.clock.today()``: a problem is overdue on the day after its deadline
while it is not closed; a closed problem was closed late when its closing day is after the deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from fupin.accounts import scope
from fupin.areas.models import Area, AreaLevel
from fupin.core import clock
from fupin.registry.models import Household
from fupin.supervision.models import (
    Evidence,
    InspectedHousehold,
    Inspection,
    Problem,
    ReportRound,
    ReportSubmission,
    SituationReport,
    Source,
    Status,
    Stratum,
)


def overdue_q(today: dt.date) -> Q:
    """Not closed and past the deadline (a problem without a deadline is never overdue)."""
    return Q(deadline__lt=today) & ~Q(status=Status.CLOSED)


def is_overdue(problem: Problem, today: dt.date | None = None) -> bool:
    day = today or clock.today()
    return problem.status != Status.CLOSED and problem.deadline is not None and problem.deadline < day


@dataclass(frozen=True)
class Filters:
    source: str = ""
    status: str = ""  # a Status, "open" or "" (all)
    overdue: bool = False
    area_code: str = ""

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        source = query.get("source", "")
        status = query.get("status", "")
        return cls(
            source=source if source in Source.values else "",
            status=status if status in (*Status.values, "open") else "",
            overdue=query.get("overdue") == "1",
            area_code=str(query.get("area", ""))[:12],
        )

    def as_audit(self) -> dict[str, Any]:
        return {"source": self.source, "status": self.status, "overdue": self.overdue, "area": self.area_code}


def visible_area(user: Any, code: str) -> Area | None:
    """The area with this code when the user may read it; None otherwise (the caller answers 404)."""
    area = Area.objects.filter(code=code).first()
    if area is None or not scope.area_in_scope(user, area.path):
        return None
    return area


def problems_for(user: Any, filters: Filters = Filters(), area: Area | None = None) -> QuerySet[Problem]:
    """The problems in the user's view scope, narrowed by the filters (area: its subtree)."""
    queryset = scope.scoped(Problem.objects.all(), user).select_related("area", "household")
    if area is not None:
        queryset = queryset.filter(area__path__startswith=area.path)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.status == "open":
        queryset = queryset.exclude(status=Status.CLOSED)
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.overdue:
        queryset = queryset.filter(overdue_q(clock.today()))
    return queryset.order_by("deadline", "-found_on", "id")


def get_problem(user: Any, pk: int) -> Problem:
    """One problem in the user's view scope (``Problem.DoesNotExist`` otherwise: the page says 404)."""
    return scope.scoped(Problem.objects.select_related("area", "household", "recorded_by"), user).get(pk=pk)


def problem_page(problem: Problem) -> dict[str, Any]:
    """What the problem's page shows: tasks, rectifications with their evidence, the steps."""
    rectifications = list(
        problem.rectifications.select_related("recorded_by", "decided_by").prefetch_related("evidence")
    )
    return {
        "tasks": list(problem.tasks.all()),
        "rectifications": rectifications,
        "waiting": next((r for r in reversed(rectifications) if r.decision == "waiting"), None),
        "events": list(problem.events.select_related("actor")),
        "overdue": is_overdue(problem),
    }


def get_evidence(user: Any, pk: int) -> Evidence:
    return scope.scoped(Evidence.objects.select_related("rectification__problem__area"), user).get(pk=pk)


def ledger(user: Any, area: Area) -> QuerySet[Problem]:
    """The rectification ledger (整改台账) of an area: every problem in its subtree, with its tasks."""
    return (
        scope.scoped(Problem.objects.all(), user)
        .filter(area__path__startswith=area.path)
        .select_related("area", "household")
        .prefetch_related("tasks", "rectifications")
        .order_by("area__code", "found_on", "id")
    )


@dataclass(frozen=True)
class AreaCount:
    area: Area
    total: int
    open: int
    overdue: int
    closed: int
    closed_late: int

    @property
    def closed_on_time(self) -> int:
        return self.closed - self.closed_late


def _child_level(area: Area) -> int:
    return min(int(area.level) + 1, AreaLevel.VILLAGE)


def counts_by_area(user: Any, area: Area) -> list[AreaCount]:
    """Problems of the area's subtree per area one level below (per village for a village itself), in
    the user's scope: total, open, overdue, closed, closed late. One grouped query."""
    today = clock.today()
    level = int(area.level)
    child = _child_level(area) if level < AreaLevel.VILLAGE else level
    length = {AreaLevel.PREFECTURE: 4, AreaLevel.COUNTY: 6, AreaLevel.TOWNSHIP: 9, AreaLevel.VILLAGE: 12}[
        AreaLevel(child)
    ]
    column = {4: "area__prefecture_code", 6: "area__county_code", 9: "area__township_code", 12: "area__code"}[
        length
    ]
    rows = (
        scope.scoped(Problem.objects.all(), user)
        .filter(area__path__startswith=area.path)
        .values(column)
        .annotate(
            total=Count("id"),
            open=Count("id", filter=~Q(status=Status.CLOSED)),
            overdue=Count("id", filter=overdue_q(today)),
            closed=Count("id", filter=Q(status=Status.CLOSED)),
            closed_late=Count("id", filter=Q(status=Status.CLOSED, closed_on__gt=F("deadline"))),
        )
    )
    by_code = {row[column]: row for row in rows}
    # A problem recorded for a whole township sits on the township, not a village: counted under it.
    areas = {a.code: a for a in Area.objects.filter(code__in=[c for c in by_code if c])}
    result = []
    for code, row in sorted(by_code.items(), key=lambda item: item[0] or ""):
        shown = areas.get(code) if code else area
        result.append(
            AreaCount(
                area=shown or area,
                total=row["total"],
                open=row["open"],
                overdue=row["overdue"],
                closed=row["closed"],
                closed_late=row["closed_late"],
            )
        )
    return result


def areas_for(user: Any) -> list[Area]:
    """The user's granted areas (the list's area choices start here)."""
    paths = scope.granted_paths(user, "view")
    return list(Area.objects.filter(path__in=paths).order_by("path"))


def capture_areas(user: Any) -> list[Area]:
    """Areas where the user may record a problem: the granted capture areas and what lies inside."""
    paths = scope.granted_paths(user, "capture")
    if not paths:
        return []
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return list(Area.objects.filter(condition, level__gte=AreaLevel.COUNTY).order_by("path")[:500])


# ---------------------------------------------------------------- inspections


def stratum_of(household: Household) -> str:
    """The sampling stratum: the monitoring category of a monitored household, else lifted-out or
    ordinary (a registered-poor household counts with the lifted-out ones)."""
    if household.monitoring_category in Stratum.values:
        return household.monitoring_category
    return Stratum.ORDINARY if household.household_type == "ordinary" else Stratum.LIFTED_OUT


def sampling_frame(area: Area) -> list[tuple[int, str]]:
    """Every household of the area that can be visited (not cancelled), as (id, stratum)."""
    rows = (
        Household.objects.filter(village__path__startswith=area.path)
        .exclude(status="cancelled")
        .values_list("pk", "monitoring_category", "household_type")
    )
    return [(pk, stratum_of(Household(monitoring_category=m, household_type=t))) for pk, m, t in rows]


def inspections_for(user: Any) -> QuerySet[Inspection]:
    """The inspections of areas in the user's view scope, with their counts, newest first.

    An inspection belongs to the area it samples, so the villages and townships below it never see the
    plan of an unannounced visit: only the levels whose scope holds the whole area do.
    """
    return (
        visible_inspections(user)
        .select_related("area")
        .annotate(
            drawn=Count("households", distinct=True),
            visited=Count("households", filter=Q(households__visited_on__isnull=False), distinct=True),
            found=Count("problems", distinct=True),
        )
        .order_by("-starts_on", "-id")
    )


def visible_inspections(user: Any) -> QuerySet[Inspection]:
    """Inspections in the user's view scope; an unannounced visit (暗访) of a township or village only to
    those whose areas are above it: the township or village visited does not see the plan."""
    strictly_above = Q(pk__in=[])
    for path in scope.granted_paths(user, "view"):
        strictly_above |= Q(area__path__startswith=path) & ~Q(area__path=path)
    plan_is_open = ~Q(source=Source.UNANNOUNCED_VISIT) | Q(area__level__lte=AreaLevel.COUNTY)
    return scope.scoped(Inspection.objects.all(), user).filter(plan_is_open | strictly_above)


def get_inspection(user: Any, pk: int) -> Inspection:
    return visible_inspections(user).select_related("area", "created_by").get(pk=pk)


@dataclass(frozen=True)
class StratumRow:
    stratum: str
    label: str
    population: int
    drawn: int
    visited: int


def inspection_households(inspection: Inspection) -> QuerySet[InspectedHousehold]:
    """The sample with each household's village and head (for the team's visit list)."""
    from django.db.models import Prefetch

    from fupin.registry.models import Member

    heads = Member.objects.filter(relation="head", exit_reason="").only("household_id", "name").order_by("id")
    return (
        inspection.households.select_related("household__village__parent")
        .prefetch_related(Prefetch("household__members", queryset=heads, to_attr="heads"))
        .order_by("stratum", "draw_order")
    )


def inspection_strata(inspection: Inspection) -> list[StratumRow]:
    """Per stratum: households in the area now, drawn, visited (the sample's make-up at a glance)."""
    from collections import Counter

    population = Counter(stratum for _, stratum in sampling_frame(inspection.area))
    drawn = Counter(inspection.households.values_list("stratum", flat=True))
    visited = Counter(
        inspection.households.filter(visited_on__isnull=False).values_list("stratum", flat=True)
    )
    return [
        StratumRow(value, str(label), population[value], drawn[value], visited[value])
        for value, label in Stratum.choices
        if population[value] or drawn[value]
    ]


# ---------------------------------------------------------------- important situation reports


def acknowledging_level(user: Any) -> str:
    """Which level's acknowledgement the user gives: "province" for province staff, else "county"."""
    return "province" if user.role == "province_viewer" else "county"


def situations_for(user: Any, *, waiting_only: bool = False) -> QuerySet[SituationReport]:
    """Reports of areas in the user's view scope, newest first; ``waiting_only``: not yet acknowledged
    at the user's level (the county's or the province's)."""
    queryset = scope.scoped(SituationReport.objects.select_related("area", "reported_by"), user)
    if waiting_only:
        queryset = queryset.filter(**{f"{acknowledging_level(user)}_acknowledged_at__isnull": True})
    return queryset.annotate(follow_ups=Count("updates")).order_by("-reported_at", "-id")


def get_situation(user: Any, pk: int) -> SituationReport:
    return scope.scoped(
        SituationReport.objects.select_related(
            "area", "reported_by", "county_acknowledged_by", "province_acknowledged_by"
        ),
        user,
    ).get(pk=pk)


# ---------------------------------------------------------------- scheduling reports


def rounds_for(user: Any) -> QuerySet[ReportRound]:
    """Rounds issued from an area in the user's view scope, with their counts, newest first."""
    return (
        scope.scoped(ReportRound.objects.select_related("issuer_area"), user)
        .annotate(
            areas=Count("submissions", distinct=True),
            submitted=Count("submissions", filter=~Q(submissions__status="pending"), distinct=True),
            accepted=Count("submissions", filter=Q(submissions__status="accepted"), distinct=True),
        )
        .order_by("-issued_at", "-id")
    )


def get_round(user: Any, pk: int) -> ReportRound:
    return scope.scoped(ReportRound.objects.select_related("issuer_area", "issued_by"), user).get(pk=pk)


def to_fill(user: Any) -> QuerySet[ReportSubmission]:
    """The reports the user's own areas fill (their capture grants), open ones first."""
    paths = scope.granted_paths(user, "capture")
    return (
        ReportSubmission.objects.filter(area__path__in=paths)
        .select_related("round", "area")
        .order_by("status", "round__deadline", "id")
    )


def get_submission(user: Any, pk: int) -> ReportSubmission:
    """A submission the user may read: its own area's (view scope), or one of a round the user issued
    from an area in scope."""
    queryset = ReportSubmission.objects.select_related("round__issuer_area", "area", "submitted_by")
    visible = scope.scoped(queryset, user).filter(pk=pk).first()
    if visible is not None:
        return visible
    return queryset.get(pk=pk, round__in=scope.scoped(ReportRound.objects.all(), user))


def is_late(submission: ReportSubmission, today: dt.date | None = None) -> bool:
    """Not in (never submitted, or returned) and the deadline has passed; or submitted after it."""
    deadline = submission.round.deadline
    if submission.status in ("pending", "returned"):  # not in (a returned one is not in either)
        return (today or clock.today()) > deadline
    return submission.submitted_on is not None and submission.submitted_on > deadline


@dataclass(frozen=True)
class RollupRow:
    area: Area | None  # None: the issuer's total
    accepted: int
    of: int
    sums: dict[str, Any]


def rollup(round: ReportRound) -> tuple[list[Any], list[RollupRow]]:
    """The numeric fields and, per area one level below the issuer and for the whole, the sum of the
    accepted submissions (a figure is summed exactly: Decimal)."""
    from decimal import Decimal

    from fupin.supervision import schedules

    fields = [f for f in schedules.fields_of(round.fields) if f.numeric]
    submissions = list(round.submissions.select_related("area"))
    issuer = round.issuer_area
    child_length = {0: 2, 1: 4, 2: 6, 3: 9, 4: 12}.get(int(issuer.level), 12)
    groups: dict[str, list[ReportSubmission]] = {}
    for submission in submissions:
        groups.setdefault(submission.area.code[:child_length], []).append(submission)

    def row(area: Area | None, members: list[ReportSubmission]) -> RollupRow:
        accepted = [m for m in members if m.status == "accepted"]
        sums = {
            f.code: sum((Decimal(m.values.get(f.code) or 0) for m in accepted), Decimal(0)) for f in fields
        }
        return RollupRow(area, len(accepted), len(members), sums)

    areas = {a.code: a for a in Area.objects.filter(code__in=list(groups))}
    rows = [row(areas.get(code), members) for code, members in sorted(groups.items())]
    return fields, [*rows, row(None, submissions)]
