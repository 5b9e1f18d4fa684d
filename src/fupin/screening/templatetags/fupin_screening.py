"""Template helpers of the screening pages (and of every page that shows a clue's reasons)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template

from fupin.screening import explanations, labels

register = template.Library()


@register.filter
def reasons(explanation: Iterable[Mapping[str, Any]] | None) -> list[explanations.Reason]:
    """``{% for reason in clue.explanation|reasons %}``: title and text in the page's language."""
    return explanations.reasons(explanation)


@register.simple_tag
def pack_title(name: str, version: str = "") -> str:
    """``{% pack_title run.policy_name run.policy_version %}``: a pack by its title, never its file name."""
    return labels.pack_title(name, version)
