"""Imported department lists: one batch per file, one record per row.

A record keeps the person's ID number the way the registry does (encrypted, a blind index for exact
look-up, a masked form for display), never in plain text. ``member`` and ``household`` are set when
the ID number matched a registered person at import time ("linked"); an unlinked record is kept and
counted, but the scoping layer shows it to nobody, and the screening engine never sees it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.feeds.kinds import FeedKind


class FeedBatch(models.Model):
    """One imported file. Counts only: no personal data."""

    kind = models.CharField(_("kind"), max_length=30, choices=FeedKind.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    # Null when the list was imported by the operator at the command line without --user.
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    linked_count = models.PositiveIntegerField(_("linked"), default=0)
    unlinked_count = models.PositiveIntegerField(_("unlinked"), default=0)
    # Keyed hash of the file's bytes: the same file imported twice would count every bill twice.
    content_digest = models.CharField(max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("feed batch")
        verbose_name_plural = _("feed batches")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


class FeedRecord(models.Model):
    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("kind"), max_length=30, choices=FeedKind.choices)
    member = models.ForeignKey(
        "registry.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="feed_records"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="feed_records"
    )
    id_number_enc = models.TextField()
    id_number_bidx = models.CharField(max_length=40, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=50)
    event_date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    # NULL when the kind has no code, so that the engine's table gets a null, not "".
    code = models.CharField(_("code"), max_length=30, null=True, blank=True)
    source_row = models.PositiveIntegerField(_("row in the file"))

    class Meta:
        ordering = ["batch_id", "source_row", "id"]
        indexes = [models.Index(fields=["kind", "event_date"])]
        verbose_name = _("feed record")
        verbose_name_plural = _("feed records")

    def __str__(self) -> str:
        return f"{self.kind} {self.id_number_masked} {self.event_date}"

    @property
    def is_linked(self) -> bool:
        return self.household_id is not None


# Unlinked records have no household: the path is NULL and no scope matches them.
scope.register(FeedRecord, "household__village__path")
