"""What every rate limit counts by: the visitor's address, also behind a reverse proxy."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def client_address(request: Any) -> str:
    """The visitor's address. Behind a reverse proxy every request comes from the proxy, so
    FUPIN_CLIENT_IP_HEADER (e.g. HTTP_X_REAL_IP, set by the proxy, never by the client) names the
    header holding it."""
    meta = getattr(request, "META", {})
    header = settings.CLIENT_IP_HEADER
    return str((meta.get(header, "") if header else "") or meta.get("REMOTE_ADDR", ""))
