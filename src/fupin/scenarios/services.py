"""Writes of policy scenarios: create one (checked like a pack), run a simulation or sweep, request and
decide its publication. Every write is audited; nothing here touches the registry, clues or cases."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability, has_capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core.errors import Errors, InvalidInput, NotPermitted, OutOfScope, Refused, add_error
from fupin.core.i18n import lazy_format
from fupin.engine import scenarios as engine
from fupin.engine.checker import check_pack
from fupin.engine.packs import PackError, load_pack
from fupin.jobs import services as jobs
from fupin.scenarios.models import (
    Publication,
    PublicationStatus,
    RunKind,
    RunStatus,
    Scenario,
    ScenarioRun,
)
from fupin.screening import packs
from fupin.screening.snapshot import snapshot

logger = logging.getLogger(__name__)

MAX_NAME = 120
SCENARIO_LEVELS = (AreaLevel.PROVINCE, AreaLevel.PREFECTURE, AreaLevel.COUNTY)


def _require(actor: Any, capability: Capability) -> None:
    if not has_capability(getattr(actor, "role", ""), capability):
        from fupin.accounts.roles import refusal

        raise NotPermitted(refusal(getattr(actor, "role", ""), capability))


def base_pack(name: str | None = None) -> Any:
    """The checked pack in force (the installation's default) or a named one."""
    return packs.checked(name)


def parse_value(kind: str, raw: object) -> float | int | bool | None:
    """A form's text as a parameter value of ``kind``; None when it is not one."""
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text)
    if isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > Decimal(10) ** 12:
        return None
    if kind == "integer":
        return int(number) if number == number.to_integral_value() else None
    return float(number)


def problem_messages(error: PackError) -> list[Any]:
    """The checker's problems, each naming its place, for a form."""
    return [
        lazy_format(_("%(place)s: %(problem)s"), place=p.place, problem=p.message) for p in error.problems
    ]


def create_scenario(
    *,
    actor: Any,
    name: str,
    area_code: str,
    parameters: Mapping[str, object],
    rules: list[dict[str, Any]] | None = None,
    note: str = "",
    effective_from: dt.date | None = None,
    pack: str | None = None,
) -> Scenario:
    """Save a scenario after the same checker as every pack accepted it; otherwise nothing is saved.

    ``parameters`` maps a parameter name to its new value (text from a form, or a number); empty
    values are left out (no change).
    """
    _require(actor, Capability.RUN_SCENARIOS)
    errors: Errors = {}
    name = (name or "").strip()
    if not name:
        add_error(errors, "name", _("Give the scenario a name."))
    elif len(name) > MAX_NAME:
        add_error(errors, "name", lazy_format(_("At most %(n)s characters."), n=MAX_NAME))
    area = Area.objects.filter(code=(area_code or "").strip()).first()
    if area is None or not scope.area_in_scope(actor, area.path, "view"):
        add_error(errors, "area", _("Choose an area you work in."))
    elif area.level not in SCENARIO_LEVELS:
        add_error(errors, "area", _("A scenario is for a province, a prefecture or a county."))
    try:
        checked = base_pack(pack)
    except LookupError:
        add_error(errors, "pack", lazy_format(_("No policy pack named %(name)s."), name=pack))
        raise InvalidInput(errors) from None
    values: dict[str, float | int | bool] = {}
    for pname, raw in parameters.items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        parameter = checked.pack.parameters.get(pname)
        if parameter is None:
            add_error(
                errors, f"param_{pname}", lazy_format(_("The pack has no parameter %(name)s."), name=pname)
            )
            continue
        value = parse_value(parameter.type, raw)
        if value is None:
            kind = {"integer": _("a whole number"), "boolean": _("yes or no")}.get(
                parameter.type, _("a number")
            )
            add_error(errors, f"param_{pname}", lazy_format(_("Enter %(kind)s."), kind=kind))
            continue
        values[pname] = value
    effective_from = effective_from or dt.date(timezone.localdate().year + 1, 1, 1)
    if errors:
        raise InvalidInput(errors)
    assert area is not None
    overlay = engine.Overlay(values, tuple(_rule_change(r) for r in rules or ()), region=area.code)
    if not overlay.items():
        raise InvalidInput({"__all__": [_("Change at least one value or rule.")]})
    try:
        engine.check_overlay(checked.pack, overlay, effective_from)
    except PackError as error:
        raise InvalidInput({"__all__": problem_messages(error)}) from None
    with transaction.atomic():
        scenario = Scenario.objects.create(
            name=name,
            note=(note or "").strip(),
            base_pack=checked.pack.name,
            base_version=checked.pack.version,
            area=area,
            overlay=overlay.as_dict(),
            effective_from=effective_from,
            author=actor,
        )
        audit.record(
            actor=actor,
            action="scenario.create",
            object_type="scenario",
            object_id=scenario.pk,
            area_code=area.code,
            summary=f"{checked.pack.label}: {len(overlay.items())} change(s)",
            changes={"parameters": {k: v for k, v in values.items()}, "rules": [r.id for r in overlay.rules]},
        )
    return scenario


