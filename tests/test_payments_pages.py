"""Payment pages: the clerk's way through them, and every payments route × every role × inside and
outside the county (routes are read from the URL configuration, so a new one must be added here)."""

from __future__ import annotations

import io

import pytest
from django.urls import URLPattern, reverse

from fupin.accounts.roles import Capability, Role, has_capability
from fupin.benefits.models import Application, BankAccount
from fupin.payments import services
from fupin.payments.models import Batch, Envelope, Payment, PaymentStatus
from fupin.pii.crypto import get_cipher
from tests import test_payments as base
from tests.test_payments import TODAY, failed_row, paid_row, return_csv

# The fixtures of tests/test_payments.py: a reviewer, the county's transport subsidy, approved applications.
admin, reviewer, transport, approved = base.admin, base.reviewer, base.transport, base.approved


def _login(client, user, language="en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def test_a_clerk_sets_up_an_envelope_makes_a_batch_sends_it_and_loads_the_answer(
    client, reviewer, transport, approved
):
    first, second, _without = approved(800, 900, (700, None))
    _login(client, reviewer)
    opening_page = client.get(reverse("payments:opening", args=[transport.pk])).content.decode()
    assert "No payment envelope yet" in opening_page and "3 and 2,400.00 yuan" in opening_page

    response = client.post(reverse("payments:opening", args=[transport.pk]), {"cycle": "2026年第一批"})
    envelope = Envelope.objects.get()
    assert response.status_code == 302 and (envelope.control_count, envelope.control_amount_fen) == (
        3,
        240_000,
    )
    page = client.get(reverse("payments:envelope", args=[envelope.pk])).content.decode()
    assert "Approved but without a bank account" in page and "700.00" in page

    response = client.post(reverse("payments:batch_create", args=[envelope.pk]), {"all": "1"}, follow=True)
    batch = Batch.objects.get()
    page = response.content.decode()
    assert "Batch 1 is made: 2 payments, 1,700.00 yuan" in page
    assert "1 approved applications are not in the batch because they have no bank account" in page
    assert client.get(reverse("payments:bank_file_xlsx", args=[batch.pk])).status_code == 200

    payments = list(batch.payments.order_by("pk"))
    bad = return_csv(paid_row(payments[0]), (payments[1].reference, "失败", "", "", "900.00"))
    upload = io.BytesIO(bad)
    upload.name = "回盘.csv"
    response = client.post(reverse("payments:return_upload", args=[batch.pk]), {"file": upload})
    page = response.content.decode()
    assert "nothing changed" in page and "Row 3, column C" in page
    assert not Payment.objects.filter(status=PaymentStatus.PAID).exists()

    good = return_csv(paid_row(payments[0]), failed_row(payments[1], "账号不存在"))
    upload = io.BytesIO(good)
    upload.name = "回盘.csv"
    page = client.post(reverse("payments:return_upload", args=[batch.pk]), {"file": upload}, follow=True)
    text = page.content.decode()
    assert "1 paid, 1 failed, 0 already recorded" in text and "The batch adds up" in text
    again = io.BytesIO(good)
    again.name = "回盘.csv"
    text = client.post(
        reverse("payments:return_upload", args=[batch.pk]), {"file": again}, follow=True
    ).content.decode()
    assert "already recorded: nothing changed" in text and "The same file was loaded on" in text

    paid = Payment.objects.get(status=PaymentStatus.PAID)
    response = client.post(reverse("payments:reverse", args=[paid.pk]), {"reason": "收款行退汇"}, follow=True)
    assert "The payment is reversed" in response.content.decode()
    assert Application.objects.get(pk=first.pk).paid_fen == 0

    # In Chinese too, with the account masked and never in full.
    number = get_cipher().decrypt(BankAccount.objects.get(member=second.member).number_enc)
    _login(client, reviewer, "zh-hans")
    page = client.get(reverse("payments:batch", args=[batch.pk])).content.decode()
    assert "对账" in page and number not in page and number[-4:] in page


def test_the_opening_page_offers_payments_only_to_those_who_run_them(
    client, reviewer, county_officer, transport
):
    _login(client, reviewer)
    link = reverse("payments:opening", args=[transport.pk])
    assert link in client.get(reverse("benefits:opening", args=[transport.pk])).content.decode()
    _login(client, county_officer)
    assert link not in client.get(reverse("benefits:opening", args=[transport.pk])).content.decode()


