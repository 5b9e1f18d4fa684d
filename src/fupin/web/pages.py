"""What every page shares: the login and error handling around a view, the user, HTMX requests.

Used by the pages of every app (registry pages here, screening pages in ``fupin.screening``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from fupin.accounts.models import User
from fupin.accounts.roles import Capability, refusal
from fupin.core.errors import NotPermitted, OutOfScope

View = Callable[..., HttpResponseBase]


def current_user(request: HttpRequest) -> User:
    """The logged-in user (every page but the login page is behind ``login_required``)."""
    return cast(User, request.user)


# Said when the role may act but the record lies outside the user's capture area (view only).
OUTSIDE_CAPTURE = _(
    "You may read this record but not change it: it is outside the area you keep records for."
)


# Said when the role may act but the user keeps records for no area (view scope only).
NO_CAPTURE_AREA = _("You keep records for no area: ask the county's administrator for a capture area.")


def refusal_for(user: Any, capability: Capability) -> Any:
    """Why the user may not do what ``capability`` allows: their role, or else the record's area."""
    if not user.can(capability):
        return refusal(getattr(user, "role", ""), capability)
    return OUTSIDE_CAPTURE


def forbidden(user: Any, capability: Capability) -> PermissionDenied:
    """A 403 that names the reason (shown on the page): never the bare 'not allowed'."""
    return PermissionDenied(str(refusal_for(user, capability)))


def require(user: Any, capability: Capability) -> None:
    if not user.can(capability):
        raise forbidden(user, capability)


def service_errors(view: View) -> View:
    """Out-of-scope becomes 'not found' (nothing leaks), a refused role 'forbidden'."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except OutOfScope as exc:
            raise Http404(str(exc.message)) from None
        except NotPermitted as exc:
            raise PermissionDenied(str(exc.message)) from None

    return wrapper


def page(view: View) -> View:
    return login_required(service_errors(view))


def is_htmx(request: HttpRequest) -> bool:
    """A request from HTMX for part of a page (not a boosted whole-page navigation)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