def _rule_change(data: dict[str, Any]) -> engine.RuleChange:
    risk = data.get("risk_types") or ()
    if isinstance(risk, str):
        risk = [r.strip() for r in risk.split(",") if r.strip()]
    return engine.RuleChange(
        id=str(data.get("id", "")).strip(),
        condition=str(data.get("condition", "")).strip(),
        category=str(data.get("category", "")).strip(),
        risk_types=tuple(risk),
        severity=str(data.get("severity", "")).strip(),
        title={
            "zh": str(data.get("title_zh") or data.get("id", "")),
            "en": str(data.get("title_en") or data.get("id", "")),
        },
        message={"zh": str(data.get("message_zh", "")), "en": str(data.get("message_en", ""))},
    )


def overlay_of(scenario: Scenario) -> engine.Overlay:
    return engine.Overlay.from_dict(scenario.overlay)


# ---------------------------------------------------------------- runs


def start_run(
    *,
    actor: Any,
    scenario: Scenario,
    area_code: str = "",
    as_of: dt.date | None = None,
    sweep: dict[str, Any] | None = None,
) -> ScenarioRun:
    """Check who may simulate what on which area and record the run as started (nothing runs yet)."""
    _require(actor, Capability.RUN_SCENARIOS)
    if not scope.area_in_scope(actor, scenario.area.path, "view"):
        raise OutOfScope
    area = scenario.area if not area_code else Area.objects.filter(code=area_code.strip()).first()
    if area is None or not area.path.startswith(scenario.area.path):
        raise InvalidInput({"area": [_("Choose the scenario's area or an area inside it.")]})
    if not scope.area_in_scope(actor, area.path, "view"):
        raise InvalidInput({"area": [_("This area is outside the area you work in.")]})
    details: dict[str, Any] = {}
    kind = RunKind.SIMULATION
    if sweep is not None:
        kind = RunKind.SWEEP
        details = _sweep_spec(scenario, sweep)
    busy = ScenarioRun.objects.filter(
        started_by=actor, status=RunStatus.RUNNING, started_at__gte=timezone.now() - dt.timedelta(hours=1)
    )
    if busy.count() >= 3:
        raise Refused(_("You have three simulations running. Wait for one of them to finish."))
    with transaction.atomic():
        run = ScenarioRun.objects.create(
            scenario=scenario,
            kind=kind,
            area=area,
            as_of=as_of or timezone.localdate(),
            sweep=details,
            started_by=actor,
            stage="queued",
        )
        audit.record(
            actor=actor,
            action="scenario.run",
            object_type="scenario_run",
            object_id=run.pk,
            area_code=area.code,
            summary=f"scenario {scenario.pk}: {kind}",
            changes={"scenario": scenario.pk, "kind": kind, **({"sweep": details} if details else {})},
        )
    return run


def _sweep_spec(scenario: Scenario, raw: dict[str, Any]) -> dict[str, Any]:
    checked = base_pack(scenario.base_pack)
    errors: Errors = {}
    name = str(raw.get("parameter", ""))
    parameter = checked.pack.parameters.get(name)
    if parameter is None or parameter.type not in ("number", "integer"):
        add_error(errors, "parameter", _("Choose a parameter that is a number."))
    bounds = {}
    for key in ("start", "stop", "step"):
        value = parse_value("number", raw.get(key, ""))
        if value is None:
            add_error(errors, key, _("Enter a number."))
        else:
            bounds[key] = float(value)
    if not errors:
        try:
            values = engine.sweep_values(bounds["start"], bounds["stop"], bounds["step"])
        except ValueError:
            add_error(
                errors,
                "step",
                lazy_format(
                    _("From must not be above to, the step must be positive, and at most %(n)s steps."),
                    n=engine.MAX_SWEEP_STEPS,
                ),
            )
        else:
            if (
                parameter is not None
                and parameter.type == "integer"
                and any(not v.is_integer() for v in values)
            ):
                add_error(errors, "step", _("This parameter takes whole numbers: use whole numbers."))
    if errors:
        raise InvalidInput(errors)
    return {"parameter": name, **bounds}


def run_in_background(run: ScenarioRun) -> str | None:
    return jobs.enqueue("scenario_run", run_id=run.pk)


_STAGES = {"snapshot": 10, "evaluate": 40, "costs": 80, "done": 100}


