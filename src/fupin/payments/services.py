"""Writes of payments: envelopes and their control totals, batches made all or none, the bank file
(audited), the bank's return file (validated whole before anything changes, idempotent), reversals and
the cancellation of a batch nobody sent.

Every service checks the role (``MANAGE_PAYMENTS``) and that the opening's county is in the actor's
capture scope, reports every problem at once (``InvalidInput``: nothing changed) or refuses with the
reason (``Refused``), and records an audit entry. Account numbers never reach the audit log: entries name
batches, references, counts and amounts only.

Nothing is paid twice: an application has at most one live (pending or paid) payment, checked here and
enforced by a partial unique index. A failed, reversed or cancelled payment releases its application,
which a later batch takes up again with a new reference. Writes into an envelope first bump its version
(an UPDATE, so the row lock on PostgreSQL and the write lock on SQLite are held from the start), and
writes into a batch bump the batch's: two clerks never both count the same room under the control
totals, nor load two return files of one batch at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.audit import services as audit
from fupin.benefits.models import Application, Opening
from fupin.benefits.services import record_payment
from fupin.core.errors import InvalidInput, Message, Refused
from fupin.core.i18n import lazy_format
from fupin.payments import bankfile, returns, selectors
from fupin.payments.models import LIVE, Batch, Envelope, Payment, PaymentStatus, ReturnFile
from fupin.registry.services import require_capability, require_capture

Errors = dict[str, list[Message]]

MAX_CONTROL_COUNT = 1_000_000
MAX_CONTROL_FEN = 10**13  # 100 billion yuan: far beyond any county's programme
FORMATS = ("csv", "xlsx")


def _yuan(fen: int) -> str:
    return returns.amount_of(fen)


def _require(actor: Any, opening: Opening) -> None:
    require_capability(actor, Capability.MANAGE_PAYMENTS)
    require_capture(actor, opening.county.path)


def _reason(raw: str, errors: Errors, name: str = "reason") -> str:
    reason = (raw or "").strip()
    if not reason:
        errors.setdefault(name, []).append(_("Say why: the record keeps the reason."))
    elif len(reason) > 300:
        errors.setdefault(name, []).append(_("At most 300 characters, please."))
    return reason


# ---------------------------------------------------------------- envelopes


def _check_totals(count: int | None, amount_fen: int | None, errors: Errors) -> None:
    if count is None or count < 1:
        errors.setdefault("control_count", []).append(_("Give the number of beneficiaries (at least 1)."))
    elif count > MAX_CONTROL_COUNT:
        errors.setdefault("control_count", []).append(
            lazy_format(_("At most %(limit)s."), limit=f"{MAX_CONTROL_COUNT:,}")
        )
    if amount_fen is None or amount_fen < 1:
        errors.setdefault("control_amount", []).append(_("Give the amount set aside (more than 0 yuan)."))
    elif amount_fen > MAX_CONTROL_FEN:
        errors.setdefault("control_amount", []).append(_("The amount is too large."))


def create_envelope(
    *,
    actor: Any,
    opening: Opening,
    cycle: str,
    control_count: int | None = None,
    control_amount_fen: int | None = None,
    scheduled_on: dt.date | None = None,
) -> Envelope:
    """An envelope for a cycle of the opening; without totals, the approved, unpaid ones of now."""
    _require(actor, opening)
    errors: Errors = {}
    cycle = (cycle or "").strip()
    if not cycle:
        errors.setdefault("cycle", []).append(_("Name the cycle (2026 first batch, say)."))
    elif len(cycle) > 40:
        errors.setdefault("cycle", []).append(_("At most 40 characters, please."))
    elif Envelope.objects.filter(opening=opening, cycle=cycle).exists():
        errors.setdefault("cycle", []).append(_("This programme already has an envelope for this cycle."))
    if control_count is None and control_amount_fen is None:
        default = selectors.unpaid_approved(actor, opening)
        control_count, control_amount_fen = default.count, default.amount_fen
        if default.count == 0:
            errors.setdefault("control_count", []).append(
                _("No approved application waits for payment: give the envelope's totals yourself.")
            )
    else:
        _check_totals(control_count, control_amount_fen, errors)
    if errors:
        raise InvalidInput(errors)
    assert control_count is not None and control_amount_fen is not None
    envelope = Envelope.objects.create(
        opening=opening,
        cycle=cycle,
        control_count=control_count,
        control_amount_fen=control_amount_fen,
        scheduled_on=scheduled_on,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="payment_envelope",
        object_id=envelope.pk,
        area_code=opening.county.code,
        summary=f"payment envelope {cycle} for {opening.programme} {opening.year}",
        changes={"control_count": control_count, "control_amount_fen": control_amount_fen},
    )
    return envelope


def set_control_totals(
    *, actor: Any, envelope: Envelope, control_count: int, control_amount_fen: int
) -> None:
    """Change an envelope's totals; never below what its batches already hold."""
    _require(actor, envelope.opening)
    errors: Errors = {}
    _check_totals(control_count, control_amount_fen, errors)
    with transaction.atomic():
        Envelope.objects.filter(pk=envelope.pk).update(version=F("version") + 1)
        current = Envelope.objects.get(pk=envelope.pk)
        used = selectors.envelope_usage(current)
        if not errors and control_count < used.count:
            errors["control_count"] = [
                lazy_format(_("Its batches already pay %(count)s beneficiaries."), count=f"{used.count:,}")
            ]
        if not errors and control_amount_fen < used.amount_fen:
            errors["control_amount"] = [
                lazy_format(_("Its batches already hold %(amount)s yuan."), amount=_yuan(used.amount_fen))
            ]
        if errors:
            raise InvalidInput(errors)
        Envelope.objects.filter(pk=envelope.pk).update(
            control_count=control_count, control_amount_fen=control_amount_fen
        )
        audit.record(
            actor=actor,
            action="update",
            object_type="payment_envelope",
            object_id=envelope.pk,
            area_code=envelope.opening.county.code,
            summary=f"control totals of {current.cycle}",
            changes={
                "control_count": [current.control_count, control_count],
                "control_amount_fen": [current.control_amount_fen, control_amount_fen],
            },
        )


