"""Pages of helpers, twinning, task forces and visits.

Reads go through ``fupin.twinning.selectors`` and writes through ``fupin.twinning.services``. A record
outside the reader's area is "not found"; a page that changes something the role or the capture area
does not allow is "forbidden" (checked after the record is found, so nothing leaks).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.core import clock
from fupin.core.errors import InvalidInput, StaleEdit
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Household
from fupin.twinning import export, forms, selectors, services
from fupin.twinning.models import DEFAULT_RANK_LABELS
from fupin.web import exports, searchlinks
from fupin.web.forms import apply_errors
from fupin.web.pages import NO_CAPTURE_AREA, current_user, forbidden, page, require

PAGE_SIZE = 50


def _require(user: User, capability: Capability, area_path: str) -> None:
    """The role takes this action and the record is in the user's capture area (else 403)."""
    if not user.can(capability) or not scope.area_in_scope(user, area_path, "capture"):
        raise forbidden(user, capability)


def _may(user: User, capability: Capability, area_path: str) -> bool:
    return user.can(capability) and scope.area_in_scope(user, area_path, "capture")


def _form_page(request: HttpRequest, form: Any, **context: Any) -> HttpResponse:
    return render(request, "twinning/form.html", {"form": form, **context})


def _stale(request: HttpRequest, form_class: Any, version: int, **kwargs: Any) -> Any:
    """The user's input again with the stale-edit message and the current version, to save after review."""
    data = request.POST.copy()
    data["version"] = str(version)
    form = form_class(data, request.FILES or None, **kwargs)
    form.is_valid()
    form.add_error(None, str(StaleEdit.message))
    return form


def _county_code_of(user: User) -> str:
    area = selectors.default_area(user)
    return area.county_code if area else ""


# ---------------------------------------------------------------- helpers


def _helper_areas(user: User) -> list[Area]:
    """Where a helper's record may be kept: the counties and townships in capture, else the villages."""
    if not scope.granted_paths(user, "capture"):
        return []
    base = Area.objects.filter(scope.scope_filter(user, "capture", "path")).select_related("parent")
    upper = list(base.filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP]).order_by("code"))
    return upper or list(base.filter(level=AreaLevel.VILLAGE).order_by("code"))


def _helper_filter_form(request: HttpRequest, user: User) -> forms.HelperFilterForm:
    county_code = _county_code_of(user)
    query, _expired = searchlinks.filters_of(request)
    return forms.HelperFilterForm(query, ranks=selectors.ranks_for(county_code) if county_code else [])


@page
def helpers(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":  # the filter form: a cadre's name leaves the address only sealed
        return redirect(
            f"{reverse('twinning:helpers')}?{searchlinks.address_query(request.POST).urlencode()}"
        )
    form = _helper_filter_form(request, user)
    rows = selectors.helper_rows(user, form.filters())
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "twinning/helpers.html",
        {
            "form": form,
            "page_obj": page_obj,
            "rows": page_obj.object_list,
            "filtered": form.is_filtered(),
            "has_scope": bool(scope.granted_paths(user, "view")),
            "can_add": user.can(Capability.MANAGE_HELPERS) and bool(_helper_areas(user)),
            "can_export": user.can(Capability.EXPORT),
            "search_expired": searchlinks.filters_of(request)[1],
        },
    )


@page
def helpers_export(request: HttpRequest, fmt: str = "csv") -> HttpResponseBase:
    """The helper list with its filters as CSV or Excel: phones masked, audited."""
    user = current_user(request)
    exports.require_export(user)
    filters = _helper_filter_form(request, user).filters()
    rows = selectors.helper_rows(user, filters)
    columns: list[exports.Column[selectors.HelperRow]] = [
        exports.Column(_("Name"), lambda r: r.helper.name, 10),
        exports.Column(_("Work unit"), lambda r: r.helper.unit, 24),
        exports.Column(_("Rank"), lambda r: r.rank_label, 14),
        exports.Column(_("Kept by"), lambda r: r.helper.area.name, 12),
        exports.Column(_("Area code"), lambda r: r.helper.area.code, 15),
        exports.Column(_("Phone"), lambda r: r.helper.phone_masked, 14),
        exports.Column(_("Still helping"), lambda r: r.helper.active, 10),
        exports.Column(_("Households helped now"), lambda r: r.current, 10),
        exports.Column(_("Quota"), lambda r: r.quota, 8),
        exports.Column(_("Over quota"), lambda r: r.over_quota, 10),
    ]
    return exports.export_list(
        user,
        fmt,
        name="helper",
        stem="helpers",
        columns=columns,
        rows=rows,
        count=len(rows),
        filters={
            "text_search": bool(filters.query.strip()),
            "rank": filters.rank,
            "active_only": filters.active_only,
            "over_quota": filters.over_quota,
        },
        sheet_title=_("Helpers"),
    )


