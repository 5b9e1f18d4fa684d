"""What every printed paper must hold on any machine: the project's own Chinese font, and no empty boxes."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from pypdf.generic import ContentStream

from fupin.core.fonts import PDF_FONT_FAMILY

# WeasyPrint names an @font-face font by its family, spaces as dashes, behind a subset prefix.
PROJECT_FONT_NAME = PDF_FONT_FAMILY.replace(" ", "-")


def _fonts(resources) -> dict[str, object]:
    fonts = resources.get("/Font") if resources else None
    return {name: ref.get_object() for name, ref in fonts.items()} if fonts else {}


def _code_to_cid(font) -> dict[int, int]:
    """The font's own encoding, where it has one.

    WeasyPrint writes text as Type0 fonts with two-byte codes. A font that prints every character
    uses Identity-H (code = glyph); one with characters it cannot print gets a CMap that sends
    those codes to glyph 0, .notdef: the empty box a reader sees.
    """
    encoding = font.get("/Encoding")
    if encoding is None or not hasattr(encoding, "get_object") and isinstance(encoding, str):
        return {}
    encoding = encoding.get_object()
    if not hasattr(encoding, "get_data"):
        return {}
    pairs = re.findall(rb"<([0-9a-fA-F]{4})> (\d+)", encoding.get_data())
    return {int(code, 16): int(cid) for code, cid in pairs}


def glyph_ids_by_font(pdf: bytes) -> dict[str, list[int]]:
    """For each embedded font (by base name), the glyphs the pages show with it (0 is .notdef)."""
    shown: dict[str, list[int]] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = _fonts(page.get("/Resources"))
        current = None
        encoding: dict[int, int] = {}
        for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
            if operator == b"Tf":
                current = fonts[operands[0]]
                encoding = _code_to_cid(current)
            elif operator in (b"Tj", b"TJ") and current is not None:
                base = str(current["/BaseFont"])
                items = operands[0] if operator == b"TJ" else [operands[0]]
                for item in items:
                    if isinstance(item, (bytes, str)) or hasattr(item, "original_bytes"):
                        raw = item.original_bytes if hasattr(item, "original_bytes") else item
                        if isinstance(raw, str):
                            raw = raw.encode("latin-1")
                        codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
                        ids = [encoding.get(code, code) for code in codes]
                        shown.setdefault(base, []).extend(ids)
        for ref in fonts.values():
            shown.setdefault(str(ref["/BaseFont"]), [])
    return shown


def assert_embeds_project_font(pdf: bytes) -> None:
    """Every font of the PDF is the project's (a subset of it, embedded) and no glyph is .notdef."""
    shown = glyph_ids_by_font(pdf)
    assert shown, "the PDF shows no text"
    for base, ids in shown.items():
        # A subset's name is "/ABCDEF+Fupin-CJK-SC"; anything else came from the machine.
        assert base.split("+", 1)[-1].startswith(PROJECT_FONT_NAME), f"font {base} is not the project's"
        assert ids, f"font {base} shows no glyphs"
        assert 0 not in ids, f"font {base} prints {ids.count(0)} characters as empty boxes (.notdef)"
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in _fonts(page.get("/Resources")).values():
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), (
                f"font {font['/BaseFont']} is not embedded"
            )
