"""``fupin backup FILE``: the whole installation in one file, its keys sealed in it or kept apart."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from fupin.backup import services
from fupin.core.i18n import bilingual


def read_passphrase(confirm: bool) -> str:
    """The passphrase: the first line of standard input, or typed twice at a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("口令 / Passphrase: ")
    if confirm and getpass.getpass("再输入一次 / Again: ") != first:
        raise CommandError(bilingual(_("The two passphrases differ.")))
    return first


def refused(exc: services.BackupRefused, stderr: Any) -> CommandError:
    for detail in exc.details[:50]:
        stderr.write(f"  {detail}")
    if len(exc.details) > 50:
        stderr.write(f"  … {len(exc.details) - 50} more")
    return CommandError(bilingual(exc.message))


class Command(BaseCommand):
    help = (
        "Back up the database (every table, engine-neutral), the uploaded files, the audit checkpoints "
        "and the keys (sealed with a passphrase, or to a separate key file) into one file."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the backup file to write (a zip; written whole or not at all)")
        keys = parser.add_mutually_exclusive_group()
        keys.add_argument(
            "--passphrase-stdin",
            action="store_true",
            help="seal the keys inside the backup with a passphrase read from standard input",
        )
        keys.add_argument(
            "--keys-to", metavar="KEYFILE", help="write the keys to this separate file (mode 0600) instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        passphrase = None
        keys_to = Path(options["keys_to"]) if options["keys_to"] else None
        if options["passphrase_stdin"] or (keys_to is None and sys.stdin.isatty()):
            passphrase = read_passphrase(confirm=True)
        try:
            summary = services.create_backup(
                Path(options["file"]),
                passphrase=passphrase,
                keys_to=keys_to,
                say=lambda line: self.stderr.write(line),
            )
        except services.BackupRefused as exc:
            raise refused(exc, self.stderr) from None
        self.stdout.write(
            f"备份完成 / Backup written: {options['file']} — {summary.tables} 表 tables, "
            f"{summary.rows:,} 行 rows, {summary.files:,} 文件 files, "
            f"{summary.bytes / 1e6:.1f} MB, {summary.seconds:.1f} s"
        )
        if keys_to is not None:
            self.stdout.write(
                bilingual(_("The keys are in the key file: keep it apart from the backup, somewhere safe."))
            )
