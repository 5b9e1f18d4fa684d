"""The header row of an import compared with the columns of its kind, before any row is read.

Every import kind goes through ``check_header``: households, members and yearly incomes
(``fupin.exchange.specs``) and each department feed (``fupin.feeds.kinds``). What it reports:

* **A required column that is missing** blocks the import.
* **A column that is not recognised but looks like a known column missing from the file** (``工资收人``
  for ``工资性收入``, ``wages`` for ``wage``) blocks the import too, with "did you mean …?": its values
  would otherwise be dropped without a word, and a clerk who filled in that column expects them in.
* **A second column for the same field** blocks the import: which of the two to take is a guess.
* **Any other column not recognised** (``序号``, ``备注``, a column the county keeps for itself) is
  ignored and named in a note on the result page, so that nobody wonders where its values went.

Suggestions come from ``difflib`` over the normalized headers (``header_key``) of the columns the file
lacks; a column already in the file is never suggested.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from fupin.core.errors import Message
from fupin.core.i18n import lazy_format
from fupin.feeds.kinds import header_key, header_keys

SUGGESTION_CUTOFF = 0.6  # difflib ratio from which an unknown header is taken for a misspelt one


class ColumnLike(Protocol):
    """What both kinds of column definition (``specs.Col``, ``feeds.kinds.Column``) offer."""

    @property
    def field(self) -> str: ...

    @property
    def chinese(self) -> str: ...

    @property
    def english(self) -> str: ...

    @property
    def required(self) -> bool: ...

    @property
    def aliases(self) -> tuple[str, ...]: ...

    @property
    def header(self) -> str: ...

    @property
    def accepted(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class HeaderIssue:
    """One finding about the header: ``index`` is the file's column (None for a missing column),
    ``column`` the header as written in the file (or the expected header of a missing column)."""

    index: int | None
    column: str
    message: Message
    blocking: bool


@dataclass
class HeaderCheck:
    columns: dict[str, int] = field(default_factory=dict)  # field → column index in the file
    headers: dict[str, str] = field(default_factory=dict)  # field → header text in the file
    issues: list[HeaderIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[HeaderIssue]:
        return [i for i in self.issues if i.blocking]

    @property
    def notes(self) -> list[HeaderIssue]:
        return [i for i in self.issues if not i.blocking]


def cell_text(value: object) -> str:
    return str(value).replace("\ufeff", "").replace("\n", " ").strip() if value is not None else ""


def column_letter(index: int) -> str:
    """Excel's letter of a 0-based column index (A, B, …, Z, AA, …)."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def accepted_headers(column: ColumnLike) -> str:
    return ", ".join(dict.fromkeys([column.chinese, column.english, *column.aliases]))


def _find(column: ColumnLike, keys: list[list[str]], used: set[int]) -> int | None:
    """The first unused column whose header is one the column accepts, most specific header first."""
    for accepted in column.accepted:
        for index, cell_keys in enumerate(keys):
            if index not in used and accepted in cell_keys:
                return index
    return None


def suggest(text: object, candidates: Sequence[ColumnLike]) -> ColumnLike | None:
    """The candidate column whose accepted headers are closest to ``text`` (difflib), if close enough."""
    best: tuple[float, int] | None = None
    for position, column in enumerate(candidates):
        names = [header_key(name) for name in (column.chinese, column.english, *column.aliases)]
        for key in header_keys(text):
            for name in names:
                if not name:
                    continue
                ratio = difflib.SequenceMatcher(None, key, name).ratio()
                if ratio >= SUGGESTION_CUTOFF and (best is None or ratio > best[0]):
                    best = (ratio, position)
    return candidates[best[1]] if best is not None else None


def check_header(cells: Sequence[object], columns: Sequence[ColumnLike]) -> HeaderCheck:
    """Map the file's header cells to ``columns`` and report what does not fit (see the module)."""
    keys = [header_keys(cell) for cell in cells]
    check = HeaderCheck()
    used: set[int] = set()
    absent: list[ColumnLike] = []
    for column in columns:
        index = _find(column, keys, used)
        if index is None:
            absent.append(column)
            continue
        used.add(index)
        check.columns[column.field] = index
        check.headers[column.field] = cell_text(cells[index]) or column.header
    missing = [
        HeaderIssue(
            None,
            column.header,
            lazy_format(
                _("The column “%(column)s” is missing (accepted headers: %(headers)s)."),
                column=column.header,
                headers=accepted_headers(column),
            ),
            True,
        )
        for column in absent
        if column.required
    ]
    by_field = {column.field: column for column in columns}
    found: list[HeaderIssue] = []
    for index, cell_keys in enumerate(keys):
        if index in used or not cell_keys:
            continue
        text = cell_text(cells[index])
        twin = next(
            (
                name
                for name, at in check.columns.items()
                if any(k in by_field[name].accepted for k in cell_keys)
            ),
            None,
        )
        if twin is not None:
            found.append(
                HeaderIssue(
                    index,
                    text,
                    lazy_format(
                        _(
                            "The column “%(column)s” holds the same thing as column %(other)s "
                            "(“%(header)s”): keep only one of them."
                        ),
                        column=text,
                        other=column_letter(check.columns[twin]),
                        header=check.headers[twin],
                    ),
                    True,
                )
            )
            continue
        close = suggest(text, absent)
        if close is not None:
            found.append(
                HeaderIssue(
                    index,
                    text,
                    lazy_format(
                        _(
                            "The column “%(column)s” is not recognised: did you mean “%(suggestion)s”? "
                            "Rename the column to one of: %(headers)s."
                        ),
                        column=text,
                        suggestion=close.chinese,
                        headers=accepted_headers(close),
                    ),
                    True,
                )
            )
        else:
            found.append(
                HeaderIssue(
                    index,
                    text,
                    lazy_format(_("The column “%(column)s” is not recognised and was ignored."), column=text),
                    False,
                )
            )
    check.issues = [*missing, *found]
    return check
