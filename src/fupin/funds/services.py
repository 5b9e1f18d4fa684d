"""Writes of the linkage funds: a source's year amount, allocations to projects, disbursements.

Every write checks the role (``MANAGE_FUNDS``) and the capture scope of the county, locks the rows the
rule reads (``select_for_update``: two clerks at once cannot both take the last yuan), writes an audit
entry, and changes nothing when it refuses. The rules (tests/test_funds.py holds them with a
Hypothesis state machine):

- the allocations of a source in a county's year never exceed the source's year amount;
- the disbursements of an allocation never exceed it (and an allocation is never cut below them);
- only approved projects of the county (``APPROVED_STATES``) get allocations, only projects whose money
  is being spent (``SPENDING_STATES``) get disbursements;
- money is integer fen, positive, below ``MAX_FEN``.

The lock order is always the source's ``YearFund`` rows, then the allocation: no deadlocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, OutOfScope, Refused, add_error
from fupin.core.i18n import lazy_format
from fupin.domain.free_text import has_identifiers
from fupin.funds.models import Allocation, Disbursement, YearFund
from fupin.projects.models import APPROVED_STATES, SPENDING_STATES, FundSource, Project
from fupin.registry.services import require_capability

# Amounts above this (a hundred billion yuan) are typing errors.
MAX_FEN = 10**13


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators (for messages)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def _audit(
    actor: Any, action: str, object_type: str, pk: int, area_code: str, summary: str, **changes: Any
) -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=pk,
        area_code=area_code,
        summary=summary,
        changes=changes,
    )


def _amount(errors: Errors, name: str, value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        add_error(errors, name, _("Give the amount in whole fen (an integer)."))
        return 0
    if value < 0 or (value == 0 and not allow_zero):
        add_error(errors, name, _("The amount must be more than zero."))
    elif value >= MAX_FEN:
        add_error(errors, name, _("The amount is too large: check the figure."))
    return value


def _text(errors: Errors, name: str, value: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        add_error(errors, name, _("This field is required."))
    elif len(text) > limit:
        add_error(errors, name, lazy_format(_("Keep it under %(n)s characters."), n=limit))
    elif has_identifiers(text):
        add_error(errors, name, _("No ID or phone numbers here."))
    return text


def _county_for_write(actor: Any, county: Area | str) -> Area:
    require_capability(actor, Capability.MANAGE_FUNDS)
    area = county if isinstance(county, Area) else Area.objects.filter(code=county).first()
    if area is None or not scope.area_in_scope(actor, area.path, "capture"):
        raise OutOfScope()
    if area.level != AreaLevel.COUNTY:
        raise Refused(_("Linkage funds are planned by the county: choose a county."))
    return area


def _source(errors: Errors, value: str) -> str:
    if value not in FundSource.values:
        add_error(errors, "source", _("Choose a funding source from the list."))
    return value


def _year(errors: Errors, value: Any) -> int:
    today = clock.today()
    if not isinstance(value, int) or not 2016 <= value <= today.year + 5:
        add_error(errors, "year", _("Choose the year of the plan."))
        return 0
    return value


def _locked_source(county: Area, year: int, source: str) -> int:
    """Lock the source's year documents of the county and return their sum (fen)."""
    rows = list(
        YearFund.objects.select_for_update()
        .filter(county=county, year=year, source=source)
        .values_list("amount_fen", flat=True)
    )
    return sum(rows)


def allocated_fen(county: Area, year: int, source: str, *, excluding: int | None = None) -> int:
    queryset = Allocation.objects.filter(county=county, year=year, source=source)
    if excluding is not None:
        queryset = queryset.exclude(pk=excluding)
    return int(queryset.aggregate(total=Sum("amount_fen"))["total"] or 0)


def disbursed_fen(allocation: Allocation) -> int:
    return int(allocation.disbursements.aggregate(total=Sum("amount_fen"))["total"] or 0)


# ---------------------------------------------------------------- the year's amounts


@dataclass(frozen=True)
class YearFundInput:
    year: int
    source: str
    amount_fen: int
    document_no: str
    document_date: dt.date
    note: str = ""


