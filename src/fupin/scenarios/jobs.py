"""A scenario run as a background job: it writes only its own record at the end (one transaction), so a
worker that stops halfway leaves nothing; the run is then tried again, or fails with the reason."""

from __future__ import annotations

from django.utils import timezone

from fupin.jobs.services import Kind, register
from fupin.scenarios.models import RunStatus, ScenarioRun


def run(run_id: int) -> None:
    from fupin.scenarios.services import carry_out

    found = ScenarioRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).first()
    if found is None:
        return
    carry_out(found)


def retry(run_id: int) -> None:
    ScenarioRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(stage="queued", percent=0)


def give_up(reason: str, run_id: int) -> None:
    ScenarioRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=reason, finished_at=timezone.now()
    )


register(
    Kind("scenario_run", run, background_setting="SCREENING_IN_BACKGROUND", retry=retry, give_up=give_up)
)
