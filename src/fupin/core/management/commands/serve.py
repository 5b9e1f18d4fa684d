"""``fupin serve``: the production-grade pure-Python WSGI server (waitress), static files by WhiteNoise.

It starts a ``fupin worker`` beside itself for the background jobs (``--no-worker`` when the workers
run as their own services) and stops it when it stops; the worker also stops if the server dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the fupin web server."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="do not start a worker for the jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        import threading

        from waitress import serve

        from fupin.dashboard import geo
        from fupin.wsgi import application

        # The map's boundary files take about a second to parse: done while the server starts listening.
        threading.Thread(target=geo.warm, name="warm-map-boundaries", daemon=True).start()

        worker = None if options["no_worker"] or settings.JOBS_RUN_NOW else _start_worker()
        # SIGTERM (a service manager, a test) ends the server like Ctrl+C, so the worker is stopped too.
        signal.signal(signal.SIGTERM, _exit)
        self.stdout.write(f"fupin is serving on http://{options['host']}:{options['port']}/ (Ctrl+C stops)")
        try:
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="fupin",
            )
        finally:
            if worker is not None:
                _stop_worker(worker)


def _exit(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _start_worker() -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "fupin.cli", "worker", "--parent", str(os.getpid())]
    return subprocess.Popen(command, env={**os.environ, "FUPIN_JOBS_RUN_NOW": "0"})  # noqa: S603 - our own command


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """A job under way is finished first (the worker stops between jobs), for at most a minute."""
    worker.terminate()
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()  # its job is tried again by the next worker (fupin.jobs.services.sweep)
        worker.wait()
