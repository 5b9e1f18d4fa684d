"""Supervision pages: thin views over ``selectors`` (reads) and ``services`` (writes).

Every page about one problem looks the problem up in the reader's view scope first (outside: 404),
then checks the role (403 that says who may), then the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.roles import Capability
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message, Refused
from fupin.registry.models import Household
from fupin.supervision import forms, selectors, services
from fupin.supervision.models import (
    Evidence,
    InspectedHousehold,
    Inspection,
    Problem,
    ReportRound,
    ReportSubmission,
    SituationReport,
    Source,
    Status,
)
from fupin.web import exports
from fupin.web.forms import apply_errors
from fupin.web.pages import current_user, page, require

PAGE_SIZE = 50
T = TypeVar("T")


def _in_scope(request: HttpRequest, lookup: Callable[[Any, int], T], pk: int, missing: Message) -> T:
    """The record by ``lookup`` (a selector reading through the scope layer), or 404 saying ``missing``:
    the same answer whether it is elsewhere or does not exist."""
    try:
        return lookup(current_user(request), pk)
    except ObjectDoesNotExist:
        raise Http404(missing) from None


def _problem(request: HttpRequest, pk: int) -> Problem:
    return _in_scope(request, selectors.get_problem, pk, _("No such problem in your area."))


def _flash(request: HttpRequest, error: InvalidInput | Refused) -> None:
    if isinstance(error, InvalidInput):
        for found in error.field_errors.values():
            for message in found:
                messages.error(request, str(message))
    else:
        messages.error(request, str(error.message))


@page
def problem_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = selectors.Filters.from_query(request.GET)
    area = None
    if filters.area_code:
        area = selectors.visible_area(user, filters.area_code)
        if area is None:
            raise Http404(_("No such area in your scope."))
    problems = selectors.problems_for(user, filters, area)
    listing = Paginator(problems, PAGE_SIZE).get_page(request.GET.get("page"))
    areas = selectors.areas_for(user)
    counts = selectors.counts_by_area(user, area or areas[0]) if (area or areas) else []
    return render(
        request,
        "supervision/problems.html",
        {
            "page_obj": listing,
            "filters": filters,
            "sources": Source.choices,
            "statuses": Status.choices,
            "areas": areas,
            "area": area,
            "counts": counts,
            "overdue_ids": {p.pk for p in listing if selectors.is_overdue(p)},
            "can_record": user.can(Capability.RECORD_PROBLEMS) and bool(selectors.capture_areas(user)),
            "can_export": user.can(Capability.EXPORT),
        },
    )


@page
def problem_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RECORD_PROBLEMS)
    areas = selectors.capture_areas(user)
    # A finding of an inspection's team: ?inspection=<id>&household=<id> from the inspection's page.
    inspection, household = _finding_of(request, user)
    initial: dict[str, Any] = {}
    if inspection is not None:
        initial = {"source": inspection.source, "area": inspection.area.code}
        if household is not None:
            initial["area"] = household.village.code
    form = forms.ProblemForm(request.POST or None, areas=areas, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            problem = services.record_problem(
                actor=user,
                data=services.ProblemInput(
                    source=data["source"],
                    area_code=data["area"],
                    kind=data["kind"],
                    severity=data["severity"],
                    description=data["description"],
                    found_on=data["found_on"],
                    deadline=data["deadline"],
                    lead_unit=data["lead_unit"],
                    household_id=household.pk if household is not None else None,
                    inspection_id=inspection.pk if inspection is not None else None,
                ),
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The problem is on the list."))
            return redirect("supervision:problem", pk=problem.pk)
    return render(
        request,
        "supervision/problem_new.html",
        {"form": form, "inspection": inspection, "household": household},
    )


def _finding_of(request: HttpRequest, user: Any) -> tuple[Inspection | None, Household | None]:
    """The inspection (and household of its sample) a new problem is a finding of, from the query."""
    query = request.GET if request.method == "GET" else request.POST
    try:
        inspection_id = int(query.get("inspection", "") or request.GET.get("inspection", ""))
    except ValueError:
        return None, None
    try:
        inspection = selectors.get_inspection(user, inspection_id)
    except Inspection.DoesNotExist:
        raise Http404(_("No such inspection in your area.")) from None
    try:
        household_id = int(query.get("household", "") or request.GET.get("household", ""))
    except ValueError:
        return inspection, None
    visit = (
        inspection.households.select_related("household__village").filter(household_id=household_id).first()
    )
    if visit is None:
        raise Http404(_("No such household in the inspection's sample."))
    return inspection, visit.household


@page
def problem(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _problem(request, pk)
    shown = selectors.problem_page(found)
    return render(
        request,
        "supervision/problem.html",
        {
            "problem": found,
            **shown,
            "task_form": forms.TaskForm(),
            "rectification_form": forms.RectificationForm(),
            "reason_form": forms.ReasonForm(),
            "can_assign": user.can(Capability.RECORD_PROBLEMS)
            and found.status not in (Status.CLOSED, Status.AWAITING_ACCEPTANCE),
            "can_rectify": user.can(Capability.RECTIFY_PROBLEMS)
            and found.status in (Status.IN_PROGRESS, Status.RETURNED)
            and bool(shown["tasks"]),
            "can_decide": user.can(Capability.ACCEPT_RECTIFICATIONS)
            and shown["waiting"] is not None
            and shown["waiting"].recorded_by_id != user.pk,
            "can_reopen": user.can(Capability.ACCEPT_RECTIFICATIONS) and found.status == Status.CLOSED,
        },
    )


@require_POST
@page
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _problem(request, pk)
    require(user, Capability.RECORD_PROBLEMS)
    form = forms.TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Fill in the unit, the person, the deadline and the measures."))
        return redirect("supervision:problem", pk=pk)
    try:
        services.add_task(actor=user, problem=found, **form.cleaned_data)
    except (InvalidInput, Refused) as error:
        _flash(request, error)
    else:
        messages.success(request, _("The task is assigned."))
    return redirect("supervision:problem", pk=pk)


@require_POST
@page
def rectify(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _problem(request, pk)
    require(user, Capability.RECTIFY_PROBLEMS)
    form = forms.RectificationForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Say what was done and when, and attach the evidence."))
        return redirect("supervision:problem", pk=pk)
    try:
        services.rectify(
            actor=user,
            problem=found,
            description=form.cleaned_data["description"],
            done_on=form.cleaned_data["done_on"],
            files=request.FILES.getlist("evidence"),
        )
    except (InvalidInput, Refused) as error:
        _flash(request, error)
    else:
        messages.success(request, _("The rectification waits for another person's acceptance."))
    return redirect("supervision:problem", pk=pk)


def _decision(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = current_user(request)
    found = _problem(request, pk)
    require(user, Capability.ACCEPT_RECTIFICATIONS)
    reason = forms.ReasonForm(request.POST)
    text = reason.cleaned_data["reason"] if reason.is_valid() else ""
    try:
        if step == "accept":
            services.accept(actor=user, problem=found)
            messages.success(request, _("Accepted: the problem is closed."))
        elif step == "reject":
            services.reject(actor=user, problem=found, reason=text)
            messages.success(request, _("The rectification is returned with your reason."))
        else:
            services.reopen(actor=user, problem=found, reason=text)
            messages.success(request, _("The problem is open again."))
    except (InvalidInput, Refused) as error:
        _flash(request, error)
    return redirect("supervision:problem", pk=pk)


@require_POST
@page
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, "accept")


@require_POST
@page
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, "reject")


@require_POST
@page
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, "reopen")


@page
def evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """An evidence file, to a reader who may see the problem; every opening audited."""
    user = current_user(request)
    try:
        found = selectors.get_evidence(user, pk)
    except Evidence.DoesNotExist:
        raise Http404(_("No such file in your area.")) from None
    services.record_evidence_view(actor=user, evidence=found)
    from fupin.core import uploads

    extension = found.file.rsplit(".", 1)[-1]
    return uploads.file_response(
        found.file, found.content_type, f"problem-{found.rectification.problem_id}-{found.pk}.{extension}"
    )


@require_POST
@page
def from_check(request: HttpRequest) -> HttpResponse:
    """One click on a data check's failing household: ``check`` and ``household`` in the POST body."""
    user = current_user(request)
    require(user, Capability.RECORD_PROBLEMS)
    try:
        household = Household.objects.select_related("village").get(pk=int(request.POST.get("household", "")))
    except (ValueError, Household.DoesNotExist):
        raise Http404(_("No such household in your area.")) from None
    values = {k.removeprefix("value_"): v for k, v in request.POST.items() if k.startswith("value_")}
    try:
        found = services.problem_from_check_failure(user, request.POST.get("check", ""), household, values)
    except InvalidInput as error:
        _flash(request, error)
        return redirect("supervision:problems")
    messages.success(request, _("The failed check is on the problem list."))
    return redirect("supervision:problem", pk=found.pk)


