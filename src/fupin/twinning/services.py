"""Writes of helpers, twinning, the county's quotas and task-force rules, helping units, task forces and
visits. Pages call these; none of them writes the models directly.

Each service checks the role (``MANAGE_HELPERS``, ``RECORD_VISITS``) and the capture area, reports every
problem at once (``InvalidInput``, nothing changed), refuses a stale edit (``StaleEdit``), writes, and
records an audit entry in which a phone number appears only masked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, Message, NotPermitted, OutOfScope, StaleEdit, add_error
from fupin.core.i18n import lazy_format
from fupin.pii.crypto import get_cipher
from fupin.registry.choices import HouseholdStatus
from fupin.registry.models import Household
from fupin.registry.services import require_capability, require_capture, set_phone, versioned_update
from fupin.twinning import photos as photo_files
from fupin.twinning import selectors
from fupin.twinning.models import (
    Assignment,
    CountyTwinningRules,
    Helper,
    HelpingUnit,
    RankQuota,
    TaskForceMember,
    TaskForceRole,
    Visit,
    VisitPhoto,
)

HELPER_AREA_LEVELS = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
MAX_QUOTA = 50
MAX_TERM_MONTHS = 120


def _text(errors: Errors, field: str, value: str, max_length: int, missing: Message | None = None) -> str:
    cleaned = (value or "").strip()
    if missing is not None and not cleaned:
        add_error(errors, field, missing)
    elif len(cleaned) > max_length:
        add_error(errors, field, lazy_format(_("At most %(count)s characters, please."), count=max_length))
    return cleaned


def _not_future(errors: Errors, field: str, day: dt.date | None, missing: Message) -> None:
    if day is None:
        add_error(errors, field, missing)
    elif day > clock.today():
        add_error(errors, field, _("The date cannot be in the future."))


def _who(actor: Any) -> str:
    return (actor.get_full_name() or actor.username) if getattr(actor, "pk", None) else str(actor)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# ---------------------------------------------------------------- helpers


def _helper_area(actor: Any, code: str, errors: Errors) -> Area | None:
    area = Area.objects.filter(code=(code or "").strip(), level__in=HELPER_AREA_LEVELS).first()
    if area is None:
        add_error(
            errors, "area", _("Choose the county, township or village that keeps this helper's record.")
        )
        return None
    require_capture(actor, area.path)
    return area


def _check_rank(county_code: str, rank: str, errors: Errors) -> None:
    if rank not in {r.code for r in selectors.ranks_for(county_code)}:
        add_error(errors, "rank", _("Choose one of the county's ranks."))


def _helper_facts(helper: Helper) -> dict[str, Any]:
    return {
        "name": helper.name,
        "unit": helper.unit,
        "rank": helper.rank,
        "area": helper.area.code,
        "phone": helper.phone_masked,
        "active": helper.active,
    }


@transaction.atomic
def create_helper(
    *, actor: Any, area_code: str, name: str, unit: str, rank: str, phone_number: str = ""
) -> Helper:
    require_capability(actor, Capability.MANAGE_HELPERS)
    errors: Errors = {}
    area = _helper_area(actor, area_code, errors)
    helper = Helper(
        name=_text(errors, "name", name, 50, _("Give the helper's name.")),
        unit=_text(errors, "unit", unit, 100, _("Give the helper's work unit.")),
        rank=rank,
    )
    if area is not None:
        helper.area = area
        _check_rank(area.county_code, rank, errors)
    set_phone(helper, phone_number, errors)
    if errors:
        raise InvalidInput(errors)
    assert area is not None
    helper.save()
    audit.record(
        actor=actor,
        action="create",
        object_type="helper",
        object_id=helper.pk,
        area_code=area.code,
        summary=f"helper {helper.name}",
        changes={key: [None, value] for key, value in _helper_facts(helper).items()},
    )
    return helper


@transaction.atomic
def update_helper(
    *,
    actor: Any,
    helper: Helper,
    expected_version: int,
    name: str,
    unit: str,
    rank: str,
    active: bool,
    area_code: str | None = None,
    phone_number: str | None = None,
) -> Helper:
    """Correct a helper's facts; ``phone_number=None`` keeps the phone. A helper who still helps a
    household cannot be marked as gone: end the twinning first (the households then show as uncovered)."""
    require_capability(actor, Capability.MANAGE_HELPERS)
    require_capture(actor, helper.area.path)
    errors: Errors = {}
    before = _helper_facts(helper)
    draft = Helper.objects.select_related("area").get(pk=helper.pk)
    draft.name = _text(errors, "name", name, 50, _("Give the helper's name."))
    draft.unit = _text(errors, "unit", unit, 100, _("Give the helper's work unit."))
    draft.rank = rank
    draft.active = active
    if area_code is not None and area_code != helper.area.code:
        area = _helper_area(actor, area_code, errors)
        if area is not None:
            draft.area = area
    _check_rank(draft.area.county_code, rank, errors)
    if phone_number is not None:
        set_phone(draft, phone_number, errors)
    current = helper.assignments.filter(ended_on__isnull=True).count()
    if not active and current:
        add_error(
            errors,
            "active",
            lazy_format(
                _("%(name)s still helps %(count)s households: end those twinnings first."),
                name=helper.name,
                count=current,
            ),
        )
    if errors:
        raise InvalidInput(errors)
    write: dict[str, Any] = {
        "name": draft.name,
        "unit": draft.unit,
        "rank": draft.rank,
        "active": draft.active,
        "area": draft.area,
    }
    if phone_number is not None:
        write.update(phone_enc=draft.phone_enc, phone_bidx=draft.phone_bidx, phone_masked=draft.phone_masked)
    versioned_update(Helper, helper.pk, expected_version, write)
    after = _helper_facts(draft)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        audit.record(
            actor=actor,
            action="update",
            object_type="helper",
            object_id=helper.pk,
            area_code=draft.area.code,
            summary=f"helper {draft.name}",
            changes=changes,
        )
    return Helper.objects.select_related("area").get(pk=helper.pk)


def reveal_helper_phone(*, actor: Any, helper: Helper) -> str:
    """The helper's full phone for a role that may see it, when the helper is in view; audited."""
    require_capability(actor, Capability.REVEAL_PII)
    if not selectors.helpers_for(actor).filter(pk=helper.pk).exists():
        raise OutOfScope()
    if not helper.phone_enc:
        return ""
    value = get_cipher().decrypt(helper.phone_enc)
    audit.record(
        actor=actor,
        action="reveal",
        object_type="helper",
        object_id=helper.pk,
        area_code=helper.area.code,
        summary="revealed phone",
        changes={"field": "phone"},
    )
    return value


