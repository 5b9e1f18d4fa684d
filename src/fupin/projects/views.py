"""Project library pages: thin views over ``selectors`` (reads) and ``services`` (writes).

A project is looked up in the reader's view scope first (outside: 404), the role is checked by the
step table (the refusal says who may), and a refused step changes nothing and says why.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import InvalidInput, Refused
from fupin.projects import forms, selectors, services, workflow
from fupin.projects.models import Appraisal, Category, FundSource, NoticeKind, Project, State
from fupin.web import exports
from fupin.web.forms import apply_errors
from fupin.web.pages import current_user, page, require

PAGE_SIZE = 50


def _project(request: HttpRequest, pk: int) -> Project:
    try:
        return selectors.get_project(current_user(request), pk)
    except Project.DoesNotExist:
        raise Http404(_("No such project in your area.")) from None


def _verbose(point: str) -> Any:
    return getattr(Appraisal._meta.get_field(point), "verbose_name", point)


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else format(Decimal(fen) / 100, ",.2f")


@page
def project_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = selectors.Filters.from_query(request.GET)
    area = None
    if filters.area_code:
        area = selectors.visible_area(user, filters.area_code)
        if area is None:
            raise Http404(_("No such area in your scope."))
    projects = selectors.projects_for(user, filters, area)
    listing = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/list.html",
        {
            "page_obj": listing,
            "filters": filters,
            "states": State.choices,
            "categories": Category.choices,
            "can_propose": user.can(Capability.PROPOSE_PROJECTS) and bool(selectors.proposal_areas(user)),
            "can_export": user.can(Capability.EXPORT),
            "query": request.GET.urlencode(),
        },
    )


@page
def project_export(request: HttpRequest) -> HttpResponseBase:
    """The library as a workbook (no personal data: projects only), audited."""
    user = current_user(request)
    exports.require_export(user)
    filters = selectors.Filters.from_query(request.GET)
    projects = list(selectors.projects_for(user, filters).prefetch_related("budget"))
    columns = [
        exports.Column(_("project code"), lambda p: p.code, 20),
        exports.Column(_("project name"), lambda p: p.name, 30),
        exports.Column(_("category"), lambda p: p.get_category_display(), 14),
        exports.Column(_("place"), lambda p: p.area.name, 14),
        exports.Column(_("year"), lambda p: p.year, 8),
        exports.Column(_("state"), lambda p: p.get_state_display(), 16),
        exports.Column(_("implementing unit"), lambda p: p.implementing_unit, 20),
        *[
            exports.Column(str(label), (lambda s: lambda p: _source_yuan(p, s))(source), 14)
            for source, label in FundSource.choices
        ],
        exports.Column(_("households driven"), lambda p: p.households_driven, 10),
        exports.Column(_("link to farmers"), lambda p: p.link_description, 30),
    ]
    audit.record(
        actor=user,
        action="export.projects",
        object_type="project_library",
        summary=f"{len(projects)} projects exported",
    )
    return exports.xlsx_response(columns, projects, "projects.xlsx", str(_("Project library")))


def _source_yuan(project: Project, source: str) -> Decimal:
    fen = sum(b.amount_fen for b in project.budget.all() if b.source == source)
    return Decimal(fen) / 100


@page
def project_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.PROPOSE_PROJECTS)
    areas = selectors.proposal_areas(user)
    if not areas:
        messages.error(request, _("You keep records for no village or township: ask for a capture area."))
        return redirect("projects:list")
    form = forms.ProjectForm(
        request.POST or None,
        areas=areas,
        initial={"year": clock.today().year, "months": 6, "households_driven": 0, "persons_driven": 0},
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.create_project(actor=user, data=form.to_input())
        except InvalidInput as error:
            apply_errors(form, error, forms.ALIASES)
        else:
            messages.success(request, _("The project is saved. Post the village notice when it is complete."))
            return redirect("projects:project", pk=project.pk)
    return render(request, "projects/edit.html", {"form": form, "project": None})


@page
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    project = _project(request, pk)
    require(user, Capability.PROPOSE_PROJECTS)
    if project.state != State.DRAFT:
        messages.error(request, _("Only a project being prepared by the village can be changed."))
        return redirect("projects:project", pk=project.pk)
    form = forms.ProjectForm(
        request.POST or None, areas=selectors.proposal_areas(user), initial=forms.initial_from(project)
    )
    if request.method == "POST" and form.is_valid():
        beneficiaries = [b.household_id for b in project.beneficiaries.all()]
        try:
            services.update_project(actor=user, project=project, data=form.to_input(beneficiaries))
        except InvalidInput as error:
            apply_errors(form, error, forms.ALIASES)
        except Refused as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The project is saved."))
            return redirect("projects:project", pk=project.pk)
    return render(request, "projects/edit.html", {"form": form, "project": project})


@page
def project(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _project(request, pk)
    steps = selectors.allowed_steps(user, found)
    notices = list(found.notices.all())
    today = clock.today()
    appraisal = Appraisal.objects.filter(project=found).first()
    events = list(found.events.all())
    for event in events:
        known = workflow.STEPS.steps.get(event.action)
        event.label = (  # type: ignore[attr-defined]
            known.label
            if known
            else {"propose": _("Proposed"), "roll_over": _("Rolled over to the next year")}.get(
                event.action, event.action
            )
        )
    return render(
        request,
        "projects/project.html",
        {
            "project": found,
            "steps": steps,
            "lacks": services.completeness(found) if found.state == State.DRAFT else [],
            "budget": [(b.get_source_display(), _yuan(b.amount_fen)) for b in found.budget.all()],
            "budget_total": _yuan(selectors.budget_total(found)),
            "targets": list(found.targets.all()),
            "notices": notices,
            "notice_running": next(
                (n for n in notices if n.ends_on > today and n.kind != NoticeKind.COMPLETION), None
            ),
            "beneficiaries": [b.household for b in found.beneficiaries.all()],
            "events": events,
            "appraisal": appraisal,
            "appraisal_rows": [
                (_verbose(point), getattr(appraisal, f"get_{point}_display")()) for point in Appraisal.POINTS
            ]
            if appraisal
            else [],
            "points": [(point, _verbose(point)) for point in Appraisal.POINTS],
            "notice_states": list(workflow.NOTICE_STATES),
            "expected_income": _yuan(found.expected_income_fen),
            "settled": _yuan(found.settled_fen),
            "can_edit": found.state == State.DRAFT
            and user.can(Capability.PROPOSE_PROJECTS)
            and scope.area_in_scope(user, found.area.path, "capture"),
            "today": today,
            "this_year": today.year,
        },
    )


@require_POST
@page
def step(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _project(request, pk)
    form = forms.StepForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for problem in errors:
                messages.error(request, str(problem))
        return redirect("projects:project", pk=found.pk)
    data = form.cleaned_data
    name = data["step"]
    try:
        services.take_step(
            actor=user,
            project=found,
            step=name,
            reason=data["reason"] or "",
            place=data["place"] or "",
            year=data["year"],
            appraisal=form.appraisal() if name == "appraise" else None,
            acceptance=(
                services.AcceptanceInput(
                    accepted_on=data["accepted_on"] or clock.today(),
                    result=data["result"] or "",
                    settled_fen=forms.to_fen(data["settled"]) if data["settled"] is not None else None,
                )
                if name == "accept"
                else None
            ),
        )
    except InvalidInput as error:
        for found_errors in error.field_errors.values():
            for message in found_errors:
                messages.error(request, str(message))
    except Refused as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("Done: the project is now at “%(state)s”.") % {"state": _state_label(pk, user)}
        )
    return redirect("projects:project", pk=found.pk)


def _state_label(pk: int, user: Any) -> str:
    return str(selectors.get_project(user, pk).get_state_display())


@page
def notice_pdf(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A project's public notice of one step as a printable A4 PDF in Chinese (no personal data)."""
    from fupin.projects import notices

    user = current_user(request)
    found = _project(request, pk)
    if kind not in NoticeKind.values:
        raise Http404(_("No such notice."))
    try:
        content = notices.project_notice_pdf(found, kind)
    except Refused as error:
        messages.error(request, str(error.message))
        return redirect("projects:project", pk=found.pk)
    audit.record(
        actor=user,
        action="print.project_notice",
        object_type="project",
        object_id=found.pk,
        area_code=found.area.code,
        summary=f"{kind} notice of {found.code} printed",
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.code}-{kind}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@page
def library(request: HttpRequest, code: str) -> HttpResponse:
    """An area's library in figures, with the areas below, and the library notice of the year."""
    user = current_user(request)
    area = selectors.visible_area(user, code)
    if area is None:
        raise Http404(_("No such area in your scope."))
    year = selectors.Filters.from_query(request.GET).year
    children = list(area.children.order_by("code")) if area.level < 5 else []
    return render(
        request,
        "projects/library.html",
        {
            "area": area,
            "year": year,
            "figures": selectors.library_figures(user, area, year),
            "rows": [selectors.library_figures(user, child, year) for child in children],
            "yuan": _yuan,
            "years": list(range(clock.today().year + 1, 2020, -1)),
        },
    )


@page
def library_pdf(request: HttpRequest, code: str) -> HttpResponse:
    from fupin.projects import notices

    user = current_user(request)
    area = selectors.visible_area(user, code)
    if area is None:
        raise Http404(_("No such area in your scope."))
    year = selectors.Filters.from_query(request.GET).year or clock.today().year
    try:
        content = notices.library_notice_pdf(user, area, year)
    except Refused as error:
        messages.error(request, str(error.message))
        return redirect("projects:library", code=area.code)
    audit.record(
        actor=user,
        action="print.project_library",
        object_type="project_library",
        object_id=area.code,
        area_code=area.code,
        summary=f"library notice {year} printed",
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="library-{area.code}-{year}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
