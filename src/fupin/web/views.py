"""Pages. Thin: parse with a form, read through selectors, write through services, render.

Records outside the user's scope answer 404 (``OutOfScope``), actions the role may not take 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.accounts.services import AccountLocked, BadCredentials, login_attempt
from fupin.cases import notify
from fupin.cases import selectors as case_selectors
from fupin.core import clock
from fupin.core.errors import InvalidInput, StaleEdit
from fupin.registry import selectors as registry_selectors
from fupin.registry import services as registry
from fupin.registry.choices import MonitoringCategory
from fupin.registry.models import Household
from fupin.screening import selectors as screening_selectors
from fupin.web import exports, forms, history, panels, searchlinks
from fupin.web import selectors as web_selectors
from fupin.web import services as web_services
from fupin.web.pages import NO_CAPTURE_AREA, current_user, forbidden, is_htmx, page, require

PAGE_SIZE = 50


F = TypeVar("F", bound=forms.FieldsetForm)


# ---------------------------------------------------------------- login


def _next_path(request: HttpRequest) -> str:
    """Where to go after logging in: a path on this site, or "" for the home page.

    Only a path (starting with one "/") is taken: ``redirect`` reads anything else as a view name,
    and "?next=abc" would end in a server error.
    """
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not next_url.startswith("/") or next_url.startswith("//"):
        return ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        return ""
    return next_url


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_path(request)
    if request.user.is_authenticated and request.method != "POST":
        return redirect(next_url or "web:home")
    form = forms.LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_attempt(request, form.cleaned_data["username"], form.cleaned_data["password"])
        except (AccountLocked, BadCredentials) as exc:
            form.add_error(None, exc.message)
        else:
            auth_login(request, user)
            return redirect(next_url or "web:home")
    return render(request, "web/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("web:login")


# ---------------------------------------------------------------- landing page


@page
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    has_scope = bool(scope.granted_paths(user, "view"))
    counts = registry_selectors.counts_for(user) if has_scope else None
    categories = []
    if counts is not None:
        categories = [
            (code, label, counts.by_category.get(code, 0)) for code, label in MonitoringCategory.choices
        ]
    return render(
        request,
        "web/home.html",
        {
            "has_scope": has_scope,
            "counts": counts,
            "categories": categories,
            "areas": web_selectors.granted_areas(user),
            "open_clues": screening_selectors.open_clue_count(user) if has_scope else 0,
            "search_form": forms.HouseholdFilterForm(areas=[]),
            **_worklist(user),
        },
    )


HOME_TASKS = 8
HOME_NOTIFICATIONS = 5


def _worklist(user: User) -> dict[str, Any]:
    """The landing page's part of the cases app's worklist: the first tasks waiting for the user
    (``cases.selectors.my_tasks``), new self-declarations and the latest notifications."""
    today = clock.today()
    tasks = case_selectors.my_tasks(user)
    return {
        "takes_steps": any(user.can(capability) for capability in case_selectors.STEPS_OF),
        "task_count": tasks.count(),
        "task_rows": [
            {"case": case, "overdue": case_selectors.is_overdue(case, today)} for case in tasks[:HOME_TASKS]
        ],
        "declaration_count": case_selectors.new_declarations(user).count(),
        "notifications": [
            (notification, notify.text_of(notification))
            for notification in case_selectors.notifications_for(user, limit=HOME_NOTIFICATIONS)
        ],
    }


# ---------------------------------------------------------------- household list and export


def _filter_form(request: HttpRequest) -> forms.HouseholdFilterForm:
    query, _expired = searchlinks.filters_of(request)
    return forms.HouseholdFilterForm(query, areas=web_selectors.filter_areas(request.user))


def search_notes(user: User, filters: registry_selectors.HouseholdFilters) -> dict[str, Any]:
    """What the results say about the search text: a refusal of too few ID digits, a hint for digits
    no ID search takes, and the areas in scope whose name the text names (offered as a filter)."""
    query = registry_selectors.parse_query(filters.query)
    refusal = hint = ""
    if query.too_short:
        refusal = str(registry_selectors.TOO_FEW_ID_DIGITS)
    elif query.text and not (query.id_number or query.id_tail) and query.text.isdigit():
        hint = _(
            "These digits were looked for in household numbers. An ID number is found by its last "
            "4 or 6 characters or by all 18."
        )
    return {
        "search_refusal": refusal,
        "search_hint": hint,
        "id_search": query.sensitive,
        "matching_areas": [] if filters.area_code else registry_selectors.areas_named(user, query.text),
    }


@page
def household_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":  # the search form: its text leaves the address only sealed
        address = f"{reverse('web:households')}?{searchlinks.address_query(request.POST).urlencode()}"
        if not is_htmx(request):
            return redirect(address)
        request.GET = QueryDict(address.partition("?")[2])  # the results' pager and buttons link from it
        response = _household_results(request, user)
        response["HX-Push-Url"] = address
        return response
    return _household_results(request, user)


def _household_results(request: HttpRequest, user: User) -> HttpResponse:
    form = _filter_form(request)
    filters = form.filters()
    paginator = Paginator(web_selectors.household_rows(user, filters), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    registry.record_household_search(
        actor=user, query=filters.query, found=paginator.count, channel="web", area_code=filters.area_code
    )
    context = {
        **search_notes(user, filters),
        "search_expired": searchlinks.filters_of(request)[1],
        "form": form,
        "page_obj": page_obj,
        "filtered": any(
            [filters.query, filters.area_code, filters.household_type, filters.status]
            + [filters.monitoring_category, filters.monitored_only, filters.risk_type]
        ),
        "has_scope": bool(scope.granted_paths(user, "view")),
        "can_export": user.can(Capability.EXPORT),
        "can_create": user.can(Capability.EDIT_RECORDS) and bool(scope.granted_paths(user, "capture")),
    }
    template = "web/households/_results.html" if is_htmx(request) else "web/households/list.html"
    return render(request, template, context)


def household_columns() -> list[exports.Column[Household]]:
    """The household list's export: what the list shows, the head's ID number masked."""

    def head(household: Household) -> Any:
        return web_selectors.head_of(household)

    return [
        exports.Column(_("Household number"), lambda h: h.number, 22),
        exports.Column(_("Township"), lambda h: h.village.parent.name if h.village.parent else "", 12),
        exports.Column(_("Village"), lambda h: h.village.name, 12),
        exports.Column(_("Village code"), lambda h: h.village.code, 15),
        exports.Column(_("Village group"), lambda h: h.group_name, 10),
        exports.Column(_("Head of household"), lambda h: head(h).name if head(h) else "", 10),
        exports.Column(_("ID number"), lambda h: head(h).id_number_masked if head(h) else "", 20),
        exports.Column(_("Phone"), lambda h: h.phone_masked, 14),
        exports.Column(_("Household type"), lambda h: h.get_household_type_display(), 12),
        exports.Column(_("Status"), lambda h: h.get_status_display(), 10),
        exports.Column(_("Monitoring category"), lambda h: h.get_monitoring_category_display(), 14),
        exports.Column(_("Risk types"), lambda h: "、".join(history.risk_labels(h.risk_types)), 24),
    ]


@page
def household_export(request: HttpRequest, fmt: str = "csv") -> HttpResponseBase:
    """The household list as CSV or Excel, with the list's filters (masked, audited)."""
    user = current_user(request)
    exports.require_export(user)
    filters = _filter_form(request).filters()
    rows = web_selectors.household_rows(user, filters)
    registry.record_household_search(
        actor=user, query=filters.query, found=rows.count(), channel="export", area_code=filters.area_code
    )
    return exports.export_list(
        user,
        fmt,
        name="household",
        stem="households",
        columns=household_columns(),
        rows=rows,
        count=rows.count(),
        filters=web_services.household_filters_for_audit(filters),
        area_code=filters.area_code,
        sheet_title=_("Households"),
    )


