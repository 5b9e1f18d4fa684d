"""Recording plans and keeping the catalogue. Checked, scoped, versioned and audited like every change.

A measure is validated as data (a catalogue entry the county uses, risk types recorded for the
household and answered by the entry, dates that fit the status); whether the plan as a whole keeps
the rules of domain.md section 6 is for ``fupin.assistance.rules`` to say, and never blocks a save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.assistance import rules
from fupin.assistance.models import Measure, MeasureCategory, MeasureStatus, MeasureType, MeasureTypeOff
from fupin.assistance.selectors import catalogue_for, lazy_name
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, NotPermitted, add_error
from fupin.core.i18n import lazy_format
from fupin.registry.choices import RiskType
from fupin.registry.models import Household
from fupin.registry.services import _diff, require_capability, require_capture, versioned_update


def _pack(codes: list[str]) -> str:
    return "," + ",".join(codes) + "," if codes else ""


# ---------------------------------------------------------------- measures of a plan

MEASURE_FIELDS = [
    "measure_type",
    "category",
    "risk_types",
    "description",
    "responsible",
    "amount",
    "status",
    "started_on",
    "ended_on",
]


def _measure_type(household: Household, value: Any, errors: Errors, keep: int | None) -> MeasureType | None:
    """The catalogue entry, if the household's county uses it (or it is the measure's entry already)."""
    pk = value.pk if isinstance(value, MeasureType) else value
    if pk in (None, ""):
        add_error(errors, "measure_type", _("Choose the measure from the catalogue."))
        return None
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = 0
    if keep is not None and pk == keep:
        return MeasureType.objects.get(pk=pk)
    entry = catalogue_for(household.village.code[:6]).filter(pk=pk).first()
    if entry is None:
        add_error(errors, "measure_type", _("This measure is not in the county's catalogue."))
    return entry


def _risk_types(
    household: Household, entry: MeasureType | None, chosen: list[str] | None, errors: Errors
) -> str:
    """The household's recorded risks the measure answers; all it can answer when none are chosen."""
    recorded = household.risk_type_list
    if entry is None:
        return ""
    answers = set(entry.answer_list)
    if not chosen:
        return _pack([risk for risk in recorded if risk in answers])
    codes = list(dict.fromkeys(chosen))
    if any(code not in recorded for code in codes):
        add_error(errors, "risk_types", _("A measure can only answer risk types recorded for the household."))
        return ""
    wrong = [code for code in codes if code not in answers]
    if wrong:
        for code in wrong:
            add_error(
                errors,
                "risk_types",
                lazy_format(
                    _("“%(measure)s” does not answer the risk “%(risk)s”."),
                    measure=lazy_name(entry),
                    risk=rules.risk_label(code),
                ),
            )
        return ""
    return _pack(codes)


def _date(raw: Mapping[str, Any], field: str, errors: Errors) -> dt.date | None:
    """A date, from a date or an ISO string (the API); empty means none."""
    value = raw.get(field)
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        add_error(errors, field, _("Enter a real date."))
        return None


def _check_dates_and_status(values: Mapping[str, Any], errors: Errors) -> None:
    status = values["status"]
    started, ended = values["started_on"], values["ended_on"]
    today = clock.today()
    if status not in MeasureStatus.values:
        add_error(errors, "status", _("Unknown status."))
        return
    if status in rules.TAKEN and started is None:
        add_error(errors, "started_on", _("A measure that has begun needs its start date."))
    if status in rules.TAKEN and started is not None and started > today:
        add_error(errors, "started_on", _("A measure that has begun cannot start in the future."))
    if status == MeasureStatus.DONE and ended is None:
        add_error(errors, "ended_on", _("Say when the measure was completed."))
    if status in (MeasureStatus.DONE, MeasureStatus.STOPPED) and ended is not None and ended > today:
        add_error(errors, "ended_on", _("A completed or stopped measure cannot end in the future."))
    if started is not None and ended is not None and ended < started:
        add_error(errors, "ended_on", _("The end date is before the start date."))


