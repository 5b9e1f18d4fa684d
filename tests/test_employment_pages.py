"""Employment pages as a village cadre and a county's staff use them: the phone-sized form, the
household panel, the area's progress with its empty state, the targets form."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.core.clock import pretend_today
from fupin.employment.models import EmploymentRecord, Target

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    from django.utils.translation.reloader import translation_file_changed

    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    clock_file = tmp_path / "clock"
    clock_file.write_text(TODAY.isoformat())
    settings.CLOCK_FILE = str(clock_file)
    with pretend_today(TODAY):
        yield


def as_user(client, user, language="en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


@pytest.fixture
def labourer(household_factory, place):
    return household_factory(place.village_a1, household_type="lifted_out", status="lifted").members.get()


def test_a_cadre_records_work_on_the_phone_form_and_the_household_panel_shows_it(
    client, make_user, labourer, place
):
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    as_user(client, cadre)
    url = reverse("employment:member", args=[labourer.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert 'class="record-form mobile-form"' in form.content.decode()
    assert 'type="month"' in form.content.decode()
    answer = client.post(
        url,
        {
            "status": "working",
            "start_month": "2026-03",
            "place": "other_province",
            "province_code": "44",
            "kind": "enterprise",
            "employer": "东莞某电子厂",
            "monthly_income": "5100",
            "current": "",
        },
    )
    assert answer.status_code == 302
    page = client.get(reverse("web:household", args=[labourer.household_id])).content.decode()
    assert "东莞某电子厂" in page and "广东省" in page and "5100" in page
    # A second save on the same form (opened before the first) is refused, nothing added.
    again = client.post(url, {"status": "unable", "start_month": "2026-05", "current": ""}, follow=True)
    assert "Someone else saved this record" in again.content.decode()
    assert EmploymentRecord.objects.filter(member=labourer).count() == 1


def test_a_wrong_entry_names_each_field_in_chinese_and_saves_nothing(client, make_user, labourer, place):
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    as_user(client, cadre, "zh-hans")
    answer = client.post(
        reverse("employment:member", args=[labourer.pk]),
        {"status": "working", "start_month": "2026-05", "monthly_income": "-3", "current": ""},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    body = answer.content.decode()
    assert answer.status_code == 200
    assert "请填写务工地点。" in body and "请填写就业类型。" in body
    assert not EmploymentRecord.objects.exists()


def test_the_area_page_has_a_helpful_empty_state_then_the_figures(client, county_officer, labourer, place):
    as_user(client, county_officer)
    before = client.get(reverse("employment:area", args=[place.county.code])).content.decode()
    assert "No labour-capable person" not in before  # a labourer is registered, not yet recorded
    from fupin.employment import services
    from fupin.employment.services import RecordInput

    services.record_employment(
        actor=county_officer,
        member=labourer,
        data=RecordInput(
            status="working",
            start_month=dt.date(2026, 1, 1),
            place="county",
            kind="workshop",
            monthly_income=2600,
        ),
        expected_current=None,
    )
    page = client.get(reverse("employment:area", args=[place.county.code]) + "?year=2026&month=6")
    body = page.content.decode()
    assert page.status_code == 200
    assert "开通镇" in body and "瞻榆镇" in body and "Help workshop" in body


def test_an_area_without_labourers_says_what_to_do(client, county_officer, place):
    as_user(client, county_officer)
    body = client.get(reverse("employment:area", args=[place.township_b.code])).content.decode()
    assert "Record work" in body and "No labour-capable person" in body


def test_the_county_sets_its_townships_targets_all_or_nothing(client, make_user, place):
    admin = make_user(Role.COUNTY_ADMIN, place.county.code)
    as_user(client, admin)
    url = reverse("employment:targets", args=[place.county.code])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"year": "2026", "t_220822100": "40", "t_220822200": "-1"})
    assert refused.status_code == 200 and not Target.objects.exists()
    saved = client.post(url, {"year": "2026", "t_220822100": "40", "t_220822200": "25"})
    assert saved.status_code == 302
    assert sorted(Target.objects.values_list("area__code", "persons", "set_by")) == [
        ("220822100", 40, admin.pk),
        ("220822200", 25, admin.pk),
    ]
    body = client.get(reverse("employment:area", args=[place.county.code]) + "?year=2026").content.decode()
    assert ">65<" in body  # the county's target is the sum of its townships'
    # Its own county's target is not the county's to set.
    assert client.get(reverse("employment:targets", args=[place.county.parent.code])).status_code == 404