def carry_out(run: ScenarioRun) -> ScenarioRun:
    """Simulate (or sweep) on a snapshot of the run's area. Reads the registry, writes only the run."""
    started = time.perf_counter()

    def step(stage: str) -> None:
        ScenarioRun.objects.filter(pk=run.pk).update(stage=stage, percent=_STAGES.get(stage, 0))

    try:
        scenario = run.scenario
        checked = base_pack(scenario.base_pack)
        overlay = overlay_of(scenario)
        step("snapshot")
        data = snapshot(run.area, as_of=run.as_of)
        step("evaluate")
        if run.kind == RunKind.SWEEP:
            spec = run.sweep
            values = engine.sweep_values(spec["start"], spec["stop"], spec["step"])
            swept = engine.sweep(checked, overlay, spec["parameter"], values, data, run.as_of)
            from fupin.scenarios.results import sweep_result

            result = sweep_result(swept)
        else:
            states, items = engine.scenario_states(checked.pack, overlay, run.as_of)
            simulation = engine.simulate(checked, states, data, run.as_of, items=items)
            from fupin.scenarios.results import simulation_result

            result = simulation_result(checked, states[-1], simulation, run.area)
        with transaction.atomic():
            run.result = result
            run.status = RunStatus.FINISHED
            run.stage, run.percent = "done", 100
            run.finished_at = timezone.now()
            run.seconds = time.perf_counter() - started
            run.save()
            audit.record(
                actor=run.started_by,
                action="scenario.result",
                object_type="scenario_run",
                object_id=run.pk,
                area_code=run.area.code,
                summary=f"scenario {scenario.pk}: {run.kind} finished",
                changes={k: v for k, v in result.get("totals", {}).items() if isinstance(v, int)},
            )
    except Exception as error:
        run.status = RunStatus.FAILED
        run.error = f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.seconds = time.perf_counter() - started
        run.save()
        raise
    return run


# ---------------------------------------------------------------- publication


def _pack_text(scenario: Scenario, name: str, version: str, effective_from: dt.date) -> str:
    checked = base_pack(scenario.base_pack)
    return engine.overlay_yaml(
        checked.pack,
        overlay_of(scenario),
        name=name,
        version=version,
        effective_from=effective_from,
        title={"zh": scenario.name, "en": scenario.name},
    )


def check_pack_text(name: str, text: str) -> None:
    """Load and check the published file as ``fupin policy check`` would (raises PackError)."""
    with tempfile.TemporaryDirectory(prefix="fupin-scenario-") as folder:
        path = Path(folder) / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        check_pack(load_pack(path, packs.folders()))


def request_publication(
    *,
    actor: Any,
    scenario: Scenario,
    pack_name: str,
    pack_version: str,
    effective_from: dt.date | None = None,
) -> Publication:
    _require(actor, Capability.PUBLISH_SCENARIOS)
    if not scope.area_in_scope(actor, scenario.area.path, "view"):
        raise OutOfScope
    errors: Errors = {}
    pack_name, pack_version = (pack_name or "").strip(), (pack_version or "").strip()
    if not pack_name or not all(c.isalnum() and c.isascii() or c in "-_" for c in pack_name):
        add_error(
            errors, "pack_name", _("A pack name is letters, digits, - and _ (it becomes the file name).")
        )
    elif pack_name in packs.available():
        add_error(errors, "pack_name", _("A pack of this name exists already: choose another."))
    if not pack_version or len(pack_version) > 40:
        add_error(errors, "pack_version", _("Give a version of at most 40 characters, such as 2027.1."))
    effective_from = effective_from or scenario.effective_from
    if errors:
        raise InvalidInput(errors)
    if scenario.publications.filter(status=PublicationStatus.REQUESTED).exists():
        raise Refused(_("A publication of this scenario is already waiting for approval."))
    text = _pack_text(scenario, pack_name, pack_version, effective_from)
    try:
        check_pack_text(pack_name, text)
    except PackError as error:
        raise InvalidInput({"__all__": problem_messages(error)}) from None
    with transaction.atomic():
        publication = Publication.objects.create(
            scenario=scenario,
            pack_name=pack_name,
            pack_version=pack_version,
            effective_from=effective_from,
            pack_text=text,
            requested_by=actor,
        )
        audit.record(
            actor=actor,
            action="scenario.publish_request",
            object_type="scenario_publication",
            object_id=publication.pk,
            area_code=scenario.area.code,
            summary=f"{pack_name} {pack_version} from {effective_from.isoformat()}",
            changes={"scenario": scenario.pk},
        )
    return publication


def decide_publication(
    *, actor: Any, publication: Publication, approve: bool, reason: str = ""
) -> Publication:
    """Approve or refuse a request: never the requester's own (the second person's approval)."""
    _require(actor, Capability.PUBLISH_SCENARIOS)
    if not scope.area_in_scope(actor, publication.scenario.area.path, "view"):
        raise OutOfScope
    if publication.requested_by_id == actor.pk:
        raise Refused(_("Another person must approve or refuse the publication you requested."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput({"reason": [_("Say why the publication is refused.")]})
    with transaction.atomic():
        locked = Publication.objects.select_for_update().get(pk=publication.pk)
        if locked.status != PublicationStatus.REQUESTED:
            raise Refused(_("This request was decided already."))
        if approve:
            check_pack_text(locked.pack_name, locked.pack_text)
        locked.status = PublicationStatus.APPROVED if approve else PublicationStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.reason = reason
        locked.save()
        audit.record(
            actor=actor,
            action="scenario.publish_approve" if approve else "scenario.publish_refuse",
            object_type="scenario_publication",
            object_id=locked.pk,
            area_code=locked.scenario.area.code,
            summary=f"{locked.pack_name} {locked.pack_version}",
            changes={"scenario": locked.scenario_id, "requested_by": locked.requested_by_id},
        )
    return locked
