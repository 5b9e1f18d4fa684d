"""The /api/v1/checks API: failure counts per check over an area, and one check's failures."""

from __future__ import annotations

import pytest
from django.test import Client

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.checks.catalogue import CATALOGUE
from fupin.pii.crypto import get_cipher
from fupin.registry.models import Member

API = "/api/v1"


def _get(client: Client, user, path: str, **params):
    headers = {"Authorization": f"Bearer {issue_token(user=user, keep_others=True)}", "Accept-Language": "en"}
    return client.get(API + path, params, headers=headers)


@pytest.fixture
def uninsured(place, household_factory):
    """Two uninsured heads: one in 一村, one in 二村."""
    inside = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    outside = household_factory(place.village_a2, household_type="lifted_out", status="lifted")
    Member.objects.filter(household__in=[inside, outside]).update(basic_medical_insurance=False)
    return inside, outside


def test_counts_per_check_and_the_failures(client, county_officer, place, uninsured):
    inside, outside = uninsured
    response = _get(client, county_officer, f"/checks/{place.township_a.code}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [c["code"] for c in body["checks"]] == [c.code for c in CATALOGUE]
    counts = {c["code"]: c["failures"] for c in body["checks"]}
    assert counts["no_medical_insurance"] == 2
    assert body["errors"] + body["warnings"] == sum(counts.values())
    assert all(c["title"] and c["fix"] for c in body["checks"])

    failures = _get(client, county_officer, f"/checks/{place.township_a.code}/no_medical_insurance", limit=1)
    assert failures.status_code == 200
    page = failures.json()
    assert page["count"] == 2 and len(page["items"]) == 1
    item = page["items"][0]
    assert item["record_type"] == "member" and item["household_number"] == inside.number
    assert item["village_code"] == place.village_a1.code and item["detail"]
    head = inside.members.get()
    assert item["record_id"] == head.pk
    assert get_cipher().decrypt(head.id_number_enc) not in failures.content.decode()


def test_a_user_sees_only_their_area(client, make_user, place, uninsured):
    inside, _ = uninsured
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    counts = _get(client, cadre, f"/checks/{place.village_a1.code}").json()
    assert {c["code"]: c["failures"] for c in counts["checks"]}["no_medical_insurance"] == 1
    listed = _get(client, cadre, f"/checks/{place.village_a1.code}/no_medical_insurance").json()
    assert [f["household_number"] for f in listed["items"]] == [inside.number]
    for path in (
        f"/checks/{place.village_a2.code}",
        f"/checks/{place.township_a.code}",
        f"/checks/{place.village_a2.code}/no_medical_insurance",
    ):
        assert _get(client, cadre, path).status_code == 404, path


def test_an_unknown_check_and_bad_paging(client, county_officer, place):
    assert _get(client, county_officer, f"/checks/{place.county.code}/no_such_check").status_code == 404
    bad = _get(client, county_officer, f"/checks/{place.county.code}/no_medical_insurance", limit=0)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]
