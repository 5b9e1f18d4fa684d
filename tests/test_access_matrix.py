"""The access matrix: every page and API route × every role × a record inside and outside the scope.

Routes are enumerated from the URL configuration and the OpenAPI document, so a route added later
without an entry here fails ``test_every_route_is_in_the_matrix`` instead of going unchecked.
Each user is granted one village; the "outside" household sits in the next village of the same
township, so the only thing keeping it hidden is the scoping layer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.urls import URLPattern, reverse

from fupin.accounts.roles import Capability, Role, has_capability
from fupin.accounts.services import issue_token
from fupin.payments.urls import urlpatterns as payment_urls
from fupin.registry import selectors, services
from fupin.screening.models import RiskClue, ScreeningRun
from tests.conftest import valid_id

YEAR = dt.date.today().year - 1


@dataclass
class Records:
    """One household with a member and an income: ids and the strings that must never leak."""

    household: Any
    member: Any
    id_number: str
    secrets: tuple[str, ...]
    run: Any = None  # a screening run over the household's village, with a risk clue for it


def _make_records(actor, village, suffix: str, sequence: int) -> Records:
    household = services.create_household(
        actor=actor,
        number=f"{village.code}-{sequence}",
        village_code=village.code,
        household_type="lifted_out",
        status="lifted",
        phone_number="1390000" + f"{sequence:04d}",
    )
    id_number = valid_id(birth=dt.date(1971, 2, 3), sequence=sequence)
    member = services.add_member(
        actor=actor,
        household=household,
        values={
            "name": f"矩阵{suffix}",
            "sex": "M" if sequence % 2 else "F",
            "birth_date": dt.date(1971, 2, 3),
            "relation": "head",
            "labour_capacity": "ordinary",
        },
        id_number=id_number,
    )
    services.save_income(actor=actor, household=household, year=YEAR, values={"wage": Decimal(9000)})
    run = ScreeningRun.objects.create(
        policy_name="national-monitoring",
        policy_version="t",
        engine="duckdb",
        as_of=dt.date.today(),
        area=village,
    )
    RiskClue.objects.create(household=household, run=run, suggested_category="marginal", rule_ids=["x"])
    return Records(household, member, id_number, (household.number, member.name, id_number), run)


@pytest.fixture
def records(place, county_officer):
    inside = _make_records(county_officer, place.village_a1, "IN", 101)
    outside = _make_records(county_officer, place.village_a2, "OUT", 203)
    return inside, outside


# ---------------------------------------------------------------- the pages


def _web_routes() -> dict[str, URLPattern]:
    """Every named page of every app, as namespace:name, read from the URL configuration: a new app's
    pages join the matrix without anyone listing them (the API is checked through its OpenAPI document,
    the public self-declaration pages in tests/test_cases_declare.py)."""
    from django.urls import URLResolver, get_resolver

    routes: dict[str, URLPattern] = {}
    for entry in get_resolver().url_patterns:
        if not isinstance(entry, URLResolver) or entry.namespace in (None, "api-v1", "declare"):
            continue
        for pattern in entry.url_patterns:
            if isinstance(pattern, URLPattern) and pattern.name:
                routes[f"{entry.namespace}:{pattern.name}"] = pattern
    return routes


@dataclass(frozen=True)
class RecordPage:
    """A page about one record: its route, its arguments for a target, what it needs, how it is sent."""

    route: str
    args: Callable[[Records], list[Any]]
    needs: Capability | tuple[Capability, ...] | None = None  # a tuple: any one of them
    post_only: bool = False
    ok: int = 200  # what the role that may gets inside (a form's POST redirects back)

    def url(self, target: Records) -> str:
        return reverse(self.route, args=self.args(target))


def _notice_of(target: Records) -> int:
    """A public notice in the target's village (on a fresh case under notice)."""
    from fupin.cases.models import Case

    notice_id = Case.objects.get(pk=_case_at(target, "in_notice")).notice_id
    assert notice_id is not None
    return notice_id


def _declaration_of(target: Records) -> int:
    """A confirmed self-declaration from the target's village, waiting to be handled."""
    from fupin.cases.models import Declaration, DeclarationStatus

    declaration = Declaration.objects.create(
        village=target.household.village,
        name=f"申报{target.household.number[-3:]}",
        phone_enc="x",
        phone_bidx="x",
        phone_masked="139****0000",
        difficulty="illness",
        description="住院",
        status=DeclarationStatus.NEW,
        code_hash="x",
        client_hash="x",
    )
    return declaration.pk


def _measure_of(target: Records) -> int:
    """A planned measure in the target household's plan."""
    from fupin.assistance.models import Measure, MeasureType

    entry = MeasureType.objects.get(code="industry_subsidy")
    measure = Measure.objects.create(
        household=target.household, measure_type=entry, category=entry.category, responsible="镇农业站"
    )
    return measure.pk


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Visit photos of the twinning pages go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path


def _helper_of(target: Records) -> int:
    """A helper kept in the target's village and twinned with its household."""
    from fupin.twinning.models import Assignment, Helper

    helper = Helper.objects.create(
        name=f"帮扶{target.household.number[-3:]}", unit="县局", rank="general", area=target.household.village
    )
    Assignment.objects.create(helper=helper, household=target.household, started_on=dt.date.today())
    return helper.pk


def _twinning_of(target: Records) -> int:
    from fupin.twinning.models import Assignment

    return Assignment.objects.get(helper_id=_helper_of(target)).pk


def _visit_of(target: Records) -> int:
    from fupin.twinning.models import Visit

    visit = Visit.objects.create(
        household=target.household,
        visited_on=dt.date.today(),
        visitor_name="走访人",
        findings="正常",
        risk_present=False,
    )
    return visit.pk


def _photo_of(target: Records) -> int:
    """A photo of a visit to the target's household, stored under MEDIA_ROOT."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from fupin.twinning.models import VisitPhoto

    name = default_storage.save("visits/matrix.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16))
    photo = VisitPhoto.objects.create(
        visit_id=_visit_of(target), file=name, content_type="image/png", size=24
    )
    return photo.pk


def _unit_of(target: Records) -> int:
    from fupin.twinning.models import HelpingUnit

    return HelpingUnit.objects.create(
        village=target.household.village, name="县财政局", started_on=dt.date(2024, 1, 1)
    ).pk


def _task_force_member_of(target: Records) -> int:
    from fupin.twinning.models import TaskForceMember

    return TaskForceMember.objects.create(
        village=target.household.village,
        name="第一书记",
        unit="县财政局",
        role="first_secretary",
        term_start=dt.date(2024, 1, 1),
        term_end=dt.date(2026, 12, 31),
    ).pk


def _application_of(target: Records) -> int:
    """A transport-subsidy application of the target household's head, under the county's opening."""
    from fupin.benefits.models import Application, Opening

    village = target.household.village
    opening, _ = Opening.objects.get_or_create(
        pack="jilin",
        programme="transport_subsidy",
        county=village.parent.parent,
        year=dt.date.today().year,
    )
    return Application.objects.create(
        opening=opening,
        programme=opening.programme,
        area=village,
        county_code=opening.county.code,
        member=target.member,
        household=target.household,
        applied_on=dt.date.today(),
        facts={"inter_provincial": True, "contract_months": 12, "fare": "800"},
    ).pk


def _post_of(target: Records) -> int:
    """A public-welfare post of the target's village."""
    from fupin.employment.models import Post

    return Post.objects.create(
        code=f"GY-{target.household.number}-{Post.objects.count()}",
        title="保洁员",
        kind="ordinary",
        area=target.household.village,
        monthly_subsidy_fen=80_000,
        term_start=dt.date(2020, 1, 1),
        term_end=dt.date(2040, 12, 1),
    ).pk


