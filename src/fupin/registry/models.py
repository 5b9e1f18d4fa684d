"""Households, members, yearly incomes and the dated histories of type, status and monitoring.

Current values of household type, status, monitoring category and risk types are kept on the
household for filtering; every change also appends a dated history row, which is never rewritten.
Identifiers (ID number, phone) are stored only encrypted, with a blind index and a masked form.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.domain.income import per_capita_net_income
from fupin.registry.choices import (
    Education,
    Ethnicity,
    Health,
    HouseholdStatus,
    HouseholdType,
    HousingSafety,
    LabourCapacity,
    MemberExit,
    MonitoringCategory,
    PovertyAttribute,
    PovertyCause,
    Relation,
    RelocationMode,
    SchoolingStatus,
    SchoolLevel,
    Sex,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# Plausible ranges, enforced by the model so that forms and the API (both through the registry's
# services, which call full_clean) and the bulk import (exchange.importer runs these validators on
# every cell) refuse the same values. A household's land beyond 100,000 mu or a house beyond
# 10,000 m² is a typing error, not a farm.
NON_NEGATIVE = MinValueValidator(Decimal(0))
# Every recorded income or expense is an amount received or spent: a loss is expenditure above
# income, never a negative income.
NO_NEGATIVE_AMOUNT = MinValueValidator(Decimal(0), message=_("Amounts cannot be negative."))


def money_field(label: StrOrPromise) -> models.DecimalField:
    """Yuan with fen, up to ten billion, never negative."""
    return models.DecimalField(
        label, max_digits=12, decimal_places=2, default=Decimal(0), validators=[NO_NEGATIVE_AMOUNT]
    )


def land_field(label: StrOrPromise) -> models.DecimalField:
    """Land area in mu (亩)."""
    return models.DecimalField(
        label,
        max_digits=9,
        decimal_places=2,
        default=Decimal(0),
        validators=[NON_NEGATIVE, MaxValueValidator(Decimal(100_000))],
    )


class Household(models.Model):
    number = models.CharField(_("household number"), max_length=30, unique=True)
    village = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="households", verbose_name=_("village")
    )
    group_name = models.CharField(_("village group"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone_enc = models.TextField(blank=True)
    phone_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)

    household_type = models.CharField(_("household type"), max_length=20, choices=HouseholdType.choices)
    status = models.CharField(_("status"), max_length=20, choices=HouseholdStatus.choices)
    poverty_attribute = models.CharField(
        _("poverty attribute"), max_length=20, choices=PovertyAttribute.choices, blank=True
    )
    main_cause = models.CharField(
        _("main cause of poverty"), max_length=20, choices=PovertyCause.choices, blank=True
    )
    secondary_cause = models.CharField(
        _("secondary cause of poverty"), max_length=20, choices=PovertyCause.choices, blank=True
    )
    monitoring_category = models.CharField(
        _("monitoring category"), max_length=20, choices=MonitoringCategory.choices, blank=True
    )
    # Comma-wrapped codes (",illness,housing,") so that one LIKE finds a type on every database.
    risk_types = models.CharField(_("risk types"), max_length=200, blank=True)

    housing_area = models.DecimalField(
        _("housing area (m²)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NON_NEGATIVE, MaxValueValidator(Decimal(10_000))],
    )
    housing_safety = models.CharField(
        _("housing safety rating"), max_length=1, choices=HousingSafety.choices, blank=True
    )
    water_difficult = models.BooleanField(_("difficulty getting drinking water"), default=False)
    water_safe = models.BooleanField(_("drinking water safe"), default=True)
    has_electricity = models.BooleanField(_("has electricity"), default=True)
    distance_to_road_km = models.DecimalField(
        _("distance to main road (km)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NON_NEGATIVE, MaxValueValidator(Decimal(1_000))],
    )
    cultivated_land_mu = land_field(_("cultivated land (mu)"))
    irrigated_land_mu = land_field(_("irrigated land (mu)"))
    forest_land_mu = land_field(_("forest land (mu)"))
    grassland_mu = land_field(_("grassland (mu)"))
    water_surface_mu = land_field(_("water surface (mu)"))
    in_cooperative = models.BooleanField(_("member of a cooperative"), default=False)
    is_relocated = models.BooleanField(_("relocated"), default=False)
    relocation_mode = models.CharField(
        _("relocation mode"), max_length=20, choices=RelocationMode.choices, blank=True
    )
    relocation_place = models.CharField(_("relocated to"), max_length=200, blank=True)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        indexes = [
            models.Index(fields=["household_type", "status"]),
            models.Index(fields=["monitoring_category"]),
        ]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number

    @property
    def risk_type_list(self) -> list[str]:
        return [code for code in self.risk_types.split(",") if code]


class Member(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    name = models.CharField(_("name"), max_length=50, db_index=True)
    id_number_enc = models.TextField(blank=True)
    id_number_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    # Blind indexes of the last 4 and 6 characters, for searching by the end of a number.
    id_tail4_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    id_tail6_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(
        _("ethnicity"), max_length=20, choices=Ethnicity.choices, default=Ethnicity.HAN
    )
    birth_date = models.DateField(_("birth date"))
    relation = models.CharField(_("relation to head"), max_length=20, choices=Relation.choices)
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)
    schooling_status = models.CharField(
        _("schooling status"),
        max_length=20,
        choices=SchoolingStatus.choices,
        default=SchoolingStatus.NOT_APPLICABLE,
    )
    school_level = models.CharField(_("school level"), max_length=20, choices=SchoolLevel.choices, blank=True)
    health = models.CharField(_("health"), max_length=20, choices=Health.choices, default=Health.HEALTHY)
    has_disability_certificate = models.BooleanField(_("disability certificate"), default=False)
    labour_capacity = models.CharField(_("labour capacity"), max_length=20, choices=LabourCapacity.choices)
    migrant_work_place = models.CharField(_("migrant work place"), max_length=100, blank=True)
    migrant_work_months = models.PositiveSmallIntegerField(_("migrant work months"), default=0)
    migrant_work_income = money_field(_("migrant work income"))
    basic_medical_insurance = models.BooleanField(_("basic medical insurance"), default=True)
    serious_illness_insurance = models.BooleanField(_("serious illness insurance"), default=True)
    pension_insurance = models.BooleanField(_("basic pension insurance"), default=False)
    receives_dibao = models.BooleanField(_("minimum living allowance (低保)"), default=False)
    receives_tekun = models.BooleanField(_("extreme-poverty support (特困)"), default=False)
    phone_enc = models.TextField(blank=True)
    phone_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    exit_reason = models.CharField(
        _("left the household"), max_length=20, choices=MemberExit.choices, blank=True
    )
    exit_date = models.DateField(_("date left"), null=True, blank=True)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return not self.exit_reason


class IncomeRecord(models.Model):
    """One household's income for one year, in yuan (domain.md section 3)."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="incomes")
    year = models.PositiveSmallIntegerField(_("year"))
    household_size = models.PositiveSmallIntegerField(
        _("household size"), validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    wage = money_field(_("wage income"))
    business = money_field(_("production and business income"))
    property_income = money_field(_("property income"))
    transfer = money_field(_("transfer income"))
    excluded_transfer = money_field(_("allowances excluded from income"))
    business_expenditure = money_field(_("production and business expenditure"))
    compliant_oop_spending = money_field(_("compliant out-of-pocket spending"))

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="one_income_record_per_year")
        ]
        verbose_name = _("income record")

    def __str__(self) -> str:
        return f"{self.household_id}/{self.year}"

    @property
    def per_capita_net_income(self) -> Decimal | None:
        return per_capita_net_income(
            wage=self.wage,
            business=self.business,
            property_income=self.property_income,
            transfer=self.transfer,
            business_expenditure=self.business_expenditure,
            household_size=self.household_size,
            excluded_transfer=self.excluded_transfer,
            exclude_listed_allowances=settings.INCOME_EXCLUDE_LISTED_ALLOWANCES,
        )


class HouseholdTypeHistory(models.Model):
    """Household type and status from a date on. Appended, never updated."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="type_history")
    household_type = models.CharField(max_length=20, choices=HouseholdType.choices)
    status = models.CharField(max_length=20, choices=HouseholdStatus.choices)
    effective_from = models.DateField(_("effective from"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["household_id", "effective_from", "id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.household_type}/{self.status} from {self.effective_from}"


class MonitoringHistory(models.Model):
    """Monitoring category and risk types from a date on; an empty category ends monitoring."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="monitoring_history")
    category = models.CharField(max_length=20, choices=MonitoringCategory.choices, blank=True)
    risk_types = models.CharField(max_length=200, blank=True)
    effective_from = models.DateField(_("effective from"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["household_id", "effective_from", "id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.category or '-'} from {self.effective_from}"

    @property
    def risk_type_list(self) -> list[str]:
        return [code for code in self.risk_types.split(",") if code]


scope.register(Household, "village__path")
scope.register(Member, "household__village__path")
scope.register(IncomeRecord, "household__village__path")
scope.register(HouseholdTypeHistory, "household__village__path")
scope.register(MonitoringHistory, "household__village__path")