# ---------------------------------------------------------------- batches


@dataclass
class BatchMade:
    batch: Batch
    without_account: list[Application]


def _reference(county_code: str, batch: Batch, sequence: int) -> str:
    return f"FP{county_code}{batch.pk:06d}{sequence:05d}"


def make_batch(*, actor: Any, envelope: Envelope, application_ids: Sequence[int] | None = None) -> BatchMade:
    """A batch of every payable application (or of the chosen ones), all or none.

    Payable: approved, an amount above 0, not paid and not in a live batch, in the actor's capture
    scope. Applications without a bank account are left out when none were chosen, and reported; a
    chosen one without an account, or one that is not payable, refuses the whole batch. So does a batch
    beyond the envelope's control totals, with the figures."""
    _require(actor, envelope.opening)
    try:
        with transaction.atomic():
            return _make_batch(actor, envelope, application_ids)
    except IntegrityError:
        # The partial unique index: another batch took one of these applications at the same moment.
        raise Refused(
            _(
                "Another batch took some of these applications at the same moment. Nothing was made: "
                "look at the list again and make the batch once more."
            )
        ) from None


def _make_batch(actor: Any, envelope: Envelope, application_ids: Sequence[int] | None) -> BatchMade:
    opening = envelope.opening
    Envelope.objects.filter(pk=envelope.pk).update(version=F("version") + 1)
    current = Envelope.objects.get(pk=envelope.pk)
    candidates = {
        a.pk: a for a in selectors.payable_applications(actor, opening).select_for_update(of=("self",))
    }
    payable = selectors.payable(actor, opening)
    ready = [(a, account) for a, account in payable.ready if a.pk in candidates]
    without = [a for a in payable.without_account if a.pk in candidates]
    if application_ids is not None:
        _check_chosen(application_ids, candidates, {a.pk for a in without})
        wanted = set(application_ids)
        ready = [(a, account) for a, account in ready if a.pk in wanted]
        without = []
    if not ready:
        if without:
            raise Refused(
                lazy_format(
                    _(
                        "Nothing to pay: the %(count)s approved applications waiting for payment have no "
                        "bank account. Record their accounts first."
                    ),
                    count=len(without),
                )
            )
        raise Refused(_("Nothing to pay: no approved application waits for payment."))
    count = len(ready)
    total = sum(int(a.amount_fen or 0) for a, _account in ready)
    _check_room(current, [a for a, _account in ready], total)
    batch = Batch.objects.create(
        envelope=current,
        number=selectors.next_batch_number(current),
        count=count,
        amount_fen=total,
        created_by=actor,
    )
    Payment.objects.bulk_create(
        [
            Payment(
                batch=batch,
                application=application,
                reference=_reference(opening.county.code, batch, sequence),
                payee_name=(account.holder_name or _payee_name(application))[:100],
                bank_name=account.bank_name,
                account_enc=account.number_enc,
                account_masked=account.number_masked,
                amount_fen=int(application.amount_fen or 0),
            )
            for sequence, (application, account) in enumerate(ready, start=1)
        ],
        batch_size=500,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="payment_batch",
        object_id=batch.pk,
        area_code=opening.county.code,
        summary=f"payment batch {batch.number} of {current.cycle}: {count} payments",
        changes={
            "envelope": current.pk,
            "count": count,
            "amount_fen": total,
            "applications": [a.pk for a, _account in ready],
        },
    )
    return BatchMade(batch=batch, without_account=without)