@transaction.atomic
def add_year_fund(*, actor: Any, county: Area | str, data: YearFundInput) -> YearFund:
    """Record one allocation document (下达文件) giving the county an amount of a source for a year."""
    area = _county_for_write(actor, county)
    errors: Errors = {}
    year = _year(errors, data.year)
    source = _source(errors, data.source)
    amount = _amount(errors, "amount_fen", data.amount_fen)
    number = _text(errors, "document_no", data.document_no, 60, required=True)
    note = _text(errors, "note", data.note, 200, required=False)
    if not isinstance(data.document_date, dt.date) or data.document_date > clock.today():
        add_error(errors, "document_date", _("Give the date of the document (not in the future)."))
    if (
        not errors
        and YearFund.objects.filter(county=area, year=year, source=source, document_no=number).exists()
    ):
        add_error(errors, "document_no", _("This document is already recorded for the source and year."))
    if errors:
        raise InvalidInput(errors)
    _locked_source(area, year, source)
    fund = YearFund.objects.create(
        county=area,
        year=year,
        source=source,
        amount_fen=amount,
        document_no=number,
        document_date=data.document_date,
        note=note,
        created_by=actor,
    )
    _audit(
        actor,
        "funds.year_fund",
        "year_fund",
        fund.pk,
        area.code,
        f"{area.code} {year} {source}: {yuan(amount)} yuan by {number}",
        amount_fen=amount,
    )
    return fund


@transaction.atomic
def remove_year_fund(*, actor: Any, fund: YearFund | int) -> None:
    """Take back a document recorded by mistake, if the allocations still fit without it."""
    pk = fund.pk if isinstance(fund, YearFund) else fund
    found = YearFund.objects.select_related("county").filter(pk=pk).first()
    if found is None:
        raise OutOfScope()
    area = _county_for_write(actor, found.county)
    total = _locked_source(area, found.year, found.source)
    allocated = allocated_fen(area, found.year, found.source)
    if allocated > total - found.amount_fen:
        raise Refused(
            lazy_format(
                _(
                    "%(allocated)s yuan of this source is allocated: without this document only %(left)s "
                    "yuan would remain. Reduce the allocations first."
                ),
                allocated=yuan(allocated),
                left=yuan(total - found.amount_fen),
            )
        )
    _audit(
        actor,
        "funds.year_fund_remove",
        "year_fund",
        found.pk,
        area.code,
        f"{area.code} {found.year} {found.source}: document {found.document_no} removed",
        amount_fen=found.amount_fen,
    )
    found.delete()


# ---------------------------------------------------------------- allocations


@dataclass(frozen=True)
class AllocationInput:
    project_id: int
    year: int
    source: str
    amount_fen: int


def _project_for_allocation(errors: Errors, actor: Any, county: Area, project_id: int) -> Project | None:
    project = Project.objects.select_related("area", "county").filter(pk=project_id).first()
    if project is None or not scope.area_in_scope(actor, project.area.path, "view"):
        add_error(errors, "project", _("No such project in your area."))
        return None
    if project.county_id != county.pk:
        add_error(errors, "project", _("The project is not one of this county's."))
        return None
    if project.state not in APPROVED_STATES:
        add_error(
            errors,
            "project",
            lazy_format(
                _("%(code)s is not approved into the project library: only approved projects get funds."),
                code=project.code,
            ),
        )
    return project


def _check_allocations(
    actor: Any, county: Area, items: Sequence[AllocationInput]
) -> tuple[list[tuple[Project, AllocationInput, Allocation | None]], dict[int, Errors]]:
    """Check every item against the rules, with the sources locked; errors by item index."""
    by_item: dict[int, Errors] = {}
    checked: list[tuple[Project, AllocationInput, Allocation | None]] = []
    totals: dict[tuple[int, str], int] = {}
    planned: dict[tuple[int, str], int] = {}
    for index, item in enumerate(items):
        errors: Errors = {}
        year = _year(errors, item.year)
        source = _source(errors, item.source)
        amount = _amount(errors, "amount_fen", item.amount_fen, allow_zero=True)
        project = _project_for_allocation(errors, actor, county, item.project_id)
        existing = None
        if not errors and project is not None:
            key = (year, source)
            if key not in totals:
                totals[key] = _locked_source(county, year, source)
                planned[key] = allocated_fen(county, year, source)
            existing = (
                Allocation.objects.select_for_update()
                .filter(project=project, year=year, source=source)
                .first()
            )
            before = existing.amount_fen if existing is not None else 0
            if existing is not None:
                spent = disbursed_fen(existing)
                if amount < spent:
                    add_error(
                        errors,
                        "amount_fen",
                        lazy_format(
                            _(
                                "%(spent)s yuan is already disbursed to this project from this source: the "
                                "allocation cannot be less."
                            ),
                            spent=yuan(spent),
                        ),
                    )
            after = planned[key] - before + amount
            if after > totals[key]:
                add_error(
                    errors,
                    "amount_fen",
                    lazy_format(
                        _(
                            "The allocations of %(source)s in %(year)s would be %(after)s yuan, "
                            "more than the year's %(total)s yuan (%(left)s yuan left)."
                        ),
                        source=FundSource(source).label,
                        year=year,
                        after=yuan(after),
                        total=yuan(totals[key]),
                        left=yuan(max(0, totals[key] - (planned[key] - before))),
                    ),
                )
            else:
                planned[key] = after
        if errors:
            by_item[index] = errors
        elif project is not None:
            checked.append((project, item, existing))
    return checked, by_item


