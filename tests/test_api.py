"""The /api/v1/ API: token auth, area scope, masked identifiers, error shapes and languages."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.audit.models import AuditEntry
from fupin.registry import services
from fupin.registry.models import Household, IncomeRecord, Member
from tests.conftest import valid_id

API = "/api/v1"


class Api:
    """A test client that sends one user's bearer token and JSON bodies."""

    def __init__(self, client: Client, token: str | None, language: str = "en") -> None:
        self.client = client
        self.headers = {"Accept-Language": language}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params):
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: dict):
        return self.client.post(API + path, body, content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: dict):
        return self.client.patch(API + path, body, content_type="application/json", headers=self.headers)

    def put(self, path: str, body: dict):
        return self.client.put(API + path, body, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_as(client):
    def make(user, language: str = "en") -> Api:
        return Api(client, issue_token(user=user, keep_others=True), language)

    return make


def _new_household_body(place, **extra) -> dict:
    return {
        "number": "2208221002019001",
        "village_code": place.village_a1.code,
        "household_type": "lifted_out",
        "status": "lifted",
        "phone": "13987654321",
        "group_name": "三组",
        "cultivated_land_mu": "6.5",
        **extra,
    }


# ---------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "authorization", [None, "Bearer ", "Bearer fpn_not-a-real-token", "Token fpn_x", "Basic dXNlcjpwdw=="]
)
def test_requests_without_a_valid_token_get_401(client, household_factory, authorization):
    household_factory()
    headers = {"Accept-Language": "en"}
    if authorization is not None:
        headers["Authorization"] = authorization
    for response in [
        client.get(f"{API}/households", headers=headers),
        client.post(f"{API}/households", {}, content_type="application/json", headers=headers),
    ]:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["detail"]


def test_revoked_token_and_inactive_user_get_401(client, county_officer, household_factory):
    household_factory()
    token = issue_token(user=county_officer)
    api = Api(client, token)
    assert api.get("/households").status_code == 200
    county_officer.api_tokens.update(revoked=True)
    assert api.get("/households").status_code == 401
    other = issue_token(user=county_officer)
    county_officer.is_active = False
    county_officer.save()
    assert Api(client, other).get("/households").status_code == 401


def test_bearer_auth_needs_no_csrf_token(county_officer, place):
    strict = Client(enforce_csrf_checks=True)
    api = Api(strict, issue_token(user=county_officer))
    response = api.post("/households", _new_household_body(place))
    assert response.status_code == 201, response.content


# ---------------------------------------------------------------- scope


def test_list_shows_only_households_in_scope_with_in_scope_total(
    api_as, household_factory, place, village_cadre, make_user
):
    own = [household_factory(place.village_a1) for _ in range(3)]
    household_factory(place.village_a2)
    household_factory(place.village_b1)
    outsider = make_user(Role.COUNTY_OFFICER, "220821")
    household_factory(place.other_county_village, actor=outsider)

    body = api_as(village_cadre).get("/households").json()
    assert body["count"] == 3
    assert [h["id"] for h in body["items"]] == [h.pk for h in own]

    page = api_as(village_cadre).get("/households", limit=2, offset=2).json()
    assert page["count"] == 3 and [h["id"] for h in page["items"]] == [own[2].pk]

    county = api_as(make_user(Role.COUNTY_OFFICER, "220822"))
    assert county.get("/households").json()["count"] == 5
    assert county.get("/households", area_code=place.township_a.code).json()["count"] == 4
    # Asking for an area outside one's scope finds nothing rather than widening the scope.
    assert api_as(village_cadre).get("/households", area_code="220821").json()["count"] == 0
    assert county.get("/households", area_code=place.other_county_village.code).json()["count"] == 0


def test_list_filters(api_as, household_factory, county_officer, place):
    first = household_factory(household_type="lifted_out", status="lifted")
    household_factory(household_type="ordinary", status="normal")
    services.change_monitoring(
        actor=county_officer,
        household=first,
        expected_version=first.version,
        category="marginal",
        risk_types=["illness"],
        effective_from=dt.date(2024, 3, 1),
        reason="体检发现",
    )
    api = api_as(county_officer)
    assert [h["id"] for h in api.get("/households", household_type="lifted_out").json()["items"]] == [
        first.pk
    ]
    assert api.get("/households", status="normal").json()["count"] == 1
    assert [h["id"] for h in api.get("/households", monitoring_category="marginal").json()["items"]] == [
        first.pk
    ]
    assert api.get("/households", risk_type="illness").json()["count"] == 1
    assert api.get("/households", risk_type="housing").json()["count"] == 0
    assert api.get("/households", q=first.number).json()["count"] == 1
    assert api.get("/households", q="户主1").json()["items"][0]["id"] == first.pk
    head = first.members.get()
    full = services.reveal(actor=county_officer, instance=head, field="id_number")
    assert [h["id"] for h in api.get("/households", q=full).json()["items"]] == [first.pk]
    assert api.get("/households", limit=0).status_code == 422