def _check_chosen(
    application_ids: Sequence[int], candidates: Mapping[int, Any], no_account: set[int]
) -> None:
    """Every chosen application is payable and has an account, or the batch is refused, naming each."""
    chosen = sorted(set(application_ids))
    if not chosen:
        raise InvalidInput({"applications": [_("Choose the applications to pay.")]})
    problems: list[Message] = []
    for pk in chosen:
        if pk in no_account:
            problems.append(
                lazy_format(
                    _("Application %(id)s has no bank account: record one on the application first."), id=pk
                )
            )
        elif pk not in candidates:
            problems.append(
                lazy_format(
                    _(
                        "Application %(id)s cannot be paid now: it is not an approved, unpaid application of "
                        "this programme in your area, or it is in a batch already."
                    ),
                    id=pk,
                )
            )
    if problems:
        raise InvalidInput({"applications": problems})


def _check_room(envelope: Envelope, applications: Sequence[Application], total: int) -> None:
    """Nothing beyond the envelope's control totals: refused with every figure the clerk needs.

    The count is of distinct beneficiaries: a person already in the envelope's batches (another month
    of a post) takes no more room, only money."""
    held = selectors.envelope_beneficiaries(envelope)
    adding = {selectors.beneficiary(a.member_id, a.entity_id, a.household_id, a.pk) for a in applications}
    used = selectors.envelope_usage(envelope)
    beneficiaries = len(held | adding)
    if beneficiaries <= envelope.control_count and used.amount_fen + total <= envelope.control_amount_fen:
        return
    raise Refused(
        lazy_format(
            _(
                "Nothing was made: the batch would pay %(count)s beneficiaries (%(new)s not yet in the "
                "envelope), %(amount)s yuan, but the envelope has room for %(room_count)s more "
                "beneficiaries, %(room_amount)s yuan (control totals %(control_count)s beneficiaries, "
                "%(control_amount)s yuan; already in its batches %(used_count)s beneficiaries, "
                "%(used_amount)s yuan). Choose fewer applications or change the envelope's totals."
            ),
            count=f"{len(adding):,}",
            new=f"{len(adding - held):,}",
            amount=_yuan(total),
            room_count=f"{max(envelope.control_count - len(held), 0):,}",
            room_amount=_yuan(max(envelope.control_amount_fen - used.amount_fen, 0)),
            control_count=f"{envelope.control_count:,}",
            control_amount=_yuan(envelope.control_amount_fen),
            used_count=f"{len(held):,}",
            used_amount=_yuan(used.amount_fen),
        )
    )


def _payee_name(application: Application) -> str:
    if application.entity is not None:
        return application.entity.name
    return application.member.name if application.member is not None else ""


