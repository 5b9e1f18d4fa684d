"""The helper, twinning, task-force and visit pages through Django's test client, and the coverage
report's Excel export."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.registry import services as registry
from fupin.twinning import services
from fupin.twinning.models import Assignment, Helper, RankQuota, TaskForceMember, Visit
from tests import casework

TODAY = dt.date.today()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    from django.utils.translation.reloader import translation_file_changed

    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def as_user(client, user, language: str = "en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def make_helper(actor, area, name: str = "王科长", rank: str = "section"):
    return services.create_helper(
        actor=actor,
        area_code=area.code,
        name=name,
        unit="县农业农村局",
        rank=rank,
        phone_number="13900001111",
    )


# ---------------------------------------------------------------- helpers


def test_the_helper_list_shows_an_empty_state_then_the_helpers(client, place, county_officer):
    as_user(client, county_officer)
    empty = text(client.get(reverse("twinning:helpers")))
    assert "No helper recorded yet" in empty and reverse("twinning:helper_new") in empty
    response = client.post(
        reverse("twinning:helper_new"),
        {
            "name": "王科长",
            "unit": "县农业农村局",
            "rank": "section",
            "area": place.county.code,
            "phone": "13900001111",
        },
    )
    helper = Helper.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "twinning:helper", args=[helper.pk]
    )
    listing = text(client.get(reverse("twinning:helpers")))
    assert "王科长" in listing and "139****1111" in listing and "13900001111" not in listing
    assert "0 / 2" in listing


def test_filtering_helpers_by_name_keeps_the_name_out_of_the_address(client, place, county_officer):
    """A cadre's name typed in the filter is posted; the address and the export links carry it sealed."""
    make_helper(county_officer, place.county, name="王科长")
    make_helper(county_officer, place.county, name="李股长")
    as_user(client, county_officer)
    response = client.post(reverse("twinning:helpers"), {"q": "王科长", "rank": ""})
    address = response["Location"]
    assert response.status_code == 302 and "王科长" not in unquote(address) and "qk=" in address
    page = text(client.get(address))
    assert "王科长" in page and "李股长" not in page
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert [h for h in hrefs if "export" in h and "qk=" in h] and not [h for h in hrefs if "王" in unquote(h)]
    assert "This search link has expired" in text(client.get(reverse("twinning:helpers"), {"qk": "x"}))


def test_a_bad_helper_form_shows_the_errors_and_saves_nothing(client, place, county_officer):
    as_user(client, county_officer)
    response = client.post(
        reverse("twinning:helper_new"),
        {"name": "", "unit": "", "rank": "", "area": place.county.code, "phone": "12"},
    )
    assert response.status_code == 200
    page = text(response)
    assert "Give the helper&#x27;s name." in page and "A phone number is 11 digits" in page
    assert not Helper.objects.exists()


def test_the_chinese_page_shows_the_321_ranks(client, place, county_officer):
    make_helper(county_officer, place.county)
    page = text(as_user(client, county_officer, "zh-hans").get(reverse("twinning:helpers")))
    assert "帮扶责任人" in page and "科级干部" in page and "0 / 2" in page


def test_a_helper_page_reveals_the_phone_with_an_audit_entry(client, place, county_officer):
    helper = make_helper(county_officer, place.county)
    as_user(client, county_officer)
    assert "139****1111" in text(client.get(reverse("twinning:helper", args=[helper.pk])))
    revealed = client.post(reverse("twinning:helper_reveal", args=[helper.pk]))
    assert "13900001111" in text(revealed)
    assert AuditEntry.objects.filter(action="reveal", object_type="helper").count() == 1


def test_a_helper_out_of_scope_is_not_found(client, place, county_officer, make_user):
    helper = make_helper(county_officer, place.county)
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    as_user(client, cadre)
    for route in ("twinning:helper", "twinning:helper_edit"):
        assert client.get(reverse(route, args=[helper.pk])).status_code == 404
    assert client.post(reverse("twinning:helper_reveal", args=[helper.pk])).status_code == 404


# ---------------------------------------------------------------- twinning on the household's pages


