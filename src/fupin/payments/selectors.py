"""Reads of payments, always through the scoping layer.

Payments are made at county level: an envelope, its batches and their pages belong to the opening's
county, and a user sees them only when the whole county is in their view scope (a user granted a village
is not shown the county's bank files). Payments themselves are scoped by their application's area.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import ExtractYear, TruncMonth

from fupin.accounts import scope
from fupin.benefits import programmes as programme_info
from fupin.benefits import selectors as benefit_selectors
from fupin.benefits.models import Application, ApplicationStatus, BankAccount, Opening
from fupin.benefits.services import payee_account
from fupin.core.errors import OutOfScope
from fupin.payments.models import LIVE, Batch, Envelope, Payment, PaymentStatus, ReturnFile


def county_in_scope(user: Any, opening: Opening, mode: scope.ScopeMode = "view") -> bool:
    return scope.area_in_scope(user, opening.county.path, mode)


def openings_for(user: Any) -> list[Opening]:
    """Openings whose whole county is in the user's view scope: those whose payments they may see."""
    return [
        opening
        for opening in benefit_selectors.openings_for(user).order_by("-year", "county__code", "programme")
        if county_in_scope(user, opening)
    ]


def get_opening(user: Any, pk: int) -> Opening:
    opening = benefit_selectors.openings_for(user).filter(pk=pk).first()
    if opening is None or not county_in_scope(user, opening):
        raise OutOfScope()
    return opening


def programme_title(opening: Opening) -> str:
    try:
        checked = programme_info.checked(opening.pack)
    except LookupError:
        return opening.programme
    return programme_info.title(programme_info.programme(checked, opening.programme), opening.programme)


def envelopes_of(user: Any, opening: Opening) -> QuerySet[Envelope]:
    return scope.scoped(Envelope.objects.filter(opening=opening), user).order_by("created_at", "id")


def get_envelope(user: Any, pk: int) -> Envelope:
    envelope = scope.scoped(Envelope.objects.filter(pk=pk), user).select_related("opening__county").first()
    if envelope is None:
        raise OutOfScope()
    return envelope


def batches_of(user: Any, envelope: Envelope) -> QuerySet[Batch]:
    return scope.scoped(Batch.objects.filter(envelope=envelope), user).order_by("number")


def get_batch(user: Any, pk: int) -> Batch:
    batch = (
        scope.scoped(Batch.objects.filter(pk=pk), user)
        .select_related("envelope__opening__county", "created_by")
        .first()
    )
    if batch is None:
        raise OutOfScope()
    return batch


def payments_of(user: Any, batch: Batch) -> QuerySet[Payment]:
    return (
        scope.scoped(Payment.objects.filter(batch=batch), user)
        .select_related("application__member", "application__entity", "application__area")
        .order_by("id")
    )


def get_payment(user: Any, pk: int) -> Payment:
    payment = (
        scope.scoped(Payment.objects.filter(pk=pk), user)
        .select_related("batch__envelope__opening__county", "application__area")
        .first()
    )
    if payment is None:
        raise OutOfScope()
    return payment


def return_files_of(user: Any, batch: Batch) -> QuerySet[ReturnFile]:
    return scope.scoped(ReturnFile.objects.filter(batch=batch), user).select_related("loaded_by")


# ---------------------------------------------------------------- totals


@dataclass(frozen=True)
class Figure:
    count: int
    amount_fen: int

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.count + other.count, self.amount_fen + other.amount_fen)


NOTHING = Figure(0, 0)


def _figure(queryset: QuerySet[Any], amount: str = "amount_fen") -> Figure:
    row = queryset.aggregate(count=Count("id"), amount=Sum(amount))
    return Figure(int(row["count"] or 0), int(row["amount"] or 0))


Beneficiary = tuple[str, int]


def beneficiary(
    member_id: int | None, entity_id: int | None, household_id: int | None, pk: int
) -> Beneficiary:
    """Who an application pays: the person, else the entity, else the household. An envelope's control
    count is of beneficiaries (G2P Bridge's "number of beneficiaries"), not of payments: a post holder
    paid for three months is one beneficiary with three payments."""
    if member_id is not None:
        return ("person", member_id)
    if entity_id is not None:
        return ("entity", entity_id)
    if household_id is not None:
        return ("household", household_id)
    return ("application", pk)


def envelope_beneficiaries(envelope: Envelope) -> set[Beneficiary]:
    """The distinct beneficiaries of the payments the envelope's batches hold now (pending or paid)."""
    rows = Payment.objects.filter(batch__envelope=envelope, status__in=LIVE).values_list(
        "application__member_id", "application__entity_id", "application__household_id", "application_id"
    )
    return {beneficiary(*row) for row in rows}


def envelope_usage(envelope: Envelope) -> Figure:
    """What the envelope's batches hold now: the distinct beneficiaries and the amount of payments pending
    at the bank or paid. Failed, reversed and cancelled payments give their room back (the application
    is paid from a later batch)."""
    amount = _figure(Payment.objects.filter(batch__envelope=envelope, status__in=LIVE)).amount_fen
    return Figure(len(envelope_beneficiaries(envelope)), amount)


def envelope_room(envelope: Envelope) -> Figure:
    used = envelope_usage(envelope)
    return Figure(
        max(envelope.control_count - used.count, 0), max(envelope.control_amount_fen - used.amount_fen, 0)
    )


