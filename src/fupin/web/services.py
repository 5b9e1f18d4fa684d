"""Writes the pages make that are not registry changes: the audit entry of a list export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fupin.accounts.roles import Capability
from fupin.audit import services as audit
from fupin.registry.selectors import HouseholdFilters, parse_query
from fupin.registry.services import require_capability


def record_list_export(
    *,
    actor: Any,
    list_name: str,
    format: str,
    rows: int,
    filters: Mapping[str, Any],
    area_code: str = "",
) -> None:
    """Audit the export of a list page (``fupin.web.exports``): which list, format, row count and the
    filters. The caller passes filters without personal data (free text only as whether it was used)."""
    require_capability(actor, Capability.EXPORT)
    audit.record(
        actor=actor,
        action="export",
        object_type=list_name,
        area_code=area_code[:12],
        summary=f"{list_name} list exported ({format}, {rows} rows)",
        changes={"format": format, "rows": rows, **filters},
    )


def household_filters_for_audit(filters: HouseholdFilters) -> dict[str, Any]:
    """The household search text may be a name or an ID number, so only whether one was used is kept
    (and whether it was the end of an ID number)."""
    return {
        "text_search": bool(filters.query.strip()),
        "id_tail_search": parse_query(filters.query).sensitive,
        "area_code": filters.area_code,
        "household_type": filters.household_type,
        "status": filters.status,
        "monitoring_category": filters.monitoring_category,
        "monitored_only": filters.monitored_only,
        "risk_type": filters.risk_type,
    }


def record_export(*, actor: Any, filters: HouseholdFilters, rows: int, format: str = "csv") -> None:
    """Audit a household-list export."""
    record_list_export(
        actor=actor,
        list_name="household",
        format=format,
        rows=rows,
        filters=household_filters_for_audit(filters),
        area_code=filters.area_code,
    )
