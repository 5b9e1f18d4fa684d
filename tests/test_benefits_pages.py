"""The benefits pages as a county uses them: open a programme, enter, approve in a batch, decide."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.benefits.models import Application, ApplicationStatus, Opening
from fupin.pii.crypto import get_cipher

ZH = {"Accept-Language": "zh-hans"}
YEAR = dt.date.today().year


@pytest.fixture
def admin(place, make_user):
    return make_user(Role.COUNTY_ADMIN, "220822")


@pytest.fixture
def reviewer(place, make_user):
    return make_user(Role.BENEFIT_REVIEWER, "220822")


@pytest.fixture
def transport(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("benefits:open"),
        {"programme": "jilin:transport_subsidy", "county": "220822", "year": YEAR, "public_notice": "on"},
    )
    assert response.status_code == 302
    client.logout()
    return Opening.objects.get(programme="transport_subsidy")


def id_number_of(household):
    return get_cipher().decrypt(household.members.get().id_number_enc)


def test_an_empty_benefits_page_says_what_to_do(client, county_officer):
    client.force_login(county_officer)
    page = client.get(reverse("benefits:openings"), headers=ZH).content.decode()
    assert "还没有开办补贴项目" in page


def test_a_clerk_enters_and_a_reviewer_approves_in_a_batch(
    client, county_officer, reviewer, transport, household_factory
):
    workers = [id_number_of(household_factory(household_type="lifted_out")) for _ in range(3)]
    client.force_login(county_officer)
    for number, fare in zip(workers, ("800", "1700", "500"), strict=True):
        response = client.post(
            reverse("benefits:application_create", args=[transport.pk]),
            {
                "applied_on": dt.date.today().isoformat(),
                "id_number": number,
                "fact_inter_provincial": "yes",
                "fact_contract_months": "12",
                "fact_fare": fare,
            },
            headers=ZH,
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    detail = client.get(reverse("benefits:opening", args=[transport.pk]) + "?status=entered", headers=ZH)
    page = detail.content.decode()
    assert "1,600.00" in page and "核减 100.00 元" in page  # the 1,700 fare cut to the cap, and why
    assert 'name="application"' not in page  # a clerk has no approve boxes

    client.force_login(reviewer)
    page = client.get(
        reverse("benefits:opening", args=[transport.pk]) + "?status=entered", headers=ZH
    ).content.decode()
    assert page.count('name="application"') == 3
    ids = list(Application.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("benefits:approve", args=[transport.pk]), {"application": ids}, headers=ZH, follow=True
    )
    assert "3 份申请已审核通过，共 2,900.00 元" in response.content.decode()
    assert set(Application.objects.values_list("status", flat=True)) == {ApplicationStatus.APPROVED}


def test_the_form_reports_every_problem_in_chinese_and_saves_nothing(client, county_officer, transport):
    client.force_login(county_officer)
    response = client.post(
        reverse("benefits:application_create", args=[transport.pk]),
        {
            "applied_on": dt.date.today().isoformat(),
            "id_number": "220822198005171234",
            "fact_inter_provincial": "",
            "fact_contract_months": "-1",
            "fact_fare": "abc",
        },
        headers=ZH,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "不能为负数" in page and "请填写数字" in page and "身份证号" in page
    assert Application.objects.count() == 0


def test_a_village_cadre_is_told_who_enters_applications(client, village_cadre, transport):
    client.force_login(village_cadre)
    response = client.get(reverse("benefits:application_create", args=[transport.pk]), headers=ZH)
    assert response.status_code == 403
    assert "录入补贴申请" in response.content.decode()


def test_a_return_needs_a_reason_and_the_clerk_sees_it(
    client, county_officer, reviewer, transport, household_factory
):
    client.force_login(county_officer)
    client.post(
        reverse("benefits:application_create", args=[transport.pk]),
        {
            "applied_on": dt.date.today().isoformat(),
            "id_number": id_number_of(household_factory(household_type="lifted_out")),
            "fact_inter_provincial": "yes",
            "fact_contract_months": "12",
            "fact_fare": "600",
        },
    )
    application = Application.objects.get()
    client.force_login(reviewer)
    client.post(reverse("benefits:decide", args=[application.pk]), {"decision": "return", "reason": ""})
    assert Application.objects.get().status == ApplicationStatus.ENTERED
    client.post(
        reverse("benefits:decide", args=[application.pk]), {"decision": "return", "reason": "缺少车票"}
    )
    client.force_login(county_officer)
    page = client.get(reverse("benefits:application", args=[application.pk]), headers=ZH).content.decode()
    assert "缺少车票" in page and "退回修改" in page


def test_another_countys_application_is_not_found(
    client, make_user, county_officer, transport, household_factory
):
    client.force_login(county_officer)
    client.post(
        reverse("benefits:application_create", args=[transport.pk]),
        {
            "applied_on": dt.date.today().isoformat(),
            "id_number": id_number_of(household_factory(household_type="lifted_out")),
            "fact_inter_provincial": "yes",
            "fact_contract_months": "12",
            "fact_fare": "600",
        },
    )
    outsider = make_user(Role.COUNTY_OFFICER, "220821")
    client.force_login(outsider)
    application = Application.objects.get()
    assert client.get(reverse("benefits:application", args=[application.pk])).status_code == 404
    assert client.get(reverse("benefits:opening", args=[transport.pk])).status_code == 404
