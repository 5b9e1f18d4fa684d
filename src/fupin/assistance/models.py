"""Assistance measures for monitored households (domain.md section 6).

The monitoring workflow needs them for its elimination gate ("at least one measure against each
recorded risk type"); the assistance plan (helpers, task forces, visits) builds on this model.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope


class MeasureCategory(models.TextChoices):
    INDUSTRY = "industry", _("Industry (产业帮扶)")
    EMPLOYMENT = "employment", _("Employment (就业帮扶)")
    PUBLIC_WELFARE_POST = "public_welfare_post", _("Public-welfare post (公益性岗位)")
    MICROCREDIT = "microcredit", _("Microcredit (小额信贷)")
    HEALTH = "health", _("Health (健康帮扶)")
    EDUCATION = "education", _("Education (教育帮扶)")
    COMPULSORY_EDUCATION = "compulsory_education", _("Compulsory-education guarantee (义务教育保障)")
    HOUSING = "housing", _("Housing safety (住房安全)")
    RELOCATION = "relocation", _("Relocation (易地搬迁)")
    WATER = "water", _("Drinking-water safety (饮水安全)")
    COMPREHENSIVE_SECURITY = "comprehensive_security", _("Comprehensive security (综合保障)")
    SOCIAL = "social", _("Social assistance (社会帮扶)")
    LIVING_CONDITIONS = "living_conditions", _("Living and production conditions (生产生活条件)")


class Measure(models.Model):
    """One measure for one household, against one or more of its recorded risk types."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="measures")
    category = models.CharField(_("measure"), max_length=30, choices=MeasureCategory.choices)
    # Comma-wrapped risk-type codes the measure answers (",illness,"), as on Household.
    risk_types = models.CharField(_("against risk types"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)
    started_on = models.DateField(_("started"))
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["household_id", "started_on", "id"]
        verbose_name = _("assistance measure")

    def __str__(self) -> str:
        return f"{self.household_id} {self.category} from {self.started_on}"

    @property
    def risk_type_list(self) -> list[str]:
        return [code for code in self.risk_types.split(",") if code]


scope.register(Measure, "household__village__path")
