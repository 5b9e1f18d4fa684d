"""Refuse to run with keys that cannot read the data already stored.

``var/keys.json`` is created with fresh keys when it is missing. On a new installation that is
right; on a restored or moved one it silently makes every ID number and phone unreadable, and new
records would be encrypted under keys the old ones do not share. So before the system serves or
runs a command, one stored ID number (or phone) is decrypted with the configured keys; if that
fails, nothing starts and the message says which keys to bring back.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django.db import DatabaseError


class KeysDoNotFitData(RuntimeError):
    pass


def _a_stored_token() -> str | None:
    from fupin.registry.models import Household, Member

    try:
        token = Member.objects.exclude(id_number_enc="").values_list("id_number_enc", flat=True).first()
        if token is None:
            token = Household.objects.exclude(phone_enc="").values_list("phone_enc", flat=True).first()
    except DatabaseError:  # no tables yet: a database still to be migrated holds nothing to read
        return None
    return token


def check_keys_fit_data() -> None:
    """Raise ``KeysDoNotFitData`` when the configured keys cannot decrypt the stored personal data."""
    from django.conf import settings

    from fupin.pii.crypto import get_cipher

    token = _a_stored_token()
    if token is None:
        return
    try:
        get_cipher().decrypt(token)
    except (InvalidToken, ValueError):
        # Both languages at once: this is printed before any language is chosen.
        raise KeysDoNotFitData(
            (
                "The encryption keys in {keys} (or FUPIN_PII_KEYS) cannot read the ID numbers already "
                "in the database: they are not the keys this data was encrypted with. Nothing was "
                "started. Put back the keys.json of this installation (from its backup), or set "
                "FUPIN_PII_KEYS and FUPIN_BLIND_INDEX_KEY to its keys. / 加密密钥与数据库中已有数据不符，"
                "系统未启动。请恢复本系统原有的 keys.json（或设置 FUPIN_PII_KEYS 和 FUPIN_BLIND_INDEX_KEY）。"
            ).format(keys=settings.VAR_DIR / "keys.json")
        ) from None
