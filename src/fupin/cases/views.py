"""Pages of the monitoring procedure: my tasks, every case, one case with the steps the user may take,
village notices, self-declarations, notifications, and starting a case from a household's page.

Reads go through ``fupin.cases.selectors`` and writes through ``fupin.cases.services`` (which check
role, step, area and the dated rules again): a page only decides which forms to show. Out of scope is
"not found" and a role that never takes a step is "forbidden" (the ``page`` decorator); a step that is
not possible now (``Refused``) is a message on the case page, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.cases import forms, notify, selectors, services, workflow
from fupin.cases.models import Case, CaseKind, DeclarationStatus, State
from fupin.cases.rules import rules_for
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message, Refused
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Household
from fupin.registry.selectors import HouseholdFilters
from fupin.web import exports
from fupin.web import selectors as web_selectors
from fupin.web.forms import apply_errors
from fupin.web.pages import current_user, forbidden, is_htmx, page

PAGE_SIZE = 50


# ---------------------------------------------------------------- lists


@dataclass(frozen=True)
class Row:
    case: Case
    overdue: bool


def _rows(cases: Iterable[Case], today: dt.date) -> list[Row]:
    return [Row(case, selectors.is_overdue(case, today)) for case in cases]


@dataclass(frozen=True)
class AreaBar:
    area: Area
    open: int
    overdue: int
    open_width: int
    overdue_width: int


def _area_bars(user: User) -> list[AreaBar]:
    """Open and overdue cases per child area, for users who oversee more than one village."""
    areas = web_selectors.granted_areas(user)
    if not areas:
        return []
    widest = min(areas, key=lambda area: (area.level, area.code))
    if widest.level >= AreaLevel.VILLAGE:
        return []  # a village cadre's worklist is the whole picture
    counts = selectors.counts_by_area(user, widest)
    top = max((count.open for count in counts), default=0) or 1
    return [
        AreaBar(c.area, c.open, c.overdue, round(100 * c.open / top), round(100 * c.overdue / top))
        for c in counts
    ]


def _list_page(
    request: HttpRequest,
    template: str,
    partial_template: str,
    form: forms.CaseFilterForm,
    cases: Any,
    **extra: Any,
) -> HttpResponse:
    page_obj = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page_obj,
        "rows": _rows(page_obj.object_list, clock.today()),
        "filtered": form.is_filtered(),
        "can_export": current_user(request).can(Capability.EXPORT),
        **extra,
    }
    return render(request, partial_template if is_htmx(request) else template, context)


@page
def tasks(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = forms.CaseFilterForm(request.GET)
    cases = selectors.my_tasks(user, form.filters())
    takes_steps = any(user.can(capability) for capability in selectors.STEPS_OF)
    if is_htmx(request):  # only the table is swapped: the declarations and counts stay as they are
        return _list_page(
            request, "cases/tasks.html", "cases/_task_results.html", form, cases, takes_steps=takes_steps
        )
    return _list_page(
        request,
        "cases/tasks.html",
        "cases/_task_results.html",
        form,
        cases,
        takes_steps=takes_steps,
        posts_notices=user.can(Capability.VILLAGE_STEPS),
        declarations=list(selectors.new_declarations(user)[:50]),
        area_bars=_area_bars(user),
    )


@page
def search(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = forms.CaseFilterForm(request.GET, every_state=True)
    cases = selectors.search_cases(user, form.filters())
    return _list_page(request, "cases/search.html", "cases/_search_results.html", form, cases)


def _case_columns() -> list[exports.Column[Case]]:
    """The columns of a case list's export: what the list shows, with the township and the head."""
    today = clock.today()
    head = web_selectors.head_of

    def village(case: Case) -> Area:
        return case.household.village

    def township(case: Case) -> str:
        parent = village(case).parent
        return parent.name if parent else ""

    return [
        exports.Column(_("Household number"), lambda c: c.household.number, 22),
        exports.Column(_("Township"), township, 12),
        exports.Column(_("Village"), lambda c: village(c).name, 12),
        exports.Column(_("Village code"), lambda c: village(c).code, 15),
        exports.Column(_("Head of household"), lambda c: getattr(head(c.household), "name", ""), 10),
        exports.Column(_("Procedure"), lambda c: c.get_kind_display(), 12),
        exports.Column(_("Step"), lambda c: c.get_state_display(), 14),
        exports.Column(_("Clue date"), lambda c: c.opened_on, 12),
        exports.Column(_("Step due"), lambda c: c.step_due if c.is_open else None, 12),
        exports.Column(_("Decision due"), lambda c: c.decision_due if c.is_open else None, 12),
        exports.Column(_("Decided on"), lambda c: c.decided_on, 12),
        exports.Column(_("Overdue"), lambda c: selectors.is_overdue(c, today), 8),
        exports.Column(_("Included first on"), lambda c: c.fast_tracked_on, 12),
    ]


