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

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
