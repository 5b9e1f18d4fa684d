"""Scheduling report forms (调度表) as data: ``forms.yaml`` beside this file, read and checked once.

A form is a list of fields; a field is taken from the indicator tables (``indicator``) or typed in
(``min``/``max``/``required``). Checking happens at load: a bad form fails the start-up with the form's
and field's code, never a user's submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import get_language
from django.utils.translation import gettext as _

KINDS = ("count", "money", "text")
# No figure reaches this (a form's own maximum may be lower): it keeps every value exact with two
# decimals in Python's 28-digit Decimal context.
CEILING = Decimal(10) ** 15
PERIODS = ("month", "quarter", "year", "ad_hoc")


class FormError(ValueError):
    """A form definition that cannot be used."""


@dataclass(frozen=True)
class Field:
    code: str
    kind: str
    label_zh: str
    label_en: str
    indicator: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    required: bool = False

    @property
    def label(self) -> str:
        return self.label_zh if (get_language() or "zh-hans").startswith("zh") else self.label_en

    @property
    def from_system(self) -> bool:
        return bool(self.indicator)

    @property
    def numeric(self) -> bool:
        return self.kind in ("count", "money")

    def as_data(self) -> dict[str, Any]:
        """The field as kept on an issued round (JSON)."""
        return {
            "code": self.code,
            "kind": self.kind,
            "label": {"zh": self.label_zh, "en": self.label_en},
            "indicator": self.indicator,
            "min": None if self.minimum is None else str(self.minimum),
            "max": None if self.maximum is None else str(self.maximum),
            "required": self.required,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any], where: str = "") -> Field:
        code = str(data.get("code", ""))
        kind = str(data.get("kind", ""))
        label = data.get("label") or {}
        if not code.isidentifier():
            raise FormError(f"{where}: a field needs a code of letters, digits and _ (got {code!r})")
        if kind not in KINDS:
            raise FormError(f"{where}.{code}: kind must be one of {KINDS}")
        if not label.get("zh") or not label.get("en"):
            raise FormError(f"{where}.{code}: a label in zh and en")
        indicator = str(data.get("indicator") or "")
        if indicator and kind == "text":
            raise FormError(f"{where}.{code}: a text field is typed in, not taken from an indicator")

        def number(key: str) -> Decimal | None:
            raw = data.get(key)
            if raw is None:
                return None
            try:
                return Decimal(str(raw))
            except InvalidOperation:
                raise FormError(f"{where}.{code}: {key} must be a number") from None

        minimum, maximum = number("min"), number("max")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise FormError(f"{where}.{code}: min is above max")
        return cls(
            code=code,
            kind=kind,
            label_zh=str(label["zh"]),
            label_en=str(label["en"]),
            indicator=indicator,
            minimum=minimum,
            maximum=maximum,
            required=bool(data.get("required", False)),
        )

    def check(self, raw: Any) -> tuple[str, str | None]:
        """The value as kept (text; numbers exact), and what is wrong with it in the user's language."""
        text = "" if raw is None else str(raw).strip()
        if not text:
            return "", (_("Fill in “%(field)s”.") % {"field": self.label}) if self.required else None
        if self.kind == "text":
            limit = int(self.maximum) if self.maximum is not None else 1000
            if len(text) > limit:
                return text, _("“%(field)s” is longer than %(n)s characters.") % {
                    "field": self.label,
                    "n": limit,
                }
            return text, None
        try:
            value = Decimal(text.replace(",", ""))
        except InvalidOperation:
            return text, _("“%(field)s” must be a number.") % {"field": self.label}
        if not value.is_finite():
            return text, _("“%(field)s” must be a number.") % {"field": self.label}
        # The range first: comparisons are safe at any size, rounding a 30-digit number is not.
        low = self.minimum if self.minimum is not None else Decimal(0)
        high = self.maximum if self.maximum is not None else CEILING
        if value < low or value > min(high, CEILING):
            bounds = {"field": self.label, "low": low, "high": min(high, CEILING)}
            return text, _("“%(field)s” must be from %(low)s to %(high)s.") % bounds
        if self.kind == "count" and value != value.to_integral_value():
            return text, _("“%(field)s” is a whole number.") % {"field": self.label}
        if self.kind == "money" and value != value.quantize(Decimal("0.01")):
            return text, _("“%(field)s” has at most two decimals (fen).") % {"field": self.label}
        exact = value.quantize(Decimal(1) if self.kind == "count" else Decimal("0.01"))
        return str(exact), None


@dataclass(frozen=True)
class Form:
    code: str
    name_zh: str
    name_en: str
    period: str
    fields: tuple[Field, ...]

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "zh-hans").startswith("zh") else self.name_en


def fields_of(data: list[dict[str, Any]]) -> list[Field]:
    """The fields kept on an issued round."""
    return [Field.from_data(item, "round") for item in data]


def parse(documents: list[dict[str, Any]]) -> dict[str, Form]:
    found: dict[str, Form] = {}
    for document in documents:
        code = str(document.get("code", ""))
        if not code.isidentifier() or code in found:
            raise FormError(f"form code {code!r} is missing, malformed or used twice")
        name = document.get("name") or {}
        if not name.get("zh") or not name.get("en"):
            raise FormError(f"{code}: a name in zh and en")
        period = str(document.get("period", ""))
        if period not in PERIODS:
            raise FormError(f"{code}: period must be one of {PERIODS}")
        fields = [Field.from_data(item, code) for item in document.get("fields") or []]
        codes = [f.code for f in fields]
        if not fields or len(set(codes)) != len(codes):
            raise FormError(f"{code}: fields must be given, each code once")
        found[code] = Form(code, str(name["zh"]), str(name["en"]), period, tuple(fields))
    return found


@cache
def forms() -> dict[str, Form]:
    """Every form of ``forms.yaml``, by code."""
    text = (Path(__file__).with_name("forms.yaml")).read_text(encoding="utf-8")
    return parse(yaml.safe_load(text) or [])
