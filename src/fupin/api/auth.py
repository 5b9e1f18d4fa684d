"""Bearer-token authentication: ``Authorization: Bearer <token>`` as issued by ``fupin users token``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from fupin.accounts.models import User
from fupin.accounts.services import check_token


class TokenExpired(AuthenticationError):
    """A token that ran out (API_TOKEN_DAYS after it was issued): 401 that says so and what to do."""

    def __init__(self, expired_on: dt.datetime) -> None:
        self.expired_on = expired_on
        super().__init__()


class TokenAuth(HttpBearer):
    """The token's user becomes ``request.auth`` (and ``request.user``); anything else is 401, and an
    expired token is told that it expired (``TokenExpired``)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token:
            return None
        checked = check_token(token)
        if checked.expired_on is not None:
            raise TokenExpired(checked.expired_on)
        if checked.user is None:
            return None
        request.user = checked.user
        return checked.user


def actor(request: HttpRequest) -> User:
    """The authenticated user of an API request (every operation requires a token)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