def _ledger_rows(user: Any, code: str) -> tuple[Any, Any]:
    area = selectors.visible_area(user, code)
    if area is None:
        raise Http404(_("No such area in your scope."))
    return area, selectors.ledger(user, area)


@require_POST
@page
def ledger_recheck(request: HttpRequest, code: str) -> HttpResponse:
    """Run the data checks of the area's closed data-check problems again; reopen those failing."""
    user = current_user(request)
    area, _rows = _ledger_rows(user, code)
    require(user, Capability.ACCEPT_RECTIFICATIONS)
    count = services.recheck_closed(actor=user, area=area)
    messages.success(
        request, _("Checked again: %(n)s closed problems fail again and are reopened.") % {"n": count}
    )
    return redirect("supervision:ledger", code=code)


@page
def ledger(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    area, rows = _ledger_rows(user, code)
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/ledger.html",
        {
            "area": area,
            "page_obj": listing,
            "counts": selectors.counts_by_area(user, area),
            "can_export": user.can(Capability.EXPORT),
            "can_recheck": user.can(Capability.ACCEPT_RECTIFICATIONS),
        },
    )


def ledger_columns() -> list[exports.Column[Problem]]:
    def tasks(p: Problem, attribute: str) -> str:
        return "；".join(str(getattr(t, attribute)) for t in p.tasks.all())

    def last_reason(p: Problem) -> str:
        decided = [r for r in p.rectifications.all() if r.reason]
        return decided[-1].reason if decided else ""

    return [
        exports.Column(_("Area"), lambda p: p.area.name, 16),
        exports.Column(_("Household number"), lambda p: p.household.number if p.household else "", 20),
        exports.Column(_("Source"), lambda p: p.get_source_display(), 12),
        exports.Column(_("Kind"), lambda p: p.get_kind_display(), 14),
        exports.Column(_("Severity"), lambda p: p.get_severity_display(), 8),
        exports.Column(_("Problem"), lambda p: p.description, 40),
        exports.Column(_("Found on"), lambda p: p.found_on, 12),
        exports.Column(_("Lead unit"), lambda p: p.lead_unit, 16),
        exports.Column(_("Responsible unit"), lambda p: tasks(p, "responsible_unit"), 18),
        exports.Column(_("Person responsible"), lambda p: tasks(p, "responsible_person"), 12),
        exports.Column(_("Measures"), lambda p: tasks(p, "measures"), 40),
        exports.Column(_("Deadline"), lambda p: p.deadline, 12),
        exports.Column(_("Status"), lambda p: p.get_status_display(), 12),
        exports.Column(_("Overdue"), lambda p: selectors.is_overdue(p), 8),
        exports.Column(_("Closed on"), lambda p: p.closed_on, 12),
        exports.Column(_("Reopened"), lambda p: p.reopened, 8),
        exports.Column(_("Reason returned"), last_reason, 24),
    ]


