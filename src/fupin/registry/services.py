"""Writes to the registry. Pages, the API and commands call these; none of them writes models directly.

Each service: checks the actor's role and capture scope, validates everything and reports every
problem at once (``InvalidInput``), refuses a stale edit (``StaleEdit``), writes, appends dated
history where a value is historical, and records an audit entry with masked identifiers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability, refusal
from fupin.areas.divisions import id_area_code_exists
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message, NotPermitted, OutOfScope, StaleEdit
from fupin.core.i18n import lazy_format
from fupin.core.signals import announce
from fupin.domain import idnumber, phone
from fupin.pii.crypto import get_cipher
from fupin.registry.choices import MAX_RISK_TYPES, MonitoringCategory, Relation, RiskType
from fupin.registry.models import (
    Household,
    HouseholdTypeHistory,
    IncomeRecord,
    Member,
    MonitoringHistory,
)
from fupin.registry.selectors import parse_query

# Fields a household edit may change. Type, status and monitoring have their own dated services.
HOUSEHOLD_EDITABLE = [
    "group_name",
    "address",
    "poverty_attribute",
    "main_cause",
    "secondary_cause",
    "housing_area",
    "housing_safety",
    "water_difficult",
    "water_safe",
    "has_electricity",
    "distance_to_road_km",
    "cultivated_land_mu",
    "irrigated_land_mu",
    "forest_land_mu",
    "grassland_mu",
    "water_surface_mu",
    "in_cooperative",
    "is_relocated",
    "relocation_mode",
    "relocation_place",
]
MEMBER_EDITABLE = [
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "relation",
    "education",
    "schooling_status",
    "school_level",
    "health",
    "has_disability_certificate",
    "labour_capacity",
    "migrant_work_place",
    "migrant_work_months",
    "migrant_work_income",
    "basic_medical_insurance",
    "serious_illness_insurance",
    "pension_insurance",
    "receives_dibao",
    "receives_tekun",
    "exit_reason",
    "exit_date",
]
INCOME_EDITABLE = [
    "household_size",
    "wage",
    "business",
    "property_income",
    "transfer",
    "excluded_transfer",
    "business_expenditure",
    "compliant_oop_spending",
]

ID_PROBLEMS: dict[str, Message] = {
    "length": _("An ID number has 18 characters."),
    "characters": _("An ID number has only digits, with X allowed as the last character."),
    "area": _("The first six digits are not the code of any county."),
    "birth_date": _("The birth date in the ID number (digits 7-14) is not a real date."),
    "birth_range": _("The birth date in the ID number is in the future or implausibly long ago."),
    "check": _("The last character does not match the others: a digit was probably mistyped."),
    "sex": _("The 17th digit gives the other sex than the one recorded (odd = male, even = female)."),
    "birth_mismatch": _("The birth date in the ID number differs from the recorded birth date."),
}


# ---------------------------------------------------------------- helpers


def require_capability(actor: Any, capability: Capability) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.can(capability):
        raise NotPermitted(refusal(getattr(actor, "role", ""), capability))


def require_capture(actor: Any, area_path: str) -> None:
    if not scope.area_in_scope(actor, area_path, "capture"):
        raise OutOfScope()


def _masked_value(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[str | None]]:
    return {
        key: [_masked_value(key, before.get(key)), _masked_value(key, after[key])]
        for key in after
        if _masked_value(key, before.get(key)) != _masked_value(key, after[key])
    }


def _clean_instance(instance: models.Model, errors: dict[str, list[Message]], exclude: Iterable[str]) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)


def versioned_update(
    model: type[models.Model], pk: int, expected_version: int, values: Mapping[str, Any]
) -> None:
    """UPDATE … WHERE version = expected: zero rows means someone saved in between (nothing is written).

    Shared by every app whose records carry a ``version``; ``updated_at`` is stamped where the model has it.
    """
    fields = {f.name for f in model._meta.get_fields()}
    stamp = {"updated_at": timezone.now()} if "updated_at" in fields else {}
    updated = model._default_manager.filter(pk=pk, version=expected_version).update(
        **values, **stamp, version=models.F("version") + 1
    )
    if updated != 1:
        raise StaleEdit()


def _village(code: str, errors: dict[str, list[Message]]) -> Area | None:
    village = Area.objects.filter(code=code, level=AreaLevel.VILLAGE).first()
    if village is None:
        errors.setdefault("village", []).append(_("There is no village with this code."))
    return village


# A household number is its village's 12-digit code and a sequence within the village (as the
# national system numbers households), so the number alone tells where a household was registered
# and two villages cannot hand out the same number. A hyphen between the parts is accepted.
HOUSEHOLD_NUMBER = re.compile(r"^(?P<village>\d{12})-?(?P<sequence>\d{1,6})$")


def household_number_problem(number: str, village_code: str) -> Message | None:
    """Why ``number`` cannot be a new household's number in the village, or None."""
    match = HOUSEHOLD_NUMBER.match(number)
    if match is None:
        return lazy_format(
            _(
                "A household number is the village code (%(village)s) followed by 1 to 6 digits, "
                "for example %(example)s."
            ),
            village=village_code,
            example=f"{village_code}0001",
        )
    if match["village"] != village_code:
        return lazy_format(
            _("This number starts with %(given)s, but the household is in village %(village)s."),
            given=match["village"],
            village=village_code,
        )
    return None


