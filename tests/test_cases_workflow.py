"""The monitoring procedure through its services: every step, the rules each refuses with, the deadlines.

The clock is frozen and moved with time-machine: "today" for the rules is the travelled-to day.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.utils import translation

from fupin.accounts.roles import Role
from fupin.cases import selectors, services
from fupin.cases.models import Case, CaseEvent, Notification, State
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, Refused
from fupin.registry.models import Household
from fupin.screening.models import ClueStatus
from tests import casework


def english(message) -> str:
    with translation.override("en"):
        return str(message)


START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def people(place, make_user, county_officer, village_cadre):
    return {
        "cadre": village_cadre,
        "cadre2": make_user(Role.VILLAGE_CADRE, place.village_a1.code),
        "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        "township2": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        "county": county_officer,
        "county2": make_user(Role.COUNTY_OFFICER, place.county.code),
        "other_cadre": make_user(Role.VILLAGE_CADRE, place.village_a2.code),
        "department": make_user(Role.DEPARTMENT_USER, place.county.code),
    }


def _open(people, household) -> Case:
    return casework.raise_clue(people["cadre"], household)


def _to_county(people, household, traveller) -> Case:
    """Walk a new case up to the county's decision, moving the clock past the notice."""
    case = casework.village_steps(people["cadre"], _open(people, household), START.date())
    traveller.move_to(START + dt.timedelta(days=5))
    services.submit(actor=people["cadre"], case=case.pk)
    services.township_review(actor=people["township"], case=case.pk, approve=True)
    return Case.objects.get(pk=case.pk)


@time_machine.travel(START, tick=False)
def test_a_case_walks_from_clue_to_county_decision_and_the_household_becomes_monitored(
    people, household_factory
):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        case = _to_county(people, household, traveller)
        assert case.state == State.COUNTY
        services.county_decide(
            actor=people["county"],
            case=case.pk,
            decision="approve",
            category="marginal",
            risk_types=["illness"],
        )
    case.refresh_from_db()
    household.refresh_from_db()
    assert case.state == State.APPROVED
    assert household.monitoring_category == "marginal"
    assert household.risk_type_list == ["illness"]
    assert case.clue is not None and case.clue.status == ClueStatus.CLOSED
    steps = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert steps == [
        "open",
        "visit",
        "appraise",
        "post_notice",
        "submit",
        "township_approve",
        "county_approve",
    ]
    # Each next actor was told: the township when submitted, the county after the township review.
    assert Notification.objects.filter(recipient=people["township"], case=case, kind="step_waiting").exists()
    assert Notification.objects.filter(recipient=people["county"], case=case, kind="step_waiting").exists()


def test_the_notice_period_must_pass_before_submission(people, household_factory):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        case = casework.village_steps(people["cadre"], _open(people, household), START.date(), post=False)
        with pytest.raises(InvalidInput) as short:
            services.post_notice(
                actor=people["cadre"], case_ids=[case.pk], posted_on=dt.date(2026, 3, 2), days=4
            )
        assert "5" in str(short.value.field_errors["days"][0])
        services.post_notice(actor=people["cadre"], case_ids=[case.pk], posted_on=dt.date(2026, 3, 2), days=5)
        traveller.move_to(START + dt.timedelta(days=4))
        with pytest.raises(Refused) as early:
            services.submit(actor=people["cadre"], case=case.pk)
        assert "2026-03-06" in english(early.value.message) and "from 2026-03-07" in english(
            early.value.message
        )
        assert Case.objects.get(pk=case.pk).state == State.IN_NOTICE
        traveller.move_to(START + dt.timedelta(days=5))
        assert services.submit(actor=people["cadre"], case=case.pk).state == State.TOWNSHIP


def test_nobody_reviews_their_own_step(people, household_factory, place, make_user):
    household = household_factory()
    township = people["township"]
    with time_machine.travel(START, tick=False) as traveller:
        case = _open(people, household)
        # A township officer may do the village steps for a village without a clerk...
        casework.village_steps(township, case, START.date())
        traveller.move_to(START + dt.timedelta(days=5))
        services.submit(actor=township, case=case.pk)
        # ...but then may not pass the township review of their own submission.
        with pytest.raises(Refused) as own:
            services.township_review(actor=township, case=case.pk, approve=True)
        assert "another person" in english(own.value.message)
        assert case.pk not in selectors.my_tasks(township).values_list("pk", flat=True)
        assert case.pk in selectors.my_tasks(people["township2"]).values_list("pk", flat=True)
        services.township_review(actor=people["township2"], case=case.pk, approve=True)


def test_roles_and_areas_are_enforced(people, household_factory):
    household = household_factory()
    with time_machine.travel(START, tick=False):
        case = _open(people, household)
        with pytest.raises(OutOfScope):
            services.record_visit(
                actor=people["other_cadre"], case=case.pk, visited_on=None, findings="", proceed=False
            )
        with pytest.raises(Refused) as wrong_role:
            services.township_review(actor=people["township"], case=case.pk, approve=True)
        assert "Awaiting household visit" in english(wrong_role.value.message)
        with pytest.raises(NotPermitted):
            services.raise_clue(
                actor=people["department"],
                household=household,
                category="marginal",
                risk_types=["illness"],
                description="x",
            )
        # Steps cannot be skipped: a county officer cannot decide a case still awaiting its visit.
        with pytest.raises(Refused):
            services.county_decide(
                actor=people["county"],
                case=case.pk,
                decision="approve",
                category="marginal",
                risk_types=["illness"],
            )
    assert Case.objects.get(pk=case.pk).state == State.VISIT


