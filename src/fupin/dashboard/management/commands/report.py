"""``fupin report --area CODE [--month YYYY-MM] [-o FILE]``: the monthly report of an area as PDF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.areas.models import Area
from fupin.core.i18n import bilingual
from fupin.dashboard import report


class Command(BaseCommand):
    help = "Write the monthly report of an area (key figures, charts, overdue cases) as a PDF in Chinese."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--area", required=True, help="area code (province 2 digits … village 12)")
        parser.add_argument("--month", default="", help="YYYY-MM: that month's figures; default the current")
        parser.add_argument("-o", "--output", default="", help="PDF file (default report-AREA-MONTH.pdf)")

    def handle(self, *args: Any, **options: Any) -> None:
        code, month = options["area"].strip(), options["month"].strip()
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise CommandError(f"没有代码为 {code} 的地区 / There is no area with code {code}.")
        if month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise CommandError(f"--month 应为 YYYY-MM / --month must be YYYY-MM, not {month!r}.")
        try:
            pdf = report.print_report(None, area, month or None)
        except report.NoFigures as missing:
            raise CommandError(bilingual(missing.message)) from None
        output = Path(options["output"] or f"report-{code}-{month or 'current'}.pdf")
        output.write_bytes(pdf)
        self.stdout.write(f"月度报告 / Monthly report: {output} ({len(pdf):,} bytes)")