def next_household_number(village: Area) -> str:
    """The village code and the next sequence after the highest one in use (4 digits at least)."""
    highest = 0
    width = 4
    for number in Household.objects.filter(number__startswith=village.code).values_list("number", flat=True):
        match = HOUSEHOLD_NUMBER.match(number)
        if match and match["village"] == village.code:
            highest = max(highest, int(match["sequence"]))
            width = max(width, len(match["sequence"]))
    return f"{village.code}{highest + 1:0{width}d}"


def set_phone(instance: Any, raw: str, errors: dict[str, list[Message]]) -> None:
    """Store a phone the one way: encrypted, with a blind index and a masked copy (any model with the three
    ``phone_*`` fields: households, members, helpers)."""
    if not raw.strip():
        instance.phone_enc, instance.phone_bidx, instance.phone_masked = "", "", ""
        return
    try:
        number = phone.parse(raw)
    except phone.PhoneError:
        errors.setdefault("phone", []).append(
            _("A phone number is 11 digits starting with 1, or a fixed line with its area code.")
        )
        return
    cipher = get_cipher()
    instance.phone_enc = cipher.encrypt(number)
    instance.phone_bidx = cipher.blind_index("phone", number)
    instance.phone_masked = phone.mask(number)


def id_number_problem(raw: str) -> Message | None:
    """What is wrong with the ID number on its own (length, digits, county, date, check character).

    Forms call it with their other field checks, so a mistyped ID number is reported together with
    every other problem rather than only once the rest is fixed; the service checks it again, with
    the recorded sex and birth date and the duplicates.
    """
    if not raw.strip():
        return None
    try:
        idnumber.parse(raw, area_exists=id_area_code_exists)
    except idnumber.IdNumberError as exc:
        return ID_PROBLEMS[exc.code]
    return None


def _set_id_number(member: Member, raw: str, errors: dict[str, list[Message]]) -> None:
    if not raw.strip():
        member.id_number_enc, member.id_number_bidx, member.id_number_masked = "", "", ""
        member.id_tail4_bidx = member.id_tail6_bidx = ""
        return
    try:
        info = idnumber.parse(raw, area_exists=id_area_code_exists)
        idnumber.check_against_record(info, sex=member.sex or None, birth_date=member.birth_date)
    except idnumber.IdNumberError as exc:
        errors.setdefault("id_number", []).append(ID_PROBLEMS[exc.code])
        return
    cipher = get_cipher()
    member.id_number_bidx = cipher.blind_index("id", info.number)
    duplicate = (
        Member.objects.filter(id_number_bidx=member.id_number_bidx, exit_reason="")
        .exclude(pk=member.pk)
        .select_related("household")
        .first()
    )
    if duplicate is not None:
        errors.setdefault("id_number", []).append(
            lazy_format(
                _("This ID number is already registered in household %(number)s."),
                number=duplicate.household.number,
            )
        )
        return
    member.id_number_enc = cipher.encrypt(info.number)
    member.id_number_masked = idnumber.mask(info.number)
    for field, digest in cipher.id_tail_indexes(info.number).items():
        setattr(member, field, digest)


def _snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {f: getattr(instance, f) for f in fields}


# ---------------------------------------------------------------- households


