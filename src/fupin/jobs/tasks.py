"""The one task the queue knows: carry out a job of a registered kind (fupin.jobs.services)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


class JobFailed(Exception):
    """A job raised: its record (run, build, import) holds the error; the queue keeps only its type,
    so no personal data reaches the queue table or the worker's log."""


@task()
def run_job(kind: str, args: dict[str, Any]) -> None:
    from fupin.jobs import services

    try:
        services.kind_of(kind).run(**args)
    except Exception as error:
        raise JobFailed(f"{kind}: {type(error).__name__}") from None
