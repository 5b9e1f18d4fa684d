"""Bearer-token authentication: ``Authorization: Bearer <token>`` as issued by ``fupin users token``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from fupin.accounts.models import User
from fupin.accounts.services import user_for_token


class TokenAuth(HttpBearer):
    """The token's user becomes ``request.auth`` (and ``request.user``); anything else is 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token:
            return None
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


def actor(request: HttpRequest) -> User:
    """The authenticated user of an API request (every operation requires a token)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