@transaction.atomic
def create_household(
    *,
    actor: Any,
    number: str,
    village_code: str,
    household_type: str,
    status: str,
    values: Mapping[str, Any] | None = None,
    phone_number: str = "",
    effective_from: dt.date | None = None,
) -> Household:
    require_capability(actor, Capability.EDIT_RECORDS)
    errors: dict[str, list[Message]] = {}
    village = _village(village_code, errors)
    if village is not None:
        require_capture(actor, village.path)
        # One registration at a time per village: two clerks leaving the number blank at the same
        # moment would otherwise both take the village's next number. The lock is the village's row
        # (a no-op on SQLite, where writers are serialised anyway).
        Area.objects.select_for_update().filter(pk=village.pk).first()
    number = number.strip()
    if village is not None and not number:
        number = next_household_number(village)
    elif village is not None and (problem := household_number_problem(number, village.code)):
        errors.setdefault("number", []).append(problem)
    household = Household(number=number, household_type=household_type, status=status)
    if village is not None:
        household.village = village
    for field, value in (values or {}).items():
        if field not in HOUSEHOLD_EDITABLE:
            errors.setdefault(field, []).append(_("This field cannot be set here."))
            continue
        setattr(household, field, value)
    if household.number and Household.objects.filter(number=household.number).exists():
        errors.setdefault("number", []).append(_("A household with this number already exists."))
    set_phone(household, phone_number, errors)
    _clean_instance(household, errors, exclude=["village", "phone_enc", "phone_bidx", "phone_masked"])
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError:  # the same number, typed by another clerk and saved a moment before
        raise InvalidInput({"number": [_("A household with this number already exists.")]}) from None
    HouseholdTypeHistory.objects.create(
        household=household,
        household_type=household_type,
        status=status,
        effective_from=effective_from or clock.today(),
        reason=str(_("Registered")),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="household",
        object_id=household.pk,
        area_code=village.code if village else "",
        summary=f"household {household.number}",
        changes=_diff(
            {},
            {
                **_snapshot(household, ["number", "household_type", "status", *HOUSEHOLD_EDITABLE]),
                "village": village_code,
                "phone": household.phone_masked,
            },
        ),
    )
    return household


@transaction.atomic
def update_household(
    *,
    actor: Any,
    household: Household,
    expected_version: int,
    values: Mapping[str, Any],
    phone_number: str | None = None,
    village_code: str | None = None,
) -> Household:
    """Correct a household's facts. ``phone_number=None`` leaves the phone as it is."""
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, household.village.path)
    errors: dict[str, list[Message]] = {}
    before = _snapshot(household, HOUSEHOLD_EDITABLE)
    before.update(village=household.village.code, phone=household.phone_masked)
    draft = Household.objects.get(pk=household.pk)
    for field, value in values.items():
        if field not in HOUSEHOLD_EDITABLE:
            errors.setdefault(field, []).append(_("This field cannot be changed here."))
            continue
        setattr(draft, field, value)
    if village_code is not None and village_code != household.village.code:
        village = _village(village_code, errors)
        if village is not None:
            require_capture(actor, village.path)
            draft.village = village
    if phone_number is not None:
        set_phone(draft, phone_number, errors)
    _clean_instance(draft, errors, exclude=["village", "phone_enc", "phone_bidx", "phone_masked"])
    if errors:
        raise InvalidInput(errors)
    new_values = _snapshot(draft, HOUSEHOLD_EDITABLE)
    write = dict(new_values, village=draft.village)
    if phone_number is not None:
        write.update(phone_enc=draft.phone_enc, phone_bidx=draft.phone_bidx, phone_masked=draft.phone_masked)
    versioned_update(Household, household.pk, expected_version, write)
    after = dict(new_values, village=draft.village.code, phone=draft.phone_masked)
    changes = _diff(before, after)
    if changes:
        audit.record(
            actor=actor,
            action="update",
            object_type="household",
            object_id=household.pk,
            area_code=draft.village.code,
            summary=f"household {household.number}",
            changes=changes,
        )
    return Household.objects.select_related("village").get(pk=household.pk)


