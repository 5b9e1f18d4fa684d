"""The unified social credit code (统一社会信用代码) of enterprises, cooperatives and other organisations.

GB 32100-2015: 18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z):
the registering authority (1), the kind of organisation (1), the registering office's division code (6
digits), the organisation code (9) and a check character. The check character is what catches a typed
code with one wrong character, so a benefit is never paid to an enterprise the clerk did not mean.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# The weight of position i is 3^i mod 31 (the standard's table).
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_SHAPE = re.compile(rf"[{ALPHABET}]{{2}}\d{{6}}[{ALPHABET}]{{10}}")


class CreditCodeError(ValueError):
    def __init__(self, code: str) -> None:
        self.code = code  # "length" | "characters" | "check"
        super().__init__(code)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "").upper()


def parse(raw: str) -> str:
    """The code in capitals, or ``CreditCodeError`` saying what is wrong with it."""
    code = normalize(raw)
    if len(code) != 18:
        raise CreditCodeError("length")
    if not _SHAPE.fullmatch(code):
        raise CreditCodeError("characters")
    if check_character(code[:17]) != code[17]:
        raise CreditCodeError("check")
    return code


def mask(code: str) -> str:
    """Credit codes are public (printed on the business licence): shown in full."""
    return code
