"""Benefits through the services: seed 002's worked cases as a county enters and approves them,
approval by a second person, bad input, bank accounts, evidence and the household page."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.benefits import services
from fupin.benefits.models import Application, ApplicationStatus, BankAccount
from fupin.core.errors import InvalidInput, NotPermitted
from fupin.domain import bankaccount, creditcode
from fupin.pii.crypto import get_cipher

YEAR = dt.date.today().year
ON = dt.date(YEAR, 1, 5) if dt.date.today() >= dt.date(YEAR, 1, 5) else dt.date.today()


def credit_code(serial: int) -> str:
    first17 = f"91220822MA{serial:07d}"
    return first17 + creditcode.check_character(first17)


@pytest.fixture
def reviewer(place, make_user):
    return make_user(Role.BENEFIT_REVIEWER, "220822")


@pytest.fixture
def admin(place, make_user):
    return make_user(Role.COUNTY_ADMIN, "220822")


@pytest.fixture
def opening(admin, place):
    def make(programme: str):
        return services.open_programme(
            actor=admin, pack="jilin", programme=programme, county=place.county, year=YEAR
        )

    return make


@pytest.fixture
def worker(household_factory):
    """A lifted-out person's ID number (a new household each time)."""

    def make(household_type: str = "lifted_out", **values):
        household = household_factory(household_type=household_type, **values)
        member = household.members.get()
        return get_cipher().decrypt(member.id_number_enc)

    return make


def enter(actor, opening_, **values):
    values.setdefault("applied_on", ON)
    return services.enter_application(actor=actor, opening=opening_, data=services.ApplicationInput(**values))


def employment(actor, opening_, id_number, code, day=ON):
    return enter(
        actor,
        opening_,
        id_number=id_number,
        credit_code=code,
        entity_name="某农业公司",
        entity_kind="enterprise",
        applied_on=day,
        facts={"hire_date": "2021-03-01", "months_worked": 4, "monthly_wage": "2000"},
    )


# ---------------------------------------------------------------- worked cases


def test_transport_subsidy_pays_the_fare_up_to_the_cap_and_refuses_a_five_month_contract(
    county_officer, opening, worker
):
    transport = opening("transport_subsidy")
    person = worker()
    facts = {"inter_provincial": "是", "contract_months": 12, "fare": "1000.50"}
    first = enter(county_officer, transport, id_number=person, facts=facts)
    assert first.eligible and first.amount_fen == 100_050
    second = enter(county_officer, transport, id_number=person, facts={**facts, "fare": "900"})
    assert second.amount_fen == 160_000 - 100_050  # one yuan over is cut: the cap is per worker
    assert any("1,600.00" in line and "1,000.50" in line for line in second.explanation["zh"])

    short = enter(county_officer, transport, id_number=worker(), facts={**facts, "contract_months": 5})
    assert not short.eligible and short.amount_fen == 0
    assert "5 个月，不足 6 个月" in " ".join(short.explanation["zh"])
    ordinary = enter(county_officer, transport, id_number=worker("ordinary"), facts=facts)
    assert not ordinary.eligible and "脱贫人口或监测对象" in " ".join(ordinary.explanation["zh"])


def test_a_public_welfare_post_pays_three_months_and_not_a_fourth(county_officer, opening, worker):
    posts = opening("temporary_welfare_post")
    person = worker()
    amounts = []
    for month in (1, 2, 3, 4):
        day = dt.date(YEAR, month, 1)
        if day > dt.date.today():
            pytest.skip("the test needs four months of this year behind it")
        application = enter(
            county_officer, posts, id_number=person, post_code="保洁员-01", period=day, applied_on=day
        )
        amounts.append(application.amount_fen)
    assert amounts == [100_000, 100_000, 100_000, 0]


def test_a_worker_counted_by_one_enterprise_is_refused_for_another(county_officer, reviewer, opening, worker):
    subsidy = opening("employment_one_time")
    person = worker()
    first = employment(county_officer, subsidy, person, credit_code(1))
    assert first.eligible and first.amount_fen == 160_000
    services.approve(actor=reviewer, application_ids=[first.pk])
    again = employment(county_officer, subsidy, person, credit_code(2))
    assert not again.eligible and again.refusal_code == "once_per_person"
    assert str(first.pk) in " ".join(again.explanation["zh"])


def test_the_thirty_second_worker_gets_what_is_left_under_the_enterprise_cap(county_officer, opening, worker):
    subsidy = opening("employment_one_time")
    amounts = [employment(county_officer, subsidy, worker(), credit_code(7)).amount_fen for _ in range(33)]
    assert amounts[:31] == [160_000] * 31
    assert amounts[31] == 5_000_000 - 31 * 160_000 == 40_000
    assert amounts[32] == 0
    assert sum(amounts) == 5_000_000


