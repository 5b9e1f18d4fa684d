"""Screening pages: start a run, follow it, read the risk clues it found, and one household's rules now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.core.errors import InvalidInput, NotPermitted
from fupin.engine.packs import PackError
from fupin.registry import selectors as registry_selectors
from fupin.registry.choices import MonitoringCategory, RiskType
from fupin.screening import packs, selectors, services
from fupin.screening.models import ClueStatus, RunStatus
from fupin.web.pages import current_user, is_htmx, page

PAGE_SIZE = 50


def _startable_areas(user: Any) -> list[Area]:
    """The areas a user may screen: those granted for capture (a county officer's county)."""
    if not user.can(Capability.RUN_SCREENING):
        return []
    paths = scope.granted_paths(user, "capture")
    return list(Area.objects.filter(path__in=paths).order_by("code"))


@page
def overview(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    runs = selectors.runs_for(user)[:20]
    clues = selectors.clues_for(user)
    return render(
        request,
        "screening/overview.html",
        {
            "runs": runs,
            "open_clues": clues.filter(status=ClueStatus.OPEN).count(),
            "areas": _startable_areas(user),
            "policies": packs.available(),
            "default_policy": packs.default_name(),
        },
    )


@require_POST
@page
def start(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    area_code = request.POST.get("area", "")
    policy = request.POST.get("policy") or None
    try:
        run = services.start_screening(actor=user, area_code=area_code, policy=policy)
    except InvalidInput as error:
        for field_messages in error.field_errors.values():
            for message in field_messages:
                messages.error(request, str(message))
        return redirect("screening:overview")
    except NotPermitted as error:
        raise PermissionDenied(str(error.message)) from None
    services.run_in_background(run, policy=policy)
    return redirect("screening:run", pk=run.pk)


@page
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.runs_for(current_user(request)).filter(pk=pk).first()
    if run is None:
        raise Http404
    counts = sorted(((rule, n) for rule, n in run.counts.items()), key=lambda item: -item[1])
    top = max((n for _, n in counts), default=0) or 1
    titles = _rule_titles(run.policy_name, request)
    context = {
        "run": run,
        "running": run.status == RunStatus.RUNNING,
        "counts": [(rule, titles.get(rule, rule), n, round(100 * n / top)) for rule, n in counts],
        "parameters": sorted(run.parameters.items()),
    }
    template = "screening/_run_status.html" if is_htmx(request) else "screening/run.html"
    return render(request, template, context)


def _rule_titles(policy: str, request: HttpRequest) -> dict[str, str]:
    """Rule id → its title in the page's language (the id itself if the pack is gone since)."""
    language = "zh" if (request.LANGUAGE_CODE or "").startswith("zh") else "en"
    try:
        checked = packs.checked(policy)
    except (LookupError, PackError):
        return {}
    return {rule.id: rule.title.get(language, rule.id) for rule in checked.pack.rules}


@page
def clue_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = selectors.ClueFilters(
        status=request.GET.get("status", ClueStatus.OPEN),
        category=request.GET.get("category", ""),
        risk_type=request.GET.get("risk_type", ""),
        area_code=request.GET.get("area", ""),
    )
    paginator = Paginator(selectors.search_clues(user, filters), PAGE_SIZE)
    context = {
        "page_obj": paginator.get_page(request.GET.get("page")),
        "status": filters.status,
        "category": filters.category,
        "risk_type": filters.risk_type,
        "area": filters.area_code.strip(),
        "statuses": ClueStatus.choices,
        "categories": MonitoringCategory.choices,
        "risk_types": RiskType.choices,
    }
    template = "screening/_clues.html" if is_htmx(request) else "screening/clues.html"
    return render(request, template, context)


@page
def household_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """The rules one household hits now: loaded into its page, from the same compiled pack as the batch."""
    household = registry_selectors.get_household(current_user(request), pk)
    hits = selectors.rules_hit_now(household)
    open_clue = (
        selectors.clues_for(current_user(request)).filter(household=household, status=ClueStatus.OPEN).first()
    )
    language = "zh" if (request.LANGUAGE_CODE or "").startswith("zh") else "en"
    return render(
        request,
        "screening/_household_rules.html",
        {
            "household": household,
            "hits": [
                {
                    **hit,
                    "text": hit[language],
                    "title": hit[f"title_{language}"],
                    "category_label": MonitoringCategory(hit["category"]).label,
                }
                for hit in hits
            ],
            "open_clue": open_clue,
            "policy": packs.checked().pack.label,
            "no_hits_text": _("No rule of the policy is hit today."),
        },
    )
