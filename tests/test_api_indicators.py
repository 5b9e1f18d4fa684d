"""The /api/v1/indicators API: builds with their state, an area's figures from the current or a kept build."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.indicators.models import AreaFigures, Build

API = "/api/v1"


def _get(client: Client, user, path: str, **params):
    headers = {"Authorization": f"Bearer {issue_token(user=user, keep_others=True)}", "Accept-Language": "en"}
    return client.get(API + path, params, headers=headers)


@pytest.fixture
def builds(place):
    kept = Build.objects.create(period="2026-02", as_of=dt.date(2026, 2, 28), state="kept")
    current = Build.objects.create(
        period="2026-03", as_of=dt.date(2026, 3, 31), state="current", households=7
    )
    failed = Build.objects.create(period="2026-03", as_of=dt.date(2026, 3, 31), state="failed")
    for build, households in ((kept, 5), (current, 7), (failed, 99)):
        AreaFigures.objects.create(
            build=build,
            code=place.township_a.code,
            level=4,
            parent=place.county.code,
            values={"households": households, "share_monitored": 0.25, "exit_passes": None},
            months=[[202603, 2, 1]],
        )
        AreaFigures.objects.create(
            build=build,
            code=place.village_a1.code,
            level=5,
            parent=place.township_a.code,
            values={"households": households},
        )
    return kept, current, failed


def test_an_area_reads_its_figures_and_its_children(client, county_officer, place, builds):
    kept, current, _ = builds
    response = _get(client, county_officer, f"/indicators/{place.township_a.code}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["build"]["id"] == current.pk and body["build"]["state"] == "current"
    assert (body["code"], body["level"], body["has_figures"]) == (place.township_a.code, 4, True)
    assert body["values"]["households"] == 7 and body["values"]["share_monitored"] == 0.25
    assert body["months"] == [{"month": "2026-03", "taken_into_monitoring": 2, "risk_eliminated": 1}]
    children = {c["code"]: c for c in body["children"]}
    assert children[place.village_a1.code]["values"] == {"households": 7}
    assert children[place.village_a2.code]["has_figures"] is False

    older = _get(client, county_officer, f"/indicators/{place.township_a.code}", build=kept.pk).json()
    assert older["values"]["households"] == 5 and older["build"]["period"] == "2026-02"


def test_a_failed_or_unknown_build_and_bad_input(client, county_officer, place, builds):
    _, _, failed = builds
    code = place.township_a.code
    assert _get(client, county_officer, f"/indicators/{code}", build=failed.pk).status_code == 404
    assert _get(client, county_officer, f"/indicators/{code}", build=999999).status_code == 404
    bad = _get(client, county_officer, f"/indicators/{code}", build="many")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "build"]
    assert _get(client, county_officer, "/indicators/999999").status_code == 404


def test_before_the_first_build_an_area_has_no_figures(client, county_officer, place):
    assert _get(client, county_officer, f"/indicators/{place.county.code}").status_code == 404


def test_an_area_outside_is_not_found(client, make_user, place, builds):
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a2.code)
    outside = _get(client, cadre, f"/indicators/{place.township_a.code}")
    assert outside.status_code == 404
    assert outside.json() == _get(client, cadre, "/indicators/000000").json()
    assert _get(client, cadre, f"/indicators/{place.village_a1.code}").status_code == 404
    assert _get(client, cadre, f"/indicators/{place.village_a2.code}").status_code == 200


@pytest.mark.parametrize("role", Role.values)
def test_every_role_reads_the_builds(client, make_user, place, builds, role):
    user = make_user(role, place.county.code)
    listing = _get(client, user, "/indicators/builds")
    assert listing.status_code == 200
    body = listing.json()
    assert body["count"] == 3
    assert {b["state"] for b in body["items"]} == {"kept", "current", "failed"}
    assert set(body["items"][0]) >= {"id", "period", "as_of", "state", "started_at", "finished_at"}
