"""Accounts: Argon2 passwords, lock-out after repeated failures, API tokens stored as hashes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone

from fupin.accounts import services
from fupin.accounts.models import ApiToken, User
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput


def test_password_is_hashed_with_argon2(county_officer):
    assert county_officer.password.startswith("argon2")


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=15)
def test_repeated_failures_lock_the_account_even_for_the_right_password(county_officer):
    request = RequestFactory().post("/login/")
    for _ in range(2):
        with pytest.raises(services.BadCredentials):
            services.login_attempt(request, county_officer.username, "wrong")
    with pytest.raises(services.AccountLocked):
        services.login_attempt(request, county_officer.username, "wrong")
    with pytest.raises(services.AccountLocked):
        services.login_attempt(request, county_officer.username, "correct-horse-9")
    assert AuditEntry.objects.filter(action="locked", object_id=str(county_officer.pk)).exists()
    # After the lock expires the right password works and the counter starts again.
    User.objects.filter(pk=county_officer.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert services.login_attempt(request, county_officer.username, "correct-horse-9") == county_officer
    assert User.objects.get(pk=county_officer.pk).failed_logins == 0


def test_unknown_user_and_wrong_password_get_the_same_answer(county_officer):
    request = RequestFactory().post("/login/")
    with pytest.raises(services.BadCredentials) as unknown:
        services.login_attempt(request, "nobody-here", "x")
    with pytest.raises(services.BadCredentials) as wrong:
        services.login_attempt(request, county_officer.username, "x")
    assert str(unknown.value) == str(wrong.value)


def test_token_is_shown_once_and_stored_as_a_hash(county_officer):
    token = services.issue_token(user=county_officer)
    stored = ApiToken.objects.get(user=county_officer)
    assert token not in stored.token_hash and stored.token_hash != token
    assert services.user_for_token(token) == county_officer
    assert services.user_for_token(token + "x") is None
    stored.revoked = True
    stored.save()
    assert services.user_for_token(token) is None


def test_create_user_validates_everything_at_once(place):
    with pytest.raises(InvalidInput) as caught:
        services.create_user(username="x", role="king", area_codes=["000000"], password="123")
    assert {"role", "area", "password"} <= set(caught.value.field_errors)
    assert not User.objects.filter(username="x").exists()


def test_view_only_roles_get_no_capture_scope(place, make_user):
    viewer = make_user("province_viewer", "22")
    assert not viewer.area_grants.filter(kind="capture").exists()
    cadre = make_user("village_cadre", "220822100201")
    assert set(cadre.area_grants.values_list("kind", flat=True)) == {"view", "capture"}


@pytest.mark.parametrize(
    "next_value", ["abc", "web:home", "//evil.example/", "https://evil.example/x", "/households/"]
)
def test_login_with_any_next_answers_and_never_leaves_the_site(client, county_officer, next_value):
    page = client.get("/login/", {"next": next_value})
    assert page.status_code == 200
    client.force_login(county_officer)
    after = client.get("/login/", {"next": next_value})
    assert after.status_code == 302
    location = after["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert location == (next_value if next_value == "/households/" else "/")


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_MAX_FAILURES_PER_ADDRESS=6)
def test_one_address_cannot_lock_account_after_account(county_officer, make_user, place):
    """Failures from one address stop counting against accounts once the address is throttled, and
    every refusal reads the same, so the form tells nobody which names exist or are locked."""
    other = make_user("county_officer", "220822")
    attacker = RequestFactory().post("/login/", REMOTE_ADDR="10.9.9.9")
    answers = set()
    for username in [county_officer.username] * 3 + [other.username] * 3 + ["nobody"] * 4:
        with pytest.raises((services.BadCredentials, services.AccountLocked)) as refused:
            services.login_attempt(attacker, username, "wrong")
        answers.add(str(refused.value))
    assert len(answers) == 1
    assert User.objects.filter(locked_until__isnull=False).count() == 0
    # The throttled address is refused even with the right password; the officer's own address is not.
    with pytest.raises(services.AccountLocked):
        services.login_attempt(attacker, county_officer.username, "correct-horse-9")
    own = RequestFactory().post("/login/", REMOTE_ADDR="10.1.1.1")
    assert services.login_attempt(own, county_officer.username, "correct-horse-9") == county_officer


@pytest.mark.parametrize("password", ["12345678901", "officer-lee", "officer-lee1"])
def test_weak_passwords_are_refused(place, password):
    with pytest.raises(InvalidInput) as caught:
        services.create_user(
            username="officer-lee", role="county_officer", area_codes=["220822"], password=password
        )
    assert "password" in caught.value.field_errors


def _api_status(client, token: str) -> int:
    return client.get("/api/v1/households", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_expires_after_its_days(client, county_officer):
    token = services.issue_token(user=county_officer, days=30)
    assert _api_status(client, token) == 200
    stored = ApiToken.objects.get(user=county_officer)
    assert dt.timedelta(days=29) < stored.expires_at - timezone.now() <= dt.timedelta(days=30)
    ApiToken.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _api_status(client, token) == 401
    with pytest.raises(InvalidInput):
        services.issue_token(user=county_officer, days=0)


def test_a_new_token_revokes_the_old_unless_asked_to_keep_it(client, county_officer):
    first = services.issue_token(user=county_officer)
    second = services.issue_token(user=county_officer)
    assert _api_status(client, first) == 401, "the replaced (perhaps leaked) token still works"
    assert _api_status(client, second) == 200
    third = services.issue_token(user=county_officer, keep_others=True)
    assert _api_status(client, second) == 200 and _api_status(client, third) == 200
    assert services.revoke_tokens(user=county_officer) == 2
    assert _api_status(client, second) == 401 and _api_status(client, third) == 401


def test_a_deactivated_user_loses_login_session_and_tokens(client, county_officer):
    token = services.issue_token(user=county_officer)
    assert client.login(username=county_officer.username, password="correct-horse-9")
    assert client.get("/households/").status_code == 200
    services.set_active(user=county_officer, active=False, actor="system")
    assert client.get("/households/").status_code == 302, "an open session survives deactivation"
    assert _api_status(client, token) == 401
    with pytest.raises(services.BadCredentials):
        services.login_attempt(RequestFactory().post("/login/"), county_officer.username, "correct-horse-9")
    services.set_active(user=county_officer, active=True)
    assert _api_status(client, token) == 401, "reactivating brought an old token back"
    assert AuditEntry.objects.filter(object_type="user", summary__contains="deactivated").exists()


def test_users_commands_revoke_deactivate_and_list(county_officer):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("users", "token", county_officer.username, "--days", "7", stdout=out)
    assert out.getvalue().strip().startswith("fpn_")
    out = StringIO()
    call_command("users", "list", stdout=out)
    assert f"{county_officer.username}\tcounty_officer\tactive\ttokens=1" in out.getvalue()
    call_command("users", "deactivate", county_officer.username, stdout=StringIO())
    county_officer.refresh_from_db()
    assert not county_officer.is_active
    assert not ApiToken.objects.filter(user=county_officer, revoked=False).exists()
    out = StringIO()
    call_command("users", "list", stdout=out)
    assert f"{county_officer.username}\tcounty_officer\tinactive\ttokens=0" in out.getvalue()
