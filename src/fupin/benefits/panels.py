"""The household page's benefits panel: what the household's members applied for and received."""

from __future__ import annotations

from typing import Any

from fupin.web import panels


def _context(user: Any, household: Any) -> dict[str, Any] | None:
    from fupin.benefits import selectors
    from fupin.benefits.programmes import checked, programme, title

    applications = selectors.household_applications(user, household)
    if not applications:
        return None
    rows = []
    for application in applications:
        found = programme(checked(application.opening.pack), application.programme)
        rows.append({"application": application, "title": title(found, application.programme)})
    return {"rows": rows, "paid_fen": sum(a.paid_fen for a in applications)}


def register() -> None:
    panels.register(panels.Panel("benefits", 50, "benefits/_household_panel.html", _context))
