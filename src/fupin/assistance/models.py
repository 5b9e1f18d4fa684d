"""Assistance measures for monitored households (domain.md section 6): the catalogue and the plans.

The catalogue lists the kinds of measure (national entries come with the system, a county adds its
own and switches entries off for itself). A household's plan ("one household, one policy") is its
measures; ``fupin.assistance.rules`` checks a plan. The monitoring workflow's elimination gate reads
the taken measures ("at least one measure against each recorded risk type").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
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


class MeasureKind(models.TextChoices):
    """Domain.md §6: a household that can work needs a developmental measure; security is the safety net."""

    DEVELOPMENTAL = "developmental", _("Developmental (开发式帮扶)")
    SECURITY = "security", _("Social security (兜底保障)")
    OTHER = "other", _("Other support")


class MeasureType(models.Model):
    """An entry of the measure catalogue: a sub-measure of a category, the risks it answers.

    National entries (``county`` empty) come with the system; a county administrator adds the
    county's own and switches entries off for the county.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    category = models.CharField(_("measure category"), max_length=30, choices=MeasureCategory.choices)
    kind = models.CharField(_("kind of support"), max_length=20, choices=MeasureKind.choices)
    # Comma-wrapped risk-type codes this measure answers, as on Household.
    answers = models.CharField(_("answers risk types"), max_length=200, blank=True)
    county = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("county"),
    )
    # False retires an entry everywhere (a later national catalogue); a county switches entries off
    # for itself with ``MeasureTypeOff``.
    active = models.BooleanField(_("in use"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("measure type")

    def __str__(self) -> str:
        return self.code

    @property
    def answer_list(self) -> list[str]:
        return [code for code in self.answers.split(",") if code]

    @property
    def name(self) -> str:
        """The name in the active language (Chinese unless the page is in English)."""
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name_zh

    @property
    def is_national(self) -> bool:
        return self.county_id is None


class MeasureTypeOff(models.Model):
    """A catalogue entry a county has switched off: not offered for its households' plans any more.

    Measures already recorded with the entry stay as they are.
    """

    county = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    measure_type = models.ForeignKey(MeasureType, on_delete=models.CASCADE, related_name="switched_off")
    switched_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    switched_off_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["county", "measure_type"], name="one_switch_per_county_and_type")
        ]

    def __str__(self) -> str:
        return f"{self.measure_type_id} off in {self.county_id}"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    STOPPED = "stopped", _("Stopped")


# Measures that count as taken (for the elimination gate and coverage): begun, not stopped.
TAKEN_STATUSES = (MeasureStatus.IN_PROGRESS, MeasureStatus.DONE)
# Measures that are part of the plan: everything but a stopped measure.
ACTIVE_STATUSES = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS, MeasureStatus.DONE)


class Measure(models.Model):
    """One measure of one household's plan, against one or more of its recorded risk types."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="measures")
    measure_type = models.ForeignKey(
        MeasureType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("measure type"),
    )
    category = models.CharField(_("measure"), max_length=30, choices=MeasureCategory.choices)
    # Comma-wrapped risk-type codes the measure answers (",illness,"), as on Household.
    # Empty for a measure that answers none of the recorded risks (a developmental measure for a
    # household whose risk is illness, say).
    risk_types = models.CharField(_("against risk types"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    responsible = models.CharField(_("responsible person or department"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(
        _("measure status"), max_length=20, choices=MeasureStatus.choices, default=MeasureStatus.IN_PROGRESS
    )
    # A planned measure may not have its dates yet; a begun one must (checked by the services).
    started_on = models.DateField(_("started"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    stop_reason = models.CharField(_("why the measure was stopped"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household_id", "started_on", "id"]
        verbose_name = _("assistance measure")

    def __str__(self) -> str:
        return f"{self.household_id} {self.category} from {self.started_on}"

    @property
    def title(self) -> str:
        """The catalogue entry's name, or the category for a measure recorded without one."""
        return self.measure_type.name if self.measure_type else str(self.get_category_display())

    @property
    def risk_type_list(self) -> list[str]:
        return [code for code in self.risk_types.split(",") if code]


scope.register(Measure, "household__village__path")