def _clean_measure(
    household: Household, raw: Mapping[str, Any], errors: Errors, keep_type: int | None = None
) -> dict[str, Any]:
    entry = _measure_type(household, raw.get("measure_type"), errors, keep_type)
    amount = raw.get("amount")
    if amount not in (None, ""):
        try:
            amount = Decimal(str(amount))
        except ArithmeticError:
            add_error(errors, "amount", _("Enter an amount in yuan."))
            amount = None
        else:
            if amount < 0 or amount >= Decimal("1e10"):
                add_error(errors, "amount", _("The amount must be between 0 and 10 billion yuan."))
    else:
        amount = None
    responsible = str(raw.get("responsible") or "").strip()
    values = {
        "measure_type": entry,
        "category": entry.category if entry else "",
        "risk_types": _risk_types(household, entry, raw.get("risk_types"), errors),
        "description": str(raw.get("description") or "").strip()[:300],
        "responsible": responsible,
        "amount": amount,
        "status": raw.get("status") or MeasureStatus.PLANNED,
        "started_on": _date(raw, "started_on", errors),
        "ended_on": _date(raw, "ended_on", errors),
    }
    if len(responsible) > 100:
        add_error(errors, "responsible", _("At most 100 characters."))
    if values["status"] != MeasureStatus.STOPPED and not responsible:
        add_error(errors, "responsible", _("Name the person or department responsible for the measure."))
    _check_dates_and_status(values, errors)
    return values


def _audit_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: (value.code if isinstance(value, MeasureType) else value)
        for key, value in values.items()
        if key in MEASURE_FIELDS or key == "stop_reason"
    }


@transaction.atomic
def create_measure(*, actor: Any, household: Household, values: Mapping[str, Any]) -> Measure:
    """A measure of the household's plan: a catalogue entry, who is responsible, amount, dates, status.

    ``values``: measure_type (entry or id), risk_types (codes; empty means every recorded risk the
    entry answers), description, responsible, amount, status, started_on, ended_on.
    """
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, household.village.path)
    errors: Errors = {}
    cleaned = _clean_measure(household, values, errors)
    if errors:
        raise InvalidInput(errors)
    measure = Measure.objects.create(household=household, recorded_by=actor, **cleaned)
    audit.record(
        actor=actor,
        action="create",
        object_type="measure",
        object_id=measure.pk,
        area_code=household.village.code,
        summary=f"household {household.number}: measure {measure.measure_type}",
        changes=_diff({}, _audit_values(cleaned)),
    )
    return measure


@transaction.atomic
def update_measure(
    *, actor: Any, measure: Measure, expected_version: int, values: Mapping[str, Any]
) -> Measure:
    """Correct or move on a measure (same values as ``create_measure``); refused when stale."""
    require_capability(actor, Capability.EDIT_RECORDS)
    household = measure.household
    require_capture(actor, household.village.path)
    errors: Errors = {}
    cleaned = _clean_measure(household, values, errors, keep_type=measure.measure_type_id)
    if errors:
        raise InvalidInput(errors)
    before = _audit_values({key: getattr(measure, key) for key in MEASURE_FIELDS})
    if cleaned["status"] != MeasureStatus.STOPPED:
        cleaned["stop_reason"] = ""
    versioned_update(Measure, measure.pk, expected_version, cleaned)
    changes = _diff(before, _audit_values(cleaned))
    audit.record(
        actor=actor,
        action="update",
        object_type="measure",
        object_id=measure.pk,
        area_code=household.village.code,
        summary=f"household {household.number}: measure {cleaned['measure_type']}",
        changes=changes,
    )
    return Measure.objects.select_related("household__village", "measure_type").get(pk=measure.pk)