def test_a_repayment_extension_of_six_months_is_granted_and_seven_refused(county_officer, opening, worker):
    extension = opening("microcredit_extension")
    six = enter(county_officer, extension, id_number=worker(), facts={"extension_months": 6})
    seven = enter(county_officer, extension, id_number=worker(), facts={"extension_months": 7})
    assert six.eligible and not seven.eligible
    assert "7" in " ".join(seven.explanation["zh"]) and "6" in " ".join(seven.explanation["zh"])


# ---------------------------------------------------------------- approval


def test_nobody_approves_their_own_entry_and_a_batch_says_why_each_was_left(
    county_officer, reviewer, admin, opening, worker
):
    transport = opening("transport_subsidy")
    facts = {"inter_provincial": True, "contract_months": 12, "fare": 800}
    by_clerk = enter(county_officer, transport, id_number=worker(), facts=facts)
    by_admin = enter(admin, transport, id_number=worker(), facts=facts)
    refused = enter(county_officer, transport, id_number=worker(), facts={**facts, "contract_months": 2})

    result = services.approve(actor=admin, application_ids=[by_clerk.pk, by_admin.pk, refused.pk])
    assert [a.pk for a in result.approved] == [by_clerk.pk]
    assert set(result.skipped) == {by_admin.pk, refused.pk}
    assert "其他人" in str(result.skipped[by_admin.pk])
    assert Application.objects.get(pk=by_admin.pk).status == ApplicationStatus.ENTERED

    with pytest.raises(NotPermitted):
        services.approve(actor=county_officer, application_ids=[by_admin.pk])
    again = services.approve(actor=reviewer, application_ids=[by_clerk.pk, by_admin.pk])
    assert [a.pk for a in again.approved] == [by_admin.pk] and by_clerk.pk in again.skipped
    approved = Application.objects.get(pk=by_clerk.pk)
    assert approved.status == ApplicationStatus.APPROVED and approved.decided_by == admin
    assert approved.amount_fen == 80_000


