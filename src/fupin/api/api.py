"""The ``/api/v1/`` API: one NinjaAPI instance, bearer-token auth, and errors turned into responses.

Views stay thin: reads go through ``fupin.registry.selectors`` and writes through
``fupin.registry.services``, which enforce roles and area scope. This module only maps the services'
errors onto HTTP:

* ``InvalidInput`` → 422 with ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``, the same
  shape as ninja's own request-validation errors (whose ``loc`` is normalized to ``["body", field]``);
* ``StaleEdit`` → 409, ``NotPermitted`` → 403, ``OutOfScope`` → 404 with the same body as a record
  that does not exist, so nothing leaks about records outside the user's area;
* ``Refused`` (a step of the monitoring procedure not possible now) → 409 with the reason.

Messages follow the request's language (``Accept-Language``; LocaleMiddleware). Input values are
never echoed back in errors: an invalid ID number must not reappear in a response or a log.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from fupin.accounts.services import user_for_token
from fupin.api.auth import TokenAuth, TokenExpired
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, Refused, ServiceError, StaleEdit
from fupin.core.i18n import lazy_format


def _docs_when_allowed(view: Any) -> Any:
    """The OpenAPI document and docs page: public unless ``API_DOCS_PUBLIC`` is off, then only for a
    logged-in user or a valid bearer token (404 otherwise, as for anything one may not see)."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            header = request.headers.get("Authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            if not token or user_for_token(token) is None:
                raise Http404
        return view(request, *args, **kwargs)

    return guarded


api = NinjaAPI(
    docs_decorator=_docs_when_allowed,
    title="fupin API",
    version="1",
    description=(
        "Registry of households, members and yearly incomes for preventing a return to poverty. "
        "Authenticate with `Authorization: Bearer <token>` (`fupin users token USERNAME`). "
        "Records are limited to the token user's areas; ID numbers and phones appear only masked."
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
)

# Service error keys that are not body fields of the same name.
_LOCATIONS: dict[str, tuple[str, ...]] = {
    "village": ("body", "village_code"),
    "authorization": ("body", "authorization_signed"),
    "year": ("path", "year"),
    "__all__": ("body",),
}


def _detail(request: HttpRequest, status: int, message: Any, **headers: str) -> HttpResponse:
    response = api.create_response(request, {"detail": str(message)}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def field_errors(errors: Mapping[str, Iterable[Any]]) -> list[dict[str, Any]]:
    """Service field errors in ninja's 422 shape."""
    return [
        {"loc": list(_LOCATIONS.get(field, ("body", field))), "msg": str(message), "type": "invalid"}
        for field, messages in errors.items()
        for message in messages
    ]


@api.exception_handler(InvalidInput)
def invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return api.create_response(request, {"detail": field_errors(exc.field_errors)}, status=422)


@api.exception_handler(ValidationError)
def request_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Ninja's own validation errors, without the echoed input and the body parameter's name."""
    detail = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        if len(loc) >= 2 and loc[0] == "body" and loc[1] == "payload":
            del loc[1]
        detail.append({"loc": loc, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))})
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(StaleEdit)
def stale_edit(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
    return _detail(request, 409, exc.message)


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    """The procedure does not allow the step now; the reason says which rule and what would allow it."""
    return _detail(request, 409, exc.message)


@api.exception_handler(NotPermitted)
def not_permitted(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
    return _detail(request, 403, exc.message)


@api.exception_handler(OutOfScope)
def out_of_scope(request: HttpRequest, exc: OutOfScope) -> HttpResponse:
    # The same body whether the record is elsewhere or does not exist at all.
    return _detail(request, 404, OutOfScope.message)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return _detail(request, 400, exc.message)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if isinstance(exc, TokenExpired):
        return _detail(
            request,
            401,
            lazy_format(
                _(
                    "This API token expired on %(date)s. Ask the system administrator for a new one "
                    "(fupin users token)."
                ),
                date=timezone.localtime(exc.expired_on).date().isoformat(),
            ),
            **{"WWW-Authenticate": 'Bearer error="invalid_token", error_description="token expired"'},
        )
    return _detail(
        request,
        401,
        _("Send a valid API token in the header “Authorization: Bearer <token>”."),
        **{"WWW-Authenticate": "Bearer"},
    )


def _register_routers() -> None:
    from fupin.api import (
        assets,
        assistance,
        benefits,
        cases,
        checks,
        exports,
        feeds,
        funds,
        households,
        incomes,
        indicators,
        members,
        scenarios,
        screening,
        supervision,
        twinning,
        visits,
    )

    api.add_router("", households.router)
    api.add_router("", members.router)
    api.add_router("", incomes.router)
    api.add_router("", screening.router)
    api.add_router("", cases.router)
    api.add_router("", feeds.router)
    api.add_router("", indicators.router)
    api.add_router("", checks.router)
    api.add_router("", assistance.router)
    api.add_router("", twinning.router)
    api.add_router("", benefits.router)
    api.add_router("", visits.router)
    api.add_router("", exports.router)
    api.add_router("", supervision.router)
    api.add_router("", scenarios.router)
    api.add_router("", funds.router)
    api.add_router("", assets.router)


_register_routers()