@transaction.atomic
def change_type_and_status(
    *,
    actor: Any,
    household: Household,
    expected_version: int,
    household_type: str,
    status: str,
    effective_from: dt.date,
    reason: str,
) -> Household:
    """Append a dated type/status entry; the household shows the latest effective one."""
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, household.village.path)
    entry = HouseholdTypeHistory(
        household=household,
        household_type=household_type,
        status=status,
        effective_from=effective_from,
        reason=reason.strip(),
        recorded_by=actor,
    )
    errors: dict[str, list[Message]] = {}
    _clean_instance(entry, errors, exclude=["household", "recorded_by"])
    if not reason.strip():
        errors.setdefault("reason", []).append(_("Say why the type or status changes."))
    if effective_from > clock.today():
        errors.setdefault("effective_from", []).append(_("The date cannot be in the future."))
    if errors:
        raise InvalidInput(errors)
    entry.save()
    latest = household.type_history.order_by("-effective_from", "-id").first()
    assert latest is not None
    versioned_update(
        Household,
        household.pk,
        expected_version,
        {"household_type": latest.household_type, "status": latest.status},
    )
    audit.record(
        actor=actor,
        action="update",
        object_type="household",
        object_id=household.pk,
        area_code=household.village.code,
        summary=f"household {household.number}: type/status",
        changes={
            "household_type": [household.household_type, household_type],
            "status": [household.status, status],
            "effective_from": [None, effective_from.isoformat()],
        },
    )
    return Household.objects.select_related("village").get(pk=household.pk)


@transaction.atomic
def change_monitoring(
    *,
    actor: Any,
    household: Household,
    expected_version: int,
    category: str,
    risk_types: list[str],
    effective_from: dt.date,
    reason: str,
) -> Household:
    """Append a dated monitoring entry (category '' ends monitoring)."""
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, household.village.path)
    errors: dict[str, list[Message]] = {}
    if category and category not in MonitoringCategory.values:
        errors.setdefault("category", []).append(_("Unknown monitoring category."))
    unknown = [r for r in risk_types if r not in RiskType.values]
    if unknown:
        errors.setdefault("risk_types", []).append(_("Unknown risk type."))
    unique_risks = list(dict.fromkeys(risk_types))
    if len(unique_risks) > MAX_RISK_TYPES:
        errors.setdefault("risk_types", []).append(_("At most five risk types may be recorded."))
    if category and not unique_risks:
        errors.setdefault("risk_types", []).append(_("A monitored household needs at least one risk type."))
    if not category and unique_risks:
        errors.setdefault("risk_types", []).append(
            _("Risk types are recorded only for monitored households.")
        )
    if not reason.strip():
        errors.setdefault("reason", []).append(_("Say why monitoring changes."))
    if effective_from > clock.today():
        errors.setdefault("effective_from", []).append(_("The date cannot be in the future."))
    if errors:
        raise InvalidInput(errors)
    packed = "," + ",".join(unique_risks) + "," if unique_risks else ""
    MonitoringHistory.objects.create(
        household=household,
        category=category,
        risk_types=packed,
        effective_from=effective_from,
        reason=reason.strip(),
        recorded_by=actor,
    )
    latest = household.monitoring_history.order_by("-effective_from", "-id").first()
    assert latest is not None
    versioned_update(
        Household,
        household.pk,
        expected_version,
        {"monitoring_category": latest.category, "risk_types": latest.risk_types},
    )
    audit.record(
        actor=actor,
        action="update",
        object_type="household",
        object_id=household.pk,
        area_code=household.village.code,
        summary=f"household {household.number}: monitoring",
        changes={
            "monitoring_category": [household.monitoring_category, category],
            "risk_types": [household.risk_types, packed],
            "effective_from": [None, effective_from.isoformat()],
        },
    )
    # Monitoring objects changed: the indicator tables catch up (coalesced, in the background).
    transaction.on_commit(lambda: announce(Household, "monitoring"))
    return Household.objects.select_related("village").get(pk=household.pk)


# ---------------------------------------------------------------- members


@transaction.atomic
def add_member(
    *,
    actor: Any,
    household: Household,
    values: Mapping[str, Any],
    id_number: str = "",
    phone_number: str = "",
) -> Member:
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, household.village.path)
    errors: dict[str, list[Message]] = {}
    member = Member(household=household)
    for field, value in values.items():
        if field not in MEMBER_EDITABLE:
            errors.setdefault(field, []).append(_("This field cannot be set here."))
            continue
        setattr(member, field, value)
    _check_member_rules(member, errors)
    _set_id_number(member, id_number, errors)
    set_phone(member, phone_number, errors)
    _clean_instance(
        member,
        errors,
        exclude=[
            "household",
            "id_number_enc",
            "id_number_bidx",
            "id_number_masked",
            "id_tail4_bidx",
            "id_tail6_bidx",
            "phone_enc",
            "phone_bidx",
            "phone_masked",
        ],
    )
    if errors:
        raise InvalidInput(errors)
    member.save()
    audit.record(
        actor=actor,
        action="create",
        object_type="member",
        object_id=member.pk,
        area_code=household.village.code,
        summary=f"member of household {household.number}",
        changes=_diff(
            {},
            {
                **_snapshot(member, MEMBER_EDITABLE),
                "id_number": member.id_number_masked,
                "phone": member.phone_masked,
            },
        ),
    )
    return member