@page
def helper_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    areas = _helper_areas(user)
    require(user, Capability.MANAGE_HELPERS)
    if not areas:
        raise PermissionDenied(str(NO_CAPTURE_AREA))
    ranks = selectors.ranks_for(areas[0].county_code)
    form = forms.HelperForm(request.POST or None, ranks=ranks, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            helper = services.create_helper(
                actor=user,
                area_code=form.cleaned_data["area"],
                name=form.cleaned_data["name"],
                unit=form.cleaned_data["unit"],
                rank=form.cleaned_data["rank"],
                phone_number=form.cleaned_data["phone"],
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("The helper is recorded. Twin them with households from a household's page.")
            )
            return redirect("twinning:helper", pk=helper.pk)
    return _form_page(
        request,
        form,
        title=_("New helper"),
        submit=_("Save the helper"),
        cancel_url=reverse("twinning:helpers"),
    )


@page
def helper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    helper = selectors.get_helper(user, pk)
    row = selectors.helper_row(helper)
    assignments = selectors.helped_households(user, helper)
    today = clock.today()
    for assignment in assignments:
        last = getattr(assignment, "last_visit", None)
        assignment.visit_days = (today - last).days if last else None  # type: ignore[attr-defined]
    return render(
        request,
        "twinning/helper.html",
        {
            "helper": helper,
            "row": row,
            "current": [a for a in assignments if a.is_current],
            "ended": [a for a in assignments if not a.is_current],
            "can_edit": _may(user, Capability.MANAGE_HELPERS, helper.area.path),
            "can_reveal": user.can(Capability.REVEAL_PII),
            "due_days": _due_days(),
        },
    )


@page
def helper_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    helper = selectors.get_helper(user, pk)
    _require(user, Capability.MANAGE_HELPERS, helper.area.path)
    areas = _helper_areas(user)
    if helper.area not in areas:
        areas = [helper.area, *areas]
    kwargs: dict[str, Any] = {
        "ranks": selectors.ranks_for(helper.area.county_code),
        "areas": areas,
        "editing": True,
    }
    initial = {
        "name": helper.name,
        "unit": helper.unit,
        "rank": helper.rank,
        "area": helper.area.code,
        "active": helper.active,
        "version": helper.version,
    }
    form = forms.HelperForm(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_helper(
                actor=user,
                helper=helper,
                expected_version=data["version"] or 0,
                name=data["name"],
                unit=data["unit"],
                rank=data["rank"],
                active=data["active"],
                area_code=data["area"] or None,
                phone_number=data["phone"] or None,
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except StaleEdit:
            helper.refresh_from_db()
            form = _stale(request, forms.HelperForm, helper.version, **kwargs)
        else:
            messages.success(request, _("The helper's facts are saved."))
            return redirect("twinning:helper", pk=helper.pk)
    return _form_page(
        request,
        form,
        title=_("Edit helper %(name)s") % {"name": helper.name},
        submit=_("Save"),
        cancel_url=reverse("twinning:helper", args=[helper.pk]),
        masked_phone=helper.phone_masked,
    )


@require_POST
@page
def helper_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    helper = selectors.get_helper(user, pk)
    value = services.reveal_helper_phone(actor=user, helper=helper)
    return render(request, "web/_revealed.html", {"value": value})


# ---------------------------------------------------------------- a household's helpers and visits


def _due_days() -> int:
    return int(settings.TWINNING_VISIT_DUE_DAYS)


@page
def household(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = registry_selectors.get_household(user, pk)
    visits = selectors.household_visits(user, found)
    return render(
        request,
        "twinning/household.html",
        {
            "household": found,
            "assignments": selectors.household_assignments(user, found),
            "visits": visits,
            "last_visit_days": (clock.today() - visits[0].visited_on).days if visits else None,
            "can_assign": _may(user, Capability.MANAGE_HELPERS, found.village.path),
            "can_visit": _may(user, Capability.RECORD_VISITS, found.village.path),
            "due_days": _due_days(),
        },
    )


@page
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = registry_selectors.get_household(user, pk)
    _require(user, Capability.MANAGE_HELPERS, found.village.path)
    rows = selectors.assignable_helpers(user, found)
    form = forms.AssignForm(request.POST or None, helpers=rows, initial={"started_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.assign(
                actor=user,
                helper_id=form.cleaned_data["helper"],
                household=found,
                started_on=form.cleaned_data["started_on"],
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(helper)s now helps household %(number)s.")
                % {"helper": assignment.helper.name, "number": found.number},
            )
            return redirect("twinning:household", pk=found.pk)
    return _form_page(
        request,
        form,
        household=found,
        title=_("Twin a helper with household %(number)s") % {"number": found.number},
        intro=_(
            "Each helper takes as many households as the county's quota for the helper's rank allows. "
            "A helper who is full cannot take another household until one twinning ends."
        ),
        submit=_("Twin the helper"),
        cancel_url=reverse("twinning:household", args=[found.pk]),
        no_helpers=not rows,
    )


@page
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    assignment = selectors.get_assignment(user, pk)
    found = assignment.household
    _require(user, Capability.MANAGE_HELPERS, found.village.path)
    form = forms.EndAssignmentForm(request.POST or None, initial={"ended_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.end_assignment(
                actor=user,
                assignment=assignment,
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The twinning has ended."))
            return redirect("twinning:household", pk=found.pk)
    return _form_page(
        request,
        form,
        household=found,
        title=_("End the twinning of %(helper)s with household %(number)s")
        % {"helper": assignment.helper.name, "number": found.number},
        intro=_("The household shows as without a helper until another helper is twinned with it."),
        submit=_("End the twinning"),
        cancel_url=reverse("twinning:household", args=[found.pk]),
    )


def _visit_helpers(user: User, found: Household) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    for assignment in selectors.household_assignments(user, found):
        label = (
            assignment.helper.name if assignment.is_current else f"{assignment.helper.name} ({_('ended')})"
        )
        seen.setdefault(assignment.helper.pk, label)
    return list(seen.items())


@page
def visit_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = registry_selectors.get_household(user, pk)
    _require(user, Capability.RECORD_VISITS, found.village.path)
    form = forms.VisitForm(
        request.POST or None,
        request.FILES or None,
        helpers=_visit_helpers(user, found),
        me=user.get_full_name() or user.username,
        initial={"visited_on": clock.today()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.record_visit(actor=user, household=found, **form.arguments())
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The visit is recorded."))
            return redirect("twinning:visit", pk=visit.pk)
    return _form_page(
        request,
        form,
        household=found,
        title=_("Record a visit to household %(number)s") % {"number": found.number},
        intro=_("Photos: JPEG or PNG, at most %(count)s, each up to %(size)s MB.")
        % {
            "count": settings.TWINNING_PHOTOS_PER_VISIT,
            "size": f"{settings.TWINNING_PHOTO_MAX_BYTES / 1024 / 1024:g}",
        },
        submit=_("Save the visit"),
        cancel_url=reverse("twinning:household", args=[found.pk]),
        multipart=True,
    )


@page
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.get_visit(current_user(request), pk)
    return render(request, "twinning/visit.html", {"visit": visit, "household": visit.household})


@page
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit's photo, to a reader who may see the household; never from a public address."""
    found = selectors.get_photo(current_user(request), pk)
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The photo's file is missing.")) from None
    response = FileResponse(handle, content_type=found.content_type)
    extension = "png" if found.content_type == "image/png" else "jpg"
    response["Content-Disposition"] = f'inline; filename="visit-{found.visit_id}-{found.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- coverage


@page
def coverage(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    area = selectors.area_for(user, request.GET.get("area", "").strip())
    if area is None:
        return render(request, "twinning/coverage.html", {"report": None})
    report = selectors.coverage(user, area)
    page_obj = Paginator(report.uncovered, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "twinning/coverage.html",
        {
            "report": report,
            "area": area,
            "page_obj": page_obj,
            "can_export": user.can(Capability.EXPORT),
            "parent": area.parent if area.parent and scope.area_in_scope(user, area.parent.path) else None,
        },
    )


@page
def coverage_export(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.EXPORT)
    area = selectors.area_for(user, request.GET.get("area", "").strip())
    if area is None:
        raise Http404()
    report = selectors.coverage(user, area)
    content = export.coverage_workbook(report)
    services.record_coverage_export(
        actor=user, area=area, uncovered=report.uncovered_count, over_quota=len(report.over_quota)
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="twinning-coverage-{area.code}.xlsx"'
    return response


# ---------------------------------------------------------------- helping units and task forces


@page
def villages(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    area = selectors.area_for(user, request.GET.get("area", "").strip())
    if area is None:
        return render(request, "twinning/villages.html", {"area": None})
    show = request.GET.get("show", "")
    found = selectors.task_forces(user, list(selectors.villages_in(user, area).order_by("code")))
    counts = {
        "villages": len(found),
        "twinned": sum(1 for v in found if v.twinned),
        "failing": sum(1 for v in found if v.twinned and not v.passes),
        "untwinned": sum(1 for v in found if not v.twinned),
    }
    if show == "problems":
        found = [v for v in found if v.twinned and not v.passes]
    elif show == "untwinned":
        found = [v for v in found if not v.twinned]
    page_obj = Paginator(found, 100).get_page(request.GET.get("page"))
    rules = selectors.rules_for(area.county_code) if area.county_code else None
    return render(
        request,
        "twinning/villages.html",
        {"area": area, "page_obj": page_obj, "show": show, "counts": counts, "rules": rules},
    )


@page
def village(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_village(user, code)
    task_force = selectors.task_forces(user, [found])[0]
    return render(
        request,
        "twinning/village.html",
        {
            "village": found,
            "tf": task_force,
            "rules": selectors.rules_for(found.county_code),
            "can_edit": _may(user, Capability.MANAGE_HELPERS, found.path),
        },
    )


def _village_to_edit(request: HttpRequest, code: str) -> Area:
    user = current_user(request)
    found = selectors.get_village(user, code)
    _require(user, Capability.MANAGE_HELPERS, found.path)
    return found


@page
def unit_add(request: HttpRequest, code: str) -> HttpResponse:
    found = _village_to_edit(request, code)
    return _unit_form(request, found, None)


@page
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.get_helping_unit(current_user(request), pk)
    _require(current_user(request), Capability.MANAGE_HELPERS, unit.village.path)
    return _unit_form(request, unit.village, unit)


def _unit_form(request: HttpRequest, found: Area, unit: Any) -> HttpResponse:
    user = current_user(request)
    initial: dict[str, Any] = {"started_on": clock.today()}
    if unit is not None:
        initial = {
            "name": unit.name,
            "started_on": unit.started_on,
            "ended_on": unit.ended_on,
            "notes": unit.notes,
            "version": unit.version,
        }
    form = forms.HelpingUnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_helping_unit(
                actor=user,
                village=found,
                name=data["name"],
                started_on=data["started_on"],
                ended_on=data["ended_on"],
                notes=data["notes"],
                unit=unit,
                expected_version=(data["version"] or 0) if unit is not None else None,
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except StaleEdit:
            unit.refresh_from_db()
            form = _stale(request, forms.HelpingUnitForm, unit.version)
        else:
            messages.success(request, _("The helping unit is saved."))
            return redirect("twinning:village", code=found.code)
    return _form_page(
        request,
        form,
        village=found,
        title=(_("Helping unit of %(village)s") if unit else _("Add a helping unit to %(village)s"))
        % {"village": found.name},
        submit=_("Save"),
        cancel_url=reverse("twinning:village", args=[found.code]),
    )


@page
def member_add(request: HttpRequest, code: str) -> HttpResponse:
    found = _village_to_edit(request, code)
    return _member_form(request, found, None)


@page
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.get_task_force_member(current_user(request), pk)
    _require(current_user(request), Capability.MANAGE_HELPERS, member.village.path)
    return _member_form(request, member.village, member)


def _member_form(request: HttpRequest, found: Area, member: Any) -> HttpResponse:
    user = current_user(request)
    rules = selectors.rules_for(found.county_code)
    initial: dict[str, Any] = {"term_start": clock.today(), "role": "member"}
    if member is not None:
        initial = {
            field: getattr(member, field)
            for field in ("name", "unit", "role", "term_start", "term_end", "left_on", "version")
        }
    editing = member is not None
    form = forms.TaskForceMemberForm(request.POST or None, initial=initial, editing=editing)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_task_force_member(
                actor=user,
                village=found,
                name=data["name"],
                unit=data["unit"],
                role=data["role"],
                term_start=data["term_start"],
                term_end=data["term_end"],
                left_on=data.get("left_on"),
                member=member,
                expected_version=(data["version"] or 0) if editing else None,
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except StaleEdit:
            member.refresh_from_db()
            form = _stale(request, forms.TaskForceMemberForm, member.version, editing=True)
        else:
            messages.success(request, _("The task force member is saved."))
            return redirect("twinning:village", code=found.code)
    return _form_page(
        request,
        form,
        village=found,
        title=(
            _("Task force member in %(village)s") if editing else _("Add a task force member in %(village)s")
        )
        % {"village": found.name},
        intro=_("The county asks for terms of at least %(months)s months.")
        % {"months": rules.min_term_months},
        submit=_("Save"),
        cancel_url=reverse("twinning:village", args=[found.code]),
    )


# ---------------------------------------------------------------- the county's settings


def _counties(user: User) -> list[Area]:
    """Counties the user may read: those inside the granted areas and those containing them."""
    paths = scope.granted_paths(user, "view")
    codes = {path.strip("/").split("/")[-1][:6] for path in paths if len(path.strip("/").split("/")[-1]) >= 6}
    inside = Area.objects.filter(scope.scope_filter(user, "view", "path"), level=AreaLevel.COUNTY)
    return list(
        (Area.objects.filter(code__in=codes, level=AreaLevel.COUNTY) | inside).distinct().order_by("code")
    )


@page
def county_settings(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    counties = _counties(user)
    wanted = request.GET.get("county", "").strip()
    county = next((c for c in counties if c.code == wanted), counties[0] if len(counties) == 1 else None)
    if county is None:
        return render(request, "twinning/settings.html", {"county": None, "counties": counties})
    ranks = selectors.ranks_for(county.code)
    rules = selectors.rules_for(county.code)
    can_edit = _may(user, Capability.MANAGE_HELPERS, county.path)
    if request.method == "POST" and not can_edit:
        raise forbidden(user, Capability.MANAGE_HELPERS)
    form = forms.CountySettingsForm(
        request.POST if can_edit and request.method == "POST" else None, ranks=ranks, rules=rules
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        inputs = []
        for rank in ranks:
            name = (data.get(f"rank_{rank.code}_name") or "").strip()
            if not rank.name and rank.code in DEFAULT_RANK_LABELS and name == rank.label:
                name = ""  # the built-in label stays translatable
            inputs.append(
                services.RankInput(
                    rank.code,
                    name,
                    data.get(f"rank_{rank.code}_households"),
                    bool(data.get(f"rank_{rank.code}_remove")),
                )
            )
        inputs.append(
            services.RankInput("", data.get("rank_new_name") or "", data.get("rank_new_households"))
        )
        try:
            services.save_county_settings(
                actor=user,
                county=county,
                expected_version=data.get("version"),
                ranks=inputs,
                min_members=data.get("min_members"),
                min_term_months=data.get("min_term_months"),
                require_first_secretary=bool(data.get("require_first_secretary")),
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except StaleEdit as error:
            messages.error(request, str(error.message))
            return redirect(f"{reverse('twinning:settings')}?county={county.code}")
        else:
            over = selectors.over_quota_helpers(user, county)
            messages.success(request, _("The county's quotas and task-force rules are saved."))
            if over:
                messages.warning(
                    request,
                    _("%(count)s helpers now help more households than their quota: see the coverage report.")
                    % {"count": len(over)},
                )
            return redirect(f"{reverse('twinning:settings')}?county={county.code}")
    return render(
        request,
        "twinning/settings.html",
        {
            "county": county,
            "counties": counties,
            "form": form,
            "ranks": ranks,
            "rules": rules,
            "can_edit": can_edit,
            "defaults_in_use": ranks and ranks[0].pk is None,
        },
    )
