"""Rebuild the indicator tables after an import or a screening run."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from fupin.core.signals import data_changed


@receiver(data_changed, dispatch_uid="indicators-rebuild-on-change")
def rebuild_after_change(sender: Any, reason: str = "", wait: bool = False, **kwargs: Any) -> None:
    from fupin.indicators import services

    if wait:
        if settings.INDICATORS_AUTO_REBUILD:
            services.rebuild(trigger=reason or "change")
        return
    services.request_rebuild(reason or "change")