@transaction.atomic
def update_member(
    *,
    actor: Any,
    member: Member,
    expected_version: int,
    values: Mapping[str, Any],
    id_number: str | None = None,
    phone_number: str | None = None,
) -> Member:
    require_capability(actor, Capability.EDIT_RECORDS)
    household = member.household
    require_capture(actor, household.village.path)
    errors: dict[str, list[Message]] = {}
    before = {
        **_snapshot(member, MEMBER_EDITABLE),
        "id_number": member.id_number_masked,
        "phone": member.phone_masked,
    }
    draft = Member.objects.get(pk=member.pk)
    for field, value in values.items():
        if field not in MEMBER_EDITABLE:
            errors.setdefault(field, []).append(_("This field cannot be changed here."))
            continue
        setattr(draft, field, value)
    _check_member_rules(draft, errors)
    if id_number is not None:
        _set_id_number(draft, id_number, errors)
    elif draft.id_number_enc and ("sex" in values or "birth_date" in values):
        # The stored number must still agree with a corrected sex or birth date.
        _set_id_number(draft, get_cipher().decrypt(draft.id_number_enc), errors)
    if phone_number is not None:
        set_phone(draft, phone_number, errors)
    _clean_instance(
        draft,
        errors,
        exclude=[
            "household",
            "id_number_enc",
            "id_number_bidx",
            "id_number_masked",
            "id_tail4_bidx",
            "id_tail6_bidx",
            "phone_enc",
            "phone_bidx",
            "phone_masked",
        ],
    )
    if errors:
        raise InvalidInput(errors)
    write = _snapshot(draft, MEMBER_EDITABLE)
    write.update(
        id_number_enc=draft.id_number_enc,
        id_number_bidx=draft.id_number_bidx,
        id_number_masked=draft.id_number_masked,
        id_tail4_bidx=draft.id_tail4_bidx,
        id_tail6_bidx=draft.id_tail6_bidx,
        phone_enc=draft.phone_enc,
        phone_bidx=draft.phone_bidx,
        phone_masked=draft.phone_masked,
    )
    versioned_update(Member, member.pk, expected_version, write)
    after = {
        **_snapshot(draft, MEMBER_EDITABLE),
        "id_number": draft.id_number_masked,
        "phone": draft.phone_masked,
    }
    changes = _diff(before, after)
    if id_number is not None and draft.id_number_enc != member.id_number_enc and "id_number" not in changes:
        changes["id_number"] = [member.id_number_masked, draft.id_number_masked + " (changed)"]
    if changes:
        audit.record(
            actor=actor,
            action="update",
            object_type="member",
            object_id=member.pk,
            area_code=household.village.code,
            summary=f"member of household {household.number}",
            changes=changes,
        )
    return Member.objects.select_related("household__village").get(pk=member.pk)


def _check_member_rules(member: Member, errors: dict[str, list[Message]]) -> None:
    today = clock.today()
    if member.birth_date and member.birth_date > today:
        errors.setdefault("birth_date", []).append(_("The birth date cannot be in the future."))
    if member.exit_reason and not member.exit_date:
        errors.setdefault("exit_date", []).append(_("Give the date the member left."))
    if member.exit_date and not member.exit_reason:
        errors.setdefault("exit_reason", []).append(_("Give the reason the member left."))
    if member.relation == Relation.HEAD and not member.exit_reason:
        other_head = Member.objects.filter(
            household_id=member.household_id, relation=Relation.HEAD, exit_reason=""
        )
        if member.pk:
            other_head = other_head.exclude(pk=member.pk)
        if member.household_id and other_head.exists():
            errors.setdefault("relation", []).append(_("This household already has a head."))
    if member.migrant_work_months and member.migrant_work_months > 12:
        errors.setdefault("migrant_work_months", []).append(_("A year has at most 12 months."))


