"""Read-only /api/v1 routes of assistance and twinning: a household's plan, helpers, twinnings, visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.assistance.models import Measure, MeasureType
from fupin.twinning.models import Assignment, Helper, Visit

API = "/api/v1"
TODAY = dt.date.today()


def _get(client: Client, user, path: str, **params):
    headers = {"Authorization": f"Bearer {issue_token(user=user, keep_others=True)}", "Accept-Language": "en"}
    return client.get(API + path, params, headers=headers)


@pytest.fixture
def helped(place, household_factory):
    """A monitored household in 一村 with a measure, a helper (with a phone) and a visit; and one in 二村."""
    from fupin.registry.models import Household

    inside = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    Household.objects.filter(pk=inside.pk).update(monitoring_category="marginal", risk_types=",illness,")
    inside.refresh_from_db()
    outside = household_factory(place.village_a2, household_type="lifted_out", status="lifted")
    entry = MeasureType.objects.get(code="industry_subsidy")
    measure = Measure.objects.create(
        household=inside,
        measure_type=entry,
        category=entry.category,
        responsible="镇农业站",
        amount=Decimal("3000.00"),
        started_on=TODAY,
    )
    helpers = []
    for household in (inside, outside):
        helper = Helper.objects.create(
            name=f"帮扶{household.number[-3:]}",
            unit="县财政局",
            rank="general",
            area=household.village,
            phone_masked="139****5678",
            phone_enc="x",
        )
        Assignment.objects.create(helper=helper, household=household, started_on=TODAY)
        Visit.objects.create(
            household=household,
            helper=helper,
            visited_on=TODAY,
            visitor_name=helper.name,
            findings="正常",
            risk_present=False,
        )
        helpers.append(helper)
    return inside, outside, measure, helpers


def test_a_households_plan(client, village_cadre, helped):
    inside, _, measure, _ = helped
    response = _get(client, village_cadre, f"/households/{inside.pk}/plan")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["household_number"] == inside.number and body["monitoring_category"] == "marginal"
    [item] = body["measures"]
    assert (item["id"], item["measure_type"], item["amount"]) == (measure.pk, "industry_subsidy", "3000.00")
    assert item["title"] and item["status"] == "in_progress"
    assert all({"code", "severity", "message"} <= set(p) for p in body["problems"])


def test_helpers_twinning_and_visits(client, village_cadre, helped):
    inside, _, _, (helper, other) = helped
    listing = _get(client, village_cadre, "/helpers").json()
    assert [h["id"] for h in listing["items"]] == [helper.pk]
    assert (
        listing["items"][0]["phone_masked"] == "139****5678"
        and listing["items"][0]["current_households"] == 1
    )
    twinning = _get(client, village_cadre, f"/households/{inside.pk}/twinning").json()
    assert [a["helper_id"] for a in twinning["assignments"]] == [helper.pk]
    assert twinning["assignments"][0]["current"] is True
    [visit] = twinning["visits"]
    assert visit["findings"] == "正常" and visit["photos"] == 0
    assert _get(client, village_cadre, "/helpers", q="no such name").json()["count"] == 0


@pytest.mark.parametrize("path", ["/households/{}/plan", "/households/{}/twinning"])
def test_a_household_outside_is_not_found(client, village_cadre, helped, path):
    _, outside, _, _ = helped
    response = _get(client, village_cadre, path.format(outside.pk))
    assert response.status_code == 404
    assert response.json() == _get(client, village_cadre, path.format(999999)).json()
    assert outside.number not in response.content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_every_role_with_the_area_reads(client, make_user, place, helped, role):
    inside, _, _, _ = helped
    user = make_user(role, place.village_a1.code)
    for path in (f"/households/{inside.pk}/plan", f"/households/{inside.pk}/twinning", "/helpers"):
        assert _get(client, user, path).status_code == 200, path
    nobody = make_user(role)
    assert _get(client, nobody, f"/households/{inside.pk}/plan").status_code == 404
    assert _get(client, nobody, "/helpers").json()["count"] == 0
