"""Accounts: creating users with their area scope, API tokens, and login with lock-out."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts.models import ApiToken, ScopeKind, User, UserArea
from fupin.accounts.roles import ROLES_THAT_CAPTURE, Role
from fupin.areas.models import Area
from fupin.audit import services as audit
from fupin.core.errors import InvalidInput, Message, ServiceError
from fupin.core.http import client_address
from fupin.core.i18n import lazy_format
from fupin.domain import phone
from fupin.pii.crypto import get_cipher


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    area_codes: Iterable[str],
    password: str | None,
    actor: Any = None,
    full_name: str = "",
    capture: bool | None = None,
    phone_number: str = "",
) -> User:
    """Create an account with view scope on the given areas (and capture scope if the role edits)."""
    errors: dict[str, list[Message]] = {}
    if role not in Role.values:
        errors["role"] = [
            lazy_format(_("Unknown role. Choose one of: %(roles)s."), roles=", ".join(Role.values))
        ]
    if User.objects.filter(username=username).exists():
        errors["username"] = [_("This user name is taken.")]
    codes = list(area_codes)
    areas = list(Area.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {a.code for a in areas})
    if missing:
        errors["area"] = [lazy_format(_("No area with code %(codes)s."), codes=", ".join(missing))]
    number = ""
    if phone_number.strip():
        try:
            number = phone.parse(phone_number)
        except phone.PhoneError:
            errors["phone"] = [
                _("A phone number is 11 digits starting with 1, or a fixed line with its area code.")
            ]
    if password is not None:
        try:
            validate_password(password, user=User(username=username, first_name=full_name))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(errors)
    user = User(username=username, role=role, first_name=full_name)
    if number:  # for text messages about waiting steps; encrypted like every other phone
        user.phone_enc = get_cipher().encrypt(number)
        user.phone_masked = phone.mask(number)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    may_capture = role in ROLES_THAT_CAPTURE if capture is None else capture
    for area in areas:
        UserArea.objects.create(user=user, area=area, kind=ScopeKind.VIEW)
        if may_capture:
            UserArea.objects.create(user=user, area=area, kind=ScopeKind.CAPTURE)
    audit.record(
        actor=actor or "system",
        action="grant",
        object_type="user",
        object_id=user.pk,
        summary=f"user {username} created",
        changes={"role": [None, role], "areas": [None, ",".join(codes)], "capture": [None, str(may_capture)]},
    )
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_token(*, user: User, actor: Any = None, days: int | None = None, keep_others: bool = False) -> str:
    """A new API token; only its hash is kept, so it is shown to the operator once.

    The token works for ``days`` (API_TOKEN_DAYS by default). Issuing a token revokes the user's
    earlier ones unless ``keep_others`` is given, so replacing a leaked token is one command.
    """
    lifetime = settings.API_TOKEN_DAYS if days is None else days
    if lifetime < 1:
        raise InvalidInput({"days": [_("A token must work for at least one day.")]})
    revoked = 0 if keep_others else _revoke(user)
    token = "fpn_" + secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(days=lifetime)
    ApiToken.objects.create(user=user, token_hash=_token_hash(token), prefix=token[:8], expires_at=expires_at)
    audit.record(
        actor=actor or "system",
        action="grant",
        object_type="user",
        object_id=user.pk,
        summary=f"API token issued for {user.username}, valid {lifetime} days, {revoked} earlier revoked",
    )
    return token


def _revoke(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked=False).update(revoked=True)


@transaction.atomic
def revoke_tokens(*, user: User, actor: Any = None) -> int:
    """Revoke every API token of the user; returns how many were still working."""
    count = _revoke(user)
    audit.record(
        actor=actor or "system",
        action="grant",
        object_type="user",
        object_id=user.pk,
        summary=f"{count} API tokens of {user.username} revoked",
    )
    return count


def _end_sessions(user: User) -> int:
    """Delete the user's open sessions, so that reactivating the account does not reopen them.

    Sessions are kept in the database (Django's default engine); each unexpired one is read to find
    the user's, which for a county's few hundred open sessions is quick.
    """
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def set_active(*, user: User, active: bool, actor: Any = None) -> None:
    """Deactivate (a cadre who left) or reactivate an account.

    A deactivated user can neither log in nor use a token; their open sessions are deleted and their
    tokens revoked, so that reactivating brings back neither an old session nor an old, perhaps
    leaked, token.
    """
    if user.is_active == active:
        return
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    revoked = 0 if active else _revoke(user)
    ended = 0 if active else _end_sessions(user)
    audit.record(
        actor=actor or "system",
        action="grant",
        object_type="user",
        object_id=user.pk,
        summary=f"user {user.username} "
        + ("reactivated" if active else f"deactivated, {revoked} tokens revoked, {ended} sessions ended"),
        changes={"is_active": [str(not active), str(active)]},
    )


@dataclass(frozen=True)
class TokenCheck:
    """What a presented API token is worth: its user when it works, or when it ran out."""

    user: User | None = None
    # Set only for a token that would still work but for its age: a wrong, revoked or closed
    # account's token gets the plain refusal and learns nothing about the account.
    expired_on: dt.datetime | None = None


def check_token(token: str) -> TokenCheck:
    """One lookup for both answers; a working token's last use is recorded."""
    now = timezone.now()
    record = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=_token_hash(token), revoked=False, user__is_active=True)
        .first()
    )
    if record is None:
        return TokenCheck()
    if record.expires_at is not None and record.expires_at <= now:
        return TokenCheck(expired_on=record.expires_at)
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return TokenCheck(user=record.user)