# ---------------------------------------------------------------- incomes


@transaction.atomic
def save_income(
    *,
    actor: Any,
    household: Household,
    year: int,
    values: Mapping[str, Any],
    expected_version: int | None = None,
) -> IncomeRecord:
    """Create the year's record, or update it when ``expected_version`` is given."""
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, household.village.path)
    errors: dict[str, list[Message]] = {}
    existing = IncomeRecord.objects.filter(household=household, year=year).first()
    if existing is not None and expected_version is None:
        errors.setdefault("year", []).append(_("This year already has an income record; edit it instead."))
    if existing is None and expected_version is not None:
        raise StaleEdit()
    draft = (
        IncomeRecord(household=household, year=year)
        if existing is None
        else IncomeRecord.objects.get(pk=existing.pk)
    )
    for field, value in values.items():
        if field not in INCOME_EDITABLE:
            errors.setdefault(field, []).append(_("This field cannot be set here."))
            continue
        setattr(draft, field, value)
    # Left blank (not given, or None): the household's current members. A 0 given is an error
    # reported below, never quietly replaced.
    if values.get("household_size") is None and not draft.household_size:
        draft.household_size = household.members.filter(exit_reason="").count()
    this_year = clock.today().year
    if not (2010 <= year <= this_year):
        errors.setdefault("year", []).append(_("The year must be between 2010 and this year."))
    if draft.excluded_transfer and draft.excluded_transfer > draft.transfer:
        errors.setdefault("excluded_transfer", []).append(
            _("Excluded allowances are part of transfer income and cannot exceed it.")
        )
    if not draft.household_size or draft.household_size < 1:
        errors.setdefault("household_size", []).append(_("A household has at least one member."))
    _clean_instance(draft, errors, exclude=["household"])
    if errors:
        raise InvalidInput(errors)
    if existing is None:
        draft.save()
        changes = _diff({}, _snapshot(draft, INCOME_EDITABLE))
        action = "create"
    else:
        assert expected_version is not None
        versioned_update(IncomeRecord, existing.pk, expected_version, _snapshot(draft, INCOME_EDITABLE))
        changes = _diff(_snapshot(existing, INCOME_EDITABLE), _snapshot(draft, INCOME_EDITABLE))
        action = "update"
    if changes:
        audit.record(
            actor=actor,
            action=action,
            object_type="income",
            object_id=draft.pk,
            area_code=household.village.code,
            summary=f"income {year} of household {household.number}",
            changes=changes,
        )
    return IncomeRecord.objects.get(pk=draft.pk)


# ---------------------------------------------------------------- searching by identifiers


def record_household_search(*, actor: Any, query: str, found: int, channel: str, area_code: str = "") -> None:
    """Audit a household search by the end of an ID number (``selectors.parse_query``); other
    searches are not recorded. The entry keeps how many characters were given and how many
    households were found, never the characters: four digits and a village identify a person."""
    parsed = parse_query(query)
    if not parsed.sensitive:
        return
    audit.record(
        actor=actor,
        action="search",
        object_type="household",
        area_code=area_code[:12],
        summary=f"household search by the last {len(parsed.id_tail)} characters of an ID number",
        changes={
            "by": "id_number_tail",
            "characters": len(parsed.id_tail),
            "found": found,
            "channel": channel,
        },
    )


# ---------------------------------------------------------------- revealing identifiers


def reveal(*, actor: Any, instance: Household | Member, field: str) -> str:
    """The full ID number or phone, for a role that may see it, inside view scope; audited."""
    require_capability(actor, Capability.REVEAL_PII)
    household = instance if isinstance(instance, Household) else instance.household
    if not scope.area_in_scope(actor, household.village.path, "view"):
        raise OutOfScope()
    token = {"id_number": getattr(instance, "id_number_enc", ""), "phone": instance.phone_enc}.get(field)
    if field not in ("id_number", "phone") or (field == "id_number" and not isinstance(instance, Member)):
        raise NotPermitted(_("Only a member's ID number or a phone number can be shown in full."))
    if not token:
        return ""
    value = get_cipher().decrypt(token)
    audit.record(
        actor=actor,
        action="reveal",
        object_type=instance._meta.model_name or "",
        object_id=instance.pk,
        area_code=household.village.code,
        summary=f"revealed {field}",
        changes={"field": field},
    )
    return value
