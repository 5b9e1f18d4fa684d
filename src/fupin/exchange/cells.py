"""Turning one cell into a value of a column's type, with a message when it cannot be done.

Parsers are built once per column and cache their answers by the raw cell (codes, dates, yes/no and
amounts repeat a lot), which keeps a million-row import in tight loops.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.areas.divisions import known_county_codes
from fupin.areas.services import normalize_code
from fupin.core.errors import Message
from fupin.core.i18n import lazy_format
from fupin.domain import idnumber, phone
from fupin.exchange.specs import YES_NO, Col, choice_labels, lookup_code
from fupin.feeds.services import parse_amount, parse_date, parse_id_number

Parser = Callable[[object], tuple[Any, Message | None]]
MISSING = object()  # a blank cell


def blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):  # calamine's date-only cell: shown as openpyxl's datetime was
        return f"{value.isoformat()} 00:00:00"
    return str(value).replace("\u3000", " ").strip()


def _cached(parse: Parser) -> Parser:
    cache: dict[object, tuple[Any, Message | None]] = {}

    def cached(value: object) -> tuple[Any, Message | None]:
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = parse(value)
            return result
        except TypeError:  # unhashable: never from a spreadsheet, but be safe
            return parse(value)

    return cached


def parser_for(col: Col, *, max_digits: int = 12, decimal_places: int = 2) -> Parser:
    """A function cell → (value, problem). Blank cells give ``MISSING`` (the caller decides)."""
    kind = col.kind
    if kind == "text" or kind == "household":
        limit = col.max_length or 200
        normalize = kind == "household"

        def text(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            if normalize and isinstance(value, float) and not value.is_integer():
                return None, _(
                    "This number was stored as a number and lost digits: format the column as text."
                )
            result = shown(value)
            if normalize:
                result = unicodedata.normalize("NFKC", result).strip("'\"‘’“” ")
                if "E+" in result.upper() and result.replace(".", "").upper().split("E+")[0].isdigit():
                    return None, _(
                        "This number was stored as a number and lost digits: format the column as text."
                    )
            if len(result) > limit:
                return None, lazy_format(_("The text is longer than %(max)s characters."), max=limit)
            return result, None

        return text
    if kind == "id_number":
        today = timezone.localdate()
        known = known_county_codes()
        weights = idnumber.WEIGHTS
        checks = idnumber.CHECK_CHARS
        w14, w15, w16 = weights[14:17]
        # Weighted digit sums of the area code and of the birth date, cached: they repeat a lot.
        areas = {code: sum(int(d) * w for d, w in zip(code, weights[:6], strict=True)) for code in known}
        births: dict[str, int | None] = {}  # date digits → their weighted sum, None if implausible

        def plausible_birth(text: str) -> bool:
            try:
                return (
                    idnumber.EARLIEST_BIRTH <= dt.date(int(text[:4]), int(text[4:6]), int(text[6:])) <= today
                )
            except ValueError:
                return False

        def id_number(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
                value = int(value)  # calamine's whole number, which openpyxl gave as an int
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # 17 digits + a check digit that is a digit: Excel kept them
            # Fast path for a clean number (almost every row): the same checks as idnumber.parse.
            if isinstance(value, str) and len(value) == 18 and value.isascii() and value[:17].isdigit():
                area = areas.get(value[:6])
                if area is not None:
                    birth = value[6:14]
                    try:
                        part = births[birth]
                    except KeyError:
                        part = births[birth] = (
                            sum(int(d) * w for d, w in zip(birth, weights[6:14], strict=True))
                            if plausible_birth(birth)
                            else None
                        )
                    if (
                        part is not None
                        and value[17]
                        == checks[
                            (area + part + int(value[14]) * w14 + int(value[15]) * w15 + int(value[16]) * w16)
                            % 11
                        ]
                    ):
                        return value, None
            return parse_id_number(value)  # anything else, with the exact problem

        return id_number
    if kind == "phone":

        def phone_number(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            try:
                return phone.parse(shown(value)), None
            except phone.PhoneError:
                return None, _(
                    "A phone number is 11 digits starting with 1, or a fixed line with its area code."
                )

        return phone_number
    if kind == "code":
        words = ", ".join(choice_labels(col))

        def code(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            found = lookup_code(col, shown(value))
            if found is None:
                return None, lazy_format(
                    _("“%(value)s” is not allowed here: use one of %(codes)s."),
                    value=shown(value),
                    codes=words,
                )
            return found, None

        return _cached(code)
    if kind == "bool":

        def flag(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            if isinstance(value, bool):
                return value, None
            key = unicodedata.normalize("NFKC", shown(value)).lower()
            if key in YES_NO:
                return YES_NO[key], None
            return None, lazy_format(_("“%(value)s” is not 是 or 否 (yes or no)."), value=shown(value))

        return _cached(flag)
    if kind == "date":
        today = timezone.localdate()

        def date(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            return parse_date(value, today=today)

        return _cached(date)
    if kind == "decimal":
        ceiling = Decimal(10) ** (max_digits - decimal_places)

        def amount(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            result, problem = parse_amount(value)
            if problem is None and result is not None and result >= ceiling:
                return None, lazy_format(_("The amount %(value)s is too large."), value=shown(value))
            return result, problem

        return _cached(amount)
    if kind in ("int", "year"):
        this_year = timezone.localdate().year

        def number(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            text = unicodedata.normalize("NFKC", shown(value)).removesuffix("年")
            if not text.isdigit():
                return None, lazy_format(_("“%(value)s” is not a whole number."), value=shown(value))
            result = int(text)
            if kind == "year" and not 2010 <= result <= this_year:
                return None, _("The year must be between 2010 and this year.")
            if kind == "int" and result > 32767:
                return None, lazy_format(_("“%(value)s” is too large."), value=shown(value))
            return result, None

        return _cached(number)
    if kind == "village":

        def village(value: object) -> tuple[Any, Message | None]:
            if blank(value):
                return MISSING, None
            code, problem = normalize_code(value)
            if problem == "scientific":
                return None, _(
                    "The code was stored as a number in scientific notation: format the column as text."
                )
            if problem or len(code) != 12:
                return None, lazy_format(_("“%(value)s” is not a 12-digit village code."), value=shown(value))
            return code, None

        return _cached(village)
    raise ValueError(kind)
