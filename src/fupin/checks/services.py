"""Exporting data-check failures: only for roles that export, always audited, never with identifiers."""

from __future__ import annotations

from typing import Any

from fupin.accounts.roles import Capability
from fupin.audit import services as audit
from fupin.registry.services import require_capability


def record_export(
    *, actor: Any, area_code: str, check_codes: list[str], rows: int, format: str = "xlsx"
) -> None:
    """Audit an export of failing records by a user, or by the operator's command (``actor`` its name).

    The entry says which area and checks and how many rows; it holds no personal data.
    """
    if not isinstance(actor, str):
        require_capability(actor, Capability.EXPORT)
    audit.record(
        actor=actor,
        action="export",
        object_type="data_check",
        area_code=area_code[:12],
        summary=f"data-check failures exported ({format}, {rows} rows)",
        changes={"format": format, "rows": rows, "area_code": area_code, "checks": sorted(check_codes)},
    )
