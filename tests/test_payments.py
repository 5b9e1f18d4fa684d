"""Payments as a county's finance clerk meets them: envelopes and their control totals, batches made all
or none, the bank file (accounts in full only there, every download audited), the bank's return file
(checked whole, idempotent), failures carried to the next batch, reversals and reconciliation."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import threading
from unittest import mock

import pytest
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.benefits import services as benefits
from fupin.benefits.models import Application, ApplicationStatus, BankAccount
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, Refused
from fupin.domain import bankaccount
from fupin.payments import selectors, services
from fupin.payments.models import LIVE, Batch, Envelope, Payment, PaymentStatus, ReturnFile
from fupin.pii.crypto import get_cipher

YEAR = dt.date.today().year
ON = dt.date(YEAR, 1, 5) if dt.date.today() >= dt.date(YEAR, 1, 5) else dt.date.today()
TODAY = dt.date.today()


def card(serial: int) -> str:
    """A UnionPay card number that passes the Luhn check."""
    prefix = f"62170000{serial:010d}"
    for last in "0123456789":
        if bankaccount.luhn_valid(prefix + last):
            return prefix + last
    raise AssertionError


@pytest.fixture
def reviewer(place, make_user):
    """The finance bureau's clerk: approves applications and runs their payments."""
    return make_user(Role.BENEFIT_REVIEWER, "220822")


@pytest.fixture
def admin(place, make_user):
    return make_user(Role.COUNTY_ADMIN, "220822")


@pytest.fixture
def transport(admin, place):
    return benefits.open_programme(
        actor=admin, pack="jilin", programme="transport_subsidy", county=place.county, year=YEAR
    )


@pytest.fixture
def approved(county_officer, reviewer, transport, household_factory):
    """``approved(fares)`` enters one transport-subsidy application per fare (a new worker each, with a
    bank card unless the fare is given as ``(fare, None)``) and has the reviewer approve them."""
    serial = {"n": 0}

    def make(*fares):
        applications = []
        for fare in fares:
            with_card = True
            if isinstance(fare, tuple):
                fare, with_card = fare[0], False
            serial["n"] += 1
            household = household_factory(household_type="lifted_out")
            id_number = get_cipher().decrypt(household.members.get().id_number_enc)
            extra = {}
            if with_card:
                extra = {"bank_name": "中国农业银行通榆支行", "bank_account": card(serial["n"])}
            application = benefits.enter_application(
                actor=county_officer,
                opening=transport,
                data=benefits.ApplicationInput(
                    applied_on=ON,
                    id_number=id_number,
                    facts={"inter_provincial": True, "contract_months": 12, "fare": fare},
                    **extra,
                ),
            )
            applications.append(application)
        result = benefits.approve(actor=reviewer, application_ids=[a.pk for a in applications])
        assert len(result.approved) == len(applications), result.skipped
        return [Application.objects.get(pk=a.pk) for a in applications]

    return make


def envelope_for(reviewer, opening, count=None, amount_fen=None, cycle="第一批"):
    return services.create_envelope(
        actor=reviewer, opening=opening, cycle=cycle, control_count=count, control_amount_fen=amount_fen
    )


def sent(reviewer, batch, fmt="csv"):
    """Download the bank file (so the bank can answer it); the rows as dicts keyed by the English header."""
    made = services.bank_file(actor=reviewer, batch=batch, fmt=fmt)
    batch.refresh_from_db()
    if fmt != "csv":
        return made
    text = made.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    keys = [h.split(" / ")[1] for h in rows[0]]
    return [dict(zip(keys, row, strict=True)) for row in rows[1:]]