def test_a_returned_application_keeps_its_reason_and_waits_again_once_corrected(
    county_officer, reviewer, opening, worker
):
    transport = opening("transport_subsidy")
    person = worker()
    facts = {"inter_provincial": True, "contract_months": 12, "fare": 800}
    application = enter(county_officer, transport, id_number=person, facts=facts)
    with pytest.raises(InvalidInput):
        services.return_application(actor=reviewer, application=application, reason=" ")
    services.return_application(actor=reviewer, application=application, reason="车票金额与票据不符")
    application.refresh_from_db()
    assert (
        application.status == ApplicationStatus.RETURNED and application.decision_note == "车票金额与票据不符"
    )
    services.correct_application(
        actor=county_officer,
        application=application,
        version=application.version,
        data=services.ApplicationInput(applied_on=ON, id_number=person, facts={**facts, "fare": 650}),
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ENTERED and application.amount_fen == 65_000


def test_approved_amounts_count_first_and_what_waits_is_recomputed(county_officer, reviewer, opening, worker):
    """Two applications of one worker: approving the later one first leaves the earlier one the rest."""
    transport = opening("transport_subsidy")
    person = worker()
    facts = {"inter_provincial": True, "contract_months": 12}
    early = enter(county_officer, transport, id_number=person, facts={**facts, "fare": 1000})
    late = enter(county_officer, transport, id_number=person, facts={**facts, "fare": 1000}, applied_on=ON)
    assert (early.amount_fen, Application.objects.get(pk=late.pk).amount_fen) == (100_000, 60_000)
    services.approve(actor=reviewer, application_ids=[late.pk])
    assert Application.objects.get(pk=late.pk).amount_fen == 60_000
    services.refuse_application(actor=reviewer, application=early, reason="重复申请")
    assert Application.objects.get(pk=early.pk).status == ApplicationStatus.REFUSED
    total = sum(a.amount_fen for a in Application.objects.filter(status=ApplicationStatus.APPROVED))
    assert total <= 160_000


# ---------------------------------------------------------------- bad input


def test_bad_input_names_every_problem_and_saves_nothing(county_officer, opening, worker):
    transport = opening("transport_subsidy")
    before = (Application.objects.count(), AuditEntry.objects.count())
    with pytest.raises(InvalidInput) as raised:
        enter(
            county_officer,
            transport,
            id_number="220822198005171234",
            applied_on=dt.date.today() + dt.timedelta(days=3),
            facts={"inter_provincial": "maybe", "contract_months": "6.5", "fare": "-3"},
            bank_account="6222 0000 0000 0001",
        )
    problems = raised.value.field_errors
    assert set(problems) >= {
        "id_number",
        "applied_on",
        "inter_provincial",
        "contract_months",
        "fare",
        "bank_account",
    }
    assert (Application.objects.count(), AuditEntry.objects.count()) == before


def test_an_enterprise_needs_a_valid_credit_code(county_officer, opening, worker):
    subsidy = opening("employment_one_time")
    code = credit_code(3)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as raised:
        employment(county_officer, subsidy, worker(), wrong)
    assert "credit_code" in raised.value.field_errors


@given(st.integers(min_value=0, max_value=9_999_999), st.integers(min_value=0, max_value=16), st.data())
@settings(max_examples=200, deadline=None)
def test_one_mistyped_character_of_a_credit_code_is_always_caught(serial, position, data):
    code = credit_code(serial)
    assert creditcode.parse(code) == code
    alphabet = creditcode.ALPHABET if position not in range(2, 8) else "0123456789"
    other = data.draw(st.sampled_from([c for c in alphabet if c != code[position]]))
    with pytest.raises(creditcode.CreditCodeError):
        creditcode.parse(code[:position] + other + code[position + 1 :])


# ---------------------------------------------------------------- bank accounts and evidence


def card(prefix: str = "621700000000000") -> str:
    for last in "0123456789":
        if bankaccount.luhn_valid(prefix + last):
            return prefix + last
    raise AssertionError


def test_a_bank_account_is_encrypted_masked_and_its_reveal_audited(county_officer, opening, worker):
    transport = opening("transport_subsidy")
    number = card()
    application = enter(
        county_officer,
        transport,
        id_number=worker(),
        facts={"inter_provincial": True, "contract_months": 12, "fare": 800},
        bank_name="中国农业银行通榆支行",
        bank_account=" ".join([number[:4], number[4:8], number[8:12], number[12:]]),
    )
    account = BankAccount.objects.get(member=application.member)
    assert number not in account.number_enc and account.number_masked == f"**** {number[-4:]}"
    assert services.reveal_bank_account(actor=county_officer, application=application) == number
    assert AuditEntry.objects.filter(action="reveal", object_type="bank_account").count() == 1


def test_evidence_is_checked_by_its_content(county_officer, opening, worker):
    transport = opening("transport_subsidy")
    application = enter(
        county_officer,
        transport,
        id_number=worker(),
        facts={"inter_provincial": True, "contract_months": 12, "fare": 800},
    )
    fake = SimpleUploadedFile("ticket.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(InvalidInput) as raised:
        services.attach_evidence(actor=county_officer, application=application, kind="ticket", upload=fake)
    assert "file" in raised.value.field_errors
    real = SimpleUploadedFile("ticket.pdf", b"%PDF-1.4\n%fake but starts right\n", content_type="text/plain")
    evidence = services.attach_evidence(
        actor=county_officer, application=application, kind="ticket", upload=real
    )
    assert evidence.content_type == "application/pdf" and "ticket" not in evidence.file


def test_the_household_page_lists_the_benefits_of_its_members(
    client, county_officer, reviewer, opening, worker
):
    transport = opening("transport_subsidy")
    application = enter(
        county_officer,
        transport,
        id_number=worker(),
        facts={"inter_provincial": True, "contract_months": 12, "fare": 800},
    )
    services.approve(actor=reviewer, application_ids=[application.pk])
    client.force_login(county_officer)
    page = client.get(
        reverse("web:household", args=[application.household_id]), headers={"Accept-Language": "zh-hans"}
    ).content.decode()
    assert "跨省务工交通补助" in page and "800.00" in page


# ---------------------------------------------------------------- two approvers at once (PostgreSQL)


ON_POSTGRES = os.environ.get("FUPIN_DATABASE_URL", "").startswith("postgres")


@pytest.mark.skipif(
    not ON_POSTGRES, reason="row locks are what this test is about: it runs in the PostgreSQL pass"
)
def test_two_approvers_at_the_same_moment_never_exceed_a_cap_or_approve_twice(
    audit_triggers_back, flushable_audit, county_officer, make_user, opening, worker
):
    subsidy = opening("employment_one_time")
    applications = [employment(county_officer, subsidy, worker(), credit_code(9)) for _ in range(34)]
    first, second = make_user(Role.BENEFIT_REVIEWER, "220822"), make_user(Role.BENEFIT_REVIEWER, "220822")
    ids = [a.pk for a in applications]
    batches = {first.pk: ids[:25], second.pk: ids[9:]}  # 16 applications in both batches
    start = threading.Barrier(2)
    results = {}

    def approve(user):
        try:
            start.wait()
            results[user.pk] = services.approve(actor=user, application_ids=batches[user.pk])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    approved = Application.objects.filter(status=ApplicationStatus.APPROVED)
    assert approved.count() == 34 and sum(a.amount_fen for a in approved) == 5_000_000
    # Each application was approved by one reviewer only; the other was told it no longer waited.
    assert sum(len(r.approved) for r in results.values()) == 34
    assert sum(len(r.skipped) for r in results.values()) == 16
    approvals = AuditEntry.objects.filter(object_type="benefit_application", summary__startswith="approved")
    assert approvals.count() == 34


def test_a_paid_benefit_is_a_done_measure_of_the_household_plan_and_a_reversal_stops_it(
    county_officer, reviewer, opening, worker
):
    from fupin.assistance.models import Measure, MeasureStatus

    transport = opening("transport_subsidy")
    application = enter(
        county_officer,
        transport,
        id_number=worker(),
        facts={"inter_provincial": True, "contract_months": 12, "fare": 800},
    )
    services.approve(actor=reviewer, application_ids=[application.pk])
    services.record_payment(application_id=application.pk, paid_fen=80_000, paid_on=ON)
    measure = Measure.objects.get(household=application.household)
    assert (measure.category, measure.status, measure.amount) == ("employment", MeasureStatus.DONE, 800)
    assert "跨省务工交通补助" in measure.description
    services.record_payment(application_id=application.pk, paid_fen=80_000, paid_on=ON)
    assert Measure.objects.filter(household=application.household).count() == 1  # a second confirmation
    services.record_payment(application_id=application.pk, paid_fen=0, paid_on=None)
    assert Measure.objects.get(pk=measure.pk).status == MeasureStatus.STOPPED
    assert Application.objects.get(pk=application.pk).paid_fen == 0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["transport", "employment", "approve", "refuse"]),
            st.integers(0, 4),  # the worker
            st.integers(0, 1),  # the enterprise
            st.integers(100, 2_000),  # the fare
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_the_order_and_batches_no_cap_is_exceeded_and_nobody_counts_twice(
    county_officer, reviewer, opening, worker, steps
):
    """Entries, approvals of whatever waits and refusals, in any order: the approved amounts per worker
    stay within the transport cap and nobody holds the one-time employment place twice."""
    state = _pool(opening, worker)
    for action, who, enterprise, fare in steps:
        if action == "transport":
            enter(
                county_officer,
                state["transport"],
                id_number=state["workers"][who],
                facts={"inter_provincial": True, "contract_months": 12, "fare": fare},
            )
        elif action == "employment":
            employment(
                county_officer, state["employment"], state["workers"][who], credit_code(100 + enterprise)
            )
        else:
            waiting = list(
                Application.objects.filter(status=ApplicationStatus.ENTERED).values_list("pk", flat=True)
            )
            chosen = waiting[who % 3 :: 2]
            if chosen and action == "approve":
                services.approve(actor=reviewer, application_ids=chosen)
            elif chosen:
                services.refuse_application(
                    actor=reviewer, application=Application.objects.get(pk=chosen[0]), reason="材料不全"
                )
    approved = Application.objects.filter(status=ApplicationStatus.APPROVED)
    per_worker: dict[int, int] = {}
    places: dict[int, int] = {}
    for application in approved:
        if application.programme == "transport_subsidy":
            per_worker[application.member_id] = (
                per_worker.get(application.member_id, 0) + application.amount_fen
            )
        elif application.holds_place:
            places[application.member_id] = places.get(application.member_id, 0) + 1
    assert all(total <= 160_000 for total in per_worker.values()), per_worker
    assert all(count == 1 for count in places.values()), places
    for application in Application.objects.filter(
        status=ApplicationStatus.ENTERED, programme="employment_one_time"
    ):
        if application.member_id in places:
            assert not application.eligible  # whoever waits for a counted worker is refused


_POOLS: dict[int, dict] = {}


def _pool(opening, worker) -> dict:
    """Five workers and the two openings, made once per test database (Hypothesis reuses the fixtures)."""
    from fupin.benefits.models import Opening

    key = id(opening)
    if key not in _POOLS or not Opening.objects.exists():
        _POOLS[key] = {
            "transport": opening("transport_subsidy"),
            "employment": opening("employment_one_time"),
            "workers": [worker() for _ in range(5)],
        }
    return _POOLS[key]