# ---------------------------------------------------------------- twinning


@transaction.atomic
def assign(
    *, actor: Any, helper_id: int | None, household: Household, started_on: dt.date | None
) -> Assignment:
    """Twin a helper with a household, within the quota of the helper's rank in the household's county."""
    require_capability(actor, Capability.MANAGE_HELPERS)
    require_capture(actor, household.village.path)
    errors: Errors = {}
    _not_future(errors, "started_on", started_on, _("Give the day the twinning starts."))
    if household.status == HouseholdStatus.CANCELLED:
        add_error(errors, "helper", _("The household's record is cancelled: it is not twinned any more."))
    helper = None
    if helper_id:
        # Locked so that two assignments at once cannot both take the helper's last place.
        helper = selectors.helpers_for(actor).select_for_update(of=("self",)).filter(pk=helper_id).first()
    if helper is None:
        add_error(errors, "helper", _("Choose a helper."))
    else:
        county = household.village.county_code
        current = helper.assignments.filter(ended_on__isnull=True)
        rank = selectors.quotas_by_county([county])[county].get(helper.rank)
        if helper.area.county_code != county:
            add_error(errors, "helper", _("The helper belongs to another county."))
        elif not helper.active:
            add_error(
                errors, "helper", lazy_format(_("%(name)s no longer helps households."), name=helper.name)
            )
        elif current.filter(household=household).exists():
            add_error(
                errors, "helper", lazy_format(_("%(name)s already helps this household."), name=helper.name)
            )
        elif rank is None:
            add_error(
                errors,
                "helper",
                lazy_format(
                    _("The county has no quota for the rank of %(name)s: correct the helper's rank first."),
                    name=helper.name,
                ),
            )
        elif current.count() >= rank.households:
            add_error(
                errors,
                "helper",
                lazy_format(
                    _(
                        "%(name)s (%(rank)s) already helps %(count)s households and the county's quota for "
                        "this rank is %(quota)s. End one of those twinnings first, or choose another helper."
                    ),
                    name=helper.name,
                    rank=rank.label,
                    count=current.count(),
                    quota=rank.households,
                ),
            )
    if errors:
        raise InvalidInput(errors)
    assert helper is not None and started_on is not None
    assignment = Assignment.objects.create(
        helper=helper, household=household, started_on=started_on, created_by=actor
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="twinning",
        object_id=assignment.pk,
        area_code=household.village.code,
        summary=f"helper {helper.name} twinned with household {household.number}",
        changes={
            "helper": [None, helper.name],
            "household": [None, household.number],
            "started_on": [None, _iso(started_on)],
        },
    )
    return assignment