def return_csv(*rows, header=("付款参考号", "结果", "失败原因", "支付日期", "金额")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def paid_row(payment, day=TODAY, amount=None):
    return (payment.reference, "成功", "", day.isoformat(), amount if amount is not None else _yuan(payment))


def failed_row(payment, reason="账户已销户"):
    return (payment.reference, "失败", reason, "", _yuan(payment))


def _yuan(payment) -> str:
    return f"{payment.amount_fen // 100}.{payment.amount_fen % 100:02d}"


def load(reviewer, batch, data, name="回盘.csv"):
    batch.refresh_from_db()
    return services.load_return_file(actor=reviewer, batch=batch, data=data, file_name=name)


def snapshot():
    """Everything a return file or a batch could change."""
    return (
        list(Payment.objects.order_by("pk").values_list("pk", "status", "paid_on", "failure_reason")),
        list(Application.objects.order_by("pk").values_list("pk", "paid_fen", "paid_on")),
        ReturnFile.objects.count(),
        Batch.objects.count(),
        AuditEntry.objects.count(),
    )


# ---------------------------------------------------------------- envelopes and control totals


def test_an_envelope_defaults_to_the_approved_unpaid_totals(reviewer, transport, approved):
    approved(800, 1000, (600, None))  # the one without a card is waiting for payment too
    envelope = envelope_for(reviewer, transport)
    assert (envelope.control_count, envelope.control_amount_fen) == (3, 240_000)
    with pytest.raises(InvalidInput) as raised:
        envelope_for(reviewer, transport)  # the same cycle again
    assert "cycle" in raised.value.field_errors


def test_control_totals_refuse_an_over_full_batch_with_the_figures_and_make_nothing(
    reviewer, transport, approved
):
    applications = approved(800, 1000, 1200)
    envelope = envelope_for(reviewer, transport, count=2, amount_fen=200_000)
    before = snapshot()
    with pytest.raises(Refused) as raised:
        services.make_batch(actor=reviewer, envelope=envelope)
    with translation.override("en"):
        text = str(raised.value.message)
    assert "3 beneficiaries (3 not yet in the envelope), 3,000.00 yuan" in text
    assert "room for 2 more beneficiaries, 2,000.00 yuan" in text
    assert snapshot() == before

    # Two of them fit the count, but not the amount.
    with pytest.raises(Refused) as raised:
        services.make_batch(
            actor=reviewer, envelope=envelope, application_ids=[applications[1].pk, applications[2].pk]
        )
    with translation.override("zh-hans"):
        assert "2,200.00" in str(raised.value.message)
    made = services.make_batch(
        actor=reviewer, envelope=envelope, application_ids=[applications[0].pk, applications[1].pk]
    )
    assert (made.batch.count, made.batch.amount_fen) == (2, 180_000)
    assert selectors.envelope_room(envelope) == selectors.Figure(0, 20_000)
    with pytest.raises(Refused):
        services.make_batch(actor=reviewer, envelope=envelope)  # the third one: no room left for a payment

    services.set_control_totals(
        actor=reviewer, envelope=envelope, control_count=3, control_amount_fen=300_000
    )
    third = services.make_batch(actor=reviewer, envelope=envelope)
    assert [p.application_id for p in third.batch.payments.all()] == [applications[2].pk]
    with pytest.raises(InvalidInput) as raised:  # never below what the batches hold
        services.set_control_totals(
            actor=reviewer, envelope=envelope, control_count=2, control_amount_fen=300_000
        )
    assert "control_count" in raised.value.field_errors


def test_the_control_count_is_of_beneficiaries_not_of_payments(
    county_officer, reviewer, transport, approved, household_factory
):
    """Two tickets of one worker are one beneficiary: an envelope for one person takes both, and a
    second worker is refused for the count, not for the money."""
    household = household_factory(household_type="lifted_out")
    id_number = get_cipher().decrypt(household.members.get().id_number_enc)
    tickets = [
        benefits.enter_application(
            actor=county_officer,
            opening=transport,
            data=benefits.ApplicationInput(
                applied_on=ON,
                id_number=id_number,
                facts={"inter_provincial": True, "contract_months": 12, "fare": fare},
                bank_name="中国农业银行通榆支行",
                bank_account=card(90 + fare // 100),
            ),
        )
        for fare in (600, 500)
    ]
    benefits.approve(actor=reviewer, application_ids=[t.pk for t in tickets])
    default = selectors.unpaid_approved(reviewer, transport)
    assert (default.count, default.amount_fen) == (1, 110_000)

    envelope = envelope_for(reviewer, transport, count=1, amount_fen=500_000)
    made = services.make_batch(actor=reviewer, envelope=envelope)
    assert made.batch.count == 2  # two payments ...
    assert selectors.envelope_usage(envelope) == selectors.Figure(1, 110_000)  # ... one beneficiary

    (other,) = approved(700)
    with pytest.raises(Refused) as raised:
        services.make_batch(actor=reviewer, envelope=envelope, application_ids=[other.pk])
    with translation.override("en"):
        assert "room for 0 more beneficiaries" in str(raised.value.message)
    services.set_control_totals(
        actor=reviewer, envelope=envelope, control_count=2, control_amount_fen=500_000
    )
    services.make_batch(actor=reviewer, envelope=envelope, application_ids=[other.pk])
    assert selectors.envelope_usage(envelope) == selectors.Figure(2, 180_000)
    with pytest.raises(InvalidInput) as below:  # never below the beneficiaries its batches pay
        services.set_control_totals(
            actor=reviewer, envelope=envelope, control_count=1, control_amount_fen=500_000
        )
    with translation.override("en"):
        assert "already pay 2 beneficiaries" in str(below.value.field_errors["control_count"][0])


def test_an_application_without_a_bank_account_is_reported_not_silently_dropped(
    reviewer, transport, approved
):
    with_card, without = approved(800, (900, None))
    envelope = envelope_for(reviewer, transport)
    with pytest.raises(InvalidInput) as raised:  # chosen explicitly: the whole batch is refused
        services.make_batch(actor=reviewer, envelope=envelope, application_ids=[with_card.pk, without.pk])
    assert str(without.pk) in str(raised.value.field_errors["applications"][0])
    assert not Batch.objects.exists()

    made = services.make_batch(actor=reviewer, envelope=envelope)
    assert [a.pk for a in made.without_account] == [without.pk]
    assert [p.application_id for p in made.batch.payments.all()] == [with_card.pk]
    assert [a.pk for a in selectors.payable(reviewer, transport).without_account] == [without.pk]


def test_a_batch_is_all_or_none_and_the_database_refuses_a_second_live_payment(reviewer, transport, approved):
    first, second, third = approved(800, 900, 1000)
    envelope = envelope_for(reviewer, transport, count=10, amount_fen=1_000_000)
    services.make_batch(actor=reviewer, envelope=envelope, application_ids=[second.pk])
    before = snapshot()
    # Another clerk's batch took ``second`` between the list and the insert: the partial unique index
    # stops the whole batch, and nothing of it is left behind.
    everyone = Application.objects.filter(pk__in=[first.pk, second.pk, third.pk]).select_related(
        "opening", "member", "entity", "area"
    )
    with (
        mock.patch.object(selectors, "payable_applications", return_value=everyone),
        pytest.raises(Refused) as raised,
    ):
        services.make_batch(actor=reviewer, envelope=envelope)
    assert "same moment" in str(raised.value.message) or "同时" in str(raised.value.message)
    assert snapshot() == before

    payment = Payment.objects.get(application=second)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            batch=payment.batch,
            application=second,
            reference="FP-TWICE",
            payee_name="x",
            bank_name="x",
            account_enc=payment.account_enc,
            account_masked=payment.account_masked,
            amount_fen=payment.amount_fen,
            status=PaymentStatus.PAID,
            paid_on=TODAY,
        )


def test_a_batch_nobody_sent_can_be_cancelled_and_its_applications_are_payable_again(
    reviewer, transport, approved
):
    approved(800, 900)
    envelope = envelope_for(reviewer, transport)
    made = services.make_batch(actor=reviewer, envelope=envelope)
    with pytest.raises(InvalidInput):
        services.cancel_batch(actor=reviewer, batch=made.batch, reason="")
    services.cancel_batch(actor=reviewer, batch=made.batch, reason="金额有误，重做")
    assert selectors.envelope_usage(envelope) == selectors.NOTHING
    again = services.make_batch(actor=reviewer, envelope=envelope)
    sent(reviewer, again.batch)
    with pytest.raises(Refused):
        services.cancel_batch(actor=reviewer, batch=again.batch, reason="已发银行")


# ---------------------------------------------------------------- the bank file


def test_the_bank_file_holds_the_full_account_and_the_page_only_the_masked_one(
    client, reviewer, transport, approved
):
    application, other = approved(800, "1234.5")
    number = get_cipher().decrypt(BankAccount.objects.get(member=application.member).number_enc)
    envelope = envelope_for(reviewer, transport)
    batch = services.make_batch(actor=reviewer, envelope=envelope).batch
    client.force_login(reviewer)

    csv_file = client.get(reverse("payments:bank_file_csv", args=[batch.pk]))
    assert csv_file.status_code == 200 and csv_file["Content-Type"].startswith("text/csv")
    assert csv_file.content.startswith("\ufeff".encode())  # Excel on Chinese Windows reads UTF-8
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[0][0] == "付款参考号 / reference" and len(rows) == 3
    by_account = {row[3]: row for row in rows[1:]}
    assert by_account[number][4] == "800.00" and by_account[number][6] == "通榆县"
    assert by_account[number][1] == application.member.name
    assert sorted(row[4] for row in rows[1:]) == ["1234.50", "800.00"]

    from openpyxl import load_workbook

    xlsx = client.get(reverse("payments:bank_file_xlsx", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    cells = {row[3].value: row for row in sheet.iter_rows(min_row=2)}
    assert cells[number][3].data_type == "s"  # text: Excel keeps all 19 digits
    assert float(cells[number][4].value) == 800.0 and cells[number][4].number_format == "0.00"

    page = client.get(reverse("payments:batch", args=[batch.pk])).content.decode()
    assert number not in page and f"**** {number[-4:]}" in page
    for url in (
        reverse("payments:envelope", args=[envelope.pk]),
        reverse("payments:opening", args=[transport.pk]),
    ):
        assert number not in client.get(url).content.decode()


def test_every_bank_file_download_is_audited_without_the_account_numbers(reviewer, transport, approved):
    applications = approved(800, 900)
    batch = services.make_batch(actor=reviewer, envelope=envelope_for(reviewer, transport)).batch
    sent(reviewer, batch, "csv")
    sent(reviewer, batch, "xlsx")
    exports = AuditEntry.objects.filter(action="export", object_type="payment_batch", object_id=str(batch.pk))
    assert [
        (e.actor_id, e.changes["format"], e.changes["count"], e.changes["amount_fen"]) for e in exports
    ] == [
        (reviewer.pk, "csv", 2, 170_000),
        (reviewer.pk, "xlsx", 2, 170_000),
    ]
    numbers = [
        get_cipher().decrypt(BankAccount.objects.get(member=a.member).number_enc) for a in applications
    ]
    every_entry = " ".join(f"{e.summary} {e.changes}" for e in AuditEntry.objects.all())
    assert not any(number in every_entry for number in numbers)
    batch.refresh_from_db()
    assert batch.exports == 2 and batch.exported_at is not None


def test_a_spreadsheet_formula_in_a_payee_name_is_defused(reviewer, transport, approved):
    application = approved(800)[0]
    BankAccount.objects.filter(member=application.member).update(holder_name="=HYPERLINK(1)")
    batch = services.make_batch(actor=reviewer, envelope=envelope_for(reviewer, transport)).batch
    assert sent(reviewer, batch)[0]["payee"] == "'=HYPERLINK(1)"


# ---------------------------------------------------------------- the bank's return file


def test_a_bad_return_file_changes_nothing_and_names_the_row_and_the_column(reviewer, transport, approved):
    approved(800, 900, 1000, 1100, 1200)
    envelope = envelope_for(reviewer, transport)
    first = services.make_batch(
        actor=reviewer,
        envelope=envelope,
        application_ids=list(Application.objects.order_by("pk").values_list("pk", flat=True)[:1]),
    ).batch
    batch = services.make_batch(actor=reviewer, envelope=envelope).batch
    sent(reviewer, first)
    sent(reviewer, batch)
    p = list(batch.payments.order_by("pk"))
    other = first.payments.get()
    data = return_csv(
        paid_row(p[0]),  # row 2: fine
        ("FP000000000000099", "成功", "", TODAY.isoformat(), "800.00"),  # row 3: unknown reference
        paid_row(other),  # row 4: a payment of batch 1
        paid_row(p[1], amount="901.00"),  # row 5: the amount differs
        (p[2].reference, "成功", "", "2026-02-30", _yuan(p[2])),  # row 6: no such date
        (p[3].reference, "失败", "", "", _yuan(p[3])),  # row 7: a failure without its reason
    )
    before = snapshot()
    with pytest.raises(InvalidInput) as raised:
        load(reviewer, batch, data)
    assert snapshot() == before
    with translation.override("en"):
        problems = [str(m) for m in raised.value.field_errors["file"]]
    assert any(m.startswith("Row 6, column D (“支付日期”)") for m in problems), problems
    assert any(
        m.startswith("Row 7, column “失败原因 / failure_reason”") or m.startswith("Row 7, column C")
        for m in problems
    )
    joined = "\n".join(problems)
    assert "Row 3, column A" in joined and "No payment has the reference FP000000000000099" in joined
    assert "Row 4, column A" in joined and "batch 1, not of this batch" in joined
    assert "Row 5, column E" in joined and "901.00 yuan differs from the 1,000.00 yuan sent" in joined
    assert "Row 2" not in joined
    with translation.override("zh-hans"):
        chinese = "\n".join(str(m) for m in raised.value.field_errors["file"])
    assert "第 6 行" in chinese and "D 列" in chinese and "第 7 行" in chinese

    # A file whose problem is the header itself.
    with pytest.raises(InvalidInput) as raised:
        load(reviewer, batch, return_csv(("x", "y"), header=("付款参考号", "金额")))
    with translation.override("en"):
        assert "“结果 / result” is missing" in str(raised.value.field_errors["file"][0])
    assert snapshot() == before


def test_the_same_return_file_twice_changes_nothing_the_second_time_and_says_so(
    reviewer, transport, approved
):
    approved(800, 900, 1000)
    batch = services.make_batch(actor=reviewer, envelope=envelope_for(reviewer, transport)).batch
    sent(reviewer, batch)
    p = list(batch.payments.order_by("pk"))
    data = return_csv(paid_row(p[0]), failed_row(p[1]), paid_row(p[2]))
    first = load(reviewer, batch, data)
    assert first.changed and len(first.paid) == 2 and len(first.failed) == 1
    assert Application.objects.get(pk=p[0].application_id).paid_fen == 80_000
    after_first = snapshot()
    second = load(reviewer, batch, data)
    assert not second.changed and second.unchanged == 3 and second.loaded_before is not None
    assert snapshot() == after_first

    # The same answers in another file (xlsx this time, with the English words) change nothing either.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["reference", "result", "failure_reason", "paid_date"])
    sheet.append([p[0].reference, "paid", "", TODAY])
    sheet.append([p[1].reference, "failed", "account closed", None])
    out = io.BytesIO()
    book.save(out)
    third = load(reviewer, batch, out.getvalue(), "return.xlsx")
    assert not third.changed and third.unchanged == 2 and third.loaded_before is None
    assert snapshot() == after_first


def test_a_paid_payment_is_not_turned_into_a_failed_one_by_a_later_file(reviewer, transport, approved):
    approved(800)
    batch = services.make_batch(actor=reviewer, envelope=envelope_for(reviewer, transport)).batch
    sent(reviewer, batch)
    payment = batch.payments.get()
    load(reviewer, batch, return_csv(paid_row(payment)))
    before = snapshot()
    result = load(reviewer, batch, return_csv(failed_row(payment)))
    assert not result.changed and snapshot() == before
    with translation.override("en"):
        assert "stays paid" in str(result.conflicts[0]) and payment.reference in str(result.conflicts[0])


def test_failed_payments_are_carried_to_the_next_batch_under_a_new_reference(reviewer, transport, approved):
    good, bad = approved(800, 900)
    envelope = envelope_for(reviewer, transport)
    batch = services.make_batch(actor=reviewer, envelope=envelope).batch
    sent(reviewer, batch)
    failed = batch.payments.get(application=bad)
    load(
        reviewer,
        batch,
        return_csv(paid_row(batch.payments.get(application=good)), failed_row(failed, "户名不符")),
    )
    assert [a.pk for a, _ in selectors.payable(reviewer, transport).ready] == [bad.pk]
    assert selectors.envelope_usage(envelope) == selectors.Figure(1, 80_000)  # the failure gave its room back

    following = services.make_batch(actor=reviewer, envelope=envelope).batch
    carried = following.payments.get()
    assert (
        following.number == 2 and carried.application_id == bad.pk and carried.reference != failed.reference
    )
    sent(reviewer, following)
    # The first batch's file, sent again, no longer asks the bank to pay anything.
    with pytest.raises(Refused):
        services.bank_file(actor=reviewer, batch=batch, fmt="csv")
    load(reviewer, following, return_csv(paid_row(carried)))
    assert Application.objects.get(pk=bad.pk).paid_fen == 90_000
    # The old failure, reported paid after all by a late file, cannot pay the application a second time.
    late = load(reviewer, batch, return_csv(paid_row(failed)))
    assert not late.changed and late.conflicts
    assert Payment.objects.filter(application=bad, status=PaymentStatus.PAID).count() == 1


def test_a_reversal_keeps_its_reason_and_makes_the_entitlement_payable_again(
    reviewer, county_officer, transport, approved
):
    application = approved(800)[0]
    envelope = envelope_for(reviewer, transport)
    batch = services.make_batch(actor=reviewer, envelope=envelope).batch
    sent(reviewer, batch)
    payment = batch.payments.get()
    with pytest.raises(Refused):
        services.reverse_payment(actor=reviewer, payment=payment, reason="退汇")  # not paid yet
    load(reviewer, batch, return_csv(paid_row(payment)))
    payment.refresh_from_db()
    with pytest.raises(InvalidInput):
        services.reverse_payment(actor=reviewer, payment=payment, reason=" ")
    with pytest.raises(NotPermitted):
        services.reverse_payment(actor=county_officer, payment=payment, reason="退汇")
    services.reverse_payment(actor=reviewer, payment=payment, reason="收款行退汇：账户冻结")
    payment.refresh_from_db()
    application.refresh_from_db()
    assert payment.status == PaymentStatus.REVERSED and payment.reversal_reason == "收款行退汇：账户冻结"
    assert (application.paid_fen, application.paid_on) == (0, None)
    entry = AuditEntry.objects.filter(object_type="payment", object_id=str(payment.pk)).get()
    assert entry.changes["reason"] == "收款行退汇：账户冻结" and entry.changes["status"] == [
        "paid",
        "reversed",
    ]
    assert [a.pk for a, _ in selectors.payable(reviewer, transport).ready] == [application.pk]
    with pytest.raises(Refused):
        services.reverse_payment(actor=reviewer, payment=payment, reason="again")
    # A later file cannot bring a reversed payment back.
    result = load(reviewer, batch, return_csv(paid_row(payment)))
    assert not result.changed and result.conflicts


def test_reconciliation_adds_up(reviewer, transport, approved):
    approved(800, 900, 1000, 1100)
    batch = services.make_batch(actor=reviewer, envelope=envelope_for(reviewer, transport)).batch
    sent(reviewer, batch)
    p = list(batch.payments.order_by("pk"))
    load(reviewer, batch, return_csv(paid_row(p[0]), paid_row(p[1]), failed_row(p[2])))
    p[1].refresh_from_db()
    services.reverse_payment(actor=reviewer, payment=p[1], reason="退汇")
    figures = selectors.reconciliation(batch)
    assert figures.sent == selectors.Figure(4, 380_000)
    assert figures.paid == selectors.Figure(1, 80_000)
    assert figures.reversed == selectors.Figure(1, 90_000)
    assert figures.failed == selectors.Figure(1, 100_000)
    assert figures.pending == selectors.Figure(1, 110_000)
    assert figures.balanced


def test_paid_totals_by_programme_county_and_month(reviewer, village_cadre, make_user, transport, approved):
    approved(800, 900, 1000)
    batch = services.make_batch(actor=reviewer, envelope=envelope_for(reviewer, transport)).batch
    sent(reviewer, batch)
    p = list(batch.payments.order_by("pk"))
    load(reviewer, batch, return_csv(paid_row(p[0]), paid_row(p[1]), failed_row(p[2])))
    rows = selectors.paid_totals(reviewer, year=TODAY.year)
    assert rows == [selectors.PaidTotal("transport_subsidy", "220822", TODAY.strftime("%Y-%m"), 2, 170_000)]
    assert selectors.paid_totals(make_user(Role.COUNTY_ADMIN, "220821")) == []  # another county's admin
    assert sum(r.amount_fen for r in selectors.paid_totals(village_cadre)) == 170_000  # the village's own


# ---------------------------------------------------------------- whatever happens, nobody is paid twice


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("batch"), st.none()),
        st.tuples(
            st.just("return"),
            st.tuples(
                st.integers(0, 5),  # which batch
                st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["paid", "failed"])), max_size=4),
                st.booleans(),  # loaded twice
            ),
        ),
        st.tuples(st.just("reverse"), st.integers(0, 3)),
    ),
    max_size=12,
)


