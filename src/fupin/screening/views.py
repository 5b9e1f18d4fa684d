"""Screening pages: start a run, follow it, read the risk clues it found, and one household's rules now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.core.errors import InvalidInput, NotPermitted
from fupin.jobs import services as jobs
from fupin.registry import selectors as registry_selectors
from fupin.registry.choices import MonitoringCategory, RiskType
from fupin.screening import labels, packs, selectors, services
from fupin.screening.explanations import reasons
from fupin.screening.models import ClueStatus, RiskClue, RunStatus
from fupin.web import exports
from fupin.web import selectors as web_selectors
from fupin.web.history import risk_labels
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
    runs = [(run, selectors.run_figures(user, run)) for run in selectors.runs_for(user)[:20]]
    clues = selectors.clues_for(user)
    return render(
        request,
        "screening/overview.html",
        {
            "runs": runs,
            "open_clues": clues.filter(status=ClueStatus.OPEN).count(),
            "areas": _startable_areas(user),
            "policies": labels.pack_choices(),
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
    user = current_user(request)
    run = selectors.runs_for(user).filter(pk=pk).first()
    if run is None:
        raise Http404
    figures = selectors.run_figures(user, run)
    counts = sorted(((rule, n) for rule, n in figures.counts.items()), key=lambda item: -item[1])
    top = max((n for _, n in counts), default=0) or 1
    titles = labels.rule_titles(run.policy_name)
    context = {
        "run": run,
        "figures": figures,
        "running": run.status == RunStatus.RUNNING,
        "stopped": jobs.stopped(run.error),
        "counts": [(rule, titles.get(rule, rule), n, round(100 * n / top)) for rule, n in counts],
        "parameters": labels.parameter_rows(run.policy_name, run.parameters),
    }
    template = "screening/_run_status.html" if is_htmx(request) else "screening/run.html"
    return render(request, template, context)


def _clue_filters(request: HttpRequest) -> selectors.ClueFilters:
    return selectors.ClueFilters(
        status=request.GET.get("status", ClueStatus.OPEN),
        category=request.GET.get("category", ""),
        risk_type=request.GET.get("risk_type", ""),
        area_code=request.GET.get("area", ""),
    )


@page
def clue_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = _clue_filters(request)
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
        "can_export": user.can(Capability.EXPORT),
    }
    template = "screening/_clues.html" if is_htmx(request) else "screening/clues.html"
    return render(request, template, context)


def _why(clue: RiskClue) -> str:
    """The clue's explanation as on the page, one line per reason, in the page's language."""
    return "\n".join(reason.line for reason in reasons(clue.explanation))


@page
def clue_export(request: HttpRequest, fmt: str = "csv") -> HttpResponseBase:
    """The risk clues of the list's filters as CSV or Excel (masked, audited)."""
    user = current_user(request)
    exports.require_export(user)
    filters = _clue_filters(request)
    found = selectors.search_clues(user, filters)
    count = found.count()
    rows = found.select_related("household__village__parent").prefetch_related(
        web_selectors.heads_prefetch("household")
    )
    head = web_selectors.head_of
    columns: list[exports.Column[RiskClue]] = [
        exports.Column(_("Household number"), lambda c: c.household.number, 22),
        exports.Column(
            _("Township"), lambda c: c.household.village.parent.name if c.household.village.parent else "", 12
        ),
        exports.Column(_("Village"), lambda c: c.household.village.name, 12),
        exports.Column(_("Village code"), lambda c: c.household.village.code, 15),
        exports.Column(_("Head of household"), lambda c: getattr(head(c.household), "name", ""), 10),
        exports.Column(_("Phone"), lambda c: c.household.phone_masked, 14),
        exports.Column(_("Suggested category"), lambda c: c.get_suggested_category_display(), 14),
        exports.Column(_("Risk types"), lambda c: "、".join(risk_labels(c.risk_types)), 24),
        exports.Column(_("Clue status"), lambda c: c.get_status_display(), 10),
        exports.Column(_("Why"), _why, 60),
        exports.Column(_("Found"), lambda c: timezone.localtime(c.created_at).date(), 12),
    ]
    return exports.export_list(
        user,
        fmt,
        name="risk_clue",
        stem="risk-clues",
        columns=columns,
        rows=rows,
        count=count,
        filters={
            "status": filters.status,
            "category": filters.category,
            "risk_type": filters.risk_type,
            "area_code": filters.area_code.strip(),
        },
        area_code=filters.area_code.strip(),
        sheet_title=_("Risk clues"),
    )


@page
def household_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """The rules one household hits now: loaded into its page, from the same compiled pack as the batch."""
    household = registry_selectors.get_household(current_user(request), pk)
    hits = selectors.rules_hit_now(household)
    open_clue = (
        selectors.clues_for(current_user(request)).filter(household=household, status=ClueStatus.OPEN).first()
    )
    return render(
        request,
        "screening/_household_rules.html",
        {
            "household": household,
            "hits": [
                {**hit, "reason": reason, "category_label": MonitoringCategory(hit["category"]).label}
                for hit, reason in zip(hits, reasons(hits), strict=True)
            ],
            "open_clue": open_clue,
            "policy": labels.pack_title(packs.default_name(), packs.checked().pack.version),
            "no_hits_text": _("No rule of the policy is hit today."),
        },
    )
