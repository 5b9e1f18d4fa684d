"""Rebuilding the indicator tables: snapshot, compute, write aside, swap in.

A rebuild runs after an import or a screening run (as a job of ``fupin worker``, like screening; at once
in a command), from ``fupin indicators rebuild`` and from the dashboard's button. Requests that arrive
while one waits in the queue add nothing, so the figures catch up without piling up rebuilds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from fupin.core import clock
from fupin.engine import indicators as ind
from fupin.engine.backends import Backend
from fupin.indicators import benefits as benefit_figures
from fupin.indicators import snapshot
from fupin.indicators.models import AreaFigures, Build, BuildState
from fupin.jobs import services as jobs

logger = logging.getLogger(__name__)

KEEP_MONTHS = 36
WRITE_BATCH = 5000
ProgressStep = Callable[[str, int], None]


def parent_code(code: str, level: int) -> str:
    if level == 0:
        return "-"
    lengths = {1: 0, 2: 2, 3: 4, 4: 6, 5: 9}
    return code[: lengths[level]]


def multidimensional_config() -> ind.MultidimensionalConfig:
    """The index's dimensions and cutoff: ``FUPIN_MD_DIMENSIONS`` ("income:2,health:1") and ``FUPIN_MD_K``."""
    spec = getattr(settings, "INDICATOR_DIMENSIONS", "")
    if not spec:
        return ind.DEFAULT_MULTIDIMENSIONAL
    dimensions = []
    for part in spec.split(","):
        name, _, weight = part.strip().partition(":")
        dimensions.append(ind.Dimension(name.strip(), int(weight or 1)))
    return ind.MultidimensionalConfig(tuple(dimensions), int(settings.INDICATOR_K))


