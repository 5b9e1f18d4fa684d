"""Supervision over the API: a problem recorded once whatever the retries, every problem of a bad body
at once, the lists scoped; a situation reported up tells the county; a county fills its scheduling
report, the system's figures are not typed over, and a submitted one is not changed."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.areas.models import AreaLevel
from fupin.cases.models import Notification
from fupin.core import clock
from fupin.supervision import scheduling
from fupin.supervision.models import Problem, ReportSubmission, SituationReport

API = "/api/v1"


@pytest.fixture
def people(place, make_user):
    return {
        "county": make_user(Role.COUNTY_OFFICER, place.county.code, password=None),
        "cadre": make_user(Role.VILLAGE_CADRE, place.village_a1.code, password=None),
        "neighbour": make_user(Role.VILLAGE_CADRE, place.village_b1.code, password=None),
        "province": make_user(Role.PROVINCE_VIEWER, "22", password=None),
    }


def _call(client, user, method, path, body=None, **headers):
    headers = {"Authorization": f"Bearer {issue_token(user=user)}", "Accept-Language": "en", **headers}
    send = getattr(client, method.lower())
    if body is None:
        return send(API + path, headers=headers)
    return send(API + path, body, content_type="application/json", headers=headers)


PROBLEM = {
    "source": "complaint",
    "kind": "assistance",
    "severity": "serious",
    "description": "12317热线反映帮扶措施未落实",
}


def test_a_problem_is_recorded_once_and_a_bad_one_says_everything(client, place, people):
    body = {**PROBLEM, "area_code": place.village_a1.code}
    key = {"Idempotency-Key": "complaint-0001"}
    first = _call(client, people["county"], "POST", "/problems", body, **key)
    again = _call(client, people["county"], "POST", "/problems", body, **key)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and first.json() == again.json()
    assert Problem.objects.count() == 1 and first.json()["status"] == "pending"

    bad = _call(
        client,
        people["county"],
        "POST",
        "/problems",
        {**PROBLEM, "area_code": "220821100201", "description": "电话 13912345678", "deadline": "2000-01-01"},
    )
    assert bad.status_code == 422
    fields = {item["loc"][-1] for item in bad.json()["detail"]}
    assert {"area", "description", "deadline"} <= fields
    assert Problem.objects.count() == 1
    # a village cadre may fix problems but not record them
    assert _call(client, people["cadre"], "POST", "/problems", body).status_code == 403

    mine = _call(client, people["cadre"], "GET", "/problems").json()
    assert [p["id"] for p in mine["items"]] == [first.json()["id"]]
    assert _call(client, people["neighbour"], "GET", "/problems").json()["count"] == 0
    assert _call(client, people["neighbour"], "GET", f"/problems/{first.json()['id']}").status_code == 404
    assert (
        _call(client, people["neighbour"], "GET", f"/problems?area_code={place.village_a1.code}").status_code
        == 404
    )


def test_a_situation_reported_over_the_api_tells_the_county(
    client, place, people, django_capture_on_commit_callbacks
):
    body = {
        "kind": "disaster",
        "area_code": place.village_a1.code,
        "title": "冰雹",
        "occurred_on": clock.today().isoformat(),
        "households_affected": 4,
        "people_affected": 11,
        "description": "冰雹致玉米绝收",
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer = _call(client, people["cadre"], "POST", "/situations", body, **{"Idempotency-Key": "hail-1"})
    assert answer.status_code == 201 and answer.json()["county_acknowledged_at"] is None
    assert Notification.objects.filter(recipient=people["county"], kind="situation_reported").exists()
    listed = _call(client, people["province"], "GET", "/situations?waiting=true").json()
    assert [s["title"] for s in listed["items"]] == ["冰雹"]
    wrong = _call(client, people["cadre"], "POST", "/situations", {**body, "people_affected": 2})
    assert wrong.status_code == 422 and SituationReport.objects.count() == 1


def test_a_county_fills_its_report_over_the_api(client, place, people):
    issued = scheduling.issue_round(
        actor=people["province"],
        data=scheduling.RoundInput(
            form_code="monthly_monitoring",
            issuer_code="2208",
            filler_level=int(AreaLevel.COUNTY),
            period=clock.today().strftime("%Y-%m"),
            deadline=clock.today() + dt.timedelta(days=2),
        ),
    )
    mine = ReportSubmission.objects.get(round=issued, area__code="220822")
    listed = _call(client, people["county"], "GET", "/reports/to-fill").json()
    assert [s["id"] for s in listed["items"]] == [mine.pk]
    fields = {f["code"]: f for f in listed["items"][0]["fields"]}
    assert fields["monitored_households"]["from_system"] and not fields["problems_found"]["from_system"]

    path = f"/reports/submissions/{mine.pk}"
    bad = _call(
        client, people["county"], "PUT", path, {"values": {"problems_found": "x", "problems_fixed": -1}}
    )
    assert bad.status_code == 422
    assert {item["loc"][-1] for item in bad.json()["detail"]} == {"problems_found", "problems_fixed"}
    good = {"values": {"problems_found": 3, "problems_fixed": 2, "monitored_households": 999}, "submit": True}
    done = _call(client, people["county"], "PUT", path, good)
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert done.json()["values"]["problems_found"] == "3"
    assert done.json()["values"].get("monitored_households") != "999"  # never typed over
    assert _call(client, people["county"], "PUT", path, good).status_code == 409
    other = ReportSubmission.objects.get(round=issued, area__code="220821")
    assert _call(client, people["county"], "GET", f"/reports/submissions/{other.pk}").status_code == 404