@pytest.fixture
def world(reviewer, transport, approved):
    """Four approved applications and an envelope with room for six payments: set up once per test,
    while each Hypothesis example runs in a savepoint that is rolled back."""
    applications = approved(800, 900, 1000, 1600)
    return applications, envelope_for(reviewer, transport, count=6, amount_fen=1_000_000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_whatever_the_sequence_no_application_is_paid_twice_nor_beyond_its_amount(
    reviewer, world, operations
):
    applications, envelope = world
    with transaction.atomic():
        for kind, argument in operations:
            if kind == "batch":
                with contextlib.suppress(Refused):
                    services.make_batch(actor=reviewer, envelope=envelope)
            elif kind == "return":
                which, answers, twice = argument
                batches = list(Batch.objects.filter(envelope=envelope).order_by("number"))
                if not batches:
                    continue
                batch = batches[which % len(batches)]
                if batch.exported_at is None:
                    with contextlib.suppress(Refused):
                        services.bank_file(actor=reviewer, batch=batch, fmt="csv")
                rows, seen = [], set()
                for index, result in answers:
                    payment = batch.payments.filter(application=applications[index]).first()
                    if payment is None or payment.pk in seen:
                        continue
                    seen.add(payment.pk)
                    rows.append(paid_row(payment) if result == "paid" else failed_row(payment))
                if rows:
                    for _time in range(2 if twice else 1):
                        with contextlib.suppress(Refused):
                            load(reviewer, batch, return_csv(*rows))
            else:
                payment = Payment.objects.filter(
                    application=applications[argument], status=PaymentStatus.PAID
                ).first()
                if payment is not None:
                    services.reverse_payment(actor=reviewer, payment=payment, reason="退汇")
            _check_invariants(envelope, applications)
        transaction.set_rollback(True)  # each example starts from the same approved applications


def _check_invariants(envelope, applications):
    for application in Application.objects.filter(pk__in=[a.pk for a in applications]):
        payments = Payment.objects.filter(application=application)
        assert payments.filter(status__in=LIVE).count() <= 1
        paid = list(payments.filter(status=PaymentStatus.PAID))
        assert len(paid) <= 1
        assert application.paid_fen == sum(p.amount_fen for p in paid) <= application.amount_fen
        assert application.status == ApplicationStatus.APPROVED
    usage = selectors.envelope_usage(envelope)
    assert usage.count <= envelope.control_count and usage.amount_fen <= envelope.control_amount_fen
    for batch in Batch.objects.filter(envelope=envelope):
        assert selectors.reconciliation(batch).balanced


# ---------------------------------------------------------------- scope and roles through the services


def test_another_countys_clerk_cannot_touch_the_batch(reviewer, make_user, transport, approved):
    approved(800)
    batch = services.make_batch(actor=reviewer, envelope=envelope_for(reviewer, transport)).batch
    stranger = make_user(Role.BENEFIT_REVIEWER, "220821")
    with pytest.raises(OutOfScope):
        services.bank_file(actor=stranger, batch=batch, fmt="csv")
    with pytest.raises(OutOfScope):
        services.make_batch(actor=stranger, envelope=batch.envelope)
    with pytest.raises(OutOfScope):
        selectors.get_batch(stranger, batch.pk)
    assert not selectors.payable(stranger, transport).ready


def test_a_county_officer_may_not_run_payments_and_is_told_why(county_officer, reviewer, transport, approved):
    approved(800)
    with pytest.raises(NotPermitted) as raised:
        envelope_for(county_officer, transport)
    with translation.override("en"):
        assert "prepare payments and load the bank's return files" in str(raised.value.message)
    assert not Envelope.objects.exists()


# ---------------------------------------------------------------- two clerks at the same moment (PostgreSQL)


ON_POSTGRES = os.environ.get("FUPIN_DATABASE_URL", "").startswith("postgres")


def _at_once(*calls):
    """Run the calls in threads released together; what each returned or raised."""
    start = threading.Barrier(len(calls))
    results: dict[int, object] = {}

    def run(index, call):
        try:
            start.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the refusal is the result
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[i] for i in range(len(calls))]


