"""Writes the pages make that are not registry changes: the audit entry of a list export."""

from __future__ import annotations

from typing import Any

from fupin.accounts.roles import Capability
from fupin.audit import services as audit
from fupin.registry.selectors import HouseholdFilters
from fupin.registry.services import require_capability


def record_export(*, actor: Any, filters: HouseholdFilters, rows: int, format: str = "csv") -> None:
    """Audit a household-list export. The search text may be a name or an ID number, so only
    whether one was used is kept; the entry holds no personal data."""
    require_capability(actor, Capability.EXPORT)
    audit.record(
        actor=actor,
        action="export",
        object_type="household",
        area_code=filters.area_code[:12],
        summary=f"household list exported ({format}, {rows} rows)",
        changes={
            "format": format,
            "rows": rows,
            "text_search": bool(filters.query.strip()),
            "area_code": filters.area_code,
            "household_type": filters.household_type,
            "status": filters.status,
            "monitoring_category": filters.monitoring_category,
            "monitored_only": filters.monitored_only,
            "risk_type": filters.risk_type,
        },
    )
