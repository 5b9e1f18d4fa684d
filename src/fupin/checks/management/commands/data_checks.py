"""``fupin check [--area CODE] [--check CODE] [--xlsx FILE]``: the data checks over an area.

Prints, per area, the number of failing records of each check in Chinese and English; ``--xlsx``
writes every failing record to an Excel file (masked like the pages' export, and audited).

The Django command is ``data_checks`` (``check`` is Django's own system check, which the test runner
calls); ``fupin check`` is an alias in ``fupin.cli`` and ``fupin system-check`` reaches Django's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from fupin.areas.models import Area
from fupin.checks import catalogue, report, selectors, services
from fupin.checks.catalogue import Check, CheckContext
from fupin.core.i18n import bilingual
from fupin.core.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Run the data checks over an area and print the failures per check; optionally write them to Excel."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--area",
            action="append",
            help="area code (county, township or village); repeat for several "
            "(default: every county with households)",
        )
        parser.add_argument(
            "--check",
            action="append",
            choices=list(catalogue.CHECKS),
            metavar="CODE",
            help="run only this check; repeat for several (codes: " + ", ".join(catalogue.CHECKS) + ")",
        )
        parser.add_argument("--xlsx", type=Path, help="write every failing record to this Excel file")

    def handle(self, *args: Any, **options: Any) -> None:
        checks = [catalogue.get(code) for code in options["check"] or []] or list(catalogue.CATALOGUE)
        areas = [_area(code) for code in options["area"] or _counties_with_households()]
        if not areas:
            self.stdout.write("没有可校验的农户 / There are no households to check.")
            return
        sections: list[report.Section] = []
        for area in areas:
            ctx = CheckContext.for_area(area)
            bar = ProgressBar(self.stdout, f"校验 / checking {area.code}")
            started = time.perf_counter()
            counted: list[tuple[Check, int]] = []
            bar(0, len(checks))
            for done, check in enumerate(checks, start=1):
                counted.append((check, check.failing(ctx).count()))
                bar(done, len(checks))
            bar.finish()
            self._report(area, counted, time.perf_counter() - started)
            sections.append(
                report.Section(
                    ctx,
                    [(c, n, selectors.for_listing(c, ctx, c.failing(ctx))) for c, n in counted],
                )
            )
        if options["xlsx"]:
            self._write(options["xlsx"], sections, checks)

    def _report(self, area: Area, counted: list[tuple[Check, int]], seconds: float) -> None:
        errors = sum(n for c, n in counted if c.severity == "error")
        warnings = sum(n for c, n in counted if c.severity == "warning")
        self.stdout.write(
            f"{area.name} ({area.code}): 错误 {errors:,} 条，警告 {warnings:,} 条 / "
            f"{errors:,} errors, {warnings:,} warnings ({seconds:.1f} s)"
        )
        for check, count in counted:
            mark = "✓" if count == 0 else ("✗" if check.severity == "error" else "!")
            title, severity = bilingual(check.title), bilingual(check.severity_label)
            self.stdout.write(f"  {mark} {count:>8,}  {check.code:<38} {title} [{severity}]")
        if not errors and not warnings:
            self.stdout.write("  未发现问题 / No problems found.")

    def _write(self, path: Path, sections: list[report.Section], checks: list[Check]) -> None:
        # The county's working language; the check codes stay in every row for the English reader.
        with translation.override("zh-hans"), path.open("wb") as out:
            rows = report.write_workbook(sections, out)
        for section in sections:
            services.record_export(
                actor="fupin check",
                area_code=section.ctx.area.code,
                check_codes=[c.code for c in checks],
                rows=sum(n for _c, n, _q in section.checks),
            )
        self.stdout.write(f"已写入 / Written: {path} ({rows:,} 条 / rows)")


def _area(code: str) -> Area:
    area = Area.objects.filter(code=code.strip()).first()
    if area is None:
        raise CommandError(f"没有代码为 {code} 的地区 / There is no area with the code {code}.")
    return area


def _counties_with_households() -> list[str]:
    from fupin.registry.models import Household

    villages = Household.objects.values_list("village__county_code", flat=True).distinct()
    return sorted({code for code in villages if code})
