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
from fupin.registry.models import Household, Member
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
        "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
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


# ---------------------------------------------------------------- inspections


def _plan(client, place, **values):
    body = {
        "source": "unannounced_visit",
        "title": "十二月暗访",
        "area": place.township_a.code,
        "starts_on": dt.date.today().isoformat(),
        "ends_on": (dt.date.today() + dt.timedelta(days=5)).isoformat(),
        "team": "组长 王某（县纪委）\n成员 张某（县乡村振兴局）",
        "sample_size": "4",
        **values,
    }
    return client.post(reverse("supervision:inspection_new"), body)


def test_an_inspection_draws_households_by_category_and_the_seed_draws_them_again(
    client, place, staff, household_factory
):
    from fupin.supervision.models import InspectedHousehold, Inspection

    for n in range(6):
        household_factory(place.village_a1 if n % 2 else place.village_a2)
    for _ in range(3):
        household_factory(household_type="lifted_out", status="lifted")
    monitored = household_factory(household_type="lifted_out", status="lifted")
    Household.objects.filter(pk=monitored.pk).update(monitoring_category="marginal")  # under monitoring
    household_factory(place.village_b1)  # another township: never drawn
    _as(client, staff["recorder"])

    response = _plan(client, place, seed="20261204")
    first = Inspection.objects.get()
    assert response["Location"] == reverse("supervision:inspection", args=[first.pk])
    drawn = list(InspectedHousehold.objects.filter(inspection=first).values_list("household_id", "stratum"))
    assert len(drawn) == 4 and first.population == 10
    assert {s for _, s in drawn} == {"ordinary", "lifted_out", "marginal"}  # one from each category
    assert (monitored.pk, "marginal") in drawn
    drawn_ids = [pk for pk, _ in drawn]
    villages = Household.objects.filter(pk__in=drawn_ids).values_list("village__parent", flat=True)
    assert set(villages) == {place.township_a.pk}

    _plan(client, place, seed="20261204", title="复查")
    again = Inspection.objects.exclude(pk=first.pk).get()
    assert sorted(again.households.values_list("household_id", flat=True)) == sorted(pk for pk, _ in drawn)

    page = _text(client.get(reverse("supervision:inspection", args=[first.pk])))
    assert "20261204" in page and monitored.number in page

    # a finding about a drawn household is a problem of the inspection, in that household's village
    finding = client.post(
        reverse("supervision:problem_new") + f"?inspection={first.pk}&household={monitored.pk}",
        {
            "source": "unannounced_visit",
            "area": monitored.village.code,
            "kind": "assistance",
            "severity": "serious",
            "description": "帮扶措施未落实",
            "deadline": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
        },
    )
    problem = Problem.objects.get()
    assert finding.status_code == 302
    assert problem.inspection == first and problem.household == monitored
    listing = _text(client.get(reverse("supervision:inspections")))
    assert "十二月暗访" in listing

    # the visit list for the team: who and where, never an ID number or phone
    export = client.get(reverse("supervision:inspection_export", args=[first.pk]))
    raw = b"".join(export.streaming_content) if export.streaming else export.content
    cells = "\t".join(
        "" if v is None else str(v)
        for sheet in load_workbook(io.BytesIO(raw), read_only=True).worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
    )
    assert monitored.number in cells and "13812345678" not in cells

    # neither the township visited nor its villages see the plan of the unannounced visit
    for outsider in (staff["cadre"], staff["township"]):
        client.logout()
        _as(client, outsider)
        assert "十二月暗访" not in _text(client.get(reverse("supervision:inspections")))
        assert client.get(reverse("supervision:inspection", args=[first.pk])).status_code == 404


def test_a_bad_inspection_plan_says_everything_wrong_and_draws_nothing(
    client, place, staff, household_factory
):
    from fupin.supervision.models import Inspection

    household_factory()
    _as(client, staff["recorder"])
    response = _plan(
        client,
        place,
        title="",
        team="联系电话 13812345678",
        ends_on=(dt.date.today() - dt.timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 200 and not Inspection.objects.exists()
    page = _text(response)
    assert "Leave ID numbers and phone numbers out" in page
    assert "The last day cannot be before the first" in page
    assert "This field is required" in page or "Give the inspection a title" in page

    empty = _plan(client, place, area=place.township_b.code)
    assert empty.status_code == 200 and "no household to visit" in _text(empty)
    assert not Inspection.objects.exists()
