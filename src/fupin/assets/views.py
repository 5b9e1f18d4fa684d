"""Asset pages: thin views over ``selectors`` (reads) and ``services`` (writes).

A page about one asset looks it up in the reader's view scope first (outside: 404), then checks the role
(403 that says who may), then the form. The small forms (status, handover, income, disposal steps) sit on
the asset's page and post to their own routes, which redirect back with the outcome.
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

from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.assets import forms, selectors, services
from fupin.assets.models import (
    Asset,
    AssetClass,
    Disposal,
    DisposalState,
    OwnerLevel,
    Status,
)
from fupin.core import clock
from fupin.core.errors import InvalidInput, Refused
from fupin.projects.models import FundSource
from fupin.registry.models import Household
from fupin.web import exports
from fupin.web.forms import apply_errors
from fupin.web.pages import current_user, page, require

PAGE_SIZE = 50


def _asset(request: HttpRequest, pk: int) -> Asset:
    try:
        return selectors.get_asset(current_user(request), pk)
    except Asset.DoesNotExist:
        raise Http404(_("No such asset in your area.")) from None


def _area(request: HttpRequest, code: str) -> Area:
    area = selectors.visible_area(current_user(request), code)
    if area is None:
        raise Http404(_("No such area in your scope."))
    return area


def _flash(request: HttpRequest, error: InvalidInput | Refused) -> None:
    if isinstance(error, InvalidInput):
        for found in error.field_errors.values():
            for message in found:
                messages.error(request, str(message))
    else:
        messages.error(request, str(error.message))


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


@page
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    areas = selectors.areas_for(user)
    if len(areas) == 1:
        return redirect("assets:ledger", code=areas[0].code)
    return render(request, "assets/home.html", {"areas": areas})


@page
def ledger(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    area = _area(request, code)
    filters = selectors.Filters.from_query(request.GET)
    listing = Paginator(selectors.assets_in(user, area, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    year = clock.today().year - 1
    return render(
        request,
        "assets/ledger.html",
        {
            "area": area,
            "page_obj": listing,
            "filters": filters,
            "classes": AssetClass.choices,
            "statuses": Status.choices,
            "owners": OwnerLevel.choices,
            "summary": selectors.summary(user, area),
            "summary_year": selectors.summary(user, area, year),
            "year": year,
            "below": selectors.areas_below(user, area),
            "can_export": user.can(Capability.EXPORT),
            "can_register": user.can(Capability.MANAGE_ASSETS) and bool(selectors.capture_areas(user)),
        },
    )


def ledger_columns() -> list[exports.Column[Asset]]:
    return [
        exports.Column(_("Asset code"), lambda a: a.code, 20),
        exports.Column(_("Asset name"), lambda a: a.name, 30),
        exports.Column(_("Class"), lambda a: a.get_asset_class_display(), 16),
        exports.Column(_("Sub-type"), lambda a: a.get_sub_type_display(), 14),
        exports.Column(_("Source project"), lambda a: a.project.code if a.project else "", 18),
        exports.Column(_("Year formed"), lambda a: a.year_formed, 8),
        exports.Column(_("Original value (yuan)"), lambda a: services.fen_text(a.original_value_fen), 16),
        exports.Column(_("Place"), lambda a: a.area.name, 14),
        exports.Column(_("Owner level"), lambda a: a.get_owner_level_display(), 12),
        exports.Column(_("Owner"), lambda a: a.owner_entity if not a.household else a.household.number, 20),
        exports.Column(_("Operator"), lambda a: a.operator, 18),
        exports.Column(_("Contract to"), lambda a: a.contract_to, 12),
        exports.Column(
            _("Guaranteed return (%)"),
            lambda a: services.percent_text(a.guaranteed_rate) if a.guaranteed_rate is not None else "",
            10,
        ),
        exports.Column(_("Maintenance body"), lambda a: a.maintenance_body, 18),
        exports.Column(_("Person responsible for maintenance"), lambda a: a.maintenance_person, 12),
        exports.Column(_("Households benefiting"), lambda a: a.beneficiaries, 8),
        exports.Column(
            _("Income to date (yuan)"), lambda a: services.fen_text(getattr(a, "income_fen", 0) or 0), 14
        ),
        exports.Column(_("Status"), lambda a: a.get_status_display(), 14),
    ]


@page
def ledger_export(request: HttpRequest, code: str) -> HttpResponseBase:
    user = current_user(request)
    area = _area(request, code)  # an area outside the scope is "not found" for every role
    exports.require_export(user)
    filters = selectors.Filters.from_query(request.GET)
    rows = selectors.assets_in(user, area, filters)
    return exports.export_list(
        user,
        "xlsx",
        name="asset_ledger",
        columns=ledger_columns(),
        rows=rows,
        count=rows.count(),
        filters={"area": area.code, **filters.as_dict()},
        sheet_title=_("Asset ledger"),
        stem=f"asset-ledger-{area.code}",
        area_code=area.code,
    )


def _asset_form(request: HttpRequest, asset: Asset | None) -> forms.AssetForm:
    user = current_user(request)
    initial: dict[str, Any] = {"status": Status.ACCEPTED, "year_formed": clock.today().year}
    if asset is not None:
        initial = {
            **{
                f: getattr(asset, f)
                for f in (
                    "code",
                    "name",
                    "asset_class",
                    "sub_type",
                    "year_formed",
                    "owner_level",
                    "owner_entity",
                    "operator",
                    "contract_from",
                    "contract_to",
                    "maintenance_body",
                    "maintenance_person",
                    "beneficiaries",
                    "note",
                    "version",
                )
            },
            "project": asset.project_id,
            "area": asset.area.code,
            "household_number": asset.household.number if asset.household else "",
            "original_value": asset.original_value_fen / 100,
            "guaranteed_percent": asset.guaranteed_rate * 100 if asset.guaranteed_rate is not None else None,
            **{f"fund_{f.source}": f.amount_fen / 100 for f in asset.funding.all()},
        }
    return forms.AssetForm(
        request.POST or None,
        areas=selectors.capture_areas(user),
        projects=list(selectors.projects_done(user)[:300]),
        editing=asset is not None,
        initial=initial,
    )


def _asset_input(request: HttpRequest, form: forms.AssetForm, asset: Asset | None) -> services.AssetInput:
    data = form.cleaned_data
    household_id = None
    if data["household_number"]:
        household_id = (
            Household.objects.filter(number=data["household_number"].strip())
            .values_list("pk", flat=True)
            .first()
        ) or 0
    funding = {
        source: services.yuan_to_fen(data[f"fund_{source}"])
        for source in FundSource.values
        if data.get(f"fund_{source}") not in (None, 0)
    }
    percent = data["guaranteed_percent"]
    return services.AssetInput(
        code=data["code"],
        name=data["name"],
        asset_class=data["asset_class"],
        sub_type=data["sub_type"],
        year_formed=data["year_formed"],
        original_value_fen=services.yuan_to_fen(data["original_value"]),
        area_code=data["area"],
        owner_level=data["owner_level"],
        owner_entity=data["owner_entity"],
        status=data.get("status") or (asset.status if asset else Status.ACCEPTED),
        project_id=data["project"],
        household_id=household_id,
        operator=data["operator"],
        contract_from=data["contract_from"],
        contract_to=data["contract_to"],
        guaranteed_rate=percent / 100 if percent is not None else None,
        maintenance_body=data["maintenance_body"],
        maintenance_person=data["maintenance_person"],
        beneficiaries=data["beneficiaries"] or 0,
        note=data["note"],
        funding=funding,
    )


ALIASES = {
    "funding": "original_value",
    "household": "household_number",
    "guaranteed_rate": "guaranteed_percent",
}


@page
def asset_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.MANAGE_ASSETS)
    form = _asset_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.register_asset(actor=user, data=_asset_input(request, form, None))
        except InvalidInput as error:
            apply_errors(form, error, ALIASES)
        except Refused as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The asset is on the ledger."))
            return redirect("assets:asset", pk=asset.pk)
    return render(request, "assets/asset_form.html", {"form": form, "asset": None})


@page
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    asset = _asset(request, pk)
    require(user, Capability.MANAGE_ASSETS)
    form = _asset_form(request, asset)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_asset(
                actor=user,
                asset=asset,
                data=_asset_input(request, form, asset),
                version=form.cleaned_data["version"],
            )
        except InvalidInput as error:
            apply_errors(form, error, ALIASES)
        except Refused as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The asset's ledger entry is corrected."))
            return redirect("assets:asset", pk=asset.pk)
    return render(request, "assets/asset_form.html", {"form": form, "asset": asset})


@page
def asset(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _asset(request, pk)
    context = selectors.asset_page(found)
    may_manage = user.can(Capability.MANAGE_ASSETS)
    open_disposal = context["open_disposal"]
    return render(
        request,
        "assets/asset.html",
        {
            "asset": found,
            **context,
            "may_manage": may_manage,
            "may_decide": user.can(Capability.APPROVE_ASSET_DISPOSAL)
            and open_disposal is not None
            and open_disposal.state in (DisposalState.REQUESTED, DisposalState.TOWNSHIP_APPROVED),
            "next_statuses": [Status(s) for s in services.TRANSITIONS.get(found.status, ())],
            "status_form": forms.StatusForm(),
            "handover_form": forms.HandoverForm(initial={"handed_on": clock.today()}),
            "income_form": forms.IncomeForm(
                initial={"year": clock.today().year, "received_on": clock.today()}
            ),
            "disposal_form": forms.DisposalForm(),
            "decide_form": forms.DecideForm(),
            "complete_form": forms.CompleteForm(initial={"disposed_on": clock.today()}),
            "disposable": found.status in services.DISPOSABLE,
        },
    )


def _post_step(
    request: HttpRequest, pk: int, capability: Capability, form_class: Any, act: Any
) -> HttpResponse:
    """The common shape of the asset page's small forms: scope, role, form, service, back to the page."""
    user = current_user(request)
    found = _asset(request, pk)
    require(user, capability)
    form = form_class(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            message = act(user, found, form.cleaned_data)
        except (InvalidInput, Refused) as error:
            _flash(request, error)
        else:
            messages.success(request, message)
    return redirect("assets:asset", pk=found.pk)


@require_POST
@page
def status(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any, found: Asset, data: dict[str, Any]) -> str:
        services.change_status(actor=user, asset=found, to_status=data["to_status"], reason=data["reason"])
        return _("The asset's status is changed.")

    return _post_step(request, pk, Capability.MANAGE_ASSETS, forms.StatusForm, act)


@require_POST
@page
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any, found: Asset, data: dict[str, Any]) -> str:
        services.record_handover(actor=user, asset=found, data=services.HandoverInput(**data))
        return _("The handover is recorded.")

    return _post_step(request, pk, Capability.MANAGE_ASSETS, forms.HandoverForm, act)


