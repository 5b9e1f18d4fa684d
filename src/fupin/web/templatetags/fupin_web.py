"""Small template helpers for the pages."""

from __future__ import annotations

from typing import Any

from django import template

from fupin.web.history import risk_labels as _risk_labels

register = template.Library()


@register.filter
def risk_labels(packed: str | list[str]) -> str:
    """',illness,housing,' → 'Illness (因病)、Housing safety (因安全住房)' in the active language."""
    return "、".join(_risk_labels(packed))


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def head_name(household: Any) -> str:
    heads = getattr(household, "heads", None)
    return heads[0].name if heads else ""
