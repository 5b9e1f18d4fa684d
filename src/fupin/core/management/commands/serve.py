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
        import threading

        from waitress import serve

        from fupin.dashboard import geo
        from fupin.wsgi import application

        # The map's boundary files take about a second to parse: done while the server starts listening.
        threading.Thread(target=geo.warm, name="warm-map-boundaries", daemon=True).start()

        self.stdout.write(f"fupin is serving on http://{options['host']}:{options['port']}/ (Ctrl+C stops)")
        serve(
            application, host=options["host"], port=options["port"], threads=options["threads"], ident="fupin"
        )