def _project_of(target: Records) -> int:
    """A project being prepared in the target's village."""
    from fupin.accounts.models import User
    from fupin.areas.models import Area
    from fupin.projects.models import Project

    village = target.household.village
    return Project.objects.create(
        code=f"XM-{village.code}-{Project.objects.count()}",
        name="蔬菜大棚",
        category="industry",
        area=village,
        county=Area.objects.get(code=village.county_code),
        content="新建大棚",
        implementing_unit="镇政府",
        unit_person="李镇长",
        months=6,
        year=dt.date.today().year,
        proposed_by=User.objects.order_by("pk").first(),
    ).pk


def _workshop_of(target: Records) -> int:
    from fupin.employment.models import Workshop

    return Workshop.objects.create(
        name="帮扶车间", workshop_type="factory", operator="某公司", area=target.household.village
    ).pk


def _returned_of(target: Records) -> int:
    from fupin.employment.models import ReturnedWorker

    return ReturnedWorker.objects.create(
        member=target.member, returned_on=dt.date.today(), source="by_hand", due_on=dt.date.today()
    ).pk


def _course_of(target: Records) -> int:
    from fupin.employment.models import Course

    return Course.objects.create(
        title="电工",
        trade="电工",
        area=target.household.village,
        starts_on=dt.date.today(),
        ends_on=dt.date.today(),
        hours=8,
        provider="县职校",
    ).pk


def _evidence_of(target: Records) -> int:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from fupin.benefits.models import Evidence

    name = default_storage.save("benefits/matrix.pdf", ContentFile(b"%PDF-1.4\n%matrix\n"))
    return Evidence.objects.create(
        application_id=_application_of(target),
        kind="ticket",
        file=name,
        content_type="application/pdf",
        size=17,
    ).pk


def _problem_of(target: Records) -> int:
    """A supervision problem about the target household, on its village's list."""
    from fupin.supervision.models import Problem

    return Problem.objects.create(
        source="inspection",
        area=target.household.village,
        household=target.household,
        kind="data_quality",
        severity="general",
        description="信息不全",
        found_on=dt.date.today(),
    ).pk


def _problem_evidence_of(target: Records) -> int:
    """An evidence file of a rectification of the target's problem, stored under MEDIA_ROOT."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from fupin.supervision.models import Evidence, Rectification

    rectification = Rectification.objects.create(
        problem_id=_problem_of(target), description="已补录", done_on=dt.date.today()
    )
    name = default_storage.save("supervision/matrix.pdf", ContentFile(b"%PDF-1.4\n%matrix\n"))
    return Evidence.objects.create(
        rectification=rectification, file=name, content_type="application/pdf", size=17, sha256="0" * 64
    ).pk


def _inspection_of(target: Records) -> int:
    """An inspection of the target's village whose sample holds the target household."""
    from fupin.supervision.models import InspectedHousehold, Inspection

    inspection = Inspection.objects.create(
        source="inspection",
        title="督查",
        area=target.household.village,
        starts_on=dt.date.today(),
        ends_on=dt.date.today(),
        team="县督查组",
        sample_size=1,
        seed=1,
        population=1,
    )
    InspectedHousehold.objects.create(
        inspection=inspection, household=target.household, stratum="lifted_out", draw_order=1
    )
    return inspection.pk


def _situation_of(target: Records) -> int:
    """An important situation reported from the target's village."""
    from fupin.supervision.models import SituationReport

    return SituationReport.objects.create(
        area=target.household.village,
        kind="disaster",
        title="暴雨",
        occurred_on=dt.date.today(),
        description="房屋进水",
    ).pk


def _round_of(target: Records) -> int:
    """A scheduling round issued from the target's village, with the village's own submission (rounds
    go to the areas below; made directly so that the one village holds both ends)."""
    from fupin.supervision import schedules
    from fupin.supervision.models import ReportRound, ReportSubmission

    village = target.household.village
    issued = ReportRound.objects.create(
        form_code="monthly_monitoring",
        title="月调度",
        fields=[f.as_data() for f in schedules.forms()["monthly_monitoring"].fields],
        issuer_area=village,
        filler_level=5,
        period=dt.date.today().strftime("%Y-%m"),
        deadline=dt.date.today(),
    )
    ReportSubmission.objects.create(round=issued, area=village)
    return issued.pk


def _submission_of(target: Records) -> int:
    from fupin.supervision.models import ReportSubmission

    return ReportSubmission.objects.get(round_id=_round_of(target)).pk


