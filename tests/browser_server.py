"""Start a real ``fupin serve`` for browser tests, on its own database, filled by a setup script.

The server runs on a fresh PostgreSQL database when FUPIN_DATABASE_URL points to PostgreSQL, otherwise
a SQLite file, so nothing depends on pytest-django's transactional flushes (the audit table refuses
DELETE). Each browser test module starts one server and one Chromium.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.scratch_postgres import ScratchPostgres

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("FUPIN_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def run(env: dict[str, str], args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@dataclass(frozen=True)
class ServerFiles:
    """Files of the running server that a test reads or writes."""

    var: Path

    @property
    def outbox(self) -> Path:
        """Text messages "sent" by the server (fupin.cases.sms.OutboxGateway): JSON lines {at, to, text}."""
        return self.var / "sms-outbox.log"

    @property
    def clock(self) -> Path:
        """While this file holds an ISO date, that date is today for the server's rules (fupin.core.clock)."""
        return self.var / "clock.txt"


@contextmanager
def serve(var: Path, setup: str, database_prefix: str) -> Iterator[str]:
    """Migrate a fresh database, run ``setup`` (Python that prints "ready"), serve; yields the base URL."""
    require_chromium()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_TEST_")}
    env.update(
        FUPIN_VAR_DIR=str(var),
        FUPIN_CLOCK_FILE=str(ServerFiles(var).clock),  # absent: the real date
        DJANGO_SETTINGS_MODULE="fupin.settings",
        PYTHONUNBUFFERED="1",
    )
    given = os.environ.get("FUPIN_DATABASE_URL", "")
    postgres = (
        ScratchPostgres(given, database_prefix)
        if given.startswith(("postgres://", "postgresql://"))
        else None
    )
    if postgres is not None:
        postgres.create()
        env["FUPIN_DATABASE_URL"] = postgres.url
    else:
        env["FUPIN_DATABASE_URL"] = f"sqlite:///{var / 'browser.sqlite3'}"
    process = None
    log = (var / "server.log").open("w")
    try:
        run(env, [sys.executable, "-m", "fupin.cli", "migrate", "--no-input"])
        assert "ready" in run(env, [sys.executable, "-c", setup]).stdout
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "fupin.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("fupin serve did not start:\n" + (var / "server.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        if postgres is not None:
            postgres.drop()


@contextmanager
def chromium() -> Iterator[object]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