def test_twinning_from_the_household_page_and_the_quota_refusal(
    client, place, county_officer, household_factory
):
    helper = make_helper(county_officer, place.county, rank="general")  # quota 1
    first, second = household_factory(), household_factory()
    as_user(client, county_officer)
    detail = text(client.get(reverse("web:household", args=[first.pk])))
    assert "Helpers and visits" in detail and "No helper is twinned with this household now." in detail
    assert reverse("twinning:assign", args=[first.pk]) in detail
    form = text(client.get(reverse("twinning:assign", args=[first.pk])))
    assert "王科长" in form and "(0/1)" in form
    done = client.post(
        reverse("twinning:assign", args=[first.pk]), {"helper": helper.pk, "started_on": str(TODAY)}
    )
    assert done.status_code == 302
    assert "王科长" in text(client.get(reverse("web:household", args=[first.pk])))

    refused = client.post(
        reverse("twinning:assign", args=[second.pk]), {"helper": helper.pk, "started_on": str(TODAY)}
    )
    assert refused.status_code == 200
    assert "the county&#x27;s quota for this rank is 1" in text(refused)
    assert not Assignment.objects.filter(household=second).exists()

    empty = client.post(reverse("twinning:assign", args=[second.pk]), {"helper": "", "started_on": ""})
    assert "Choose a helper." in text(empty) and "Give the day the twinning starts." in text(empty)

    assignment = Assignment.objects.get(household=first)
    ended = client.post(
        reverse("twinning:assignment_end", args=[assignment.pk]), {"ended_on": str(TODAY), "reason": "调离"}
    )
    assert ended.status_code == 302
    assert (
        client.post(
            reverse("twinning:assign", args=[second.pk]), {"helper": helper.pk, "started_on": str(TODAY)}
        ).status_code
        == 302
    )


def test_twinning_pages_out_of_scope_are_not_found_and_forbidden_without_the_role(
    client, place, county_officer, household_factory, make_user
):
    inside = household_factory(place.village_a1)
    outside = household_factory(place.village_a2)
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    as_user(client, cadre)
    assert client.get(reverse("twinning:household", args=[inside.pk])).status_code == 200
    assert client.get(reverse("twinning:household", args=[outside.pk])).status_code == 404
    assert client.get(reverse("twinning:assign", args=[outside.pk])).status_code == 404
    assert client.get(reverse("twinning:assign", args=[inside.pk])).status_code == 403
    assert client.get(reverse("twinning:visit_add", args=[inside.pk])).status_code == 200
    assert client.post(reverse("twinning:visit_add", args=[outside.pk]), {}).status_code == 404


# ---------------------------------------------------------------- visits


