from __future__ import annotations

from django import template

from fupin.funds.services import yuan as _yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Fen shown as yuan with two decimals ("—" when there is none)."""
    return "—" if fen is None else _yuan(int(fen))
