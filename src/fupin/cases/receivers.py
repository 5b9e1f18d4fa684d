"""Screening's new clues become cases at once, so that they reach the village cadres."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from fupin.screening.models import ScreeningRun
from fupin.screening.signals import clues_created


@receiver(clues_created, sender=ScreeningRun, dispatch_uid="cases-open-for-clues")
def open_cases_for_new_clues(sender: Any, run: ScreeningRun, **kwargs: Any) -> None:
    from fupin.cases.services import open_cases_for_run

    open_cases_for_run(run)
