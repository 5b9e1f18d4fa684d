"""The helpers' visit log through /api/v1: listing visits in scope with filters, recording a visit with
the page's rules and audit, field-level 422s, roles and areas, and an Idempotency-Key on the push."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from fupin.accounts.roles import Capability, Role, has_capability
from fupin.accounts.services import issue_token
from fupin.api.models import IdempotencyKey
from fupin.audit.models import AuditEntry
from fupin.twinning.models import Assignment, Helper, Visit

API = "/api/v1"
TODAY = dt.date.today()


def _headers(user, language: str = "en", key: str | None = None) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {issue_token(user=user, keep_others=True)}",
        "Accept-Language": language,
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def _get(client: Client, user, path: str, **params):
    return client.get(API + path, params, headers=_headers(user))


def _post(client: Client, user, household, body: dict, *, key: str | None = None, language: str = "en"):
    household_id = household if isinstance(household, int) else household.pk
    return client.post(
        f"{API}/households/{household_id}/visits",
        json.dumps(body),
        content_type="application/json",
        headers=_headers(user, language, key),
    )


@pytest.fixture
def twinned(place, household_factory):
    """A household in 一村 and one in 二村, each twinned for a month with a helper of its village."""
    inside = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    outside = household_factory(place.village_a2, household_type="lifted_out", status="lifted")
    helpers = []
    for household in (inside, outside):
        helper = Helper.objects.create(
            name=f"帮扶{household.number[-3:]}", unit="县财政局", rank="general", area=household.village
        )
        Assignment.objects.create(
            helper=helper, household=household, started_on=TODAY - dt.timedelta(days=30)
        )
        helpers.append(helper)
    return inside, outside, helpers[0], helpers[1]


def _visit(household, helper, days_ago: int, *, risk: bool = False) -> Visit:
    return Visit.objects.create(
        household=household,
        helper=helper,
        visited_on=TODAY - dt.timedelta(days=days_ago),
        visitor_name=helper.name if helper else "村干部",
        findings=f"{days_ago}天前走访",
        risk_present=risk,
    )


BODY = {"findings": "家中收入稳定，孩子已返校", "follow_up": "下月再访", "risk_present": False}


def test_a_cadre_records_a_visit_by_the_households_helper(client, village_cadre, twinned):
    inside, _, helper, _ = twinned
    body = {**BODY, "visited_on": str(TODAY - dt.timedelta(days=1)), "helper_id": helper.pk}
    response = _post(client, village_cadre, inside, body)
    assert response.status_code == 201, response.content
    answer = response.json()
    visit = Visit.objects.get()
    assert answer["id"] == visit.pk and answer["household_number"] == inside.number
    assert (answer["helper_id"], answer["visitor_name"]) == (helper.pk, helper.name)
    assert answer["visited_on"] == body["visited_on"] and answer["risk_present"] is False
    assert (answer["findings"], answer["follow_up"], answer["photos"]) == (BODY["findings"], "下月再访", 0)
    assert visit.recorded_by == village_cadre
    # Audited as the page's visit is, by the same service.
    entry = AuditEntry.objects.filter(object_type="visit").get()
    assert entry.action == "create" and entry.actor == village_cadre
    assert entry.object_id == str(visit.pk) and entry.area_code == inside.village.code
    # Without a helper the cadre who records it went.
    mine = _post(client, village_cadre, inside, {**BODY, "visited_on": str(TODAY)})
    assert mine.status_code == 201
    assert mine.json()["helper_id"] is None
    assert mine.json()["visitor_name"] == (village_cadre.get_full_name() or village_cadre.username)


def test_every_problem_comes_back_at_once_with_its_field(client, village_cadre, twinned):
    inside, _, _, other_helper = twinned
    body = {"visited_on": str(TODAY + dt.timedelta(days=1)), "helper_id": other_helper.pk, "findings": " "}
    response = _post(client, village_cadre, inside, body)
    assert response.status_code == 422
    fields = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert fields == {
        ("body", "visited_on"),
        ("body", "findings"),
        ("body", "risk_present"),
        ("body", "helper_id"),
    }
    chinese = _post(client, village_cadre, inside, body, language="zh-hans").json()["detail"]
    messages = {item["loc"][1]: item["msg"] for item in chinese}
    assert messages["visited_on"] == "日期不能晚于今天。", messages
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in msg) for msg in messages.values()), messages
    too_long = _post(
        client, village_cadre, inside, {**BODY, "visited_on": str(TODAY), "findings": "访" * 4001}
    )
    assert too_long.status_code == 422
    assert [item["loc"] for item in too_long.json()["detail"]] == [["body", "findings"]]
    # A helper twinned only after the day of the visit did not make it.
    _, _, helper, _ = twinned
    early = {**BODY, "visited_on": str(TODAY - dt.timedelta(days=40)), "helper_id": helper.pk}
    assert [i["loc"] for i in _post(client, village_cadre, inside, early).json()["detail"]] == [
        ["body", "helper_id"]
    ]
    assert not Visit.objects.exists() and not AuditEntry.objects.filter(object_type="visit").exists()


@pytest.mark.parametrize("role", Role.values)
def test_who_may_record_and_where(client, make_user, place, twinned, role):
    inside, outside, _, _ = twinned
    user = make_user(role, place.village_a1.code)
    body = {**BODY, "visited_on": str(TODAY)}
    answer = _post(client, user, inside, body)
    may = has_capability(role, Capability.RECORD_VISITS)
    assert answer.status_code == (201 if may else 403), answer.content
    if not may:
        assert answer.json()["detail"]  # the refusal names the role and who may
    away = _post(client, user, outside, body)
    assert away.status_code == 404
    assert away.json() == _post(client, user, 999999, body).json()
    assert Visit.objects.filter(household=outside).count() == 0
    # Read-only in the village (view scope, no capture): the record is not theirs to change.
    if may:
        reader = make_user(role, place.village_a1.code, capture=False)
        assert _post(client, reader, inside, body).status_code == 404


def test_a_retry_with_the_same_key_records_once(client, village_cadre, twinned):
    inside, _, _, _ = twinned
    body = {**BODY, "visited_on": str(TODAY)}
    first = _post(client, village_cadre, inside, body, key="visit-0001")
    again = _post(client, village_cadre, inside, body, key="visit-0001")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Visit.objects.count() == 1 and AuditEntry.objects.filter(object_type="visit").count() == 1
    changed = _post(client, village_cadre, inside, {**body, "findings": "另一次走访"}, key="visit-0001")
    assert changed.status_code == 422
    assert changed.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert Visit.objects.count() == 1
    # Another key is another visit (a cadre may well visit twice a day).
    assert _post(client, village_cadre, inside, body, key="visit-0002").status_code == 201
    assert Visit.objects.count() == 2


def test_a_refused_visit_leaves_the_key_unused(client, village_cadre, twinned):
    inside, _, _, _ = twinned
    refused = _post(client, village_cadre, inside, {"findings": "缺日期"}, key="visit-k")
    assert refused.status_code == 422 and not IdempotencyKey.objects.exists()
    fixed = _post(client, village_cadre, inside, {**BODY, "visited_on": str(TODAY)}, key="visit-k")
    assert fixed.status_code == 201 and Visit.objects.count() == 1


def test_the_visit_log_lists_visits_in_scope_with_filters(client, make_user, place, village_cadre, twinned):
    inside, outside, helper, other_helper = twinned
    old = _visit(inside, helper, 20, risk=True)
    recent = _visit(inside, None, 2)
    _visit(outside, other_helper, 1)

    listing = _get(client, village_cadre, "/visits").json()
    assert listing["count"] == 2
    assert [v["id"] for v in listing["items"]] == [recent.pk, old.pk]  # newest first
    assert {v["household_number"] for v in listing["items"]} == {inside.number}
    assert listing["items"][1]["village_code"] == place.village_a1.code

    def ids(**params) -> list[int]:
        response = _get(client, village_cadre, "/visits", **params)
        assert response.status_code == 200, response.content
        return [v["id"] for v in response.json()["items"]]

    assert ids(helper_id=helper.pk) == [old.pk]
    assert ids(household_id=inside.pk) == [recent.pk, old.pk]
    assert ids(risk_present="true") == [old.pk]
    assert ids(visited_from=str(TODAY - dt.timedelta(days=5))) == [recent.pk]
    assert ids(visited_to=str(TODAY - dt.timedelta(days=5))) == [old.pk]
    assert ids(limit=1, offset=1) == [old.pk]

    # The other village's household and helper are not found; the county sees all three visits.
    assert _get(client, village_cadre, "/visits", household_id=outside.pk).status_code == 404
    assert _get(client, village_cadre, "/visits", helper_id=other_helper.pk).status_code == 404
    county = make_user(Role.PROVINCE_VIEWER, place.county.code)
    assert _get(client, county, "/visits").json()["count"] == 3
    reversed_range = _get(
        client,
        village_cadre,
        "/visits",
        visited_from=str(TODAY),
        visited_to=str(TODAY - dt.timedelta(days=1)),
    )
    assert reversed_range.status_code == 422
    assert reversed_range.json()["detail"][0]["loc"] == ["query", "visited_to"]


def test_one_visit_is_read_in_scope_only(client, village_cadre, twinned):
    inside, outside, helper, other_helper = twinned
    mine, theirs = _visit(inside, helper, 3), _visit(outside, other_helper, 3)
    found = _get(client, village_cadre, f"/visits/{mine.pk}")
    assert found.status_code == 200 and found.json()["findings"] == "3天前走访"
    hidden = _get(client, village_cadre, f"/visits/{theirs.pk}")
    assert hidden.status_code == 404 and outside.number not in hidden.content.decode()
    assert hidden.json() == _get(client, village_cadre, "/visits/999999").json()
