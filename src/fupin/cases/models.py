"""Monitoring cases: a household's way from a risk clue to a county decision, and later to risk elimination.

A ``Case`` holds the current step; every step taken is a ``CaseEvent`` (the timeline, never
rewritten). Village public notices group the cases of one village posted together. Self-declarations
arrive from the public page before anybody has matched them to a registered household.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.registry.choices import MonitoringCategory, RiskType


class CaseKind(models.TextChoices):
    IDENTIFICATION = "identification", _("Identification (识别纳入)")
    ELIMINATION = "elimination", _("Risk elimination (风险消除)")


class Channel(models.TextChoices):
    SCREENING = "screening", _("Department data screening")
    VISIT = "visit", _("Cadre visit")
    SELF_DECLARATION = "self_declaration", _("Self-declaration by the household")
    DEPARTMENT = "department", _("Department referral")
    MONITORING = "monitoring", _("Follow-up of a monitored household")


class State(models.TextChoices):
    VISIT = "visit", _("Awaiting household visit")
    APPRAISAL = "appraisal", _("Awaiting village appraisal")
    NOTICE = "notice", _("Awaiting public notice")
    IN_NOTICE = "in_notice", _("Under public notice")
    TOWNSHIP = "township", _("Awaiting township review")
    COUNTY = "county", _("Awaiting county decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected by the county")
    CLOSED = "closed", _("Closed without a decision")


OPEN_STATES = (State.VISIT, State.APPRAISAL, State.NOTICE, State.IN_NOTICE, State.TOWNSHIP, State.COUNTY)


class EliminationKind(models.TextChoices):
    ASSISTED = "assisted", _("Eliminated by assistance (帮扶消除)")
    NATURAL = "natural", _("Eliminated naturally (自然消除)")


class FastTrackReason(models.TextChoices):
    DISASTER = "disaster", _("Natural disaster")
    ILLNESS = "illness", _("Sudden serious illness")
    ACCIDENT = "accident", _("Accident")


class Case(models.Model):
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="cases", verbose_name=_("household")
    )
    clue = models.OneToOneField(
        "screening.RiskClue", on_delete=models.PROTECT, null=True, blank=True, related_name="case"
    )
    kind = models.CharField(_("procedure"), max_length=20, choices=CaseKind.choices)
    channel = models.CharField(_("found through"), max_length=20, choices=Channel.choices)
    state = models.CharField(_("step"), max_length=20, choices=State.choices, default=State.VISIT)
    opened_on = models.DateField(_("clue date"))
    # Clue to county decision (or, after a fast-track inclusion, the owed steps) must end by this day.
    decision_due = models.DateField(_("decision due"))
    step_due = models.DateField(_("step due"))

    # What the village proposes after the visit (identification) and what the county decided.
    proposed_category = models.CharField(
        _("proposed category"), max_length=20, choices=MonitoringCategory.choices, blank=True
    )
    proposed_risk_types = models.CharField(_("proposed risk types"), max_length=200, blank=True)
    decided_category = models.CharField(
        _("monitoring category"), max_length=20, choices=MonitoringCategory.choices, blank=True
    )
    decided_risk_types = models.CharField(_("risk types"), max_length=200, blank=True)
    elimination_kind = models.CharField(
        _("elimination"), max_length=20, choices=EliminationKind.choices, blank=True
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    outcome_reason = models.CharField(_("reason"), max_length=500, blank=True)

    # The facts found on the visit ({visited_on, findings, income_per_capita, ...}) and the appraisal.
    visit_facts = models.JSONField(_("visit"), default=dict, blank=True)
    authorization_signed = models.BooleanField(_("authorization signed"), default=False)
    authorization_file = models.FileField(_("signed authorization"), upload_to="authorizations/", blank=True)
    appraisal = models.JSONField(_("village appraisal"), default=dict, blank=True)
    notice = models.ForeignKey(
        "VillageNotice", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )

    fast_tracked_on = models.DateField(_("included first on"), null=True, blank=True)
    fast_track_reason = models.CharField(
        _("fast-track reason"), max_length=20, choices=FastTrackReason.choices, blank=True
    )

    # Who did the steps that a later step reviews: nobody approves what they proposed.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    township_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["step_due", "id"]
        indexes = [models.Index(fields=["state", "step_due"]), models.Index(fields=["household", "state"])]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"case {self.pk} ({self.kind}) for household {self.household_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def proposed_risk_list(self) -> list[str]:
        return [code for code in self.proposed_risk_types.split(",") if code]

    @property
    def decided_risk_list(self) -> list[str]:
        return [code for code in self.decided_risk_types.split(",") if code]


class CaseEvent(models.Model):
    """One step taken (or a deadline change): the case's timeline. Appended, never updated."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    on = models.DateField(_("date"))
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.action}"


class VillageNotice(models.Model):
    """One public notice posted in a village for the cases listed on it (domain.md section 5)."""

    village = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("procedure"), max_length=20, choices=CaseKind.choices)
    posted_on = models.DateField(_("posted on"))
    days = models.PositiveSmallIntegerField(_("days"))
    # The first day the cases may go to the township: the posting day is day 0 (see docs/workflow.md).
    ends_on = models.DateField(_("notice ends"))
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-posted_on", "-id"]
        verbose_name = _("village public notice")

    def __str__(self) -> str:
        return f"notice {self.pk} in {self.village_id} from {self.posted_on}"


class Objection(models.Model):
    """An objection raised during a notice, and how the village settled it."""

    notice = models.ForeignKey(VillageNotice, on_delete=models.PROTECT, related_name="objections")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="objections")
    received_on = models.DateField(_("received on"))
    summary = models.CharField(_("objection"), max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_on = models.DateField(_("settled on"), null=True, blank=True)
    upheld = models.BooleanField(_("upheld"), null=True, blank=True)
    resolution = models.CharField(_("how it was settled"), max_length=500, blank=True)

    class Meta:
        ordering = ["received_on", "id"]

    def __str__(self) -> str:
        return f"objection {self.pk} to case {self.case_id}"


class DeclarationStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Phone not yet confirmed")
    NEW = "new", _("New")
    OPENED = "opened", _("Case opened")
    DISMISSED = "dismissed", _("Dismissed")


class Declaration(models.Model):
    """A household's own report of difficulty, from the public page (no login)."""

    village = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    phone_enc = models.TextField()
    phone_bidx = models.CharField(max_length=40, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20)
    difficulty = models.CharField(_("kind of difficulty"), max_length=30, choices=RiskType.choices)
    description = models.TextField(_("what happened"), max_length=2000)
    status = models.CharField(
        _("declaration status"),
        max_length=20,
        choices=DeclarationStatus.choices,
        default=DeclarationStatus.UNCONFIRMED,
    )
    # The confirmation code is kept only as a hash; attempts are counted against guessing.
    code_hash = models.CharField(max_length=64)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    client_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="declaration"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dismissed_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("self-declaration")

    def __str__(self) -> str:
        return f"declaration {self.pk}"


class Notification(models.Model):
    """A message in the application for one user: a step is waiting for them, or a decision was made."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A message code and its values; the text is put together in the reader's language when shown.
    kind = models.CharField(max_length=30)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


scope.register(Case, "household__village__path")
scope.register(CaseEvent, "case__household__village__path")
scope.register(VillageNotice, "village__path")
scope.register(Objection, "notice__village__path")
scope.register(Declaration, "village__path")