@page
def ledger_export(request: HttpRequest, code: str) -> HttpResponseBase:
    user = current_user(request)
    area, rows = _ledger_rows(user, code)  # an area outside the scope is "not found" for every role
    exports.require_export(user)
    return exports.export_list(
        user,
        "xlsx",
        name="rectification_ledger",
        columns=ledger_columns(),
        rows=rows,
        count=rows.count(),
        filters={"area": area.code},
        sheet_title=_("Rectification ledger"),
        stem=f"rectification-ledger-{area.code}",
        area_code=area.code,
    )


# ---------------------------------------------------------------- inspections


@page
def inspections(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    listing = Paginator(selectors.inspections_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/inspections.html",
        {
            "page_obj": listing,
            "can_plan": user.can(Capability.RECORD_PROBLEMS) and bool(selectors.capture_areas(user)),
        },
    )


@page
def inspection_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RECORD_PROBLEMS)
    form = forms.InspectionForm(request.POST or None, areas=selectors.capture_areas(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = services.plan_inspection(
                actor=user,
                data=services.InspectionInput(
                    source=data["source"],
                    title=data["title"],
                    area_code=data["area"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    team=data["team"],
                    sample_size=data["sample_size"],
                    seed=data["seed"],
                ),
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The inspection is planned and its households are drawn."))
            return redirect("supervision:inspection", pk=inspection.pk)
    return render(request, "supervision/inspection_new.html", {"form": form})


def _inspection(request: HttpRequest, pk: int) -> Inspection:
    return _in_scope(request, selectors.get_inspection, pk, _("No such inspection in your area."))


@page
def inspection(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _inspection(request, pk)
    may_record = user.can(Capability.RECORD_PROBLEMS)
    return render(
        request,
        "supervision/inspection.html",
        {
            "inspection": found,
            "strata": selectors.inspection_strata(found),
            "visits": list(selectors.inspection_households(found)),
            "problems": list(found.problems.select_related("area").order_by("id")),
            "can_record": may_record,
            "can_export": user.can(Capability.EXPORT),
            "today": clock.today(),
        },
    )


@require_POST
@page
def inspection_visit(request: HttpRequest, pk: int, household: int) -> HttpResponse:
    user = current_user(request)
    found = _inspection(request, pk)
    require(user, Capability.RECORD_PROBLEMS)
    visit = InspectedHousehold.objects.filter(inspection=found, household_id=household).first()
    if visit is None:
        raise Http404(_("No such household in the inspection's sample."))
    visit.inspection = found
    raw = request.POST.get("visited_on", "")
    try:
        day = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        messages.error(request, _("Give the day of the visit as a date."))
        return redirect("supervision:inspection", pk=pk)
    try:
        services.mark_visited(actor=user, visit=visit, visited_on=day)
    except (InvalidInput, Refused) as error:
        _flash(request, error)
    return redirect("supervision:inspection", pk=pk)


def visit_columns() -> list[exports.Column[InspectedHousehold]]:
    def head(v: InspectedHousehold) -> str:
        heads = getattr(v.household, "heads", [])
        return heads[0].name if heads else ""

    def village(v: InspectedHousehold) -> str:
        place = v.household.village
        return f"{place.parent.name} {place.name}" if place.parent else place.name

    return [
        exports.Column(_("Category"), lambda v: v.get_stratum_display(), 24),
        exports.Column(_("Order drawn"), lambda v: v.draw_order, 8),
        exports.Column(_("Household number"), lambda v: v.household.number, 20),
        exports.Column(_("Village"), village, 20),
        exports.Column(_("Head of household"), head, 12),
        exports.Column(_("Address"), lambda v: v.household.address, 30),
        exports.Column(_("Visited on"), lambda v: v.visited_on, 12),
    ]


@page
def inspection_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The team's visit list (Excel): who to see, where; no ID numbers or phones."""
    user = current_user(request)
    found = _inspection(request, pk)
    rows = selectors.inspection_households(found)
    return exports.export_list(
        user,
        "xlsx",
        name="inspection_visits",
        columns=visit_columns(),
        rows=rows,
        count=rows.count(),
        filters={"inspection": found.pk},
        sheet_title=_("Households to visit"),
        stem=f"inspection-{found.pk}-visits",
        area_code=found.area.code,
    )


# ---------------------------------------------------------------- important situation reports


@page
def situations(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    waiting = request.GET.get("waiting") == "1"
    listing = Paginator(selectors.situations_for(user, waiting_only=waiting), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "supervision/situations.html",
        {
            "page_obj": listing,
            "waiting": waiting,
            "can_report": user.can(Capability.REPORT_SITUATIONS) and bool(selectors.capture_areas(user)),
            "can_acknowledge": user.can(Capability.ACKNOWLEDGE_SITUATIONS),
        },
    )


@page
def situation_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.REPORT_SITUATIONS)
    form = forms.SituationForm(request.POST or None, areas=selectors.capture_areas(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_situation(
                actor=user,
                data=services.SituationInput(
                    kind=data["kind"],
                    area_code=data["area"],
                    title=data["title"],
                    occurred_on=data["occurred_on"],
                    households_affected=data["households_affected"],
                    people_affected=data["people_affected"],
                    description=data["description"],
                    measures=data["measures"],
                ),
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Reported: the county and the province are told now."))
            return redirect("supervision:situation", pk=report.pk)
    return render(request, "supervision/situation_new.html", {"form": form})


def _situation(request: HttpRequest, pk: int) -> SituationReport:
    return _in_scope(request, selectors.get_situation, pk, _("No such report in your area."))


@page
def situation(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _situation(request, pk)
    level_field = f"{selectors.acknowledging_level(user)}_acknowledged_at"
    return render(
        request,
        "supervision/situation.html",
        {
            "report": found,
            "updates": list(found.updates.select_related("written_by")),
            "follow_up_form": forms.FollowUpForm(),
            "can_acknowledge": user.can(Capability.ACKNOWLEDGE_SITUATIONS)
            and getattr(found, level_field) is None,
            "can_follow_up": user.can(Capability.ACKNOWLEDGE_SITUATIONS)
            or user.can(Capability.REPORT_SITUATIONS),
        },
    )


@require_POST
@page
def situation_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _situation(request, pk)
    require(user, Capability.ACKNOWLEDGE_SITUATIONS)
    try:
        services.acknowledge_situation(actor=user, report=found)
    except Refused as error:
        _flash(request, error)
    else:
        messages.success(request, _("Acknowledged: the reporter sees that you have it."))
    return redirect("supervision:situation", pk=pk)


@require_POST
@page
def situation_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _situation(request, pk)
    if not user.can(Capability.ACKNOWLEDGE_SITUATIONS):
        require(user, Capability.REPORT_SITUATIONS)
    try:
        services.follow_up_situation(actor=user, report=found, text=request.POST.get("text", ""))
    except (InvalidInput, Refused) as error:
        _flash(request, error)
    else:
        messages.success(request, _("The follow-up is added and the others are told."))
    return redirect("supervision:situation", pk=pk)


# ---------------------------------------------------------------- scheduling reports


def _level_choices() -> list[tuple[int, str]]:
    from fupin.areas.models import AreaLevel

    return [
        (int(level), str(label)) for level, label in AreaLevel.choices if int(level) >= AreaLevel.PREFECTURE
    ]


@page
def reports(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    mine = list(selectors.to_fill(user)[:200]) if user.can(Capability.FILL_REPORTS) else []
    listing = Paginator(selectors.rounds_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    today = clock.today()
    return render(
        request,
        "supervision/reports.html",
        {
            "page_obj": listing,
            "mine": [(s, selectors.is_late(s, today)) for s in mine],
            "can_issue": user.can(Capability.ISSUE_REPORTS),
        },
    )


@page
def round_new(request: HttpRequest) -> HttpResponse:
    from fupin.supervision import schedules, scheduling

    user = current_user(request)
    require(user, Capability.ISSUE_REPORTS)
    form = forms.RoundForm(
        request.POST or None,
        forms=[(f.code, f.name) for f in schedules.forms().values()],
        areas=[(a.code, a.name) for a in selectors.areas_for(user)],
        levels=_level_choices(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = scheduling.issue_round(
                actor=user,
                data=scheduling.RoundInput(
                    form_code=data["form_code"],
                    issuer_code=data["issuer"],
                    filler_level=int(data["filler_level"]),
                    period=data["period"],
                    deadline=data["deadline"],
                    title=data["title"],
                    note=data["note"],
                ),
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Issued: every area below is told and fills it in."))
            return redirect("supervision:round", pk=issued.pk)
    return render(request, "supervision/round_new.html", {"form": form})


def _round(request: HttpRequest, pk: int) -> ReportRound:
    return _in_scope(request, selectors.get_round, pk, _("No such report in your area."))


@page
def report_round(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _round(request, pk)
    today = clock.today()
    submissions = list(found.submissions.select_related("area", "submitted_by").order_by("area__code"))
    fields, rows = selectors.rollup(found)
    return render(
        request,
        "supervision/round.html",
        {
            "round": found,
            "rows": [(s, selectors.is_late(s, today)) for s in submissions],
            "fields": fields,
            "rollup": rows,
            "late": sum(
                1 for s in submissions if s.status in ("pending", "returned") and today > found.deadline
            ),
            "can_remind": user.can(Capability.ISSUE_REPORTS)
            and any(s.status in ("pending", "returned") for s in submissions),
        },
    )


@require_POST
@page
def round_remind(request: HttpRequest, pk: int) -> HttpResponse:
    from fupin.supervision import scheduling

    user = current_user(request)
    found = _round(request, pk)
    require(user, Capability.ISSUE_REPORTS)
    count = scheduling.remind_now(actor=user, round=found)
    messages.success(request, _("%(n)s areas were reminded.") % {"n": count})
    return redirect("supervision:round", pk=pk)


def _submission(request: HttpRequest, pk: int) -> ReportSubmission:
    return _in_scope(request, selectors.get_submission, pk, _("No such report in your area."))


@page
def submission(request: HttpRequest, pk: int) -> HttpResponse:
    from fupin.accounts import scope
    from fupin.supervision import schedules, scheduling

    user = current_user(request)
    found = _submission(request, pk)
    fields = schedules.fields_of(found.round.fields)
    may_fill = (
        user.can(Capability.FILL_REPORTS)
        and found.status in scheduling.OPEN
        and scope.area_in_scope(user, found.area.path, "capture")
    )
    errors: dict[str, list[str]] = {}
    typed: dict[str, Any] = {f.code: found.values.get(f.code, "") for f in fields}
    if request.method == "POST":
        if not may_fill:
            require(user, Capability.FILL_REPORTS)
            raise Http404(_("No such report in your area."))
        typed = {f.code: request.POST.get(f.code, "") for f in fields if not f.from_system}
        submit = request.POST.get("action") == "submit"
        try:
            scheduling.save(actor=user, submission=found, typed=typed, submit=submit)
        except InvalidInput as error:
            errors = {k: [str(m) for m in v] for k, v in error.field_errors.items()}
        except Refused as error:
            _flash(request, error)
            return redirect("supervision:submission", pk=pk)
        else:
            messages.success(
                request,
                _("Submitted to the level above.") if submit else _("Kept as a draft: not submitted yet."),
            )
            return redirect("supervision:submission", pk=pk)
    system = scheduling.system_figures(found) if found.status in scheduling.OPEN else {}
    shown = [
        {
            "field": f,
            "value": (found.values.get(f.code) if found.status not in scheduling.OPEN else system.get(f.code))
            if f.from_system
            else typed.get(f.code, ""),
            "errors": errors.get(f.code, []),
        }
        for f in fields
    ]
    may_decide = (
        user.can(Capability.ISSUE_REPORTS)
        and found.status == "submitted"
        and found.submitted_by_id != user.pk
        and scope.area_in_scope(user, found.round.issuer_area.path)
    )
    return render(
        request,
        "supervision/submission.html",
        {
            "submission": found,
            "shown": shown,
            "may_fill": may_fill,
            "may_decide": may_decide,
            "late": selectors.is_late(found),
            "has_errors": bool(errors),
            "reason_form": forms.ReasonForm(),
        },
        status=422 if errors else 200,
    )


@require_POST
@page
def submission_decide(request: HttpRequest, pk: int) -> HttpResponse:
    from fupin.supervision import scheduling

    user = current_user(request)
    found = _submission(request, pk)
    require(user, Capability.ISSUE_REPORTS)
    try:
        if request.POST.get("action") == "accept":
            scheduling.accept(actor=user, submission=found)
            messages.success(request, _("Accepted: it counts in the roll-up."))
        else:
            scheduling.return_for_correction(
                actor=user, submission=found, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Returned with your reason; the area is told."))
    except (InvalidInput, Refused) as error:
        _flash(request, error)
    return redirect("supervision:submission", pk=pk)


# ---------------------------------------------------------------- assessment scorecards


def _scored(request: HttpRequest, code: str) -> tuple[Any, Any, list[Any]]:
    from fupin.supervision import scorecards

    user = current_user(request)
    area = selectors.visible_area(user, code)
    if area is None:
        raise Http404(_("No such area in your scope."))
    card = scorecards.card_for(clock.today().year, area.code)
    return area, card, scorecards.score(user, area, card) if card is not None else []


@page
def scorecard(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    area, card, scored = _scored(request, code)
    return render(
        request,
        "supervision/scorecard.html",
        {
            "area": area,
            "card": card,
            "scored": scored,
            "language": "zh" if (request.LANGUAGE_CODE or "").startswith("zh") else "en",
            "can_export": user.can(Capability.EXPORT),
            "areas": selectors.areas_for(user),
        },
    )


def _item_cell(index: int, part: int) -> Any:
    """The value (part 1) or the points (part 2) of item ``index`` of a scored area."""
    return lambda scored: scored.items[index][part]


@page
def scorecard_export(request: HttpRequest, code: str) -> HttpResponseBase:
    user = current_user(request)
    area, card, scored = _scored(request, code)
    exports.require_export(user)
    if card is None:
        raise Http404(_("No scorecard for this year."))
    language = "zh" if (request.LANGUAGE_CODE or "").startswith("zh") else "en"
    columns: list[exports.Column[Any]] = [
        exports.Column(_("Ranking"), lambda s: s.rank, 6),
        exports.Column(_("Area"), lambda s: s.area.name, 16),
        exports.Column(_("Total points"), lambda s: s.total, 10),
    ]
    points = _("points")
    for index, item in enumerate(card.items):
        title = item.title.get(language) or item.id
        columns.append(exports.Column(title, _item_cell(index, 1), 14))
        columns.append(exports.Column(f"{title} · {points}", _item_cell(index, 2), 10))
    return exports.export_list(
        user,
        "xlsx",
        name="scorecard",
        columns=columns,
        rows=scored,
        count=len(scored),
        filters={"area": area.code, "card": card.id},
        sheet_title=_("Scorecard"),
        stem=f"scorecard-{area.code}",
        area_code=area.code,
    )


# ---------------------------------------------------------------- the dashboard's panel


@page
def dashboard_panel(request: HttpRequest, code: str) -> HttpResponse:
    """The supervision figures of an area for the dashboard's area page, which loads this fragment by
    URL (the dashboard imports nothing of supervision): problems open, overdue and closed late, the
    important situations waiting, and the best and last of the scorecard of the areas below."""
    from fupin.supervision import scorecards

    user = current_user(request)
    area = selectors.visible_area(user, code)
    if area is None:
        raise Http404(_("No such area in your scope."))
    counts = selectors.counts_by_area(user, area)
    card = scorecards.card_for(clock.today().year, area.code) if area.level < 5 else None
    scored = scorecards.score(user, area, card) if card is not None else []
    return render(
        request,
        "supervision/_dashboard_panel.html",
        {
            "area": area,
            "open": sum(c.open for c in counts),
            "overdue": sum(c.overdue for c in counts),
            "closed_late": sum(c.closed_late for c in counts),
            "waiting": selectors.situations_for(user, waiting_only=True)
            .filter(area__path__startswith=area.path)
            .count()
            if user.can(Capability.ACKNOWLEDGE_SITUATIONS)
            else None,
            "best": scored[:3],
            "last": scored[-1] if len(scored) > 3 else None,
        },
    )