@transaction.atomic
def end_assignment(
    *, actor: Any, assignment: Assignment, ended_on: dt.date | None, reason: str
) -> Assignment:
    """End a twinning on a day: from then on it no longer counts against the helper's quota."""
    require_capability(actor, Capability.MANAGE_HELPERS)
    household = assignment.household
    require_capture(actor, household.village.path)
    errors: Errors = {}
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.ended_on is not None:
        add_error(errors, "ended_on", _("This twinning has already ended."))
    _not_future(errors, "ended_on", ended_on, _("Give the day the twinning ends."))
    if ended_on is not None and ended_on < locked.started_on:
        add_error(errors, "ended_on", _("The twinning cannot end before it started."))
    cleaned = _text(errors, "reason", reason, 200, _("Say why the twinning ends."))
    if errors:
        raise InvalidInput(errors)
    locked.ended_on = ended_on
    locked.end_reason = cleaned
    locked.save(update_fields=["ended_on", "end_reason"])
    audit.record(
        actor=actor,
        action="update",
        object_type="twinning",
        object_id=locked.pk,
        area_code=household.village.code,
        summary=f"twinning of helper {assignment.helper.name} with household {household.number} ended",
        changes={"ended_on": [None, _iso(ended_on)], "end_reason": [None, cleaned]},
    )
    return locked


# ---------------------------------------------------------------- the county's settings


@dataclass(frozen=True)
class RankInput:
    code: str  # "" for a new rank
    name: str
    households: int | None
    remove: bool = False


def _county(actor: Any, county: Area) -> None:
    require_capability(actor, Capability.MANAGE_HELPERS)
    if county.level != AreaLevel.COUNTY:
        raise OutOfScope()
    require_capture(actor, county.path)


