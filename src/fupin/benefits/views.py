"""Benefit pages: programmes a county opened, their applications, approval in a batch, evidence."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts import scope
from fupin.accounts.models import User
from fupin.accounts.roles import Capability
from fupin.benefits import forms, selectors, services
from fupin.benefits import programmes as programme_info
from fupin.benefits.models import Application, ApplicationStatus, Opening, OpeningStatus
from fupin.core import clock
from fupin.core.errors import InvalidInput, Refused, StaleEdit
from fupin.screening import packs
from fupin.web.forms import apply_errors
from fupin.web.pages import NO_CAPTURE_AREA, current_user, forbidden, page, require

PAGE_SIZE = 50


def _programme_choices() -> list[tuple[str, str]]:
    """Every programme of every pack, as ``pack:programme``."""
    choices = []
    for name in packs.available():
        try:
            checked = packs.checked(name)
        except Exception:  # noqa: BLE001, S112 - a broken pack is reported by `fupin policy check`, not here
            continue
        for programme in checked.pack.programmes:
            choices.append((f"{name}:{programme.id}", f"{programme_info.title(programme)} ({name})"))
    return choices


@page
def opening_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    openings = list(selectors.openings_for(user).order_by("-year", "county__code", "programme"))
    rows = []
    for opening in openings:
        checked = programme_info.checked(opening.pack)
        totals = {t.status: t for t in selectors.opening_totals(user, opening)}
        rows.append(
            {
                "opening": opening,
                "title": programme_info.title(
                    programme_info.programme(checked, opening.programme), opening.programme
                ),
                "waiting": totals[ApplicationStatus.ENTERED],
                "approved": totals[ApplicationStatus.APPROVED],
            }
        )
    return render(
        request,
        "benefits/openings.html",
        {
            "rows": rows,
            "can_open": user.can(Capability.OPEN_PROGRAMMES) and bool(selectors.counties_for(user)),
        },
    )


@page
def opening_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.OPEN_PROGRAMMES)
    counties = selectors.counties_for(user)
    if not counties:
        raise PermissionDenied(str(NO_CAPTURE_AREA))
    form = forms.OpeningForm(
        request.POST or None,
        programmes=_programme_choices(),
        counties=[(c.code, c.name) for c in counties],
        initial={"year": clock.today().year, "public_notice": True},
    )
    if request.method == "POST" and form.is_valid():
        pack, programme = form.cleaned_data["programme"].split(":", 1)
        county = next(c for c in counties if c.code == form.cleaned_data["county"])
        try:
            opening = services.open_programme(
                actor=user,
                pack=pack,
                programme=programme,
                county=county,
                year=form.cleaned_data["year"],
                public_notice=form.cleaned_data["public_notice"],
            )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The programme is open. Enter its applications now."))
            return redirect("benefits:opening", pk=opening.pk)
    return render(
        request,
        "benefits/form.html",
        {"form": form, "title": _("Open a programme"), "cancel_url": reverse("benefits:openings")},
    )


def _context_of(opening: Opening) -> tuple[Any, Any]:
    checked = programme_info.checked(opening.pack)
    programme = programme_info.programme(checked, opening.programme)
    if programme is None:
        raise Http404(_("The policy pack no longer has this programme."))
    return checked, programme


@page
def opening_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    opening = selectors.get_opening(user, pk)
    checked, programme = _context_of(opening)
    status = request.GET.get("status", "")
    applications = selectors.applications_for(user).filter(opening=opening).order_by("applied_on", "id")
    if status in ApplicationStatus.values:
        applications = applications.filter(status=status)
    pager = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    may_approve = user.can(Capability.APPROVE_APPLICATIONS)
    return render(
        request,
        "benefits/opening.html",
        {
            "opening": opening,
            "programme": programme,
            "title": programme_info.title(programme),
            "applicant": programme_info.APPLICANT_LABELS[programme.applicant],
            "totals": selectors.opening_totals(user, opening),
            "page_obj": pager,
            "status": status,
            "statuses": ApplicationStatus.choices,
            "can_enter": user.can(Capability.ENTER_APPLICATIONS)
            and opening.status == OpeningStatus.OPEN
            and services.touches(user, opening.county.path, "capture"),
            "can_approve": may_approve,
            "can_close": user.can(Capability.OPEN_PROGRAMMES) and opening.status == OpeningStatus.OPEN,
            "language": get_language() or "",
        },
    )


def _input(form: forms.ApplicationForm) -> services.ApplicationInput:
    data = form.cleaned_data
    return services.ApplicationInput(
        applied_on=data.get("applied_on"),
        id_number=data.get("id_number", ""),
        credit_code=data.get("credit_code", ""),
        entity_name=data.get("entity_name", ""),
        entity_kind=data.get("entity_kind", ""),
        post_code=data.get("post_code", ""),
        period=data.get("period"),
        facts=form.facts(),
        bank_name=data.get("bank_name", ""),
        bank_holder=data.get("bank_holder", ""),
        bank_account=data.get("bank_account", ""),
    )


def _aliases(form: forms.ApplicationForm) -> dict[str, str]:
    return {fact: field for fact, field in form.fact_names}


@page
def application_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    opening = selectors.get_opening(user, pk)
    require(user, Capability.ENTER_APPLICATIONS)
    if not services.touches(user, opening.county.path, "capture"):
        raise PermissionDenied(str(NO_CAPTURE_AREA))
    checked, programme = _context_of(opening)
    form = forms.ApplicationForm(
        request.POST or None, checked=checked, programme=programme, initial={"applied_on": clock.today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = services.enter_application(actor=user, opening=opening, data=_input(form))
        except InvalidInput as error:
            apply_errors(form, error, _aliases(form))
        except Refused as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(
                request, _("The application is entered and waits for approval by another person.")
            )
            if "another" in request.POST:
                return redirect("benefits:application_create", pk=opening.pk)
            return redirect("benefits:application", pk=application.pk)
    return render(
        request,
        "benefits/form.html",
        {
            "form": form,
            "title": _("New application: %(programme)s") % {"programme": programme_info.title(programme)},
            "opening": opening,
            "cancel_url": reverse("benefits:opening", args=[opening.pk]),
            "another": True,
        },
    )


@page
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    application = selectors.get_application(user, pk)
    checked, programme = _context_of(application.opening)
    in_capture = scope.area_in_scope(user, application.area.path, "capture")
    waiting = application.status == ApplicationStatus.ENTERED
    account = services.payee_account(application)
    facts = []
    for fact in programme_info.facts_asked(checked, programme):
        facts.append((fact.label, (application.facts or {}).get(fact.name)))
    return render(
        request,
        "benefits/application.html",
        {
            "application": application,
            "opening": application.opening,
            "title": programme_info.title(programme),
            "facts": facts,
            "account": account,
            "evidence": selectors.evidence_of(user, application),
            "evidence_form": forms.EvidenceForm(),
            "decision_form": forms.DecisionForm(),
            "can_decide": waiting
            and in_capture
            and user.can(Capability.APPROVE_APPLICATIONS)
            and application.entered_by_id != user.pk,
            "own_entry": waiting and application.entered_by_id == user.pk,
            "can_correct": in_capture
            and user.can(Capability.ENTER_APPLICATIONS)
            and application.status in (ApplicationStatus.ENTERED, ApplicationStatus.RETURNED),
            "can_attach": in_capture and user.can(Capability.ENTER_APPLICATIONS),
            "can_reveal": user.can(Capability.REVEAL_PII),
            "language": get_language() or "",
        },
    )


@page
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    application = selectors.get_application(user, pk)
    if not user.can(Capability.ENTER_APPLICATIONS) or not scope.area_in_scope(
        user, application.area.path, "capture"
    ):
        raise forbidden(user, Capability.ENTER_APPLICATIONS)
    checked, programme = _context_of(application.opening)
    initial: dict[str, Any] = {
        "version": application.version,
        "applied_on": application.applied_on,
        "post_code": application.post_code,
        "period": application.period,
    }
    if application.entity is not None:
        initial["credit_code"] = application.entity.credit_code
    for name, value in (application.facts or {}).items():
        initial[f"fact_{name}"] = (
            {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
        )
    form = forms.ApplicationForm(request.POST or None, checked=checked, programme=programme, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_application(
                actor=user,
                application=application,
                version=form.cleaned_data.get("version") or application.version,
                data=_input(form),
            )
        except InvalidInput as error:
            apply_errors(form, error, _aliases(form))
        except (Refused, StaleEdit) as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The application is corrected and waits for approval again."))
            return redirect("benefits:application", pk=application.pk)
    return render(
        request,
        "benefits/form.html",
        {
            "form": form,
            "title": _("Correct the application"),
            "opening": application.opening,
            "intro": _("The ID number is asked again: it is never shown in full on this page."),
            "cancel_url": reverse("benefits:application", args=[application.pk]),
        },
    )


@require_POST
@page
def approve_batch(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    opening = selectors.get_opening(user, pk)
    require(user, Capability.APPROVE_APPLICATIONS)
    ids = [int(v) for v in request.POST.getlist("application") if v.isdigit()]
    if not ids:
        messages.error(request, _("Choose the applications to approve."))
        return redirect("benefits:opening", pk=opening.pk)
    mine = list(Application.objects.filter(pk__in=ids, opening=opening).values_list("pk", flat=True))
    result = services.approve(actor=user, application_ids=mine, note=request.POST.get("note", ""))
    if result.approved:
        messages.success(
            request,
            _("%(count)s applications approved, %(amount)s yuan in all.")
            % {"count": len(result.approved), "amount": f"{result.total_fen / 100:,.2f}"},
        )
    for application_id, reason in sorted(result.skipped.items()):
        messages.warning(
            request,
            _("Application %(id)s was not approved: %(reason)s") % {"id": application_id, "reason": reason},
        )
    return redirect(f"{reverse('benefits:opening', args=[opening.pk])}?status=entered")


@require_POST
@page
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    application = selectors.get_application(user, pk)
    require(user, Capability.APPROVE_APPLICATIONS)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose return or refuse, and say why."))
        return redirect("benefits:application", pk=pk)
    decide = (
        services.return_application
        if form.cleaned_data["decision"] == "return"
        else services.refuse_application
    )
    try:
        decide(actor=user, application=application, reason=form.cleaned_data["reason"])
    except InvalidInput as error:
        for problems in error.field_errors.values():
            for problem in problems:
                messages.error(request, str(problem))
    except Refused as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Recorded, with the reason."))
    return redirect("benefits:application", pk=pk)


@require_POST
@page
def opening_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    opening = selectors.get_opening(user, pk)
    services.close_opening(actor=user, opening=opening)
    messages.success(request, _("The programme is closed for new applications."))
    return redirect("benefits:opening", pk=pk)


@require_POST
@page
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    application = selectors.get_application(user, pk)
    require(user, Capability.ENTER_APPLICATIONS)
    form = forms.EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the document and its file."))
        return redirect("benefits:application", pk=pk)
    try:
        services.attach_evidence(
            actor=user,
            application=application,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
    except InvalidInput as error:
        for problems in error.field_errors.values():
            for problem in problems:
                messages.error(request, str(problem))
    else:
        messages.success(request, _("The document is attached."))
    return redirect("benefits:application", pk=pk)


@page
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """An application's document, to a reader who may see the application; never from a public address."""
    from django.core.files.storage import default_storage

    evidence = selectors.get_evidence(current_user(request), pk)
    try:
        handle = default_storage.open(evidence.file, "rb")
    except FileNotFoundError:
        raise Http404(_("The document's file is missing.")) from None
    response = FileResponse(handle, content_type=evidence.content_type)
    extension = evidence.file.rsplit(".", 1)[-1]
    response["Content-Disposition"] = (
        f'inline; filename="application-{evidence.application_id}-{evidence.pk}.{extension}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@page
def bank_account_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = current_user(request)
    application = selectors.get_application(user, pk)
    value = services.reveal_bank_account(actor=user, application=application)
    response = render(request, "web/_revealed.html", {"value": value})
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- import from a spreadsheet, public notice

SHOWN_PROBLEMS = 200  # problems listed on the import page; the error workbook has them all


def _entry_opening(request: HttpRequest, pk: int) -> tuple[User, Opening]:
    """The opening, for a user who may enter its applications (as the new-application form asks)."""
    user = current_user(request)
    opening = selectors.get_opening(user, pk)
    require(user, Capability.ENTER_APPLICATIONS)
    if not services.touches(user, opening.county.path, "capture"):
        raise PermissionDenied(str(NO_CAPTURE_AREA))
    return user, opening


@page
def application_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a filled template: every row entered as an application, or none with every problem."""
    from fupin.benefits import importer
    from fupin.exchange.headers import column_letter

    user, opening = _entry_opening(request, pk)
    _checked, programme = _context_of(opening)
    context: dict[str, Any] = {
        "opening": opening,
        "title": programme_info.title(programme),
        "max_rows": importer.MAX_ROWS,
        "max_mb": importer.MAX_BYTES // (1024 * 1024),
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose the file to import."))
        elif upload.size and upload.size > importer.MAX_BYTES:
            messages.error(
                request,
                _("The file is larger than %(max)s MB: split it into smaller files.")
                % {"max": importer.MAX_BYTES // (1024 * 1024)},
            )
        else:
            data = upload.read()
            name = upload.name or "upload.xlsx"
            try:
                result = importer.import_applications(user, opening, data, name)
            except importer.ImportRejected as failure:
                book = importer.error_workbook(data, name, failure)
                token = importer.keep_error_workbook(user, opening, book)
                context.update(
                    failure=failure,
                    problems=[
                        {
                            "row": p.row,
                            "letter": column_letter(p.col_index) if p.col_index is not None else "",
                            "column": p.column,
                            "value": p.value,
                            "message": str(p.message),
                        }
                        for p in failure.problems[:SHOWN_PROBLEMS]
                    ],
                    more=max(0, len(failure.problems) - SHOWN_PROBLEMS),
                    notes=[str(n.message) for n in failure.notes],
                    errors_url=reverse("benefits:import_errors", args=[opening.pk, token]),
                )
            except Refused as error:
                messages.error(request, str(error.message))
            else:
                messages.success(
                    request,
                    _(
                        "%(count)s applications imported, %(amount)s yuan in all as the rules compute it; "
                        "they wait for approval by another person."
                    )
                    % {"count": result.count, "amount": f"{result.total_fen / 100:,.2f}"},
                )
                for note in result.notes:
                    messages.info(request, str(note.message))
                return redirect(f"{reverse('benefits:opening', args=[opening.pk])}?status=entered")
    return render(request, "benefits/import.html", context)


@page
def import_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The opening's import template: its columns follow the programme."""
    from fupin.benefits import importer

    opening = selectors.get_opening(current_user(request), pk)
    _context_of(opening)
    response = HttpResponse(importer.template(opening), content_type=importer.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{importer.template_name(opening)}"'
    return response


@page
def import_errors(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """A rejected file's rows with an error column, to the user who uploaded it (kept for a day)."""
    from fupin.benefits import importer

    user = current_user(request)
    opening = selectors.get_opening(user, pk)
    book = importer.kept_error_workbook(user, opening, token)
    if book is None:
        raise Http404(_("The workbook is no longer kept: upload the file again."))
    response = HttpResponse(book, content_type=importer.XLSX)
    response["Content-Disposition"] = f'attachment; filename="errors-{opening.programme}-{opening.pk}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


@page
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The list of approved beneficiaries for public notice (names, village, amount), as a PDF."""
    from fupin.benefits import notice

    user = current_user(request)
    opening = selectors.get_opening(user, pk)
    try:
        first_day, days = notice.notice_period(request.GET.get("from"), request.GET.get("days"))
        content, _count, _total = notice.render_notice_pdf(user, opening, first_day, days)
    except InvalidInput as error:
        for problems in error.field_errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        return redirect("benefits:opening", pk=opening.pk)
    except Refused as error:
        messages.error(request, str(error.message))
        return redirect("benefits:opening", pk=opening.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.file_name(opening, first_day)}"'
    response["Cache-Control"] = "private, no-store"
    return response
