"""The household page's employment panel: each labourer's current status and their history."""

from __future__ import annotations

from typing import Any

from fupin.web import panels


def _context(user: Any, household: Any) -> dict[str, Any] | None:
    from fupin.employment import selectors
    from fupin.web.selectors import may_edit

    labourers = selectors.household_labourers(user, household)
    if not labourers:
        return None
    return {
        "labourers": labourers,
        "counted": selectors.counted_household(household),
        "may_edit": may_edit(user, household),
        "provinces": selectors.province_names(),
    }


def register() -> None:
    panels.register(panels.Panel("employment", 55, "employment/_household_panel.html", _context))
