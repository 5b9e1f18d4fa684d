"""Linkage funds (衔接资金): the county's money for the year, its plan across projects, its spending.

* ``YearFund``: one allocation document (下达文件) giving the county an amount of one source for a year.
  A source's year amount is the sum of its documents (funds come in batches: 第一批, 第二批 …).
* ``Allocation``: the money of one source planned for one project in a year. The year's plan is the
  county's allocations; they never exceed a source's year amount (``services``).
* ``Disbursement``: a payment against an allocation (支出), with its voucher; never beyond the allocation.

Amounts are integer fen. The sources are the project library's (``fupin.projects.models.FundSource``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.projects.models import FundSource


class YearFund(models.Model):
    county = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("funding source"), max_length=20, choices=FundSource.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    document_no = models.CharField(_("allocation document number"), max_length=60)
    document_date = models.DateField(_("allocation document date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["county", "year", "source", "document_date", "id"]
        indexes = [models.Index(fields=["county", "year", "source"])]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "source", "document_no"], name="funds_yearfund_one_document"
            ),
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="funds_yearfund_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.year} {self.source} {self.amount_fen}"


class Allocation(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="allocations", verbose_name=_("project")
    )
    county = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("funding source"), max_length=20, choices=FundSource.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year", "project__code", "source"]
        indexes = [models.Index(fields=["county", "year", "source"])]
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "source"], name="funds_allocation_once"),
            models.CheckConstraint(
                condition=models.Q(amount_fen__gte=0), name="funds_allocation_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year} {self.source} {self.amount_fen}"


class Disbursement(models.Model):
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="disbursements", verbose_name=_("allocation")
    )
    paid_on = models.DateField(_("paid on"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    voucher_no = models.CharField(_("voucher number"), max_length=40)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="funds_disbursement_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id} {self.paid_on} {self.amount_fen}"


scope.register(YearFund, "county__path")
scope.register(Allocation, "project__area__path")
scope.register(Disbursement, "allocation__project__area__path")