def _write_allocation(
    actor: Any, county: Area, project: Project, item: AllocationInput, existing: Allocation | None
) -> Allocation:
    before = existing.amount_fen if existing is not None else 0
    if existing is None:
        allocation = Allocation.objects.create(
            project=project,
            county=county,
            year=item.year,
            source=item.source,
            amount_fen=item.amount_fen,
            created_by=actor,
        )
    else:
        allocation = existing
        allocation.amount_fen = item.amount_fen
        allocation.save(update_fields=["amount_fen", "updated_at"])
    _audit(
        actor,
        "funds.allocate",
        "allocation",
        allocation.pk,
        project.area.code,
        f"{project.code} {item.year} {item.source}: {yuan(before)} → {yuan(item.amount_fen)} yuan",
        amount_fen=[before, item.amount_fen],
    )
    return allocation


@transaction.atomic
def allocate(*, actor: Any, county: Area | str, data: AllocationInput) -> Allocation:
    """Set the allocation of one source to one project for a year (a new one, or a changed amount)."""
    area = _county_for_write(actor, county)
    checked, by_item = _check_allocations(actor, area, [data])
    if by_item:
        raise InvalidInput(by_item[0])
    project, item, existing = checked[0]
    return _write_allocation(actor, area, project, item, existing)


@transaction.atomic
def allocate_many(*, actor: Any, county: Area | str, items: Sequence[AllocationInput]) -> list[Allocation]:
    """The import's write: every item or none. Raises ``ManyRefused`` with the errors of each item."""
    area = _county_for_write(actor, county)
    checked, by_item = _check_allocations(actor, area, items)
    if by_item:
        raise ManyRefused(by_item)
    return [_write_allocation(actor, area, project, item, existing) for project, item, existing in checked]


class ManyRefused(InvalidInput):
    """Errors of several items at once (item index → field → messages); nothing was written."""

    def __init__(self, by_item: dict[int, Errors]) -> None:
        self.by_item = by_item
        merged: Errors = {}
        for errors in by_item.values():
            for name, messages in errors.items():
                merged.setdefault(name, []).extend(messages)
        super().__init__(merged)


# ---------------------------------------------------------------- disbursements


@dataclass(frozen=True)
class DisbursementInput:
    paid_on: dt.date
    amount_fen: int
    voucher_no: str
    note: str = ""


@transaction.atomic
def disburse(*, actor: Any, allocation: Allocation | int, data: DisbursementInput) -> Disbursement:
    """Record a payment against an allocation, never beyond what is allocated."""
    require_capability(actor, Capability.MANAGE_FUNDS)
    pk = allocation.pk if isinstance(allocation, Allocation) else allocation
    found = Allocation.objects.select_related("county", "project__area").filter(pk=pk).first()
    if found is None or not scope.area_in_scope(actor, found.project.area.path, "view"):
        raise OutOfScope()
    area = _county_for_write(actor, found.county)
    _locked_source(area, found.year, found.source)  # the lock order: the source, then the allocation
    locked = Allocation.objects.select_for_update().get(pk=pk)
    project = found.project
    errors: Errors = {}
    amount = _amount(errors, "amount_fen", data.amount_fen)
    voucher = _text(errors, "voucher_no", data.voucher_no, 40, required=True)
    note = _text(errors, "note", data.note, 200, required=False)
    if not isinstance(data.paid_on, dt.date) or data.paid_on > clock.today():
        add_error(errors, "paid_on", _("Give the day it was paid (not in the future)."))
    elif data.paid_on.year < locked.year:
        add_error(errors, "paid_on", _("A payment of the year's plan cannot be dated before the year."))
    if project.state not in SPENDING_STATES:
        add_error(
            errors,
            "__all__",
            lazy_format(
                _("%(code)s is not in the year's plan or under way: nothing can be paid to it yet."),
                code=project.code,
            ),
        )
    if not errors:
        spent = disbursed_fen(locked)
        if spent + amount > locked.amount_fen:
            add_error(
                errors,
                "amount_fen",
                lazy_format(
                    _("Only %(left)s yuan of the %(allocated)s yuan allocated is left to pay."),
                    left=yuan(locked.amount_fen - spent),
                    allocated=yuan(locked.amount_fen),
                ),
            )
    if errors:
        raise InvalidInput(errors)
    payment = Disbursement.objects.create(
        allocation=locked,
        paid_on=data.paid_on,
        amount_fen=amount,
        voucher_no=voucher,
        note=note,
        created_by=actor,
    )
    _audit(
        actor,
        "funds.disburse",
        "disbursement",
        payment.pk,
        project.area.code,
        f"{project.code} {locked.source}: {yuan(amount)} yuan paid on {data.paid_on.isoformat()}",
        amount_fen=amount,
    )
    return payment
