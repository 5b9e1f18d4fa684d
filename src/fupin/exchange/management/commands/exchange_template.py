"""``fupin template KIND [-o FILE]``: write the xlsx import template of a kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from fupin.exchange import workbook


class Command(BaseCommand):
    help = "Write the xlsx import template of a kind (Chinese headers in row 1, English in row 2)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=workbook.template_kinds())
        parser.add_argument("-o", "--output", help="the file to write (default: fupin-template-KIND.xlsx)")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        path = Path(options.get("output") or f"fupin-template-{kind}.xlsx")
        path.write_bytes(workbook.template(kind))
        self.stdout.write(f"已写入 / Written {path}")
