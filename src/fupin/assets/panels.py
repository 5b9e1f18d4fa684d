"""The household page's assets panel: the household assets it owns and the asset income it received."""

from __future__ import annotations

from typing import Any

from fupin.web import panels


def _context(user: Any, household: Any) -> dict[str, Any] | None:
    from fupin.assets import selectors

    owned = selectors.household_assets(user, household)
    shares = selectors.household_shares(user, household)
    if not owned and not shares:
        return None
    return {"owned": owned, "shares": shares, "received_fen": sum(s.amount_fen for s in shares)}


def register() -> None:
    panels.register(panels.Panel("assets", 60, "assets/_household_panel.html", _context))
