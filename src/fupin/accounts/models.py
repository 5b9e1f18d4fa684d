from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability, Role, has_capability


class User(AbstractUser):
    """A cadre's account. What they may do comes from ``role``; which records, from their areas."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    preferred_language = models.CharField(max_length=10, blank=True)
    # For text messages about waiting steps; stored encrypted like every other phone number.
    phone_enc = models.TextField(blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)

    def can(self, capability: Capability) -> bool:
        return self.is_active and has_capability(self.role, capability)


class ScopeKind(models.TextChoices):
    VIEW = "view", _("View (may read)")
    CAPTURE = "capture", _("Capture (may edit)")


class UserArea(models.Model):
    """One area (with its subtree) in a user's view or capture scope."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="area_grants")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ScopeKind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "area", "kind"], name="unique_user_area_kind")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}:{self.area_id}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # A token stops working on this date (API_TOKEN_DAYS after it is issued); a leaked token
    # found in an old script or a department's configuration does not work forever.
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.prefix}…"
