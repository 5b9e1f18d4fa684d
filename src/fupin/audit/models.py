from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    REVEAL = "reveal", _("Revealed personal data")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED = "locked", _("Account locked")
    GRANT = "grant", _("Access changed")
    PRINT = "print", _("Printed")
    SEARCH = "search", _("Searched by personal data")
    SCREEN = "screen", _("Screened")


class AuditEntry(models.Model):
    """One append-only, hash-chained entry. Database triggers refuse UPDATE and DELETE.

    ``changes`` holds field → [old, new] as strings; personal identifiers appear only masked.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    area_code = models.CharField(max_length=12, blank=True, db_index=True)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.object_type} {self.object_id}"


class AuditHead(models.Model):
    """The chain's last id and hash, updated in the same transaction as each entry.

    Lets ``fupin audit verify`` notice entries removed from the end of the chain, and its row lock
    serializes writers so that two concurrent entries never claim the same predecessor.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_entry_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)
    # Entries from this id on are chained by HMAC under the audit key; earlier ones (written before
    # the keyed chain) by plain SHA-256. Signed checkpoints record it, so it cannot be moved unseen.
    keyed_from = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"audit head at #{self.last_entry_id}"
