"""The public self-declaration pages (discovery channel "household self-declaration"): no login.

A person chooses their village (county → township → village), says who they are, their mobile number
and what happened; a 6-digit code sent by text confirms the number, and the declaration then reaches
the village cadres (``fupin.cases.services.declare`` and ``confirm_declaration``).

The declaration's id never appears in an address: the confirmation and thank-you pages carry a signed,
short-lived token. Nothing personal is shown back except the form being re-shown to the person who
typed it; pages are not cached.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from fupin.areas.models import Area, AreaLevel
from fupin.cases import services
from fupin.cases.models import Declaration, DeclarationStatus
from fupin.cases.rules import rules_for
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message, Refused
from fupin.core.http import client_address
from fupin.registry.choices import RiskType

# The token of the confirmation page lives as long as the code; the thank-you page's token as long.
TOKEN_MAX_AGE = services.CODE_VALID_MINUTES * 60
CONFIRM_SALT = "fupin.cases.public.confirm"
DONE_SALT = "fupin.cases.public.done"


# ---------------------------------------------------------------- choosing the village


def _villages() -> QuerySet[Area]:
    return Area.objects.filter(level=AreaLevel.VILLAGE)


def _counties() -> list[Area]:
    """Only counties that have villages on record: the places this system serves."""
    codes = _villages().values("county_code")
    return list(Area.objects.filter(level=AreaLevel.COUNTY, code__in=codes).order_by("code"))


def _townships(county: str) -> list[Area]:
    if not county:
        return []
    codes = _villages().filter(county_code=county).values("township_code")
    return list(Area.objects.filter(level=AreaLevel.TOWNSHIP, code__in=codes).order_by("code"))


def _villages_of(township: str) -> list[Area]:
    return list(_villages().filter(township_code=township).order_by("code")) if township else []


def _pick(options: list[Area], chosen: str) -> str:
    """The chosen code if it is one of the options; the only option when there is just one."""
    codes = [area.code for area in options]
    if chosen in codes:
        return chosen
    return codes[0] if len(codes) == 1 else ""


class AreaChoice:
    """The three cascading selects as they stand: the options of each level under the one above."""

    def __init__(self, county: str = "", township: str = "", village: str = "") -> None:
        # A link may name the village alone (declare/?village=…, e.g. from a poster): the rest follows.
        county, township, village = county.strip(), township.strip(), village.strip()
        township = township or village[:9]
        county = county or township[:6]
        self.counties = _counties()
        self.county = _pick(self.counties, county)
        self.townships = _townships(self.county)
        self.township = _pick(self.townships, township)
        self.villages = _villages_of(self.township)
        self.village = _pick(self.villages, village)

    @classmethod
    def from_data(cls, data: Any) -> AreaChoice:
        return cls(data.get("county", ""), data.get("township", ""), data.get("village", ""))


# ---------------------------------------------------------------- the form


class DeclarationForm(forms.Form):
    """Collects what the person typed; the service checks it and its messages go next to the fields."""

    name = forms.CharField(
        label=_("Your name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": 50}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        help_text=_("A code will be sent to this number by text message."),
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 20}
        ),
    )
    difficulty = forms.CharField(
        label=_("Kind of difficulty"),
        required=False,
        widget=forms.Select(choices=[("", "—"), *RiskType.choices]),
    )
    description = forms.CharField(
        label=_("What happened"),
        required=False,
        help_text=_("For example: who fell ill or was hurt, what was damaged, since when, what it costs."),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "maxlength": 6,
            }
        ),
    )


def _add_errors(form: forms.Form, errors: dict[str, list[Message]]) -> None:
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, str(message))


def _client(request: HttpRequest) -> str:
    """What the declaration rate limits count by: a keyed hash of the visitor's address."""
    return services.client_fingerprint(client_address(request))


# ---------------------------------------------------------------- tokens


def _token(declaration: Declaration, salt: str) -> str:
    return signing.dumps({"d": declaration.pk}, salt=salt, compress=True)


def _declaration_id(token: str, salt: str) -> int | None:
    try:
        value = signing.loads(token, salt=salt, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    pk = value.get("d") if isinstance(value, dict) else None
    return pk if isinstance(pk, int) else None


def _expired(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/public/expired.html", status=410)


# ---------------------------------------------------------------- pages


@never_cache
@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest) -> HttpResponse:
    """The form; POST sends the code by text and goes on to the confirmation page."""
    data = request.POST if request.method == "POST" else None
    form = DeclarationForm(data)
    area = AreaChoice.from_data(request.POST if data is not None else request.GET)
    refused: Message | None = None
    village_errors: list[Message] = []
    # "Show the villages" (pages without JavaScript) only re-shows the form with the next select filled.
    if data is not None and "refresh" not in data and form.is_valid():
        values = form.cleaned_data
        try:
            declaration = services.declare(
                village_code=area.village,
                name=values["name"],
                phone=values["phone"],
                difficulty=values["difficulty"],
                description=values["description"],
                client=_client(request),
            )
        except InvalidInput as exc:
            errors = dict(exc.field_errors)
            village_errors = errors.pop("village", [])
            _add_errors(form, errors)
        except Refused as exc:
            refused = exc.message
        else:
            return redirect("declare:confirm", token=_token(declaration, CONFIRM_SALT))
    return render(
        request,
        "cases/public/declare.html",
        {"form": form, "area": area, "refused": refused, "village_errors": village_errors},
    )


@require_GET
def area_options(request: HttpRequest) -> HttpResponse:
    """The three selects again after a change of county or township (HTMX), each filled for the one above."""
    return render(request, "cases/public/_area.html", {"area": AreaChoice.from_data(request.GET)})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Type the code from the text message; a right code sends the declaration to the village cadres."""
    declaration_id = _declaration_id(token, CONFIRM_SALT)
    if declaration_id is None:
        return _expired(request)
    form = CodeForm(request.POST or None)
    refused: Message | None = None
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        if len(code) != 6 or not code.isdigit():
            # Not counted as a guess: it cannot be a code.
            form.add_error("code", str(_("Type the 6 digits from the text message.")))
        else:
            try:
                declaration = services.confirm_declaration(declaration_id=declaration_id, code=code)
            except InvalidInput as exc:
                _add_errors(form, exc.field_errors)
            except Refused as exc:
                refused = exc.message
            else:
                return redirect("declare:thanks", token=_token(declaration, DONE_SALT))
    return render(
        request,
        "cases/public/confirm.html",
        {"form": form, "refused": refused, "minutes": services.CODE_VALID_MINUTES},
    )


@never_cache
@require_GET
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    """The declaration arrived: who will get in touch and by when."""
    declaration_id = _declaration_id(token, DONE_SALT)
    declaration = (
        Declaration.objects.select_related("village")
        .exclude(status=DeclarationStatus.UNCONFIRMED)
        .filter(pk=declaration_id)
        .first()
        if declaration_id is not None
        else None
    )
    if declaration is None:
        return _expired(request)
    days = rules_for(declaration.village.code[:6], clock.today()).visit_days
    return render(request, "cases/public/thanks.html", {"days": days})
