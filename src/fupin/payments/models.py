"""Paying approved benefits through the bank, on the pattern of OpenG2P's G2P Bridge.

An ``Envelope`` is what the finance bureau sets aside for one opening and cycle ("2026 first batch"): a
number of beneficiaries and an amount, the control totals nothing beyond is accepted into. A ``Batch`` is
one bank file's worth of ``Payment`` rows, made all or none from approved applications. Each payment
keeps the payee's account as it was when the batch was made (encrypted; the bank file is the only place
it appears in full), so the bank's return file is matched against what was actually sent.

A payment is live while it is pending at the bank or paid. An application has at most one live payment:
a partial unique index says so, whatever a service might get wrong. A failed, reversed or cancelled
payment is not live, so the application is payable again in a later batch.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope


class Envelope(models.Model):
    """Control totals for paying one opening's applications in one cycle."""

    opening = models.ForeignKey(
        "benefits.Opening", on_delete=models.PROTECT, related_name="+", verbose_name=_("programme opening")
    )
    cycle = models.CharField(_("cycle"), max_length=40)
    control_count = models.PositiveIntegerField(_("beneficiaries"))
    control_amount_fen = models.BigIntegerField(_("amount"))
    scheduled_on = models.DateField(_("payment date planned"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped first by every write into the envelope: the row lock (PostgreSQL) or the write lock (SQLite)
    # is held from the start, so two clerks never both count the same room under the control totals.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["opening", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opening", "cycle"], name="one_envelope_per_cycle"),
            models.CheckConstraint(
                condition=models.Q(control_count__gte=0, control_amount_fen__gte=0),
                name="envelope_totals_not_negative",
            ),
        ]
        verbose_name = _("payment envelope")

    def __str__(self) -> str:
        return f"{self.opening_id} {self.cycle}"


class Batch(models.Model):
    """One bank file: the payments made together from an envelope, numbered 1, 2, … within it."""

    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="batches")
    number = models.PositiveIntegerField()
    # Fixed when the batch is made: what the bank file asks the bank to pay.
    count = models.PositiveIntegerField()
    amount_fen = models.BigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)  # the first bank-file download
    exports = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)  # bumped by every return file: the batch's lock

    class Meta:
        ordering = ["envelope", "number"]
        constraints = [
            models.UniqueConstraint(fields=["envelope", "number"], name="batch_number_in_envelope"),
            models.CheckConstraint(condition=models.Q(count__gt=0, amount_fen__gt=0), name="batch_not_empty"),
        ]
        verbose_name = _("payment batch")

    def __str__(self) -> str:
        return f"{self.envelope_id}/{self.number}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the bank")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    REVERSED = "reversed", _("Reversed")
    CANCELLED = "cancelled", _("Cancelled")


# A live payment holds its application: nothing else may pay it meanwhile.
LIVE = (PaymentStatus.PENDING, PaymentStatus.PAID)


class ReturnFile(models.Model):
    """A bank return file that changed something (a file that changes nothing leaves no row)."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="return_files")
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    paid = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()
    unchanged = models.PositiveIntegerField()
    conflicts = models.PositiveIntegerField()
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["batch", "loaded_at", "id"]

    def __str__(self) -> str:
        return self.file_name


class Payment(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="payments")
    application = models.ForeignKey("benefits.Application", on_delete=models.PROTECT, related_name="payments")
    # What the bank echoes in its return file; a payment carried to a later batch gets a new one.
    reference = models.CharField(_("payment reference"), max_length=30, unique=True)
    payee_name = models.CharField(_("payee"), max_length=100)
    bank_name = models.CharField(_("bank"), max_length=100)
    account_enc = models.TextField()
    account_masked = models.CharField(_("account number"), max_length=12)
    amount_fen = models.BigIntegerField(_("amount"))
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    return_file = models.ForeignKey(
        ReturnFile, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    reversal_reason = models.CharField(_("reason for the reversal"), max_length=300, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            # Nothing is ever paid twice: one application, at most one payment pending or paid.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(status__in=["pending", "paid"]),
                name="one_live_payment_per_application",
            ),
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(paid_on__isnull=False),
                name="paid_payment_has_its_date",
            ),
        ]
        indexes = [models.Index(fields=["batch", "status"])]
        verbose_name = _("payment")

    def __str__(self) -> str:
        return self.reference


# Envelopes and batches are the county's (payments are made at county level); a payment is where its
# application is.
scope.register(Envelope, "opening__county__path")
scope.register(Batch, "envelope__opening__county__path")
scope.register(ReturnFile, "batch__envelope__opening__county__path")
scope.register(Payment, "application__area__path")