def test_detail_outside_scope_is_404_like_a_missing_record(api_as, household_factory, place, village_cadre):
    inside = household_factory(place.village_a1)
    outside = household_factory(place.village_b1)
    api = api_as(village_cadre)
    assert api.get(f"/households/{inside.pk}").status_code == 200
    hidden = api.get(f"/households/{outside.pk}")
    missing = api.get("/households/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    hidden_members = api.get(f"/households/{outside.pk}/members")
    assert hidden_members.status_code == 404 and hidden_members.content == missing.content
    member = outside.members.get()
    hidden_member = api.get(f"/members/{member.pk}")
    assert hidden_member.status_code == 404 and hidden_member.content == missing.content
    assert api.get(f"/households/{outside.pk}/incomes").content == missing.content


# ---------------------------------------------------------------- households: create and correct


def test_create_household_201_with_audit_entry(api_as, county_officer, place):
    response = api_as(county_officer).post("/households", _new_household_body(place))
    assert response.status_code == 201, response.content
    body = response.json()
    household = Household.objects.get(pk=body["id"])
    assert body["number"] == "2208221002019001" == household.number
    assert body["village_code"] == place.village_a1.code
    assert body["phone_masked"] == "139****4321"
    assert body["cultivated_land_mu"] == "6.50"
    assert body["water_safe"] is True and body["housing_area"] is None
    assert body["version"] == 1
    assert "13987654321" not in response.content.decode()
    assert not {"phone_enc", "phone_bidx", "phone"} & set(body)
    entry = AuditEntry.objects.get(action="create", object_type="household", object_id=str(household.pk))
    assert entry.actor == county_officer
    assert entry.changes["phone"] == [None, "139****4321"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"village_code": "220822100299"}, "village_code"),
        ({"household_type": "rich"}, "household_type"),
        ({"housing_safety": "Z"}, "housing_safety"),
    ],
)
def test_create_household_with_bad_values_is_422_naming_the_field(
    api_as, county_officer, place, change, field
):
    api = api_as(county_officer)
    before = Household.objects.count(), AuditEntry.objects.count()
    response = api.post("/households", _new_household_body(place, **change))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert ["body", field] in [item["loc"] for item in detail]
    assert all(item["msg"] and item["type"] for item in detail)
    assert (Household.objects.count(), AuditEntry.objects.count()) == before


