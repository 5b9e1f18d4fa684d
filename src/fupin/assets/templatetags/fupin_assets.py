from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def fen(value: int | None) -> str:
    """Fen as yuan with two decimals and thousands separators (1234567 → 12,345.67)."""
    if value is None:
        return "—"
    from fupin.assets.services import fen_text

    return fen_text(int(value))


@register.filter
def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    from fupin.assets.services import percent_text

    return percent_text(value) + "%"


@register.filter
def ppm_percent(value: int) -> str:
    return f"{Decimal(value) / 10000:.2f}%"
