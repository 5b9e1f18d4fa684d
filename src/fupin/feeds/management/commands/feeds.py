"""``fupin feeds import KIND FILE [--user USERNAME]`` and ``fupin feeds template KIND [--output FILE]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from fupin.accounts.models import User
from fupin.areas.management.commands.areas import _format_problem
from fupin.core.errors import NotPermitted
from fupin.core.i18n import bilingual, lazy_format
from fupin.feeds import services
from fupin.feeds.kinds import KINDS


class Command(BaseCommand):
    help = "Department data feeds: import a list (CSV, xlsx or Parquet), or write an empty template."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "import",
            help="import a department list, all or nothing; rows are linked to registered people by "
            "ID number",
        )
        load.add_argument("kind", choices=list(KINDS))
        load.add_argument("file")
        load.add_argument(
            "--user",
            help="import as this user (their role and capture scope apply); without it, as the operator",
        )
        template = sub.add_parser("template", help="write a CSV with the kind's bilingual header row")
        template.add_argument("kind", choices=list(KINDS))
        template.add_argument(
            "--output", help="write to this file (UTF-8 with BOM, for Excel) instead of standard output"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "template":
            self._template(options["kind"], options.get("output"))
        else:
            self._import(options["kind"], Path(options["file"]), options.get("user"))

    def _import(self, kind: str, path: Path, username: str | None) -> None:
        if not path.is_file():
            raise CommandError(bilingual(lazy_format(_("No such file: %(path)s"), path=str(path))))
        actor: Any = "cli"
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(bilingual(_("No such user.")))
        try:
            result = services.import_feed(actor, kind, path)
        except NotPermitted as exc:
            raise CommandError(bilingual(exc.message)) from None
        except services.FeedImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(_format_problem(problem))
            raise CommandError(
                f"{bilingual(exc.message)} ({len(exc.problems)} 个问题 / problem(s))"
            ) from None
        self.stdout.write(
            f"导入完成 / Imported {result.file_name} ({bilingual(KINDS[kind].label)}): "
            f"{result.rows} 行 rows, 已关联 {result.linked} linked, 未关联 {result.unlinked} unlinked "
            f"(batch {result.batch_id})"
        )
        if result.unlinked:
            self.stdout.write(
                "  未关联的记录身份证号不在系统中，暂不参与预警筛查 / "
                "unlinked rows name nobody registered and are not screened"
            )

    def _template(self, kind: str, output: str | None) -> None:
        spec = KINDS[kind]
        text = services.template_csv(kind)
        if output:
            Path(output).write_text(text, encoding="utf-8-sig", newline="")
            self.stdout.write(f"已写入 / Written {output}")
            guide = self.stdout
        else:
            self.stdout.write(text, ending="")
            guide = self.stderr
        guide.write(f"{bilingual(spec.label)} — {bilingual(spec.department)}")
        for column in spec.columns:
            need = "必填 / required" if column.required else "选填 / optional"
            meaning = {
                "event_date": spec.date_meaning,
                "amount": spec.amount_meaning,
                "code": spec.code_meaning,
            }.get(column.field)
            line = f"  {column.header}: {need}"
            if meaning is not None:
                line += f"; {bilingual(meaning)}"
            if column.field == "code":
                line += f": {spec.codes_display}"
            guide.write(line)