# ---------------------------------------------------------------- household page


@page
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    detail = web_selectors.household_detail(user, pk)
    subjects = {("household", str(detail.household.pk)): _("Household")}
    subjects.update({("member", str(m.pk)): m.name for m in detail.members})
    subjects.update({("income", str(i.pk)): _("Income %(year)s") % {"year": i.year} for i in detail.incomes})
    return render(
        request,
        "web/households/detail.html",
        {
            **_case_section(user, detail.household),
            "household": detail.household,
            "members": detail.members,
            "incomes": detail.incomes,
            "type_history": detail.type_history,
            "monitoring_history": detail.monitoring_history,
            "history": history.history_items(detail.changes, subjects),
            "can_edit": web_selectors.may_edit(user, detail.household),
            "can_reveal": user.can(Capability.REVEAL_PII),
            "panels": panels.household_panels(user, detail.household),
        },
    )


def _case_section(user: User, household: Household) -> dict[str, Any]:
    """The household's cases and their timeline, and which ways to start a case are open.

    A button shows only when the role takes that step, the household is in the capture area and the
    service would not refuse at once (an open case is continued, not doubled).
    """
    household_cases = list(
        case_selectors.cases_for(user).filter(household=household).order_by("-opened_on", "-id")
    )
    in_capture = scope.area_in_scope(user, household.village.path, "capture")
    free = in_capture and not any(case.is_open for case in household_cases)
    monitored = bool(household.monitoring_category)
    return {
        "household_cases": household_cases,
        "case_events": list(case_selectors.timeline(user, household)),
        "can_raise_clue": free and not monitored and user.can(Capability.RAISE_CLUE),
        "can_propose_elimination": free and monitored and user.can(Capability.VILLAGE_STEPS),
    }


