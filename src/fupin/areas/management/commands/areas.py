"""``fupin areas import FILE``: townships and villages from CSV or xlsx, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from fupin.areas import services
from fupin.core.i18n import bilingual, lazy_format


class Command(BaseCommand):
    help = "Administrative areas: import townships (9-digit codes) and villages (12-digit) from a file."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "import",
            help="load townships and villages from CSV (UTF-8 or GB18030) or the first sheet of an xlsx; "
            "columns code and name (or 代码 and 名称)",
        )
        load.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(bilingual(lazy_format(_("No such file: %(path)s"), path=str(path))))
        try:
            result = services.import_area_file(path, actor="cli")
        except services.AreaImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(_format_problem(problem))
            raise CommandError(
                f"{bilingual(exc.message)} ({len(exc.problems)} 个问题 / problem(s))"
            ) from None
        self.stdout.write(
            f"导入完成 / Imported {path.name}: "
            f"新增 {len(result.created)} created, "
            f"改名 {len(result.renamed)} renamed, "
            f"未变 {len(result.unchanged)} unchanged"
        )
        for code, old, new in result.renamed:
            self.stdout.write(f"  改名 / renamed {code}: {old} → {new}")


def _format_problem(problem: services.ImportProblem) -> str:
    where = "文件 / file" if problem.row == 0 else f"第 {problem.row} 行 / row {problem.row}"
    if problem.column:
        where += f", {problem.column}"
    return f"{where}: {bilingual(problem.message)}"
