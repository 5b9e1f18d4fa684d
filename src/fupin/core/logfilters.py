"""Logging filters named in ``settings.LOGGING``. Kept free of heavy imports: logging is configured
before any app loads."""

from __future__ import annotations

import logging


class ExpectedFontSubsetNotice(logging.Filter):
    """Drops WeasyPrint's "Using fontTools instead of HarfBuzz-Subset" warning, logged for every PDF.

    The papers embed fonts the project cuts to each paper's characters beforehand (fupin.core.fonts),
    so WeasyPrint's fontTools subsetting is the expected, fast path here (2 s a paper), not a problem
    an operator should act on. Every other WeasyPrint warning still reaches the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        notice = isinstance(record.msg, str) and record.msg.startswith("Using fontTools instead of HarfBuzz")
        return not notice
