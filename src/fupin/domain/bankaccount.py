"""Bank account numbers: what a payment file needs, and the masked form shown everywhere else.

Personal accounts (bank cards) are 16 to 19 digits; enterprise settlement accounts vary by bank from
about 9 to 30 digits. Only digits are kept (clerks type the spaces printed on the card); a card number
of 16 to 19 digits starting with 62 (China UnionPay) must pass the Luhn check, which catches one wrong
digit before the bank returns the payment weeks later.
"""

from __future__ import annotations

import re


class BankAccountError(ValueError):
    def __init__(self, code: str) -> None:
        self.code = code  # "characters" | "length" | "check"
        super().__init__(code)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def parse(raw: str) -> str:
    text = re.sub(r"[\s-]", "", raw or "")
    if not text.isdigit() or not text.isascii():
        raise BankAccountError("characters")
    if not 9 <= len(text) <= 30:
        raise BankAccountError("length")
    if text.startswith("62") and 16 <= len(text) <= 19 and not luhn_valid(text):
        raise BankAccountError("check")
    return text


def mask(number: str) -> str:
    """The last four digits only: enough for a household to recognise its card."""
    return f"**** {number[-4:]}" if number else ""