@pytest.mark.skipif(
    not ON_POSTGRES, reason="row locks are what this test is about: it runs in the PostgreSQL pass"
)
def test_two_clerks_at_the_same_moment_never_put_an_application_into_two_live_batches(
    audit_triggers_back, flushable_audit, make_user, transport, approved
):
    applications = approved(800, 900, 1000, 1100, 1200, 1300)
    first, second = make_user(Role.BENEFIT_REVIEWER, "220822"), make_user(Role.BENEFIT_REVIEWER, "220822")
    one = envelope_for(first, transport, count=6, amount_fen=1_000_000, cycle="一")
    other = envelope_for(second, transport, count=6, amount_fen=1_000_000, cycle="二")
    results = _at_once(
        lambda: services.make_batch(actor=first, envelope=one),
        lambda: services.make_batch(actor=second, envelope=other),
    )
    made = [r for r in results if isinstance(r, services.BatchMade)]
    assert made and all(isinstance(r, services.BatchMade | Refused) for r in results), results
    for application in applications:
        assert Payment.objects.filter(application=application, status__in=LIVE).count() == 1

    # Two clerks load the same return file at once: the batch's lock lets one change it, the other
    # then finds every row recorded.
    batch = made[0].batch
    sent(first, batch)
    data = return_csv(*(paid_row(p) for p in batch.payments.order_by("pk")))
    loads = _at_once(
        lambda: load(first, Batch.objects.get(pk=batch.pk), data),
        lambda: load(second, Batch.objects.get(pk=batch.pk), data),
    )
    assert sorted(r.changed for r in loads) == [False, True], loads
    assert ReturnFile.objects.filter(batch=batch).count() == 1
    for payment in batch.payments.all():
        application = Application.objects.get(pk=payment.application_id)
        assert application.paid_fen == payment.amount_fen
