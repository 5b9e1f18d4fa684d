"""Blind indexes of the last 4 and 6 characters of each member's ID number (suffix search).

The data step decrypts each stored number once. A number the configured keys cannot read (an
installation restored without its ``keys.json``) is left without suffix indexes: ``migrate`` must
still run then, and the key check refuses every other command until the keys are back.
"""

from typing import Any

from cryptography.fernet import InvalidToken
from django.db import migrations, models

BATCH = 2000


def fill_id_tails(apps: Any, schema_editor: Any) -> None:
    from fupin.pii.crypto import get_cipher

    member_model = apps.get_model("registry", "Member")
    cipher = get_cipher()
    pending = member_model.objects.using(schema_editor.connection.alias).exclude(id_number_enc="")
    last_pk = 0
    while True:
        batch = list(pending.filter(pk__gt=last_pk).order_by("pk").only("pk", "id_number_enc")[:BATCH])
        if not batch:
            return
        last_pk = batch[-1].pk
        changed = []
        for member in batch:
            try:
                number = cipher.decrypt(member.id_number_enc)
            except InvalidToken:
                continue
            for field, digest in cipher.id_tail_indexes(number).items():
                setattr(member, field, digest)
            changed.append(member)
        member_model.objects.using(schema_editor.connection.alias).bulk_update(
            changed, ["id_tail4_bidx", "id_tail6_bidx"], batch_size=500
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_plausible_ranges"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="id_tail4_bidx",
            field=models.CharField(blank=True, db_index=True, max_length=40),
        ),
        migrations.AddField(
            model_name="member",
            name="id_tail6_bidx",
            field=models.CharField(blank=True, db_index=True, max_length=40),
        ),
        migrations.RunPython(fill_id_tails, migrations.RunPython.noop, elidable=True),
    ]
