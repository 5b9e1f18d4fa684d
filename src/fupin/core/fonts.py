"""The Chinese font the printed papers embed, brought by the project itself.

A fresh machine has no CJK fonts, and a PDF that asks the system for one prints Chinese as empty
boxes. The project depends on the OFL-licensed Noto Sans CJK collection from PyPI
(``noto-cjk-sans-otc``) and embeds its Simplified Chinese face in every PDF, whatever fonts the
machine has. The collection holds one face per region (JP, KR, SC, TC, HK) that share glyphs but map
some characters to regional forms; CSS cannot pick a face out of a collection, so the SC face is
written once as a standalone OpenType file under the var directory and loaded by ``@font-face``.

Each paper gets its own small font, cut from that face for the characters of its HTML: WeasyPrint
subsets fonts keeping every glyph slot, which for the face's 65,000 glyphs takes about 15 s a PDF
without HarfBuzz's subsetter (a Debian package a fresh machine lacks), against about 2 s this way.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

# The family name the templates use. It is ours, not the system's, so that a machine's own
# "Noto Sans CJK SC" (or its absence) never changes what is printed.
PDF_FONT_FAMILY = "Fupin CJK SC"
# The face's PostScript name, which a PDF names its embedded font by (behind a subset prefix).
PDF_FONT_POSTSCRIPT_NAME = "NotoSansCJKsc-Regular"


def _collection_path() -> Path:
    import noto_cjk_sans_otc

    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def _font_dir() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "fonts"


@lru_cache(maxsize=1)
def pdf_font_path() -> Path:
    """The Simplified Chinese face as a standalone font file, written on first use.

    The file name carries the collection's size and modification time, so an upgraded package
    writes a new file instead of reusing a stale one. Written to a temporary name and renamed, so
    two processes printing at once never read half a file.
    """
    collection = _collection_path()
    stat = collection.stat()
    tag = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    target = _font_dir() / f"{PDF_FONT_POSTSCRIPT_NAME}-{tag}.otf"
    if target.exists():
        return target
    from fontTools.ttLib import TTCollection

    faces = TTCollection(str(collection), lazy=True)
    face = next((f for f in faces.fonts if f["name"].getDebugName(6) == PDF_FONT_POSTSCRIPT_NAME), None)
    if face is None:  # pragma: no cover - a broken package, not a runtime condition
        raise RuntimeError(f"{collection} has no face named {PDF_FONT_POSTSCRIPT_NAME}")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        face.save(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


# Always in a paper's font, whatever its text: ASCII, CJK punctuation and full-width forms.
_ALWAYS = (
    set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFF5F)) | {0xA0, 0xD7, 0xB7}
)


def write_font_for(text: str, target: Path) -> None:
    """Write to ``target`` a font with the glyphs of every character of ``text``.

    Characters the face lacks are left out, and print as an empty box (.notdef) as they would with
    the whole face.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = TTFont(str(pdf_font_path()), lazy=True)
    options = subset.Options()
    options.notdef_outline = True  # a missing character shows a box, not nothing
    options.hinting = False
    options.layout_features = []  # WeasyPrint drops GSUB and GPOS from embedded fonts anyway
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in text} | _ALWAYS)
    subsetter.subset(face)
    face.save(str(target))


def font_face_css(font: Path) -> str:
    """The ``@font-face`` rule that gives the templates' family its file."""
    return f'@font-face {{ font-family: "{PDF_FONT_FAMILY}"; src: url("{font.as_uri()}"); }}'
