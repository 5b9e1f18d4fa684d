"""Pages for public-welfare posts, help workshops, returned migrant workers, training and 雨露计划.

Thin: each page reads through the selectors (scoped; outside the scope is "not found") and writes
through the services (role, capture scope, every problem at once); a POST without the role is 403 with
the reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.areas.selectors import area_for
from fupin.core.errors import InvalidInput, Refused, StaleEdit
from fupin.employment import forms, posts, returned, selectors, training, workshops
from fupin.employment.models import (
    Course,
    Participant,
    Post,
    PostHolding,
    ReturnedWorker,
    Workshop,
    WorkshopStatus,
)
from fupin.web.forms import apply_errors
from fupin.web.pages import current_user, forbidden, page, require


def _scoped_or_404(model: Any, user: Any, pk: int) -> Any:
    found = scope.scoped(model.objects.all(), user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such record in your area."))
    return found


def _captures(user: Any, area: Area) -> bool:
    return scope.area_in_scope(user, area.path, "capture")


def _areas_below(area: Area, levels: tuple[int, ...]) -> list[Area]:
    return list(Area.objects.filter(path__startswith=area.path, level__in=levels).order_by("code")[:2000])


def _manages(user: Any, area: Area) -> bool:
    return user.can(Capability.MANAGE_EMPLOYMENT) and _captures(user, area)


def _edits(user: Any, area: Area) -> bool:
    return user.can(Capability.EDIT_RECORDS) and bool(selectors.members_to_choose(user, area, limit=1))


# ---------------------------------------------------------------- posts


@page
def post_list(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    area = area_for(user, code)
    form = forms.PostForm(
        request.POST or None, areas=_areas_below(area, (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE))
    )
    if request.method == "POST":
        require(user, Capability.MANAGE_EMPLOYMENT)
        if form.is_valid():
            try:
                post = posts.create_post(actor=user, data=form.data_input())
            except InvalidInput as error:
                apply_errors(form, error, {"monthly_subsidy_fen": "monthly_subsidy"})
            else:
                messages.success(request, _("Saved."))
                return redirect("employment:post", pk=post.pk)
    rows = (
        selectors.in_area(Post, user, area)
        .select_related("area")
        .annotate(holders=Count("holdings", distinct=True))
        .order_by("area__code", "code")
    )
    return render(
        request,
        "employment/posts.html",
        {"area": area, "posts": rows, "form": form, "may_create": _manages(user, area)},
    )


@page
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    post = _scoped_or_404(Post, user, pk)
    members = selectors.members_to_choose(user, post.area)
    holdings = list(
        scope.scoped(PostHolding.objects.filter(post=post), user)
        .select_related("member__household")
        .prefetch_related("months")
        .order_by("start_month", "pk")
    )
    appoint = forms.AppointForm(
        request.POST if request.POST.get("action") == "appoint" else None, members=members, prefix="a"
    )
    month_form = forms.PostMonthForm(
        request.POST if request.POST.get("action") == "month" else None, holdings=holdings, prefix="m"
    )
    if request.method == "POST":
        if not user.can(Capability.EDIT_RECORDS):
            raise forbidden(user, Capability.EDIT_RECORDS)
        try:
            if request.POST.get("action") == "appoint" and appoint.is_valid():
                person = appoint.cleaned_data["member"]
                if person is None:
                    raise InvalidInput({"member": [_("Choose the person.")]})
                posts.appoint(
                    actor=user,
                    post=post,
                    member=person,
                    start_month=appoint.cleaned_data["start_month"],
                    end_month=appoint.cleaned_data["end_month"],
                )
                messages.success(request, _("Saved."))
                return redirect("employment:post", pk=post.pk)
            if request.POST.get("action") == "month" and month_form.is_valid():
                holding = next(h for h in holdings if str(h.pk) == month_form.cleaned_data["holding"])
                posts.record_month(actor=user, holding=holding, month=month_form.cleaned_data["month"])
                messages.success(request, _("Saved."))
                return redirect("employment:post", pk=post.pk)
        except InvalidInput as error:
            apply_errors(appoint if request.POST.get("action") == "appoint" else month_form, error)
    return render(
        request,
        "employment/post.html",
        {
            "post": post,
            "holdings": holdings,
            "appoint": appoint,
            "month_form": month_form,
            "may_edit": user.can(Capability.EDIT_RECORDS) and bool(members),
            "may_record": user.can(Capability.EDIT_RECORDS) and bool(holdings),
        },
    )


# ---------------------------------------------------------------- workshops


@page
def workshop_list(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    area = area_for(user, code)
    form = forms.WorkshopForm(
        request.POST or None,
        areas=_areas_below(area, (AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)),
    )
    if request.method == "POST":
        require(user, Capability.MANAGE_EMPLOYMENT)
        if form.is_valid():
            try:
                shop = workshops.register_workshop(actor=user, data=form.data_input())
            except InvalidInput as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Saved. Add its workers, then recognise it."))
                return redirect("employment:workshop", pk=shop.pk)
    rows = (
        selectors.in_area(Workshop, user, area)
        .select_related("area")
        .annotate(roster=Count("workers", distinct=True))
        .order_by("area__code", "name")
    )
    return render(
        request,
        "employment/workshops.html",
        {
            "area": area,
            "workshops": rows,
            "form": form,
            "may_create": _manages(user, area),
            "check": selectors.workshop_check(area),
        },
    )


@page
def workshop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    shop = _scoped_or_404(Workshop, user, pk)
    action = request.POST.get("action", "")
    members = selectors.members_to_choose(user, shop.area)
    worker_form = forms.WorkerForm(request.POST if action == "worker" else None, members=members, prefix="w")
    award_form = forms.AwardForm(request.POST if action == "award" else None, prefix="x")
    if request.method == "POST":
        needed = Capability.EDIT_RECORDS if action == "worker" else Capability.MANAGE_EMPLOYMENT
        require(user, needed)
        try:
            if action == "worker" and worker_form.is_valid():
                person = worker_form.cleaned_data["member"]
                if person is None:
                    raise InvalidInput({"member": [_("Choose the person.")]})
                workshops.add_worker(
                    actor=user,
                    workshop=shop,
                    member=person,
                    start_month=worker_form.cleaned_data["start_month"],
                    end_month=worker_form.cleaned_data["end_month"],
                    monthly_pay_fen=forms.to_fen(worker_form.cleaned_data["monthly_pay"]),
                )
            elif action == "recognise":
                workshops.recognise(actor=user, workshop=shop)
            elif action == "status":
                workshops.change_status(actor=user, workshop=shop, status=request.POST.get("status", ""))
            elif action == "award" and award_form.is_valid():
                workshops.award(
                    actor=user,
                    workshop=shop,
                    amount_fen=forms.to_fen(award_form.cleaned_data["amount"]),
                    reason=award_form.cleaned_data["reason"] or "",
                )
            else:
                raise InvalidInput({})
        except InvalidInput as error:
            apply_errors(
                worker_form if action == "worker" else award_form,
                error,
                {"monthly_pay_fen": "monthly_pay", "amount_fen": "amount"},
            )
        except Refused as error:
            messages.error(request, str(error.message))
            return redirect("employment:workshop", pk=shop.pk)
        else:
            messages.success(request, _("Saved."))
            return redirect("employment:workshop", pk=shop.pk)
    roster = list(
        scope.scoped(shop.workers.all(), user)
        .select_related("member__household")
        .order_by("start_month", "pk")
    )
    return render(
        request,
        "employment/workshop.html",
        {
            "shop": shop,
            "roster": roster,
            "hidden_workers": shop.workers.count() - len(roster),
            "awards": shop.awards.all(),
            "awarded": shop.awards.aggregate(total=Sum("amount_fen"))["total"] or 0,
            "worker_form": worker_form,
            "award_form": award_form,
            "may_add": user.can(Capability.EDIT_RECORDS) and bool(members),
            "may_manage": _manages(user, shop.area),
            "next_statuses": [
                (s, WorkshopStatus(s).label)
                for s in workshops.NEXT_STATUS.get(WorkshopStatus(shop.status), set())
            ],
        },
    )


# ---------------------------------------------------------------- returned migrant workers


@page
def returned_list(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    area = area_for(user, code)
    members = selectors.members_to_choose(user, area)
    form = forms.ReturnForm(request.POST or None, members=members)
    if request.method == "POST":
        require(user, Capability.EDIT_RECORDS)
        if form.is_valid():
            try:
                person = form.cleaned_data["member"]
                if person is None:
                    raise InvalidInput({"member": [_("Choose the person.")]})
                task = returned.record_return(
                    actor=user,
                    member=person,
                    returned_on=form.cleaned_data["returned_on"],
                    reason=form.cleaned_data["reason"] or "",
                )
            except InvalidInput as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Saved. The follow-up is due by %(day)s.") % {"day": task.due_on})
                return redirect("employment:returned", code=area.code)
    tasks = [(task, returned.status(task)) for task in selectors.returned_in(user, area)[:500]]
    return render(
        request,
        "employment/returned.html",
        {
            "area": area,
            "tasks": tasks,
            "labels": returned.STATUS_LABELS,
            "form": form,
            "may_add": user.can(Capability.EDIT_RECORDS) and bool(members),
            "overdue": sum(1 for _task, s in tasks if s == returned.OVERDUE),
        },
    )


@page
def returned_task(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone-sized follow-up form: the help given, and the new work when work was found."""
    user = current_user(request)
    task = _scoped_or_404(ReturnedWorker, user, pk)
    person = task.member
    current = selectors.current_record(person)
    initial = {"current": current.pk if current else None, "help_kind": "new_job"}
    form = forms.FollowUpForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(user, Capability.EDIT_RECORDS)
        if form.is_valid():
            kind = form.cleaned_data["help_kind"]
            job = form.data_input() if kind == "new_job" and form.cleaned_data["status"] else None
            try:
                returned.follow_up(
                    actor=user,
                    task=task,
                    help_kind=kind,
                    note=form.cleaned_data["note"] or "",
                    job=job,
                    expected_current=form.cleaned_data["current"],
                )
            except InvalidInput as error:
                apply_errors(form, error)
            except StaleEdit as error:
                messages.error(request, str(error.message))
                return redirect("employment:returned_task", pk=task.pk)
            else:
                messages.success(request, _("Saved."))
                return redirect("employment:returned", code=person.household.village.code)
    return render(
        request,
        "employment/returned_task.html",
        {
            "task": task,
            "person": person,
            "status": returned.status(task),
            "labels": returned.STATUS_LABELS,
            "form": form,
            "current": current,
            "follow_ups": task.follow_ups.all(),
            "may_edit": user.can(Capability.EDIT_RECORDS) and _captures(user, person.household.village),
        },
    )


