"""What the printed papers share (village notice, household card): Chinese labels and the PDF renderer."""

from __future__ import annotations

import tempfile
from pathlib import Path
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


def _font_only_fetcher(font: Path) -> Any:
    """A fetcher that loads nothing from outside: only the paper's own font file."""
    import weasyprint

    font_uri = font.as_uri()

    class FontOnlyFetcher(weasyprint.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url != font_uri:
                raise ValueError(f"a printed paper does not load {url}")
            return super().fetch(url, headers)

    return FontOnlyFetcher(allowed_protocols=["file"])


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The template as PDF bytes, in Chinese whatever the reader's language (papers are posted).

    Every paper embeds the project's own Chinese font (``fupin.core.fonts``); templates name it by
    ``PDF_FONT_FAMILY``, given to them as ``pdf_font_family``.
    """
    from fupin.core.fonts import PDF_FONT_FAMILY

    with translation.override("zh-hans"):
        html = render_to_string(template, {**context, "pdf_font_family": PDF_FONT_FAMILY})
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    """HTML as PDF bytes with the project's font, cut for this HTML, as ``PDF_FONT_FAMILY``."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from fupin.core.fonts import font_face_css, write_font_for

    with tempfile.TemporaryDirectory(prefix="fupin-pdf-") as folder:
        font = Path(folder) / "paper.otf"
        write_font_for(html, font)
        font_config = FontConfiguration()
        fetcher = _font_only_fetcher(font)
        font_css = weasyprint.CSS(string=font_face_css(font), font_config=font_config, url_fetcher=fetcher)
        pdf: bytes = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
            stylesheets=[font_css], font_config=font_config
        )
    return pdf
