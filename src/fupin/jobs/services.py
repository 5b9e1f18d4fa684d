"""Enqueue background jobs, and deal with those whose worker stopped while they ran.

Every app says what its kinds of job do in its own ``jobs.py`` (``register(Kind(...))``) and enqueues
with ``enqueue(kind, **args)``: the job is a row in the application's database until a ``fupin worker``
takes it. A job's effects must be all or nothing (one transaction, or written aside and swapped in), so
a worker killed halfway leaves nothing half-applied; the next worker's ``sweep`` gives such a job
another attempt (``Kind.retry`` first clears the attempt's traces) or, after ``Kind.attempts`` tries,
marks it failed and lets the kind's record say why (``Kind.give_up``).

Arguments are stored as JSON in the queue table: pass record ids, and encrypt anything personal.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core.i18n import stored_text

logger = logging.getLogger(__name__)

# The reason a job's record gives when every attempt ended with its worker stopping.
WORKER_STOPPED = _("The worker stopped while the job ran, each time it was tried; nothing of it was applied.")
BEAT_SECONDS = 2.0
# A worker on another machine that has not beaten for this long is taken as stopped (one on this
# machine is stopped as soon as its process is gone). Longer than a SQLite write can make a beat wait.
STALE_AFTER = dt.timedelta(seconds=60)
KEEP_FINISHED = dt.timedelta(days=30)


@dataclass(frozen=True)
class Kind:
    """One kind of job: what it does and how it is put right when its worker stopped while it ran."""

    name: str
    run: Callable[..., Any]
    # The setting that, when false, carries the kind out at once in the caller (empty: always queued).
    background_setting: str = ""
    # Before another attempt: undo what the interrupted attempt left (a build's rows written aside).
    retry: Callable[..., Any] | None = None
    # Called as give_up(reason, **args) when the job will not be tried again: its record shows the reason.
    give_up: Callable[..., Any] | None = None
    attempts: int = 3


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    _KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no job kind named {name}") from None


def in_background(name: str) -> bool:
    """Whether a job of this kind goes to the worker (or is carried out at once, as commands and most
    tests do: ``FUPIN_JOBS_RUN_NOW=1`` or the kind's own setting off)."""
    if settings.JOBS_RUN_NOW:
        return False
    kind = kind_of(name)
    return bool(getattr(settings, kind.background_setting, True)) if kind.background_setting else True


def enqueue(name: str, **args: Any) -> str | None:
    """Queue a job for the worker and return its id; or carry it out now and return None.

    Queued inside the caller's transaction, the job exists only if that transaction commits.
    """
    kind = kind_of(name)
    if not in_background(name):
        kind.run(**args)
        return None
    from fupin.jobs.tasks import run_job

    result = run_job.enqueue(kind=name, args=args)
    return str(result.id)


# --- workers and interrupted jobs -----------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def beat(worker_id: str) -> None:
    """Say that this worker is alive."""
    from fupin.jobs.models import WorkerBeat

    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": timezone.now()},
    )


def leave(worker_id: str) -> None:
    from fupin.jobs.models import WorkerBeat

    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def alive_workers() -> set[str]:
    from fupin.jobs.models import WorkerBeat

    now, host = timezone.now(), socket.gethostname()[:255]
    alive = set()
    for worker in WorkerBeat.objects.all():
        if worker.seen_at < now - STALE_AFTER:
            continue
        if worker.host == host and not _pid_alive(worker.pid):
            continue
        alive.add(worker.worker_id)
    return alive


# Upkeep that apps ask the worker to do every little while (reminders due, expired keys), registered
# from their AppConfig.ready so that the worker imports no app above it. Each must be cheap when there
# is nothing to do.
_periodic: list[Callable[[], object]] = []


def every_sweep(task: Callable[[], object]) -> None:
    """Run ``task`` with every sweep of every worker (once registered; registering twice runs it once)."""
    if task not in _periodic:
        _periodic.append(task)


def run_periodic() -> None:
    """Run the registered upkeep; one that fails is logged and the others still run."""
    for task in list(_periodic):
        try:
            task()
        except Exception:  # noqa: BLE001 - upkeep must not stop the worker's heartbeat
            logger.warning("periodic upkeep %s failed", getattr(task, "__qualname__", task), exc_info=True)


def sweep() -> dict[str, int]:
    """Jobs that were running when their worker stopped: another attempt, or failed with the reason.

    Run by every worker as it starts and every little while after. Returns how many of each.
    """
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    from fupin.jobs.models import WorkerBeat
    from fupin.jobs.tasks import run_job

    counts = {"retried": 0, "failed": 0}
    alive = alive_workers()
    with exclusive_transaction(DBTaskResult.objects.db):
        running = DBTaskResult.objects.select_for_update().filter(status="RUNNING")
        for row in running:
            if row.worker_ids and row.worker_ids[-1] in alive:
                continue
            arguments = row.args_kwargs.get("kwargs", {})
            name, args = arguments.get("kind", ""), arguments.get("args", {})
            kind = _KINDS.get(name) if row.task_path == run_job.module_path else None
            if kind is not None and len(row.worker_ids) < kind.attempts:
                with transaction.atomic():
                    if kind.retry is not None:
                        kind.retry(**args)
                    row.status = "READY"
                    row.save(update_fields=["status"])
                counts["retried"] += 1
                logger.warning("job %s (%s) lost its worker: tried again", row.id, name)
                continue
            reason = stored_text(WORKER_STOPPED)
            with transaction.atomic():
                if kind is not None and kind.give_up is not None:
                    kind.give_up(reason=reason, **args)
                row.status = "FAILED"
                row.finished_at = timezone.now()
                row.exception_class_path = f"{__name__}.WorkerStopped"
                row.traceback = reason
                row.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
            counts["failed"] += 1
            logger.warning("job %s (%s) lost its worker too often: failed", row.id, name)
        WorkerBeat.objects.filter(seen_at__lt=timezone.now() - dt.timedelta(days=1)).delete()
        DBTaskResult.objects.filter(
            status__in=("SUCCESSFUL", "FAILED"), finished_at__lt=timezone.now() - KEEP_FINISHED
        ).delete()
    return counts


def stopped(error: str) -> bool:
    """Whether a record's stored error is the one ``give_up`` wrote (so a page may say it in words)."""
    return bool(error) and error == stored_text(WORKER_STOPPED)
