"""The project library's procedure, step by step: what a village, a township and a county see happen."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, OutOfScope, Refused
from fupin.projects import services
from fupin.projects.models import Event, Notice, Project, State
from tests.projectwork import APPRAISAL_PASS, proposal, to_completion, to_library

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


@pytest.fixture
def people(place, make_user):
    county = place.county.code
    return {
        "village": make_user(Role.VILLAGE_CADRE, place.village_a1.code),
        "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        "appraiser": make_user(Role.COUNTY_OFFICER, county),
        "approver": make_user(Role.COUNTY_ADMIN, county),
        "other_village": make_user(Role.VILLAGE_CADRE, place.village_b1.code),
    }


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def travel():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_a_complete_proposal_walks_into_the_library_and_to_its_assets(place, people, travel):
    project = services.create_project(actor=people["village"], data=proposal(place.village_a1.code))
    assert project.state == State.DRAFT and project.code.startswith("XM2208222026")
    project = to_library(
        project, travel=travel, **{k: people[k] for k in ("village", "township", "appraiser", "approver")}
    )
    assert project.state == State.IN_LIBRARY and project.library_year == 2026
    project = to_completion(project, approver=people["approver"], travel=travel, year=2026)
    assert project.state == State.COMPLETED and project.settled_fen == 168_000_000
    project = services.register_assets(actor=people["approver"], project=project)
    assert project.state == State.ASSETS_REGISTERED
    kinds = list(Notice.objects.filter(project=project).values_list("kind", flat=True))
    assert kinds == ["proposal", "review", "library", "pre_start", "completion"]
    assert Event.objects.filter(project=project).count() == 13  # proposal and 12 steps
    assert AuditEntry.objects.filter(object_type="project", object_id=str(project.pk)).count() == 13


def test_the_next_step_waits_for_the_notice_to_run_its_days(place, people, travel):
    project = services.create_project(actor=people["village"], data=proposal(place.village_a1.code))
    services.take_step(actor=people["village"], project=project, step="post_village_notice")
    travel.shift(dt.timedelta(days=6))
    with pytest.raises(Refused) as refused:
        services.take_step(actor=people["village"], project=project, step="submit")
    assert "2026-03-08" in str(refused.value.message) and "2026-03-09" in str(refused.value.message)
    travel.shift(dt.timedelta(days=1))
    assert (
        services.take_step(actor=people["village"], project=project, step="submit").state
        == State.TOWNSHIP_REVIEW
    )


def test_without_a_link_to_farmers_or_all_targets_a_project_stays_in_the_village(place, people, travel):
    project = services.create_project(
        actor=people["village"], data=proposal(place.village_a1.code, complete=False)
    )
    with pytest.raises(Refused) as refused:
        services.take_step(actor=people["village"], project=project, step="post_village_notice")
    message = str(refused.value.message)
    assert "link to farmers" in message and "Effect" in message and "Satisfaction" in message
    assert Project.objects.get(pk=project.pk).state == State.DRAFT


def test_nobody_reviews_their_own_step_and_the_approver_is_not_the_appraiser(
    place, people, travel, make_user
):
    # a township officer who proposes and submits may not pass the township review of that project
    township = people["township"]
    project = services.create_project(actor=township, data=proposal(place.village_a1.code))
    services.take_step(actor=township, project=project, step="post_village_notice")
    travel.shift(dt.timedelta(days=7))
    services.take_step(actor=township, project=project, step="submit")
    with pytest.raises(Refused, match="another person"):
        services.take_step(actor=township, project=project, step="township_pass")
    second = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    services.take_step(actor=second, project=project, step="township_pass")
    travel.shift(dt.timedelta(days=7))
    services.take_step(actor=second, project=project, step="forward")
    appraiser = people["appraiser"]
    services.take_step(actor=appraiser, project=project, step="appraise", appraisal=APPRAISAL_PASS)
    with pytest.raises(Refused, match="another person"):
        services.take_step(actor=appraiser, project=project, step="approve")
    assert (
        services.take_step(actor=people["approver"], project=project, step="approve").state
        == State.COUNTY_NOTICE
    )


def test_a_return_needs_a_reason_and_sends_the_project_back_one_level(place, people, travel):
    project = services.create_project(actor=people["village"], data=proposal(place.village_a1.code))
    services.take_step(actor=people["village"], project=project, step="post_village_notice")
    travel.shift(dt.timedelta(days=7))
    services.take_step(actor=people["village"], project=project, step="submit")
    with pytest.raises(InvalidInput):
        services.take_step(actor=people["township"], project=project, step="township_return", reason=" ")
    project = services.take_step(
        actor=people["township"], project=project, step="township_return", reason="预算依据不足"
    )
    assert project.state == State.DRAFT and project.submitted_by is None
    assert Event.objects.filter(project=project, action="township_return").get().reason == "预算依据不足"


def test_a_failed_appraisal_cannot_be_approved(place, people, travel):
    project = services.create_project(actor=people["village"], data=proposal(place.village_a1.code))
    services.take_step(actor=people["village"], project=project, step="post_village_notice")
    travel.shift(dt.timedelta(days=7))
    services.take_step(actor=people["village"], project=project, step="submit")
    services.take_step(actor=people["township"], project=project, step="township_pass")
    travel.shift(dt.timedelta(days=7))
    services.take_step(actor=people["township"], project=project, step="forward")
    failed = services.AppraisalInput(**{**APPRAISAL_PASS.__dict__, "budget": "fail"})
    services.take_step(actor=people["appraiser"], project=project, step="appraise", appraisal=failed)
    with pytest.raises(Refused, match="did not pass"):
        services.take_step(actor=people["approver"], project=project, step="approve")


def test_outside_ones_area_a_project_is_not_found(place, people, travel):
    with pytest.raises(OutOfScope):
        services.create_project(actor=people["other_village"], data=proposal(place.village_a1.code))
    project = services.create_project(actor=people["village"], data=proposal(place.village_a1.code))
    with pytest.raises(OutOfScope):
        services.take_step(actor=people["other_village"], project=project, step="post_village_notice")


def test_bad_input_names_every_field_and_saves_nothing(place, people, travel):
    bad = proposal(
        place.village_a1.code,
        name="",
        months=0,
        budget={"central": -5, "gold": 1},
        content="户主电话13912345678",
        year=2019,
    )
    with pytest.raises(InvalidInput) as invalid:
        services.create_project(actor=people["village"], data=bad)
    assert {"name", "months", "budget", "content", "year"} <= set(invalid.value.field_errors)
    assert not Project.objects.exists()


def test_approved_projects_not_in_the_years_plan_roll_over(place, people, travel):
    project = services.create_project(actor=people["village"], data=proposal(place.village_a1.code))
    to_library(
        project, travel=travel, **{k: people[k] for k in ("village", "township", "appraiser", "approver")}
    )
    planned = services.create_project(
        actor=people["village"], data=proposal(place.village_a1.code, name="二号项目")
    )
    to_library(
        planned, travel=travel, **{k: people[k] for k in ("village", "township", "appraiser", "approver")}
    )
    services.take_step(actor=people["approver"], project=planned, step="plan", year=2026)
    moved = services.roll_over(actor=people["approver"], county_code=place.county.code, from_year=2026)
    assert moved == 1
    assert Project.objects.get(pk=project.pk).year == 2027
    assert Project.objects.get(pk=planned.pk).year == 2026
