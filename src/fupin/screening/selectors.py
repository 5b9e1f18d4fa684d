"""Reads: risk clues and runs in a user's scope, and the rules one household hits now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from fupin.accounts import scope
from fupin.engine.screening import screen
from fupin.registry.choices import MonitoringCategory, RiskType
from fupin.registry.models import Household
from fupin.screening import packs
from fupin.screening.models import ClueStatus, RiskClue, ScreeningRun
from fupin.screening.services import explanation_of
from fupin.screening.snapshot import snapshot


def clues_for(user: Any) -> QuerySet[RiskClue]:
    return scope.scoped(RiskClue.objects.select_related("household", "household__village", "run"), user)


@dataclass(frozen=True)
class ClueFilters:
    status: str = ClueStatus.OPEN  # "" or anything unknown: every status
    category: str = ""
    risk_type: str = ""
    area_code: str = ""


def search_clues(user: Any, filters: ClueFilters) -> QuerySet[RiskClue]:
    """Clues in the user's scope that match the filters, newest first (pages, API and exports)."""
    clues = clues_for(user)
    if filters.status in ClueStatus.values:
        clues = clues.filter(status=filters.status)
    if filters.category in MonitoringCategory.values:
        clues = clues.filter(suggested_category=filters.category)
    if filters.risk_type in RiskType.values:
        clues = clues.filter(risk_types__contains=f",{filters.risk_type},")
    area_code = filters.area_code.strip()
    if area_code.isdigit():
        clues = clues.filter(household__village__code__startswith=area_code)
    return clues.order_by("-created_at", "-id")


def open_clue_count(user: Any) -> int:
    return clues_for(user).filter(status=ClueStatus.OPEN).count()


def runs_for(user: Any) -> QuerySet[ScreeningRun]:
    """Runs over an area the user can see (or that contains it: a county run concerns its villages)."""
    paths = scope.granted_paths(user, "view")
    if not paths:
        return ScreeningRun.objects.none()
    condition = Q()
    for path in paths:
        # Inside the user's area, or one of its ancestors (paths look like /22/2208/220822/).
        parts = path.strip("/").split("/")
        ancestors = ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts))]
        condition |= Q(area__path__startswith=path) | Q(area__path__in=ancestors)
    return ScreeningRun.objects.select_related("area", "started_by").filter(condition)


@dataclass(frozen=True)
class RunFigures:
    """What a run found, as far as the user may see it.

    A run over the user's own area (or inside it) shows its totals. A run over an area that only
    contains the user's (a county run seen by a village cadre) shows what it found inside the
    user's areas: its new clues there and their rules. Its households screened and its hits across
    the county are counts of other villages' records, and are not shown (``whole`` is False).
    """

    whole: bool
    households: int | None
    hits: int
    new_clues: int
    skipped_open: int | None
    counts: dict[str, int]


def run_figures(user: Any, run: ScreeningRun) -> RunFigures:
    paths = scope.granted_paths(user, "view")
    if any(run.area.path.startswith(path) for path in paths):
        return RunFigures(True, run.households, run.hits, run.new_clues, run.skipped_open, dict(run.counts))
    counts: dict[str, int] = {}
    clues = clues_for(user).filter(run=run).values_list("rule_ids", flat=True)
    new_clues = 0
    for rule_ids in clues:
        new_clues += 1
        for rule in rule_ids:
            counts[rule] = counts.get(rule, 0) + 1
    return RunFigures(False, None, sum(counts.values()), new_clues, None, counts)


def rules_hit_now(household: Household) -> list[dict[str, Any]]:
    """The rules this household hits today, by the same compiled pack as the batch (DuckDB, in process).

    The caller has already read ``household`` through the scoping layer.
    """
    checked = packs.checked()
    today = timezone.localdate()
    data = snapshot(household.village, household_ids=[household.pk], as_of=today)
    result = screen(checked, data, today)
    return explanation_of(checked, result.hits)