def cancel_batch(*, actor: Any, batch: Batch, reason: str) -> None:
    """Undo a batch whose bank file nobody downloaded: its applications are payable again."""
    opening = batch.envelope.opening
    _require(actor, opening)
    errors: Errors = {}
    reason = _reason(reason, errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(version=F("version") + 1)
        current = Batch.objects.get(pk=batch.pk)
        if current.cancelled_at is not None:
            raise Refused(_("This batch is cancelled already."))
        if current.exported_at is not None:
            raise Refused(
                _(
                    "The bank file of this batch has been downloaded, so the bank may pay it: it can no "
                    "longer be cancelled. Load the bank's return file instead."
                )
            )
        cancelled = Payment.objects.filter(batch=current, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.CANCELLED
        )
        Batch.objects.filter(pk=batch.pk).update(
            cancelled_at=timezone.now(), cancelled_by=actor, cancel_reason=reason
        )
        audit.record(
            actor=actor,
            action="update",
            object_type="payment_batch",
            object_id=batch.pk,
            area_code=opening.county.code,
            summary=f"cancelled payment batch {current.number}",
            changes={"payments": cancelled, "reason": reason},
        )


# ---------------------------------------------------------------- the bank file


@dataclass(frozen=True)
class BankFile:
    file_name: str
    content: bytes
    content_type: str
    count: int
    amount_fen: int


def bank_file(*, actor: Any, batch: Batch, fmt: str) -> BankFile:
    """The bank file of the batch's payments still waiting for the bank, with accounts in full.

    Paid and failed payments are not in it: sending the file again can never pay one twice (a failed
    one is paid from a later batch, under a new reference). Every download is audited, without a number."""
    opening = batch.envelope.opening
    _require(actor, opening)
    if fmt not in FORMATS:
        raise InvalidInput({"format": [_("Choose CSV or Excel.")]})
    if batch.cancelled_at is not None:
        raise Refused(_("This batch is cancelled: it has no bank file."))
    payments = list(Payment.objects.filter(batch=batch, status=PaymentStatus.PENDING).order_by("id"))
    if not payments:
        raise Refused(_("Every payment of this batch has the bank's answer: nothing is left to send."))
    title = selectors.programme_title(opening)
    rows = bankfile.bank_rows(batch, payments, title)
    total = sum(p.amount_fen for p in payments)
    day = timezone.localdate().isoformat()
    stem = f"bank-file-{opening.county.code}-{batch.envelope_id}-{batch.number}-{day}"
    if fmt == "csv":
        content, content_type = bankfile.csv_bytes(rows), "text/csv; charset=utf-8"
    else:
        content = bankfile.xlsx_bytes(
            rows,
            title=f"{opening.county.code}-{batch.number}",
            summary=[
                (str(_("Programme")), title),
                (str(_("County")), f"{opening.county.name} ({opening.county.code})"),
                (str(_("Cycle")), batch.envelope.cycle),
                (str(_("Batch")), batch.number),
                (str(_("Payments")), len(rows)),
                (str(_("Amount (yuan)")), bankfile.yuan_text(total)),
            ],
        )
        content_type = bankfile.XLSX
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(
            exports=F("exports") + 1, exported_at=Coalesce(F("exported_at"), timezone.now())
        )
        audit.record(
            actor=actor,
            action="export",
            object_type="payment_batch",
            object_id=batch.pk,
            area_code=opening.county.code,
            summary=f"bank file of payment batch {batch.number} ({fmt}): {len(rows)} payments",
            changes={"format": fmt, "count": len(rows), "amount_fen": total},
        )
    return BankFile(f"{stem}.{fmt}", content, content_type, len(rows), total)


# ---------------------------------------------------------------- the bank's return file


@dataclass
class ReturnResult:
    rows: int = 0
    paid: list[str] = field(default_factory=list)  # references marked paid by this file
    failed: list[str] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[Message] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    loaded_before: ReturnFile | None = None  # the same file, loaded earlier

    @property
    def changed(self) -> bool:
        return bool(self.paid or self.failed)


def _others(references: list[str], batch: Batch) -> dict[str, Payment]:
    found: dict[str, Payment] = {}
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        for payment in (
            Payment.objects.filter(reference__in=chunk).exclude(batch=batch).select_related("batch")
        ):
            found[payment.reference] = payment
    return found


def load_return_file(*, actor: Any, batch: Batch, data: bytes, file_name: str) -> ReturnResult:
    """Record the bank's answers: paid (with the date) or failed (with the reason).

    Every row is checked first (its reference is one of this batch's, the amount is the one sent, the
    date is a real date not before the batch, a failure has its reason); one bad row and nothing changes.
    A row that repeats what is recorded changes nothing, so loading a file twice is harmless and said so.
    A paid payment stays paid whatever a later file says: such rows are reported, not applied."""
    opening = batch.envelope.opening
    _require(actor, opening)
    if batch.cancelled_at is not None:
        raise Refused(_("This batch is cancelled: the bank has no file of it to answer."))
    if batch.exported_at is None:
        raise Refused(
            _("The bank file of this batch was never downloaded: the bank cannot have answered it.")
        )
    read = returns.read(data, file_name)
    if not read.readable:
        raise InvalidInput({"file": read.messages()})
    digest = hashlib.sha256(data).hexdigest()
    result = ReturnResult(rows=len(read.rows), notes=list(read.notes))
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(version=F("version") + 1)
        mine = {
            p.reference: p
            for p in Payment.objects.filter(batch=batch).select_for_update(of=("self",)).order_by("id")
        }
        others = _others([r.reference for r in read.rows if r.reference not in mine], batch)
        made_on = timezone.localdate(batch.created_at)
        for row in read.rows:
            payment = mine.get(row.reference)
            if payment is None:
                other = others.get(row.reference)
                message = (
                    lazy_format(
                        _("%(reference)s is a payment of batch %(other)s, not of this batch."),
                        reference=row.reference,
                        other=other.batch.number
                        if other.batch.envelope_id == batch.envelope_id
                        else other.batch_id,
                    )
                    if other is not None
                    else lazy_format(
                        _("No payment has the reference %(reference)s."), reference=row.reference
                    )
                )
                read.problem(row.row, bankfile.REFERENCE, message)
            elif payment.status == PaymentStatus.CANCELLED:
                read.problem(row.row, bankfile.REFERENCE, _("This payment was cancelled before it was sent."))
            elif row.amount_fen is not None and row.amount_fen != payment.amount_fen:
                read.problem(
                    row.row,
                    bankfile.AMOUNT,
                    lazy_format(
                        _("The amount %(amount)s yuan differs from the %(sent)s yuan sent."),
                        amount=_yuan(row.amount_fen),
                        sent=_yuan(payment.amount_fen),
                    ),
                )
            elif row.paid_on is not None and row.paid_on < made_on:
                read.problem(
                    row.row,
                    bankfile.PAID_ON,
                    lazy_format(
                        _("The date %(day)s is before the batch was made (%(made)s)."),
                        day=row.paid_on.isoformat(),
                        made=made_on.isoformat(),
                    ),
                )
        if read.problems:
            raise InvalidInput({"file": read.messages()})

        to_pay: list[tuple[Payment, dt.date]] = []
        to_fail: list[tuple[Payment, str]] = []
        for row in read.rows:
            payment = mine[row.reference]
            if row.result == returns.PAID:
                if payment.status == PaymentStatus.PENDING:
                    assert row.paid_on is not None
                    to_pay.append((payment, row.paid_on))
                elif payment.status == PaymentStatus.PAID:
                    result.unchanged += 1
                elif payment.status == PaymentStatus.FAILED:
                    again = (
                        Payment.objects.filter(application_id=payment.application_id, status__in=LIVE)
                        .select_related("batch")
                        .first()
                    )
                    if again is None:
                        assert row.paid_on is not None
                        to_pay.append((payment, row.paid_on))
                    else:
                        result.conflicts.append(
                            lazy_format(
                                _(
                                    "Row %(row)s: %(reference)s was reported failed by an earlier file and "
                                    "its application is in batch %(batch)s since, so it was not marked paid. "
                                    "Check with the bank before that payment goes out."
                                ),
                                row=row.row,
                                reference=row.reference,
                                batch=again.batch.number,
                            )
                        )
                else:  # reversed
                    result.conflicts.append(_reversed_note(row, payment))
            elif payment.status == PaymentStatus.PENDING:
                to_fail.append((payment, row.reason))
            elif payment.status == PaymentStatus.FAILED:
                result.unchanged += 1
            elif payment.status == PaymentStatus.PAID:
                result.conflicts.append(
                    lazy_format(
                        _(
                            "Row %(row)s: %(reference)s was paid on %(day)s and stays paid: a later file "
                            "cannot make it failed. If the bank took the money back, reverse the payment."
                        ),
                        row=row.row,
                        reference=row.reference,
                        day=payment.paid_on.isoformat() if payment.paid_on else "",
                    )
                )
            else:
                result.conflicts.append(_reversed_note(row, payment))
        result.loaded_before = (
            ReturnFile.objects.filter(batch=batch, sha256=digest).select_related("loaded_by").first()
        )
        if not to_pay and not to_fail:
            transaction.set_rollback(True)  # not even the batch's version: the file changed nothing
            return result

        now = timezone.now()
        return_file = ReturnFile.objects.create(
            batch=batch,
            file_name=(file_name or "")[-200:],
            sha256=digest,
            rows=len(read.rows),
            paid=len(to_pay),
            failed=len(to_fail),
            unchanged=result.unchanged,
            conflicts=len(result.conflicts),
            loaded_by=actor,
        )
        for payment, paid_on in to_pay:
            Payment.objects.filter(pk=payment.pk).update(
                status=PaymentStatus.PAID, paid_on=paid_on, result_at=now, return_file=return_file
            )
            record_payment(
                application_id=payment.application_id, paid_fen=payment.amount_fen, paid_on=paid_on
            )
            result.paid.append(payment.reference)
        for payment, reason in to_fail:
            Payment.objects.filter(pk=payment.pk).update(
                status=PaymentStatus.FAILED, failure_reason=reason, result_at=now, return_file=return_file
            )
            result.failed.append(payment.reference)
        audit.record(
            actor=actor,
            action="import",
            object_type="payment_return",
            object_id=return_file.pk,
            area_code=opening.county.code,
            summary=f"return file of payment batch {batch.number}: {len(to_pay)} paid, {len(to_fail)} failed",
            changes={
                "batch": batch.pk,
                "rows": len(read.rows),
                "paid": result.paid,
                "failed": result.failed,
                "unchanged": result.unchanged,
                "conflicts": len(result.conflicts),
                "sha256": digest,
            },
        )
    return result


def _reversed_note(row: returns.ReturnRow, payment: Payment) -> Message:
    return lazy_format(
        _("Row %(row)s: %(reference)s was reversed on %(day)s: the file does not change it."),
        row=row.row,
        reference=row.reference,
        day=timezone.localdate(payment.reversed_at).isoformat() if payment.reversed_at else "",
    )


# ---------------------------------------------------------------- reversal


def reverse_payment(*, actor: Any, payment: Payment, reason: str) -> None:
    """A paid payment the bank took back (returned by the payee's bank, paid in error): reversed with its
    reason, the application's payment cleared, and the application payable again."""
    require_capability(actor, Capability.MANAGE_PAYMENTS)
    require_capture(actor, payment.batch.envelope.opening.county.path)
    require_capture(actor, payment.application.area.path)
    errors: Errors = {}
    reason = _reason(reason, errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.status != PaymentStatus.PAID:
            raise Refused(_("Only a paid payment can be reversed."))
        Payment.objects.filter(pk=current.pk).update(
            status=PaymentStatus.REVERSED,
            reversal_reason=reason,
            reversed_by=actor,
            reversed_at=timezone.now(),
        )
        record_payment(application_id=current.application_id, paid_fen=0, paid_on=None)
        audit.record(
            actor=actor,
            action="update",
            object_type="payment",
            object_id=current.pk,
            area_code=payment.application.area.code,
            summary=f"reversed payment {current.reference}",
            changes={
                "status": ["paid", "reversed"],
                "reference": current.reference,
                "amount_fen": current.amount_fen,
                "reason": reason,
            },
        )


__all__ = [
    "BankFile",
    "BatchMade",
    "ReturnResult",
    "bank_file",
    "cancel_batch",
    "create_envelope",
    "load_return_file",
    "make_batch",
    "reverse_payment",
    "set_control_totals",
]