def _export_cases(
    request: HttpRequest, fmt: str, form: forms.CaseFilterForm, cases: Any, *, name: str, title: str
) -> HttpResponseBase:
    filters = form.filters()
    return exports.export_list(
        current_user(request),
        fmt,
        name=name,
        columns=_case_columns(),
        rows=cases.select_related("household__village__parent").prefetch_related(
            web_selectors.heads_prefetch("household")
        ),
        count=cases.count(),
        filters={
            "state": filters.state,
            "kind": filters.kind,
            "overdue": filters.overdue,
            "due_by": filters.due_by.isoformat() if filters.due_by else "",
            "area_code": filters.area_code,
            "household_number": bool(filters.household_number),
            "open_only": filters.open_only,
        },
        area_code=filters.area_code,
        sheet_title=title,
    )


@page
def tasks_export(request: HttpRequest, fmt: str = "csv") -> HttpResponseBase:
    """My tasks with the list's filters as CSV or Excel (audited)."""
    user = current_user(request)
    exports.require_export(user)
    form = forms.CaseFilterForm(request.GET)
    cases = selectors.my_tasks(user, form.filters())
    return _export_cases(request, fmt, form, cases, name="my_tasks", title=_("My tasks"))


@page
def search_export(request: HttpRequest, fmt: str = "csv") -> HttpResponseBase:
    """The search of every case with its filters as CSV or Excel (audited)."""
    user = current_user(request)
    exports.require_export(user)
    form = forms.CaseFilterForm(request.GET, every_state=True)
    cases = selectors.search_cases(user, form.filters())
    return _export_cases(request, fmt, form, cases, name="cases", title=_("Every case"))


# ---------------------------------------------------------------- one case


# What the success message says after each action (the step the case is at follows it).
DONE: dict[str, Message] = {
    "visit": gettext_lazy("The visit was recorded."),
    "appraise": gettext_lazy("The village appraisal was recorded."),
    "record_objection": gettext_lazy("The objection was recorded."),
    "settle_objection": gettext_lazy("The objection was settled."),
    "submit": gettext_lazy("The case was submitted to the township."),
    "township_approve": gettext_lazy("The township review was passed."),
    "township_return": gettext_lazy("The case was returned to the village."),
    "county_approve": gettext_lazy("The county's approval was recorded."),
    "county_return": gettext_lazy("The case was returned to the township."),
    "county_reject": gettext_lazy("The county's rejection was recorded."),
    "fast_track": gettext_lazy(
        "The household was included first; the steps of the procedure are still owed."
    ),
}

# The service behind each action of the case page (settling an objection is told the objection instead).
SERVICES: dict[str, Callable[..., Any]] = {
    "visit": services.record_visit,
    "appraise": services.record_appraisal,
    "record_objection": services.record_objection,
    "submit": services.submit,
    "township_approve": partial(services.township_review, approve=True),
    "township_return": partial(services.township_review, approve=False),
    "county_approve": partial(services.county_decide, decision="approve"),
    "county_return": partial(services.county_decide, decision="return"),
    "county_reject": partial(services.county_decide, decision="reject"),
    "fast_track": services.fast_track,
}