EDIT = Capability.EDIT_RECORDS
HELPERS = Capability.MANAGE_HELPERS
SUPERVISE = Capability.ACCEPT_RECTIFICATIONS
RECORD_PAGES = [
    RecordPage("web:household", lambda r: [r.household.pk]),
    RecordPage("web:household_edit", lambda r: [r.household.pk], EDIT),
    RecordPage("web:household_type", lambda r: [r.household.pk], EDIT),
    RecordPage("web:household_monitoring", lambda r: [r.household.pk], EDIT),
    RecordPage("web:member_add", lambda r: [r.household.pk], EDIT),
    RecordPage("web:income_add", lambda r: [r.household.pk], EDIT),
    RecordPage("web:income_edit", lambda r: [r.household.pk, YEAR], EDIT),
    RecordPage("web:member_edit", lambda r: [r.member.pk], EDIT),
    RecordPage("web:reveal", lambda r: ["member", r.member.pk, "id_number"], Capability.REVEAL_PII, True),
    RecordPage("web:reveal", lambda r: ["household", r.household.pk, "phone"], Capability.REVEAL_PII, True),
    RecordPage("screening:household_rules", lambda r: [r.household.pk]),
    RecordPage("screening:run", lambda r: [r.run.pk]),
    RecordPage("cases:case", lambda r: [_case_at(r, "visit")]),
    RecordPage("cases:act", lambda r: [_case_at(r, "visit"), "visit"], Capability.VILLAGE_STEPS, True),
    RecordPage(
        "cases:act", lambda r: [_case_at(r, "county"), "county_return"], Capability.COUNTY_DECISION, True
    ),
    RecordPage("cases:notice", lambda r: [_notice_of(r)]),
    RecordPage("cases:notice_pdf", lambda r: [_notice_of(r)]),
    RecordPage("cases:raise", lambda r: [r.household.pk], Capability.RAISE_CLUE),
    RecordPage("cases:eliminate", lambda r: [r.household.pk], Capability.VILLAGE_STEPS),
    RecordPage("assistance:plan", lambda r: [r.household.pk]),
    RecordPage("assistance:card", lambda r: [r.household.pk]),
    RecordPage("assistance:plan_summary", lambda r: [r.household.pk]),
    RecordPage("assistance:measure_add", lambda r: [r.household.pk], EDIT),
    RecordPage("assistance:measure_edit", lambda r: [_measure_of(r)], EDIT),
    RecordPage("assistance:measure_stop", lambda r: [_measure_of(r)], EDIT),
    RecordPage("cases:declaration", lambda r: [_declaration_of(r)], Capability.RAISE_CLUE),
    RecordPage("twinning:helper", lambda r: [_helper_of(r)]),
    RecordPage("twinning:helper_edit", lambda r: [_helper_of(r)], HELPERS),
    RecordPage("twinning:helper_reveal", lambda r: [_helper_of(r)], Capability.REVEAL_PII, True),
    RecordPage("twinning:household", lambda r: [r.household.pk]),
    RecordPage("twinning:assign", lambda r: [r.household.pk], HELPERS),
    RecordPage("twinning:assignment_end", lambda r: [_twinning_of(r)], HELPERS),
    RecordPage("twinning:visit_add", lambda r: [r.household.pk], Capability.RECORD_VISITS),
    RecordPage("twinning:visit", lambda r: [_visit_of(r)]),
    RecordPage("twinning:photo", lambda r: [_photo_of(r)]),
    RecordPage("twinning:village", lambda r: [r.household.village.code]),
    RecordPage("twinning:unit_add", lambda r: [r.household.village.code], HELPERS),
    RecordPage("twinning:member_add", lambda r: [r.household.village.code], HELPERS),
    RecordPage("twinning:unit_edit", lambda r: [_unit_of(r)], HELPERS),
    RecordPage("twinning:member_edit", lambda r: [_task_force_member_of(r)], HELPERS),
    # Dashboard pages of an area: the village inside is shown, the one next door is "not found".
    RecordPage("dashboard:area", lambda r: [r.household.village.code]),
    RecordPage("dashboard:exit", lambda r: [r.household.village.code]),
    RecordPage("dashboard:export", lambda r: [r.household.village.code], Capability.EXPORT),
    RecordPage("dashboard:exit_export", lambda r: [r.household.village.code], Capability.EXPORT),
    # Benefit applications belong to the applicant's village.
    RecordPage("benefits:application", lambda r: [_application_of(r)]),
    RecordPage("benefits:application_edit", lambda r: [_application_of(r)], Capability.ENTER_APPLICATIONS),
    RecordPage(
        "benefits:decide", lambda r: [_application_of(r)], Capability.APPROVE_APPLICATIONS, True, ok=302
    ),
    RecordPage(
        "benefits:evidence_upload",
        lambda r: [_application_of(r)],
        Capability.ENTER_APPLICATIONS,
        True,
        ok=302,
    ),
    RecordPage("benefits:bank_account_reveal", lambda r: [_application_of(r)], Capability.REVEAL_PII, True),
    RecordPage("benefits:evidence", lambda r: [_evidence_of(r)]),
    # Employment: a labourer's form belongs to the member's village; an area's progress and its targets
    # form to the area (a village has no areas below: the targets form says so).
    RecordPage("employment:member", lambda r: [r.member.pk], EDIT),
    RecordPage("employment:area", lambda r: [r.household.village.code]),
    RecordPage("employment:targets", lambda r: [r.household.village.code], Capability.SET_EMPLOYMENT_TARGETS),
    # Posts, workshops and courses belong to their area, a returned worker to the member's village; the
    # lists are of an area (tests/test_employment_work_pages.py posts to them).
    *(
        RecordPage(f"employment:{name}", lambda r: [r.household.village.code])
        for name in ("posts", "workshops", "returned", "courses", "grants")
    ),
    RecordPage("employment:post", lambda r: [_post_of(r)]),
    RecordPage("employment:workshop", lambda r: [_workshop_of(r)]),
    RecordPage("employment:returned_task", lambda r: [_returned_of(r)]),
    RecordPage("employment:course", lambda r: [_course_of(r)]),
    # Supervision: a problem and its evidence belong to the problem's area; a step on it redirects back to
    # the problem (with a message when the step does not apply to its status).
    RecordPage("supervision:problem", lambda r: [_problem_of(r)]),
    # The project library: a project in preparation; a step without data, a notice not yet posted and
    # an empty year's library notice go back to the page with a message.
    RecordPage("projects:project", lambda r: [_project_of(r)]),
    RecordPage("projects:edit", lambda r: [_project_of(r)], Capability.PROPOSE_PROJECTS),
    RecordPage("projects:step", lambda r: [_project_of(r)], post_only=True, ok=302),
    RecordPage("projects:notice_pdf", lambda r: [_project_of(r), "proposal"], ok=302),
    RecordPage("projects:library", lambda r: [r.household.village.code]),
    RecordPage("projects:library_pdf", lambda r: [r.household.village.code], ok=302),
    RecordPage("supervision:task_add", lambda r: [_problem_of(r)], Capability.RECORD_PROBLEMS, True, ok=302),
    RecordPage("supervision:rectify", lambda r: [_problem_of(r)], Capability.RECTIFY_PROBLEMS, True, ok=302),
    *(
        RecordPage(f"supervision:{step}", lambda r: [_problem_of(r)], SUPERVISE, True, ok=302)
        for step in ("accept", "reject", "reopen")
    ),
    RecordPage("supervision:evidence", lambda r: [_problem_evidence_of(r)]),
    RecordPage("supervision:ledger", lambda r: [r.household.village.code]),
    RecordPage("supervision:ledger_export", lambda r: [r.household.village.code], Capability.EXPORT),
    RecordPage("supervision:ledger_recheck", lambda r: [r.household.village.code], SUPERVISE, True, ok=302),
    RecordPage("supervision:inspection", lambda r: [_inspection_of(r)]),
    RecordPage("supervision:inspection_export", lambda r: [_inspection_of(r)], Capability.EXPORT),
    RecordPage(
        "supervision:inspection_visit",
        lambda r: [_inspection_of(r), r.household.pk],
        Capability.RECORD_PROBLEMS,
        True,
        ok=302,
    ),
    RecordPage("supervision:situation", lambda r: [_situation_of(r)]),
    RecordPage(
        "supervision:situation_acknowledge",
        lambda r: [_situation_of(r)],
        Capability.ACKNOWLEDGE_SITUATIONS,
        True,
        ok=302,
    ),
    RecordPage(
        "supervision:situation_follow_up",
        lambda r: [_situation_of(r)],
        (Capability.REPORT_SITUATIONS, Capability.ACKNOWLEDGE_SITUATIONS),
        True,
        ok=302,
    ),
    RecordPage("supervision:scorecard", lambda r: [r.household.village.code]),
    RecordPage("supervision:dashboard_panel", lambda r: [r.household.village.code]),
    RecordPage("supervision:scorecard_export", lambda r: [r.household.village.code], Capability.EXPORT),
    RecordPage("supervision:round", lambda r: [_round_of(r)]),
    RecordPage("supervision:round_remind", lambda r: [_round_of(r)], Capability.ISSUE_REPORTS, True, ok=302),
    RecordPage("supervision:submission", lambda r: [_submission_of(r)]),
    RecordPage(
        "supervision:submission_decide", lambda r: [_submission_of(r)], Capability.ISSUE_REPORTS, True, ok=302
    ),
    # Project assets: the ledger, its export and the dashboard panel of an area; an asset and its steps
    # belong to the asset's village (the small forms post and redirect back to the asset's page).
    RecordPage("assets:ledger", lambda r: [r.household.village.code]),
    RecordPage("assets:ledger_export", lambda r: [r.household.village.code], Capability.EXPORT),
    RecordPage("assets:dashboard_panel", lambda r: [r.household.village.code]),
    RecordPage("assets:asset", lambda r: [_asset_of(r)]),
    RecordPage("assets:asset_edit", lambda r: [_asset_of(r)], Capability.MANAGE_ASSETS),
    RecordPage("assets:distribute", lambda r: [_asset_of(r)], Capability.MANAGE_ASSETS),
    *(
        RecordPage(f"assets:{step}", lambda r: [_asset_of(r)], Capability.MANAGE_ASSETS, True, ok=302)
        for step in ("status", "handover", "income", "disposal_request")
    ),
    RecordPage(
        "assets:disposal_decide",
        lambda r: [_asset_disposal_of(r)],
        Capability.APPROVE_ASSET_DISPOSAL,
        True,
        ok=302,
    ),
    RecordPage(
        "assets:disposal_complete", lambda r: [_asset_disposal_of(r)], Capability.MANAGE_ASSETS, True, ok=302
    ),
]
# Pages that are not about one record (lists, counts, search, export, forms for new records).
COLLECTION_PAGES = {
    "web:home",
    "web:login",
    "web:logout",
    "web:households",
    "web:households_export",
    "web:households_export_xlsx",
    "web:household_create",
    "screening:overview",
    "screening:start",
    "screening:clues",
    "screening:clues_export",
    "screening:clues_export_xlsx",
    "cases:tasks",
    "cases:search",
    "cases:tasks_export",
    "cases:tasks_export_xlsx",
    "cases:search_export",
    "cases:search_export_xlsx",
    "cases:notice_new",
    "cases:notifications",
    "cases:notifications_read",
    # The measure catalogue is per county, not per village: tests/test_assistance_catalogue.py checks it.
    "assistance:catalogue",
    "assistance:catalogue_add",
    "assistance:catalogue_edit",
    "assistance:catalogue_switch",
    # Helpers, coverage, task-force overview and the county's quotas: tests/test_twinning_pages.py.
    "twinning:helpers",
    "twinning:helper_new",
    "twinning:helpers_export",
    "twinning:helpers_export_xlsx",
    "twinning:coverage",
    "twinning:coverage_export",
    "twinning:villages",
    "twinning:settings",
    # Data checks over an area in scope, one check's failures, their export: tests/test_checks.py too.
    "checks:overview",
    "checks:detail",
    "checks:export",
    # Imports: templates for everyone, upload for editors, jobs visible to their own user only, rows
    # outside the capture scope are errors: tests/test_exchange.py.
    "exchange:index",
    "exchange:template",
    "exchange:start",
    "exchange:job",
    "exchange:job_errors",
    # Record linkage: review queues scoped by member; deciding and merging outside capture scope is
    # "not found" (tests/test_linkage.py).
    "linkage:links",
    "linkage:run",
    "linkage:decide",
    "linkage:duplicates",
    "linkage:find",
    "linkage:merge",
    "linkage:reject",
    # Dashboard: the user's areas, the rebuild button and its progress, map boundaries of provinces and
    # prefectures, and the monthly report (which needs figures): tests/test_dashboard.py.
    "dashboard:home",
    "dashboard:rebuild",
    "dashboard:status",
    "dashboard:map",
    "dashboard:report",
    # A county's programmes: every role of the county sees them (the applications are scoped, above).
    "benefits:openings",
    "benefits:open",
    "benefits:opening",
    "benefits:application_create",
    "benefits:approve",
    "benefits:close",
    "benefits:application_import",
    "benefits:import_template",
    "benefits:import_errors",
    "benefits:notice_pdf",
    # The employment start page lists the user's own areas only.
    "employment:home",
    # The problem list shows the user's areas; recording and the data-check button need the capture
    # scope: tests/test_supervision_pages.py.
    "supervision:problems",
    # The project list shows the user's scope; proposing needs a capture area (tests/test_projects_pages.py).
    "projects:list",
    "projects:new",
    "projects:export",
    "supervision:problem_new",
    "supervision:from_check",
    "supervision:inspections",
    "supervision:inspection_new",
    "supervision:situations",
    "supervision:situation_new",
    "supervision:reports",
    "supervision:round_new",
    # The assets start page lists the user's own areas; registering needs a capture area
    # (tests/test_assets_pages.py).
    "assets:home",
    "assets:asset_new",
    "assets:import",
    "assets:import_template",
    # County-level payment rounds: their own role × inside/outside test in tests/test_payments_pages.py.
    *(f"payments:{p.name}" for p in payment_urls if isinstance(p, URLPattern)),
}