def test_a_county_officer_is_refused_the_payment_pages_with_the_reason(client, county_officer, transport):
    _login(client, county_officer, "zh-hans")
    response = client.get(reverse("payments:opening", args=[transport.pk]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "县级管理员" in page and "您的角色无权进行此操作" not in page


def test_the_totals_page_shows_the_paid_months(client, reviewer, village_cadre, transport, approved):
    approved(800, 900)
    envelope = services.create_envelope(actor=reviewer, opening=transport, cycle="一")
    batch = services.make_batch(actor=reviewer, envelope=envelope).batch
    services.bank_file(actor=reviewer, batch=batch, fmt="csv")
    payments = list(batch.payments.order_by("pk"))
    batch.refresh_from_db()
    services.load_return_file(
        actor=reviewer,
        batch=batch,
        data=return_csv(paid_row(payments[0]), paid_row(payments[1])),
        file_name="r.csv",
    )
    _login(client, village_cadre)
    page = client.get(reverse("payments:totals")).content.decode()
    assert TODAY.strftime("%Y-%m") in page and "1,700.00" in page and 'id="chart-paid"' in page


# ---------------------------------------------------------------- the access matrix of the payment pages


@pytest.fixture
def records(reviewer, transport, approved):
    """An opening with an envelope, a batch whose file was sent, one payment paid and one waiting."""
    approved(800, 900)
    envelope = services.create_envelope(actor=reviewer, opening=transport, cycle="第一批")
    batch = services.make_batch(actor=reviewer, envelope=envelope).batch
    services.bank_file(actor=reviewer, batch=batch, fmt="csv")
    batch.refresh_from_db()
    paid = batch.payments.order_by("pk").first()
    services.load_return_file(actor=reviewer, batch=batch, data=return_csv(paid_row(paid)), file_name="r.csv")
    return {"opening": transport.pk, "envelope": envelope.pk, "batch": batch.pk, "payment": paid.pk}


# route → (which record, is it POST only, does it need MANAGE_PAYMENTS)
MATRIX = {
    "payments:index": (None, False, True),
    "payments:totals": (None, False, False),
    "payments:opening": ("opening", False, True),
    "payments:envelope": ("envelope", False, True),
    "payments:envelope_totals": ("envelope", True, True),
    "payments:batch_create": ("envelope", True, True),
    "payments:batch": ("batch", False, True),
    "payments:bank_file_csv": ("batch", False, True),
    "payments:bank_file_xlsx": ("batch", False, True),
    "payments:return_upload": ("batch", True, True),
    "payments:batch_cancel": ("batch", True, True),
    "payments:reverse": ("payment", False, True),
}


def test_every_payments_route_is_in_the_matrix():
    from fupin.payments.urls import urlpatterns

    assert {f"payments:{p.name}" for p in urlpatterns if isinstance(p, URLPattern)} == set(MATRIX)


@pytest.mark.parametrize("role", Role.values)
def test_payment_pages_inside_and_outside_the_county(client, make_user, records, role):
    inside, outside = make_user(role, "220822"), make_user(role, "220821")
    pays = has_capability(role, Capability.MANAGE_PAYMENTS)
    number = get_cipher().decrypt(Payment.objects.get(pk=records["payment"]).account_enc)
    for route, (record, post_only, needs) in MATRIX.items():
        url = reverse(route, args=[records[record]] if record else [])
        _login(client, inside)
        response = client.post(url, {}) if post_only else client.get(url)
        expected = (200, 302) if (pays or not needs) else (403,)
        assert response.status_code in expected, (route, "inside", response.status_code)
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            assert number not in response.content.decode(), route
        _login(client, outside)
        response = client.post(url, {}) if post_only else client.get(url)
        if record is None:
            assert response.status_code in ((200,) if (pays or not needs) else (403,)), (route, "outside")
            assert "800.00" not in response.content.decode(), route
        else:
            assert response.status_code == 404, (route, "outside", response.status_code)
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 1  # empty POSTs changed nothing


def test_the_bank_may_answer_with_its_own_copy_of_the_bank_file_plus_the_result_columns(
    client, reviewer, transport, approved
):
    approved(800, 900)
    envelope = services.create_envelope(actor=reviewer, opening=transport, cycle="一")
    batch = services.make_batch(actor=reviewer, envelope=envelope).batch
    _login(client, reviewer)
    sent = client.get(reverse("payments:bank_file_csv", args=[batch.pk])).content.decode("utf-8-sig")
    lines = sent.strip().split("\r\n")
    answered = [lines[0] + ",处理结果,失败原因,入账日期"]
    answered += [lines[1] + f",成功,,{TODAY:%Y/%m/%d}", lines[2] + ",失败,户名不符,"]
    upload = io.BytesIO(("\r\n".join(answered) + "\r\n").encode("gb18030"))  # saved by Excel on Windows
    upload.name = "回盘.csv"
    page = client.post(reverse("payments:return_upload", args=[batch.pk]), {"file": upload}, follow=True)
    assert "1 paid, 1 failed" in page.content.decode()
    assert Payment.objects.filter(status=PaymentStatus.FAILED, failure_reason="户名不符").count() == 1


def test_pages_of_a_cancelled_batch_and_of_a_payment_that_is_not_paid(client, reviewer, transport, approved):
    approved(800)
    envelope = services.create_envelope(actor=reviewer, opening=transport, cycle="一")
    batch = services.make_batch(actor=reviewer, envelope=envelope).batch
    payment = batch.payments.get()
    _login(client, reviewer)
    page = client.get(reverse("payments:reverse", args=[payment.pk])).content.decode()
    assert "Only a paid payment can be reversed." in page and "<textarea" not in page
    response = client.post(
        reverse("payments:batch_cancel", args=[batch.pk]), {"reason": "金额有误"}, follow=True
    )
    page = response.content.decode()
    assert "The batch is cancelled" in page and "金额有误" in page and "Bank file (CSV)" not in page
    assert client.get(reverse("payments:bank_file_csv", args=[batch.pk]), follow=True).status_code == 200
    listing = client.get(reverse("payments:index")).content.decode()
    assert reverse("payments:opening", args=[transport.pk]) in listing
    _login(client, reviewer, "zh-hans")
    assert "已撤销" in client.get(reverse("payments:batch", args=[batch.pk])).content.decode()