def test_request_validation_errors_have_the_same_shape_and_do_not_echo_input(api_as, county_officer, place):
    body = _new_household_body(place, water_safe="perhaps", cultivated_land_mu="many")
    del body["village_code"]
    response = api_as(county_officer).post("/households", body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    locs = [item["loc"] for item in detail]
    assert ["body", "village_code"] in locs and ["body", "water_safe"] in locs
    assert all(set(item) == {"loc", "msg", "type"} for item in detail)
    assert "perhaps" not in response.content.decode()
    assert Household.objects.count() == 0


def test_create_household_in_a_village_outside_capture_scope(api_as, village_cadre, place, make_user):
    before = Household.objects.count()
    response = api_as(village_cadre).post(
        "/households", _new_household_body(place, village_code=place.village_b1.code)
    )
    assert response.status_code == 404
    viewer = make_user(Role.PROVINCE_VIEWER, "22")
    assert api_as(viewer).post("/households", _new_household_body(place)).status_code == 403
    assert Household.objects.count() == before


def test_patch_household(api_as, household_factory, county_officer, place):
    household = household_factory()
    api = api_as(county_officer)
    response = api.patch(
        f"/households/{household.pk}",
        {"version": 1, "address": "开通镇一村3号", "housing_area": "85.5", "phone": "", "water_safe": False},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2 and body["address"] == "开通镇一村3号"
    assert body["housing_area"] == "85.50" and body["phone_masked"] == "" and body["water_safe"] is False
    household.refresh_from_db()
    assert household.group_name == "" and household.phone_enc == ""
    assert AuditEntry.objects.filter(action="update", object_id=str(household.pk)).exists()
    # A move to another village in scope; an unknown one is a field error.
    moved = api.patch(f"/households/{household.pk}", {"version": 2, "village_code": place.village_a2.code})
    assert moved.json()["village_code"] == place.village_a2.code
    bad = api.patch(f"/households/{household.pk}", {"version": 3, "village_code": "220822100299"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "village_code"]
    # Version is required; a field that cannot be null is refused.
    assert api.patch(f"/households/{household.pk}", {"address": "x"}).status_code == 422
    assert api.patch(f"/households/{household.pk}", {"version": 3, "address": None}).status_code == 422


def test_patch_with_stale_version_is_409_and_changes_nothing(api_as, household_factory, county_officer):
    household = household_factory()
    api = api_as(county_officer)
    assert api.patch(f"/households/{household.pk}", {"version": 1, "address": "first"}).status_code == 200
    audit_count = AuditEntry.objects.count()
    response = api.patch(f"/households/{household.pk}", {"version": 1, "address": "second"})
    assert response.status_code == 409
    assert "saved this record" in response.json()["detail"]
    household.refresh_from_db()
    assert (household.address, household.version) == ("first", 2)
    assert AuditEntry.objects.count() == audit_count


@pytest.mark.parametrize("role", [Role.PROVINCE_VIEWER, Role.DEPARTMENT_USER])
def test_read_only_roles_cannot_patch(api_as, household_factory, make_user, role):
    household = household_factory()
    reader = make_user(role, "22")
    api = api_as(reader)
    assert api.get(f"/households/{household.pk}").status_code == 200
    response = api.patch(f"/households/{household.pk}", {"version": 1, "address": "changed"})
    assert response.status_code in (403, 404)
    member = household.members.get()
    assert api.patch(f"/members/{member.pk}", {"version": 1, "name": "改名"}).status_code in (403, 404)
    assert api.put(f"/households/{household.pk}/incomes/2024", {"wage": "1"}).status_code in (403, 404)
    household.refresh_from_db()
    member.refresh_from_db()
    assert (household.address, household.version) == ("", 1)
    assert member.name != "改名" and not IncomeRecord.objects.exists()


def test_view_only_scope_cannot_patch(api_as, household_factory, make_user, place):
    household = household_factory(place.village_a1)
    watcher = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code, capture=False)
    api = api_as(watcher)
    assert api.get(f"/households/{household.pk}").status_code == 200
    response = api.patch(f"/households/{household.pk}", {"version": 1, "address": "changed"})
    assert response.status_code == 404
    household.refresh_from_db()
    assert household.address == ""


def test_type_status_and_monitoring_changes(api_as, household_factory, county_officer):
    household = household_factory()
    api = api_as(county_officer)
    response = api.post(
        f"/households/{household.pk}/type-status",
        {
            "version": 1,
            "household_type": "lifted_out",
            "status": "lifted",
            "effective_from": timezone.localdate().isoformat(),
            "reason": "验收",
        },
    )
    assert response.status_code == 200, response.content
    assert (response.json()["household_type"], response.json()["version"]) == ("lifted_out", 2)
    response = api.post(
        f"/households/{household.pk}/monitoring",
        {
            "version": 2,
            "category": "marginal",
            "risk_types": ["illness", "housing"],
            "effective_from": timezone.localdate().isoformat(),
            "reason": "",
        },
    )
    assert response.status_code == 422
    assert ["body", "reason"] in [item["loc"] for item in response.json()["detail"]]
    response = api.post(
        f"/households/{household.pk}/monitoring",
        {
            "version": 2,
            "category": "marginal",
            "risk_types": ["illness", "housing"],
            "effective_from": timezone.localdate().isoformat(),
            "reason": "重病",
        },
    )
    assert response.status_code == 200
    assert response.json()["risk_types"] == ["illness", "housing"]


# ---------------------------------------------------------------- members


def test_members_add_list_patch(api_as, household_factory, county_officer):
    household = household_factory()
    api = api_as(county_officer)
    number = valid_id(birth=dt.date(2005, 6, 1), sequence=222)  # even: female
    response = api.post(
        f"/households/{household.pk}/members",
        {
            "name": "女儿",
            "sex": "F",
            "birth_date": "2005-06-01",
            "relation": "child",
            "labour_capacity": "ordinary",
            "schooling_status": "in_school",
            "school_level": "tertiary",
            "id_number": number,
            "phone": "13700001111",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert body["phone_masked"] == "137****1111" and body["is_current"] is True
    assert number not in response.content.decode()
    listed = api.get(f"/households/{household.pk}/members").json()
    assert [m["name"] for m in listed] == ["户主1", "女儿"]
    patched = api.patch(f"/members/{body['id']}", {"version": 1, "migrant_work_income": "12000"})
    assert patched.status_code == 200
    assert patched.json()["migrant_work_income"] == "12000.00" and patched.json()["version"] == 2
    stale = api.patch(f"/members/{body['id']}", {"version": 1, "name": "别名"})
    assert stale.status_code == 409
    assert Member.objects.get(pk=body["id"]).name == "女儿"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "220822198005171230"}, "id_number"),  # check character wrong
        ({"id_number": "12345"}, "id_number"),
        ({"phone": "555"}, "phone"),
        ({"sex": "X"}, "sex"),
        ({"relation": "head"}, "relation"),  # the household already has a head
    ],
)
def test_add_member_with_bad_values_is_422_and_saves_nothing(
    api_as, household_factory, county_officer, change, field
):
    household = household_factory()
    api = api_as(county_officer)
    before = Member.objects.count(), AuditEntry.objects.count()
    body = {
        "name": "新成员",
        "sex": "M",
        "birth_date": "1980-05-17",
        "relation": "spouse",
        "labour_capacity": "ordinary",
        **change,
    }
    response = api.post(f"/households/{household.pk}/members", body)
    assert response.status_code == 422
    assert ["body", field] in [item["loc"] for item in response.json()["detail"]]
    assert (Member.objects.count(), AuditEntry.objects.count()) == before


