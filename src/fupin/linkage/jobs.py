"""Matching the unlinked department records as a background job. The run's links and counts are
written in one transaction at its end, so a worker that stops halfway leaves nothing; the run is then
tried again, or fails with the reason on the page."""

from __future__ import annotations

from django.utils import timezone

from fupin.jobs.services import Kind, register
from fupin.linkage.models import LinkageRun, RunStatus

UNDER_WAY = [RunStatus.QUEUED, RunStatus.RUNNING]


def run(run_id: int) -> None:
    from fupin.linkage.services import carry_out

    linkage = LinkageRun.objects.filter(pk=run_id, status__in=UNDER_WAY).select_related("started_by").first()
    if linkage is None:  # finished already (its worker stopped just after), or removed
        return
    carry_out(linkage)


def retry(run_id: int) -> None:
    LinkageRun.objects.filter(pk=run_id, status__in=UNDER_WAY).update(status=RunStatus.QUEUED)


def give_up(reason: str, run_id: int) -> None:
    LinkageRun.objects.filter(pk=run_id, status__in=UNDER_WAY).update(
        status=RunStatus.FAILED, error=reason, finished_at=timezone.now()
    )


register(Kind("linkage", run, background_setting="LINKAGE_IN_BACKGROUND", retry=retry, give_up=give_up))
