"""Progress on the command line for long work (imports, demo data, screening)."""

from __future__ import annotations

import time
from typing import Any


class ProgressBar:
    """A one-line bar on a terminal; a line every 10% otherwise (logs, CI)."""

    def __init__(self, out: Any, label: str) -> None:
        self.out = out
        self.label = label
        self.tty = out.isatty()
        self.last_tenth = -1
        self.started: float | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.started is None:
            self.started = time.perf_counter()
        fraction = done / total if total else 1.0
        if self.tty:
            filled = int(fraction * 30)
            self.out.write(
                f"\r  {self.label} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,} {fraction:4.0%}",
                ending="",
            )
            self.out.flush()
            return
        tenth = int(fraction * 10)
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            elapsed = time.perf_counter() - self.started
            self.out.write(f"  {self.label}: {done:,}/{total:,} ({fraction:.0%}, {elapsed:.1f} s)")

    def finish(self) -> None:
        if self.tty:
            self.out.write("")