def _may_act(user: User, case: Case) -> bool:
    """Steps are taken in the capture area only; a wider view area reads the case."""
    return scope.area_in_scope(user, case.household.village.path, "capture")


def _action_forms(
    user: User, case: Case, bound: forms.ActionForm | None
) -> tuple[list[tuple[workflow.Action, forms.ActionForm]], bool]:
    """The forms for the actions the user may take now, and whether posting the notice is one of them."""
    if not _may_act(user, case):
        return [], False
    shown: list[tuple[workflow.Action, forms.ActionForm]] = []
    may_post_notice = False
    unsettled = case.objections.filter(resolved_on__isnull=True).exists()
    for action in workflow.allowed_actions(user, case):
        if action.name == "post_notice":
            may_post_notice = True  # one notice lists several households: it has a page of its own
            continue
        if action.name == "settle_objection" and not unsettled:
            continue
        if bound is not None and bound.action == action.name:
            shown.append((action, bound))
        else:
            shown.append((action, forms.ACTION_FORMS[action.name](case=case, action=action.name)))
    return shown, may_post_notice


def _case_page(request: HttpRequest, case: Case, bound: forms.ActionForm | None = None) -> HttpResponse:
    user = current_user(request)
    today = clock.today()
    action_forms, may_post_notice = _action_forms(user, case, bound)
    natural = request.GET.get("natural") == "1"
    elimination_open = case.kind == CaseKind.ELIMINATION and case.is_open
    context = {
        "case": case,
        "household": case.household,
        "step_late": case.is_open and case.step_due < today,
        "decision_late": case.is_open and case.decision_due < today,
        "explanation": case.clue.explanation if case.clue else [],
        "events": selectors.timeline(user, case.household).filter(case=case),
        "objections": list(case.objections.all()),
        "gates": services.gates_for(case, natural=natural) if elimination_open else [],
        "natural": natural,
        "action_forms": action_forms,
        "may_post_notice": may_post_notice,
        "may_act": _may_act(user, case),
        "can_add_measure": elimination_open and web_selectors.may_edit(user, case.household),
        "notice_days_left": (case.notice.ends_on - today).days
        if case.notice and case.state == State.IN_NOTICE
        else None,
    }
    return render(request, "cases/case.html", context)


@page
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, selectors.get_case(current_user(request), pk))