def payable_applications(user: Any, opening: Opening) -> QuerySet[Application]:
    """Approved applications with an amount, not paid and not held by a live payment, that the user may
    pay (capture scope), oldest first."""
    return (
        scope.scoped(Application.objects.filter(opening=opening), user, "capture")
        .filter(status=ApplicationStatus.APPROVED, amount_fen__gt=0, paid_fen=0)
        .exclude(payments__status__in=LIVE)
        .select_related("opening", "member", "entity", "area")
        .order_by("decided_at", "id")
    )


@dataclass
class Payable:
    ready: list[tuple[Application, BankAccount]]
    without_account: list[Application]

    @property
    def total(self) -> Figure:
        return Figure(len(self.ready), sum(a.amount_fen or 0 for a, _ in self.ready))

    @property
    def without_account_total(self) -> Figure:
        return Figure(len(self.without_account), sum(a.amount_fen or 0 for a in self.without_account))


def payable(user: Any, opening: Opening) -> Payable:
    """What a batch could take now, and what it cannot because no bank account is recorded."""
    result = Payable(ready=[], without_account=[])
    for application in payable_applications(user, opening):
        account = payee_account(application)
        if account is None:
            result.without_account.append(application)
        else:
            result.ready.append((application, account))
    return result


def unpaid_approved(user: Any, opening: Opening) -> Figure:
    """The default control totals of a new envelope: the distinct beneficiaries and the amount of the
    approved applications that are unpaid and not yet in a batch."""
    applications = payable_applications(user, opening)
    rows = applications.values_list("member_id", "entity_id", "household_id", "id")
    return Figure(len({beneficiary(*row) for row in rows}), _figure(applications).amount_fen)


@dataclass(frozen=True)
class Reconciliation:
    sent: Figure
    paid: Figure
    failed: Figure
    reversed: Figure
    pending: Figure
    cancelled: Figure

    @property
    def accounted(self) -> Figure:
        return self.paid + self.failed + self.reversed + self.pending

    @property
    def balanced(self) -> bool:
        """Every payment sent is paid, failed, reversed after payment or still waiting: none is lost."""
        return self.sent == self.accounted

    def lines(self) -> list[tuple[str, Figure]]:
        return [
            (PaymentStatus.PAID.value, self.paid),
            (PaymentStatus.FAILED.value, self.failed),
            (PaymentStatus.REVERSED.value, self.reversed),
            (PaymentStatus.PENDING.value, self.pending),
        ]


def reconciliation(batch: Batch) -> Reconciliation:
    """The batch's totals by status, against what the batch sent (its count and amount, fixed when made).

    A cancelled batch sent nothing: its payments are shown as cancelled and the check is on zero."""
    rows = (
        Payment.objects.filter(batch=batch)
        .values("status")
        .annotate(count=Count("id"), amount=Sum("amount_fen"))
    )
    found = {row["status"]: Figure(int(row["count"]), int(row["amount"] or 0)) for row in rows}
    cancelled = found.get(PaymentStatus.CANCELLED, NOTHING)
    sent = NOTHING if batch.cancelled_at else Figure(batch.count, batch.amount_fen)
    return Reconciliation(
        sent=sent,
        paid=found.get(PaymentStatus.PAID, NOTHING),
        failed=found.get(PaymentStatus.FAILED, NOTHING),
        reversed=found.get(PaymentStatus.REVERSED, NOTHING),
        pending=found.get(PaymentStatus.PENDING, NOTHING),
        cancelled=cancelled,
    )


def next_batch_number(envelope: Envelope) -> int:
    return int(Batch.objects.filter(envelope=envelope).aggregate(n=Max("number"))["n"] or 0) + 1


@dataclass(frozen=True)
class PaidTotal:
    programme: str
    county_code: str
    month: str  # YYYY-MM of the date the bank paid
    count: int
    amount_fen: int


def paid_totals(
    user: Any,
    *,
    year: int | None = None,
    programme: str | None = None,
    county_code: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[PaidTotal]:
    """Payments the bank confirmed (and nobody reversed), within the user's view scope, by programme,
    county and month paid: for the totals page, the indicator tables and the dashboard."""
    payments = scope.scoped(Payment.objects.filter(status=PaymentStatus.PAID), user)
    if year is not None:
        payments = payments.filter(paid_on__year=year)
    if programme:
        payments = payments.filter(application__programme=programme)
    if county_code:
        payments = payments.filter(application__county_code=county_code)
    if since is not None:
        payments = payments.filter(paid_on__gte=since)
    if until is not None:
        payments = payments.filter(paid_on__lte=until)
    rows = (
        payments.annotate(month=TruncMonth("paid_on"))
        .values("application__programme", "application__county_code", "month")
        .annotate(count=Count("id"), amount=Sum("amount_fen"))
        .order_by("month", "application__programme", "application__county_code")
    )
    return [
        PaidTotal(
            programme=row["application__programme"],
            county_code=row["application__county_code"],
            month=_month(row["month"]),
            count=int(row["count"]),
            amount_fen=int(row["amount"] or 0),
        )
        for row in rows
    ]


def _month(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)[:7]


def paid_years(user: Any) -> list[int]:
    """Years in which a payment in the user's scope was paid, newest first."""
    years = (
        scope.scoped(Payment.objects.filter(status=PaymentStatus.PAID), user)
        .annotate(year=ExtractYear("paid_on"))
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted({int(year) for year in years if year is not None}, reverse=True)


def has_payments(user: Any, opening: Opening) -> bool:
    return scope.scoped(Payment.objects.filter(batch__envelope__opening=opening), user).exists()


__all__ = [
    "Figure",
    "PaidTotal",
    "Payable",
    "Reconciliation",
    "paid_totals",
]