def test_returns_go_back_one_step_with_the_reason(people, household_factory):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        case = _to_county(people, household, traveller)
        with pytest.raises(InvalidInput):
            services.county_decide(actor=people["county"], case=case.pk, decision="return", reason=" ")
        services.county_decide(actor=people["county"], case=case.pk, decision="return", reason="收入核算有误")
        assert Case.objects.get(pk=case.pk).state == State.TOWNSHIP
        services.township_review(
            actor=people["township2"], case=case.pk, approve=False, reason="补充住院票据"
        )
        case.refresh_from_db()
        assert case.state == State.IN_NOTICE
        # The notice is not repeated: the village resubmits on the same notice.
        services.submit(actor=people["cadre"], case=case.pk)
        assert Case.objects.get(pk=case.pk).notice_id == case.notice_id
    reasons = list(CaseEvent.objects.filter(case=case).exclude(reason="").values_list("action", "reason"))
    assert ("county_return", "收入核算有误") in reasons
    assert ("township_return", "补充住院票据") in reasons


def test_county_rejection_needs_a_reason_and_closes_the_clue(people, household_factory):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        case = _to_county(people, household, traveller)
        services.county_decide(
            actor=people["county"], case=case.pk, decision="reject", reason="收入高于监测范围"
        )
    case.refresh_from_db()
    household.refresh_from_db()
    assert case.state == State.REJECTED
    assert case.outcome_reason == "收入高于监测范围"
    assert household.monitoring_category == ""
    assert case.clue.status == ClueStatus.CLOSED


def test_deadlines_and_overdue_counts(people, household_factory, place):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        case = _open(people, household)
        assert case.decision_due == dt.date(2026, 3, 17)  # 15 days
        assert case.step_due == dt.date(2026, 3, 5)  # visit within 3 days
        traveller.move_to(START + dt.timedelta(days=3))
        assert not selectors.is_overdue(Case.objects.get(pk=case.pk))  # the due day itself is on time
        traveller.move_to(START + dt.timedelta(days=4))
        assert selectors.is_overdue(Case.objects.get(pk=case.pk))
        counts = {c.area.code: c for c in selectors.counts_by_area(people["county"])}
        assert counts[place.township_a.code].open == 1
        assert counts[place.township_a.code].overdue == 1
        assert counts[place.township_b.code].open == 0
        overdue = selectors.my_tasks(people["cadre"], selectors.CaseFilters(overdue=True))
        assert list(overdue.values_list("pk", flat=True)) == [case.pk]


def test_fast_track_includes_at_once_and_the_steps_stay_owed(people, household_factory):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        case = _open(people, household)
        with pytest.raises(InvalidInput):
            services.fast_track(
                actor=people["township"],
                case=case.pk,
                reason_kind="unemployment",
                category="sudden_difficulty",
                risk_types=["accident"],
                reason="x",
            )
        with pytest.raises(Refused):
            services.fast_track(
                actor=people["cadre"],
                case=case.pk,
                reason_kind="accident",
                category="sudden_difficulty",
                risk_types=["accident"],
                reason="车祸",
            )
        services.fast_track(
            actor=people["township"],
            case=case.pk,
            reason_kind="accident",
            category="sudden_difficulty",
            risk_types=["accident"],
            reason="车祸致残",
        )
        household.refresh_from_db()
        assert household.monitoring_category == "sudden_difficulty"
        case.refresh_from_db()
        assert case.state == State.VISIT  # the visit is still owed
        traveller.move_to(START + dt.timedelta(days=20))
        assert selectors.is_overdue(Case.objects.get(pk=case.pk))


def test_self_declaration_with_a_phone_code_reaches_the_village(
    people, household_factory, place, settings, tmp_path
):
    settings.SMS_OUTBOX = tmp_path / "outbox.log"
    household = household_factory()
    declaration = services.declare(
        village_code=place.village_a1.code,
        name="张三",
        phone="13912345678",
        difficulty="illness",
        description="老伴住院",
        client=services.client_fingerprint("10.0.0.1"),
    )
    sent = [json.loads(line) for line in settings.SMS_OUTBOX.read_text().splitlines()]
    assert sent[-1]["to"] == "139****5678"  # the outbox never holds the whole number
    code = "".join(ch for ch in sent[-1]["text"] if ch.isdigit())[:6]
    with pytest.raises(InvalidInput):
        services.confirm_declaration(
            declaration_id=declaration.pk, code="000000" if code != "000000" else "111111"
        )
    declaration.refresh_from_db()
    assert declaration.code_attempts == 1  # the wrong guess counted although the call was refused
    services.confirm_declaration(declaration_id=declaration.pk, code=code)
    assert Notification.objects.filter(recipient=people["cadre"], kind="declaration").exists()
    assert list(selectors.new_declarations(people["cadre"])) == [declaration]
    assert list(selectors.new_declarations(people["other_cadre"])) == []
    case = services.open_case_from_declaration(
        actor=people["cadre"],
        declaration_id=declaration.pk,
        household=household,
        category="marginal",
        risk_types=["illness"],
    )
    assert case.channel == "self_declaration"
    assert case.clue.source == "self_declaration"