def test_a_visit_with_a_photo_shows_on_the_household_page_and_the_photo_is_served_in_scope_only(
    client, place, village_cadre, household_factory, media, make_user
):
    household = household_factory()
    as_user(client, village_cadre)
    response = client.post(
        reverse("twinning:visit_add", args=[household.pk]),
        {
            "visited_on": str(TODAY - dt.timedelta(days=2)),
            "helper": "",
            "findings": "户主腿伤未愈",
            "follow_up": "联系乡卫生院",
            "risk_present": "yes",
            "photos": [SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")],
        },
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("twinning:visit", args=[visit.pk])
    photo = visit.photos.get()
    page = text(client.get(reverse("twinning:visit", args=[visit.pk])))
    assert "户主腿伤未愈" in page and reverse("twinning:photo", args=[photo.pk]) in page
    served = client.get(reverse("twinning:photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == JPEG
    detail = text(client.get(reverse("web:household", args=[household.pk])))
    assert "户主腿伤未愈" in detail and "2 days ago" in detail

    other = make_user(Role.VILLAGE_CADRE, place.village_a2.code)
    as_user(client, other)
    assert client.get(reverse("twinning:photo", args=[photo.pk])).status_code == 404
    assert client.get(reverse("twinning:visit", args=[visit.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("twinning:photo", args=[photo.pk])).status_code == 302  # to the login page


def test_a_bad_visit_form_shows_the_errors_and_keeps_nothing(
    client, place, village_cadre, household_factory, media
):
    household = household_factory()
    as_user(client, village_cadre)
    response = client.post(
        reverse("twinning:visit_add", args=[household.pk]),
        {
            "visited_on": str(TODAY),
            "findings": "",
            "photos": [SimpleUploadedFile("a.jpg", b"GIF89a not a jpeg", content_type="image/jpeg")],
        },
    )
    assert response.status_code == 200
    page = text(response)
    assert "Record what the visit found." in page
    assert "Say whether the risk is still present." in page
    assert "a.jpg is not a JPEG or PNG photo." in page
    assert not Visit.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_the_worklist_shows_the_last_visit_age(client, place, village_cadre, household_factory):
    visited, never = household_factory(), household_factory()
    casework.raise_clue(village_cadre, visited)
    casework.raise_clue(village_cadre, never)
    services.record_visit(
        actor=village_cadre,
        household=visited,
        visited_on=TODAY - dt.timedelta(days=40),
        findings="核实",
        risk_present=True,
    )
    as_user(client, village_cadre)
    page = text(client.get(reverse("cases:tasks")))
    assert "Last visit" in page
    assert "40 days ago" in page and "never visited" in page
    partial = text(client.get(reverse("cases:tasks"), HTTP_HX_REQUEST="true"))
    assert "40 days ago" in partial


def test_the_worklist_reads_the_visits_in_one_query(
    client, place, village_cadre, household_factory, django_assert_max_num_queries
):
    from fupin.twinning.templatetags.fupin_twinning import last_visit_ages

    households = [household_factory() for _ in range(4)]
    for household in households:
        casework.raise_clue(village_cadre, household)
        services.record_visit(
            actor=village_cadre, household=household, visited_on=TODAY, findings="核实", risk_present=True
        )

    class Request:
        user = village_cadre

    village_cadre.area_grants.count()  # warm nothing: the scope cache fills on first use below
    with django_assert_max_num_queries(2):  # the user's granted areas (cached after) and the visits
        ages = last_visit_ages({"request": Request()}, households)
    assert ages == {h.pk: 0 for h in households}


# ---------------------------------------------------------------- coverage and its export


@pytest.fixture
def coverage_data(place, county_officer, household_factory):
    uncovered = household_factory(household_type="lifted_out", status="lifted")
    covered = household_factory(household_type="lifted_out", status="lifted")
    monitored = household_factory(place.village_b1)
    registry.change_monitoring(
        actor=county_officer,
        household=monitored,
        expected_version=monitored.version,
        category="marginal",
        risk_types=["illness"],
        effective_from=TODAY,
        reason="核实",
    )
    helper = make_helper(county_officer, place.county, rank="general")
    services.assign(actor=county_officer, helper_id=helper.pk, household=covered, started_on=TODAY)
    # The county lowers general staff to 0: the helper is now over quota.
    services.save_county_settings(
        actor=county_officer,
        county=place.county,
        expected_version=None,
        ranks=[
            services.RankInput("county_leader", "", 3),
            services.RankInput("section", "", 2),
            services.RankInput("general", "", 0),
        ],
        min_members=3,
        min_term_months=24,
        require_first_secretary=True,
    )
    return uncovered, covered, monitored, helper


def test_the_coverage_page(client, county_officer, coverage_data, place):
    uncovered, covered, monitored, helper = coverage_data
    as_user(client, county_officer)
    page = text(client.get(reverse("twinning:coverage")))
    assert uncovered.number in page and monitored.number in page and covered.number not in page
    assert "王科长" in page  # over quota
    township = text(client.get(reverse("twinning:coverage"), {"area": place.township_b.code}))
    assert monitored.number in township and uncovered.number not in township


def test_the_coverage_export(client, county_officer, coverage_data, place):
    uncovered, covered, monitored, helper = coverage_data
    as_user(client, county_officer)
    response = client.get(reverse("twinning:coverage_export"), {"area": place.county.code})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    summary, households, helpers = (list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets)
    assert summary[-1][2:] == (3, 1, 2)
    numbers = [row[0] for row in households[1:]]
    assert sorted(numbers) == sorted([uncovered.number, monitored.number])
    phones = [row[5] for row in households[1:]]
    assert phones == ["138****5678", "138****5678"]
    assert "13812345678" not in str(households)
    assert helpers[1][:6] == ("王科长", "县农业农村局", "General staff (一般干部)", "139****1111", 1, 0)
    entry = AuditEntry.objects.get(action="export", object_type="twinning_coverage")
    assert entry.area_code == place.county.code
    assert entry.changes["households_without_helper"] == 2 and entry.changes["helpers_over_quota"] == 1


def test_the_export_is_forbidden_without_the_export_role(client, place, village_cadre, coverage_data):
    as_user(client, village_cadre)
    assert client.get(reverse("twinning:coverage_export")).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_coverage_of_a_village_cadre_stays_in_the_village(client, place, village_cadre, coverage_data):
    uncovered, covered, monitored, helper = coverage_data
    as_user(client, village_cadre)
    page = text(client.get(reverse("twinning:coverage"), {"area": place.county.code}))  # asks wider
    assert uncovered.number in page and monitored.number not in page


# ---------------------------------------------------------------- villages and the county's settings


def test_the_village_task_force_page_and_overview(client, place, county_officer, make_user):
    as_user(client, county_officer)
    village_url = reverse("twinning:village", args=[place.village_a1.code])
    assert "No task force member is recorded" in text(client.get(village_url))
    client.post(
        reverse("twinning:unit_add", args=[place.village_a1.code]),
        {"name": "县财政局", "started_on": str(TODAY - dt.timedelta(days=100))},
    )
    response = client.post(
        reverse("twinning:member_add", args=[place.village_a1.code]),
        {
            "name": "李书记",
            "unit": "县财政局",
            "role": "first_secretary",
            "term_start": str(TODAY - dt.timedelta(days=100)),
            "term_end": str(TODAY + dt.timedelta(days=700)),
        },
    )
    assert response.status_code == 302
    page = text(client.get(village_url))
    assert "李书记" in page and "1 members serve now; at least 3 are required." in page
    overview = text(client.get(reverse("twinning:villages"), {"show": "problems"}))
    assert place.village_a1.name in overview and place.village_a2.name not in overview
    untwinned = text(client.get(reverse("twinning:villages"), {"show": "untwinned"}))
    assert place.village_a2.name in untwinned

    bad = client.post(reverse("twinning:member_add", args=[place.village_a1.code]), {"name": "", "role": ""})
    assert bad.status_code == 200 and "Give the member&#x27;s name." in text(bad)
    assert TaskForceMember.objects.count() == 1

    outsider = make_user(Role.COUNTY_OFFICER, place.other_county_village.code)
    as_user(client, outsider)
    assert client.get(village_url).status_code == 404
    assert client.post(reverse("twinning:member_add", args=[place.village_a1.code]), {}).status_code == 404


def test_the_county_settings_page(client, place, county_officer, village_cadre):
    as_user(client, county_officer)
    url = reverse("twinning:settings")
    page = text(client.get(url))
    assert "“321”" in page
    data = {
        "rank_county_leader_name": "County leader (县级领导)",
        "rank_county_leader_households": "5",
        "rank_section_name": "Section level (科级)",
        "rank_section_households": "3",
        "rank_general_name": "General staff (一般干部)",
        "rank_general_households": "1",
        "rank_new_name": "副科级",
        "rank_new_households": "2",
        "min_members": "3",
        "min_term_months": "24",
        "require_first_secretary": "on",
        "version": "",
    }
    assert client.post(url, data).status_code == 302
    ranks = {r.code: (r.name, r.households) for r in RankQuota.objects.filter(county=place.county)}
    assert ranks["county_leader"] == ("", 5)  # the built-in label stays translatable
    assert ("副科级", 2) in ranks.values()
    bad = client.post(url, {**data, "rank_section_households": "-1", "version": "1", "min_members": "0"})
    assert bad.status_code == 200 and "A quota is a number of households from 0 to 50." in text(bad)
    assert RankQuota.objects.get(county=place.county, code="section").households == 3

    as_user(client, village_cadre)
    read_only = text(client.get(url))
    assert "Only the county's officers change these." in read_only
    assert "None" not in read_only, "an empty value is printed as None"
    assert "副科级" in read_only and "2" in read_only
    assert client.post(url, data).status_code == 403
