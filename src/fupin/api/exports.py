"""Exports: the lists the pages export, as CSV or Excel downloads for a token user.

Each download is the page's own export: the route checks its parameters (422 with the field, 404 for
an area outside your scope, 403 for a role without ``Capability.EXPORT``), then hands them, under the
page's parameter names, to the page's export view. So the columns, the masking (identifiers only in
their ``*_masked`` form), the defusing of formulas and the audit entry (list, format, row count and
filters, no personal data; an ID-tail search audited as such) are the page's, not a copy that could
drift from it. The audit entry is written before the first byte goes out.

A page's filter form ignores a value it does not know (a tampered link) and would then export the
whole area; here a value the page would ignore is refused instead, so a client never receives more
than it asked for.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from fupin.accounts.models import User
from fupin.accounts.roles import Capability, refusal
from fupin.api.auth import actor
from fupin.api.query import invalid_query
from fupin.api.schemas import MessageOut, ValidationErrorOut
from fupin.areas.models import Area
from fupin.areas.selectors import area_for
from fupin.cases import views as cases_views
from fupin.cases.forms import ALL_STATES
from fupin.cases.models import OPEN_STATES, CaseKind, State
from fupin.checks import views as checks_views
from fupin.checks.catalogue import CHECKS
from fupin.core.errors import NotPermitted, OutOfScope
from fupin.dashboard import views as dashboard_views
from fupin.dashboard.catalogue import LINE_LABELS
from fupin.registry import choices
from fupin.registry import selectors as registry_selectors
from fupin.screening import views as screening_views
from fupin.screening.models import ClueStatus
from fupin.twinning import selectors as twinning_selectors
from fupin.twinning import views as twinning_views
from fupin.web import selectors as web_selectors
from fupin.web import views as web_views
from fupin.web.exports import XLSX
from fupin.web.forms import MONITORED_ANY

router = Router(tags=["exports"])

Format = Literal["csv", "xlsx"]
ERRORS: dict[int, Any] = {403: MessageOut, 404: MessageOut, 422: ValidationErrorOut}
BINARY = {"schema": {"type": "string", "format": "binary"}}
TOO_FINE = _(
    "Your area is too large to filter its households by one this small: choose a larger area, such as a "
    "county."
)


def _documented(*formats: str) -> dict[str, Any]:
    """The 200 answer in the OpenAPI document: a file of one of the formats, as an attachment."""
    types = {"csv": "text/csv", "xlsx": XLSX}
    return {
        "responses": {
            "200": {
                "description": "the file (Content-Disposition: attachment), its first row the headers",
                "content": {types[f]: BINARY for f in formats},
            }
        }
    }


def _export_allowed(user: User) -> None:
    if not user.can(Capability.EXPORT):
        raise NotPermitted(refusal(user.role, Capability.EXPORT))


def _area(user: User, code: str, field: str = "area_code") -> Area | None:
    """The area of a filter: None when none was given, "not found" when outside the user's scope."""
    code = code.strip()
    if not code:
        return None
    if not code.isdigit():
        raise invalid_query({field: [_("An area code is made of digits.")]})
    return area_for(user, code)


def _as_page(
    request: HttpRequest, view: Callable[..., HttpResponseBase], params: Mapping[str, Any], **kwargs: Any
) -> HttpResponseBase:
    """Answer with the page's export view, given exactly ``params`` (already checked) as its query."""
    _export_allowed(actor(request))
    query = QueryDict(mutable=True)
    for name, value in params.items():
        if value is True:
            query[name] = "on"
        elif value not in (None, "", False):
            query[name] = str(value)
    request.GET = query  # type: ignore[assignment]  # the page's form reads only these
    try:
        return view(request, **kwargs)
    except Http404:
        raise OutOfScope() from None
    except PermissionDenied as exc:
        raise NotPermitted(str(exc) or None) from None


# ---------------------------------------------------------------- households