EXPORTS = [
    "web:households_export",
    "screening:clues_export",
    "cases:tasks_export",
    "cases:search_export",
    "twinning:helpers_export",
]


def _export_text(response) -> str:
    """The cells of an export, CSV or Excel, as one text."""
    if response["Content-Type"].startswith("text/csv"):
        return _body(response)
    from openpyxl import load_workbook

    raw = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(raw), read_only=True)
    return "\n".join(
        "\t".join("" if v is None else str(v) for v in row)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def test_every_route_is_in_the_matrix():
    assert set(_web_routes()) == {page.route for page in RECORD_PAGES} | COLLECTION_PAGES
    assert {(m, p) for p, methods in _api_routes().items() for m in methods} == set(API_MATRIX)


def _login(client, user):
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_pages_show_what_is_inside_and_nothing_outside(client, make_user, records, role):
    inside, outside = records
    user = make_user(role, inside.household.village.code)
    _login(client, user)

    for page in RECORD_PAGES:
        needed = page.needs if isinstance(page.needs, tuple) else (page.needs,)
        allowed = page.needs is None or any(has_capability(role, c) for c in needed if c is not None)
        method = client.post if page.post_only else client.get
        in_response = method(page.url(inside))
        assert in_response.status_code == (page.ok if allowed else 403), (page.route, "inside")
        out_response = method(page.url(outside))
        assert out_response.status_code == 404, (page.route, "outside")
        assert client.post(page.url(outside), {}).status_code == 404, (page.route, "outside POST")
        for secret in outside.secrets:
            assert secret not in _body(out_response), (page.route, secret)

    # Lists, search (by number, name and full ID number), counts and export.
    listing = _body(client.get(reverse("web:households")))
    assert inside.household.number in listing
    outside_link = reverse("web:household", args=[outside.household.pk])
    for query in outside.secrets:
        page = _body(client.get(reverse("web:households"), {"q": query}))
        assert outside_link not in page, query
        results = _body(client.get(reverse("web:households"), {"q": query}, HTTP_HX_REQUEST="true"))
        for secret in outside.secrets:
            assert secret not in results, (query, secret)
    found_inside = _body(
        client.get(reverse("web:households"), {"q": inside.id_number}, HTTP_HX_REQUEST="true")
    )
    assert reverse("web:household", args=[inside.household.pk]) in found_inside  # found via the blind index
    assert inside.household.phone_masked in found_inside and "13900000101" not in found_inside

    counts = selectors.counts_for(user)
    assert (counts.households, counts.people) == (1, 1)
    clues = _body(client.get(reverse("screening:clues")))
    assert inside.household.number in clues and outside.household.number not in clues
    runs = _body(client.get(reverse("screening:overview")))
    assert reverse("screening:run", args=[inside.run.pk]) in runs
    assert reverse("screening:run", args=[outside.run.pk]) not in runs
    outside_case = _case_at(outside, "visit")
    inside_case = _case_at(inside, "visit")
    for route in ("cases:tasks", "cases:search"):
        listing = _body(client.get(reverse(route), {"state": "all"}))
        assert reverse("cases:case", args=[outside_case]) not in listing, route
        assert outside.household.number not in listing, route
        if route == "cases:search":
            assert reverse("cases:case", args=[inside_case]) in listing
    notices = _body(client.get(reverse("cases:notice_new")))
    assert outside.household.number not in notices
    home = _body(client.get(reverse("web:home")))
    assert all(secret not in home for secret in outside.secrets)

    export = client.get(reverse("web:households_export"))
    if has_capability(role, Capability.EXPORT):
        rows = list(csv.reader(io.StringIO(_body(export))))
        assert [row[0] for row in rows[1:]] == [inside.household.number]
        assert inside.id_number not in _body(export)
    else:
        assert export.status_code == 403
    # Every list export (tests/test_exports.py too): the record inside at most, never the one outside.
    from fupin.twinning.models import Helper

    _helper_of(inside)
    outside_helper = Helper.objects.get(pk=_helper_of(outside)).name
    for route in EXPORTS:
        every = {"state": "all", "status": "all", "show": "all"}
        for suffix, query in (("", {}), ("_xlsx", {}), ("", every)):
            response = client.get(reverse(route + suffix), query)
            if not has_capability(role, Capability.EXPORT):
                assert response.status_code == 403, route
                continue
            assert response.status_code == 200, route
            content = _export_text(response)
            for secret in (*outside.secrets, outside_helper):
                assert secret not in content, (route, suffix, secret)
            assert inside.id_number not in content and "13900000101" not in content, route

    started = client.post(reverse("screening:start"), {"area": outside.household.village.code})
    assert started.status_code == 403
    assert not ScreeningRun.objects.filter(area=outside.household.village).exclude(pk=outside.run.pk).exists()

    create = client.get(reverse("web:household_create"))
    assert create.status_code == (200 if has_capability(role, Capability.EDIT_RECORDS) else 403)

    # Data checks: both heads are uninsured, only the one inside is counted, listed and exported.
    from fupin.registry.models import Member

    Member.objects.filter(pk__in=[inside.member.pk, outside.member.pk]).update(basic_medical_insurance=False)
    assert client.get(reverse("checks:overview")).status_code == 200
    failures = _body(client.get(reverse("checks:detail", args=["no_medical_insurance"])))
    assert inside.household.number in failures
    assert all(secret not in failures for secret in outside.secrets)
    out_area = {"area": outside.household.village.code}
    assert client.get(reverse("checks:detail", args=["no_medical_insurance"]), out_area).status_code == 404
    checks_export = client.get(reverse("checks:export"), {"check": "no_medical_insurance"})
    if has_capability(role, Capability.EXPORT):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(checks_export.content), read_only=True).worksheets[1]
        assert [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)] == [inside.household.number]
        assert client.get(reverse("checks:export"), out_area).status_code == 404
    else:
        assert checks_export.status_code == 403


