"""The screening run as a background job: the run's clues are written in one transaction at its end,
so a worker that stops halfway leaves none; the run is then tried again, or fails with the reason."""

from __future__ import annotations

from django.utils import timezone

from fupin.jobs.services import Kind, register
from fupin.screening.models import RunStatus, ScreeningRun


def run(run_id: int, policy: str | None = None) -> None:
    from fupin.screening.services import carry_out

    screening = ScreeningRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).first()
    if screening is None:  # finished already (its worker stopped just after), or removed
        return
    carry_out(screening, policy=policy)


def retry(run_id: int, policy: str | None = None) -> None:
    ScreeningRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(stage="queued", percent=0)


def give_up(reason: str, run_id: int, policy: str | None = None) -> None:
    ScreeningRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=reason, finished_at=timezone.now()
    )


register(Kind("screening", run, background_setting="SCREENING_IN_BACKGROUND", retry=retry, give_up=give_up))