class HouseholdExportQuery(Schema):
    format: Format = Field("csv", description="csv (UTF-8 with a byte-order mark) or xlsx")
    q: str = Field(
        "",
        max_length=60,
        description="as the household list: part of a number or name, a full ID number, or its last 4 or "
        "6 characters (audited)",
    )
    area_code: str = Field("", max_length=12, description="a county, township or village in your area")
    household_type: str = Field("", json_schema_extra={"enum": ["", *choices.HouseholdType.values]})
    status: str = Field("", json_schema_extra={"enum": ["", *choices.HouseholdStatus.values]})
    monitoring_category: str = Field("", json_schema_extra={"enum": ["", *choices.MonitoringCategory.values]})
    risk_type: str = Field("", json_schema_extra={"enum": ["", *choices.RiskType.values]})
    monitored_only: bool = Field(False, description="only monitoring objects (any category)")


def _codes(field: str, value: str, allowed: Any, errors: dict[str, list[Any]]) -> None:
    if value and value not in allowed:
        errors.setdefault(field, []).append(_("Choose one of the listed values."))


@router.get(
    "/exports/households",
    response=ERRORS,
    openapi_extra=_documented("csv", "xlsx"),
    summary="Download the household list",
    description=(
        "The household list with its filters, as the list page exports it: number, township, village, "
        "group, head of household, the head's ID number and the phone masked, type, status, monitoring "
        "category and risk types. Audited (filters and row count). Needs a role that exports."
    ),
)
def export_households(request: HttpRequest, filters: Query[HouseholdExportQuery]) -> HttpResponseBase:
    user = actor(request)
    _export_allowed(user)
    errors: dict[str, list[Any]] = {}
    _codes("household_type", filters.household_type, choices.HouseholdType.values, errors)
    _codes("status", filters.status, choices.HouseholdStatus.values, errors)
    _codes("monitoring_category", filters.monitoring_category, choices.MonitoringCategory.values, errors)
    _codes("risk_type", filters.risk_type, choices.RiskType.values, errors)
    if filters.monitored_only and filters.monitoring_category:
        errors.setdefault("monitored_only", []).append(
            _("Give a monitoring category or ask for every monitoring object, not both.")
        )
    if registry_selectors.parse_query(filters.q).too_short:
        errors.setdefault("q", []).append(registry_selectors.TOO_FEW_ID_DIGITS)
    if errors:
        raise invalid_query(errors)
    area = _area(user, filters.area_code)
    if area is not None and area.code not in {a.code for a in web_selectors.filter_areas(user)}:
        # The list page offers only the levels a scope this wide can list; a finer area would be ignored.
        raise invalid_query({"area_code": [TOO_FINE]})
    return _as_page(
        request,
        web_views.household_export,
        {
            "q": filters.q,
            "area": area.code if area else "",
            "household_type": filters.household_type,
            "status": filters.status,
            "monitoring_category": MONITORED_ANY if filters.monitored_only else filters.monitoring_category,
            "risk_type": filters.risk_type,
        },
        fmt=filters.format,
    )


# ---------------------------------------------------------------- risk clues


class ClueExportQuery(Schema):
    format: Format = Field("csv", description="csv or xlsx")
    status: str = Field("open", json_schema_extra={"enum": ["", *ClueStatus.values]}, description='"": every')
    category: str = Field("", json_schema_extra={"enum": ["", *choices.MonitoringCategory.values]})
    risk_type: str = Field("", json_schema_extra={"enum": ["", *choices.RiskType.values]})
    area_code: str = Field("", max_length=12, description="a county, township or village in your area")


@router.get(
    "/exports/risk-clues",
    response=ERRORS,
    openapi_extra=_documented("csv", "xlsx"),
    summary="Download the risk clues",
    description=(
        "The risk clues with the list's filters, as the clue page exports them: household, township, "
        "village, head, phone masked, suggested category, risk types, status, why (one line per reason) "
        "and when found. Audited. Needs a role that exports."
    ),
)
def export_clues(request: HttpRequest, filters: Query[ClueExportQuery]) -> HttpResponseBase:
    user = actor(request)
    _export_allowed(user)
    errors: dict[str, list[Any]] = {}
    _codes("status", filters.status, ClueStatus.values, errors)
    _codes("category", filters.category, choices.MonitoringCategory.values, errors)
    _codes("risk_type", filters.risk_type, choices.RiskType.values, errors)
    if errors:
        raise invalid_query(errors)
    area = _area(user, filters.area_code)
    return _as_page(
        request,
        screening_views.clue_export,
        {
            # The page reads a missing status as "open": every status is asked for by a value it ignores.
            "status": filters.status or "all",
            "category": filters.category,
            "risk_type": filters.risk_type,
            "area": area.code if area else "",
        },
        fmt=filters.format,
    )


