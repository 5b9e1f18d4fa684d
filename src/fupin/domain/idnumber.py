"""Resident identity numbers (GB 11643-1999), plain Python with no Django import.

An 18-character number is: 6-digit area code, 8-digit birth date (YYYYMMDD), 3-digit sequence
(odd for men, even for women) and a check character computed by ISO 7064 MOD 11-2.
Validation returns problem codes rather than text so that callers can word them in the user's
language; ``PROBLEM_TEXTS`` holds the English wording and the Chinese is in the translation catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # index = weighted sum mod 11

Sex = Literal["M", "F"]

# Earliest plausible birth date of a living registrant; ID numbers were introduced in 1984.
EARLIEST_BIRTH = dt.date(1890, 1, 1)

_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＡＢＣＤＥＦ"}


def normalize(raw: str) -> str:
    """Full-width digits and letters become ASCII, spaces and dashes go, a final x becomes X."""
    text = raw.translate(_FULL_WIDTH)
    text = "".join(ch for ch in text if not ch.isspace() and ch not in "-\u3000")
    return text.upper()


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    area_code: str
    birth_date: dt.date
    sex: Sex


class IdNumberError(ValueError):
    """Raised with a problem code and its parameters."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(PROBLEM_TEXTS[code].format(**params))


PROBLEM_TEXTS = {
    "length": "An ID number has 18 characters; this one has {length}.",
    "characters": "Only digits are allowed, with X as the last character.",
    "area": "The area code {area} at the start of the ID number does not exist.",
    "birth_date": "The birth date {birth} in the ID number is not a real date.",
    "birth_range": "The birth date {birth} in the ID number is in the future or too long ago.",
    "check": "The last character should be {expected}, not {given}: a digit was probably mistyped.",
    "sex": "The ID number belongs to a {id_sex_en} but the recorded sex is {sex_en}.",
    "birth_mismatch": "The birth date in the ID number ({birth}) differs from the recorded birth date.",
}


def parse(
    raw: str,
    *,
    area_exists: Callable[[str], bool] | None = None,
    today: dt.date | None = None,
) -> IdNumberInfo:
    """Validate and decompose an ID number, raising ``IdNumberError`` on the first problem."""
    number = normalize(raw)
    if len(number) != 18:
        raise IdNumberError("length", length=len(number))
    if not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        raise IdNumberError("characters")
    area = number[:6]
    if area_exists is not None and not area_exists(area):
        raise IdNumberError("area", area=area)
    birth_text = number[6:14]
    try:
        birth = dt.date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:8]))
    except ValueError:
        raise IdNumberError("birth_date", birth=birth_text) from None
    if not (EARLIEST_BIRTH <= birth <= (today or dt.date.today())):
        raise IdNumberError("birth_range", birth=birth.isoformat())
    expected = check_character(number[:17])
    if number[17] != expected:
        raise IdNumberError("check", expected=expected, given=number[17])
    sex: Sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberInfo(number=number, area_code=area, birth_date=birth, sex=sex)


def check_against_record(info: IdNumberInfo, *, sex: str | None, birth_date: dt.date | None) -> None:
    """The recorded sex and birth date must agree with what the number encodes."""
    if sex and sex != info.sex:
        names = {"M": "man", "F": "woman"}
        raise IdNumberError("sex", id_sex_en=names[info.sex], sex_en=names.get(sex, sex))
    if birth_date and birth_date != info.birth_date:
        raise IdNumberError("birth_mismatch", birth=info.birth_date.isoformat())


def mask(number: str) -> str:
    """Keep the first four and last four characters: ``2208**********123X``."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def make(area: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (demo data and tests): ``sequence`` is 0..999, odd for men."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
