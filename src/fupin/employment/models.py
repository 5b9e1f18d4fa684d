"""Employment (就业帮扶, 务工监测): what each labour-capable member of a lifted-out or monitored household
works at, month by month, and the yearly targets of persons in work per area.

An ``EmploymentRecord`` says what a member does from its start month on: working (where, for whom or in
which kind of job, for what monthly income), not working (and why), in school, or unable to work. Records
are never changed or deleted: a new record supersedes the member's current one (``supersedes``, unique, so
two cadres saving at once cannot both supersede the same record), and the current record is the one no
other record supersedes. What a member did in a past month is the latest record starting on or before it.

A ``Target`` is the number of persons in work an area is to reach in a year; a province sets it per county,
a county per township. Targets are appended too: a changed target is a new row, the latest one counts, and
each row keeps who set it and when.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope

# A monthly wage above this is a typing error (an annual figure, or fen typed as yuan), not a wage.
MAX_MONTHLY_INCOME = Decimal(100_000)


class Status(models.TextChoices):
    WORKING = "working", _("Working")
    NOT_WORKING = "not_working", _("Not working")
    IN_SCHOOL = "in_school", _("In school")
    UNABLE = "unable", _("Unable to work")


class Place(models.TextChoices):
    """Where the work is, from the household's point of view (务工所在地)."""

    TOWNSHIP = "township", _("In the township")
    COUNTY = "county", _("In the county, outside the township")
    PROVINCE = "province", _("In the province, outside the county")
    OTHER_PROVINCE = "other_province", _("In another province")


class Kind(models.TextChoices):
    """The employer or kind of work (就业渠道)."""

    ENTERPRISE = "enterprise", _("Enterprise")
    WORKSHOP = "workshop", _("Help workshop")
    PUBLIC_WELFARE_POST = "public_welfare_post", _("Public-welfare post")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    FLEXIBLE = "flexible", _("Flexible work")


class Reason(models.TextChoices):
    """Why a labour-capable person is not working: what the follow-up needs to know."""

    SEEKING = "seeking", _("Looking for work")
    FAMILY_CARE = "family_care", _("Caring for the family")
    ILLNESS = "illness", _("Illness or injury")
    SEASONAL = "seasonal", _("Between seasonal jobs")
    RETURNED = "returned", _("Returned from migrant work")
    OTHER = "other", _("Other")


class EmploymentRecord(models.Model):
    member = models.ForeignKey(
        "registry.Member",
        on_delete=models.PROTECT,
        related_name="employment_records",
        verbose_name=_("member"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    place = models.CharField(_("place of work"), max_length=20, choices=Place.choices, blank=True)
    province_code = models.CharField(_("province of work"), max_length=2, blank=True)
    kind = models.CharField(_("kind of work"), max_length=30, choices=Kind.choices, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    start_month = models.DateField(_("start month"))  # always the first of the month
    end_month = models.DateField(_("end month"), null=True, blank=True)
    monthly_income = models.DecimalField(
        _("monthly income (yuan)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal(0), message=_("Amounts cannot be negative.")),
            MaxValueValidator(MAX_MONTHLY_INCOME),
        ],
    )
    reason = models.CharField(_("reason not working"), max_length=20, choices=Reason.choices, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member_id", "id"]
        indexes = [
            models.Index(fields=["member", "start_month"]),
            models.Index(fields=["status", "start_month"]),
        ]
        verbose_name = _("employment record")
        verbose_name_plural = _("employment records")

    def __str__(self) -> str:
        return f"{self.member_id} {self.status} {self.start_month:%Y-%m}"


class Target(models.Model):
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    year = models.PositiveSmallIntegerField(_("year"))
    persons = models.PositiveIntegerField(_("persons in work"), validators=[MaxValueValidator(100_000_000)])
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area_id", "year", "id"]
        indexes = [models.Index(fields=["year", "area"])]
        verbose_name = _("employment target")
        verbose_name_plural = _("employment targets")

    def __str__(self) -> str:
        return f"{self.area_id} {self.year}: {self.persons}"


scope.register(EmploymentRecord, "member__household__village__path")
scope.register(Target, "area__path")