@pytest.mark.parametrize("role", Role.values)
def test_a_user_without_an_area_gets_nothing_from_any_page(client, make_user, records, role):
    inside, _ = records
    nobody = make_user(role)
    _login(client, nobody)
    for page in RECORD_PAGES:
        method = client.post if page.post_only else client.get
        assert method(page.url(inside)).status_code in (403, 404), page.route
    listing = _body(client.get(reverse("web:households")))
    assert inside.household.number not in listing
    export = client.get(reverse("web:households_export"))
    assert export.status_code == 403 or inside.household.number not in _body(export)


# ---------------------------------------------------------------- the API

API = "/api/v1"


def _api_routes() -> dict[str, set[str]]:
    from fupin.api.api import api

    schema = api.get_openapi_schema()
    return {path.removeprefix(API): {m.upper() for m in ops} for path, ops in schema["paths"].items()}


def _member_body(sequence: int) -> dict:
    return {
        "name": "新成员",
        "sex": "F",
        "birth_date": "2001-04-05",
        "relation": "child",
        "labour_capacity": "ordinary",
        "id_number": valid_id(birth=dt.date(2001, 4, 5), sequence=sequence),
    }


def _case_at(target: Records, state: str) -> int:
    """A fresh case of the target's household at ``state``, ready for that step (other open cases closed)."""
    from fupin.cases.models import OPEN_STATES, Case, VillageNotice

    today = dt.date.today()
    household = target.household
    Case.objects.filter(household=household, state__in=OPEN_STATES).update(state="closed")
    notice = None
    if state == "in_notice":  # posted ten days ago, over five days ago
        notice = VillageNotice.objects.create(
            village=household.village,
            kind="identification",
            posted_on=today - dt.timedelta(days=10),
            days=5,
            ends_on=today - dt.timedelta(days=5),
        )
    case = Case.objects.create(
        household=household,
        kind="identification",
        channel="visit",
        state=state,
        opened_on=today - dt.timedelta(days=12),
        decision_due=today + dt.timedelta(days=3),
        step_due=today + dt.timedelta(days=3),
        visit_facts={"visited_on": str(today - dt.timedelta(days=11)), "findings": "核实"},
        appraisal={"held_on": str(today - dt.timedelta(days=11)), "agreed": True},
        notice=notice,
    )
    return case.pk


def _objection_of(target: Records) -> int:
    """An open objection to a fresh case of the target's household under notice."""
    from fupin.cases.models import Case, Objection

    case = Case.objects.select_related("notice").get(pk=_case_at(target, "in_notice"))
    assert case.notice is not None
    objection = Objection.objects.create(
        notice=case.notice, case=case, received_on=case.notice.posted_on, summary="收入不实"
    )
    return objection.pk


def _case(state: str) -> Callable[[Records], dict[str, Any]]:
    return lambda r: {"case_id": _case_at(r, state)}


TODAY = str(dt.date.today())


def _feed_row(target: Records) -> dict[str, Any]:
    return {"id_number": target.id_number, "name": target.member.name, "event_date": TODAY}


def _batch_of(target: Records) -> int:
    """A department list (deaths) with one record linked to the target's member, imported by the operator."""
    from fupin.feeds import services as feeds
    from fupin.feeds.models import FeedRecord

    found = FeedRecord.objects.filter(member=target.member).values_list("batch_id", flat=True).first()
    if found is not None:
        return found
    data = f"id_number,name,event_date\r\n{target.id_number},{target.member.name},{TODAY}\r\n"
    return feeds.import_feed("cli", "death", data.encode(), "matrix.csv").batch_id


# The API's list downloads (tests/test_api_exports.py: each is the page's export).
API_EXPORTS = [
    "/exports/households",
    "/exports/risk-clues",
    "/exports/my-tasks",
    "/exports/cases",
    "/exports/helpers",
    "/exports/twinning-coverage",
    "/exports/checks",
]

