"""Rebuild the indicator tables after an import or a screening run."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.dispatch import receiver

from fupin.core.signals import data_changed

logger = logging.getLogger(__name__)


@receiver(data_changed, dispatch_uid="indicators-rebuild-on-change")
def rebuild_after_change(sender: Any, reason: str = "", wait: bool = False, **kwargs: Any) -> None:
    from fupin.indicators import services

    if wait:
        if settings.INDICATORS_AUTO_REBUILD:
            try:
                services.rebuild(trigger=reason or "change")
            except Exception:  # noqa: BLE001 - the change itself is done; the failed build says why
                logger.exception("indicator rebuild after %s failed", reason)
        return
    if settings.INDICATORS_AUTO_REBUILD:
        services.request_rebuild(reason or "change")
