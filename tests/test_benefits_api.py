"""The benefits API: openings in scope, applications entered all or none (with Idempotency-Key),
listed and read with masked identifiers and the amount's explanation, approved in a batch by another
person; out of scope is 404."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.benefits import services
from fupin.benefits.models import Application, ApplicationStatus
from fupin.pii.crypto import get_cipher

API = "/api/v1"
YEAR = dt.date.today().year
ON = dt.date(YEAR, 1, 5) if dt.date.today() >= dt.date(YEAR, 1, 5) else dt.date.today()
FACTS = {"inter_provincial": True, "contract_months": 12, "fare": "800"}


@pytest.fixture
def admin(place, make_user):
    return make_user(Role.COUNTY_ADMIN, "220822")


@pytest.fixture
def transport(admin, place):
    return services.open_programme(
        actor=admin, pack="jilin", programme="transport_subsidy", county=place.county, year=YEAR
    )


@pytest.fixture
def worker(household_factory):
    def make(village=None, household_type: str = "lifted_out"):
        household = household_factory(village=village, household_type=household_type)
        return get_cipher().decrypt(household.members.get().id_number_enc)

    return make


def call(client, user, method: str, path: str, body=None, language: str = "en", **headers):
    token = issue_token(user=user, keep_others=True)
    send = getattr(client, method.lower())
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language, **headers}
    if body is None:
        return send(API + path, headers=headers)
    return send(API + path, body, content_type="application/json", headers=headers)


def row(id_number: str, **values):
    return {"applied_on": ON.isoformat(), "id_number": id_number, "facts": dict(FACTS), **values}


def test_openings_in_scope_say_what_an_application_gives(client, county_officer, make_user, transport):
    listing = call(client, county_officer, "GET", "/benefit-openings").json()
    assert listing["count"] == 1
    item = listing["items"][0]
    assert item["id"] == transport.pk and item["applicant"] == "person" and item["needs_id_number"]
    assert {f["name"] for f in item["facts"]} == {"inter_provincial", "contract_months", "fare"}
    village = make_user(Role.VILLAGE_CADRE, "220822100201")
    assert call(client, village, "GET", "/benefit-openings").json()["count"] == 1  # part of the county
    other = make_user(Role.COUNTY_OFFICER, "220821")
    assert call(client, other, "GET", "/benefit-openings").json()["count"] == 0
    assert call(client, other, "GET", f"/benefit-openings/{transport.pk}/applications").status_code == 404
    posted = call(
        client, other, "POST", f"/benefit-openings/{transport.pk}/applications", {"rows": [row("x")]}
    )
    assert posted.status_code == 404


def test_rows_are_entered_all_or_none_with_their_problems_by_row(client, county_officer, transport, worker):
    people = [worker() for _ in range(3)]
    path = f"/benefit-openings/{transport.pk}/applications"
    bad = call(
        client,
        county_officer,
        "POST",
        path,
        {
            "rows": [
                row(people[0]),
                row(people[1][:-1] + ("0" if people[1][-1] != "0" else "1")),
                row(people[2], facts={**FACTS, "fare": "-5"}),
            ]
        },
    )
    assert bad.status_code == 422
    locs = {tuple(item["loc"]) for item in bad.json()["detail"]}
    assert locs == {("body", "rows", 1, "id_number"), ("body", "rows", 2, "facts", "fare")}
    assert people[1][:-1] not in bad.content.decode()  # the value is never echoed
    assert Application.objects.count() == 0

    unknown = call(client, county_officer, "POST", path, {"rows": [row(people[0], facts={**FACTS, "x": 1})]})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "rows", 0, "facts", "x"]

    good = call(
        client,
        county_officer,
        "POST",
        path,
        {"rows": [row(people[0]), row(people[1], facts={**FACTS, "fare": 1700.5})]},
    )
    assert good.status_code == 201, good.content
    body = good.json()
    assert body["count"] == 2 and body["amount"] == "2400.00"
    assert [a["amount"] for a in body["applications"]] == ["800.00", "1600.00"]
    assert all(a["status"] == "entered" for a in body["applications"])
    assert people[0] not in good.content.decode()
    assert body["applications"][0]["id_number_masked"].startswith(people[0][:4])


def test_an_idempotency_key_enters_once(client, county_officer, transport, worker):
    path = f"/benefit-openings/{transport.pk}/applications"
    payload = {"rows": [row(worker())]}
    first = call(client, county_officer, "POST", path, payload, **{"Idempotency-Key": "k-1"})
    again = call(client, county_officer, "POST", path, payload, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Application.objects.count() == 1
    other = call(
        client, county_officer, "POST", path, {"rows": [row(worker())]}, **{"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422 and other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    failed = call(client, county_officer, "POST", path, {"rows": [row("1")]}, **{"Idempotency-Key": "k-2"})
    assert failed.status_code == 422
    fixed = call(
        client, county_officer, "POST", path, {"rows": [row(worker())]}, **{"Idempotency-Key": "k-2"}
    )
    assert fixed.status_code == 201  # a failed request kept no key
    assert Application.objects.count() == 2


def test_refusals_of_the_service_keep_their_status(client, make_user, place, transport, worker, admin):
    path = f"/benefit-openings/{transport.pk}/applications"
    reviewer = make_user(Role.BENEFIT_REVIEWER, "220822")
    assert call(client, reviewer, "POST", path, {"rows": [row(worker())]}).status_code == 403
    township = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    outside = worker(village=place.village_b1)
    assert call(client, township, "POST", path, {"rows": [row(worker()), row(outside)]}).status_code == 404
    assert Application.objects.count() == 0
    services.close_opening(actor=admin, opening=transport)
    closed = call(client, township, "POST", path, {"rows": [row(worker())]}, language="zh-hans")
    assert closed.status_code == 409 and "停止受理" in closed.json()["detail"]


def test_applications_are_listed_and_read_with_masked_identifiers_and_the_explanation(
    client, county_officer, make_user, place, transport, worker
):
    inside = worker()
    entered = services.enter_applications(
        actor=county_officer,
        opening=transport,
        rows=[
            services.ApplicationInput(applied_on=ON, id_number=inside, facts={**FACTS, "fare": "1700"}),
            services.ApplicationInput(applied_on=ON, id_number=worker(place.village_b1), facts=FACTS),
        ],
    )
    listing = call(client, county_officer, "GET", f"/benefit-openings/{transport.pk}/applications?limit=1")
    assert listing.json()["count"] == 2 and len(listing.json()["items"]) == 1
    assert (
        call(
            client, county_officer, "GET", f"/benefit-openings/{transport.pk}/applications?status=approved"
        ).json()["count"]
        == 0
    )
    assert (
        call(
            client, county_officer, "GET", f"/benefit-openings/{transport.pk}/applications?status=nonsense"
        ).status_code
        == 422
    )
    detail = call(client, county_officer, "GET", f"/benefit-applications/{entered[0].pk}")
    body = detail.json()
    assert body["amount"] == "1600.00" and body["base_amount"] == "1700.00"
    assert any("1,600.00" in line for line in body["explanation"]["zh"])
    assert any("1,600.00" in line for line in body["explanation"]["en"])
    assert body["status"] == "entered" and inside not in detail.content.decode()
    assert body["id_number_masked"] == inside[:4] + "*" * 10 + inside[-4:]

    village = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    mine = call(client, village, "GET", f"/benefit-openings/{transport.pk}/applications").json()
    assert [a["id"] for a in mine["items"]] == [entered[0].pk]
    assert call(client, village, "GET", f"/benefit-applications/{entered[1].pk}").status_code == 404


def test_a_batch_is_approved_by_another_person_and_the_own_entry_is_skipped(
    client, make_user, transport, worker, admin, county_officer
):
    by_clerk, by_admin = (
        services.enter_application(
            actor=actor,
            opening=transport,
            data=services.ApplicationInput(applied_on=ON, id_number=worker(), facts=FACTS),
        )
        for actor in (county_officer, admin)
    )
    path = f"/benefit-openings/{transport.pk}/approvals"
    result = call(
        client, admin, "POST", path, {"application_ids": [by_clerk.pk, by_admin.pk]}, language="zh-hans"
    )
    assert result.status_code == 200, result.content
    body = result.json()
    assert [a["id"] for a in body["approved"]] == [by_clerk.pk] and body["amount"] == "800.00"
    assert body["approved"][0]["status"] == "approved"
    assert [s["id"] for s in body["skipped"]] == [by_admin.pk] and "其他人" in body["skipped"][0]["reason"]
    assert Application.objects.get(pk=by_admin.pk).status == ApplicationStatus.ENTERED

    assert call(client, county_officer, "POST", path, {"application_ids": [by_admin.pk]}).status_code == 403
    assert call(client, admin, "POST", path, {"application_ids": [by_admin.pk, 999999]}).status_code == 404
    reviewer = make_user(Role.BENEFIT_REVIEWER, "220822")
    second = call(client, reviewer, "POST", path, {"application_ids": [by_admin.pk], "note": "核实无误"})
    assert [a["id"] for a in second.json()["approved"]] == [by_admin.pk]
    assert Application.objects.get(pk=by_admin.pk).decision_note == "核实无误"


def test_the_openapi_document_describes_every_benefits_operation():
    from fupin.api.api import api

    paths = api.get_openapi_schema()["paths"]
    operations = {
        (method.upper(), path.removeprefix(API))
        for path, methods in paths.items()
        for method in methods
        if "benefit" in path
    }
    assert operations == {
        ("GET", "/benefit-openings"),
        ("GET", "/benefit-openings/{opening_id}/applications"),
        ("POST", "/benefit-openings/{opening_id}/applications"),
        ("GET", "/benefit-applications/{application_id}"),
        ("POST", "/benefit-openings/{opening_id}/approvals"),
    }
    post = paths[f"{API}/benefit-openings/{{opening_id}}/applications"]["post"]
    assert {201, 403, 404, 409, 422} <= {int(code) for code in post["responses"]}
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
