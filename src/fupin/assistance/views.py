"""Pages of the assistance plans ("one household, one policy") and of the county's measure catalogue.

A household's plan page lists its measures, the plan rules it breaks (in plain words, with what to
do) and suggestions from its risk types; measures are added, corrected and stopped on pages of their
own, through ``fupin.assistance.services``. Out of scope is "not found", a role that does not edit
records (or keep the catalogue) is "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.assistance import forms, rules, selectors, services
from fupin.assistance.models import Measure, MeasureStatus, MeasureType
from fupin.core.errors import InvalidInput, OutOfScope, StaleEdit
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Household
from fupin.web import selectors as web_selectors
from fupin.web.forms import apply_errors
from fupin.web.pages import current_user, forbidden, page, require

# ---------------------------------------------------------------- the plan


def _risk_rows(facts: rules.PlanFacts, measures: list[Measure]) -> list[dict[str, Any]]:
    """Each recorded risk type with the measures that answer it."""
    by_id = {m.pk: m for m in measures}
    rows = []
    for risk in dict.fromkeys(facts.risk_types):
        answering = [by_id[m.id] for m in facts.measures if m.id in by_id and m.answers_risk(risk)]
        rows.append({"code": risk, "label": rules.risk_label(risk), "measures": answering})
    return rows


def _plan_context(user: User, household: Household) -> dict[str, Any]:
    facts = selectors.plan_facts(household)
    problems = rules.check(facts)
    measures = list(selectors.measures_of(user, household))
    flagged: dict[int, list[rules.Problem]] = {}
    for problem in problems:
        if problem.measure_id is not None:
            flagged.setdefault(problem.measure_id, []).append(problem)
    members = [m for m in household.members.all() if m.is_current]
    return {
        "household": household,
        "measures": [(m, flagged.get(m.pk, [])) for m in measures],
        "problems": problems,
        "errors": sum(1 for p in problems if p.is_error),
        "warnings": sum(1 for p in problems if not p.is_error),
        "facts": facts,
        "risk_rows": _risk_rows(facts, measures),
        "workers": sum(1 for m in members if m.labour_capacity in rules.WORKING),
        "member_count": len(members),
        "on_allowance": sum(1 for m in members if m.receives_dibao or m.receives_tekun),
        "suggestions": selectors.suggestions_for(household, facts),
        "can_edit": web_selectors.may_edit(user, household),
        "rules": list(rules.RULES.values()),
    }


@page
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    household = registry_selectors.get_household(user, pk)
    return render(request, "assistance/plan.html", _plan_context(user, household))


@page
def plan_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's card on the household page (loaded after the page): measures and rule problems."""
    user = current_user(request)
    household = registry_selectors.get_household(user, pk)
    measures = list(selectors.measures_of(user, household))
    problems = selectors.plan_problems(household)
    return render(
        request,
        "assistance/_plan_summary.html",
        {
            "household": household,
            "measures": [m for m in measures if m.status != MeasureStatus.STOPPED],
            "stopped": sum(1 for m in measures if m.status == MeasureStatus.STOPPED),
            "problems": problems,
            "errors": sum(1 for p in problems if p.is_error),
            "can_edit": web_selectors.may_edit(user, household),
        },
    )


def _editable(request: HttpRequest, household: Household) -> User:
    user = current_user(request)
    if not web_selectors.may_edit(user, household):
        raise forbidden(user, Capability.EDIT_RECORDS)
    return user


def _saved_message(request: HttpRequest, household: Household, done: str) -> None:
    """After every save the plan is checked again; the message says how it stands."""
    problems = selectors.plan_problems(household)
    errors = sum(1 for p in problems if p.is_error)
    if errors:
        count = _("Rules the plan still breaks: %(n)s (see “Plan checks”).") % {"n": errors}
        messages.warning(request, f"{done} {count}")
    else:
        messages.success(request, f"{done} {_('The plan keeps every rule.')}")


def _measure_form_page(
    request: HttpRequest, household: Household, form: forms.MeasureForm, **context: Any
) -> HttpResponse:
    return render(
        request,
        "assistance/measure_form.html",
        {"household": household, "form": form, "risks": household.risk_type_list, **context},
    )


