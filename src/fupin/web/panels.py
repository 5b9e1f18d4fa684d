"""Panels that other apps add to the household page, so the registry's pages import no app above them.

An app registers a panel in its ``AppConfig.ready``: a template and a function that gives the panel's
context for a user and a household, or None when the panel has nothing to show that user. Panels are
shown in the order of their ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Context = Callable[[Any, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    template: str
    context: Context


@dataclass(frozen=True)
class ShownPanel:
    key: str
    template: str
    context: dict[str, Any]


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def household_panels(user: Any, household: Any) -> list[ShownPanel]:
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(user, household)
        if context is not None:
            shown.append(ShownPanel(panel.key, panel.template, context))
    return shown