# (method, path template) → (path args for a target, body for a target, capability needed)
ApiEntry = tuple[Callable[[Records], dict[str, Any]], Callable[[Records], dict | None], Capability | None]
API_MATRIX: dict[tuple[str, str], ApiEntry] = {
    ("GET", "/households"): (lambda r: {}, lambda r: None, None),
    ("POST", "/households/search"): (lambda r: {}, lambda r: {"q": ""}, None),
    ("POST", "/households"): (lambda r: {}, lambda r: None, Capability.EDIT_RECORDS),
    ("GET", "/households/{household_id}"): (
        lambda r: {"household_id": r.household.pk},
        lambda r: None,
        None,
    ),
    ("PATCH", "/households/{household_id}"): (
        lambda r: {"household_id": r.household.pk},
        lambda r: {"version": r.household.version, "address": "新地址"},
        Capability.EDIT_RECORDS,
    ),
    ("POST", "/households/{household_id}/type-status"): (
        lambda r: {"household_id": r.household.pk},
        lambda r: {
            "version": r.household.version,
            "household_type": "lifted_out",
            "status": "lifted",
            "effective_from": str(dt.date.today()),
            "reason": "核实",
        },
        Capability.EDIT_RECORDS,
    ),
    ("POST", "/households/{household_id}/monitoring"): (
        lambda r: {"household_id": r.household.pk},
        lambda r: {
            "version": r.household.version,
            "category": "unstable_lifted",
            "risk_types": ["illness"],
            "effective_from": str(dt.date.today()),
            "reason": "核实",
        },
        Capability.EDIT_RECORDS,
    ),
    ("GET", "/households/{household_id}/members"): (
        lambda r: {"household_id": r.household.pk},
        lambda r: None,
        None,
    ),
    ("POST", "/households/{household_id}/members"): (
        lambda r: {"household_id": r.household.pk},
        lambda r: _member_body(400 + 2 * (r.household.pk % 50)),  # even: a woman
        Capability.EDIT_RECORDS,
    ),
    ("GET", "/members/{member_id}"): (lambda r: {"member_id": r.member.pk}, lambda r: None, None),
    ("PATCH", "/members/{member_id}"): (
        lambda r: {"member_id": r.member.pk},
        lambda r: {"version": r.member.version, "education": "junior"},
        Capability.EDIT_RECORDS,
    ),
    ("GET", "/households/{household_id}/incomes"): (
        lambda r: {"household_id": r.household.pk},
        lambda r: None,
        None,
    ),
    ("GET", "/households/{household_id}/screening"): (
        lambda r: {"household_id": r.household.pk},
        lambda r: None,
        None,
    ),
    ("GET", "/risk-clues"): (lambda r: {}, lambda r: None, None),
    ("PUT", "/households/{household_id}/incomes/{year}"): (
        lambda r: {"household_id": r.household.pk, "year": YEAR - 1},
        lambda r: {"wage": "8000"},
        Capability.EDIT_RECORDS,
    ),
    ("GET", "/cases"): (lambda r: {}, lambda r: None, None),
    ("GET", "/cases/{case_id}"): (_case("visit"), lambda r: None, None),
    ("POST", "/cases/referrals"): (lambda r: {}, lambda r: None, Capability.REFER_CASE),
    ("POST", "/cases/{case_id}/visit"): (
        _case("visit"),
        lambda r: {
            "visited_on": TODAY,
            "findings": "核实",
            "proceed": True,
            "authorization_signed": True,
            "category": "marginal",
            "risk_types": ["illness"],
        },
        Capability.VILLAGE_STEPS,
    ),
    ("POST", "/cases/{case_id}/appraisal"): (
        _case("appraisal"),
        lambda r: {"held_on": TODAY, "attendees": 7, "votes_for": 7, "votes_against": 0, "agreed": True},
        Capability.VILLAGE_STEPS,
    ),
    ("POST", "/cases/{case_id}/objections"): (
        _case("in_notice"),
        lambda r: {"received_on": TODAY, "summary": "收入核算有误"},
        Capability.VILLAGE_STEPS,
    ),
    ("POST", "/cases/{case_id}/submit"): (_case("in_notice"), lambda r: None, Capability.VILLAGE_STEPS),
    ("POST", "/cases/notices"): (lambda r: {}, lambda r: None, Capability.VILLAGE_STEPS),
    ("POST", "/cases/objections/{objection_id}/settlement"): (
        lambda r: {"objection_id": _objection_of(r)},
        lambda r: {"upheld": False, "resolution": "经核实不属实"},
        Capability.VILLAGE_STEPS,
    ),
    ("POST", "/cases/{case_id}/township-review"): (
        _case("township"),
        lambda r: {"approve": False, "reason": "补充材料"},
        Capability.TOWNSHIP_REVIEW,
    ),
    ("POST", "/cases/{case_id}/county-decision"): (
        _case("county"),
        lambda r: {"decision": "return", "reason": "补充材料"},
        Capability.COUNTY_DECISION,
    ),
    ("POST", "/cases/{case_id}/fast-track"): (
        _case("visit"),
        lambda r: {
            "reason_kind": "accident",
            "category": "sudden_difficulty",
            "risk_types": ["accident"],
            "reason": "车祸",
        },
        Capability.FAST_TRACK,
    ),
    # A push naming a person outside the capture area is refused as a whole (422, nothing said about
    # where the person lives): see API_OUTSIDE below.
    ("POST", "/feeds/{kind}"): (
        lambda r: {"kind": "death"},
        lambda r: {"rows": [_feed_row(r)]},
        Capability.EDIT_RECORDS,
    ),
    ("GET", "/feeds/batches/{batch_id}"): (lambda r: {"batch_id": _batch_of(r)}, lambda r: None, None),
    ("GET", "/feeds/batches/{batch_id}/records"): (
        lambda r: {"batch_id": _batch_of(r)},
        lambda r: None,
        None,
    ),
}
API_MATRIX.update(
    {
        ("GET", "/indicators/builds"): (lambda r: {}, lambda r: None, None),
        ("GET", "/indicators/{area_code}"): (
            lambda r: {"area_code": _figures_of(r)},
            lambda r: None,
            None,
        ),
        ("GET", "/checks/{area_code}"): (
            lambda r: {"area_code": r.household.village.code},
            lambda r: None,
            None,
        ),
        ("GET", "/checks/{area_code}/{check_code}"): (
            lambda r: {"area_code": r.household.village.code, "check_code": "no_medical_insurance"},
            lambda r: None,
            None,
        ),
        ("GET", "/households/{household_id}/plan"): (
            lambda r: {"household_id": _household_with_measure(r)},
            lambda r: None,
            None,
        ),
        ("GET", "/helpers"): (lambda r: {}, lambda r: None, None),
        ("GET", "/households/{household_id}/twinning"): (
            lambda r: {"household_id": r.household.pk if _twinning_of(r) else 0},
            lambda r: None,
            None,
        ),
        ("GET", "/visits"): (lambda r: {}, lambda r: None, None),
        ("GET", "/visits/{visit_id}"): (lambda r: {"visit_id": _visit_of(r)}, lambda r: None, None),
        ("POST", "/households/{household_id}/visits"): (
            lambda r: {"household_id": r.household.pk},
            lambda r: {"visited_on": TODAY, "findings": "家中正常", "risk_present": False},
            Capability.RECORD_VISITS,
        ),
        **{("GET", path): (lambda r: {}, lambda r: None, Capability.EXPORT) for path in API_EXPORTS},
        ("GET", "/exports/indicators/{area_code}"): (
            lambda r: {"area_code": r.household.village.code},
            lambda r: None,
            Capability.EXPORT,
        ),
        ("GET", "/exports/exit/{area_code}"): (
            lambda r: {"area_code": r.household.village.code},
            lambda r: None,
            Capability.EXPORT,
        ),
        # Supervision: pushes without a path parameter are tested in tests/test_api_supervision.py.
        ("GET", "/problems"): (lambda r: {}, lambda r: None, None),
        ("POST", "/problems"): (lambda r: {}, lambda r: None, Capability.RECORD_PROBLEMS),
        ("GET", "/problems/{problem_id}"): (lambda r: {"problem_id": _problem_of(r)}, lambda r: None, None),
        ("GET", "/situations"): (lambda r: {}, lambda r: None, None),
        ("POST", "/situations"): (lambda r: {}, lambda r: None, Capability.REPORT_SITUATIONS),
        ("GET", "/reports/to-fill"): (lambda r: {}, lambda r: None, None),
        ("GET", "/reports/submissions/{submission_id}"): (
            lambda r: {"submission_id": _submission_of(r)},
            lambda r: None,
            None,
        ),
        ("PUT", "/reports/submissions/{submission_id}"): (
            lambda r: {"submission_id": _submission_of(r)},
            lambda r: {"values": {"problems_found": "2", "problems_fixed": "1"}, "submit": True},
            Capability.FILL_REPORTS,
        ),
    }
)


def _figures_of(target: Records) -> str:
    """The target's village, with figures in the current indicator build."""
    from fupin.indicators.models import AreaFigures, Build

    build = Build.objects.filter(state="current").first() or Build.objects.create(
        period=TODAY[:7], as_of=dt.date.today(), state="current"
    )
    code = target.household.village.code
    AreaFigures.objects.get_or_create(
        build=build, code=code, defaults={"level": 5, "parent": code[:9], "values": {"households": 1}}
    )
    return code


def _household_with_measure(target: Records) -> int:
    _measure_of(target)
    return target.household.pk


# Project assets (read only): tests/test_assets_pages.py checks the ledger's filters.
API_MATRIX.update(
    {
        ("GET", "/assets"): (lambda r: {}, lambda r: None, None),
        ("GET", "/assets/{asset_id}"): (lambda r: {"asset_id": _asset_of(r)}, lambda r: None, None),
        ("GET", "/assets/summary/{area_code}"): (
            lambda r: {"area_code": r.household.village.code},
            lambda r: None,
            None,
        ),
    }
)


# What a route answers for the record outside when it is not "not found" (404).
API_OUTSIDE: dict[tuple[str, str], set[int]] = {("POST", "/feeds/{kind}"): {403, 422}}


