"""Screening runs: snapshot the registry, evaluate a policy pack, write risk clues. Audited."""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability, has_capability
from fupin.areas.models import Area
from fupin.audit import services as audit
from fupin.core.errors import InvalidInput, NotPermitted
from fupin.core.i18n import lazy_format
from fupin.core.signals import announce
from fupin.engine.backends import ENGINES
from fupin.engine.backends import backend as make_backend
from fupin.engine.screening import explain, screen, suggestion
from fupin.jobs import services as jobs
from fupin.screening import packs
from fupin.screening.models import ClueStatus, RiskClue, RunStatus, ScreeningRun
from fupin.screening.signals import clues_created
from fupin.screening.snapshot import snapshot

Progress = Callable[[str, int, int], None]
logger = logging.getLogger(__name__)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def database_uri() -> str | None:
    """The PostgreSQL URL for in-database screening, when the application runs on PostgreSQL."""
    url = settings.DATABASE_URL
    return url if url.startswith(("postgres://", "postgresql://")) else None


def scratch_database_uri() -> str:
    """Where pack tests run on PostgreSQL: the application's server, or FUPIN_SCRATCH_POSTGRES_URL."""
    return settings.SCRATCH_POSTGRES_URL or database_uri() or "postgresql://127.0.0.1:5432/postgres"


def installed_engines() -> list[str]:
    """DuckDB always; PostgreSQL when the application runs on it (or a scratch server is named);
    Spark when PySpark and a Java runtime are there."""
    engines = ["duckdb"]
    if database_uri() or settings.SCRATCH_POSTGRES_URL:
        engines.append("postgres")
    if importlib.util.find_spec("pyspark") is not None and shutil.which("java"):
        engines.append("spark")
    return engines


def start_screening(
    *,
    actor: Any,
    area_code: str,
    policy: str | None = None,
    as_of: dt.date | None = None,
    engine: str = "duckdb",
) -> ScreeningRun:
    """Check who may screen what, and record the run as started. Nothing is evaluated yet."""
    as_of = as_of or timezone.localdate()
    area = Area.objects.filter(code=area_code).first()
    if area is None:
        raise InvalidInput({"area": [lazy_format(_("No area with code %(code)s."), code=area_code)]})
    if actor is not None:
        if not has_capability(actor.role, Capability.RUN_SCREENING):
            raise NotPermitted(_("Your role may not start a screening run."))
        if not scope.area_in_scope(actor, area.path, "capture"):
            raise NotPermitted(_("This area is outside the area you work in."))
    if engine not in ENGINES:
        raise InvalidInput({"engine": [lazy_format(_("No engine named %(name)s."), name=engine)]})
    try:
        checked = packs.checked(policy)
    except LookupError as error:
        message = lazy_format(_("No policy pack named %(name)s."), name=policy)
        raise InvalidInput({"policy": [message]}) from error
    busy = ScreeningRun.objects.filter(status=RunStatus.RUNNING, area__path__startswith=area.path[:9])
    if busy.filter(started_at__gte=timezone.now() - dt.timedelta(hours=1)).exists():
        raise InvalidInput(
            {"area": [_("A screening run for this area is still running. Wait for it to finish.")]}
        )
    return ScreeningRun.objects.create(
        policy_name=checked.pack.name,
        policy_version=checked.pack.version,
        engine=engine,
        as_of=as_of,
        area=area,
        started_by=actor,
        stage="queued",
    )


def run_screening(
    *,
    actor: Any,
    area_code: str,
    policy: str | None = None,
    as_of: dt.date | None = None,
    engine: str = "duckdb",
    progress: Progress = _no_progress,
) -> ScreeningRun:
    """Screen every household under ``area_code`` and open a risk clue for each newly found one.

    ``actor`` None is the system (the nightly job or an operator's command). A household that
    already has an open clue gets none again, so running twice on the same data adds nothing.
    """
    run = start_screening(actor=actor, area_code=area_code, policy=policy, as_of=as_of, engine=engine)
    return carry_out(run, policy=policy, progress=progress)


