"""API tokens and idempotency keys run out: an expired token is told so, a closed account's sessions end
for good, and an Idempotency-Key older than IDEMPOTENCY_KEY_HOURS is a new key (its old row purged)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone

from fupin.accounts import services
from fupin.accounts.models import ApiToken
from fupin.api import idempotency
from fupin.api.models import IdempotencyKey
from fupin.audit.models import AuditEntry


def _get(client: Client, token: str, language: str = "en"):
    return client.get(
        "/api/v1/households", headers={"Authorization": f"Bearer {token}", "Accept-Language": language}
    )


def _expire(user) -> None:
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(minutes=1))


def test_an_expired_token_is_told_it_expired_in_english_and_chinese(client, county_officer):
    token = services.issue_token(user=county_officer, days=30)
    assert _get(client, token).status_code == 200
    _expire(county_officer)
    english = _get(client, token)
    assert english.status_code == 401 and english["WWW-Authenticate"].startswith("Bearer")
    assert "expired" in english.json()["detail"], english.json()
    assert "fupin users token" in english.json()["detail"]
    chinese = _get(client, token, "zh-hans")
    assert chinese.status_code == 401 and "过期" in chinese.json()["detail"], chinese.json()


def test_a_wrong_or_revoked_token_gets_the_plain_answer_not_expired(client, county_officer):
    token = services.issue_token(user=county_officer)
    services.revoke_tokens(user=county_officer)
    for sent in (token, "fpn_not-a-token"):
        answer = _get(client, sent)
        assert answer.status_code == 401 and "expired" not in answer.json()["detail"]
    # A closed account's expired token says nothing about the account either.
    again = services.issue_token(user=county_officer)
    _expire(county_officer)
    services.set_active(user=county_officer, active=False)
    assert "expired" not in _get(client, again).json()["detail"]


def test_the_audit_of_issuing_and_revoking_holds_no_token(county_officer):
    token = services.issue_token(user=county_officer)
    services.revoke_tokens(user=county_officer)
    services.set_active(user=county_officer, active=False)
    entries = list(AuditEntry.objects.filter(object_type="user", object_id=str(county_officer.pk)))
    summaries = " ".join(e.summary + str(e.changes) for e in entries)
    assert "API token issued" in summaries and "revoked" in summaries and "deactivated" in summaries
    assert token not in summaries and token[4:12] not in summaries


def test_a_reactivated_account_does_not_get_its_old_session_back(client, county_officer):
    assert client.login(username=county_officer.username, password="correct-horse-9")
    assert client.get("/households/").status_code == 200
    services.set_active(user=county_officer, active=False)
    services.set_active(user=county_officer, active=True)
    assert client.get("/households/").status_code == 302, "deactivation left the session open"


def test_an_unknown_user_is_refused_by_every_account_command(county_officer):
    for verb in ("token", "revoke-tokens", "deactivate", "activate"):
        with pytest.raises(CommandError) as refused:
            call_command("users", verb, "nobody-here", stdout=StringIO())
        assert "No such user" in str(refused.value) and refused.value.returncode == 1
    assert ApiToken.objects.count() == 0


# Idempotency keys -------------------------------------------------------------------------------------


def _counting():
    calls = {"n": 0}

    def operation():
        calls["n"] += 1
        return 201, {"run": calls["n"]}

    return calls, operation


def _age(hours: float) -> None:
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=hours))


@override_settings(IDEMPOTENCY_KEY_HOURS=24)
def test_a_key_replays_within_its_hours_and_is_new_after_them(county_officer):
    calls, operation = _counting()
    assert idempotency.once(county_officer, "k-1", "h", operation).body == {"run": 1}
    _age(23)
    replay = idempotency.once(county_officer, "k-1", "h", operation)
    assert replay.replayed and replay.body == {"run": 1} and calls["n"] == 1
    _age(25)
    fresh = idempotency.once(county_officer, "k-1", "h", operation)
    assert not fresh.replayed and fresh.body == {"run": 2}
    assert IdempotencyKey.objects.filter(user=county_officer, key="k-1").count() == 1
    assert IdempotencyKey.objects.get(key="k-1").response == {"run": 2}


@override_settings(IDEMPOTENCY_KEY_HOURS=24)
def test_an_expired_key_may_carry_another_request(county_officer):
    calls, operation = _counting()
    idempotency.once(county_officer, "k-2", "first body", operation)
    with pytest.raises(idempotency.KeyReused):
        idempotency.once(county_officer, "k-2", "second body", operation)
    _age(48)
    assert idempotency.once(county_officer, "k-2", "second body", operation).body == {"run": 2}


@override_settings(IDEMPOTENCY_KEY_HOURS=24)
def test_expired_keys_of_the_user_are_purged_when_a_new_key_is_stored(county_officer, village_cadre):
    calls, operation = _counting()
    for key in ("old-1", "old-2"):
        idempotency.once(county_officer, key, "h", operation)
    idempotency.once(village_cadre, "other-user", "h", operation)
    _age(30)
    idempotency.once(county_officer, "new", "h", operation)
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"new", "other-user"}
    assert idempotency.purge_expired() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