# ---------------------------------------------------------------- cases


class TaskExportQuery(Schema):
    format: Format = Field("csv", description="csv or xlsx")
    step: str = Field("", json_schema_extra={"enum": ["", *OPEN_STATES]})
    kind: str = Field("", json_schema_extra={"enum": ["", *CaseKind.values]})
    overdue: bool = False
    due_by: str = Field("", description="a step due on or before this day (YYYY-MM-DD)")


class CaseExportQuery(TaskExportQuery):
    step: str = Field("", json_schema_extra={"enum": ["", *State.values]})
    open_only: bool = Field(True, description="without a step: only cases still under way")
    area_code: str = Field("", max_length=12, description="a county, township or village in your area")
    household_number: str = Field("", max_length=30)


def _case_params(filters: TaskExportQuery, steps: Any) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    _codes("step", filters.step, steps, errors)
    _codes("kind", filters.kind, CaseKind.values, errors)
    if filters.due_by:
        try:
            dt.date.fromisoformat(filters.due_by)
        except ValueError:
            errors.setdefault("due_by", []).append(_("Give a day as YYYY-MM-DD."))
    if errors:
        raise invalid_query(errors)
    state = filters.step
    if not state and not getattr(filters, "open_only", True):
        state = ALL_STATES
    return {"state": state, "kind": filters.kind, "overdue": filters.overdue, "due_by": filters.due_by}


@router.get(
    "/exports/my-tasks",
    response=ERRORS,
    openapi_extra=_documented("csv", "xlsx"),
    summary="Download your tasks",
    description=(
        "The open cases waiting for a step your role takes in your capture area, as the “My tasks” page "
        "exports them: household, township, village, head, procedure, step, dates and whether overdue. "
        "Audited. Needs a role that exports."
    ),
)
def export_tasks(request: HttpRequest, filters: Query[TaskExportQuery]) -> HttpResponseBase:
    _export_allowed(actor(request))
    return _as_page(request, cases_views.tasks_export, _case_params(filters, OPEN_STATES), fmt=filters.format)


@router.get(
    "/exports/cases",
    response=ERRORS,
    openapi_extra=_documented("csv", "xlsx"),
    summary="Download the cases",
    description=(
        "Cases in your area with the search's filters, as the case search page exports them. Audited "
        "(the household number only as whether one was given). Needs a role that exports."
    ),
)
def export_cases(request: HttpRequest, filters: Query[CaseExportQuery]) -> HttpResponseBase:
    user = actor(request)
    _export_allowed(user)
    params = _case_params(filters, State.values)
    area = _area(user, filters.area_code)
    params.update(area=area.code if area else "", number=filters.household_number.strip())
    return _as_page(request, cases_views.search_export, params, fmt=filters.format)


# ---------------------------------------------------------------- helpers and coverage


class HelperExportQuery(Schema):
    format: Format = Field("csv", description="csv or xlsx")
    q: str = Field("", max_length=50, description="part of the name or the work unit")
    rank: str = Field("", max_length=30, description="a rank code of your county's quota table")
    show: str = Field(
        "",
        json_schema_extra={"enum": ["", "all", "over"]},
        description='"": helpers still helping; all: also those gone; over: helpers over quota',
    )


