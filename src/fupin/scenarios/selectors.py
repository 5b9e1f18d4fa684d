"""Reads: scenarios, their runs and publication requests in a user's scope, and what pages show of them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fupin.accounts import scope
from fupin.accounts.roles import Capability, has_capability
from fupin.areas.models import Area
from fupin.core.errors import NotPermitted, OutOfScope
from fupin.registry.models import Household
from fupin.scenarios.models import Publication, Scenario, ScenarioRun
from fupin.scenarios.services import SCENARIO_LEVELS

COMPARE_AT_MOST = 3


def require_simulate(user: Any) -> None:
    if not has_capability(getattr(user, "role", ""), Capability.RUN_SCENARIOS):
        from fupin.accounts.roles import refusal

        raise NotPermitted(refusal(getattr(user, "role", ""), Capability.RUN_SCENARIOS))


def scenarios_for(user: Any) -> QuerySet[Scenario]:
    return scope.scoped(Scenario.objects.select_related("area", "author"), user, "view")


def runs_for(user: Any) -> QuerySet[ScenarioRun]:
    return scope.scoped(ScenarioRun.objects.select_related("area", "scenario", "started_by"), user, "view")


def get_scenario(user: Any, pk: int) -> Scenario:
    """A scenario in the user's scope (else OutOfScope: 'not found'), for a role that may simulate."""
    found = scenarios_for(user).filter(pk=pk).first()
    if found is None:
        raise OutOfScope
    require_simulate(user)
    return found


def get_run(user: Any, pk: int) -> ScenarioRun:
    found = runs_for(user).filter(pk=pk).first()
    if found is None or not scope.area_in_scope(user, found.scenario.area.path, "view"):
        raise OutOfScope
    require_simulate(user)
    return found


def get_publication(user: Any, pk: int) -> Publication:
    found = (
        scope.scoped(Publication.objects.select_related("scenario__area"), user, "view").filter(pk=pk).first()
    )
    if found is None:
        raise OutOfScope
    require_simulate(user)
    return found


def scenario_areas(user: Any) -> list[Area]:
    """Where the user may set up a scenario: granted areas (province to county) and the counties in them."""
    granted = Area.objects.filter(path__in=scope.granted_paths(user, "view"), level__in=SCENARIO_LEVELS)
    areas = {a.pk: a for a in granted}
    for area in granted:
        for county in Area.objects.filter(path__startswith=area.path, level__in=SCENARIO_LEVELS)[:300]:
            areas.setdefault(county.pk, county)
    return sorted(areas.values(), key=lambda a: a.code)


def run_areas(user: Any, scenario: Scenario) -> list[Area]:
    """The scenario's area and the counties inside it the user may see."""
    inside = Area.objects.filter(path__startswith=scenario.area.path, level__in=SCENARIO_LEVELS)[:300]
    return [a for a in inside if scope.area_in_scope(user, a.path, "view")]


def mask_number(number: str) -> str:
    """A household number with its middle hidden: its village is shown beside it."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 8) + number[-2:]


def example_households(user: Any, ids: list[int]) -> list[dict[str, Any]]:
    """The example households the user may see, masked: number, village, and whether to link."""
    found = {
        h.pk: h
        for h in scope.scoped(Household.objects.select_related("village"), user, "view").filter(pk__in=ids)
    }
    return [
        {"id": pk, "number": mask_number(found[pk].number), "village": found[pk].village.name}
        for pk in ids
        if pk in found
    ]


def compare_runs(user: Any, ids: list[int]) -> list[ScenarioRun]:
    runs = []
    for pk in ids[:COMPARE_AT_MOST]:
        run = runs_for(user).filter(pk=pk, kind="simulation", status="finished").first()
        if run is not None and scope.area_in_scope(user, run.scenario.area.path, "view"):
            runs.append(run)
    return runs