def _editable_household(request: HttpRequest, pk: int) -> Household:
    household = registry_selectors.get_household(request.user, pk)
    if not web_selectors.may_edit(request.user, household):
        raise forbidden(request.user, Capability.EDIT_RECORDS)
    return household


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return sorted(a or []) == sorted(b or [])
    return str(a) == str(b)


def _display(form: forms.FieldsetForm, name: str, value: Any) -> str:
    field = form.fields[name]
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    choices = dict(_flat(getattr(field, "choices", [])))
    if isinstance(value, list | tuple):
        return "、".join(str(choices.get(v, v)) for v in value) or "—"
    return str(choices.get(value, value))


def _flat(choices: Any) -> list[tuple[Any, Any]]:
    flat: list[tuple[Any, Any]] = []
    for key, label in choices or []:
        if isinstance(label, list | tuple):
            flat.extend(label)
        else:
            flat.append((key, label))
    return flat


def _stale_form(form_class: type[F], request: HttpRequest, current: dict[str, Any], **kwargs: Any) -> F:
    """The user's input again, with the stale message, the saved values that now differ shown by
    their fields, and the current version so that saving again (after review) is possible."""
    data = request.POST.copy()
    data["version"] = str(current["version"])
    form = form_class(data, **kwargs)
    form.is_valid()
    form.add_error(None, StaleEdit.message)
    form.saved_now = {
        name: _display(form, name, value)
        for name, value in current.items()
        if name in form.fields
        and name != "version"
        and name in form.cleaned_data
        and not _same(form.cleaned_data[name], value)
    }
    return form


def _form_page(request: HttpRequest, form: forms.FieldsetForm, **context: Any) -> HttpResponse:
    return render(request, "web/form.html", {"form": form, **context})