@require_POST
@page
def income(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any, found: Asset, data: dict[str, Any]) -> str:
        services.record_income(
            actor=user,
            asset=found,
            data=services.IncomeInput(
                year=data["year"],
                amount_fen=services.yuan_to_fen(data["amount"]),
                source=data["source"],
                received_on=data["received_on"],
                note=data["note"],
            ),
        )
        return _("The income is recorded.")

    return _post_step(request, pk, Capability.MANAGE_ASSETS, forms.IncomeForm, act)


@require_POST
@page
def disposal_request(request: HttpRequest, pk: int) -> HttpResponse:
    def act(user: Any, found: Asset, data: dict[str, Any]) -> str:
        services.request_disposal(actor=user, asset=found, data=services.DisposalInput(**data))
        return _("The disposal is requested: the township approves it next.")

    return _post_step(request, pk, Capability.MANAGE_ASSETS, forms.DisposalForm, act)


def _disposal(request: HttpRequest, pk: int) -> Disposal:
    try:
        return selectors.get_disposal(current_user(request), pk)
    except Disposal.DoesNotExist:
        raise Http404(_("No such asset in your area.")) from None


@require_POST
@page
def disposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    disposal = _disposal(request, pk)

    def act(user: Any, found: Asset, data: dict[str, Any]) -> str:
        approve = data["decision"] == "approve"
        services.decide_disposal(actor=user, disposal=disposal, approve=approve, opinion=data["opinion"])
        return _("The decision is recorded.")

    return _post_step(request, disposal.asset_id, Capability.APPROVE_ASSET_DISPOSAL, forms.DecideForm, act)


