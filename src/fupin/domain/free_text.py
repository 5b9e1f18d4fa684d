"""Free text that goes onto lists, notices and text messages must not carry personal identifiers."""

from __future__ import annotations

import re

# An 18-character resident ID number or an 11-digit mobile number, not inside a longer run of digits.
_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def has_identifiers(text: str) -> bool:
    """Whether the text holds a resident ID number or a mobile number."""
    return bool(_ID_NUMBER.search(text) or _MOBILE.search(text))