@router.get(
    "/exports/helpers",
    response=ERRORS,
    openapi_extra=_documented("csv", "xlsx"),
    summary="Download the helpers",
    description=(
        "Helpers in your area with the list's filters, as the helper page exports them: name, work "
        "unit, rank, who keeps the record, phone masked, households helped now against the quota. "
        "Audited. Needs a role that exports."
    ),
)
def export_helpers(request: HttpRequest, filters: Query[HelperExportQuery]) -> HttpResponseBase:
    user = actor(request)
    _export_allowed(user)
    errors: dict[str, list[Any]] = {}
    _codes("show", filters.show, ("all", "over"), errors)
    if filters.rank:
        area = twinning_selectors.default_area(user)
        county = area.county_code if area else ""
        _codes(
            "rank",
            filters.rank,
            {r.code for r in twinning_selectors.ranks_for(county)} if county else (),
            errors,
        )
    if errors:
        raise invalid_query(errors)
    return _as_page(
        request,
        twinning_views.helpers_export,
        {"q": filters.q, "rank": filters.rank, "show": filters.show},
        fmt=filters.format,
    )


class AreaExportQuery(Schema):
    area_code: str = Field("", max_length=12, description="an area in your scope; default: your widest area")


@router.get(
    "/exports/twinning-coverage",
    response=ERRORS,
    openapi_extra=_documented("xlsx"),
    summary="Download the twinning coverage report",
    description=(
        "The coverage report of an area as its page exports it (xlsx): households that need a helper "
        "and have none, by area and one by one, and helpers over quota, phones masked. Audited."
    ),
)
def export_coverage(request: HttpRequest, filters: Query[AreaExportQuery]) -> HttpResponseBase:
    user = actor(request)
    _export_allowed(user)
    area = _area(user, filters.area_code)
    return _as_page(request, twinning_views.coverage_export, {"area": area.code if area else ""})


class CheckExportQuery(AreaExportQuery):
    check: str = Field("", max_length=60, description="one check's code; default: every check")


@router.get(
    "/exports/checks",
    response=ERRORS,
    openapi_extra=_documented("xlsx"),
    summary="Download the data checks' failures",
    description=(
        "The failures of every data check, or of one, over an area, as the data checks page exports them "
        "(xlsx, identifiers masked). Audited (area, checks and row count). Needs a role that exports."
    ),
)
def export_checks(request: HttpRequest, filters: Query[CheckExportQuery]) -> HttpResponseBase:
    user = actor(request)
    _export_allowed(user)
    if filters.check and filters.check not in CHECKS:
        raise invalid_query({"check": [_("Choose one of the listed values.")]})
    area = _area(user, filters.area_code)
    return _as_page(request, checks_views.export, {"area": area.code if area else "", "check": filters.check})


# ---------------------------------------------------------------- indicators and the exit assessment


class IndicatorExportQuery(Schema):
    line: str = Field(
        "monitoring_range",
        max_length=40,
        description="the income line of the line-dependent indicators, as on the dashboard",
    )


def _area_in_path(user: User, area_code: str) -> Area:
    if not area_code.isdigit():
        raise OutOfScope()
    return area_for(user, area_code)


@router.get(
    "/exports/indicators/{area_code}",
    response=ERRORS,
    openapi_extra=_documented("xlsx"),
    summary="Download an area's indicators and the areas below it",
    description=(
        "The dashboard's export of an area (xlsx): every indicator and breakdown of the current build for "
        "the area and each area directly below it. Audited. 404 for an area outside your scope."
    ),
)
def export_indicators(
    request: HttpRequest, area_code: str, filters: Query[IndicatorExportQuery]
) -> HttpResponseBase:
    user = actor(request)
    place = _area_in_path(user, area_code)
    _export_allowed(user)
    if filters.line not in LINE_LABELS:
        raise invalid_query({"line": [_("Choose one of the listed values.")]})
    return _as_page(request, dashboard_views.export, {"line": filters.line}, code=place.code)


@router.get(
    "/exports/exit/{area_code}",
    response=ERRORS,
    openapi_extra=_documented("xlsx"),
    summary="Download an area's exit assessment",
    description=(
        "The exit assessment's export (xlsx): for a village, the households that keep it from passing; "
        "above, the villages or counties with their incidence against the threshold. Audited. 404 for an "
        "area outside your scope."
    ),
)
def export_exit(request: HttpRequest, area_code: str) -> HttpResponseBase:
    user = actor(request)
    place = _area_in_path(user, area_code)
    _export_allowed(user)
    return _as_page(request, dashboard_views.exit_export, {}, code=place.code)
