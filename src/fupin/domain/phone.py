"""Phone numbers: mainland mobile (11 digits starting with 1) or fixed line with area code."""

from __future__ import annotations

import re

_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９＋－"}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_FIXED = re.compile(r"^0\d{2,3}-?\d{7,8}$")


class PhoneError(ValueError):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def normalize(raw: str) -> str:
    """Drop spaces and a +86 prefix; full-width digits become ASCII."""
    text = raw.translate(_FULL_WIDTH)
    text = "".join(ch for ch in text if not ch.isspace() and ch != "\u3000")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    return text


def parse(raw: str) -> str:
    """Return the normalized number or raise ``PhoneError('format')``."""
    number = normalize(raw)
    if _MOBILE.match(number) or _FIXED.match(number):
        return number
    raise PhoneError("format")


def mask(number: str) -> str:
    """``138****5678`` for mobiles; fixed lines keep the area code and last two digits."""
    if _MOBILE.match(number):
        return number[:3] + "****" + number[-4:]
    if len(number) > 6:
        return number[:4] + "*" * (len(number) - 6) + number[-2:]
    return "*" * len(number)
