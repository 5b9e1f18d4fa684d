"""Assessment scorecards of the areas one level below an area: the pack's scorecard for the year
(``fupin.engine.scorecards``), scored by the engine over the indicator tables and supervision's own
figures. Reads only.

The figures of an area: the current indicator build's values (coverage, share eliminated, open and
overdue cases); from the problem list, the share of problems rectified by their deadline among those
closed or past it (1 when none was due: nothing was late); from employment, the persons in work this
month against the year's target (none without a target: no points, and the page says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from fupin.areas.models import Area
from fupin.engine.scorecards import Scorecard, compile_scorecard


@dataclass(frozen=True)
class ScoredArea:
    area: Area
    rank: int
    total: Decimal
    items: list[tuple[Any, Decimal | None, Decimal]]  # (item, value, points)


def card_for(year: int, area_code: str) -> Scorecard | None:
    """The scorecard for the year (the latest earlier one when the year has none) of the most specific
    pack whose region holds the area (a province's pack before the national one)."""
    from fupin.screening import packs

    regional = []
    for name in packs.available():
        pack = packs.checked(name).pack
        if pack.scorecards and area_code.startswith(pack.region or ""):
            regional.append((len(pack.region or ""), name, pack))
    if not regional:
        return None
    cards = sorted(max(regional)[2].scorecards, key=lambda c: c.year)
    chosen = [c for c in cards if c.year <= year]
    return chosen[-1] if chosen else (cards[0] if cards else None)


def _share(part: int, whole: int, empty: float) -> float:
    return part / whole if whole else empty


def _employment_shares(user: Any, area: Area) -> dict[str, float | None]:
    """Per area below: persons in work this month against the year's target (None without a target)."""
    from fupin.core import clock
    from fupin.employment import selectors as employment

    today = clock.today()
    shown = employment.progress(user, area, today.year, today.month)
    return {row.area.code: None if row.percent is None else float(row.percent) / 100 for row in shown.rows}


def figures(user: Any, area: Area, card: Scorecard) -> tuple[pa.Table, dict[str, Area]]:
    """One row per area one level below ``area`` that has figures: ``code`` and the card's indicators."""
    from fupin.indicators import selectors as indicators
    from fupin.supervision import selectors

    build = indicators.current_build()
    children = indicators.children(build, area.code) if build is not None else []
    areas = {a.code: a for a in Area.objects.filter(code__in=[c.code for c in children])}
    problems = {c.area.code: c for c in selectors.counts_by_area(user, area)} if children else {}
    employment = _employment_shares(user, area) if children else {}
    columns: dict[str, list[Any]] = {"code": []}
    wanted = [item.indicator for item in card.items]
    for name in wanted:
        columns[name] = []
    for child in children:
        if child.code not in areas:
            continue
        values = dict(child.values)
        open_cases = int(values.get("open_cases") or 0)
        values["overdue_case_share"] = _share(int(values.get("overdue_cases") or 0), open_cases, 0.0)
        counted = problems.get(child.code)
        due = (counted.closed + counted.overdue) if counted else 0
        on_time = counted.closed_on_time if counted else 0
        values["problems_on_time_share"] = _share(on_time, due, 1.0)
        values["employment_vs_target"] = employment.get(child.code)
        columns["code"].append(child.code)
        for name in wanted:
            raw = values.get(name)
            columns[name].append(None if raw is None else float(raw))
    schema = pa.schema([("code", pa.string()), *((name, pa.float64()) for name in wanted)])
    return pa.table(columns, schema=schema), areas


def score(user: Any, area: Area, card: Scorecard) -> list[ScoredArea]:
    """The areas below ``area`` scored and ranked (best first), on the embedded engine."""
    from fupin.engine.backends import default_duckdb

    table, areas = figures(user, area, card)
    if table.num_rows == 0:
        return []
    result = default_duckdb().run(compile_scorecard(card), {"figures": table}).to_pylist()
    scored = []
    for row in result:
        items = [(item, row[f"value_{item.id}"], row[f"points_{item.id}"]) for item in card.items]
        scored.append(ScoredArea(areas[row["code"]], int(row["rank"]), row["total"], items))
    return scored
