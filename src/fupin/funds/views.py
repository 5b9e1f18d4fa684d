"""Linkage-fund pages: thin views over ``selectors`` (reads) and ``services`` (writes).

Pages of an area look the area up in the reader's view scope (outside: 404); pages of an allocation
or project look the record up through the scoping layer; writes then check the role (403 saying who
may) and the services check the county's capture scope.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.core import clock
from fupin.core.errors import InvalidInput, Refused
from fupin.funds import forms, importer, notice, selectors, services
from fupin.funds.models import Allocation
from fupin.funds.services import yuan
from fupin.web import exports
from fupin.web.forms import apply_errors
from fupin.web.pages import current_user, page, require


def _area(request: HttpRequest, code: str) -> Area:
    area = selectors.visible_area(current_user(request), code)
    if area is None:
        raise Http404(_("No such area in your scope."))
    return area


def _year(request: HttpRequest) -> int:
    today = clock.today().year
    try:
        year = int(request.GET.get("year", today))
    except ValueError:
        return today
    return year if 2016 <= year <= today + 5 else today


def _years() -> list[int]:
    today = clock.today().year
    return list(range(today + 1, today - 5, -1))


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"


@page
def plan(request: HttpRequest, code: str) -> HttpResponse:
    """The year's plan of an area: a county's sources with their amounts, allocated and remaining, its
    projects with their allocations and the share checks; an area below sees its own projects; an area
    above the county its counties (the province's table)."""
    user = current_user(request)
    area = _area(request, code)
    year = _year(request)
    if area.level < AreaLevel.COUNTY:
        return redirect(f"{reverse('funds:counties', args=[area.code])}?year={year}")
    the_plan = selectors.year_plan(user, area, year)
    check = the_plan.share_check
    return render(
        request,
        "funds/plan.html",
        {
            "area": area,
            "year": year,
            "years": _years(),
            "plan": the_plan,
            "check": check,
            "share": _percent(check.value) if check else None,
            "minimum": _percent(check.minimum) if check else None,
            "household_share": _percent(the_plan.household_share),
            "is_county": area.level == AreaLevel.COUNTY,
            "can_manage": user.can(Capability.MANAGE_FUNDS),
            "fundable": list(selectors.fundable_projects(user, area))
            if area.level == AreaLevel.COUNTY
            else [],
        },
    )


@page
def year_fund_add(request: HttpRequest, code: str) -> HttpResponse:
    """Record an allocation document (下达文件) of one source for the county's year."""
    user = current_user(request)
    area = _area(request, code)
    require(user, Capability.MANAGE_FUNDS)
    form: forms.YearFundForm | None = forms.YearFundForm(
        request.POST or None, initial={"year": _year(request)}
    )
    if area.level != AreaLevel.COUNTY:
        messages.info(request, _("Linkage funds are planned by the county: choose a county."))
        form = None
    elif form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_year_fund(
                actor=user,
                county=area,
                data=services.YearFundInput(
                    data["year"],
                    data["source"],
                    data["amount_fen"],
                    data["document_no"],
                    data["document_date"],
                    data["note"],
                ),
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The allocation document is recorded."))
            return redirect(f"{reverse('funds:plan', args=[area.code])}?year={data['year']}")
    return render(
        request,
        "funds/form.html",
        {
            "area": area,
            "form": form,
            "legend": _("An allocation document of the year's funds"),
            "back": reverse("funds:plan", args=[area.code]),
        },
    )


@page
def allocate(request: HttpRequest, pk: int) -> HttpResponse:
    """Allocate (or change the allocation of) one source to one project for a year."""
    user = current_user(request)
    try:
        project = selectors.get_project(user, pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such project in your area.")) from None
    require(user, Capability.MANAGE_FUNDS)
    form = forms.AllocationForm(request.POST or None, initial={"year": project.year})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.allocate(
                actor=user,
                county=project.county,
                data=services.AllocationInput(project.pk, data["year"], data["source"], data["amount_fen"]),
            )
        except InvalidInput as error:
            apply_errors(form, error, {"project": "__all__"})
        except Refused as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The allocation is saved."))
            return redirect(f"{reverse('funds:plan', args=[project.county.code])}?year={data['year']}")
    allocations = selectors.allocations_for(user, project.area, project.year).filter(project=project)
    return render(
        request,
        "funds/allocate.html",
        {"project": project, "form": form, "allocations": allocations},
    )


def _allocation(request: HttpRequest, pk: int) -> Allocation:
    try:
        return selectors.get_allocation(current_user(request), pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such allocation in your area.")) from None


@page
def allocation(request: HttpRequest, pk: int) -> HttpResponse:
    """One allocation: its payments, what is left, and the form to record a payment."""
    user = current_user(request)
    found = _allocation(request, pk)
    disbursed = services.disbursed_fen(found)
    return render(
        request,
        "funds/allocation.html",
        {
            "allocation": found,
            "payments": found.disbursements.all(),
            "disbursed": yuan(disbursed),
            "left": yuan(found.amount_fen - disbursed),
            "form": forms.DisbursementForm() if user.can(Capability.MANAGE_FUNDS) else None,
        },
    )


@require_POST
@page
def disburse(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    found = _allocation(request, pk)
    require(user, Capability.MANAGE_FUNDS)
    form = forms.DisbursementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.disburse(
                actor=user,
                allocation=found,
                data=services.DisbursementInput(
                    data["paid_on"], data["amount_fen"], data["voucher_no"], data["note"]
                ),
            )
        except InvalidInput as error:
            for texts in error.field_errors.values():
                for text in texts:
                    messages.error(request, str(text))
        else:
            messages.success(request, _("The payment is recorded."))
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
    return redirect("funds:allocation", pk=found.pk)


def _progress_chart(progress: selectors.Progress) -> dict[str, Any]:
    return {
        "months": [f"{progress.year}-{m:02d}" for m in range(1, progress.months + 1)],
        "series": [
            {
                "name": str(line.label),
                "data": [float(s * 100) if s is not None else None for s in line.shares],
            }
            for line in progress.lines
        ]
        + (
            [
                {
                    "name": _("All sources"),
                    "data": [float(s * 100) if s is not None else None for s in progress.total.shares],
                }
            ]
            if progress.lines
            else []
        ),
        "percent": _("% of allocated"),
    }


@page
def progress(request: HttpRequest, code: str) -> HttpResponse:
    """Spending progress (支出进度) by source and month, with the late projects."""
    user = current_user(request)
    area = _area(request, code)
    year = _year(request)
    the_progress = selectors.spending_progress(user, area, year)
    rows = [
        {
            "label": line.label,
            "allocated": yuan(line.allocated_fen),
            "months": [(yuan(v), _percent(s)) for v, s in zip(line.cumulative_fen, line.shares, strict=True)],
        }
        for line in [*the_progress.lines, the_progress.total]
        if line.allocated_fen
    ]
    return render(
        request,
        "funds/progress.html",
        {
            "area": area,
            "year": year,
            "years": _years(),
            "progress": the_progress,
            "rows": rows,
            "month_labels": [f"{m}" for m in range(1, the_progress.months + 1)],
            "late": [
                {
                    "entry": e,
                    "elapsed": _percent(e.elapsed),
                    "paid": _percent(e.disbursed_share),
                    "allocated": yuan(e.allocated_fen),
                    "disbursed": yuan(e.disbursed_fen),
                }
                for e in the_progress.late
            ],
            "lag": _percent(the_progress.lag_max),
            "chart": _progress_chart(the_progress),
        },
    )


@page
def counties(request: HttpRequest, code: str) -> HttpResponse:
    """Every county's plan, industry share and spending progress in one table (the province's view)."""
    user = current_user(request)
    area = _area(request, code)
    year = _year(request)
    rows = [
        {
            "row": r,
            "amount": yuan(r.amount_fen),
            "allocated": yuan(r.allocated_fen),
            "disbursed": yuan(r.disbursed_fen),
            "share": _percent(r.share_check.value),
            "minimum": _percent(r.share_check.minimum),
            "progress": _percent(r.progress),
        }
        for r in selectors.counties_table(user, area, year)
    ]
    return render(
        request, "funds/counties.html", {"area": area, "year": year, "years": _years(), "rows": rows}
    )


@page
def plan_export(request: HttpRequest, code: str) -> HttpResponseBase:
    user = current_user(request)
    area = _area(request, code)
    exports.require_export(user)
    year = _year(request)
    the_plan = selectors.year_plan(user, area, year)
    columns: list[exports.Column[Allocation]] = [
        exports.Column(_("Project code"), lambda a: a.project.code, 22),
        exports.Column(_("Project"), lambda a: a.project.name, 30),
        exports.Column(_("Category"), lambda a: str(a.project.get_category_display()), 16),
        exports.Column(_("Place"), lambda a: a.project.area.name, 14),
        exports.Column(_("Funding source"), lambda a: str(a.get_source_display()), 20),
        exports.Column(_("Amount allocated (yuan)"), lambda a: Decimal(a.amount_fen) / 100, 16),
        exports.Column(_("Household project"), lambda a: _("yes") if a.project.household_project else "", 10),
    ]
    return exports.export_list(
        user,
        "xlsx",
        name="funds_plan",
        columns=columns,
        rows=the_plan.allocations,
        count=len(the_plan.allocations),
        filters={"area": area.code, "year": year},
        sheet_title=_("Year plan"),
        stem=f"fund-plan-{area.code}-{year}",
        area_code=area.code,
    )


@page
def progress_export(request: HttpRequest, code: str) -> HttpResponseBase:
    user = current_user(request)
    area = _area(request, code)
    exports.require_export(user)
    year = _year(request)
    the_progress = selectors.spending_progress(user, area, year)
    lines = [line for line in [*the_progress.lines, the_progress.total] if line.allocated_fen]
    columns: list[exports.Column[selectors.ProgressLine]] = [
        exports.Column(_("Funding source"), lambda line: str(line.label) or _("All sources"), 24),
        exports.Column(_("Amount allocated (yuan)"), lambda line: Decimal(line.allocated_fen) / 100, 16),
    ]
    for index in range(the_progress.months):
        columns.append(
            exports.Column(
                f"{year}-{index + 1:02d}",
                lambda line, i=index: Decimal(line.cumulative_fen[i]) / 100,  # type: ignore[misc]
                14,
            )
        )
    return exports.export_list(
        user,
        "xlsx",
        name="funds_progress",
        columns=columns,
        rows=lines,
        count=len(lines),
        filters={"area": area.code, "year": year},
        sheet_title=_("Spending progress"),
        stem=f"fund-progress-{area.code}-{year}",
        area_code=area.code,
    )


@page
def notice_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The year's plan notice (年度计划公告), printable, in Chinese."""
    user = current_user(request)
    area = _area(request, code)
    year = _year(request)
    content = notice.render_notice_pdf(user, area, year)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="fund-plan-notice-{area.code}-{year}.pdf"'
    return response


@page
def plan_import(request: HttpRequest, code: str) -> HttpResponse:
    """Upload the year's plan: every row an allocation, or none with every problem listed."""
    from fupin.exchange.headers import column_letter

    user = current_user(request)
    area = _area(request, code)
    require(user, Capability.MANAGE_FUNDS)
    year = _year(request)
    context: dict[str, Any] = {
        "area": area,
        "year": year,
        "years": _years(),
        "is_county": area.level == AreaLevel.COUNTY,
    }
    if request.method == "POST" and area.level == AreaLevel.COUNTY:
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose the file to import."))
        elif upload.size and upload.size > importer.MAX_BYTES:
            messages.error(
                request, _("The file is larger than %(max)s MB: split it into smaller files.") % {"max": 5}
            )
        else:
            data = upload.read()
            name = upload.name or "upload.xlsx"
            try:
                result = importer.import_plan(user, area, year, data, name)
            except importer.ImportRejected as failure:
                token = importer.keep_error_workbook(user, area, importer.error_workbook(data, name, failure))
                context.update(
                    problems=[
                        {
                            "row": p.row,
                            "letter": column_letter(p.col_index) if p.col_index is not None else "",
                            "column": p.column,
                            "value": p.value,
                            "message": str(p.message),
                        }
                        for p in failure.problems[:200]
                    ],
                    errors_url=reverse("funds:import_errors", args=[area.code, token]),
                )
            except (InvalidInput, Refused) as error:
                messages.error(request, str(error.message))
            else:
                messages.success(
                    request,
                    _("%(count)s allocations imported, %(amount)s yuan in all.")
                    % {"count": result.rows, "amount": yuan(result.total_fen)},
                )
                return redirect(f"{reverse('funds:plan', args=[area.code])}?year={year}")
    return render(request, "funds/import.html", context)


@page
def import_template(request: HttpRequest, code: str) -> HttpResponse:
    area = _area(request, code)
    year = _year(request)
    county = selectors.county_of(area) or area
    response = HttpResponse(importer.template(county, year), content_type=importer.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{importer.template_name(county, year)}"'
    return response


@page
def import_errors(request: HttpRequest, code: str, token: str) -> HttpResponse:
    user = current_user(request)
    area = _area(request, code)
    book = importer.kept_error_workbook(user, area, token)
    if book is None:
        raise Http404(_("The workbook is no longer kept: upload the file again."))
    response = HttpResponse(book, content_type=importer.XLSX)
    response["Content-Disposition"] = f'attachment; filename="plan-errors-{area.code}.xlsx"'
    return response


@page
def dashboard_panel(request: HttpRequest, code: str) -> HttpResponse:
    """The fund figures of an area for the dashboard's area page (loaded by URL, as supervision's):
    the year's allocations by category and the spending progress."""
    user = current_user(request)
    area = _area(request, code)
    year = clock.today().year
    if area.level < AreaLevel.COUNTY:
        rows = selectors.counties_table(user, area, year)
        allocated = sum(r.allocated_fen for r in rows)
        disbursed = sum(r.disbursed_fen for r in rows)
        categories: list[tuple[Any, int]] = []
    else:
        the_plan = selectors.year_plan(user, area, year)
        allocated = the_plan.total_allocated_fen
        disbursed = sum(s.disbursed_fen for s in the_plan.sources)
        categories = the_plan.by_category
    return render(
        request,
        "funds/_dashboard_panel.html",
        {
            "area": area,
            "year": year,
            "allocated": yuan(allocated),
            "progress": _percent(selectors.share(disbursed, allocated)),
            "categories": [
                {"label": label, "share": _percent(selectors.share(v, allocated))}
                for label, v in categories[:4]
            ],
        },
    )


def chart_json(chart: dict[str, Any]) -> str:
    return json.dumps(chart, ensure_ascii=False)
