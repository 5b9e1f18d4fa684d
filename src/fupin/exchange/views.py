"""The import page: download a template, upload a file, follow its progress, get the error workbook."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.roles import Capability, refusal
from fupin.core.errors import NotPermitted
from fupin.exchange import services, workbook
from fupin.exchange.importer import import_kinds, kind_label
from fupin.exchange.models import ImportJob, JobStatus
from fupin.web.pages import current_user, is_htmx, page

MAX_UPLOAD = 200 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind_labels() -> list[tuple[str, str]]:
    return [(kind, kind_label(kind)) for kind in import_kinds()]


@page
def index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    jobs = ImportJob.objects.filter(user=user)[:20]
    return render(
        request,
        "exchange/index.html",
        {"kinds": _kind_labels(), "jobs": jobs, "can_import": user.can(Capability.EDIT_RECORDS)},
    )


@page
def template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in workbook.template_kinds():
        raise Http404
    response = HttpResponse(workbook.template(kind), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="fupin-template-{kind}.xlsx"'
    return response


@require_POST
@page
def start(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.can(Capability.EDIT_RECORDS):
        raise NotPermitted(refusal(user.role, Capability.EDIT_RECORDS))
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    if kind not in import_kinds() or upload is None:
        messages.error(request, _("Choose what to import and a file."))
        return redirect("exchange:index")
    if upload.size and upload.size > MAX_UPLOAD:
        messages.error(request, _("The file is too large for the upload page: use the fupin import command."))
        return redirect("exchange:index")
    job = services.start_import(user=user, kind=kind, file_name=upload.name or "upload", data=upload.read())
    services.run_in_background(job)
    return redirect("exchange:job", pk=job.pk)


def _own_job(request: HttpRequest, pk: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk, user=current_user(request)).first()
    if job is None:
        raise Http404
    return job


@page
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    running = job.status == JobStatus.RUNNING
    context = {"job": job, "running": running, "report": None if running else services.job_report(job)}
    template_name = "exchange/_job_status.html" if is_htmx(request) else "exchange/job.html"
    return render(request, template_name, context)


@page
def job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    data = services.error_workbook_bytes(job)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="errors-{job.pk}.xlsx"'
    return response