@transaction.atomic
def save_county_settings(
    *,
    actor: Any,
    county: Area,
    expected_version: int | None,
    ranks: Sequence[RankInput],
    min_members: int | None,
    min_term_months: int | None,
    require_first_secretary: bool,
) -> None:
    """The county's ranks with their quotas, and its task-force rules.

    Lowering a quota ends no twinning: helpers above the new quota show in the coverage report.
    A rank that a helper still has cannot be removed.
    """
    _county(actor, county)
    errors: Errors = {}
    existing = {r.code: r for r in selectors.ranks_for(county.code)}
    saved_rules = CountyTwinningRules.objects.select_for_update().filter(county=county).first()
    if (saved_rules.version if saved_rules else None) != expected_version:
        raise StaleEdit()
    kept: list[tuple[str, str, int]] = []
    used = set(
        Helper.objects.filter(area__county_code=county.code, active=True).values_list("rank", flat=True)
    )
    for rank in ranks:
        key = f"rank_{rank.code or 'new'}"
        if rank.code and rank.code not in existing:
            add_error(errors, f"{key}_name", _("This rank is not one of the county's."))
            continue
        if rank.remove:
            if rank.code in used:
                add_error(
                    errors, f"{key}_remove", _("Helpers still have this rank: give them another rank first.")
                )
            continue
        if not rank.code and not rank.name.strip() and rank.households is None:
            continue  # the empty row for a new rank
        name = rank.name.strip()
        if not rank.code and not name:
            add_error(errors, f"{key}_name", _("Give the new rank a name."))
        if len(name) > 50:
            add_error(
                errors, f"{key}_name", lazy_format(_("At most %(count)s characters, please."), count=50)
            )
        if rank.households is None or not 0 <= rank.households <= MAX_QUOTA:
            add_error(
                errors,
                f"{key}_households",
                lazy_format(_("A quota is a number of households from 0 to %(max)s."), max=MAX_QUOTA),
            )
            continue
        kept.append((rank.code or f"r{uuid.uuid4().hex[:8]}", name, rank.households))
    if not kept:
        add_error(errors, "ranks", _("The county needs at least one rank."))
    if min_members is None or not 1 <= min_members <= 30:
        add_error(errors, "min_members", _("Give a number of members from 1 to 30."))
    if min_term_months is None or not 1 <= min_term_months <= MAX_TERM_MONTHS:
        add_error(
            errors,
            "min_term_months",
            lazy_format(_("Give a number of months from 1 to %(max)s."), max=MAX_TERM_MONTHS),
        )
    if errors:
        raise InvalidInput(errors)
    assert min_members is not None and min_term_months is not None
    ranks_before = {r.code: [r.name or r.code, r.households] for r in existing.values()}
    rules = selectors.rules_for(county.code)
    RankQuota.objects.filter(county=county).delete()
    RankQuota.objects.bulk_create(
        RankQuota(county=county, code=code, name=name, households=households, position=position)
        for position, (code, name, households) in enumerate(kept)
    )
    if saved_rules is None:
        CountyTwinningRules.objects.create(
            county=county,
            task_force_min_members=min_members,
            task_force_min_term_months=min_term_months,
            require_first_secretary=require_first_secretary,
        )
    else:
        versioned_update(
            CountyTwinningRules,
            saved_rules.pk,
            saved_rules.version,
            {
                "task_force_min_members": min_members,
                "task_force_min_term_months": min_term_months,
                "require_first_secretary": require_first_secretary,
            },
        )
    audit.record(
        actor=actor,
        action="update",
        object_type="twinning_settings",
        object_id=county.code,
        area_code=county.code,
        summary=f"twinning quotas and task-force rules of county {county.code}",
        changes={
            "ranks": [ranks_before, {code: [name or code, n] for code, name, n in kept}],
            "task_force_min_members": [rules.min_members, min_members],
            "task_force_min_term_months": [rules.min_term_months, min_term_months],
            "require_first_secretary": [rules.require_first_secretary, require_first_secretary],
        },
    )


# ---------------------------------------------------------------- helping units and task forces


def _village_in_capture(actor: Any, village: Area) -> None:
    require_capability(actor, Capability.MANAGE_HELPERS)
    if village.level != AreaLevel.VILLAGE:
        raise OutOfScope()
    require_capture(actor, village.path)


def _period(
    errors: Errors,
    start_field: str,
    start: dt.date | None,
    end_field: str,
    end: dt.date | None,
    missing: Message,
) -> None:
    if start is None:
        add_error(errors, start_field, missing)
    if start is not None and end is not None and end < start:
        add_error(errors, end_field, _("The end cannot be before the start."))


def _unit_facts(unit: HelpingUnit) -> dict[str, Any]:
    return {
        "name": unit.name,
        "started_on": _iso(unit.started_on),
        "ended_on": _iso(unit.ended_on),
        "notes": unit.notes,
    }


