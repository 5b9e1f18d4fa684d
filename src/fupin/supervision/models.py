"""Supervision: the problem list (问题清单), its task and responsibility list (任务清单、责任清单), and
rectification (整改) with evidence and a second person's acceptance (验收销号).

A ``Problem`` is found in an area (a county, township or village) by an inspection, an unannounced
visit, an assessment, a complaint, an audit or a data check, optionally about one registry household.
Its ``Task`` rows say which unit and person fix what, by when, with which measures. A ``Rectification``
is one report of the fix with its ``Evidence`` files; another person accepts it (the problem is closed,
销号) or rejects it with a reason (the problem is returned, 退回). A closed problem is reopened with a
reason when the fault shows again (a data check still fails, say). ``ProblemEvent`` keeps the steps
with their reasons for the problem's page; the audit log keeps them too.

Statuses follow the province's ledgers: 待整改 → 整改中 → 待验收 → 已销号 | 退回.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope


class Source(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    UNANNOUNCED_VISIT = "unannounced_visit", _("Unannounced visit")
    ASSESSMENT = "assessment", _("Assessment")
    COMPLAINT = "complaint", _("Complaint")
    AUDIT = "audit", _("Audit")
    DATA_CHECK = "data_check", _("Data check")


class Kind(models.TextChoices):
    """What kind of fault (the assessment's dimensions: responsibility, policy, work, results)."""

    IDENTIFICATION = "identification", _("Monitoring and identification")
    ASSISTANCE = "assistance", _("Assistance measures")
    POLICY = "policy", _("Policy implementation")
    FUNDS = "funds", _("Funds and projects")
    DATA_QUALITY = "data_quality", _("Data quality")
    WORK_STYLE = "work_style", _("Work style and responsibility")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")
    GRAVE = "grave", _("Grave")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting for rectification")
    IN_PROGRESS = "in_progress", _("Being rectified")
    AWAITING_ACCEPTANCE = "awaiting_acceptance", _("Waiting for acceptance")
    CLOSED = "closed", _("Closed")
    RETURNED = "returned", _("Returned")


OPEN_STATUSES = (Status.PENDING, Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE, Status.RETURNED)


class Stratum(models.TextChoices):
    """The categories an inspection's sample is stratified by (``fupin.engine.sampling``)."""

    UNSTABLE_LIFTED = "unstable_lifted", _("Unstable lifted-out household")
    MARGINAL = "marginal", _("Marginal household prone to poverty")
    SUDDEN_DIFFICULTY = "sudden_difficulty", _("Household in sudden severe difficulty")
    LIFTED_OUT = "lifted_out", _("Lifted-out household, not monitored")
    ORDINARY = "ordinary", _("Ordinary household")


class Inspection(models.Model):
    """An inspection, unannounced visit or assessment visit of an area (督查、暗访、考核), with its team
    and the households drawn at random to visit. The draw is kept with its seed, so anyone can draw it
    again and see that the team did not choose whom to see."""

    source = models.CharField(_("kind"), max_length=20, choices=Source.choices)
    title = models.CharField(_("title"), max_length=100)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    team = models.TextField(_("team"), max_length=1000)
    sample_size = models.PositiveIntegerField(_("households to visit"))
    seed = models.BigIntegerField(_("seed"))
    population = models.PositiveIntegerField(default=0)  # households the sample was drawn from
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("inspection")

    def __str__(self) -> str:
        return f"inspection {self.pk}"


class InspectedHousehold(models.Model):
    """A household of an inspection's sample, with the day the team visited it."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="households")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=20, choices=Stratum.choices)
    draw_order = models.PositiveIntegerField()
    visited_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["stratum", "draw_order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "household"], name="uniq_inspected_household")
        ]

    def __str__(self) -> str:
        return f"household {self.household_id} of inspection {self.inspection_id}"


class Problem(models.Model):
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # the inspection whose team found it, if one did
    inspection = models.ForeignKey(
        Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    household = models.ForeignKey(
        "registry.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("household"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("description"), max_length=1000)
    found_on = models.DateField(_("found on"))
    # The rectification deadline (限时整改); a problem from a data check gets it with its first task.
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    lead_unit = models.CharField(_("lead unit"), max_length=100, blank=True)
    # For a problem from a data check: the check's code and what it showed (no identifiers).
    check_code = models.CharField(max_length=60, blank=True)
    check_values = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    closed_on = models.DateField(null=True, blank=True)
    reopened = models.PositiveIntegerField(default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-found_on", "-id"]
        indexes = [models.Index(fields=["status", "deadline"])]
        verbose_name = _("problem")

    def __str__(self) -> str:
        return f"problem {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED


class Task(models.Model):
    """One line of the task and responsibility list: who fixes what, by when, how."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="tasks")
    responsible_unit = models.CharField(_("responsible unit"), max_length=100)
    responsible_person = models.CharField(_("person responsible"), max_length=50)
    deadline = models.DateField(_("deadline"))
    measures = models.TextField(_("measures"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"task {self.pk} of problem {self.problem_id}"


class Decision(models.TextChoices):
    WAITING = "waiting", _("Waiting for acceptance")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Rectification(models.Model):
    """A report of what was done, with evidence; accepted or rejected by a second person."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="rectifications")
    description = models.TextField(_("what was done"), max_length=1000)
    done_on = models.DateField(_("done on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.WAITING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"rectification {self.pk} of problem {self.problem_id}"


class Evidence(models.Model):
    """A file proving the fix, stored under a name the system makes up (``fupin.core.uploads``)."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="evidence")
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
        return f"evidence {self.pk}"


class EventKind(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    TASK = "task", _("Task assigned")
    RECTIFIED = "rectified", _("Rectification reported")
    ACCEPTED = "accepted", _("Accepted and closed")
    REJECTED = "rejected", _("Returned")
    REOPENED = "reopened", _("Reopened")


class ProblemEvent(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of problem {self.problem_id}"


class SituationKind(models.TextChoices):
    RETURN_TO_POVERTY = "return_to_poverty", _("Many households at risk of returning to poverty")
    DISASTER = "disaster", _("Natural disaster or extreme weather")
    ACCIDENT = "accident", _("Accident or death")
    UNEMPLOYMENT = "unemployment", _("Mass unemployment or unpaid wages")
    PUBLIC_OPINION = "public_opinion", _("Media exposure or public complaint")
    OTHER = "other", _("Other emergency")


class SituationReport(models.Model):
    """An important situation (重要情况), reported up at once from where it happened: the county and the
    province are told in the application and by text, acknowledge receipt, and follow it up."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    kind = models.CharField(_("kind"), max_length=20, choices=SituationKind.choices)
    title = models.CharField(_("title"), max_length=100)
    occurred_on = models.DateField(_("happened on"))
    households_affected = models.PositiveIntegerField(_("households affected"), default=0)
    people_affected = models.PositiveIntegerField(_("people affected"), default=0)
    description = models.TextField(_("what happened"), max_length=2000)
    measures = models.TextField(_("measures taken"), max_length=2000, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    county_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    county_acknowledged_at = models.DateTimeField(null=True, blank=True)
    province_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    province_acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("important situation report")

    def __str__(self) -> str:
        return f"situation report {self.pk}"


class SituationUpdate(models.Model):
    """A follow-up of a situation report: what was done since, or what the level above asks."""

    report = models.ForeignKey(SituationReport, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(max_length=2000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["written_at", "id"]

    def __str__(self) -> str:
        return f"update {self.pk} of situation report {self.report_id}"


class ReportRound(models.Model):
    """A scheduling report (调度) a level issued to the areas below it, for a period, with a deadline.

    ``fields`` is the form's field list as it was when issued (``fupin.supervision.schedules``), so a
    later change to the form does not change what was asked."""

    form_code = models.CharField(max_length=40)
    title = models.CharField(_("title"), max_length=100)
    fields = models.JSONField(default=list)
    issuer_area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    filler_level = models.PositiveSmallIntegerField()  # the AreaLevel of the areas that fill it
    period = models.CharField(_("period"), max_length=7)  # "YYYY-MM": the month whose figures are asked
    deadline = models.DateField(_("deadline"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("scheduling report")

    def __str__(self) -> str:
        return f"report round {self.pk}"


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", _("Not submitted")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class ReportSubmission(models.Model):
    """One area's filling of a round: the figures from the system and the ones typed in."""

    round = models.ForeignKey(ReportRound, on_delete=models.CASCADE, related_name="submissions")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING
    )
    values = models.JSONField(default=dict)  # field code → value (numbers as strings: exact)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_on = models.DateField(null=True, blank=True)  # the business day, for "late"
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    reminders = models.PositiveIntegerField(default=0)
    reminded_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["area__code"]
        constraints = [models.UniqueConstraint(fields=["round", "area"], name="one_submission_per_area")]
        indexes = [models.Index(fields=["status", "round"])]

    def __str__(self) -> str:
        return f"submission {self.pk} of round {self.round_id}"


scope.register(Inspection, "area__path")
scope.register(ReportRound, "issuer_area__path")
scope.register(ReportSubmission, "area__path")
scope.register(SituationReport, "area__path")
scope.register(SituationUpdate, "report__area__path")
scope.register(InspectedHousehold, "inspection__area__path")
scope.register(Problem, "area__path")
scope.register(Task, "problem__area__path")
scope.register(Rectification, "problem__area__path")
scope.register(Evidence, "rectification__problem__area__path")