def _call(client, token: str, method: str, path: str, body: dict | None):
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    send = getattr(client, method.lower())
    if body is None:
        return send(API + path, headers=headers)
    return send(API + path, body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("role", Role.values)
def test_api_serves_what_is_inside_and_nothing_outside(client, make_user, records, role, place):
    inside, outside = records
    user = make_user(role, inside.household.village.code)
    token = issue_token(user=user)
    may_edit = has_capability(role, Capability.EDIT_RECORDS)

    for (method, template), (args_for, body_for, capability) in API_MATRIX.items():
        if "{" not in template:
            continue
        out_response = _call(client, token, method, template.format(**args_for(outside)), body_for(outside))
        expected_outside = API_OUTSIDE.get((method, template), {404})
        assert out_response.status_code in expected_outside, (method, template, "outside")
        for secret in outside.secrets:
            assert secret not in out_response.content.decode(), (method, template, secret)

        inside.household.refresh_from_db()
        inside.member.refresh_from_db()
        in_response = _call(client, token, method, template.format(**args_for(inside)), body_for(inside))
        allowed = capability is None or has_capability(role, capability)
        expected = {200, 201} if allowed else {403}
        assert in_response.status_code in expected, (method, template, in_response.content[:300])

    cases = _call(client, token, "GET", "/cases?open_only=false", None).json()
    assert cases["count"] > 0
    assert {c["household_number"] for c in cases["items"]} == {inside.household.number}
    clues = _call(client, token, "GET", "/risk-clues?status=", None).json()
    assert [c["household_number"] for c in clues["items"]] == [inside.household.number]
    listing = _call(client, token, "GET", "/households", None).json()
    assert [item["number"] for item in listing["items"]] == [inside.household.number]
    assert listing["count"] == 1
    for query in outside.secrets:
        found = _call(client, token, "GET", f"/households?q={query}", None).json()
        assert found["count"] == 0 and found["items"] == [], query
        searched = _call(client, token, "POST", "/households/search", {"q": query}).json()
        assert searched["count"] == 0 and searched["items"] == [], query

    from fupin.twinning.models import Helper

    helpers = _call(client, token, "GET", "/helpers", None).json()
    outside_helpers = set(
        Helper.objects.filter(area=outside.household.village).values_list("name", flat=True)
    )
    assert outside_helpers and not outside_helpers & {h["name"] for h in helpers["items"]}
    visits = _call(client, token, "GET", "/visits", None).json()
    assert visits["count"] > 0 and {v["household_id"] for v in visits["items"]} == {inside.household.pk}
    hidden = _call(client, token, "GET", f"/visits?household_id={outside.household.pk}", None)
    assert hidden.status_code == 404
    for path in API_EXPORTS:
        download = _call(client, token, "GET", path, None)
        assert download.status_code == (200 if has_capability(role, Capability.EXPORT) else 403), path
        if download.status_code == 200:
            content = _export_text(download)
            for secret in (*outside.secrets, *outside_helpers):
                assert secret not in content, (path, secret)
            assert inside.id_number not in content and "13900000101" not in content, path

    from fupin.registry.models import Member

    Member.objects.filter(pk__in=[inside.member.pk, outside.member.pk]).update(basic_medical_insurance=False)
    county = _call(client, token, "GET", f"/checks/{place.county.code}/no_medical_insurance", None)
    assert county.status_code == 404  # the county is not the user's area
    failures = _call(
        client, token, "GET", f"/checks/{inside.household.village.code}/no_medical_insurance", None
    )
    assert [f["household_number"] for f in failures.json()["items"]] == [inside.household.number]
    assert _call(client, token, "GET", f"/indicators/{place.county.code}", None).status_code == 404

    created = _call(
        client,
        token,
        "POST",
        "/households",
        {
            "number": f"{place.village_a2.code}9999",
            "village_code": place.village_a2.code,  # a village outside the user's scope
            "household_type": "ordinary",
            "status": "normal",
        },
    )
    assert created.status_code in (403, 404, 422)
    assert not selectors.search_households(
        user, selectors.HouseholdFilters(query=f"{place.village_a2.code}9999")
    ).exists()
    assert may_edit or created.status_code == 403


# ---------------------------------------------------------------- the benefits API
# A county's opening is seen by every user whose area is part of the county; of its applications only
# those inside the user's area (tests/test_benefits_api.py checks a county outside is 404).

BENEFIT_FACTS = {"inter_provincial": True, "contract_months": 12, "fare": "800"}


def _benefit_clerk() -> Any:
    """A county administrator who opens the programme and enters the applications others approve."""
    from fupin.accounts.models import User
    from fupin.accounts.services import create_user

    found = User.objects.filter(username="matrix-benefits").first()
    return found or create_user(
        username="matrix-benefits", role=Role.COUNTY_ADMIN, area_codes=["220822"], password=None
    )


def _benefit_opening() -> int:
    from fupin.areas.models import Area
    from fupin.benefits import services as benefits
    from fupin.benefits.models import Opening

    found = Opening.objects.filter(programme="transport_subsidy").first()
    if found is not None:
        return found.pk
    county = Area.objects.get(code="220822")
    opening = benefits.open_programme(
        actor=_benefit_clerk(),
        pack="jilin",
        programme="transport_subsidy",
        county=county,
        year=dt.date.today().year,
    )
    return opening.pk


def _benefit_application_of(target: Records) -> int:
    """A waiting application for the target's member, entered by someone else than the user."""
    from fupin.benefits import services as benefits
    from fupin.benefits.models import Opening

    application = benefits.enter_application(
        actor=_benefit_clerk(),
        opening=Opening.objects.get(pk=_benefit_opening()),
        data=benefits.ApplicationInput(
            applied_on=dt.date.today(), id_number=target.id_number, facts=BENEFIT_FACTS
        ),
    )
    return application.pk


def _benefit_opening_with(target: Records) -> int:
    _benefit_application_of(target)
    return _benefit_opening()


API_MATRIX.update(
    {
        ("GET", "/benefit-openings"): (lambda r: {}, lambda r: None, None),
        ("GET", "/benefit-openings/{opening_id}/applications"): (
            lambda r: {"opening_id": _benefit_opening_with(r)},
            lambda r: None,
            None,
        ),
        ("GET", "/benefit-applications/{application_id}"): (
            lambda r: {"application_id": _benefit_application_of(r)},
            lambda r: None,
            None,
        ),
        ("POST", "/benefit-openings/{opening_id}/applications"): (
            lambda r: {"opening_id": _benefit_opening()},
            lambda r: {"rows": [{"applied_on": TODAY, "id_number": r.id_number, "facts": BENEFIT_FACTS}]},
            Capability.ENTER_APPLICATIONS,
        ),
        ("POST", "/benefit-openings/{opening_id}/approvals"): (
            lambda r: {"opening_id": _benefit_opening()},
            lambda r: {"application_ids": [_benefit_application_of(r)]},
            Capability.APPROVE_APPLICATIONS,
        ),
    }
)
API_OUTSIDE.update(
    {
        # The county's opening is in scope: its list leaves the application outside out (no secret
        # of it in the answer); a row naming the person outside refuses the whole entry.
        ("GET", "/benefit-openings/{opening_id}/applications"): {200},
        ("POST", "/benefit-openings/{opening_id}/applications"): {403, 404},
    }
)


def _asset_of(target: Records) -> int:
    """A village collective's asset in the target's village, in use."""
    from fupin.accounts.models import User
    from fupin.assets.models import Asset

    village = target.household.village
    found = Asset.objects.filter(code=f"ZC-{village.code}").values_list("pk", flat=True).first()
    if found is not None:
        return found
    return Asset.objects.create(
        code=f"ZC-{village.code}",
        name="矩阵光伏电站",
        asset_class="operating",
        sub_type="solar",
        year_formed=2024,
        original_value_fen=10_000_000,
        area=village,
        county=village.parent.parent,
        owner_level="village",
        owner_entity="村股份经济合作社",
        status="in_use",
        registered_by=User.objects.order_by("pk").first(),
    ).pk


def _asset_disposal_of(target: Records) -> int:
    """A disposal of the target village's asset, waiting for the township (asked by someone else)."""
    from fupin.accounts.models import User
    from fupin.assets.models import Disposal

    asset_id = _asset_of(target)
    found = Disposal.objects.filter(asset_id=asset_id).values_list("pk", flat=True).first()
    if found is not None:
        return found
    return Disposal.objects.create(
        asset_id=asset_id,
        ground="idle_loss",
        method="auction",
        reason="闲置",
        meeting_on=dt.date.today(),
        meeting_resolution="同意",
        state="requested",
        status_before="in_use",
        requested_by=User.objects.order_by("pk").first(),
    ).pk


# ---------------------------------------------------------------- linkage funds (fupin.funds)
# An area's pages take the target's village (its part of the county's plan); an allocation and its
# payments belong to the project's village. The import's error workbook is the uploader's own
# (tests/test_funds_pages.py).


def _fund_project_of(target: Records) -> int:
    """An approved project (in the year's plan) of the target's village, made with the ORM."""
    from django.contrib.auth import get_user_model

    from fupin.projects.models import Project

    village = target.household.village
    return Project.objects.create(
        code=f"XMM{village.code}{Project.objects.count() + 1:04d}",
        name="矩阵项目",
        category="industry",
        area=village,
        county=village.parent.parent,
        content="新建大棚",
        implementing_unit="开通镇人民政府",
        unit_person="李镇长",
        months=6,
        year=dt.date.today().year,
        state="planned",
        proposed_by=get_user_model().objects.order_by("pk").first(),
    ).pk


def _fund_allocation_of(target: Records) -> int:
    from django.contrib.auth import get_user_model

    from fupin.funds.models import Allocation
    from fupin.projects.models import Project

    project = Project.objects.get(pk=_fund_project_of(target))
    return Allocation.objects.create(
        project=project,
        county=project.county,
        year=project.year,
        source="central",
        amount_fen=1_000_000,
        created_by=get_user_model().objects.order_by("pk").first(),
    ).pk


FUNDS = Capability.MANAGE_FUNDS
RECORD_PAGES.extend(
    [
        *(
            RecordPage(f"funds:{name}", lambda r: [r.household.village.code])
            for name in ("plan", "progress", "counties", "notice_pdf", "import_template", "dashboard_panel")
        ),
        RecordPage("funds:year_fund_add", lambda r: [r.household.village.code], FUNDS),
        RecordPage("funds:plan_import", lambda r: [r.household.village.code], FUNDS),
        RecordPage("funds:plan_export", lambda r: [r.household.village.code], Capability.EXPORT),
        RecordPage("funds:progress_export", lambda r: [r.household.village.code], Capability.EXPORT),
        RecordPage("funds:allocate", lambda r: [_fund_project_of(r)], FUNDS),
        RecordPage("funds:allocation", lambda r: [_fund_allocation_of(r)]),
        RecordPage("funds:disburse", lambda r: [_fund_allocation_of(r)], FUNDS, True, ok=302),
    ]
)
COLLECTION_PAGES.add("funds:import_errors")
API_MATRIX.update(
    {
        **{
            ("GET", f"/funds/{{area_code}}/{name}"): (
                lambda r: {"area_code": r.household.village.code},
                lambda r: None,
                None,
            )
            for name in ("plan", "allocations", "progress")
        },
        ("GET", "/funds/allocations/{allocation_id}/disbursements"): (
            lambda r: {"allocation_id": _fund_allocation_of(r)},
            lambda r: None,
            None,
        ),
    }
)


# ---------------------------------------------------------------- policy scenarios
# A scenario is normally for a province or county; here one is set up for the target's village (through
# the ORM), so that its pages and routes are inside or outside the village user's scope like any record.
# A county user simulating only on their own county: tests/test_scenarios.py.


def _scenario_of(target: Records) -> int:
    from fupin.accounts.models import User
    from fupin.scenarios.models import Scenario

    village = target.household.village
    found = Scenario.objects.filter(area=village).values_list("pk", flat=True).first()
    if found is not None:
        return found
    return Scenario.objects.create(
        name=f"matrix {village.code}",
        base_pack="national-monitoring",
        base_version="t",
        area=village,
        overlay={"region": "220822", "parameters": {"monitoring_range": 7500}, "rules": []},
        effective_from=dt.date(dt.date.today().year + 1, 1, 1),
        author=User.objects.order_by("pk").first(),
    ).pk


def _scenario_run_of(target: Records) -> int:
    from fupin.scenarios.models import ScenarioRun

    scenario_id = _scenario_of(target)
    finished = ScenarioRun.objects.filter(scenario_id=scenario_id, status="finished").order_by("pk")
    found = finished.values_list("pk", flat=True).first()
    if found is not None:
        return found
    return ScenarioRun.objects.create(
        scenario_id=scenario_id,
        area=target.household.village,
        as_of=dt.date.today(),
        started_by=target.run.started_by or _benefit_clerk(),
        status="finished",
        result={"kind": "simulation", "totals": {"only_scenario": 0}, "levels": {"county": []}},
    ).pk


def _scenario_publication_of(target: Records) -> int:
    from fupin.scenarios.models import Publication

    scenario_id = _scenario_of(target)
    found = Publication.objects.filter(scenario_id=scenario_id).values_list("pk", flat=True).first()
    if found is not None:
        return found
    return Publication.objects.create(
        scenario_id=scenario_id,
        pack_name="matrix-pack",
        pack_version="1",
        effective_from=dt.date.today(),
        pack_text="name: matrix-pack\n",
        status="approved",
        requested_by=_benefit_clerk(),
    ).pk


SIMULATE = Capability.RUN_SCENARIOS
RECORD_PAGES.extend(
    [
        RecordPage("scenarios:scenario", lambda r: [_scenario_of(r)], SIMULATE),
        RecordPage("scenarios:run_start", lambda r: [_scenario_of(r)], SIMULATE, True, ok=302),
        RecordPage(
            "scenarios:publish", lambda r: [_scenario_of(r)], Capability.PUBLISH_SCENARIOS, True, ok=302
        ),
        RecordPage("scenarios:run", lambda r: [_scenario_run_of(r)], SIMULATE),
        RecordPage("scenarios:run_export", lambda r: [_scenario_run_of(r)], SIMULATE),
        RecordPage(
            "scenarios:decide",
            lambda r: [_scenario_publication_of(r)],
            Capability.PUBLISH_SCENARIOS,
            True,
            ok=302,
        ),
        RecordPage("scenarios:publication_file", lambda r: [_scenario_publication_of(r)], SIMULATE),
    ]
)
# The list, the new-scenario form and the comparison show the user's own scenarios and runs only.
COLLECTION_PAGES.update({"scenarios:index", "scenarios:new", "scenarios:compare"})
API_MATRIX.update(
    {
        ("GET", "/scenarios"): (lambda r: {}, lambda r: None, SIMULATE),
        ("POST", "/scenarios/{scenario_id}/runs"): (
            lambda r: {"scenario_id": _scenario_of(r)},
            lambda r: {"area_code": ""},
            SIMULATE,
        ),
        ("GET", "/scenario-runs/{run_id}"): (
            lambda r: {"run_id": _scenario_run_of(r)},
            lambda r: None,
            SIMULATE,
        ),
    }
)
