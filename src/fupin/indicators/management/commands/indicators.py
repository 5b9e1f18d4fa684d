"""``fupin indicators rebuild [--as-of DATE] [--engine duckdb|postgres]``: rebuild the indicator tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.core.progress import ProgressBar
from fupin.engine.backends import backend as make_backend
from fupin.indicators import services
from fupin.screening.services import database_uri


class Command(BaseCommand):
    help = "Rebuild the indicator tables of every area (built aside, then swapped in)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"])
        parser.add_argument("--as-of", help="figures as of this day (YYYY-MM-DD); default today")
        parser.add_argument("--engine", choices=["duckdb", "postgres"], default="duckdb")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else None
        except ValueError:
            raise CommandError(f"--as-of: not a date (YYYY-MM-DD): {options['as_of']}") from None
        engine = (
            make_backend(options["engine"], database_uri=database_uri())
            if options["engine"] != "duckdb"
            else None
        )
        progress = ProgressBar(self.stdout, "指标 / indicators")
        build = services.rebuild(
            as_of=as_of,
            trigger="command",
            backend=engine,
            progress=lambda stage, percent: progress(percent, 100),
        )
        progress.finish()
        seconds = ", ".join(f"{k} {v:.1f} s" for k, v in build.seconds.items())
        self.stdout.write(
            f"Indicators as of {build.as_of}: {build.households} households, {build.areas} areas ({seconds})"
        )
