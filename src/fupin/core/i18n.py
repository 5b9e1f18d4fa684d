"""Helpers for messages shown in both languages (command line, import reports)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

from django.utils import translation
from django.utils.functional import Promise, lazy


def _interpolate(message: object, params: Mapping[str, object]) -> str:
    return str(message) % params


# `gettext_lazy(...) % params` translates at once, in whatever language is active where the message
# is built (often none, in a service or a command). Services build messages that are rendered later,
# by a page, the API or a bilingual command-line report, so interpolation must wait until then too.
_lazy_interpolate = lazy(_interpolate, str)


def lazy_format(message: object, **params: object) -> Promise:
    """A message with %(name)s placeholders, translated and filled in only when it is rendered."""
    return cast(Promise, _lazy_interpolate(message, params))  # the stubs type lazy() results as str


def _join(separator: object, *messages: object) -> str:
    return str(separator).join(str(m) for m in messages)


_lazy_join = lazy(_join, str)


def lazy_join(messages: Sequence[object], separator: object = " ") -> Promise:
    """Several messages shown as one, each translated only when the whole is rendered."""
    return cast(Promise, _lazy_join(separator, *messages))


def in_language(message: object, language: str) -> str:
    """A lazy or plain message rendered in ``language`` (``zh-hans``, ``en``)."""
    with translation.override(language):
        return str(message)


def stored_text(message: object) -> str:
    """A message to be stored as data that people read later (a history entry's reason, a job's error):
    in one language, the installation's (``LANGUAGE_CODE``, Chinese), never as '中文 / English'."""
    from django.conf import settings

    return in_language(message, settings.LANGUAGE_CODE)


def bilingual(message: object) -> str:
    """'中文 / English' for a lazy or plain message: operators and reviewers read either.

    For the command line and downloaded templates only; never for stored data (see ``stored_text``)."""
    with translation.override("zh-hans"):
        chinese = str(message)
    with translation.override("en"):
        english = str(message)
    return chinese if chinese == english else f"{chinese} / {english}"


def compile_catalogs(locale_dir: Path | None = None) -> int:
    """Compile every .po under ``locale_dir`` to .mo when the .mo is missing or older.

    Uses polib (pure Python) so that a machine without GNU gettext can run fupin.
    """
    import polib

    base = locale_dir or Path(__file__).resolve().parent.parent / "locale"
    compiled = 0
    for po_path in base.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and os.path.getmtime(mo_path) > os.path.getmtime(po_path):
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        compiled += 1
    return compiled
