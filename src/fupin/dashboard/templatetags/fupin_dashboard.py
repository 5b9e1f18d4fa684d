"""Template helpers of the dashboard: a figure as it is printed."""

from __future__ import annotations

from typing import Any

from django import template

from fupin.dashboard import catalogue

register = template.Library()


@register.simple_tag
def shown(row: Any, indicator: catalogue.Indicator, line: str) -> str:
    """``{% shown row indicator line %}``: the row's value of the indicator, formatted (— when none)."""
    return str(row.shown(indicator, line))


@register.simple_tag
def figure(values: dict[str, Any], key: str, line: str = "") -> str:
    """``{% figure row.values "share_monitored" %}``: a stored value formatted as its indicator says."""
    indicator = catalogue.BY_KEY[key]
    return catalogue.formatted(values.get(indicator.key_for(line or "monitoring_range")), indicator.kind)


@register.filter
def percent(value: Any, decimals: int = 1) -> str:
    """A share as a percentage; the exit pages use two decimals so that 1.96% and 2.04% differ."""
    return "—" if value is None else f"{value * 100:.{int(decimals)}f}%"
