"""Data-check pages: the checks of an area with their failure counts, one check's failing records with
links to the pages that fix them, and the Excel export of the failures (masked, audited).

Every user with an area may read the checks of that area; the export needs the export capability. An
area outside the user's scope is "not found", like a record.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fupin.accounts import scope
from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.checks import catalogue, report, selectors, services
from fupin.checks.catalogue import Check, CheckContext
from fupin.web.pages import current_user, page, require

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chosen_area(request: HttpRequest, user: User, areas: list[Area]) -> Area | None:
    """The area asked for (any area in scope, a village too), else the broadest one the user has."""
    code = request.GET.get("area", "").strip()
    if code:
        return selectors.area_for(user, code)
    return areas[0] if areas else None


@page
def overview(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    areas = selectors.areas_to_check(user)
    area = _chosen_area(request, user, areas)
    if area is not None and area not in areas:
        areas = [*areas, area]
    context: dict[str, Any] = {"areas": areas, "area": area, "can_export": user.can(Capability.EXPORT)}
    if area is not None:
        counts = selectors.counts(user, CheckContext.for_area(area))
        context.update(
            counts=counts,
            errors=sum(c.count for c in counts if c.check.severity == "error"),
            warnings=sum(c.count for c in counts if c.check.severity == "warning"),
        )
    return render(request, "checks/overview.html", context)


@dataclass(frozen=True)
class Row:
    failure: report.Failure
    household_url: str
    fix_url: str
    fix_label: str
    # whether the user may put this failure on the supervision problem list (supervision:from_check)
    can_record_problem: bool = False


def _fix_link(user: User, failure: report.Failure) -> tuple[str, str]:
    """Where the record is corrected, if the user may correct it; else nothing (the household link stays)."""
    household = failure.household
    if not user.can(Capability.EDIT_RECORDS) or not scope.area_in_scope(
        user, household.village.path, "capture"
    ):
        return "", ""
    route = failure.check.fix_route
    if route == "member_edit":
        return reverse("web:member_edit", args=[failure.record.pk]), _("Edit the member")
    if route == "income_edit":
        return reverse("web:income_edit", args=[household.pk, failure.record.year]), _(
            "Edit the income record"
        )
    if route == "household_edit":
        return reverse("web:household_edit", args=[household.pk]), _("Edit the household")
    if route == "plan":
        try:
            return reverse("assistance:plan", args=[household.pk]), _("Open the plan")
        except NoReverseMatch:  # an installation without the plan pages: the household page lists measures
            pass
    return reverse("web:household", args=[household.pk]), _("Open the household")


def _check_or_404(code: str) -> Check:
    try:
        return catalogue.get(code)
    except KeyError:
        raise Http404 from None


@page
def check_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    check = _check_or_404(code)
    area = _chosen_area(request, user, selectors.areas_to_check(user))
    if area is None:
        raise Http404
    ctx = CheckContext.for_area(area)
    page_obj = Paginator(selectors.failing(user, ctx, check), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    may_record_problems = user.can(Capability.RECORD_PROBLEMS)
    for failure in report.failures(check, ctx, page_obj.object_list):
        fix_url, fix_label = _fix_link(user, failure)
        rows.append(
            Row(
                failure,
                reverse("web:household", args=[failure.household.pk]),
                fix_url,
                fix_label,
                may_record_problems and scope.area_in_scope(user, failure.household.village.path, "capture"),
            )
        )
    return render(
        request,
        "checks/detail.html",
        {
            "check": check,
            "area": area,
            "page_obj": page_obj,
            "rows": rows,
            "can_export": user.can(Capability.EXPORT),
        },
    )


@page
def export(request: HttpRequest) -> HttpResponse:
    """An Excel file of the failures of every check, or of one (``?check=CODE``), over an area."""
    user = current_user(request)
    require(user, Capability.EXPORT)
    area = _chosen_area(request, user, selectors.areas_to_check(user))
    if area is None:
        raise Http404
    code = request.GET.get("check", "").strip()
    checks = [_check_or_404(code)] if code else list(catalogue.CATALOGUE)
    ctx = CheckContext.for_area(area)
    counted = selectors.counts(user, ctx, tuple(checks))
    section = report.Section(
        ctx, [(c.check, c.count, selectors.failing(user, ctx, c.check)) for c in counted]
    )
    buffer = io.BytesIO()
    written = report.write_workbook([section], buffer)
    services.record_export(
        actor=user, area_code=area.code, check_codes=[c.code for c in checks], rows=written
    )
    stamp = timezone.localdate().isoformat()
    name = f"checks-{area.code}-{code or 'all'}-{stamp}.xlsx"
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
