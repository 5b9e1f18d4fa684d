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


def _forge_plain_chain(new_summary: str) -> None:
    """What someone with write access to the database but not the audit key can do: edit an entry,
    recompute every link by the published formula (plain SHA-256) and reset the head."""
    import hashlib
    import json

    from fupin.audit.models import AuditHead
    from fupin.audit.services import GENESIS_HASH, hashed_fields

    _drop_triggers()
    AuditEntry.objects.filter(pk=2).update(summary=new_summary)
    prev = GENESIS_HASH
    for entry in AuditEntry.objects.order_by("id"):
        payload = json.dumps(
            {"id": entry.id, "prev": prev, **hashed_fields(entry)},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        forged = hashlib.sha256(payload.encode()).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=prev, entry_hash=forged)
        prev = forged
    AuditHead.objects.filter(id=1).update(last_hash=prev)


def test_a_recomputed_chain_without_the_key_is_detected(chain):
    assert verify_chain().ok
    _forge_plain_chain("forged")
    problems = verify_chain().problems
    assert any("content was changed" in p for p in problems)


def test_moving_the_keyed_start_is_caught_by_a_signed_checkpoint(chain, settings):
    """The forger also claims every entry is from before the keyed chain (plain SHA-256): only the
    checkpoint written outside the database, signed with the key, shows the rewrite."""
    from fupin.audit.models import AuditHead

    call_command("audit", "checkpoint")
    assert settings.AUDIT_CHECKPOINT_FILE.exists()
    _forge_plain_chain("forged")
    AuditHead.objects.filter(id=1).update(keyed_from=10**9)
    problems = verify_chain().problems
    assert any("signed checkpoint" in p for p in problems)


def test_cutting_the_tail_and_resetting_the_head_is_caught_by_a_checkpoint(chain):
    from fupin.audit.models import AuditHead

    call_command("audit", "checkpoint")
    _drop_triggers()
    AuditEntry.objects.filter(pk__in=[chain[-1].pk, chain[-2].pk]).delete()
    kept = chain[-3]
    AuditHead.objects.filter(id=1).update(last_entry_id=kept.id, last_hash=kept.entry_hash, count=3)
    problems = verify_chain().problems
    assert any("recorded by a signed checkpoint, is missing" in p for p in problems)


def test_an_edited_checkpoint_file_is_reported(chain, settings):
    call_command("audit", "checkpoint")
    path = settings.AUDIT_CHECKPOINT_FILE
    path.write_text(path.read_text().replace('"count": 5', '"count": 4'))
    assert any("signature does not match" in p for p in verify_chain().problems)


def test_a_checkpoint_is_refused_on_a_damaged_log(chain, settings):
    _drop_triggers()
    AuditEntry.objects.filter(pk=chain[1].pk).update(summary="forged")
    with pytest.raises(CommandError):
        call_command("audit", "checkpoint")
    assert not settings.AUDIT_CHECKPOINT_FILE.exists()


def test_every_action_the_code_records_has_a_label():
    """The audit log and the household history show an entry's action by its label: every plain verb
    passed to ``audit.record`` (found in the source, so a new one cannot be forgotten) is one of
    AuditAction's choices. Dotted actions (``case.visit``) name their app's own step labels."""
    import ast
    from pathlib import Path

    import fupin
    from fupin.audit.models import AuditAction

    verbs: dict[str, str] = {}
    for path in Path(fupin.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = getattr(node, "func", None)
            name = getattr(called, "attr", getattr(called, "id", ""))
            if isinstance(node, ast.Call) and name == "record" and "action" in {k.arg for k in node.keywords}:
                action = next(k.value for k in node.keywords if k.arg == "action")
                if isinstance(action, ast.Constant) and "." not in str(action.value):
                    verbs[str(action.value)] = f"{path.name}:{node.lineno}"
    assert {"create", "update", "print", "search", "reveal"} <= set(verbs)  # the scan finds them
    unlabelled = {verb: where for verb, where in verbs.items() if verb not in AuditAction.values}
    assert not unlabelled, unlabelled
