"""Signals between apps that must not import each other."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.dispatch import Signal

# Many records changed at once (an import, a screening run), sent after the transaction commits with
# ``reason`` ("import", "screening") and ``wait``: whether the receiver should do its work before
# returning (a command line) or in the background (a web request). Indicator tables rebuild on it.
data_changed = Signal()

_batch = threading.local()


def announce(sender: Any, reason: str) -> None:
    """Say that many records changed: now, or at the end of an enclosing ``announced_at_the_end`` block."""
    reasons = getattr(_batch, "reasons", None)
    if reasons is not None:
        reasons.add(reason)
        return
    data_changed.send(sender=sender, reason=reason, wait=False)


@contextmanager
def announced_at_the_end() -> Iterator[None]:
    """For commands: collect the block's announcements and send one at its end, to be acted on at once
    (a background thread would die with the command)."""
    if getattr(_batch, "reasons", None) is not None:  # nested: the outermost block announces
        yield
        return
    _batch.reasons = set()
    try:
        yield
        reasons = sorted(_batch.reasons)
    finally:
        _batch.reasons = None
    if reasons:
        data_changed.send(sender=None, reason=",".join(reasons), wait=True)
