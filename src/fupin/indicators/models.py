"""Pre-aggregated indicator tables: one build per rebuild, one row of figures per area.

A build is written aside (state ``building``) while pages keep reading the current one, then swapped
in within one transaction. The last build of each month is kept as that month's figures, so trends
read months that were really reported, not recomputed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BuildState(models.TextChoices):
    BUILDING = "building", _("Being built")
    CURRENT = "current", _("Current")
    KEPT = "kept", _("Kept as the month's figures")
    FAILED = "failed", _("Failed")


class Build(models.Model):
    period = models.CharField(_("month"), max_length=7)  # YYYY-MM
    as_of = models.DateField(_("data as of"))
    state = models.CharField(max_length=10, choices=BuildState.choices, default=BuildState.BUILDING)
    trigger = models.CharField(max_length=40, blank=True)  # import, screening, command, page
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stage = models.CharField(max_length=20, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    households = models.PositiveIntegerField(default=0)
    areas = models.PositiveIntegerField(default=0)
    seconds = models.JSONField(default=dict, blank=True)
    settings = models.JSONField(default=dict, blank=True)  # the multidimensional index's dimensions and k
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["state", "period"])]

    def __str__(self) -> str:
        return f"{self.period} {self.state} ({self.pk})"


class AreaFigures(models.Model):
    """An area's figures in one build: the engine's sums and derived indicators, and its months."""

    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="area_figures")
    code = models.CharField(max_length=12)  # "" is the nation
    level = models.PositiveSmallIntegerField()  # 0 nation … 5 village
    parent = models.CharField(max_length=12)  # the code of the area above; "-" for the nation
    values = models.JSONField(default=dict)
    months = models.JSONField(default=list)  # [[yyyymm, taken into monitoring, eliminated], …]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["build", "code"], name="one_row_per_area_and_build")]
        indexes = [models.Index(fields=["build", "parent"]), models.Index(fields=["code", "build"])]

    def __str__(self) -> str:
        return f"{self.code or 'nation'} in build {self.build_id}"