@transaction.atomic
def stop_measure(
    *, actor: Any, measure: Measure, expected_version: int, ended_on: dt.date | None, reason: str
) -> Measure:
    """End a measure before it is done (the household moved, refused it, no longer needs it)."""
    require_capability(actor, Capability.EDIT_RECORDS)
    household = measure.household
    require_capture(actor, household.village.path)
    errors: Errors = {}
    if measure.status == MeasureStatus.STOPPED:
        add_error(errors, "status", _("The measure is already stopped."))
    if not reason.strip():
        add_error(errors, "reason", _("Say why the measure stops."))
    if ended_on is not None and ended_on > clock.today():
        add_error(errors, "ended_on", _("The date cannot be in the future."))
    if ended_on is not None and measure.started_on is not None and ended_on < measure.started_on:
        add_error(errors, "ended_on", _("The end date is before the start date."))
    if measure.status in rules.TAKEN and ended_on is None:
        add_error(errors, "ended_on", _("Say when the measure stopped."))
    if errors:
        raise InvalidInput(errors)
    values = {
        "status": MeasureStatus.STOPPED.value,
        "ended_on": ended_on,
        "stop_reason": reason.strip()[:300],
    }
    before = {"status": measure.status, "ended_on": measure.ended_on, "stop_reason": measure.stop_reason}
    versioned_update(Measure, measure.pk, expected_version, values)
    audit.record(
        actor=actor,
        action="update",
        object_type="measure",
        object_id=measure.pk,
        area_code=household.village.code,
        summary=f"household {household.number}: measure stopped",
        changes=_diff(before, values),
    )
    return Measure.objects.select_related("household__village", "measure_type").get(pk=measure.pk)


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
    """A measure in progress of a category, without a catalogue entry, against recorded risk types.

    The older, shorter way (the demo data and the monitoring tests use it); pages use ``create_measure``.
    """
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, household.village.path)
    errors: Errors = {}
    if category not in MeasureCategory.values:
        add_error(errors, "category", _("Unknown kind of measure."))
    recorded = set(household.risk_type_list)
    chosen = list(dict.fromkeys(risk_types))
    if not chosen:
        add_error(errors, "risk_types", _("Say which risk the measure answers."))
    elif not recorded:
        add_error(errors, "risk_types", _("The household has no recorded risk types."))
    elif any(code not in recorded for code in chosen):
        add_error(errors, "risk_types", _("A measure can only answer risk types recorded for the household."))
    if started_on > clock.today():
        add_error(errors, "started_on", _("The date cannot be in the future."))
    if errors:
        raise InvalidInput(errors)
    measure = Measure.objects.create(
        household=household,
        category=category,
        risk_types=_pack(chosen),
        description=description.strip(),
        started_on=started_on,
        status=MeasureStatus.IN_PROGRESS,
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


# ---------------------------------------------------------------- the county's catalogue


def _county(actor: Any, county_code: str) -> Area:
    require_capability(actor, Capability.MANAGE_CATALOGUE)
    county = Area.objects.filter(code=county_code, level=AreaLevel.COUNTY).first()
    require_capture(actor, county.path if county else "")
    assert county is not None
    return county


def _clean_entry(raw: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    name_zh = str(raw.get("name_zh") or "").strip()
    name_en = str(raw.get("name_en") or "").strip()
    category = str(raw.get("category") or "")
    answers = list(dict.fromkeys(raw.get("answers") or []))
    if not name_zh:
        add_error(errors, "name_zh", _("Give the measure's Chinese name."))
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if len(value) > 100:
            add_error(errors, field, _("At most 100 characters."))
    if category not in MeasureCategory.values:
        add_error(errors, "category", _("Choose the measure's category."))
    unknown = [code for code in answers if code not in RiskType.values]
    if unknown:
        add_error(errors, "answers", _("Unknown risk type."))
    elif not answers:
        add_error(errors, "answers", _("Say which risk types the measure answers."))
    elif category in MeasureCategory.values:
        for risk in answers:
            if not rules.category_may_answer(category, risk):
                add_error(
                    errors,
                    "answers",
                    lazy_format(
                        _(
                            "A measure of the category “%(category)s” cannot answer “%(risk)s”: "
                            "only %(kinds)s do."
                        ),
                        category=MeasureCategory(category).label,
                        risk=rules.risk_label(risk),
                        kinds=rules.category_labels(rules.CONSISTENT_CATEGORIES[risk]),
                    ),
                )
    return {
        "name_zh": name_zh,
        "name_en": name_en or name_zh,
        "category": category,
        "kind": rules.kind_of(category),
        "answers": _pack([code for code in RiskType.values if code in answers]),
    }


def _entry_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[str | None]]:
    return _diff(before, after)


@transaction.atomic
def add_county_entry(*, actor: Any, county_code: str, values: Mapping[str, Any]) -> MeasureType:
    """A county's own catalogue entry (name, category, risks answered); its kind follows the category."""
    county = _county(actor, county_code)
    errors: Errors = {}
    cleaned = _clean_entry(values, errors)
    if errors:
        raise InvalidInput(errors)
    taken = set(MeasureType.objects.filter(code__startswith=f"{county.code}-").values_list("code", flat=True))
    number = len(taken) + 1
    while f"{county.code}-{number:03d}" in taken:
        number += 1
    entry = MeasureType.objects.create(code=f"{county.code}-{number:03d}", county=county, **cleaned)
    audit.record(
        actor=actor,
        action="create",
        object_type="measure_type",
        object_id=entry.pk,
        area_code=county.code,
        summary=f"catalogue {county.code}: {entry.code} {entry.name_zh}",
        changes=_entry_changes({}, cleaned),
    )
    return entry


@transaction.atomic
def update_county_entry(
    *, actor: Any, entry: MeasureType, expected_version: int, values: Mapping[str, Any]
) -> MeasureType:
    """Correct a county entry. National entries are not edited (a county switches them off)."""
    if entry.county is None:
        require_capability(actor, Capability.MANAGE_CATALOGUE)
        raise NotPermitted(_("National entries cannot be changed; switch the entry off instead."))
    county = _county(actor, entry.county.code)
    errors: Errors = {}
    cleaned = _clean_entry(values, errors)
    if cleaned["category"] != entry.category and Measure.objects.filter(measure_type=entry).exists():
        add_error(
            errors,
            "category",
            _("Measures already use this entry, so its category stays. Add a new entry instead."),
        )
    if errors:
        raise InvalidInput(errors)
    before = {key: getattr(entry, key) for key in cleaned}
    versioned_update(MeasureType, entry.pk, expected_version, cleaned)
    audit.record(
        actor=actor,
        action="update",
        object_type="measure_type",
        object_id=entry.pk,
        area_code=county.code,
        summary=f"catalogue {county.code}: {entry.code}",
        changes=_entry_changes(before, cleaned),
    )
    return MeasureType.objects.get(pk=entry.pk)


@transaction.atomic
def switch_entry(*, actor: Any, county_code: str, entry: MeasureType, in_use: bool) -> bool:
    """Switch an entry on or off for the county's plans; True when something changed."""
    county = _county(actor, county_code)
    if entry.county_id not in (None, county.pk) or not entry.active:
        raise InvalidInput({"entry": [_("This entry is not in the county's catalogue.")]})
    existing = MeasureTypeOff.objects.filter(county=county, measure_type=entry)
    if in_use == (not existing.exists()):
        return False
    if in_use:
        existing.delete()
    else:
        MeasureTypeOff.objects.create(county=county, measure_type=entry, switched_off_by=actor)
    audit.record(
        actor=actor,
        action="update",
        object_type="measure_type",
        object_id=entry.pk,
        area_code=county.code,
        summary=f"catalogue {county.code}: {entry.code} {'on' if in_use else 'off'}",
        changes={"in_use": [str(not in_use), str(in_use)]},
    )
    return True
