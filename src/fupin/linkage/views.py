"""Review pages: department records the linker was unsure about, and possible duplicate people.

Everybody with an area sees the candidates about members in view scope; deciding needs the capability
to edit records and capture scope (the services check; a candidate outside scope is "not found").
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.core.errors import Refused
from fupin.linkage import services
from fupin.linkage.models import Decision, DuplicateCandidate, LinkageRun, LinkCandidate
from fupin.registry.services import require_capability
from fupin.web.pages import current_user, page

PAGE_SIZE = 50


def _status(request: HttpRequest) -> str:
    status = request.GET.get("status", Decision.PENDING)
    return status if status in Decision.values else Decision.PENDING


@page
def link_queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    status = _status(request)
    candidates = (
        scope.scoped(LinkCandidate.objects.filter(status=status), user, "view")
        .select_related("record__batch", "member__household__village")
        .order_by("-probability", "id")
    )
    return render(
        request,
        "linkage/links.html",
        {
            "page_obj": Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page")),
            "status": status,
            "statuses": Decision.choices,
            "can_decide": user.can(Capability.EDIT_RECORDS),
            "run": LinkageRun.objects.filter(started_by=user).first(),
        },
    )


@require_POST
@page
def run_linkage(request: HttpRequest) -> HttpResponse:
    try:
        run = services.start_linkage(actor=current_user(request))
    except Refused as refused:
        messages.error(request, str(refused.message))
        return redirect("linkage:links")
    if run.under_way:  # the worker has it; the page follows it
        messages.success(request, _("The matching has started: this page says when it has finished."))
    return redirect("linkage:links")


@require_POST
@page
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    accept = request.POST.get("decision") == "accept"
    try:
        services.decide_link(actor=current_user(request), candidate_id=pk, accept=accept)
    except Refused as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The record was linked.") if accept else _("The candidate was rejected."))
    return redirect("linkage:links")


@page
def duplicates(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    status = _status(request)
    candidates = (
        scope.scoped(DuplicateCandidate.objects.filter(status=status), user, "view")
        .select_related("first__household__village", "second__household__village", "kept")
        .order_by("-probability", "id")
    )
    return render(
        request,
        "linkage/duplicates.html",
        {
            "page_obj": Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page")),
            "status": status,
            "statuses": Decision.choices,
            "can_decide": user.can(Capability.EDIT_RECORDS),
        },
    )


@require_POST
@page
def find(request: HttpRequest) -> HttpResponse:
    queued = services.find_duplicates(actor=current_user(request))
    messages.success(request, _("%(count)s possible duplicates found.") % {"count": queued})
    return redirect("linkage:duplicates")


@require_POST
@page
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    require_capability(user, Capability.EDIT_RECORDS)
    try:
        keep = int(request.POST.get("keep", "0"))
    except ValueError:
        keep = 0
    try:
        services.merge_duplicate(actor=user, candidate_id=pk, keep_id=keep)
    except Refused as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The two records were merged; the other one is marked as left."))
    return redirect("linkage:duplicates")


@require_POST
@page
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.reject_duplicate(actor=current_user(request), candidate_id=pk)
    except Refused as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Marked as two different people."))
    return redirect("linkage:duplicates")
