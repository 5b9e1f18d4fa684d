from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Integer fen as yuan with thousands separators (1,600.00); a dash when there is no amount."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


@register.filter
def lines(explanation: dict | None, language: str = "") -> list[str]:
    """The explanation's lines in the page's language (zh or en)."""
    if not explanation:
        return []
    key = "zh" if (language or "").startswith("zh") else "en"
    return list(explanation.get(key) or explanation.get("en") or [])
