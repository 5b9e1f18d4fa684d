"""An import started from the upload page: its progress, its counts and, if it failed, the error workbook.

Counts only: no personal data. The uploaded file and the error workbook are kept on disk encrypted
(they hold ID numbers) under ``VAR_DIR/exchange``; the upload is deleted once it has been read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Imported")
    REJECTED = "rejected", _("Rejected: the file has errors")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    kind = models.CharField(_("kind"), max_length=30)
    file_name = models.CharField(_("file name"), max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING
    )
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    seconds = models.FloatField(_("duration (s)"), default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"

    @property
    def kind_label(self) -> str:
        """What the file held, by name (the kind's label, as on the upload form), not by its code."""
        from fupin.exchange.importer import kind_label

        return kind_label(self.kind)