def user_for_token(token: str) -> User | None:
    return check_token(token).user


# One answer for a wrong password, an unknown user, a locked account and a throttled address, so
# that the login form tells nobody which user names exist or which accounts are locked.
LOGIN_REFUSED = _(
    "User name or password is wrong, or logins are locked for a while after repeated failures. "
    "Try again later."
)


class AccountLocked(ServiceError):
    message = LOGIN_REFUSED


class BadCredentials(ServiceError):
    message = LOGIN_REFUSED


def _address_key(request: Any) -> str:
    digest = hashlib.sha256((client_address(request) or "unknown").encode()).hexdigest()[
        :24
    ]  # no address kept in the cache
    return f"login-failures:{digest}"


def _address_throttled(request: Any) -> bool:
    return int(cache.get(_address_key(request), 0)) >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS


def _count_address_failure(request: Any) -> None:
    key = _address_key(request)
    timeout = settings.LOGIN_LOCK_MINUTES * 60
    if not cache.add(key, 1, timeout):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout)


def login_attempt(request: Any, username: str, password: str) -> User:
    """Authenticate, counting failures; lock the account after too many in a row.

    An address with too many failures (any user names) is refused before any password is checked,
    so one visitor cannot lock account after account.
    """
    if _address_throttled(request):
        raise AccountLocked()
    user = User.objects.filter(username=username).first()
    now = timezone.now()
    if user is not None and user.locked_until and user.locked_until > now:
        audit.record(
            actor=user,
            action="login_failed",
            object_type="user",
            object_id=user.pk,
            summary="login while locked",
        )
        raise AccountLocked()
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is None:
        _count_address_failure(request)
        if user is not None:
            User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
            user.refresh_from_db(fields=["failed_logins"])
            audit.record(
                actor=user,
                action="login_failed",
                object_type="user",
                object_id=user.pk,
                summary="wrong password",
            )
            if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
                locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
                User.objects.filter(pk=user.pk).update(locked_until=locked_until, failed_logins=0)
                audit.record(
                    actor=user,
                    action="locked",
                    object_type="user",
                    object_id=user.pk,
                    summary=f"locked until {locked_until.isoformat(timespec='minutes')}",
                )
                raise AccountLocked()
        raise BadCredentials()
    assert isinstance(authenticated, User)
    User.objects.filter(pk=authenticated.pk).update(failed_logins=0, locked_until=None)
    audit.record(
        actor=authenticated, action="login", object_type="user", object_id=authenticated.pk, summary="login"
    )
    return authenticated
