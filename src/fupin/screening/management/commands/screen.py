"""``fupin screen``: screen every household of an area and open risk clues (also the nightly job)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.core.errors import InvalidInput, ServiceError
from fupin.core.i18n import bilingual
from fupin.core.progress import ProgressBar
from fupin.core.signals import announced_at_the_end
from fupin.engine.backends import ENGINES
from fupin.screening import services


class Command(BaseCommand):
    help = "Screen the households of an area with a policy pack and open risk clues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--policy", default=None, help=f"pack name (default {settings.DEFAULT_POLICY_PACK})"
        )
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, default=None, help="screening date (today)"
        )
        parser.add_argument(
            "--area",
            action="append",
            help="area code; repeat for several (default: every county with households)",
        )
        parser.add_argument("--engine", choices=ENGINES, default="duckdb")

    def handle(self, *args: Any, **options: Any) -> None:
        # Indicator tables are rebuilt once the work is done, before the command exits.
        with announced_at_the_end():
            self._handle(*args, **options)

    def _handle(self, *args: Any, **options: Any) -> None:
        areas = options["area"] or _counties_with_households()
        if not areas:
            self.stdout.write("没有可筛查的农户 / There are no households to screen.")
            return
        for code in areas:
            bar = ProgressBar(self.stdout, f"筛查 / screening {code}")
            try:
                run = services.run_screening(
                    actor=None,
                    area_code=code,
                    policy=options["policy"],
                    as_of=options["as_of"],
                    engine=options["engine"],
                    progress=_progress_to(bar),
                )
            except InvalidInput as error:
                messages = [bilingual(m) for ms in error.field_errors.values() for m in ms]
                raise CommandError("; ".join(messages)) from error
            except ServiceError as error:
                raise CommandError(bilingual(error.message)) from error
            bar.finish()
            self.stdout.write(
                f"{code}: {run.policy_name} {run.policy_version} on {run.engine}, "
                f"{run.households:,} households, {run.hits:,} rule hits, {run.new_clues:,} new risk clues "
                f"({run.skipped_open:,} already open), {run.seconds:.1f} s"
            )
            for rule_id, count in sorted(run.counts.items(), key=lambda item: -item[1]):
                if count:
                    self.stdout.write(f"    {rule_id}: {count:,}")


def _counties_with_households() -> list[str]:
    from fupin.registry.models import Household

    villages = Household.objects.values_list("village__county_code", flat=True).distinct()
    return sorted({code for code in villages if code})


def _progress_to(bar: ProgressBar) -> services.Progress:
    def report(stage: str, done: int, total: int) -> None:
        bar(done, total)

    return report
