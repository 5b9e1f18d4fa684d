"""Assessment scorecards (考核评分) as policy data, scored on whole tables by one SQL query.

A pack's ``scorecards:`` list holds, per year, the indicators an area is assessed on, each with its
points (weight), the direction that is good, the value that earns the full points (``target``) and the
value that earns none (``floor``); between them the points are linear, beyond them they are capped.
This is the 2017 local style of domain-wave2.md §8 (each item a formula, points, a source) with the
deductions written as a line instead of a table of steps [local]. Every number carries its source and
confidence, like the pack's parameters.

    scorecards:
      - id: county_2026
        year: 2026
        title: {zh: …, en: …}
        items:
          - {id: coverage, indicator: coverage_measure, points: 20, good: high, target: 1.0, floor: 0.8,
             title: {zh: …, en: …}, source: "…", confidence: local}

``compile_scorecard`` gives the query (DuckDB's dialect, transpiled by SQLGlot for PostgreSQL and
Spark) over a table ``figures`` (``code`` and one column per indicator, numbers or NULL): per area the
value, the points of every item (0 for a missing value), the total and the rank (1 the best, equal
totals share a rank). Each item's points are points × gained / span kept to 6 decimals (DuckDB divides
decimals in DOUBLE, so the quotient is cast back to DECIMAL), capped, and rounded to hundredths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fupin.engine.packs import _Reader

DIALECT = "duckdb"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ITEM_KEYS = {"id", "indicator", "points", "good", "target", "floor", "title", "source", "confidence"}
_CARD_KEYS = {"id", "year", "title", "items"}
CONFIDENCE = ("firm", "local", "uncertain")


@dataclass(frozen=True)
class Item:
    id: str
    indicator: str
    points: Decimal
    good: str  # "high" or "low"
    target: Decimal
    floor: Decimal
    title: dict[str, str]
    source: str
    confidence: str


@dataclass(frozen=True)
class Scorecard:
    id: str
    year: int
    title: dict[str, str]
    items: tuple[Item, ...]
    line: int | None = None

    @property
    def total_points(self) -> Decimal:
        return sum((item.points for item in self.items), Decimal(0))


def _number(reader: _Reader, data: dict[str, Any], key: str, place: str) -> Decimal | None:
    raw = data.get(key)
    if raw is None or isinstance(raw, bool):
        reader.problem(place, data.get("__line__"), f"'{key}' is a number")
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        reader.problem(place, data.get("__line__"), f"'{key}' is a number, not {raw!r}")
        return None
    if not value.is_finite():
        reader.problem(place, data.get("__line__"), f"'{key}' is a finite number")
        return None
    return value


def _item(reader: _Reader, data: object, place: str) -> Item | None:
    if not isinstance(data, dict):
        reader.problem(place, None, "an item is a mapping with id, indicator, points, good, target, floor")
        return None
    line = data.get("__line__")
    item_id = reader.text(data, "id", place)
    place = f"{place}[{item_id}]" if item_id else place
    unknown = sorted(k for k in data if k != "__line__" and k not in _ITEM_KEYS)
    if unknown:
        reader.problem(
            place, line, f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_ITEM_KEYS))}"
        )
    indicator = reader.text(data, "indicator", place)
    if indicator and not _NAME.match(indicator):
        reader.problem(place, line, "an indicator is a lower-case column name")
    good = reader.choice(data, "good", place, ("high", "low"))
    points, target, floor = (_number(reader, data, key, place) for key in ("points", "target", "floor"))
    if points is not None and points <= 0:
        reader.problem(place, line, "'points' is above 0")
    if target is not None and floor is not None and good:
        if good == "high" and not floor < target:
            reader.problem(place, line, "when high is good, the floor is below the target")
        if good == "low" and not floor > target:
            reader.problem(place, line, "when low is good, the floor is above the target")
    source = reader.text(data, "source", place)
    confidence = reader.choice(data, "confidence", place, CONFIDENCE)
    title = reader.languages(data, "title", place)
    names_ok = bool(_NAME.match(item_id or "") and _NAME.match(indicator or ""))
    if None in (points, target, floor) or not (names_ok and good):
        return None  # only names checked above ever reach the SQL
    assert points is not None and target is not None and floor is not None
    return Item(item_id, indicator, points, good, target, floor, title, source, confidence)


def parse_scorecards(reader: _Reader, raw: object) -> tuple[Scorecard, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        reader.problem("scorecards", None, "'scorecards' is a list of scorecards")
        return ()
    cards: list[Scorecard] = []
    seen: set[str] = set()
    for index, data in enumerate(raw):
        place = f"scorecards[{index}]"
        if not isinstance(data, dict):
            reader.problem(place, None, "a scorecard is a mapping with id, year, title and items")
            continue
        line = data.get("__line__")
        card_id = reader.text(data, "id", place)
        place = f"scorecards[{card_id or index}]"
        if card_id and not _NAME.match(card_id):
            reader.problem(place, line, "an id is lower-case letters, digits and _")
        unknown = sorted(k for k in data if k != "__line__" and k not in _CARD_KEYS)
        if unknown:
            reader.problem(place, line, f"unknown key(s) {', '.join(unknown)}")
        year = data.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
            reader.problem(place, line, "'year' is a year like 2026")
            year = 0
        title = reader.languages(data, "title", place)
        items = [
            item
            for i, raw_item in enumerate(data.get("items") or [])
            if (item := _item(reader, raw_item, f"{place}.items[{i}]")) is not None
        ]
        if not items:
            reader.problem(place, line, "a scorecard has items")
        ids = [item.id for item in items]
        if len(set(ids)) != len(ids):
            reader.problem(place, line, "an item id is used twice")
        if card_id in seen:
            reader.problem(place, line, "this scorecard id is used twice")
        seen.add(card_id)
        cards.append(Scorecard(card_id, year, title, tuple(items), line))
    return tuple(cards)


def _decimal(value: Decimal) -> str:
    return f"CAST({value} AS DECIMAL(18, 6))"


@dataclass(frozen=True)
class CompiledScorecard:
    card: Scorecard
    sql: str

    def for_dialect(self, dialect: str) -> str:
        import sqlglot

        if dialect == DIALECT:
            return self.sql
        return sqlglot.transpile(self.sql, read=DIALECT, write=dialect)[0]


def compile_scorecard(card: Scorecard) -> CompiledScorecard:
    """The query scoring every row of ``figures`` on the card (see the module's docstring)."""
    selects = ["code"]
    points = []
    for item in card.items:
        value = f"CAST({item.indicator} AS DECIMAL(18, 6))"
        if item.good == "high":
            gained = f"({value} - {_decimal(item.floor)})"
            span = item.target - item.floor
        else:
            gained = f"({_decimal(item.floor)} - {value})"
            span = item.floor - item.target
        # Points × gained / span, the product first; DuckDB divides decimals in DOUBLE, so the quotient
        # is cast back to DECIMAL(18, 6) before it is capped and rounded, as PostgreSQL's NUMERIC keeps it.
        raw = f"CAST({_decimal(item.points)} * {gained} / {_decimal(span)} AS DECIMAL(18, 6))"
        capped = f"LEAST(GREATEST({raw}, CAST(0 AS DECIMAL(18, 6))), {_decimal(item.points)})"
        earned = f"COALESCE(ROUND({capped}, 2), 0)"
        selects.append(f"{value} AS value_{item.id}")
        selects.append(f"CAST({earned} AS DECIMAL(18, 2)) AS points_{item.id}")
        points.append(f"points_{item.id}")
    total = " + ".join(points) or "0"
    # Every name in the query matched _NAME when the pack was read; every number is a Decimal.
    sql = (
        f"WITH scored AS (SELECT {', '.join(selects)} FROM figures)\n"  # noqa: S608
        f"SELECT *, CAST({total} AS DECIMAL(18, 2)) AS total, "
        f"RANK() OVER (ORDER BY {total} DESC) AS rank FROM scored ORDER BY rank, code"
    )
    return CompiledScorecard(card, sql)


def score_row(card: Scorecard, values: dict[str, Any]) -> dict[str, Decimal]:
    """One area's points by item, in plain Python (the worked examples' oracle and the page's hints)."""
    from decimal import ROUND_HALF_UP

    earned: dict[str, Decimal] = {}
    for item in card.items:
        raw = values.get(item.indicator)
        if raw is None:
            earned[item.id] = Decimal("0.00")
            continue
        # as the query: the value kept to 6 decimals, points × gained / span to 6, capped, then hundredths
        six = Decimal("0.000001")
        value = Decimal(str(raw)).quantize(six, rounding=ROUND_HALF_UP)
        if item.good == "high":
            gained, span = value - item.floor, item.target - item.floor
        else:
            gained, span = item.floor - value, item.floor - item.target
        points = (item.points * gained / span).quantize(six, rounding=ROUND_HALF_UP)
        points = min(max(points, Decimal(0)), item.points)
        earned[item.id] = points.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return earned
