"""A risk clue's reasons as pages, exports and the API's readers see them: a title and a text each.

A reason written by a screening run carries its rule's title; one raised by a person (a visit, a
self-declaration, a department) carries the channel's name as its title. An old reason without any
title is shown as its text alone, never behind a separator with nothing before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fupin.screening.labels import language


@dataclass(frozen=True)
class Reason:
    title: str
    text: str
    separator: str

    @property
    def line(self) -> str:
        return f"{self.title}{self.separator}{self.text}" if self.title else self.text


def reasons(explanation: Iterable[Mapping[str, Any]] | None) -> list[Reason]:
    """The reasons of a clue's ``explanation`` in the page's language (the other one if missing)."""
    key = language()
    other = "zh" if key == "en" else "en"
    separator = ": " if key == "en" else "："
    found = []
    for item in explanation or []:
        title = str(item.get(f"title_{key}") or item.get(f"title_{other}") or "")
        text = str(item.get(key) or item.get(other) or "")
        found.append(Reason(title, text, separator))
    return found