@require_POST
@page
def disposal_complete(request: HttpRequest, pk: int) -> HttpResponse:
    disposal = _disposal(request, pk)

    def act(user: Any, found: Asset, data: dict[str, Any]) -> str:
        services.complete_disposal(
            actor=user,
            disposal=disposal,
            data=services.CompletionInput(
                disposed_on=data["disposed_on"],
                proceeds_fen=services.yuan_to_fen(data["proceeds"]),
                proceeds_use=data["proceeds_use"],
            ),
        )
        return _("The asset is disposed of.")

    return _post_step(request, disposal.asset_id, Capability.MANAGE_ASSETS, forms.CompleteForm, act)


@page
def distribute(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = _asset(request, pk)
    require(user, Capability.MANAGE_ASSETS)
    form = forms.DistributionForm(
        request.POST or None, initial={"year": clock.today().year - 1, "decided_on": clock.today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lines: list[services.LineInput] = []
        problems = False
        for index in range(forms.ROWS):
            use = data[f"use_{index}"]
            if not use:
                continue
            parsed, bad = forms.parse_households(data[f"households_{index}"])
            if bad is not None:
                form.add_error(
                    f"households_{index}",
                    _("Write a household number and its shares: %(line)s") % {"line": bad},
                )
                problems = True
                continue
            numbers = [n for n, _w in parsed]
            ids = dict(Household.objects.filter(number__in=numbers).values_list("number", "pk"))
            missing = [n for n in numbers if n not in ids]
            if missing:
                form.add_error(
                    f"households_{index}", _("No such household: %(number)s") % {"number": missing[0]}
                )
                problems = True
                continue
            lines.append(
                services.LineInput(
                    use=use,
                    amount_fen=services.yuan_to_fen(data[f"amount_{index}"] or Decimal(0)),
                    households=[(ids[n], w) for n, w in parsed],
                )
            )
        if not problems:
            try:
                services.distribute(
                    actor=user,
                    asset=found,
                    data=services.DistributionInput(
                        year=data["year"],
                        total_fen=services.yuan_to_fen(data["total"]),
                        decided_on=data["decided_on"],
                        decision=data["decision"],
                        lines=lines,
                    ),
                )
            except InvalidInput as error:
                apply_errors(form, error)
            except Refused as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("The distribution is recorded."))
                return redirect("assets:asset", pk=found.pk)
    figures = selectors.asset_page(found)["figures"]
    return render(request, "assets/distribute.html", {"asset": found, "form": form, "figures": figures})


@page
def dashboard_panel(request: HttpRequest, code: str) -> HttpResponse:
    """The assets figures of an area for the dashboard's area page, which loads this fragment by URL (the
    dashboard imports nothing of assets): assets by class with their value, and the income distributed."""
    user = current_user(request)
    area = _area(request, code)
    rows = selectors.summary(user, area)
    return render(
        request,
        "assets/_dashboard_panel.html",
        {
            "area": area,
            "rows": rows,
            "count": sum(r.count for r in rows),
            "value_fen": sum(r.value_fen for r in rows),
            "income_fen": sum(r.income_fen for r in rows),
            "distributed_fen": sum(r.distributed_fen for r in rows),
            "priority_fen": sum(r.priority_fen for r in rows),
        },
    )


@page
def import_assets(request: HttpRequest) -> HttpResponse:
    """Upload the county's existing ledger (all rows or none); the problems by row and column."""
    from fupin.assets import importer

    user = current_user(request)
    require(user, Capability.MANAGE_ASSETS)
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or (upload.size or 0) > 10 * 1024 * 1024:
            messages.error(request, _("Choose an Excel file of at most 10 MB."))
        else:
            result = importer.import_assets(actor=user, content=upload.read())
            if not result.problems:
                messages.success(request, _("%(n)s assets imported.") % {"n": result.imported})
                areas = selectors.areas_for(user)
                if areas:
                    return redirect("assets:ledger", code=areas[0].code)
    return render(request, "assets/import.html", {"result": result})


@page
def import_template(request: HttpRequest) -> HttpResponse:
    from fupin.assets import importer

    response = HttpResponse(importer.template(), content_type=exports.XLSX)
    response["Content-Disposition"] = 'attachment; filename="asset-ledger-template.xlsx"'
    return response
