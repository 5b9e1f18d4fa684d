"""Candidate pairs the linker was not sure about, waiting for a person: record → member, member ↔ member.

Only ids and a probability are stored: names and ID numbers stay on the records themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class LinkCandidate(models.Model):
    """A department record that may belong to a registered person."""

    record = models.ForeignKey("feeds.FeedRecord", on_delete=models.CASCADE, related_name="link_candidates")
    member = models.ForeignKey("registry.Member", on_delete=models.CASCADE, related_name="link_candidates")
    probability = models.FloatField(_("match probability"))
    status = models.CharField(_("status"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-probability", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "member"], name="one_candidate_per_pair")]
        verbose_name = _("link candidate")
        verbose_name_plural = _("link candidates")

    def __str__(self) -> str:
        return f"{self.record_id} → {self.member_id} ({self.probability:.2f})"


class DuplicateCandidate(models.Model):
    """Two members of different households who may be the same person (``first_id`` < ``second_id``).

    Merging keeps ``kept`` and marks the other as having left its household; nothing is deleted.
    """

    first = models.ForeignKey("registry.Member", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("registry.Member", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("match probability"))
    status = models.CharField(_("status"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    kept = models.ForeignKey(
        "registry.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-probability", "id"]
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="one_duplicate_per_pair")]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")

    def __str__(self) -> str:
        return f"{self.first_id} ↔ {self.second_id} ({self.probability:.2f})"


# Seen by whoever sees the member; deciding needs capture scope over it (both members for duplicates).
scope.register(LinkCandidate, "member__household__village__path")
scope.register(DuplicateCandidate, "first__household__village__path")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Matching")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class LinkageRun(models.Model):
    """One matching of the unlinked department records, carried out by the worker (fupin.linkage.jobs).

    Its counts are written in the same transaction as the links it makes, so a run is either finished
    with every link in place or has changed nothing."""

    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    records = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"linkage run {self.pk} ({self.status})"

    @property
    def under_way(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def worker_stopped(self) -> bool:
        """Failed because its worker stopped each time (the page says so in the reader's language)."""
        from fupin.jobs.services import stopped

        return stopped(self.error)
