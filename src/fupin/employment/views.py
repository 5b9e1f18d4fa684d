"""Employment pages: a labourer's phone-sized form, an area's progress against its target, the targets
of the areas below. Thin: the services write, the selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.areas.selectors import area_for
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message, StaleEdit
from fupin.employment import forms, selectors, services
from fupin.registry import selectors as registry_selectors
from fupin.web.forms import apply_errors
from fupin.web.pages import OUTSIDE_CAPTURE, current_user, forbidden, page, require
from fupin.web.selectors import may_edit


@page
def home(request: HttpRequest) -> HttpResponse:
    """The areas the user reads, each a link to its progress page."""
    user = current_user(request)
    paths = scope.granted_paths(user, "view")
    areas = list(Area.objects.filter(path__in=paths).order_by("code"))
    return render(request, "employment/home.html", {"areas": areas})


@page
def member(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    person = registry_selectors.get_member(user, pk)
    household = person.household
    if not may_edit(user, household):
        raise forbidden(user, Capability.EDIT_RECORDS)
    current = selectors.current_record(person)
    initial = {"current": current.pk if current else None, "start_month": clock.today().replace(day=1)}
    form = forms.RecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_employment(
                actor=user,
                member=person,
                data=form.data_input(),
                expected_current=form.cleaned_data["current"],
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except StaleEdit as error:
            messages.error(request, str(error.message))
            return redirect("employment:member", pk=person.pk)
        else:
            messages.success(request, _("Saved. The earlier record stays in the history."))
            return redirect(reverse("web:household", args=[household.pk]) + "#employment")
    return render(
        request,
        "employment/member.html",
        {
            "form": form,
            "person": person,
            "household": household,
            "current": current,
            "history": selectors.history(person),
            "provinces": selectors.province_names(),
        },
    )


def _period(request: HttpRequest) -> tuple[int, int]:
    """Year and month from the address, else this month; out-of-range values fall back too."""
    today = clock.today()
    try:
        year = int(request.GET.get("year", today.year))
        month = int(request.GET.get("month", today.month if year == today.year else 12))
    except ValueError:
        return today.year, today.month
    if not 2000 <= year <= today.year + 1 or not 1 <= month <= 12:
        return today.year, today.month
    return year, month


@page
def area(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    place = area_for(user, code)
    year, month = _period(request)
    progress = selectors.progress(user, place, year, month)
    child_level = place.level + 1
    return render(
        request,
        "employment/area.html",
        {
            "progress": progress,
            "year": year,
            "month": month,
            "months": range(1, 13),
            "years": range(clock.today().year - 3, clock.today().year + 1),
            "can_set_targets": user.can(Capability.SET_EMPLOYMENT_TARGETS)
            and scope.area_in_scope(user, place.path, "capture")
            and child_level in services.TARGET_LEVELS,
            "has_targets": child_level in services.TARGET_LEVELS or place.level in services.TARGET_LEVELS,
            "area": place,
            "check": selectors.workshop_check(place),
        },
    )


@page
def targets(request: HttpRequest, code: str) -> HttpResponse:
    """The targets of the areas directly below ``code`` for a year, set by the area above them."""
    user = current_user(request)
    place = area_for(user, code)
    require(user, Capability.SET_EMPLOYMENT_TARGETS)
    if not scope.area_in_scope(user, place.path, "capture"):
        raise PermissionDenied(str(OUTSIDE_CAPTURE))
    today = clock.today()
    try:
        year = int(request.POST.get("year") or request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    children = (
        list(Area.objects.filter(parent=place).order_by("code"))
        if place.level + 1 in services.TARGET_LEVELS
        else []
    )
    current = selectors.latest_targets(place, year)
    form = forms.TargetsForm(request.POST or None, areas=children, current=current)
    if request.method == "POST" and form.is_valid():
        changed = {c: v for c, v in form.values().items() if v is not None and v != current.get(c)}
        problems: dict[str, list[Message]] = {}
        try:
            with transaction.atomic():
                for child in children:
                    if child.code in changed:
                        try:
                            services.set_target(
                                actor=user, area=child, year=year, persons=changed[child.code]
                            )
                        except InvalidInput as error:
                            for messages_ in error.field_errors.values():
                                problems.setdefault(f"t_{child.code}", []).extend(messages_)
                if problems:
                    raise InvalidInput(problems)  # nothing is kept when one area's target is refused
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Saved. Earlier targets stay in the history."))
            return redirect(reverse("employment:area", args=[place.code]) + f"?year={year}")
    return render(
        request,
        "employment/targets.html",
        {
            "area": place,
            "form": form,
            "year": year,
            "years": range(today.year - 1, today.year + 2),
            "total": sum(current.get(c.code, 0) for c in children),
            "own": selectors.rolled_target(place.code, current),
        },
    )
