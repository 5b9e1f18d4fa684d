"""Recording assistance measures. Checked, scoped and audited like every other change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.assistance.models import Measure, MeasureCategory
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message
from fupin.registry.models import Household
from fupin.registry.services import require_capability, require_capture


@transaction.atomic
def add_measure(
    *,
    actor: Any,
    household: Household,
    category: str,
    risk_types: list[str],
    started_on: dt.date,
    description: str = "",
) -> Measure:
    """A measure against some of the household's recorded risk types (domain.md section 6)."""
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, household.village.path)
    errors: dict[str, list[Message]] = {}
    if category not in MeasureCategory.values:
        errors.setdefault("category", []).append(_("Unknown kind of measure."))
    recorded = set(household.risk_type_list)
    chosen = list(dict.fromkeys(risk_types))
    if not chosen:
        errors.setdefault("risk_types", []).append(_("Say which risk the measure answers."))
    elif not recorded:
        errors.setdefault("risk_types", []).append(_("The household has no recorded risk types."))
    elif any(code not in recorded for code in chosen):
        errors.setdefault("risk_types", []).append(
            _("A measure can only answer risk types recorded for the household.")
        )
    if started_on > clock.today():
        errors.setdefault("started_on", []).append(_("The date cannot be in the future."))
    if errors:
        raise InvalidInput(errors)
    measure = Measure.objects.create(
        household=household,
        category=category,
        risk_types="," + ",".join(chosen) + ",",
        description=description.strip(),
        started_on=started_on,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="measure",
        object_id=measure.pk,
        area_code=household.village.code,
        summary=f"household {household.number}: measure {category}",
        changes={"category": [None, category], "risk_types": [None, measure.risk_types]},
    )
    return measure
