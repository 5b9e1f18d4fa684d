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
