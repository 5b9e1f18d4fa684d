"""Screening runs and the risk clues they leave for the monitoring workflow."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.registry.choices import MonitoringCategory


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class RunStage(models.TextChoices):
    """What a run is doing now, as the progress label says it."""

    QUEUED = "queued", _("waiting to start")
    SNAPSHOT = "snapshot", _("reading the registry")
    EVALUATE = "evaluate", _("applying the rules")
    CLUES = "clues", _("writing the risk clues")
    DONE = "done", _("done")


class Engine(models.TextChoices):
    """The engines a run can be computed on, by their product names (not translated)."""

    DUCKDB = "duckdb", "DuckDB"
    POSTGRES = "postgres", "PostgreSQL"
    SPARK = "spark", "Spark"


class ScreeningRun(models.Model):
    """One screening of an area with one policy pack: what was used and what came out."""

    policy_name = models.CharField(_("policy"), max_length=100)
    policy_version = models.CharField(_("policy version"), max_length=40)
    engine = models.CharField(_("engine"), max_length=20, choices=Engine.choices)
    as_of = models.DateField(_("screening date"))
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    data_as_of = models.DateTimeField(_("data as of"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    # What the run is doing now and how far it is, for the page.
    stage = models.CharField(_("stage"), max_length=20, blank=True, choices=RunStage.choices)
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    households = models.PositiveIntegerField(_("households screened"), default=0)
    hits = models.PositiveIntegerField(_("rule hits"), default=0)
    new_clues = models.PositiveIntegerField(_("new risk clues"), default=0)
    skipped_open = models.PositiveIntegerField(_("households with an open clue"), default=0)
    counts = models.JSONField(_("hits per rule"), default=dict)
    parameters = models.JSONField(_("parameter values used"), default=dict)
    seconds = models.FloatField(_("duration (s)"), default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("screening run")

    def __str__(self) -> str:
        return f"{self.policy_name} {self.policy_version} {self.as_of}"


class ClueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RiskClue(models.Model):
    """A household that a rule found at risk: the start of the monitoring procedure (domain.md §5)."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="risk_clues")
    run = models.ForeignKey(
        ScreeningRun, on_delete=models.PROTECT, related_name="clues", null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=20, default="screening")
    rule_ids = models.JSONField(_("rules hit"), default=list)
    suggested_category = models.CharField(
        _("suggested category"), max_length=20, choices=MonitoringCategory.choices
    )
    # Comma-wrapped codes, as on Household, so that one LIKE finds a type on every database.
    risk_types = models.CharField(_("risk types"), max_length=200, blank=True)
    # [{rule_id, severity, values, zh, en}]: the explanation in both languages with the numbers.
    explanation = models.JSONField(_("explanation"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=ClueStatus.choices, default=ClueStatus.OPEN)
    created_at = models.DateTimeField(_("found"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "household"])]
        verbose_name = _("risk clue")
        verbose_name_plural = _("risk clues")

    def __str__(self) -> str:
        return f"clue {self.pk} for household {self.household_id}"

    @property
    def risk_type_list(self) -> list[str]:
        return [code for code in self.risk_types.split(",") if code]


scope.register(RiskClue, "household__village__path")
