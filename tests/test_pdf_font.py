"""Printed papers carry the project's own Chinese font, on any machine (a fresh one has no CJK fonts)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from fupin.core.fonts import PDF_FONT_FAMILY
from fupin.core.printing import html_to_pdf
from tests.pdf_font import assert_embeds_project_font, glyph_ids_by_font

SAMPLE = "防返贫监测帮扶 通榆县 明白卡 户主 骨 直 边缘易致贫户 因病 2026年12月 ABC-123（一）"


def _html(text: str) -> str:
    return (
        f'<html><body style="font-family: &quot;{PDF_FONT_FAMILY}&quot;"><h1>{text}</h1><p>{text}</p>'
        f'<svg width="300" height="40" font-family="{PDF_FONT_FAMILY}"><text x="5" y="20">{text}</text></svg>'
        "</body></html>"
    )


def test_a_paper_embeds_the_project_font_and_prints_every_character():
    assert_embeds_project_font(html_to_pdf(_html(SAMPLE)))


def test_the_check_finds_a_character_the_font_cannot_print():
    # U+E000 is a private-use character no font of the project has: it prints as .notdef.
    shown = glyph_ids_by_font(html_to_pdf(_html("户主\ue000")))
    assert any(0 in ids for ids in shown.values())
    with pytest.raises(AssertionError, match="empty boxes"):
        assert_embeds_project_font(html_to_pdf(_html("户主\ue000")))


def test_a_machine_without_any_font_still_prints_chinese(tmp_path, settings):
    """What a fresh machine sees: fontconfig knows no font at all, and the paper is still whole."""
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    output = tmp_path / "paper.pdf"
    script = textwrap.dedent(
        f"""
        import django, pathlib
        django.setup()
        from fupin.core.printing import html_to_pdf
        pathlib.Path({str(output)!r}).write_bytes(html_to_pdf({_html(SAMPLE)!r}))
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "FONTCONFIG_FILE": str(config),
        "DJANGO_SETTINGS_MODULE": "fupin.settings",
        "FUPIN_VAR_DIR": str(settings.VAR_DIR),
        "HOME": str(tmp_path),
    }
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, timeout=120)
    assert_embeds_project_font(output.read_bytes())


def test_printing_leaves_no_font_subsetting_notice_in_the_log(caplog):
    """An operator's log is not filled with one WeasyPrint notice per paper about how fonts are cut
    (the project cuts them itself); WeasyPrint's other warnings still reach it."""
    import logging

    with caplog.at_level(logging.INFO):
        html_to_pdf(_html(SAMPLE))
        logging.getLogger("weasyprint").warning("Ignored `foo: bar` at 1:1, unknown property.")
    texts = [record.getMessage() for record in caplog.records if record.name.startswith("weasyprint")]
    assert not [text for text in texts if "HarfBuzz" in text]
    assert "Ignored `foo: bar` at 1:1, unknown property." in texts