def rebuild(
    *,
    as_of: dt.date | None = None,
    trigger: str = "command",
    backend: Backend | None = None,
    facts: pa.Table | None = None,
    build: Build | None = None,
    progress: ProgressStep | None = None,
) -> Build:
    """Compute every area's figures and swap them in; the build records its timings (or its error)."""
    as_of = as_of or clock.today()
    period = ind.Period.of(as_of)
    config = ind.IndicatorConfig(period, multidimensional=multidimensional_config())
    drop_superseded()
    build = build or Build.objects.create(period=str(period), as_of=as_of, trigger=trigger)
    Build.objects.filter(pk=build.pk).update(
        period=str(period),
        as_of=as_of,
        settings={
            "dimensions": [[d.name, d.weight] for d in config.multidimensional.dimensions],
            "k": config.multidimensional.k,
        },
    )

    def step(stage: str, percent: int) -> None:
        Build.objects.filter(pk=build.pk).update(stage=stage, percent=percent)
        if progress:
            progress(stage, percent)

    seconds: dict[str, float] = {}
    try:
        started = time.perf_counter()
        step("snapshot", 5)
        events = None
        if facts is None:
            facts, events = snapshot.tables(
                as_of, progress=lambda done, total: step("snapshot", 5 + 35 * done // max(total, 1))
            )
        seconds["snapshot"] = time.perf_counter() - started
        facts = ind.conform("facts", facts)
        counties = _county_codes(facts)
        lines = snapshot.lines(counties, as_of)
        step("compute", 45)
        result = ind.compute(facts, lines, config, backend=backend, events=events)
        seconds.update(result.seconds)
        paid = benefit_figures.paid_by_area(as_of)
        for area in result.areas.values():
            area.figures.update(paid.get(area.code) or benefit_figures.empty())
        step("write", 75)
        started = time.perf_counter()
        _write(build, result.areas.values())
        seconds["write"] = time.perf_counter() - started
        started = time.perf_counter()
        swap_in(build, households=facts.num_rows, areas=len(result.areas))
        seconds["swap"] = time.perf_counter() - started
        Build.objects.filter(pk=build.pk).update(seconds=seconds, stage="done", percent=100)
    except Exception as error:
        Build.objects.filter(pk=build.pk).update(
            state=BuildState.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    build.refresh_from_db()
    return build


def _county_codes(facts: pa.Table) -> set[str]:
    import pyarrow.compute as pc

    return set(pc.unique(pc.utf8_slice_codeunits(facts.column("village_code"), 0, 6)).to_pylist())


def _finite(values: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN or infinity (PostgreSQL's jsonb refuses them): such a figure is "none"."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}


def _write(build: Build, areas: Iterable[ind.AreaFigures]) -> None:
    rows = (
        (
            area.code,
            area.level,
            parent_code(area.code, area.level),
            _finite({**area.sums, **area.figures}),
            area.months,
        )
        for area in areas
    )
    if connection.vendor == "postgresql":
        # COPY: bulk_create sends one statement whose JSON psycopg escapes in Python (4 of 5 s at 10M).
        table = AreaFigures._meta.db_table
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f'COPY "{table}" (build_id, code, level, parent, "values", months) FROM STDIN'
            ) as copy,
        ):
            for code, level, parent, values, months in rows:
                copy.write_row((build.pk, code, level, parent, json.dumps(values), json.dumps(months)))
        return
    batch: list[AreaFigures] = []
    for code, level, parent, values, months in rows:
        batch.append(
            AreaFigures(build=build, code=code, level=level, parent=parent, values=values, months=[*months])
        )
        if len(batch) >= WRITE_BATCH:
            AreaFigures.objects.bulk_create(batch)
            batch = []
    if batch:
        AreaFigures.objects.bulk_create(batch)


def swap_in(build: Build, *, households: int, areas: int) -> None:
    """Make ``build`` the current figures in one transaction, unless a build of a later day (or started later)
    is current already: then it is kept as its month's figures (an older snapshot that finished last, or
    ``--as-of`` a past day)."""
    build.refresh_from_db(fields=["started_at", "as_of"])
    with transaction.atomic():
        currents = list(
            Build.objects.select_for_update().filter(state=BuildState.CURRENT).exclude(pk=build.pk)
        )
        newer = [c for c in currents if (c.as_of, c.started_at) > (build.as_of, build.started_at)]
        state = BuildState.KEPT if newer else BuildState.CURRENT
        if not newer:
            Build.objects.filter(pk__in=[c.pk for c in currents]).update(state=BuildState.KEPT)
        Build.objects.filter(pk=build.pk).update(
            state=state, finished_at=timezone.now(), households=households, areas=areas
        )


def drop_superseded() -> int:
    """Delete builds no page needs: a month's older builds, months beyond what trends show, old failures.

    Called when a rebuild starts, not when one is swapped in, so that a page that read "the current build"
    just before a swap still finds its rows while it renders.
    """
    dropped = 0
    latest_per_period: set[str] = set()
    builds = Build.objects.filter(state__in=(BuildState.CURRENT, BuildState.KEPT)).order_by(
        "-period",
        "state",
        "-as_of",
        "-finished_at",  # "current" sorts before "kept"
    )
    for old in builds:
        if old.state == BuildState.CURRENT:
            latest_per_period.add(old.period)
            continue
        if old.period in latest_per_period or len(latest_per_period) >= KEEP_MONTHS:
            old.delete()
            dropped += 1
        else:
            latest_per_period.add(old.period)
    Build.objects.filter(
        state=BuildState.FAILED, started_at__lt=timezone.now() - dt.timedelta(days=30)
    ).delete()
    return dropped


def request_rebuild(trigger: str, build: Build | None = None) -> Build | None:
    """Queue a rebuild for the worker (or rebuild at once when ``INDICATORS_IN_BACKGROUND`` is off).

    Requests that arrive while a rebuild waits in the queue add nothing: the queued one reads everything
    that changed meanwhile. One that arrives while a rebuild runs queues one more.
    """
    if not jobs.in_background("indicators"):
        try:
            return rebuild(trigger=trigger, build=build)
        except Exception:  # noqa: BLE001 - the change that asked for it is done; the failed build says why
            logger.exception("indicator rebuild failed")
        return None
    waiting = Build.objects.filter(state=BuildState.BUILDING, stage="queued")
    if build is not None:
        waiting = waiting.exclude(pk=build.pk)
    queued = waiting.first()
    if queued is not None:
        if build is not None:  # the page's build will not run: the queued one covers it
            build.delete()
        return queued
    if build is None:
        today = clock.today()
        build = Build.objects.create(period=str(ind.Period.of(today)), as_of=today, trigger=trigger)
    Build.objects.filter(pk=build.pk).update(stage="queued", percent=0)
    jobs.enqueue("indicators", build_id=build.pk, trigger=trigger)
    return build


STALE_AFTER = dt.timedelta(hours=2)


def rebuild_running() -> bool:
    """Whether a rebuild is under way. One that began long ago died with its process: it is marked failed."""
    Build.objects.filter(state=BuildState.BUILDING, started_at__lt=timezone.now() - STALE_AFTER).update(
        state=BuildState.FAILED, error="abandoned: the process doing it stopped", finished_at=timezone.now()
    )
    return Build.objects.filter(state=BuildState.BUILDING).exists()


def start_from_page(trigger: str = "page") -> Build:
    """A build the page can follow: its row shows the progress while it runs in the background."""
    build = Build.objects.create(
        period=str(ind.Period.of(clock.today())), as_of=clock.today(), trigger=trigger
    )
    return request_rebuild(trigger, build) or build
