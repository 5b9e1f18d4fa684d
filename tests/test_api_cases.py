"""The /api/v1/cases API: referrals, the steps with their refusals, scope, bad input, the worklist."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.cases import services
from fupin.cases.models import Case, CaseEvent, State
from fupin.cases.rules import rules_for
from fupin.registry.models import Household, Member
from tests import casework

API = "/api/v1"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = dt.date(2026, 3, 2)


class Api:
    """One user's bearer token, JSON bodies, and the language the client asks for."""

    def __init__(self, client: Client, user, language: str = "en") -> None:
        self.client = client
        self.headers = {
            "Authorization": f"Bearer {issue_token(user=user, keep_others=True)}",
            "Accept-Language": language,
        }

    def get(self, path: str, **params):
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(API + path, body or {}, content_type="application/json", headers=self.headers)


@pytest.fixture
def people(place, make_user, county_officer, village_cadre):
    return {
        "cadre": village_cadre,
        "other_cadre": make_user(Role.VILLAGE_CADRE, place.village_a2.code),
        "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        "township2": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        "county": county_officer,
        "department": make_user(Role.DEPARTMENT_USER, place.county.code),
    }


@pytest.fixture
def as_user(client):
    def make(user, language: str = "en") -> Api:
        return Api(client, user, language)

    return make


VISIT = {
    "visited_on": "2026-03-02",
    "findings": "住院三次，自付2万元",
    "proceed": True,
    "authorization_signed": True,
    "category": "marginal",
    "risk_types": ["illness"],
}


def _open(people, household) -> Case:
    return casework.raise_clue(people["cadre"], household, description="户主住院")


def _to_notice(people, household) -> Case:
    return casework.village_steps(people["cadre"], _open(people, household), TODAY, findings="核实")


def _actions(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("action", flat=True))


