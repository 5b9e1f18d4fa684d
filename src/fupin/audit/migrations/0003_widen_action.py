"""Room for the monitoring procedure's audit actions: ``case.township_approve``, ``case.record_objection``
and ``case.settle_objection`` are 21 characters, more than the 20 of ``AuditEntry.action`` (PostgreSQL
refused them; SQLite does not check lengths).

On SQLite, Django changes a column by rebuilding the table, which drops its triggers: the append-only
triggers of 0002 are put back afterwards.
"""

from django.db import migrations, models

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
]


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("update", "Updated"),
                    ("delete", "Deleted"),
                    ("reveal", "Revealed personal data"),
                    ("export", "Exported"),
                    ("import", "Imported"),
                    ("login", "Logged in"),
                    ("login_failed", "Failed login"),
                    ("locked", "Account locked"),
                    ("grant", "Access changed"),
                ],
                max_length=40,
            ),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
    ]