def test_full_id_numbers_and_phones_never_appear_in_responses(api_as, household_factory, county_officer):
    households = [household_factory() for _ in range(2)]
    api = api_as(county_officer)
    secrets = {"13812345678"}
    for household in households:
        for member in household.members.all():
            secrets.add(services.reveal(actor=county_officer, instance=member, field="id_number"))
    bodies = [api.get("/households").content]
    for household in households:
        member = household.members.get()
        bodies += [
            api.get(f"/households/{household.pk}").content,
            api.get(f"/households/{household.pk}/members").content,
            api.get(f"/members/{member.pk}").content,
            api.patch(f"/members/{member.pk}", {"version": member.version, "name": "改"}).content,
        ]
    text = b"\n".join(bodies).decode()
    for secret in secrets:
        assert secret not in text
    for forbidden in ("_enc", "_bidx", "gAAAA"):  # column names and Fernet tokens
        assert forbidden not in text


# ---------------------------------------------------------------- incomes


def test_income_put_creates_then_updates_with_version(api_as, household_factory, county_officer):
    household = household_factory()
    api = api_as(county_officer)
    path = f"/households/{household.pk}/incomes/2024"
    created = api.put(
        path, {"household_size": 2, "wage": "12000", "transfer": 3000.5, "business_expenditure": 1}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["wage"] == "12000.00" and body["transfer"] == "3000.50"
    # (12000 + 3000.50 - 1) / 2
    assert body["per_capita_net_income"] == "7499.75"
    again = api.put(path, {"wage": "1"})
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["path", "year"]
    updated = api.put(path, {"version": 1, "wage": "14000"})
    assert updated.status_code == 200
    assert updated.json()["per_capita_net_income"] == "8499.75" and updated.json()["version"] == 2
    stale = api.put(path, {"version": 1, "wage": "0"})
    assert stale.status_code == 409
    assert IncomeRecord.objects.get().wage == 14000
    listed = api.get(f"/households/{household.pk}/incomes").json()
    assert [(r["year"], r["per_capita_net_income"]) for r in listed] == [(2024, "8499.75")]
    negative = api.put(f"/households/{household.pk}/incomes/2023", {"wage": "-5"})
    assert negative.status_code == 422 and negative.json()["detail"][0]["loc"] == ["body", "wage"]
    assert IncomeRecord.objects.count() == 1


# ---------------------------------------------------------------- documentation and languages


def test_openapi_document_lists_the_paths(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["info"]["title"] == "fupin API" and document["info"]["version"] == "1"
    paths = set(document["paths"])
    assert {
        f"{API}/households",
        f"{API}/households/{{household_id}}",
        f"{API}/households/{{household_id}}/members",
        f"{API}/members/{{member_id}}",
        f"{API}/households/{{household_id}}/incomes",
        f"{API}/households/{{household_id}}/incomes/{{year}}",
    } <= paths
    schemas = document["components"]["schemas"]
    assert "id_number_masked" in schemas["MemberOut"]["properties"]
    assert not [name for s in schemas.values() for name in s.get("properties", {}) if name.endswith("_enc")]
    assert document["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}


def _bad_member(api: Api, household) -> list[dict]:
    body = {
        "name": "x",
        "sex": "X",
        "birth_date": "1980-05-17",
        "relation": "spouse",
        "labour_capacity": "ordinary",
        "phone": "1",
    }
    response = api.post(f"/households/{household.pk}/members", body)
    assert response.status_code == 422
    return response.json()["detail"]


def _msg(detail: list[dict], field: str) -> str:
    return next(item["msg"] for item in detail if item["loc"] == ["body", field])


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_messages_follow_accept_language(api_as, household_factory, county_officer):
    household = household_factory()
    english = api_as(county_officer, "en")
    assert english.get("/households/999999").json() == {"detail": "No such record in your area."}
    stale = english.patch(f"/households/{household.pk}", {"version": 7, "address": "x"})
    assert stale.json()["detail"].startswith("Someone else saved this record")
    detail = _bad_member(english, household)
    assert "11 digits" in _msg(detail, "phone")
    assert "not a valid choice" in _msg(detail, "sex")
    # Model validation messages come from Django's own catalogue, which has Chinese.
    chinese = api_as(county_officer, "zh-hans")
    assert _has_chinese(_msg(_bad_member(chinese, household), "sex"))
    detail = chinese.get("/households/999999").json()["detail"]
    assert detail != "No such record in your area." and _has_chinese(detail)
    assert _has_chinese(_msg(_bad_member(chinese, household), "phone"))


def test_service_messages_are_rendered_in_the_request_language(
    api_as, household_factory, county_officer, settings, tmp_path
):
    """With a catalogue that translates two messages, each request gets its own language."""
    import polib

    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalogue.append(polib.POEntry(msgid="No such record in your area.", msgstr="您的地区没有这条记录。"))
    catalogue.append(
        polib.POEntry(
            msgid="A phone number is 11 digits starting with 1, or a fixed line with its area code.",
            msgstr="手机号码为以1开头的11位数字,固定电话须带区号。",
        )
    )
    target = tmp_path / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    catalogue.save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path]
    household = household_factory()
    chinese = api_as(county_officer, "zh-hans")
    english = api_as(county_officer, "en")
    assert chinese.get("/households/999999").json()["detail"] == "您的地区没有这条记录。"
    assert english.get("/households/999999").json()["detail"] == "No such record in your area."
    assert _msg(_bad_member(chinese, household), "phone").startswith("手机号码")
    assert _msg(_bad_member(english, household), "phone").startswith("A phone number")


def test_negative_areas_are_422_through_the_api_and_change_nothing(api_as, household_factory, county_officer):
    household = household_factory()
    api = api_as(county_officer)
    bad = api.patch(
        f"/households/{household.pk}", {"version": 1, "housing_area": "-5", "cultivated_land_mu": "-1"}
    )
    assert bad.status_code == 422, bad.content
    fields = {tuple(item["loc"]) for item in bad.json()["detail"]}
    assert ("body", "housing_area") in fields and ("body", "cultivated_land_mu") in fields
    household.refresh_from_db()
    assert household.version == 1 and household.housing_area != Decimal("-5")


def test_a_nul_character_is_refused_with_a_message_not_a_server_error(api_as, county_officer, place, client):
    """PostgreSQL cannot store NUL in text: found by the fuzzer as a 500 on /helpers?q=…\\x00…"""
    api = api_as(county_officer)
    listed = api.get("/households", q="张\x00三")
    assert listed.status_code == 422
    assert listed.json()["detail"][0]["loc"] == ["query", "q"]
    before = Household.objects.count()
    created = api.post("/households", _new_household_body(place, address="新村\u0000一号"))
    assert created.status_code == 422 and created.json()["detail"][0]["loc"] == ["body", "address"]
    assert Household.objects.count() == before
    client.force_login(county_officer)
    page = client.get("/households/", {"q": "\x00"}, headers={"Accept-Language": "zh-hans"})
    assert page.status_code == 400 and "空字符" in page.content.decode()
