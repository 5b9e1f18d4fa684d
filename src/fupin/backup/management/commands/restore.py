"""``fupin restore FILE``: a backup onto an empty installation, checked whole, or nothing changes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from fupin.backup import services
from fupin.backup.management.commands.backup import read_passphrase, refused
from fupin.core.i18n import bilingual


class Command(BaseCommand):
    help = (
        "Restore a backup onto an empty installation (new var directory, empty database): checks the "
        "backup and its keys first, loads everything in one transaction, verifies counts, checksums and "
        "the audit chain, then installs the files and the keys."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a file written by fupin backup")
        keys = parser.add_mutually_exclusive_group()
        keys.add_argument(
            "--passphrase-stdin",
            action="store_true",
            help="the passphrase that seals the backup's keys, from standard input",
        )
        keys.add_argument(
            "--keys", metavar="KEYFILE", help="the key file from fupin backup --keys-to (or a keys.json)"
        )
        parser.add_argument(
            "--check", action="store_true", help="only check the backup and its keys; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        key_file = Path(options["keys"]) if options["keys"] else None
        try:
            passphrase = None
            if options["passphrase_stdin"]:
                passphrase = read_passphrase(confirm=False)
            elif key_file is None and sys.stdin.isatty():
                kept = services.read_manifest(path).get("keys", {}).get("kept")
                if kept == "sealed":
                    passphrase = read_passphrase(confirm=False)
            summary = services.restore_backup(
                path,
                passphrase=passphrase,
                key_file=key_file,
                check_only=options["check"],
                say=lambda line: self.stderr.write(line),
            )
        except services.BackupRefused as exc:
            raise refused(exc, self.stderr) from None
        if options["check"]:
            whole = bilingual(_("The backup is whole and the keys open it."))
            self.stdout.write(
                f"{whole} ({summary.tables} tables, {summary.rows:,} rows, {summary.files:,} files)"
            )
            return
        self.stdout.write(
            f"恢复完成 / Restored {path.name}: {summary.tables} 表 tables, {summary.rows:,} 行 rows, "
            f"{summary.files:,} 文件 files, 审计 {summary.audit_entries:,} audit entries verified, "
            f"{summary.seconds:.1f} s"
        )
