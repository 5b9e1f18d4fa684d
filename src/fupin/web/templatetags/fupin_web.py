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


@register.simple_tag
def page_numbers(page_obj: Any, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and the current one ± ``around``, with
    ``None`` where numbers are left out (shown as an ellipsis). ``1 … 4 5 [6] 7 8 … 400``."""
    last = page_obj.paginator.num_pages
    current = page_obj.number
    wanted = {1, last, *range(max(1, current - around), min(last, current + around) + 1)}
    numbers: list[int | None] = []
    previous = 0
    for number in sorted(wanted):
        if number - previous == 2:
            numbers.append(number - 1)  # one left-out page is shown, not an ellipsis standing for it
        elif number - previous > 2:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers


@register.simple_tag(takes_context=True)
def query_without(context: Any, name: str) -> list[tuple[str, str]]:
    """The current query string's pairs except ``name``, for hidden fields of a GET form."""
    request = context.get("request")
    if request is None:
        return []
    return [(key, value) for key, values in request.GET.lists() if key != name for value in values]