@page
def household_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    villages = web_selectors.villages_in_scope(user, "capture")
    require(user, Capability.EDIT_RECORDS)
    if not villages:
        raise PermissionDenied(str(NO_CAPTURE_AREA))
    form = forms.HouseholdForm(request.POST or None, villages=villages, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            household = registry.create_household(
                actor=user,
                number=form.cleaned_data["number"],
                village_code=form.cleaned_data["village"],
                household_type=form.cleaned_data["household_type"],
                status=form.cleaned_data["status"],
                values=form.values(),
                phone_number=form.phone_argument() or "",
                effective_from=form.cleaned_data["effective_from"],
            )
        except InvalidInput as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(
                request, _("Household %(number)s was registered.") % {"number": household.number}
            )
            return redirect("web:household", pk=household.pk)
    return _form_page(
        request, form, title=_("Register a household"), cancel_url=reverse("web:households"), household=None
    )


@page
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = _editable_household(request, pk)
    villages = web_selectors.villages_in_scope(user, "capture")
    form = forms.HouseholdForm(
        request.POST or None, villages=villages, creating=False, initial=forms.household_initial(household)
    )
    if request.method == "POST" and form.is_valid():
        try:
            registry.update_household(
                actor=user,
                household=household,
                expected_version=form.cleaned_data["version"],
                values=form.values(),
                phone_number=form.phone_argument(),
                village_code=form.cleaned_data["village"],
            )
        except InvalidInput as exc:
            forms.apply_errors(form, exc)
        except StaleEdit:
            current = registry_selectors.get_household(user, pk)
            form = _stale_form(
                forms.HouseholdForm,
                request,
                forms.household_initial(current),
                villages=villages,
                creating=False,
            )
        else:
            messages.success(request, _("Saved."))
            return redirect("web:household", pk=household.pk)
    return _form_page(
        request,
        form,
        title=_("Edit household %(number)s") % {"number": household.number},
        cancel_url=reverse("web:household", args=[household.pk]),
        household=household,
    )


# ---------------------------------------------------------------- members


@page
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = _editable_household(request, pk)
    form = forms.MemberForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            registry.add_member(
                actor=user,
                household=household,
                values=form.values(),
                id_number=form.id_number_argument() or "",
                phone_number=form.phone_argument() or "",
            )
        except InvalidInput as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:household", pk=household.pk)
    return _form_page(
        request,
        form,
        title=_("Add a member to household %(number)s") % {"number": household.number},
        cancel_url=reverse("web:household", args=[household.pk]),
        household=household,
    )


@page
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    member = registry_selectors.get_member(user, pk)
    household = _editable_household(request, member.household_id)
    form = forms.MemberForm(request.POST or None, creating=False, initial=forms.member_initial(member))
    if request.method == "POST" and form.is_valid():
        try:
            registry.update_member(
                actor=user,
                member=member,
                expected_version=form.cleaned_data["version"],
                values=form.values(),
                id_number=form.id_number_argument(),
                phone_number=form.phone_argument(),
            )
        except InvalidInput as exc:
            forms.apply_errors(form, exc)
        except StaleEdit:
            current = registry_selectors.get_member(user, pk)
            form = _stale_form(forms.MemberForm, request, forms.member_initial(current), creating=False)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:household", pk=household.pk)
    return _form_page(
        request,
        form,
        title=_("Edit member %(name)s") % {"name": member.name},
        cancel_url=reverse("web:household", args=[household.pk]),
        household=household,
    )


# ---------------------------------------------------------------- incomes


@page
def income_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = _editable_household(request, pk)
    form = forms.IncomeForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            registry.save_income(
                actor=user, household=household, year=form.cleaned_data["year"], values=form.values()
            )
        except InvalidInput as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:household", pk=household.pk)
    return _form_page(
        request,
        form,
        title=_("Record a year's income for household %(number)s") % {"number": household.number},
        cancel_url=reverse("web:household", args=[household.pk]),
        household=household,
    )


@page
def income_edit(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    user = current_user(request)
    household = _editable_household(request, pk)
    record = web_selectors.get_income(user, household, year)
    form = forms.IncomeForm(request.POST or None, creating=False, initial=forms.income_initial(record))
    if request.method == "POST" and form.is_valid():
        try:
            registry.save_income(
                actor=user,
                household=household,
                year=year,
                values=form.values(),
                expected_version=form.cleaned_data["version"],
            )
        except InvalidInput as exc:
            forms.apply_errors(form, exc)
        except StaleEdit:
            current = web_selectors.get_income(user, household, year)
            form = _stale_form(forms.IncomeForm, request, forms.income_initial(current), creating=False)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:household", pk=household.pk)
    return _form_page(
        request,
        form,
        title=_("Income %(year)s of household %(number)s") % {"year": year, "number": household.number},
        cancel_url=reverse("web:household", args=[household.pk]),
        household=household,
    )


# ---------------------------------------------------------------- dated changes


@page
def household_type_change(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = _editable_household(request, pk)
    initial = {
        "household_type": household.household_type,
        "status": household.status,
        "version": household.version,
    }
    form = forms.TypeStatusForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registry.change_type_and_status(
                actor=user,
                household=household,
                expected_version=form.cleaned_data["version"],
                household_type=form.cleaned_data["household_type"],
                status=form.cleaned_data["status"],
                effective_from=form.cleaned_data["effective_from"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidInput as exc:
            forms.apply_errors(form, exc)
        except StaleEdit:
            current = registry_selectors.get_household(user, pk)
            form = _stale_form(
                forms.TypeStatusForm,
                request,
                {
                    "household_type": current.household_type,
                    "status": current.status,
                    "version": current.version,
                },
            )
        else:
            messages.success(request, _("Saved."))
            return redirect("web:household", pk=household.pk)
    return _form_page(
        request,
        form,
        title=_("Change type and status of household %(number)s") % {"number": household.number},
        cancel_url=reverse("web:household", args=[household.pk]),
        household=household,
    )


@page
def household_monitoring_change(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = _editable_household(request, pk)
    initial = {
        "category": household.monitoring_category,
        "risk_types": household.risk_type_list,
        "version": household.version,
    }
    form = forms.MonitoringForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registry.change_monitoring(
                actor=user,
                household=household,
                expected_version=form.cleaned_data["version"],
                category=form.cleaned_data["category"],
                risk_types=list(form.cleaned_data["risk_types"]),
                effective_from=form.cleaned_data["effective_from"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidInput as exc:
            forms.apply_errors(form, exc)
        except StaleEdit:
            current = registry_selectors.get_household(user, pk)
            form = _stale_form(
                forms.MonitoringForm,
                request,
                {
                    "category": current.monitoring_category,
                    "risk_types": current.risk_type_list,
                    "version": current.version,
                },
            )
        else:
            messages.success(request, _("Saved."))
            return redirect("web:household", pk=household.pk)
    return _form_page(
        request,
        form,
        title=_("Change monitoring of household %(number)s") % {"number": household.number},
        cancel_url=reverse("web:household", args=[household.pk]),
        household=household,
    )


# ---------------------------------------------------------------- revealing identifiers


@require_POST
@page
def reveal(request: HttpRequest, kind: str, pk: int, field: str) -> HttpResponse:
    """The full ID number or phone in place of the masked one (HTMX swap); audited by the service."""
    user = current_user(request)
    if kind == "household":
        instance: Any = registry_selectors.get_household(user, pk)
    elif kind == "member":
        instance = registry_selectors.get_member(user, pk)
    else:
        raise Http404()
    value = registry.reveal(actor=user, instance=instance, field=field)
    return render(request, "web/_revealed.html", {"value": value})
