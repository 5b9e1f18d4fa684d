"""``fupin serve``: the production-grade pure-Python WSGI server (waitress), static files by WhiteNoise."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the fupin web server."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from fupin.wsgi import application

        self.stdout.write(f"fupin is serving on http://{options['host']}:{options['port']}/ (Ctrl+C stops)")
        serve(
            application, host=options["host"], port=options["port"], threads=options["threads"], ident="fupin"
        )