# ---------------------------------------------------------------- training and 雨露计划


@page
def course_list(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    area = area_for(user, code)
    form = forms.CourseForm(request.POST or None)
    if request.method == "POST":
        require(user, Capability.MANAGE_EMPLOYMENT)
        if form.is_valid():
            try:
                course = training.create_course(actor=user, data=form.data_input(area))
            except InvalidInput as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("employment:course", pk=course.pk)
    rows = (
        selectors.in_area(Course, user, area)
        .annotate(enrolled=Count("participants", distinct=True))
        .select_related("area")
    )
    return render(
        request,
        "employment/courses.html",
        {"area": area, "courses": rows, "form": form, "may_create": _manages(user, area)},
    )


@page
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    course = _scoped_or_404(Course, user, pk)
    action = request.POST.get("action", "")
    members = selectors.members_to_choose(user, course.area)
    enrol = forms.EnrolForm(request.POST if action == "enrol" else None, members=members, prefix="e")
    if request.method == "POST":
        require(user, Capability.EDIT_RECORDS if action == "enrol" else Capability.MANAGE_EMPLOYMENT)
        try:
            if action == "enrol" and enrol.is_valid():
                person = enrol.cleaned_data["member"]
                if person is None:
                    raise InvalidInput({"member": [_("Choose the person.")]})
                training.enrol(actor=user, course=course, member=person)
            elif action == "complete":
                seat = _scoped_or_404(Participant, user, int(request.POST.get("participant") or 0))
                if seat.course_id != course.pk:
                    raise Http404(_("No such record in your area."))
                training.complete(
                    actor=user,
                    participant=seat,
                    completed=request.POST.get("completed") == "yes",
                    certificate=request.POST.get("certificate", ""),
                )
            else:
                raise InvalidInput({})
        except InvalidInput as error:
            apply_errors(enrol, error)
        except Refused as error:
            messages.error(request, str(error.message))
            return redirect("employment:course", pk=course.pk)
        else:
            messages.success(request, _("Saved."))
            return redirect("employment:course", pk=course.pk)
    seats = list(
        scope.scoped(course.participants.all(), user).select_related("member__household").order_by("pk")
    )
    return render(
        request,
        "employment/course.html",
        {
            "course": course,
            "seats": seats,
            "enrol": enrol,
            "may_enrol": user.can(Capability.EDIT_RECORDS) and bool(members),
            "may_manage": _manages(user, course.area),
        },
    )


@page
def grant_list(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    area = area_for(user, code)
    members = selectors.members_to_choose(user, area, labour_only=False)
    form = forms.GrantForm(request.POST or None, members=members)
    if request.method == "POST":
        require(user, Capability.EDIT_RECORDS)
        if form.is_valid():
            try:
                person = form.cleaned_data["member"]
                if person is None:
                    raise InvalidInput({"member": [_("Choose the student.")]})
                training.record_grant(actor=user, member=person, data=form.data_input())
            except InvalidInput as error:
                apply_errors(form, error, {"amount_fen": "amount"})
            else:
                messages.success(request, _("Saved."))
                return redirect("employment:grants", code=area.code)
    grants = selectors.grants_in(user, area).order_by("-school_year", "pk")[:500]
    return render(
        request,
        "employment/grants.html",
        {
            "area": area,
            "grants": grants,
            "form": form,
            "may_add": user.can(Capability.EDIT_RECORDS) and bool(members),
            "back": reverse("employment:area", args=[area.code]),
        },
    )