def _entries_for(household: Household) -> list[MeasureType]:
    return list(selectors.catalogue_for(household.village.code[:6]))


@page
def measure_add(request: HttpRequest, pk: int) -> HttpResponse:
    household = registry_selectors.get_household(current_user(request), pk)
    user = _editable(request, household)
    initial: dict[str, Any] = {"status": MeasureStatus.PLANNED}
    chosen = request.GET.get("type", "")
    if chosen.isdigit():
        initial["measure_type"] = int(chosen)
        initial["risk_types"] = [r for r in request.GET.getlist("risk") if r in household.risk_type_list]
    form = forms.MeasureForm(
        request.POST or None,
        entries=_entries_for(household),
        risk_types=household.risk_type_list,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.create_measure(actor=user, household=household, values=form.values())
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            _saved_message(request, household, _("The measure is added to the plan."))
            return redirect("assistance:plan", pk=household.pk)
    return _measure_form_page(
        request,
        household,
        form,
        title=_("Add a measure to the plan of household %(number)s") % {"number": household.number},
        submit=_("Add the measure"),
    )


def _measure_for_edit(request: HttpRequest, pk: int) -> tuple[User, Measure]:
    measure = selectors.get_measure(current_user(request), pk)
    user = _editable(request, measure.household)
    return user, measure


@page
def measure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, measure = _measure_for_edit(request, pk)
    household = measure.household
    entries = _entries_for(household)

    def make(data: Any, initial: dict[str, Any] | None = None) -> forms.MeasureForm:
        return forms.MeasureForm(
            data, entries=entries, risk_types=household.risk_type_list, measure=measure, initial=initial
        )

    form = make(request.POST or None, forms.measure_initial(measure))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_measure(
                actor=user,
                measure=measure,
                expected_version=form.cleaned_data["version"],
                values=form.values(),
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except StaleEdit:
            current = selectors.get_measure(user, pk)
            data = request.POST.copy()
            data["version"] = str(current.version)
            form = make(data)
            form.is_valid()
            form.add_error(None, StaleEdit.message)
        else:
            _saved_message(request, household, _("The measure is saved."))
            return redirect("assistance:plan", pk=household.pk)
    return _measure_form_page(
        request,
        household,
        form,
        measure=measure,
        title=_("Change the measure “%(measure)s” of household %(number)s")
        % {"measure": measure.title, "number": household.number},
        submit=_("Save the measure"),
    )


@page
def measure_stop(request: HttpRequest, pk: int) -> HttpResponse:
    user, measure = _measure_for_edit(request, pk)
    household = measure.household
    form = forms.StopForm(request.POST or None, initial={"version": measure.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.stop_measure(
                actor=user,
                measure=measure,
                expected_version=form.cleaned_data["version"],
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except StaleEdit:
            measure = selectors.get_measure(user, pk)
            data = request.POST.copy()
            data["version"] = str(measure.version)
            form = forms.StopForm(data)
            form.is_valid()
            form.add_error(None, StaleEdit.message)
        else:
            _saved_message(request, household, _("The measure is stopped."))
            return redirect("assistance:plan", pk=household.pk)
    return render(
        request,
        "assistance/stop.html",
        {"household": household, "measure": measure, "form": form},
    )


# ---------------------------------------------------------------- the catalogue


def _chosen_county(request: HttpRequest, user: User) -> tuple[Area | None, list[Area]]:
    counties = selectors.counties_for(user)
    code = request.POST.get("county") or request.GET.get("county") or ""
    chosen = next((c for c in counties if c.code == code), None)
    if code and chosen is None:
        raise OutOfScope()
    return chosen or (counties[0] if counties else None), counties


def _manages(user: User, county: Area | None) -> bool:
    return bool(
        county is not None
        and user.can(Capability.MANAGE_CATALOGUE)
        and scope.area_in_scope(user, county.path, "capture")
    )


def _catalogue_url(county: Area) -> str:
    return f"{reverse('assistance:catalogue')}?county={county.code}"


@page
def catalogue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    county, counties = _chosen_county(request, user)
    rows = selectors.catalogue_rows(county) if county else []
    groups: dict[str, list[selectors.CatalogueRow]] = {}

    def order(row: selectors.CatalogueRow) -> tuple[int, bool, int]:
        entry = row.entry
        return rules.CATEGORY_ORDER.get(entry.category, 99), entry.county_id is not None, entry.pk

    for row in sorted(rows, key=order):
        groups.setdefault(row.entry.category, []).append(row)
    return render(
        request,
        "assistance/catalogue.html",
        {
            "county": county,
            "counties": counties,
            "groups": [(rows[0].entry.get_category_display(), rows) for rows in groups.values()],
            "manages": _manages(user, county),
        },
    )


def _managed_county(request: HttpRequest) -> tuple[User, Area]:
    user = current_user(request)
    require(user, Capability.MANAGE_CATALOGUE)
    county, _counties = _chosen_county(request, user)
    if county is None:
        raise OutOfScope()
    if not _manages(user, county):
        raise PermissionDenied(_("Only the county's administrator keeps its catalogue."))
    return user, county


@page
def catalogue_add(request: HttpRequest) -> HttpResponse:
    user, county = _managed_county(request)
    form = forms.EntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.add_county_entry(actor=user, county_code=county.code, values=form.values())
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("“%(name)s” is in the county's catalogue.") % {"name": entry.name})
            return redirect(_catalogue_url(county))
    return render(
        request,
        "assistance/entry_form.html",
        {
            "form": form,
            "county": county,
            "title": _("Add a measure to the catalogue of %(county)s") % {"county": county.name},
        },
    )


def _county_entry(request: HttpRequest, pk: int) -> tuple[User, Area, MeasureType]:
    entry = MeasureType.objects.filter(pk=pk, active=True).select_related("county").first()
    if entry is None:
        raise OutOfScope()
    user = current_user(request)
    if entry.county is not None:
        # A county's own entry belongs to that county: outside the user's counties it does not exist.
        if entry.county not in selectors.counties_for(user):
            raise OutOfScope()
        if not _manages(user, entry.county):
            raise PermissionDenied(_("Only the county's administrator keeps its catalogue."))
        return user, entry.county, entry
    user, county = _managed_county(request)
    return user, county, entry


@page
def catalogue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, county, entry = _county_entry(request, pk)
    if entry.county is None:
        raise PermissionDenied(_("National entries cannot be changed; switch the entry off instead."))
    form = forms.EntryForm(request.POST or None, entry=entry, initial=forms.entry_initial(entry))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_county_entry(
                actor=user, entry=entry, expected_version=form.cleaned_data["version"], values=form.values()
            )
        except InvalidInput as error:
            apply_errors(form, error)
        except StaleEdit:
            data = request.POST.copy()
            data["version"] = str(MeasureType.objects.get(pk=entry.pk).version)
            form = forms.EntryForm(data, entry=entry)
            form.is_valid()
            form.add_error(None, StaleEdit.message)
        else:
            messages.success(request, _("Saved."))
            return redirect(_catalogue_url(county))
    return render(
        request,
        "assistance/entry_form.html",
        {
            "form": form,
            "county": county,
            "entry": entry,
            "title": _("Change the catalogue entry “%(name)s”") % {"name": entry.name},
        },
    )


@require_POST
@page
def catalogue_switch(request: HttpRequest, pk: int) -> HttpResponse:
    user, county, entry = _county_entry(request, pk)
    in_use = request.POST.get("in_use") == "1"
    try:
        services.switch_entry(actor=user, county_code=county.code, entry=entry, in_use=in_use)
    except InvalidInput as error:
        for texts in error.field_errors.values():
            for text in texts:
                messages.error(request, str(text))
    else:
        if in_use:
            messages.success(request, _("“%(name)s” is offered for plans again.") % {"name": entry.name})
        else:
            text = _("“%(name)s” is switched off: it is no longer offered for new measures.")
            messages.success(request, text % {"name": entry.name})
    return redirect(_catalogue_url(county))
