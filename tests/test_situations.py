"""Important situation reports (重要情况报告): reported up at once from a village, the county and the
province told in the application and by text, each level acknowledging once, followed up both ways."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from fupin.accounts import services as accounts
from fupin.accounts.roles import Role
from fupin.cases import notify
from fupin.cases.models import Notification
from fupin.core import clock
from fupin.supervision.models import SituationReport, SituationUpdate


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_OUTBOX = tmp_path / "outbox.log"

    def sent() -> list[dict]:
        if not settings.SMS_OUTBOX.exists():
            return []
        return [json.loads(line) for line in settings.SMS_OUTBOX.read_text(encoding="utf-8").splitlines()]

    return sent


@pytest.fixture
def people(place, make_user):
    def with_phone(role, code, phone):
        return accounts.create_user(
            username=f"{role}-phone",
            role=role,
            area_codes=[code],
            password="correct-horse-9",
            phone_number=phone,
        )

    return {
        "cadre": make_user(Role.VILLAGE_CADRE, place.village_a1.code),
        "county": with_phone(Role.COUNTY_OFFICER, place.county.code, "13900001111"),
        "admin": make_user(Role.COUNTY_ADMIN, place.county.code),
        "province": make_user(Role.PROVINCE_VIEWER, "22"),
        "other_county": make_user(Role.COUNTY_OFFICER, "220821"),
        "neighbour": make_user(Role.VILLAGE_CADRE, place.village_b1.code),
    }


def _as(client, user, language="en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


GOOD = {
    "kind": "disaster",
    "title": "暴雨致房屋受损",
    "households_affected": "12",
    "people_affected": "35",
    "description": "8月暴雨，一村12户房屋进水，3户墙体开裂。",
    "measures": "已转移安置，镇里组织排查。",
}


def _report(client, place, django_capture_on_commit_callbacks, **values):
    body = {**GOOD, "area": place.village_a1.code, "occurred_on": clock.today().isoformat(), **values}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("supervision:situation_new"), body)


def test_a_village_reports_and_the_county_and_province_are_told_at_once(
    client, place, people, outbox, django_capture_on_commit_callbacks
):
    response = _report(_as(client, people["cadre"]), place, django_capture_on_commit_callbacks)
    report = SituationReport.objects.get()
    assert response["Location"] == reverse("supervision:situation", args=[report.pk])
    told = set(Notification.objects.filter(kind="situation_reported").values_list("recipient", flat=True))
    assert told == {people["county"].pk, people["admin"].pk, people["province"].pk}
    notification = Notification.objects.get(recipient=people["county"])
    assert notification.params["link"] == reverse("supervision:situation", args=[report.pk])
    assert "暴雨致房屋受损" in notify.text_of(notification)
    # by text to the county officer who has a phone: the title, never a household's identifiers
    texts = [m for m in outbox() if m["to"].startswith("139")]
    assert len(texts) == 1 and "暴雨致房屋受损" in texts[0]["text"]

    client.logout()
    notifications = _as(client, people["county"]).get(reverse("cases:notifications")).content.decode()
    assert reverse("supervision:situation", args=[report.pk]) in notifications


def test_a_bad_report_says_every_problem_and_tells_nobody(
    client, place, people, outbox, django_capture_on_commit_callbacks
):
    response = _report(
        _as(client, people["cadre"]),
        place,
        django_capture_on_commit_callbacks,
        title="",
        occurred_on=(clock.today() + dt.timedelta(days=1)).isoformat(),
        households_affected="12",
        people_affected="5",
        description="联系人电话 13912345678",
    )
    assert response.status_code == 200
    page = response.content.decode()
    for message in (
        "Give the situation a short title.",
        "The day it happened cannot be in the future.",
        "Every household affected has at least one person affected.",
        "Leave ID numbers and phone numbers out",
    ):
        assert message in page, message
    assert not SituationReport.objects.exists() and not Notification.objects.exists() and outbox() == []

    negative = _report(client, place, django_capture_on_commit_callbacks, households_affected="-3")
    assert negative.status_code == 200 and "Give a number from 0 to 10,000,000." in negative.content.decode()
    outside = _report(client, place, django_capture_on_commit_callbacks, area=place.village_b1.code)
    assert outside.status_code == 200 and not SituationReport.objects.exists()


def test_each_level_acknowledges_once_and_the_village_cannot(
    client, place, people, django_capture_on_commit_callbacks
):
    _report(_as(client, people["cadre"]), place, django_capture_on_commit_callbacks)
    report = SituationReport.objects.get()
    acknowledge = reverse("supervision:situation_acknowledge", args=[report.pk])
    assert client.post(acknowledge).status_code == 403

    client.logout()
    _as(client, people["county"])
    page = client.get(reverse("supervision:situation", args=[report.pk])).content.decode()
    assert acknowledge in page
    client.post(acknowledge)
    report.refresh_from_db()
    assert report.county_acknowledged_by == people["county"] and report.province_acknowledged_at is None
    client.logout()
    _as(client, people["admin"])
    again = client.post(acknowledge, follow=True).content.decode()
    assert "The county acknowledged this report already." in again
    report.refresh_from_db()
    assert report.county_acknowledged_by == people["county"]

    client.logout()
    _as(client, people["province"])
    waiting = client.get(reverse("supervision:situations"), {"waiting": "1"}).content.decode()
    assert "暴雨致房屋受损" in waiting
    client.post(acknowledge)
    report.refresh_from_db()
    assert report.province_acknowledged_by == people["province"]
    waiting = client.get(reverse("supervision:situations"), {"waiting": "1"}).content.decode()
    assert "暴雨致房屋受损" not in waiting

    # another county and the next village do not see it at all
    for outsider in ("other_county", "neighbour"):
        client.logout()
        _as(client, people[outsider])
        assert client.get(reverse("supervision:situation", args=[report.pk])).status_code == 404
        assert "暴雨致房屋受损" not in client.get(reverse("supervision:situations")).content.decode()


def test_a_follow_up_from_either_side_tells_the_other(
    client, place, people, django_capture_on_commit_callbacks
):
    _report(_as(client, people["cadre"]), place, django_capture_on_commit_callbacks)
    report = SituationReport.objects.get()
    follow_up = reverse("supervision:situation_follow_up", args=[report.pk])
    client.logout()
    _as(client, people["province"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(follow_up, {"text": "请于明日12时前报送受灾户名单及安置情况。"})
    assert Notification.objects.filter(recipient=people["cadre"], kind="situation_updated").exists()

    client.logout()
    _as(client, people["cadre"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(follow_up, {"text": "已全部安置，无人员伤亡。"})
        client.post(follow_up, {"text": ""})  # refused: nothing written
    assert list(SituationUpdate.objects.values_list("text", flat=True)) == [
        "请于明日12时前报送受灾户名单及安置情况。",
        "已全部安置，无人员伤亡。",
    ]
    assert Notification.objects.filter(recipient=people["province"], kind="situation_updated").count() == 1


def test_the_reports_page_in_chinese(client, place, people, django_capture_on_commit_callbacks):
    _as(client, people["cadre"], "zh-hans")
    empty = client.get(reverse("supervision:situations")).content.decode()
    assert "重要情况" in empty and "Important" not in empty
    _report(client, place, django_capture_on_commit_callbacks)
    page = client.get(
        reverse("supervision:situation", args=[SituationReport.objects.get().pk])
    ).content.decode()
    assert "自然灾害" in page and "未确认" in page
