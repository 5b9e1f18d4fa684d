"""Training courses (技能培训) with their participants and completion, and 雨露计划 vocational grants.

A course belongs to an area (the county's human-resources bureau or a township); participants are
registry members with labour capacity, each marked completed or not at the end. A 雨露计划 grant is a
record per student and school year for a member of a lifted-out or monitored household at a vocational
school (中职 or 高职); the amount is what the county decided (3,000 yuan a year in the documented
practice, paid in two terms) and is recorded in fen, not computed here: the payment itself, once the
province's pack has a programme for it, goes through the benefits app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.areas.models import Area
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, Refused, add_error
from fupin.employment.models import Course, GrantStatus, Participant, SchoolLevel, VocationalGrant
from fupin.employment.posts import LABOUR_CAPABLE, person_category
from fupin.registry.models import Member
from fupin.registry.services import require_capability, require_capture

GRANT_CATEGORIES = ("lifted_out", "monitored")
MAX_GRANT_FEN = 10_000_00


@dataclass(frozen=True)
class CourseInput:
    title: str
    trade: str
    area: Area | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    hours: int | None
    provider: str


@transaction.atomic
def create_course(*, actor: Any, data: CourseInput) -> Course:
    require_capability(actor, Capability.MANAGE_EMPLOYMENT)
    errors: Errors = {}
    for name in ("title", "trade", "provider"):
        if not str(getattr(data, name)).strip():
            add_error(errors, name, _("This field is required."))
    if data.area is None:
        add_error(errors, "area", _("Choose the area of the course."))
    else:
        require_capture(actor, data.area.path)
    if data.starts_on is None:
        add_error(errors, "starts_on", _("Give the first day."))
    if data.ends_on is None:
        add_error(errors, "ends_on", _("Give the last day."))
    elif data.starts_on is not None and data.ends_on < data.starts_on:
        add_error(errors, "ends_on", _("The last day cannot be before the first."))
    if data.hours is None or not 1 <= data.hours <= 2000:
        add_error(errors, "hours", _("Give the hours of the course, 1 to 2,000."))
    if errors:
        raise InvalidInput(errors)
    assert data.area is not None and data.starts_on and data.ends_on and data.hours
    course = Course.objects.create(
        title=data.title.strip(),
        trade=data.trade.strip(),
        area=data.area,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        hours=data.hours,
        provider=data.provider.strip(),
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="training_course",
        object_id=course.pk,
        area_code=course.area.code,
        summary=f"training course {course.pk}",
        changes={"hours": course.hours, "starts_on": course.starts_on.isoformat()},
    )
    return course


@transaction.atomic
def enrol(*, actor: Any, course: Course, member: Member) -> Participant:
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, member.household.village.path)
    errors: Errors = {}
    if member.exit_reason:
        add_error(errors, "member", _("This person has left the household."))
    if member.labour_capacity not in LABOUR_CAPABLE:
        add_error(errors, "member", _("This person has no labour capacity in the registry."))
    if not member.household.village.path.startswith(course.area.path[:7]):
        add_error(errors, "member", _("The course is for people of another county."))
    if Participant.objects.filter(course=course, member=member).exists():
        add_error(errors, "member", _("This person is already on the course."))
    if course.ends_on < clock.today():
        add_error(errors, "member", _("The course is over: nobody joins it now."))
    if errors:
        raise InvalidInput(errors)
    participant = Participant.objects.create(course=course, member=member, enrolled_by=actor)
    audit.record(
        actor=actor,
        action="create",
        object_type="training_participant",
        object_id=participant.pk,
        area_code=member.household.village.code,
        summary=f"member {member.pk} of household {member.household.number} on course {course.pk}",
        changes={},
    )
    return participant


@transaction.atomic
def complete(*, actor: Any, participant: Participant, completed: bool, certificate: str = "") -> None:
    require_capability(actor, Capability.MANAGE_EMPLOYMENT)
    require_capture(actor, participant.course.area.path)
    if participant.course.ends_on > clock.today():
        raise Refused(_("Completion is recorded once the course has ended."))
    if len(certificate) > 100:
        raise InvalidInput({"certificate": [_("At most 100 characters, please.")]})
    before = participant.completed
    participant.completed = completed
    participant.certificate = certificate.strip() if completed else ""
    participant.save(update_fields=["completed", "certificate"])
    audit.record(
        actor=actor,
        action="update",
        object_type="training_participant",
        object_id=participant.pk,
        area_code=participant.member.household.village.code,
        summary=f"course {participant.course_id} completion",
        changes={"completed": [before, completed]},
    )


@dataclass(frozen=True)
class GrantInput:
    school: str
    level: str
    school_year: int | None
    amount_fen: int | None


@transaction.atomic
def record_grant(*, actor: Any, member: Member, data: GrantInput) -> VocationalGrant:
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, member.household.village.path)
    errors: Errors = {}
    if member.exit_reason:
        add_error(errors, "member", _("This person has left the household."))
    if person_category(member) not in GRANT_CATEGORIES:
        add_error(
            errors,
            "member",
            _("The vocational grant (雨露计划) is for students of lifted-out or monitored households."),
        )
    if not data.school.strip():
        add_error(errors, "school", _("Give the school."))
    if data.level not in SchoolLevel.values:
        add_error(errors, "level", _("Choose the level of the school."))
    today = clock.today()
    if data.school_year is None or not today.year - 5 <= data.school_year <= today.year:
        add_error(
            errors,
            "school_year",
            _("Give the school year's first calendar year (this year or one of the last five)."),
        )
    elif VocationalGrant.objects.filter(member=member, school_year=data.school_year).exists():
        add_error(errors, "school_year", _("This student already has a grant for this school year."))
    if data.amount_fen is None or not 0 < data.amount_fen <= MAX_GRANT_FEN:
        add_error(errors, "amount_fen", _("Give the grant in yuan, more than 0 and at most 10,000."))
    if errors:
        raise InvalidInput(errors)
    assert data.school_year is not None and data.amount_fen is not None
    grant = VocationalGrant.objects.create(
        member=member,
        school=data.school.strip(),
        level=data.level,
        school_year=data.school_year,
        amount_fen=data.amount_fen,
        status=GrantStatus.STUDYING,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="vocational_grant",
        object_id=grant.pk,
        area_code=member.household.village.code,
        summary=f"雨露计划 grant of member {member.pk} of household {member.household.number}",
        changes={"school_year": grant.school_year, "amount_fen": grant.amount_fen, "level": grant.level},
    )
    return grant
