"""The audit log: hash chain, append-only triggers, and `fupin audit verify`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from fupin.audit.models import AuditEntry
from fupin.audit.selectors import verify_chain
from fupin.audit.services import record


def _drop_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks count as pending trigger events: settle them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_entry_no_update")
            cursor.execute("DROP TRIGGER audit_entry_no_delete")


@pytest.fixture
def chain(db):
    for i in range(5):
        record(
            actor="system",
            action="update",
            object_type="household",
            object_id=i,
            summary=f"change {i}",
            changes={"address": ["旧", f"新{i}"]},
        )
    return list(AuditEntry.objects.order_by("id"))


def test_intact_chain_verifies(chain, capsys):
    report = verify_chain()
    assert report.ok and report.checked == len(chain)
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out


def test_database_refuses_update_and_delete(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=chain[1].pk).update(summary="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=chain[1].pk).delete()


def test_edited_entry_is_detected(chain):
    _drop_triggers()
    AuditEntry.objects.filter(pk=chain[2].pk).update(changes={"address": ["旧", "篡改"]})
    report = verify_chain()
    assert not report.ok
    assert any(f"entry {chain[2].id}" in p and "changed" in p for p in report.problems)
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_deleted_middle_entry_is_detected(chain):
    _drop_triggers()
    AuditEntry.objects.filter(pk=chain[2].pk).delete()
    problems = verify_chain().problems
    assert any("missing" in p for p in problems)


def test_deleted_last_entry_is_detected(chain):
    _drop_triggers()
    AuditEntry.objects.filter(pk=chain[-1].pk).delete()
    problems = verify_chain().problems
    assert any("removed from the end" in p for p in problems)


def test_rewritten_hash_breaks_the_next_link(chain):
    _drop_triggers()
    AuditEntry.objects.filter(pk=chain[1].pk).update(summary="forged", entry_hash="f" * 64)
    problems = verify_chain().problems
    assert any(f"entry {chain[2].id}: link" in p for p in problems)
