"""``fupin import KIND FILE [--user U] [--errors FILE]``: import a sheet, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from fupin.accounts.models import User
from fupin.core.errors import NotPermitted
from fupin.core.i18n import bilingual, lazy_format
from fupin.core.progress import ProgressBar
from fupin.core.signals import announced_at_the_end
from fupin.exchange import workbook
from fupin.exchange.importer import ImportFailed, import_file, import_kinds

SHOWN_PROBLEMS = 20


class Command(BaseCommand):
    help = "Import households, members, incomes, areas or a department list from xlsx or CSV; all or nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=import_kinds())
        parser.add_argument("file")
        parser.add_argument("--user", help="import as this user (role and capture scope apply)")
        parser.add_argument(
            "--errors", help="where to write the error workbook (default: FILE with .errors.xlsx)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Indicator tables are rebuilt once the work is done, before the command exits.
        with announced_at_the_end():
            self._handle(*args, **options)

    def _handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(bilingual(lazy_format(_("No such file: %(path)s"), path=str(path))))
        actor: Any = "cli"
        if options.get("user"):
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(bilingual(_("No such user.")))
        bar = ProgressBar(self.stdout, options["kind"])
        try:
            result = import_file(actor, options["kind"], path, progress=bar)
        except NotPermitted as exc:
            raise CommandError(bilingual(exc.message)) from None
        except ImportFailed as exc:
            bar.finish()
            for p in exc.problems[:SHOWN_PROBLEMS]:
                where = f"第 {p.row} 行 row {p.row}" if p.row else "文件 file"
                self.stderr.write(f"{where} {p.column} {p.value}: {bilingual(p.message)}".replace("  ", " "))
            errors = Path(options.get("errors") or path.with_suffix(".errors.xlsx"))
            errors.write_bytes(workbook.error_workbook(path.read_bytes(), path.name, exc.problems, exc.total))
            raise CommandError(
                f"{bilingual(exc.message)} ({exc.total} 个问题 / problem(s)); "
                f"错误工作簿 / error workbook: {errors}"
            ) from None
        bar.finish()
        for note in result.notes:
            self.stdout.write(f"第 {note.row} 行 row {note.row}: {bilingual(note.message)}")
        self.stdout.write(
            f"导入完成 / Imported {path.name}: {result.rows} 行 rows, 新增 {result.created} created, "
            f"更新 {result.updated} updated, 未变 {result.unchanged} unchanged"
        )
