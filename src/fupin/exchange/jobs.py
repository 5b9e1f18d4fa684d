"""The import from the upload page as a background job: all or nothing, so a worker that stops halfway
leaves nothing imported; the import is then tried again, or fails with the reason."""

from __future__ import annotations

from django.utils import timezone

from fupin.exchange.models import ImportJob, JobStatus
from fupin.jobs.services import Kind, register


def run(job_id: int) -> None:
    from fupin.exchange.services import carry_out

    job = ImportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).first()
    if job is None:  # finished already (its worker stopped just after), or removed
        return
    carry_out(job)


def retry(job_id: int) -> None:
    ImportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(percent=0)


def give_up(reason: str, job_id: int) -> None:
    from fupin.exchange.services import upload_path

    job = ImportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).first()
    if job is None:
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=reason, percent=100, finished_at=timezone.now()
    )
    upload_path(job).unlink(missing_ok=True)


register(Kind("import", run, background_setting="SCREENING_IN_BACKGROUND", retry=retry, give_up=give_up))
