"""``fupin worker``: carry out the queued background jobs (django-tasks-db's worker, with heartbeats).

As it starts, and every little while, it looks for jobs that were running when their worker stopped
(killed, or the machine restarted) and tries them again or marks them failed (fupin.jobs.services.sweep).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connections
from django.utils.crypto import get_random_string

SWEEP_SECONDS = 10.0
logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Carry out the background jobs (screening runs, imports, rebuilds, text messages) as queued."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between looks when idle")
        parser.add_argument("--batch", action="store_true", help="carry out what is queued, then stop")
        parser.add_argument("--parent", type=int, default=0, help="stop when the process with this id ends")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        from fupin.api import idempotency
        from fupin.jobs import services

        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"[:64]
        services.beat(worker_id)
        found = services.sweep()
        idempotency.purge_expired()  # API pushes' keys older than IDEMPOTENCY_KEY_HOURS
        services.run_periodic()  # upkeep the apps registered (scheduling reminders, say)
        if any(found.values()):
            self.stdout.write(
                f"jobs whose worker had stopped: {found['retried']} tried again, {found['failed']} failed"
            )
        stop = threading.Event()
        parent = options["parent"]

        def keep_beating() -> None:
            last_sweep = time.monotonic()
            try:
                while not stop.wait(services.BEAT_SECONDS):
                    if parent and os.getppid() != parent:  # the server that started us is gone
                        os.kill(os.getpid(), signal.SIGTERM)
                        return
                    try:
                        services.beat(worker_id)
                        if time.monotonic() - last_sweep >= SWEEP_SECONDS:
                            services.sweep()
                            idempotency.purge_expired()
                            services.run_periodic()
                            last_sweep = time.monotonic()
                    except Exception:  # noqa: BLE001 - a busy database; the next beat tries again
                        logger.warning("the worker's heartbeat could not reach the database", exc_info=True)
            finally:
                connections.close_all()

        beating = threading.Thread(target=keep_beating, name="worker-beat", daemon=True)
        beating.start()
        worker = Worker(
            queue_names=["default"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.stdout.write(f"fupin worker {worker_id} is waiting for jobs (Ctrl+C stops)")
        self.stdout.flush()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            beating.join(timeout=5)
            services.leave(worker_id)
