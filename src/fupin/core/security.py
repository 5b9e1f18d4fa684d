"""Response headers every page and API answer carries: what the browser may load, and what it may keep.

- ``Content-Security-Policy``: scripts, styles, fonts and images only from this site (inline style
  attributes allowed, inline scripts not: the templates have none), no plugins, no framing, forms
  only to this site.
- ``Cache-Control: no-store`` on everything but static files: pages and API answers may hold
  personal data (a revealed ID number, a household list), and neither a shared proxy nor the
  browser's history may keep them.

HSTS and ``Secure`` cookies come from Django's own settings, turned on by ``FUPIN_HTTPS=1``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext_lazy as _

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if not request.path.startswith(settings.STATIC_URL):
            response.headers["Cache-Control"] = "no-store"
        return response


# A NUL character is never part of a name, a number or a note, and PostgreSQL refuses it in text
# (a server error deep inside a query); forms refuse it field by field, and this refuses it for
# everything else: query strings of pages and the API, and JSON bodies.
NUL_REFUSED = _("The request contains a NUL character (\\0), which no field may hold. Nothing was changed.")


def _nul_path(value: object, path: list[str | int]) -> list[str | int] | None:
    """Where in a parsed JSON value a string (or a key) holds a NUL character."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return path
            found = _nul_path(item, [*path, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, [*path, index])
            if found is not None:
                return found
    return None


def _nul_in_request(request: HttpRequest) -> list[str | int] | None:
    """Where the request holds a NUL character (["query", name] or ["body", ...path]), or None."""
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return ["query", name.replace("\x00", "")]
    if request.content_type == "application/json" and (
        b"\x00" in request.body or b"\\u0000" in request.body.lower()
    ):
        try:
            parsed = json.loads(request.body)
        except ValueError:
            return ["body"]
        return ["body", *(_nul_path(parsed, []) or [])]
    return None


class NullCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _nul_in_request(request)
        if where is None:
            return self.get_response(request)
        message = str(NUL_REFUSED)
        if request.path.startswith("/api/"):
            detail = [{"loc": where, "msg": message, "type": "null_character"}]
            return JsonResponse({"detail": detail}, status=422)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