def test_self_declaration_is_rate_limited(place):
    client = services.client_fingerprint("10.9.9.9")
    for n in range(services.DECLARATIONS_PER_CLIENT_HOUR):
        services.declare(
            village_code=place.village_a1.code,
            name="李四",
            phone=f"1391234{n:04d}",
            difficulty="illness",
            description="住院",
            client=client,
        )
    with pytest.raises(Refused):
        services.declare(
            village_code=place.village_a1.code,
            name="李四",
            phone="13900000000",
            difficulty="illness",
            description="住院",
            client=client,
        )


def test_bad_declaration_says_what_is_wrong_in_both_languages(place):
    with pytest.raises(InvalidInput) as error:
        services.declare(village_code="x", name="", phone="123", difficulty="?", description="", client="c")
    assert set(error.value.field_errors) == {"village", "name", "phone", "difficulty", "description"}
    with translation.override("zh-hans"):
        chinese = str(error.value.field_errors["phone"][0])
    with translation.override("en"):
        english = str(error.value.field_errors["phone"][0])
    assert chinese != english and "11" in chinese


def test_department_referral_opens_a_case(people, household_factory):
    household = household_factory()
    case = services.refer(
        actor=people["department"],
        household_number=household.number,
        category="sudden_difficulty",
        risk_types=["disaster"],
        description="洪灾房屋受损",
    )
    assert case.channel == "department" and case.state == State.VISIT
    assert Household.objects.get(pk=household.pk).monitoring_category == ""


def test_the_household_is_told_of_the_decision_by_text(people, household_factory, settings, tmp_path):
    settings.SMS_OUTBOX = tmp_path / "outbox.log"
    household = household_factory()  # phone 13812345678
    with time_machine.travel(START, tick=False) as traveller:
        case = _to_county(people, household, traveller)
        services.county_decide(
            actor=people["county"],
            case=case.pk,
            decision="approve",
            category="marginal",
            risk_types=["illness"],
        )
    sent = [json.loads(line) for line in settings.SMS_OUTBOX.read_text().splitlines()]
    to_household = [m for m in sent if m["to"] == "138****5678"]
    assert len(to_household) == 1
    assert household.number in to_household[0]["text"] and "已审定通过" in to_household[0]["text"]
    # Texts name the household by number only: no name, no ID number.
    assert all("户主" not in m["text"] for m in sent)


def test_the_next_actor_gets_a_text_when_they_have_a_phone(
    place, make_user, household_factory, settings, tmp_path
):
    from fupin.accounts import services as accounts

    settings.SMS_OUTBOX = tmp_path / "outbox.log"
    cadre = accounts.create_user(
        username="cadre-with-phone",
        role=Role.VILLAGE_CADRE,
        area_codes=[place.village_a1.code],
        password=None,
        phone_number="13700001111",
    )
    assert cadre.phone_masked == "137****1111" and "13700001111" not in cadre.phone_enc
    county = make_user(Role.COUNTY_OFFICER, place.county.code)
    services.refer(
        actor=make_user(Role.DEPARTMENT_USER, place.county.code),
        household_number=household_factory().number,
        category="marginal",
        risk_types=["illness"],
        description="医保结算自付大",
    )
    sent = [json.loads(line) for line in settings.SMS_OUTBOX.read_text().splitlines()]
    assert [m["to"] for m in sent] == ["137****1111"]
    assert "入户核实" in sent[0]["text"]
    assert county.phone_enc == ""


def test_the_uploaded_authorization_must_be_a_scan_and_is_stored_under_a_made_up_name(
    people, household_factory, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    household = household_factory()
    visit = {
        "visited_on": START.date(),
        "findings": "核实",
        "proceed": True,
        "category": "marginal",
        "risk_types": ["illness"],
    }
    with time_machine.travel(START, tick=False):
        case = _open(people, household)
        fake = SimpleUploadedFile("张三授权书.pdf", b"MZ\x90\x00 not a scan", content_type="application/pdf")
        with pytest.raises(InvalidInput) as refused:
            services.record_visit(actor=people["cadre"], case=case.pk, authorization_file=fake, **visit)
        assert "PDF, JPEG or PNG" in english(refused.value.field_errors["authorization"][0])
        assert Case.objects.get(pk=case.pk).state == State.VISIT and not list(tmp_path.rglob("*"))
        scan = SimpleUploadedFile("张三授权书.pdf", b"%PDF-1.7\n scanned", content_type="application/pdf")
        services.record_visit(actor=people["cadre"], case=case.pk, authorization_file=scan, **visit)
    stored = Case.objects.get(pk=case.pk).authorization_file.name
    assert stored.endswith(".pdf") and "张三" not in stored