def run_in_background(run: ScreeningRun, *, policy: str | None = None) -> str | None:
    """Hand a started run to the worker (fupin.jobs); the page follows ``stage``/``percent``.

    With ``SCREENING_IN_BACKGROUND`` off (or in a command) it is carried out now, and None returned.
    """
    return jobs.enqueue("screening", run_id=run.pk, policy=policy)


_STAGES = {"snapshot": 10, "evaluate": 40, "clues": 80, "done": 100}


def carry_out(
    run: ScreeningRun, *, policy: str | None = None, progress: Progress = _no_progress
) -> ScreeningRun:
    checked = packs.checked(policy or run.policy_name)
    actor = run.started_by
    started = time.perf_counter()

    def step(stage: str, done: int, total: int) -> None:
        ScreeningRun.objects.filter(pk=run.pk).update(stage=stage, percent=_STAGES.get(stage, 0))
        progress(stage, done, total)

    try:
        step("snapshot", 0, 3)
        data = snapshot(run.area, as_of=run.as_of)
        run.data_as_of = timezone.now()
        step("evaluate", 1, 3)
        result = screen(checked, data, run.as_of, make_backend(run.engine, database_uri=database_uri()))
        step("clues", 2, 3)
        with transaction.atomic():
            new, skipped = _write_clues(run, checked, result.hits)
            clues_created.send(sender=ScreeningRun, run=run)
            transaction.on_commit(lambda: announce(ScreeningRun, "screening"))
            run.status = RunStatus.FINISHED
            run.stage, run.percent = "done", 100
            run.households = result.households
            run.hits = len(result.hits)
            run.new_clues = new
            run.skipped_open = skipped
            run.counts = result.counts
            run.parameters = result.parameters
            run.finished_at = timezone.now()
            run.seconds = time.perf_counter() - started
            run.save()
            audit.record(
                actor=actor,
                action="screen",
                object_type="screening_run",
                object_id=run.pk,
                area_code=run.area.code,
                summary=f"{run.policy_name} {run.policy_version}: {new} new clues",
                changes={
                    "households": run.households,
                    "hits": run.hits,
                    "new_clues": new,
                    "engine": run.engine,
                },
            )
        progress("done", 3, 3)
    except Exception as error:
        run.status = RunStatus.FAILED
        run.error = f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.seconds = time.perf_counter() - started
        run.save()
        raise
    return run


def explanation_of(checked: Any, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rules = {rule.id: rule for rule in checked.pack.rules}
    return [
        {
            "rule_id": hit["rule_id"],
            "severity": hit["severity"],
            "category": hit["category"],
            "values": hit["values"],
            "title_zh": rules[hit["rule_id"]].title.get("zh", hit["rule_id"]),
            "title_en": rules[hit["rule_id"]].title.get("en", hit["rule_id"]),
            "zh": explain(rules[hit["rule_id"]].message, hit["values"], "zh"),
            "en": explain(rules[hit["rule_id"]].message, hit["values"], "en"),
        }
        for hit in hits
    ]


def _write_clues(run: ScreeningRun, checked: Any, hits: list[dict[str, Any]]) -> tuple[int, int]:
    by_household: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for hit in hits:
        by_household[hit["household_id"]].append(hit)
    already_open = set(
        RiskClue.objects.filter(status=ClueStatus.OPEN, household_id__in=list(by_household)).values_list(
            "household_id", flat=True
        )
    )
    clues = []
    for household_id, household_hits in by_household.items():
        if household_id in already_open:
            continue
        category, risk_types = suggestion(household_hits)
        clues.append(
            RiskClue(
                household_id=household_id,
                run=run,
                rule_ids=[h["rule_id"] for h in household_hits],
                suggested_category=category,
                risk_types="," + ",".join(risk_types) + "," if risk_types else "",
                explanation=explanation_of(checked, household_hits),
            )
        )
    RiskClue.objects.bulk_create(clues, batch_size=2000)
    return len(clues), len(already_open)
