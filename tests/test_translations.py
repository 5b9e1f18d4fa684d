"""Everything a user sees has a Chinese translation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "fupin"
PO = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalogue_is_complete():
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"
    # Placeholders must survive translation, or the message breaks at run time.
    for entry in catalogue.translated_entries():
        assert sorted(re.findall(r"%\(\w+\)s", entry.msgid)) == sorted(
            re.findall(r"%\(\w+\)s", entry.msgstr)
        ), entry.msgid


def test_every_message_in_the_code_is_in_the_catalogue(tmp_path):
    """Extract the messages afresh and compare: a new _("…") without a translation fails here."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):  # .ci/run installs gettext: never pass CI without this check
            pytest.fail("GNU gettext (xgettext) is missing")
        pytest.skip("GNU gettext is needed to extract messages (apt-get install gettext)")
    copy = tmp_path / "fupin"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    known = {e.msgid for e in polib.pofile(str(PO)).translated_entries()}
    missing = sorted(fresh - known)
    assert not missing, f"messages without a Chinese translation: {missing[:15]}"
