"""The household page's panel of the projects the household benefits from."""

from __future__ import annotations

from typing import Any

from fupin.web import panels


def _context(user: Any, household: Any) -> dict[str, Any] | None:
    from fupin.projects import selectors

    projects = selectors.household_projects(user, household)
    return {"projects": projects} if projects else None


def register() -> None:
    panels.register(panels.Panel("projects", 58, "projects/_household_panel.html", _context))
