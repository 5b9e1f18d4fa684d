"""Supervision pages as a county's staff use them: the problem list by area, recording a problem (bad
input refused, nothing saved), a failed data check put on the list in one click, a rectification with
evidence accepted by a second person, and the rectification ledger in Excel."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from fupin.accounts.roles import Role
from fupin.registry.models import Member
from fupin.supervision import services
from fupin.supervision.models import Problem, Status

PDF = b"%PDF-1.4\n%evidence\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff(place, make_user):
    return {
        "recorder": make_user(Role.COUNTY_OFFICER, place.county.code),
        "acceptor": make_user(Role.COUNTY_ADMIN, place.county.code),
        "cadre": make_user(Role.VILLAGE_CADRE, place.village_a1.code),
        "neighbour": make_user(Role.VILLAGE_CADRE, place.village_b1.code),
    }


def _as(client, user, language: str = "en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def _text(response) -> str:
    return response.content.decode()


def _problem(actor, area_code: str, description: str, **values) -> Problem:
    return services.record_problem(
        actor=actor,
        data=services.ProblemInput(
            source="inspection",
            area_code=area_code,
            kind="assistance",
            severity="serious",
            description=description,
            deadline=values.pop("deadline", dt.date.today() + dt.timedelta(days=20)),
            **values,
        ),
    )


def test_the_list_shows_the_problems_of_ones_areas_with_counts(client, place, staff):
    _problem(staff["recorder"], place.village_a1.code, "一村帮扶措施未落实")
    _problem(staff["recorder"], place.village_b1.code, "三村信息不全")
    overdue = _problem(staff["recorder"], place.village_a1.code, "一村逾期问题")
    Problem.objects.filter(pk=overdue.pk).update(deadline=dt.date.today() - dt.timedelta(days=1))

    county = _text(_as(client, staff["recorder"]).get(reverse("supervision:problems")))
    assert "一村帮扶措施未落实" in county and "三村信息不全" in county
    assert "Overdue" in county

    client.logout()
    village = _text(_as(client, staff["cadre"]).get(reverse("supervision:problems")))
    assert "一村帮扶措施未落实" in village and "三村信息不全" not in village
    only_overdue = _text(client.get(reverse("supervision:problems"), {"overdue": "1"}))
    assert "一村逾期问题" in only_overdue and "一村帮扶措施未落实" not in only_overdue
    # the neighbour's village is not the cadre's: its list and ledger are not found
    ledger = client.get(reverse("supervision:ledger", args=[place.village_b1.code]))
    assert ledger.status_code == 404


def test_the_navigation_leads_to_supervision_in_chinese(client, staff):
    home = _text(_as(client, staff["recorder"], "zh-hans").get(reverse("web:home")))
    assert reverse("supervision:problems") in home and "督查整改" in home
    listing = _text(client.get(reverse("supervision:problems")))
    assert "问题清单" in listing and "Problem list" not in listing


def test_recording_a_problem_with_bad_input_says_what_and_saves_nothing(client, place, staff):
    _as(client, staff["recorder"])
    bad = client.post(
        reverse("supervision:problem_new"),
        {
            "source": "inspection",
            "area": place.village_a1.code,
            "kind": "assistance",
            "severity": "serious",
            "description": "户主身份证号 220822198005171234 填错",
            "deadline": "2020-01-01",
        },
    )
    assert bad.status_code == 200
    assert Problem.objects.count() == 0
    page = _text(bad)
    # every problem at once: the identifier in the text and the deadline before the day it was found
    assert "Leave ID numbers and phone numbers out" in page
    assert "The deadline cannot be before the day the problem was found" in page

    good = client.post(
        reverse("supervision:problem_new"),
        {
            "source": "inspection",
            "area": place.village_a1.code,
            "kind": "assistance",
            "severity": "serious",
            "description": "帮扶措施未落实到户",
            "deadline": (dt.date.today() + dt.timedelta(days=15)).isoformat(),
        },
    )
    problem = Problem.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse("supervision:problem", args=[problem.pk])
    assert problem.area == place.village_a1 and problem.status == Status.PENDING


def test_a_failed_data_check_goes_on_the_list_in_one_click(client, place, staff, household_factory):
    household = household_factory(household_type="lifted_out", status="lifted")
    Member.objects.filter(household=household).update(basic_medical_insurance=False)
    _as(client, staff["recorder"])
    detail = _text(
        client.get(reverse("checks:detail", args=["no_medical_insurance"]), {"area": place.village_a1.code})
    )
    assert household.number in detail
    assert reverse("supervision:from_check") in detail and "Put on the problem list" in detail

    body = {"check": "no_medical_insurance", "household": household.pk}
    first = client.post(reverse("supervision:from_check"), body)
    second = client.post(reverse("supervision:from_check"), body)
    problem = Problem.objects.get()
    assert first["Location"] == second["Location"] == reverse("supervision:problem", args=[problem.pk])
    assert problem.source == "data_check" and problem.household == household
    assert problem.check_code == "no_medical_insurance"

    # a village cadre may fix but not record problems: no button on the same page
    client.logout()
    viewer = _text(
        _as(client, staff["cadre"]).get(
            reverse("checks:detail", args=["no_medical_insurance"]), {"area": place.village_a1.code}
        )
    )
    assert household.number in viewer and reverse("supervision:from_check") not in viewer


def test_a_fix_with_evidence_is_accepted_by_another_person_not_by_its_reporter(
    client, place, staff, household_factory
):
    problem = _problem(staff["recorder"], place.village_a1.code, "帮扶措施未落实到户")
    _as(client, staff["recorder"])
    client.post(
        reverse("supervision:task_add", args=[problem.pk]),
        {
            "responsible_unit": "开通镇政府",
            "responsible_person": "李镇长",
            "deadline": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
            "measures": "逐户落实",
        },
    )
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS

    # without evidence the rectification is refused and the problem stays where it was
    client.post(
        reverse("supervision:rectify", args=[problem.pk]),
        {"description": "已落实", "done_on": dt.date.today().isoformat()},
    )
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS

    evidence = SimpleUploadedFile("照片.pdf", PDF, content_type="application/pdf")
    client.post(
        reverse("supervision:rectify", args=[problem.pk]),
        {"description": "已落实", "done_on": dt.date.today().isoformat(), "evidence": [evidence]},
    )
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_ACCEPTANCE

    # the reporter's own page offers no acceptance, and a forced POST changes nothing
    page = _text(client.get(reverse("supervision:problem", args=[problem.pk])))
    assert reverse("supervision:accept", args=[problem.pk]) not in page
    link = reverse("supervision:evidence", args=[problem.rectifications.get().evidence.get().pk])
    assert link in page
    opened = client.get(link)
    assert opened.status_code == 200 and b"".join(opened.streaming_content) == PDF
    client.post(reverse("supervision:accept", args=[problem.pk]))
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_ACCEPTANCE

    client.logout()
    _as(client, staff["acceptor"])
    page = _text(client.get(reverse("supervision:problem", args=[problem.pk])))
    assert reverse("supervision:accept", args=[problem.pk]) in page
    client.post(reverse("supervision:accept", args=[problem.pk]))
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED and problem.closed_on == dt.date.today()


def test_the_ledger_exports_the_areas_problems_without_identifiers(client, place, staff, household_factory):
    household = household_factory()
    _problem(staff["recorder"], place.village_a1.code, "一村信息不全", household_id=household.pk)
    _problem(staff["recorder"], place.village_b1.code, "三村信息不全")
    response = _as(client, staff["recorder"]).get(
        reverse("supervision:ledger_export", args=[place.township_a.code])
    )
    assert response.status_code == 200
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    cells = [
        "" if v is None else str(v)
        for sheet in load_workbook(io.BytesIO(raw), read_only=True).worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
    ]
    assert "一村信息不全" in cells and household.number in cells
    assert "三村信息不全" not in cells
    head = household.members.get()
    assert head.name not in cells and "13812345678" not in "".join(cells)
