import datetime as dt

from django.conf import settings
from django.db import migrations, models


def expire_existing_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Tokens issued before expiry existed run out API_TOKEN_DAYS after they were issued."""
    ApiToken = apps.get_model("accounts", "ApiToken")
    lifetime = dt.timedelta(days=settings.API_TOKEN_DAYS)
    for token in ApiToken.objects.filter(expires_at__isnull=True):
        token.expires_at = token.created_at + lifetime
        token.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_phone_enc_user_phone_masked"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
    ]
