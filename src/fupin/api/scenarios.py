"""Policy scenarios over the API, for a province's own analysts: list the scenarios of one's area, run
one (simulation or sensitivity sweep) and read a run's figures. Scoped like the pages (a scenario or run
outside one's area is 404), for the roles that may simulate (403 otherwise), and audited."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from fupin.api.auth import actor
from fupin.api.schemas import MessageOut, ValidationErrorOut
from fupin.audit import services as audit
from fupin.scenarios import selectors, services

router = Router(tags=["scenarios"])


class ScenarioOut(Schema):
    id: int
    name: str
    area_code: str = Field(alias="area.code")
    base_pack: str
    base_version: str
    overlay: dict[str, Any] = Field(description="the changes: region, parameters {name: value}, rules")
    effective_from: dt.date
    created_at: Any


class SweepIn(Schema):
    parameter: str
    start: float
    stop: float
    step: float


class RunIn(Schema):
    area_code: str = Field("", description="the scenario's area (default) or a county inside it")
    as_of: dt.date | None = Field(None, description="the simulated date (default today)")
    sweep: SweepIn | None = Field(None, description="a sensitivity sweep over one numeric parameter instead")


class RunOut(Schema):
    id: int
    scenario_id: int
    kind: str
    area_code: str = Field(alias="area.code")
    as_of: dt.date
    status: str = Field(description="running, finished or failed")
    stage: str
    percent: int
    seconds: float
    result: dict[str, Any] = Field(
        description="totals, levels (county/township/village), by_category, by_risk_type, by_rule, "
        "attribution and example household ids (a sweep: steps and counties)"
    )


ERRORS: dict[int, Any] = {403: MessageOut, 404: MessageOut, 409: MessageOut, 422: ValidationErrorOut}


@router.get(
    "/scenarios", response={200: list[ScenarioOut], 403: MessageOut}, summary="Scenarios of your area"
)
def list_scenarios(request: HttpRequest) -> Any:
    user = actor(request)
    selectors.require_simulate(user)
    return list(selectors.scenarios_for(user)[:200])


@router.post(
    "/scenarios/{int:scenario_id}/runs",
    response={201: RunOut, **ERRORS},
    summary="Run a scenario against the pack in force on your area's registry (or a sweep)",
)
def start_run(request: HttpRequest, scenario_id: int, payload: RunIn) -> Any:
    user = actor(request)
    scenario = selectors.get_scenario(user, scenario_id)
    run = services.start_run(
        actor=user,
        scenario=scenario,
        area_code=payload.area_code,
        as_of=payload.as_of,
        sweep=payload.sweep.dict() if payload.sweep else None,
    )
    services.run_in_background(run)
    run.refresh_from_db()
    return 201, run


@router.get(
    "/scenario-runs/{int:run_id}",
    response={200: RunOut, 403: MessageOut, 404: MessageOut},
    summary="A scenario run: its progress, then its figures",
)
def read_run(request: HttpRequest, run_id: int) -> Any:
    user = actor(request)
    run = selectors.get_run(user, run_id)
    audit.record(
        actor=user,
        action="scenario.read",
        object_type="scenario_run",
        object_id=run.pk,
        area_code=run.area.code,
        summary=f"scenario run {run.pk} read over the API",
    )
    return run
