"""Policy scenario pages: list and create, one scenario with its runs and publication, a run's result
(with progress while it runs), its Excel export, a side-by-side comparison of up to three runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.roles import Capability
from fupin.core.errors import InvalidInput, Refused
from fupin.engine.packs import CATEGORIES, RISK_TYPES, SEVERITIES
from fupin.jobs import services as jobs
from fupin.registry.choices import MonitoringCategory, RiskType
from fupin.scenarios import exports, labels, results, selectors, services
from fupin.scenarios.models import Publication, PublicationStatus, RunKind, RunStatus
from fupin.web.pages import current_user, is_htmx, page, require

RULE_FIELDS = (
    "id",
    "title_zh",
    "title_en",
    "category",
    "risk_types",
    "severity",
    "condition",
    "message_zh",
    "message_en",
)


def _flash(request: HttpRequest, error: InvalidInput | Refused) -> None:
    if isinstance(error, InvalidInput):
        for field_messages in error.field_errors.values():
            for message in field_messages:
                messages.error(request, str(message))
    else:
        messages.error(request, str(error.message))


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _localized(texts: dict[str, str] | None) -> str:
    texts = texts or {}
    return texts.get("zh" if (get_language() or "").startswith("zh") else "en") or texts.get("en", "")


@page
def index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RUN_SCENARIOS)
    scenarios = selectors.scenarios_for(user)[:100]
    return render(request, "scenarios/index.html", {"scenarios": scenarios})


def _parameter_rows(user: Any, area: Any) -> list[dict[str, Any]]:
    checked = services.base_pack()
    rows = results.parameter_rows(checked, area, results.screening_parameters(checked), dt.date.today())
    return [labels.localize_row({**row, "label": _localized(row["title"])}) for row in rows]


@page
def new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RUN_SCENARIOS)
    areas = selectors.scenario_areas(user)
    chosen_code = request.POST.get("area") or request.GET.get("area") or (areas[0].code if areas else "")
    chosen = next((a for a in areas if a.code == chosen_code), areas[0] if areas else None)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        parameters = {
            k.removeprefix("param_"): str(v)
            for k, v in request.POST.items()
            if k.startswith("param_") and str(v).strip()
        }
        rule: dict[str, Any] = {f: str(request.POST.get(f"rule_{f}", "")) for f in RULE_FIELDS}
        rules = [rule] if rule["id"].strip() or rule["condition"].strip() else []
        try:
            scenario = services.create_scenario(
                actor=user,
                name=request.POST.get("name", ""),
                area_code=request.POST.get("area", ""),
                parameters=parameters,
                rules=rules,
                note=request.POST.get("note", ""),
                effective_from=_date(request.POST.get("effective_from", "")),
            )
        except InvalidInput as error:
            errors = {k: [str(m) for m in v] for k, v in error.field_errors.items()}
        else:
            messages.success(
                request, _("Scenario saved. Nothing changes in screening until it is published.")
            )
            return redirect("scenarios:scenario", pk=scenario.pk)
    checked = services.base_pack()
    context = {
        "areas": areas,
        "area": chosen,
        "pack": checked.pack,
        "pack_title": _localized(checked.pack.title),
        "parameters": _parameter_rows(user, chosen) if chosen else [],
        "values": request.POST,
        "errors": errors,
        "categories": [(c, MonitoringCategory(c).label) for c in CATEGORIES],
        "severities": [(s, labels.SEVERITIES.get(s, s)) for s in SEVERITIES],
        "risk_types": [(r, RiskType(r).label if r in RiskType.values else r) for r in RISK_TYPES],
        "next_year": dt.date(dt.date.today().year + 1, 1, 1).isoformat(),
    }
    return render(request, "scenarios/new.html", context, status=422 if errors else 200)


@page
def scenario_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    scenario = selectors.get_scenario(user, pk)
    overlay = services.overlay_of(scenario)
    checked = services.base_pack(scenario.base_pack)
    rows = results.parameter_rows(
        checked, scenario.area, list(overlay.parameters), dt.date.today(), overlay.parameters
    )
    rows = [labels.localize_row({**row, "label": _localized(row["title"])}) for row in rows]
    numeric = [
        (n, _localized(checked.pack.parameters[n].title))
        for n in results.screening_parameters(checked)
        if checked.pack.parameters[n].type in ("number", "integer")
    ]
    context = {
        "scenario": scenario,
        "changes": rows,
        "rules": overlay.rules,
        "runs": selectors.runs_for(user).filter(scenario=scenario)[:30],
        "areas": selectors.run_areas(user, scenario),
        "numeric": numeric,
        "publications": scenario.publications.select_related("requested_by", "decided_by"),
        "can_publish": user.can(Capability.PUBLISH_SCENARIOS),
        "pack_title": _localized(checked.pack.title),
        "today": dt.date.today().isoformat(),
    }
    return render(request, "scenarios/scenario.html", context)


@require_POST
@page
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    scenario = selectors.get_scenario(user, pk)
    sweep = None
    if request.POST.get("kind") == RunKind.SWEEP:
        sweep = {k: request.POST.get(k, "") for k in ("parameter", "start", "stop", "step")}
    try:
        run = services.start_run(
            actor=user,
            scenario=scenario,
            area_code=request.POST.get("area", ""),
            as_of=_date(request.POST.get("as_of", "")),
            sweep=sweep,
        )
    except (InvalidInput, Refused) as error:
        _flash(request, error)
        return redirect("scenarios:scenario", pk=scenario.pk)
    services.run_in_background(run)
    return redirect("scenarios:run", pk=run.pk)


def _result_context(user: Any, run: Any) -> dict[str, Any]:
    result = run.result or {}
    examples = result.get("examples", {})
    attribution = [
        {
            **row,
            "label": _localized(row.get("title")),
            "households": selectors.example_households(user, row.get("examples", [])),
        }
        for row in result.get("attribution", [])
    ]
    levels = result.get("levels", {})
    counties = sorted(levels.get("county", []), key=lambda r: (-r["only_scenario"], r["code"]))
    top = max((r["only_scenario"] for r in counties), default=0) or 1
    for row in counties:
        row["width"] = round(100 * row["only_scenario"] / top)
    steps = result.get("steps", [])
    top_step = max((s["flagged"] for s in steps), default=0) or 1
    for item in steps:
        item["width"] = round(100 * item["flagged"] / top_step)
    return {
        "result": result,
        "totals": result.get("totals", {}),
        "counties": counties,
        "townships": levels.get("township", []),
        "villages": levels.get("village", []),
        "categories": [
            (MonitoringCategory(c).label, f)
            for c, f in result.get("by_category", {}).items()
            if c in MonitoringCategory.values
        ],
        "risks": [
            (RiskType(r).label if r in RiskType.values else r, f)
            for r, f in result.get("by_risk_type", {}).items()
            if f["only_scenario"] or f["only_baseline"]
        ],
        "rules": [
            {**r, "label": _localized(r["title"])}
            for r in result.get("by_rule", [])
            if r["baseline"] != r["scenario"]
        ],
        "attribution": attribution,
        "newly": selectors.example_households(
            user, [e["household_id"] for e in examples.get("only_scenario", [])]
        ),
        "gone": selectors.example_households(
            user, [e["household_id"] for e in examples.get("only_baseline", [])]
        ),
        "steps": steps,
    }


@page
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    run = selectors.get_run(user, pk)
    context = {
        "run": run,
        "scenario": run.scenario,
        "running": run.status == RunStatus.RUNNING,
        "stopped": jobs.stopped(run.error),
        "can_export": user.can(Capability.EXPORT),
        **_result_context(user, run),
    }
    template = "scenarios/_run_status.html" if is_htmx(request) else "scenarios/run.html"
    return render(request, template, context)


@page
def run_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    run = selectors.get_run(user, pk)
    require(user, Capability.EXPORT)
    if run.status != RunStatus.FINISHED:
        raise Http404
    return exports.run_workbook(user, run)


@page
def compare(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RUN_SCENARIOS)
    ids = [int(x) for x in request.GET.getlist("run") if x.isdigit()]
    runs = selectors.compare_runs(user, ids)
    columns = [{"run": run, **_result_context(user, run)} for run in runs]
    codes = sorted({r["code"] for c in columns for r in c["counties"]})
    names = {r["code"]: r["name"] for c in columns for r in c["counties"]}
    table = [
        {
            "code": code,
            "name": names[code],
            "cells": [next((r for r in c["counties"] if r["code"] == code), None) for c in columns],
        }
        for code in codes
    ]
    finished = selectors.runs_for(user).filter(kind=RunKind.SIMULATION, status=RunStatus.FINISHED)[:50]
    return render(
        request,
        "scenarios/compare.html",
        {
            "columns": columns,
            "table": table,
            "finished": finished,
            "chosen": [r.pk for r in runs],
            "most": selectors.COMPARE_AT_MOST,
        },
    )


@require_POST
@page
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    scenario = selectors.get_scenario(user, pk)
    require(user, Capability.PUBLISH_SCENARIOS)
    try:
        services.request_publication(
            actor=user,
            scenario=scenario,
            pack_name=request.POST.get("pack_name", ""),
            pack_version=request.POST.get("pack_version", ""),
            effective_from=_date(request.POST.get("effective_from", "")),
        )
    except (InvalidInput, Refused) as error:
        _flash(request, error)
    else:
        messages.success(request, _("Publication requested. Another person must approve it."))
    return redirect("scenarios:scenario", pk=scenario.pk)


@require_POST
@page
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    publication = selectors.get_publication(user, pk)
    require(user, Capability.PUBLISH_SCENARIOS)
    try:
        services.decide_publication(
            actor=user,
            publication=publication,
            approve=request.POST.get("decision") == "approve",
            reason=request.POST.get("reason", ""),
        )
    except (InvalidInput, Refused) as error:
        _flash(request, error)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("scenarios:scenario", pk=publication.scenario_id)


@page
def publication_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The approved pack file, for the operator who installs it (docs/scenarios.md)."""
    user = current_user(request)
    publication: Publication = selectors.get_publication(user, pk)
    if publication.status != PublicationStatus.APPROVED:
        raise Http404
    response = HttpResponse(publication.pack_text, content_type="application/x-yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{publication.pack_name}.yaml"'
    return response
