"""Payment pages: an opening's envelopes and batches, a batch with its reconciliation, the bank file,
the bank's return file, reversals, and the paid totals by programme, county and month.

Reads go through ``fupin.payments.selectors`` and writes through ``fupin.payments.services``. A record
outside the reader's area is "not found"; a page of a role without ``MANAGE_PAYMENTS`` is "forbidden"
with the reason (checked after the record is found, so nothing leaks). The totals page shows figures
only, no names, so every role sees it for its own area.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.benefits.models import Opening
from fupin.core.errors import InvalidInput, Refused
from fupin.payments import forms, selectors, services
from fupin.payments.models import Batch, Envelope, PaymentStatus
from fupin.web.forms import apply_errors
from fupin.web.pages import current_user, page, require

PAGE_SIZE = 100
PAY = Capability.MANAGE_PAYMENTS


def _yuan(fen: int) -> str:
    return services._yuan(fen)


def _error_messages(request: HttpRequest, error: InvalidInput) -> None:
    for problems in error.field_errors.values():
        for problem in problems:
            messages.error(request, str(problem))


@page
def index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, PAY)
    rows = []
    for opening in selectors.openings_for(user):
        envelopes = list(selectors.envelopes_of(user, opening))
        rows.append(
            {
                "opening": opening,
                "title": selectors.programme_title(opening),
                "envelopes": len(envelopes),
                "waiting": selectors.unpaid_approved(user, opening),
            }
        )
    return render(request, "payments/index.html", {"rows": rows})


def _envelope_rows(user: User, opening: Opening) -> list[dict[str, Any]]:
    rows = []
    for envelope in selectors.envelopes_of(user, opening):
        batches = [
            {"batch": b, "reconciliation": selectors.reconciliation(b)}
            for b in selectors.batches_of(user, envelope)
        ]
        rows.append({"envelope": envelope, "usage": selectors.envelope_usage(envelope), "batches": batches})
    return rows


@page
def opening(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_opening(user, pk)
    require(user, PAY)
    waiting = selectors.unpaid_approved(user, found)
    default_help = _(
        "Left empty: the approved applications waiting for payment, %(count)s and %(amount)s yuan."
    ) % {
        "count": f"{waiting.count:,}",
        "amount": _yuan(waiting.amount_fen),
    }
    form = forms.EnvelopeForm(request.POST or None, default_help=default_help)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        count, amount = data.get("control_count"), forms.fen(data.get("control_amount"))
        try:
            envelope = services.create_envelope(
                actor=user,
                opening=found,
                cycle=data["cycle"],
                control_count=count,
                control_amount_fen=amount,
                scheduled_on=data.get("scheduled_on"),
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The envelope is set up. Make its first batch now."))
            return redirect("payments:envelope", pk=envelope.pk)
    return render(
        request,
        "payments/opening.html",
        {
            "opening": found,
            "title": selectors.programme_title(found),
            "rows": _envelope_rows(user, found),
            "waiting": waiting,
            "form": form,
        },
    )


def _envelope_page(request: HttpRequest, user: User, envelope: Envelope, **extra: Any) -> HttpResponse:
    found = envelope.opening
    payable = selectors.payable(user, found)
    pager = Paginator(payable.ready, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "envelope": envelope,
        "opening": found,
        "title": selectors.programme_title(found),
        "usage": selectors.envelope_usage(envelope),
        "room": selectors.envelope_room(envelope),
        "batches": [
            {"batch": b, "reconciliation": selectors.reconciliation(b)}
            for b in selectors.batches_of(user, envelope)
        ],
        "payable": payable,
        "page_obj": pager,
        "totals_form": forms.TotalsForm(
            initial={
                "control_count": envelope.control_count,
                "control_amount": f"{envelope.control_amount_fen / 100:.2f}",
            }
        ),
        **extra,
    }
    return render(request, "payments/envelope.html", context)


@page
def envelope(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_envelope(user, pk)
    require(user, PAY)
    return _envelope_page(request, user, found)


@require_POST
@page
def envelope_totals(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_envelope(user, pk)
    require(user, PAY)
    form = forms.TotalsForm(request.POST)
    if form.is_valid():
        try:
            services.set_control_totals(
                actor=user,
                envelope=found,
                control_count=form.cleaned_data["control_count"],
                control_amount_fen=forms.fen(form.cleaned_data["control_amount"]) or 0,
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The envelope's control totals are changed."))
            return redirect("payments:envelope", pk=found.pk)
    return _envelope_page(request, user, found, totals_form=form)


@require_POST
@page
def batch_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_envelope(user, pk)
    require(user, PAY)
    ids: list[int] | None = None
    if request.POST.get("all") != "1":
        ids = [int(v) for v in request.POST.getlist("application") if v.isdigit()]
        if not ids:
            messages.error(request, _("Choose the applications to pay."))
            return redirect("payments:envelope", pk=found.pk)
    try:
        made = services.make_batch(actor=user, envelope=found, application_ids=ids)
    except InvalidInput as error:
        _error_messages(request, error)
        return redirect("payments:envelope", pk=found.pk)
    except Refused as error:
        messages.error(request, str(error.message))
        return redirect("payments:envelope", pk=found.pk)
    messages.success(
        request,
        _(
            "Batch %(number)s is made: %(count)s payments, %(amount)s yuan. "
            "Download its bank file for the bank."
        )
        % {
            "number": made.batch.number,
            "count": f"{made.batch.count:,}",
            "amount": _yuan(made.batch.amount_fen),
        },
    )
    if made.without_account:
        messages.warning(
            request,
            _(
                "%(count)s approved applications are not in the batch because they have no bank account: "
                "%(ids)s. Record their accounts, then make another batch."
            )
            % {
                "count": len(made.without_account),
                "ids": ", ".join(str(a.pk) for a in made.without_account[:50]),
            },
        )
    return redirect("payments:batch", pk=made.batch.pk)


def _batch_page(request: HttpRequest, user: User, found: Batch, **extra: Any) -> HttpResponse:
    payments = selectors.payments_of(user, found)
    status = request.GET.get("status", "")
    if status in PaymentStatus.values:
        payments = payments.filter(status=status)
    pager = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    reconciliation = selectors.reconciliation(found)
    context = {
        "batch": found,
        "envelope": found.envelope,
        "opening": found.envelope.opening,
        "title": selectors.programme_title(found.envelope.opening),
        "reconciliation": reconciliation,
        "labels": dict(PaymentStatus.choices),
        "page_obj": pager,
        "status": status,
        "return_files": selectors.return_files_of(user, found),
        "return_form": extra.pop("return_form", None) or forms.ReturnFileForm(),
        "cancel_form": forms.ReasonForm(),
        "can_send": found.cancelled_at is None and reconciliation.pending.count > 0,
        "can_load": found.cancelled_at is None and found.exported_at is not None,
        "can_cancel": found.cancelled_at is None and found.exported_at is None,
        **extra,
    }
    return render(request, "payments/batch.html", context)


@page
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_batch(user, pk)
    require(user, PAY)
    return _batch_page(request, user, found)


@page
def bank_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_batch(user, pk)
    require(user, PAY)
    try:
        made = services.bank_file(actor=user, batch=found, fmt=fmt)
    except Refused as error:
        messages.error(request, str(error.message))
        return redirect("payments:batch", pk=found.pk)
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@page
def return_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_batch(user, pk)
    require(user, PAY)
    form = forms.ReturnFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _batch_page(request, user, found, return_form=form)
    upload = form.cleaned_data["file"]
    try:
        result = services.load_return_file(
            actor=user, batch=found, data=upload.read(), file_name=str(upload.name or "")
        )
    except InvalidInput as error:
        problems = [str(p) for messages_ in error.field_errors.values() for p in messages_]
        return _batch_page(request, user, found, return_form=form, return_problems=problems)
    except Refused as error:
        messages.error(request, str(error.message))
        return redirect("payments:batch", pk=found.pk)
    if result.changed:
        messages.success(
            request,
            _("The return file is loaded: %(paid)s paid, %(failed)s failed, %(unchanged)s already recorded.")
            % {"paid": len(result.paid), "failed": len(result.failed), "unchanged": result.unchanged},
        )
        if result.failed:
            messages.info(
                request, _("Failed payments are payable again: they go into the envelope's next batch.")
            )
    else:
        text = _("All %(count)s rows of this file are already recorded: nothing changed.") % {
            "count": result.rows
        }
        if result.loaded_before is not None:
            text += " " + _("The same file was loaded on %(when)s by %(who)s.") % {
                "when": result.loaded_before.loaded_at.strftime("%Y-%m-%d %H:%M"),
                "who": result.loaded_before.loaded_by.username if result.loaded_before.loaded_by else "—",
            }
        messages.info(request, text)
    for conflict in result.conflicts[:50]:
        messages.warning(request, str(conflict))
    for note in result.notes:
        messages.info(request, str(note))
    return redirect("payments:batch", pk=found.pk)


@require_POST
@page
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = selectors.get_batch(user, pk)
    require(user, PAY)
    try:
        services.cancel_batch(actor=user, batch=found, reason=request.POST.get("reason", ""))
    except InvalidInput as error:
        _error_messages(request, error)
    except Refused as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The batch is cancelled: its applications can be paid in another batch."))
    return redirect("payments:batch", pk=found.pk)


@page
def payment_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    payment = selectors.get_payment(user, pk)
    require(user, PAY)
    form = forms.ReasonForm(request.POST or None)
    error_text = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.reverse_payment(actor=user, payment=payment, reason=form.cleaned_data["reason"])
        except InvalidInput as error:
            apply_errors(form, error)
        except Refused as error:
            error_text = str(error.message)
        else:
            messages.success(
                request, _("The payment is reversed: the application can be paid again in a later batch.")
            )
            return redirect("payments:batch", pk=payment.batch_id)
    return render(
        request,
        "payments/reverse.html",
        {"payment": payment, "batch": payment.batch, "form": form, "error_text": error_text},
    )


@page
def totals(request: HttpRequest) -> HttpResponse:
    """Paid amounts by programme, county and month paid, in the user's area (figures only)."""
    user = current_user(request)
    years = selectors.paid_years(user)
    raw_year = request.GET.get("year", "")
    year = int(raw_year) if raw_year.isdigit() else (years[0] if years else dt.date.today().year)
    rows = selectors.paid_totals(user, year=year)
    titles = _programme_titles(user)
    counties = {a.code: a.name for a in Area.objects.filter(code__in={r.county_code for r in rows})}
    months = sorted({r.month for r in rows})
    programmes = sorted({r.programme for r in rows})
    # Fen to the chart too (integers); the script shows them as yuan.
    by_programme = {
        p: [sum(r.amount_fen for r in rows if r.programme == p and r.month == m) for m in months]
        for p in programmes
    }
    chart = {
        "months": months,
        "series": [{"name": titles.get(p, p), "values": by_programme[p]} for p in programmes],
        "axis": _("yuan"),
    }
    return render(
        request,
        "payments/totals.html",
        {
            "rows": rows,
            "year": year,
            "years": sorted(set(years) | {year}, reverse=True),
            "titles": titles,
            "counties": counties,
            "chart": chart,
            "total_count": sum(r.count for r in rows),
            "total_fen": sum(r.amount_fen for r in rows),
            "can_pay": user.can(PAY),
        },
    )


def _programme_titles(user: User) -> dict[str, str]:
    from fupin.benefits import selectors as benefit_selectors

    return {o.programme: selectors.programme_title(o) for o in benefit_selectors.openings_for(user)}
