"""What the printed papers share (village notice, household card): Chinese labels and the PDF renderer."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation


def choice_label(choices: Any, code: str) -> str:
    """The label of ``code`` in a TextChoices class, or the code itself when unknown."""
    return str(choices(code).label) if code in choices.values else code


def chinese_term(label: str) -> str:
    """ "Illness (因病)" → "因病": the Chinese term in brackets, when a label carries one."""
    if label.endswith(")") and " (" in label:
        return label[label.rindex(" (") + 2 : -1]
    if label.endswith("）") and "（" in label:
        return label[label.rindex("（") + 1 : -1]
    return label


def village_name(name: str) -> str:
    """ "长发村委会" → "长发村": imported code tables sometimes name the committee, not the village."""
    name = name.strip()
    for suffix in ("村民委员会", "村委会"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + "村"
    return name


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Printed papers need no images, styles or fonts from outside: nothing is fetched."""
    raise ValueError(f"a printed paper does not load {url}")


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The template as PDF bytes, in Chinese whatever the reader's language (papers are posted)."""
    import weasyprint

    with translation.override("zh-hans"):
        html = render_to_string(template, context)
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=_no_fetching).write_pdf()
    return pdf