@require_POST
@page
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one step on the case; the case page again with the errors when the service says no."""
    user = current_user(request)
    case = selectors.get_case(user, pk)
    form_class = forms.ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404()
    if not user.can(workflow.ACTIONS[action].capability) or not _may_act(user, case):
        raise forbidden(user, workflow.ACTIONS[action].capability)
    form = form_class(request.POST, request.FILES, case=case, action=action)
    if form.is_valid():
        try:
            if action == "settle_objection":
                services.settle_objection(actor=user, **form.arguments())
            else:
                SERVICES[action](actor=user, case=case.pk, **form.arguments())
        except InvalidInput as error:
            apply_errors(form, error, form.aliases)
        except Refused as error:
            messages.error(request, str(error.message))
        else:
            case = selectors.get_case(user, pk)
            step = _("The case is now at the step “%(step)s”.") % {"step": case.get_state_display()}
            messages.success(request, f"{DONE[action]} {step}")
            return redirect("cases:case", pk=case.pk)
    # Nothing was saved: the case as it is, with this form and its errors.
    return _case_page(request, selectors.get_case(user, pk), form)


# ---------------------------------------------------------------- village notices


@dataclass
class VillageGroup:
    village: Area
    cases: list[Case]


def _group_by_village(cases: list[Case]) -> list[VillageGroup]:
    groups: dict[int, VillageGroup] = {}
    for case in cases:
        village = case.household.village
        groups.setdefault(village.pk, VillageGroup(village, [])).cases.append(case)
    return sorted(groups.values(), key=lambda group: group.village.code)


@page
def notice_new(request: HttpRequest) -> HttpResponse:
    """Put households of one village waiting for their notice on one public notice."""
    user = current_user(request)
    if not user.can(Capability.VILLAGE_STEPS):
        raise PermissionDenied(_("Your role does not post public notices."))
    code = request.GET.get("village", "").strip()
    village_code = code if len(code) == 12 and code.isdigit() else ""
    waiting = list(
        selectors.my_tasks(user, selectors.CaseFilters(state=State.NOTICE, area_code=village_code)).order_by(
            "household__village__code", "household__number"
        )
    )
    if not village_code:
        return render(request, "cases/notice_new.html", {"groups": _group_by_village(waiting), "form": None})
    today = clock.today()
    chosen = request.GET.get("case", "")
    first_kind = next((c.kind for c in waiting if str(c.pk) == chosen), waiting[0].kind if waiting else "")
    rules = rules_for(village_code[:6], today)
    form = forms.NoticeForm(
        request.POST or None,
        cases=waiting,
        initial={
            # The same procedure only: identification and elimination go on separate notices.
            "cases": [c.pk for c in waiting if (str(c.pk) == chosen if chosen else c.kind == first_kind)],
            "posted_on": today,
            "days": rules.notice_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.post_notice(
                actor=user,
                case_ids=form.cleaned_data["cases"],
                posted_on=form.cleaned_data["posted_on"],
                days=form.cleaned_data["days"],
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except Refused as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("The notice is posted. The households can go to the township from %(day)s.")
                % {"day": notice.ends_on.isoformat()},
            )
            return redirect("cases:notice", pk=notice.pk)
    return render(
        request,
        "cases/notice_new.html",
        {
            "form": form,
            "village": waiting[0].household.village if waiting else None,
            "village_code": village_code,
            "cases_by_pk": {c.pk: c for c in waiting},
            "rules": rules,
        },
    )


@page
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.get_notice(current_user(request), pk)
    return render(
        request,
        "cases/notice.html",
        {
            "notice": notice,
            "cases": list(notice.cases.select_related("household__village").order_by("household__number")),
            "objections": list(notice.objections.select_related("case__household")),
            "running": clock.today() < notice.ends_on,
        },
    )


# ---------------------------------------------------------------- from a household's page


def _household_for(request: HttpRequest, pk: int, capability: Capability) -> Household:
    """The household (not found outside the view area), if the user's role and capture area allow."""
    user = current_user(request)
    household = registry_selectors.get_household(user, pk)
    if not user.can(capability) or not scope.area_in_scope(user, household.village.path, "capture"):
        raise forbidden(user, capability)
    return household


def _form_page(request: HttpRequest, household: Household, form: Any, **context: Any) -> HttpResponse:
    return render(request, "cases/form.html", {"household": household, "form": form, **context})


