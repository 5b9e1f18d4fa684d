"""The pages of posts, workshops, returned workers, training and grants as county staff and village
cadres use them: the county page's one-workshop check, a refusal shown on its field in Chinese, a
cadre's follow-up of a returned worker on the phone form moving the county's figure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.core.clock import pretend_today
from fupin.employment import posts, returned, workshops
from fupin.employment.models import EmploymentRecord, Post, PostMonth, Workshop

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
    def make(village=None, household_type="lifted_out"):
        return household_factory(village or place.village_a1, household_type=household_type).members.get()

    return make


def test_the_county_page_shows_the_one_workshop_check_until_one_is_recognised(
    client, county_officer, place, labourer
):
    as_user(client, county_officer)
    page = client.get(reverse("employment:area", args=[place.county.code])).content.decode()
    assert "At least one help workshop per county" in page and "Not met" in page
    shop = workshops.register_workshop(
        actor=county_officer,
        data=workshops.WorkshopInput(
            name="服装车间", workshop_type="factory", operator="某公司", area=place.township_a
        ),
    )
    for _ in range(5):
        workshops.add_worker(
            actor=county_officer,
            workshop=shop,
            member=labourer(),
            start_month=dt.date(2026, 1, 1),
            monthly_pay_fen=200_000,
        )
    answer = client.post(reverse("employment:workshop", args=[shop.pk]), {"action": "recognise"})
    assert answer.status_code == 302
    page = client.get(reverse("employment:area", args=[place.county.code])).content.decode()
    assert "Met" in page and "Not met" not in page
    # Villages have no such check.
    assert (
        "At least one help workshop"
        not in client.get(reverse("employment:area", args=[place.village_a1.code])).content.decode()
    )


def test_a_county_creates_a_post_and_a_cadre_appoints_and_records_months(
    client, county_officer, place, make_user, labourer
):
    as_user(client, county_officer)
    answer = client.post(
        reverse("employment:posts", args=[place.county.code]),
        {
            "code": "GY-7",
            "title": "保洁员",
            "kind": "ordinary",
            "area": place.village_a1.code,
            "monthly_subsidy": "800.50",
            "term_start": "2026-01",
            "term_end": "2026-12",
        },
    )
    post = Post.objects.get(code="GY-7")
    assert answer.status_code == 302 and post.monthly_subsidy_fen == 80_050
    person = labourer()
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    as_user(client, cadre)
    url = reverse("employment:post", args=[post.pk])
    assert (
        client.post(url, {"action": "appoint", "a-member": person.pk, "a-start_month": "2026-02"}).status_code
        == 302
    )
    holding = post.holdings.get()
    assert (
        client.post(url, {"action": "month", "m-holding": holding.pk, "m-month": "2026-03"}).status_code
        == 302
    )
    assert PostMonth.objects.get(holding=holding).subsidy_fen == 80_050
    page = client.get(url).content.decode()
    assert person.name in page and "800.50" in page
    # A cadre cannot create posts: the role is named.
    refused = client.post(reverse("employment:posts", args=[place.village_a1.code]), {"code": "X"})
    assert refused.status_code == 403


def test_a_refused_appointment_is_shown_on_its_field_in_chinese(client, county_officer, place, labourer):
    post = posts.create_post(
        actor=county_officer,
        data=posts.PostInput(
            code="LS-1",
            title="临时防疫岗",
            kind="special",
            area=place.village_a1,
            monthly_subsidy_fen=100_000,
            term_start=dt.date(2026, 1, 1),
            term_end=dt.date(2026, 12, 1),
            temporary=True,
        ),
    )
    as_user(client, county_officer, "zh-hans")
    page = client.post(
        reverse("employment:post", args=[post.pk]),
        {
            "action": "appoint",
            "a-member": labourer().pk,
            "a-start_month": "2026-01",
            "a-end_month": "2026-06",
        },
    ).content.decode()
    assert "error-text" in page and "未保存" in page
    assert not post.holdings.exists()


def test_a_cadre_follows_up_a_returned_worker_with_new_work_and_the_county_figure_moves(
    client, county_officer, place, make_user, labourer
):
    person = labourer()
    task = returned.record_return(actor=county_officer, member=person, returned_on=dt.date(2026, 6, 1))
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    as_user(client, cadre)
    listing = client.get(reverse("employment:returned", args=[place.village_a1.code])).content.decode()
    assert person.name in listing and "Open" in listing
    form = client.get(reverse("employment:returned_task", args=[task.pk])).content.decode()
    assert 'class="record-form mobile-form"' in form
    answer = client.post(
        reverse("employment:returned_task", args=[task.pk]),
        {
            "help_kind": "new_job",
            "status": "working",
            "start_month": "2026-06",
            "place": "county",
            "kind": "workshop",
            "employer": "县服装车间",
            "monthly_income": "2600",
            "current": "",
        },
    )
    assert answer.status_code == 302
    assert EmploymentRecord.objects.get(member=person).employer == "县服装车间"
    as_user(client, county_officer)
    page = client.get(
        reverse("employment:area", args=[place.county.code]) + "?year=2026&month=6"
    ).content.decode()
    assert "<strong>1</strong>" in page
    with pretend_today(dt.date(2026, 7, 1)):
        assert returned.status(type(task).objects.get(pk=task.pk)) == returned.DONE


def test_courses_and_grants_pages(client, county_officer, place, labourer):
    as_user(client, county_officer)
    answer = client.post(
        reverse("employment:courses", args=[place.county.code]),
        {
            "title": "电工",
            "trade": "电工",
            "provider": "县职校",
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-30",
            "hours": "80",
        },
    )
    assert answer.status_code == 302
    course_url = answer["Location"]
    person = labourer()
    assert client.post(course_url, {"action": "enrol", "e-member": person.pk}).status_code == 302
    assert person.name in client.get(course_url).content.decode()
    grant = client.post(
        reverse("employment:grants", args=[place.county.code]),
        {
            "member": person.pk,
            "school": "通榆县职教中心",
            "level": "secondary",
            "school_year": "2025",
            "amount": "3000",
        },
    )
    assert grant.status_code == 302
    assert "3,000.00" in client.get(reverse("employment:grants", args=[place.county.code])).content.decode()
    assert Workshop.objects.count() == 0
