"""Policy scenarios: an overlay of changes on the pack in force, its simulation runs, and the request
to publish it as next year's pack (which takes a second person's approval)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope


class Scenario(models.Model):
    """A named what-if: new parameter values and rules on top of ``base_pack`` for ``area``.

    Never used by screening: only a published pack is (docs/scenarios.md).
    """

    name = models.CharField(_("name"), max_length=120)
    note = models.TextField(_("note"), blank=True)
    base_pack = models.CharField(_("policy pack in force"), max_length=100)
    base_version = models.CharField(_("its version"), max_length=40)
    # The area the scenario is for: its changes hold in this area's region (a province or a county).
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    # engine.scenarios.Overlay.as_dict(): {"region", "parameters": {name: value}, "rules": [...]}
    overlay = models.JSONField(_("changes"), default=dict)
    effective_from = models.DateField(_("in force from, when published"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("policy scenario")

    def __str__(self) -> str:
        return self.name


class RunKind(models.TextChoices):
    SIMULATION = "simulation", _("Simulation")
    SWEEP = "sweep", _("Sensitivity sweep")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class RunStage(models.TextChoices):
    QUEUED = "queued", _("waiting to start")
    SNAPSHOT = "snapshot", _("reading the registry")
    EVALUATE = "evaluate", _("applying both sets of rules")
    COSTS = "costs", _("computing the benefit costs")
    DONE = "done", _("done")


class ScenarioRun(models.Model):
    """One simulation (or sweep) of a scenario on one area's registry as it was when the run started.

    ``result`` holds figures only (counts per area, category, risk type and rule, the attribution and a
    few example household ids), never names, ID numbers or phones.
    """

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(_("kind"), max_length=12, choices=RunKind.choices, default=RunKind.SIMULATION)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    as_of = models.DateField(_("simulated date"))
    sweep = models.JSONField(_("sweep"), default=dict, blank=True)  # parameter, start, stop, step
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    stage = models.CharField(_("stage"), max_length=20, blank=True, choices=RunStage.choices)
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    seconds = models.FloatField(_("duration (s)"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("scenario run")

    def __str__(self) -> str:
        return f"{self.scenario} {self.as_of}"


class PublicationStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Publication(models.Model):
    """A request to publish a scenario as a pack: approved or refused by someone other than the requester.

    The approved pack text is what the operator installs (docs/scenarios.md, "Publishing").
    """

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="publications")
    pack_name = models.CharField(_("pack name"), max_length=100)
    pack_version = models.CharField(_("pack version"), max_length=40)
    effective_from = models.DateField(_("in force from"))
    pack_text = models.TextField(_("pack file"))
    status = models.CharField(
        _("status"), max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.REQUESTED
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("scenario publication")

    def __str__(self) -> str:
        return f"{self.pack_name} {self.pack_version}"


scope.register(Scenario, "area__path")
scope.register(ScenarioRun, "area__path")
scope.register(Publication, "scenario__area__path")