@page
def raise_clue(request: HttpRequest, household_pk: int) -> HttpResponse:
    user = current_user(request)
    household = _household_for(request, household_pk, Capability.RAISE_CLUE)
    form = forms.RaiseClueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.raise_clue(
                actor=user,
                household=household,
                category=form.cleaned_data["category"],
                risk_types=list(form.cleaned_data["risk_types"]),
                description=form.cleaned_data["description"],
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except Refused as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The risk clue is recorded: the household visit is the next step."))
            return redirect("cases:case", pk=case.pk)
    return _form_page(
        request,
        household,
        form,
        title=_("Raise a risk clue for household %(number)s") % {"number": household.number},
        intro=_("Say what you found on your visit. A case opens; the household visit is its first step."),
        submit=_("Raise the risk clue"),
    )


@page
def propose_elimination(request: HttpRequest, household_pk: int) -> HttpResponse:
    user = current_user(request)
    household = _household_for(request, household_pk, Capability.VILLAGE_STEPS)
    form = forms.EliminationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.propose_elimination(
                actor=user, household=household, reason=form.cleaned_data["reason"]
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except Refused as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request, _("The risk-elimination procedure has started: the household visit is next.")
            )
            return redirect("cases:case", pk=case.pk)
    return _form_page(
        request,
        household,
        form,
        title=_("Propose risk elimination for household %(number)s") % {"number": household.number},
        intro=_(
            "Risk elimination goes through the same steps as identification: visit, village appraisal, "
            "public notice, township review and the county's decision, which checks the elimination gates."
        ),
        submit=_("Start risk elimination"),
    )


# ---------------------------------------------------------------- self-declarations


def _household_choices(user: User, village: Area, phone_bidx: str) -> tuple[list[tuple[int, str]], set[int]]:
    """The village's households as "number · head", those with the declared phone first."""
    rows = list(web_selectors.household_rows(user, HouseholdFilters(area_code=village.code)))
    same_phone = set(
        registry_selectors.households_for(user)
        .filter(village=village)
        .filter(Q(phone_bidx=phone_bidx) | Q(members__phone_bidx=phone_bidx))
        .values_list("pk", flat=True)
    )
    rows.sort(key=lambda household: (household.pk not in same_phone, household.number))
    choices = []
    for household in rows:
        heads = getattr(household, "heads", [])
        label = f"{household.number} · {heads[0].name}" if heads else household.number
        if household.pk in same_phone:
            label = _("%(household)s (same phone as the declaration)") % {"household": label}
        choices.append((household.pk, label))
    return choices, same_phone


@page
def declaration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    declaration = selectors.get_declaration(user, pk)
    if not user.can(Capability.RAISE_CLUE):
        raise PermissionDenied(_("Your role does not handle self-declarations."))
    may_handle = declaration.status == DeclarationStatus.NEW and scope.area_in_scope(
        user, declaration.village.path, "capture"
    )
    choices, same_phone = _household_choices(user, declaration.village, declaration.phone_bidx)
    posted = request.POST if request.method == "POST" else None
    doing = request.POST.get("do", "") if posted else ""
    match_form = forms.MatchDeclarationForm(
        posted if doing == "open" else None,
        households=choices,
        initial={"household": next(iter(same_phone), None) if len(same_phone) == 1 else None},
        auto_id="id_open_%s",
    )
    dismiss_form = forms.DismissDeclarationForm(
        posted if doing == "dismiss" else None, auto_id="id_dismiss_%s"
    )
    if posted and may_handle and doing == "open" and match_form.is_valid():
        try:
            household = registry_selectors.get_household(user, match_form.cleaned_data["household"])
            case = services.open_case_from_declaration(
                actor=user,
                declaration_id=declaration.pk,
                household=household,
                category=match_form.cleaned_data["category"],
                risk_types=list(match_form.cleaned_data["risk_types"]),
            )
        except InvalidInput as error:
            apply_errors(match_form, error)
        except Refused as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("A case is open for the household: the household visit is next."))
            return redirect("cases:case", pk=case.pk)
    elif posted and may_handle and doing == "dismiss" and dismiss_form.is_valid():
        try:
            services.dismiss_declaration(
                actor=user, declaration_id=declaration.pk, reason=dismiss_form.cleaned_data["reason"]
            )
        except InvalidInput as error:
            apply_errors(dismiss_form, error)
        except Refused as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The declaration is dismissed."))
            return redirect("cases:tasks")
    elif posted and not may_handle:
        messages.error(request, _("This declaration was already handled."))
    return render(
        request,
        "cases/declaration.html",
        {
            "declaration": declaration,
            "may_handle": may_handle,
            "match_form": match_form,
            "dismiss_form": dismiss_form,
            "same_phone": bool(same_phone),
        },
    )


# ---------------------------------------------------------------- notifications


@page
def notifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    items = [
        (notification, notify.text_of(notification)) for notification in selectors.notifications_for(user)
    ]
    return render(
        request,
        "cases/notifications.html",
        {"items": items, "unread": any(n.read_at is None for n, _text in items)},
    )


@require_POST
@page
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.mark_notifications_read(actor=current_user(request))
    messages.success(request, _("All notifications are marked as read."))
    return redirect(reverse("cases:notifications"))