@transaction.atomic
def save_helping_unit(
    *,
    actor: Any,
    village: Area,
    name: str,
    started_on: dt.date | None,
    ended_on: dt.date | None = None,
    notes: str = "",
    unit: HelpingUnit | None = None,
    expected_version: int | None = None,
) -> HelpingUnit:
    """Add a village's helping unit, or correct one (``unit`` with ``expected_version``)."""
    _village_in_capture(actor, village)
    if unit is not None and unit.village_id != village.pk:
        raise NotPermitted(_("This record belongs to another village."))
    errors: Errors = {}
    cleaned_name = _text(errors, "name", name, 100, _("Give the helping unit's name."))
    cleaned_notes = _text(errors, "notes", notes, 300)
    _period(errors, "started_on", started_on, "ended_on", ended_on, _("Give the day the help starts."))
    if ended_on is not None and ended_on > clock.today():
        add_error(errors, "ended_on", _("The date cannot be in the future."))
    if errors:
        raise InvalidInput(errors)
    assert started_on is not None
    draft = HelpingUnit(
        village=village, name=cleaned_name, started_on=started_on, ended_on=ended_on, notes=cleaned_notes
    )
    after = _unit_facts(draft)
    if unit is None:
        draft.save()
        changes = {key: [None, value] for key, value in after.items()}
        pk, action = draft.pk, "create"
    else:
        assert expected_version is not None
        before = _unit_facts(unit)
        versioned_update(
            HelpingUnit,
            unit.pk,
            expected_version,
            {"name": draft.name, "started_on": started_on, "ended_on": ended_on, "notes": draft.notes},
        )
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        pk, action = unit.pk, "update"
    if changes:
        audit.record(
            actor=actor,
            action=action,
            object_type="helping_unit",
            object_id=pk,
            area_code=village.code,
            summary=f"helping unit {draft.name} of village {village.code}",
            changes=changes,
        )
    return HelpingUnit.objects.get(pk=pk)


def _member_facts(member: TaskForceMember) -> dict[str, Any]:
    return {
        "name": member.name,
        "unit": member.unit,
        "role": member.role,
        "term_start": _iso(member.term_start),
        "term_end": _iso(member.term_end),
        "left_on": _iso(member.left_on),
    }


@transaction.atomic
def save_task_force_member(
    *,
    actor: Any,
    village: Area,
    name: str,
    unit: str,
    role: str,
    term_start: dt.date | None,
    term_end: dt.date | None,
    left_on: dt.date | None = None,
    member: TaskForceMember | None = None,
    expected_version: int | None = None,
) -> TaskForceMember:
    """Add a member to a village's task force, or correct one (``member`` with ``expected_version``).

    A term shorter than the county's minimum is recorded (it is a fact) and shown as a failed check.
    """
    _village_in_capture(actor, village)
    if member is not None and member.village_id != village.pk:
        raise NotPermitted(_("This record belongs to another village."))
    errors: Errors = {}
    if role not in TaskForceRole.values:
        add_error(errors, "role", _("Choose the member's role."))
    cleaned_name = _text(errors, "name", name, 50, _("Give the member's name."))
    cleaned_unit = _text(errors, "unit", unit, 100, _("Give the member's work unit."))
    _period(errors, "term_start", term_start, "term_end", term_end, _("Give the day the term starts."))
    if term_end is None:
        add_error(errors, "term_end", _("Give the day the term ends."))
    if left_on is not None:
        if left_on > clock.today():
            add_error(errors, "left_on", _("The date cannot be in the future."))
        elif term_start is not None and left_on < term_start:
            add_error(errors, "left_on", _("A member cannot leave before the term starts."))
    if errors:
        raise InvalidInput(errors)
    assert term_start is not None and term_end is not None
    draft = TaskForceMember(
        village=village,
        name=cleaned_name,
        unit=cleaned_unit,
        role=role,
        term_start=term_start,
        term_end=term_end,
        left_on=left_on,
    )
    after = _member_facts(draft)
    if member is None:
        draft.save()
        changes = {key: [None, value] for key, value in after.items()}
        pk, action = draft.pk, "create"
    else:
        assert expected_version is not None
        before = _member_facts(member)
        versioned_update(
            TaskForceMember,
            member.pk,
            expected_version,
            {
                "name": draft.name,
                "unit": draft.unit,
                "role": role,
                "term_start": term_start,
                "term_end": term_end,
                "left_on": left_on,
            },
        )
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        pk, action = member.pk, "update"
    if changes:
        audit.record(
            actor=actor,
            action=action,
            object_type="task_force_member",
            object_id=pk,
            area_code=village.code,
            summary=f"task force member {draft.name} of village {village.code}",
            changes=changes,
        )
    return TaskForceMember.objects.get(pk=pk)


# ---------------------------------------------------------------- visits


