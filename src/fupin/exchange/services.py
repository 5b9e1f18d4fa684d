"""Imports from the upload page: stored encrypted, carried out by the worker, followed by a polling page."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from fupin.core.errors import NotPermitted
from fupin.core.i18n import stored_text
from fupin.exchange import workbook
from fupin.exchange.importer import ImportFailed, Problem, import_file
from fupin.exchange.models import ImportJob, JobStatus
from fupin.jobs import services as jobs
from fupin.pii.crypto import get_cipher

logger = logging.getLogger(__name__)
SHOWN_PROBLEMS = 20  # problems listed on the result page; the error workbook has them all
SHOWN_NOTES = 50


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "exchange"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_path(job: ImportJob) -> Path:
    return _folder() / f"{job.pk}-upload.bin"


def errors_path(job: ImportJob) -> Path:
    return _folder() / f"{job.pk}-errors.bin"


def report_path(job: ImportJob) -> Path:
    return _folder() / f"{job.pk}-report.bin"


@dataclass(frozen=True)
class ShownProblem:
    row: int  # 0: the file as a whole
    column: str
    value: str  # ID numbers and phones masked, as in the error workbook
    message: str  # in the language of the page


@dataclass(frozen=True)
class JobReport:
    """What the result page lists: the first problems and how many more, the ignored columns."""

    problems: list[ShownProblem]
    more: int
    notes: list[ShownProblem]


def _entry(problem: Problem) -> dict[str, Any]:
    texts = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts[language] = str(problem.message)
    return {"row": problem.row, "column": problem.column, "value": problem.value, "message": texts}


def save_report(job: ImportJob, problems: Sequence[Problem], total: int, notes: Sequence[Problem]) -> None:
    """The first problems and the notes, in both languages, encrypted like the error workbook (their
    values may be names or household numbers; the job row itself holds counts only)."""
    if not problems and not notes:
        return
    shown = [_entry(p) for p in problems[:SHOWN_PROBLEMS]]
    body = {
        "problems": shown,
        "total": max(total, len(shown)),
        "notes": [_entry(n) for n in notes[:SHOWN_NOTES]],
    }
    report_path(job).write_bytes(get_cipher().encrypt_bytes(json.dumps(body, ensure_ascii=False).encode()))


def job_report(job: ImportJob) -> JobReport | None:
    path = report_path(job)
    if not path.exists():
        return None
    body = json.loads(get_cipher().decrypt_bytes(path.read_bytes()))
    language = "zh-hans" if (translation.get_language() or "").lower().startswith("zh") else "en"

    def shown(entry: dict[str, Any]) -> ShownProblem:
        return ShownProblem(entry["row"], entry["column"], entry["value"], entry["message"][language])

    problems = [shown(e) for e in body["problems"]]
    return JobReport(problems, body["total"] - len(problems), [shown(e) for e in body["notes"]])


def start_import(*, user: Any, kind: str, file_name: str, data: bytes) -> ImportJob:
    job = ImportJob.objects.create(kind=kind, file_name=Path(file_name).name[:255], user=user)
    upload_path(job).write_bytes(get_cipher().encrypt_bytes(data))
    return job


def error_workbook_bytes(job: ImportJob) -> bytes | None:
    path = errors_path(job)
    return get_cipher().decrypt_bytes(path.read_bytes()) if path.exists() else None


def carry_out(job: ImportJob) -> ImportJob:
    """Import the job's file. The rows and the job's "imported" commit together, and the uploaded file
    is removed only after, so a worker stopped at any point leaves the job to be tried again whole."""
    path = upload_path(job)
    data = get_cipher().decrypt_bytes(path.read_bytes())
    last = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = min(99, int(100 * done / total)) if total else 0
        if percent != last["percent"]:
            last["percent"] = percent
            ImportJob.objects.filter(pk=job.pk).update(percent=percent)

    values: dict[str, Any]
    try:
        with transaction.atomic():
            result = import_file(job.user, job.kind, data, job.file_name, progress=progress)
            save_report(job, [], 0, result.notes)
            ImportJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FINISHED,
                rows=result.rows,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                seconds=result.seconds,
                percent=100,
                finished_at=timezone.now(),
            )
        values = {}
    except ImportFailed as exc:
        book = workbook.error_workbook(data, job.file_name, exc.problems, exc.total)
        errors_path(job).write_bytes(get_cipher().encrypt_bytes(book))
        save_report(job, exc.problems, exc.total, exc.notes)
        values = {"status": JobStatus.REJECTED, "problem_count": exc.total}
    except NotPermitted as exc:
        values = {"status": JobStatus.FAILED, "error": stored_text(exc.message)}
    except Exception as exc:
        logger.exception("import %s failed", job.pk)
        values = {"status": JobStatus.FAILED, "error": type(exc).__name__}
    if values:
        ImportJob.objects.filter(pk=job.pk).update(percent=100, finished_at=timezone.now(), **values)
    path.unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def run_in_background(job: ImportJob) -> str | None:
    """Hand the import to the worker (fupin.jobs), like a screening run (at once when that is off)."""
    return jobs.enqueue("import", job_id=job.pk)