@time_machine.travel(START, tick=False)
def test_a_department_refers_a_household_but_takes_no_step(people, household_factory, as_user, place):
    household = household_factory()
    department = as_user(people["department"])

    response = department.post(
        "/cases/referrals",
        {
            "household_number": household.number,
            "category": "sudden_difficulty",
            "risk_types": ["disaster"],
            "description": "洪灾房屋受损",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["household_number"] == household.number
    assert (body["channel"], body["step"], body["step_label"]) == (
        "department",
        "visit",
        "Awaiting household visit",
    )
    assert body["step_due"] == "2026-03-05" and body["decision_due"] == "2026-03-17"
    assert [(e["action"], e["reason"]) for e in body["events"]] == [("open", "洪灾房屋受损")]
    assert body["actions"] == []  # nothing the department may do on it
    case = Case.objects.get(pk=body["id"])
    # The village cadre finds it in their worklist.
    listing = as_user(people["cadre"]).get("/cases").json()
    assert [item["id"] for item in listing["items"]] == [case.pk]

    # A department refers; it does not visit, review or decide.
    for path, step_body in [
        ("visit", VISIT),
        ("township-review", {"approve": True}),
        ("county-decision", {"decision": "approve", "category": "marginal", "risk_types": ["illness"]}),
    ]:
        refused = department.post(f"/cases/{case.pk}/{path}", step_body)
        assert refused.status_code == 403, path
        assert refused.json()["detail"].startswith("Your role (Department user) may not take the "), path
    assert Case.objects.get(pk=case.pk).state == State.VISIT
    assert _actions(case) == ["open"]

    # A second referral while the case is under way is refused with the reason.
    again = department.post(
        "/cases/referrals",
        {
            "household_number": household.number,
            "category": "marginal",
            "risk_types": ["illness"],
            "description": "x",
        },
    )
    assert again.status_code == 409
    assert "already has a case" in again.json()["detail"]


def test_referral_checks_its_input_and_the_area(people, household_factory, as_user, place, make_user):
    inside = household_factory()
    neighbour = make_user(Role.COUNTY_OFFICER, place.other_county_village.code[:6])
    outside_county = household_factory(place.other_county_village, actor=neighbour)
    department = as_user(people["department"])

    bad = department.post(
        "/cases/referrals",
        {
            "household_number": inside.number,
            "category": "rich",
            "risk_types": ["illness"],
            "description": " ",
        },
    )
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {("body", "category"), ("body", "description")}
    elsewhere = department.post(
        "/cases/referrals",
        {
            "household_number": outside_county.number,
            "category": "marginal",
            "risk_types": ["illness"],
            "description": "洪灾",
        },
    )
    assert elsewhere.status_code == 404
    assert not Case.objects.exists()


@time_machine.travel(START, tick=False)
def test_a_village_cadre_records_the_visit_and_the_appraisal(people, household_factory, as_user):
    household = household_factory()
    head = Member.objects.get(household=household, relation="head")
    case = _open(people, household)
    cadre = as_user(people["cadre"])

    response = cadre.post(f"/cases/{case.pk}/visit", VISIT)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["step"] == "appraisal"
    days = rules_for(household.village.code[:6], TODAY).appraisal_days
    assert body["step_due"] == str(TODAY + dt.timedelta(days=days))  # the appraisal is due
    assert (body["proposed_category"], body["proposed_risk_types"]) == ("marginal", ["illness"])
    assert body["visit"]["findings"] == "住院三次，自付2万元" and body["authorization_signed"] is True
    assert [e["action"] for e in body["events"]] == ["open", "visit"]
    assert body["events"][1]["actor"] == people["cadre"].username
    assert "appraise" in body["actions"] and "visit" not in body["actions"]
    # The case names the household by number only: no name, ID number or phone, full or masked.
    text = response.content.decode()
    for private in (head.name, head.id_number_masked, household.phone_masked, "13812345678"):
        assert private not in text

    appraised = cadre.post(
        f"/cases/{case.pk}/appraisal",
        {"held_on": "2026-03-02", "attendees": 11, "votes_for": 10, "votes_against": 1, "agreed": True},
    )
    assert appraised.status_code == 200
    assert appraised.json()["step"] == "notice"
    assert appraised.json()["appraisal"]["votes_for"] == 10
    assert _actions(case) == ["open", "visit", "appraise"]


@time_machine.travel(START, tick=False)
def test_submitting_before_the_notice_ends_is_refused_in_the_clients_language(
    people, household_factory, as_user
):
    with time_machine.travel(START, tick=False) as traveller:
        case = _to_notice(people, household_factory())
        traveller.move_to(START + dt.timedelta(days=4))  # the notice's last day

        chinese = as_user(people["cadre"], "zh-hans").post(f"/cases/{case.pk}/submit")
        english = as_user(people["cadre"], "en").post(f"/cases/{case.pk}/submit")

        assert chinese.status_code == english.status_code == 409
        assert chinese.json()["detail"] == "公示期至 2026-03-06，2026-03-07 起方可报乡镇审核。"
        assert english.json()["detail"].startswith("The public notice runs until 2026-03-06")
        assert Case.objects.get(pk=case.pk).state == State.IN_NOTICE
        assert "submit" not in _actions(case)

        # An objection recorded during the notice holds the case at the village until it is settled.
        objection = as_user(people["cadre"]).post(
            f"/cases/{case.pk}/objections", {"received_on": "2026-03-05", "summary": "家中有车辆"}
        )
        assert objection.status_code == 201
        assert objection.json()["summary"] == "家中有车辆" and objection.json()["resolved_on"] is None
        traveller.move_to(START + dt.timedelta(days=5))
        held = as_user(people["cadre"], "zh-hans").post(f"/cases/{case.pk}/submit")
        assert held.status_code == 409 and held.json()["detail"] == "尚有异议未处理。"
        services.settle_objection(
            actor=people["cadre"],
            objection_id=objection.json()["id"],
            upheld=False,
            resolution="车辆为营运用，已核实",
        )
        submitted = as_user(people["cadre"]).post(f"/cases/{case.pk}/submit")
        assert submitted.status_code == 200 and submitted.json()["step"] == "township"


@time_machine.travel(START, tick=False)
def test_bad_input_is_422_with_the_field_and_changes_nothing(people, household_factory, as_user):
    case = _open(people, household_factory())
    cadre = as_user(people["cadre"])
    before = (case.state, case.version, _actions(case))

    missing = cadre.post(
        f"/cases/{case.pk}/visit", {"visited_on": "2026-03-02", "findings": "核实", "proceed": True}
    )
    assert missing.status_code == 422
    assert {tuple(e["loc"]) for e in missing.json()["detail"]} == {
        ("body", "category"),
        ("body", "risk_types"),
        ("body", "authorization_signed"),
    }
    future = cadre.post(f"/cases/{case.pk}/visit", {**VISIT, "visited_on": "2026-03-03"})
    assert future.status_code == 422
    assert future.json()["detail"] == [
        {"loc": ["body", "visited_on"], "msg": "The date cannot be in the future.", "type": "invalid"}
    ]
    malformed = cadre.post(f"/cases/{case.pk}/visit", {**VISIT, "visited_on": "2026-02-30"})
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["body", "visited_on"]
    no_proceed = cadre.post(f"/cases/{case.pk}/visit", {k: v for k, v in VISIT.items() if k != "proceed"})
    assert no_proceed.status_code == 422
    assert ["body", "proceed"] in [e["loc"] for e in no_proceed.json()["detail"]]
    chinese = as_user(people["cadre"], "zh-hans").post(f"/cases/{case.pk}/visit", {**VISIT, "findings": " "})
    assert chinese.json()["detail"] == [
        {"loc": ["body", "findings"], "msg": "请登记入户核实情况。", "type": "invalid"}
    ]

    case.refresh_from_db()
    assert (case.state, case.version, _actions(case)) == before


@time_machine.travel(START, tick=False)
def test_a_case_outside_the_area_is_not_found(people, household_factory, as_user):
    case = _open(people, household_factory())
    stranger = as_user(people["other_cadre"])
    missing = stranger.get("/cases/999999")

    seen = stranger.get(f"/cases/{case.pk}")
    acted = stranger.post(f"/cases/{case.pk}/visit", VISIT)

    assert seen.status_code == acted.status_code == missing.status_code == 404
    assert seen.json() == acted.json() == missing.json()
    assert stranger.get("/cases", open_only="false").json() == {"items": [], "count": 0}
    assert Case.objects.get(pk=case.pk).state == State.VISIT


@time_machine.travel(START, tick=False)
def test_township_and_county_decide_and_nobody_reviews_their_own_step(people, household_factory, as_user):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        case = _to_notice(people, household)
        traveller.move_to(START + dt.timedelta(days=5))
        # A township officer who submitted the case may not also pass its township review.
        services.submit(actor=people["township"], case=case.pk)
        own = as_user(people["township"]).post(f"/cases/{case.pk}/township-review", {"approve": True})
        assert own.status_code == 409 and "another person" in own.json()["detail"]

        passed = as_user(people["township2"]).post(f"/cases/{case.pk}/township-review", {"approve": True})
        assert passed.status_code == 200 and passed.json()["step"] == "county"

        county = as_user(people["county"])
        no_reason = county.post(f"/cases/{case.pk}/county-decision", {"decision": "reject", "reason": ""})
        assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
        approved = county.post(
            f"/cases/{case.pk}/county-decision",
            {"decision": "approve", "category": "marginal", "risk_types": ["illness", "schooling"]},
        )
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert (body["step"], body["decided_category"], body["decided_on"]) == (
        "approved",
        "marginal",
        "2026-03-07",
    )
    assert body["decided_risk_types"] == ["illness", "schooling"]
    household.refresh_from_db()
    assert household.monitoring_category == "marginal"
    assert household.risk_type_list == ["illness", "schooling"]


@time_machine.travel(START, tick=False)
def test_fast_track_includes_at_once_and_only_once(people, household_factory, as_user):
    household = household_factory()
    case = _open(people, household)
    township = as_user(people["township"])
    body = {
        "reason_kind": "disaster",
        "category": "sudden_difficulty",
        "risk_types": ["disaster"],
        "reason": "房屋倒塌",
    }

    first = township.post(f"/cases/{case.pk}/fast-track", body)
    again = township.post(f"/cases/{case.pk}/fast-track", body)
    by_cadre = as_user(people["cadre"]).post(f"/cases/{case.pk}/fast-track", body)

    assert first.status_code == 200
    assert first.json()["fast_tracked_on"] == "2026-03-02" and first.json()["step"] == "visit"
    assert again.status_code == 409 and "already included" in again.json()["detail"]
    assert by_cadre.status_code == 403
    assert Household.objects.get(pk=household.pk).monitoring_category == "sudden_difficulty"


def test_the_worklist_filters_and_pages(people, household_factory, as_user, place):
    with time_machine.travel(START, tick=False) as traveller:
        late = _open(people, household_factory())
        traveller.move_to(START + dt.timedelta(days=4))  # the visit was due on day 3
        fresh = _open(people, household_factory())
        elsewhere = services.raise_clue(
            actor=people["township"],
            household=household_factory(place.village_a2),
            category="marginal",
            risk_types=["illness"],
            description="外出务工返乡",
        )
        county = as_user(people["county"])

        def ids(**params) -> list[int]:
            return [item["id"] for item in county.get("/cases", **params).json()["items"]]

        assert ids() == [late.pk, fresh.pk, elsewhere.pk]  # earliest due first
        assert ids(overdue="true") == [late.pk]
        assert county.get("/cases", overdue="true").json()["items"][0]["overdue"] is True
        assert ids(area_code=place.village_a2.code) == [elsewhere.pk]
        assert ids(household_number=fresh.household.number) == [fresh.pk]
        assert ids(step="appraisal") == []
        assert ids(kind="elimination") == []
        page = county.get("/cases", limit=2, offset=2).json()
        assert page["count"] == 3 and [item["id"] for item in page["items"]] == [elsewhere.pk]
        # A closed case leaves the worklist but stays findable.
        services.record_visit(
            actor=people["cadre"], case=fresh.pk, visited_on=fresh.opened_on, findings="无风险", proceed=False
        )
        assert fresh.pk not in ids()
        assert fresh.pk in ids(open_only="false")
        assert ids(step="closed") == [fresh.pk]


def test_an_api_client_can_post_the_notice_and_settle_an_objection(people, household_factory, as_user):
    """From appraisal to the township through the API alone."""
    with time_machine.travel(START, tick=False) as traveller:
        case = _open(people, household_factory())
        cadre = as_user(people["cadre"])
        assert cadre.post(f"/cases/{case.pk}/visit", VISIT).status_code == 200
        appraisal = {
            "held_on": "2026-03-02",
            "attendees": 9,
            "votes_for": 9,
            "votes_against": 0,
            "agreed": True,
        }
        assert cadre.post(f"/cases/{case.pk}/appraisal", appraisal).status_code == 200

        short = cadre.post("/cases/notices", {"case_ids": [case.pk], "posted_on": "2026-03-02", "days": 3})
        assert short.status_code == 422 and "days" in short.content.decode()
        assert Case.objects.get(pk=case.pk).state == State.NOTICE

        posted = cadre.post("/cases/notices", {"case_ids": [case.pk], "posted_on": "2026-03-02", "days": 5})
        assert posted.status_code == 201, posted.content
        assert posted.json()["case_ids"] == [case.pk] and posted.json()["ends_on"] == "2026-03-07"

        objection = cadre.post(
            f"/cases/{case.pk}/objections", {"received_on": "2026-03-02", "summary": "有车"}
        )
        settled = cadre.post(
            f"/cases/objections/{objection.json()['id']}/settlement",
            {"upheld": False, "resolution": "营运车辆"},
        )
        assert settled.status_code == 200 and settled.json()["resolved_on"] == "2026-03-02"
        again = cadre.post(
            f"/cases/objections/{objection.json()['id']}/settlement", {"upheld": True, "resolution": "x"}
        )
        assert again.status_code == 409

        traveller.move_to(START + dt.timedelta(days=5))
        assert cadre.post(f"/cases/{case.pk}/submit").json()["step"] == "township"
        township = as_user(people["township"]).post("/cases/notices", {"case_ids": [case.pk], "days": 5})
        assert township.status_code == 409  # the case is past that step
