"""Writes for employment: a member's new employment record, an area's target for a year.

Each service checks the role and the capture scope through the one scope layer, reports every problem at
once (``InvalidInput``, messages naming the field, in the user's language), writes, and records an audit
entry (no ID number or phone ever; the member is named by its id and household number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import InvalidInput, Message, OutOfScope, StaleEdit
from fupin.core.i18n import lazy_format
from fupin.employment.models import EmploymentRecord, Kind, Place, Reason, Status, Target
from fupin.employment.selectors import current_record, first_of_month, province_names
from fupin.registry.choices import LabourCapacity
from fupin.registry.models import Member
from fupin.registry.services import require_capability, require_capture

LABOUR_CAPABLE = (LabourCapacity.ORDINARY, LabourCapacity.SKILLED, LabourCapacity.WEAK)
# The levels whose targets are set, each by the level above: a province per county, a county per township.
TARGET_LEVELS = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP)


@dataclass(frozen=True)
class RecordInput:
    status: str
    start_month: dt.date
    place: str = ""
    province_code: str = ""
    kind: str = ""
    employer: str = ""
    end_month: dt.date | None = None
    monthly_income: Decimal | None = None
    reason: str = ""


def _problems(
    member: Member, data: RecordInput, previous: EmploymentRecord | None
) -> dict[str, list[Message]]:
    errors: dict[str, list[Message]] = {}

    def add(field: str, message: Message) -> None:
        errors.setdefault(field, []).append(message)

    if member.exit_reason:
        add("status", _("This person has left the household: their work is no longer recorded."))
    if member.labour_capacity not in LABOUR_CAPABLE:
        add(
            "status",
            _(
                "This person has no labour capacity in the registry: "
                "correct the member's labour capacity first."
            ),
        )
    if data.status not in Status.values:
        add("status", _("Choose the person's status."))
    month = clock.today().replace(day=1)
    if data.start_month > month:
        add("start_month", _("The start month cannot be in the future."))
    if previous is not None and data.start_month < previous.start_month:
        add(
            "start_month",
            lazy_format(
                _(
                    "The start month cannot be before the start of the current record (%(month)s): "
                    "history runs forward."
                ),
                month=previous.start_month.strftime("%Y-%m"),
            ),
        )
    if data.end_month is not None and data.end_month < data.start_month:
        add("end_month", _("The end month cannot be before the start month."))
    working = data.status == Status.WORKING
    if working:
        if not data.place:
            add("place", _("Say where the person works."))
        elif data.place not in Place.values:
            add("place", _("Choose a place from the list."))
        if data.place == Place.OTHER_PROVINCE:
            if not data.province_code:
                add("province_code", _("Say in which province the person works."))
            elif data.province_code not in province_names():
                add("province_code", _("Choose a province from the list."))
            elif member.household.village.province_code == data.province_code:
                add(
                    "province_code",
                    _("This is the household's own province: choose 'In the province' instead."),
                )
        elif data.province_code:
            add("province_code", _("A province is given only for work in another province."))
        if not data.kind:
            add("kind", _("Say what kind of work it is."))
        elif data.kind not in Kind.values:
            add("kind", _("Choose a kind of work from the list."))
        if data.monthly_income is None:
            add("monthly_income", _("Give the monthly income in yuan."))
        elif data.monthly_income == 0:
            add(
                "monthly_income",
                _("A person in work earns something: give the monthly income, or choose 'Not working'."),
            )
        if data.reason:
            add("reason", _("A reason is given only for a person who is not working."))
    else:
        # Place without work or work without place is an error in the national export's own checks.
        for field, value in (
            ("place", data.place),
            ("province_code", data.province_code),
            ("kind", data.kind),
            ("employer", data.employer),
        ):
            if value:
                add(field, _("Only a person in work has a place, kind or employer."))
        if data.monthly_income:
            add("monthly_income", _("Only a person in work has a monthly income."))
        if data.status == Status.NOT_WORKING and not data.reason:
            add("reason", _("Say why the person is not working."))
        elif data.status != Status.NOT_WORKING and data.reason:
            add("reason", _("A reason is given only for a person who is not working."))
        elif data.reason and data.reason not in Reason.values:
            add("reason", _("Choose a reason from the list."))
    return errors


@transaction.atomic
def record_employment(
    *, actor: Any, member: Member, data: RecordInput, expected_current: int | None
) -> EmploymentRecord:
    """Append a record that supersedes the member's current one; nothing is ever overwritten.

    ``expected_current`` is the id of the current record the form was opened on (None: there was none):
    if another record was saved meanwhile, the edit is stale and nothing is written.
    """
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, member.household.village.path)
    previous = current_record(member)
    if (previous.pk if previous else None) != expected_current:
        raise StaleEdit()
    data = RecordInput(
        **{
            **data.__dict__,
            "start_month": first_of_month(data.start_month),
            "end_month": first_of_month(data.end_month) if data.end_month else None,
            "employer": data.employer.strip(),
        }
    )
    errors = _problems(member, data, previous)
    record = EmploymentRecord(
        member=member,
        status=data.status,
        place=data.place,
        province_code=data.province_code,
        kind=data.kind,
        employer=data.employer,
        start_month=data.start_month,
        end_month=data.end_month,
        monthly_income=data.monthly_income,
        reason=data.reason,
        supersedes=previous,
        recorded_by=actor,
    )
    try:
        record.full_clean(exclude=["member", "supersedes", "recorded_by"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # Another cadre's record superseded the same one a moment before (the one-to-one held).
        raise StaleEdit() from None
    audit.record(
        actor=actor,
        action="create",
        object_type="employment_record",
        object_id=record.pk,
        area_code=member.household.village.code,
        summary=f"employment of member {member.pk} of household {member.household.number}",
        changes={
            "status": [previous.status if previous else None, record.status],
            "start_month": [None, record.start_month.strftime("%Y-%m")],
            "place": [previous.place if previous else None, record.place],
            "kind": [previous.kind if previous else None, record.kind],
            "monthly_income": [
                str(previous.monthly_income) if previous and previous.monthly_income is not None else None,
                str(record.monthly_income) if record.monthly_income is not None else None,
            ],
            "supersedes": [None, previous.pk if previous else None],
        },
    )
    return record


@transaction.atomic
def set_target(*, actor: Any, area: Area, year: int, persons: int | None) -> Target:
    """Append the area's target for the year; the one above sets it (a county's capture area is not enough
    for its own target: the province or prefecture above it sets that)."""
    require_capability(actor, Capability.SET_EMPLOYMENT_TARGETS)
    if area.parent is None:
        raise OutOfScope()
    require_capture(actor, area.parent.path)
    errors: dict[str, list[Message]] = {}
    if area.level not in TARGET_LEVELS:
        errors.setdefault("area", []).append(
            _("Targets are set for counties (by the province) and townships (by the county).")
        )
    today = clock.today()
    if not today.year - 1 <= year <= today.year + 1:
        errors.setdefault("year", []).append(_("Targets are set for last year, this year or next year."))
    target = Target(area=area, year=year, persons=persons if persons is not None else 0, set_by=actor)
    if persons is None:
        errors.setdefault("persons", []).append(_("Give the number of persons in work."))
    else:
        try:
            target.full_clean(exclude=["area", "set_by"], validate_unique=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise InvalidInput(errors)
    before = Target.objects.filter(area=area, year=year).order_by("-id").first()
    target.save()
    audit.record(
        actor=actor,
        action="update" if before else "create",
        object_type="employment_target",
        object_id=target.pk,
        area_code=area.code,
        summary=f"employment target {area.code} {year}",
        changes={"persons": [before.persons if before else None, target.persons]},
    )
    return target
