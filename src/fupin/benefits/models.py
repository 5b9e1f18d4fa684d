"""Benefit programmes opened by a county, the applications for them, their evidence and bank accounts.

A programme's rules (who applies, conditions, amount, caps) are policy data in a pack; an ``Opening`` is
a county opening one of them for a year. An ``Application`` holds who applies and the facts the rules
read; the engine's decision is stored on it: provisional while it waits for approval, fixed when a second
person approves it (then it counts against every cap for the applications after it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope


class OpeningStatus(models.TextChoices):
    OPEN = "open", _("Open for applications")
    CLOSED = "closed", _("Closed")


class Opening(models.Model):
    """A county opens a programme of a policy pack for a year (一次性吸纳就业补贴 2026年, say)."""

    pack = models.CharField(_("policy pack"), max_length=60)
    programme = models.CharField(_("programme"), max_length=60)
    county = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=10, choices=OpeningStatus.choices, default=OpeningStatus.OPEN
    )
    # Programmes whose beneficiaries are announced before payment (names, village, amount only).
    public_notice = models.BooleanField(_("beneficiaries are publicly announced"), default=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "programme"]
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "programme", "county", "year"], name="one_opening_per_year"
            )
        ]
        verbose_name = _("programme opening")

    def __str__(self) -> str:
        return f"{self.programme} {self.county_id} {self.year}"


class ApplicationStatus(models.TextChoices):
    ENTERED = "entered", _("Awaiting approval")
    RETURNED = "returned", _("Returned for correction")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Application(models.Model):
    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="applications")
    programme = models.CharField(max_length=60, db_index=True)  # the opening's, copied for the engine
    # Where the application belongs for scope: the person's village, or the entity's area.
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    county_code = models.CharField(max_length=6)
    member = models.ForeignKey(
        "registry.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_applications",
        verbose_name=_("person"),
    )
    household = models.ForeignKey(
        "registry.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_applications",
        verbose_name=_("household"),
    )
    entity = models.ForeignKey(
        "entities.Entity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_applications",
        verbose_name=_("entity"),
    )
    post_code = models.CharField(_("post"), max_length=40, blank=True)
    applied_on = models.DateField(_("applied on"))
    period = models.DateField(_("month claimed"), null=True, blank=True)
    # Fact name → value (numbers, booleans, ISO dates, strings) as the programme's rules read them.
    facts = models.JSONField(default=dict, blank=True)

    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.ENTERED
    )
    # The engine's decision: provisional while entered, fixed at approval.
    eligible = models.BooleanField(null=True)
    refusal_code = models.CharField(max_length=30, blank=True)
    refusal_detail = models.CharField(max_length=100, blank=True)
    base_fen = models.BigIntegerField(null=True)
    amount_fen = models.BigIntegerField(null=True)
    counted_amount_fen = models.BigIntegerField(null=True)
    holds_place = models.BooleanField(default=False)  # holds the person's once-only place
    month_counted = models.BooleanField(default=False)  # its month counts towards the month limit
    explanation = models.JSONField(default=dict, blank=True)  # {"zh": [...], "en": [...]}
    computed_at = models.DateTimeField(null=True)

    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=300, blank=True)
    # Set by the payments app when the bank confirms the payment (and cleared by a reversal).
    paid_fen = models.BigIntegerField(default=0)
    paid_on = models.DateField(null=True, blank=True)
    # The measure a paid benefit of a person or household counts as in the household's assistance plan.
    plan_measure = models.OneToOneField(
        "assistance.Measure", null=True, blank=True, on_delete=models.SET_NULL, related_name="benefit"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["applied_on", "id"]
        indexes = [models.Index(fields=["programme", "status"]), models.Index(fields=["opening", "status"])]
        verbose_name = _("benefit application")

    def __str__(self) -> str:
        return f"{self.programme} #{self.pk}"


class EvidenceKind(models.TextChoices):
    CONTRACT = "contract", _("Labour contract or agreement")
    WAGES = "wages", _("Wage record")
    TICKET = "ticket", _("Ticket")
    INVOICE = "invoice", _("Invoice")
    OTHER = "other", _("Other document")


class Evidence(models.Model):
    """A document attached to an application, stored under a name the system makes up."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("document"), max_length=20, choices=EvidenceKind.choices)
    file = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} of application {self.application_id}"


class BankAccount(models.Model):
    """The account a person's or an entity's benefits are paid to; the number is encrypted and masked."""

    member = models.ForeignKey(
        "registry.Member", null=True, blank=True, on_delete=models.CASCADE, related_name="bank_accounts"
    )
    entity = models.ForeignKey(
        "entities.Entity", null=True, blank=True, on_delete=models.CASCADE, related_name="bank_accounts"
    )
    bank_name = models.CharField(_("bank"), max_length=100)
    holder_name = models.CharField(_("account holder"), max_length=100)
    number_enc = models.TextField()
    number_masked = models.CharField(_("account number"), max_length=12)
    current = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=False, entity__isnull=True)
                | models.Q(member__isnull=True, entity__isnull=False),
                name="bank_account_one_holder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.number_masked}"


class Ledger(models.Model):
    """One row per pack: approvals lock it first, so two approvers never count the same cap room twice."""

    pack = models.CharField(max_length=60, unique=True)
    approvals = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.pack


scope.register(Application, "area__path")
scope.register(Evidence, "application__area__path")
