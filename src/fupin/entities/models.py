"""Business entities: enterprises, cooperatives, family farms and workshops that apply for benefits,
employ people or drive households (联农带农). Identified by their unified social credit code.

Benefits need the entity, its county and its bank account; the industry issue adds the link to farmers,
status history and contacts to the same table.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope


class EntityKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    LEADING_ENTERPRISE = "leading_enterprise", _("Leading enterprise (龙头企业)")
    COOPERATIVE = "cooperative", _("Farmers' cooperative (合作社)")
    FAMILY_FARM = "family_farm", _("Family farm (家庭农场)")
    WORKSHOP = "workshop", _("Help workshop (帮扶车间)")
    OTHER = "other", _("Other organisation")


class Entity(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=EntityKind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    # The area where it is registered (a county, township or village): scope and regional parameters.
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business entity")
        verbose_name_plural = _("business entities")

    def __str__(self) -> str:
        return self.name


scope.register(Entity, "area__path")