def _check_photos(uploads: Sequence[File], errors: Errors) -> list[photo_files.CheckedPhoto]:
    limit = settings.TWINNING_PHOTO_MAX_BYTES
    most = settings.TWINNING_PHOTOS_PER_VISIT
    if len(uploads) > most:
        add_error(errors, "photos", lazy_format(_("At most %(count)s photos per visit."), count=most))
        return []
    checked = []
    for upload in uploads:
        name = (getattr(upload, "name", "") or "")[-100:]
        size = upload.size or 0
        if size == 0:
            add_error(errors, "photos", lazy_format(_("%(name)s is empty."), name=name))
            continue
        if size > limit:
            add_error(
                errors,
                "photos",
                lazy_format(
                    _("%(name)s is larger than %(size)s MB."), name=name, size=f"{limit / 1024 / 1024:g}"
                ),
            )
            continue
        content_type = photo_files.sniff(photo_files.read_head(upload))
        if content_type is None:
            add_error(errors, "photos", lazy_format(_("%(name)s is not a JPEG or PNG photo."), name=name))
            continue
        checked.append(photo_files.CheckedPhoto(upload, content_type, size, name))
    return checked


@transaction.atomic
def record_visit(
    *,
    actor: Any,
    household: Household,
    visited_on: dt.date | None,
    findings: str,
    risk_present: bool | None,
    follow_up: str = "",
    helper_id: int | None = None,
    photos: Sequence[File] = (),
) -> Visit:
    """A visit to the household, by one of its helpers (``helper_id``) or by the recording cadre.

    Photos are checked before anything is written: one file that is too large or not a JPEG or PNG
    refuses the whole visit, and no file is kept.
    """
    require_capability(actor, Capability.RECORD_VISITS)
    require_capture(actor, household.village.path)
    errors: Errors = {}
    _not_future(errors, "visited_on", visited_on, _("Give the day of the visit."))
    findings = _text(errors, "findings", findings, 4000, _("Record what the visit found."))
    follow_up = _text(errors, "follow_up", follow_up, 4000)
    if risk_present is None:
        add_error(errors, "risk_present", _("Say whether the risk is still present."))
    helper = None
    if helper_id:
        twinned = Assignment.objects.filter(household=household, helper_id=helper_id).select_related("helper")
        if visited_on is not None:
            twinned = twinned.filter(started_on__lte=visited_on).exclude(ended_on__lt=visited_on)
        found = twinned.first()
        if found is None:
            add_error(errors, "helper", _("On that day this helper was not twinned with the household."))
        else:
            helper = found.helper
    checked = _check_photos(list(photos), errors)
    if errors:
        raise InvalidInput(errors)
    assert visited_on is not None and risk_present is not None
    visit = Visit.objects.create(
        household=household,
        visited_on=visited_on,
        helper=helper,
        visitor_name=helper.name if helper else _who(actor),
        findings=findings,
        follow_up=follow_up,
        risk_present=risk_present,
        recorded_by=actor,
    )
    stored: list[str] = []
    try:
        for photo in checked:
            name = photo_files.store(photo, household.pk)
            stored.append(name)
            VisitPhoto.objects.create(
                visit=visit,
                file=name,
                content_type=photo.content_type,
                size=photo.size,
                original_name=photo.original_name,
            )
        audit.record(
            actor=actor,
            action="create",
            object_type="visit",
            object_id=visit.pk,
            area_code=household.village.code,
            summary=f"visit to household {household.number}",
            changes={
                "visited_on": [None, _iso(visited_on)],
                "visited_by": [None, visit.visitor_name],
                "risk_present": [None, risk_present],
                "photos": [None, len(stored)],
            },
        )
    except BaseException:
        photo_files.remove(stored)  # the transaction rolls back: leave no file behind either
        raise
    return visit


# ---------------------------------------------------------------- export


def record_coverage_export(*, actor: Any, area: Area, uncovered: int, over_quota: int) -> None:
    """Audit an export of the coverage report; it holds masked phones only."""
    require_capability(actor, Capability.EXPORT)
    audit.record(
        actor=actor,
        action="export",
        object_type="twinning_coverage",
        area_code=area.code,
        summary=f"twinning coverage exported (xlsx, {uncovered} households without a helper)",
        changes={
            "format": "xlsx",
            "area_code": area.code,
            "households_without_helper": uncovered,
            "helpers_over_quota": over_quota,
        },
    )
