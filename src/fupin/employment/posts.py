"""Public-welfare posts (乡村公益性岗位): creating posts, appointing holders, recording the months worked.

Who may hold a post is a rule with its numbers in the policy pack (``rules.rules_for``): the household's
category must be one the pack admits (lifted-out, monitored, registered poor by default), the holder's
age within the pack's limits at the start, the person in the household with labour capacity, and never
two posts at once nor a post in a month the person is recorded as a migrant worker (outside the county:
the 吉林 2025 rule removes holders for long migrant absence). A temporary post (seed 002 measure 9) is held
at most ``temporary_post_max_months`` months a year: the fourth month is refused.

A month worked is a ``PostMonth`` with the post's subsidy in fen. When the county has a benefit
programme for posts open that year (a programme of the pack whose applicant is ``post``, Jilin's
``temporary_welfare_post``) and the month is on a temporary post, the month is also entered as that
programme's application (period = the month, post_code = the post's number), so it is decided, approved
and paid the way every benefit is; otherwise only the month is recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, add_error
from fupin.core.i18n import lazy_format
from fupin.employment.models import EmploymentRecord, Place, Post, PostHolding, PostKind, PostMonth, Status
from fupin.employment.rules import rules_for
from fupin.employment.selectors import effective_in, first_of_month
from fupin.registry.choices import LabourCapacity
from fupin.registry.models import Member
from fupin.registry.services import require_capability, require_capture

LABOUR_CAPABLE = (LabourCapacity.ORDINARY, LabourCapacity.SKILLED, LabourCapacity.WEAK)
MIGRANT_PLACES = (Place.PROVINCE, Place.OTHER_PROVINCE)
MAX_SUBSIDY_FEN = 10_000_00  # a monthly post subsidy above 10,000 yuan is a typing error (fen as yuan)


def months_between(start: dt.date, end: dt.date) -> int:
    """Months from ``start`` to ``end`` inclusive (both first days of months)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def person_category(member: Member) -> str:
    from fupin.benefits.services import person_category as category

    return category(member.household)


# ---------------------------------------------------------------- posts


@dataclass(frozen=True)
class PostInput:
    code: str
    title: str
    kind: str
    area: Area | None
    monthly_subsidy_fen: int | None
    term_start: dt.date | None
    term_end: dt.date | None
    temporary: bool = False


@transaction.atomic
def create_post(*, actor: Any, data: PostInput) -> Post:
    require_capability(actor, Capability.MANAGE_EMPLOYMENT)
    errors: Errors = {}
    code = data.code.strip()
    if not code:
        add_error(errors, "code", _("Give the post's number."))
    elif len(code) > 40:
        add_error(errors, "code", _("At most 40 characters, please."))
    elif Post.objects.filter(code=code).exists():
        add_error(errors, "code", _("Another post has this number."))
    if not data.title.strip():
        add_error(errors, "title", _("Say what the post is (e.g. road upkeep)."))
    if data.kind not in PostKind.values:
        add_error(errors, "kind", _("Choose a kind of post from the list."))
    if data.area is None:
        add_error(errors, "area", _("Choose the village or township of the post."))
    else:
        require_capture(actor, data.area.path)
        if data.area.level not in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE):
            add_error(errors, "area", _("A post belongs to a village or a township."))
    if data.monthly_subsidy_fen is None:
        add_error(errors, "monthly_subsidy_fen", _("Give the monthly subsidy in yuan."))
    elif not 0 < data.monthly_subsidy_fen <= MAX_SUBSIDY_FEN:
        add_error(
            errors, "monthly_subsidy_fen", _("The monthly subsidy is more than 0 and at most 10,000 yuan.")
        )
    if data.term_start is None:
        add_error(errors, "term_start", _("Give the first month of the post's term."))
    if data.term_end is None:
        add_error(errors, "term_end", _("Give the last month of the post's term."))
    elif data.term_start is not None and data.term_end < data.term_start:
        add_error(errors, "term_end", _("The end month cannot be before the start month."))
    if errors:
        raise InvalidInput(errors)
    assert data.area is not None and data.term_start and data.term_end and data.monthly_subsidy_fen
    post = Post.objects.create(
        code=code,
        title=data.title.strip(),
        kind=data.kind,
        area=data.area,
        monthly_subsidy_fen=data.monthly_subsidy_fen,
        temporary=data.temporary,
        term_start=first_of_month(data.term_start),
        term_end=first_of_month(data.term_end),
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="welfare_post",
        object_id=post.pk,
        area_code=post.area.code,
        summary=f"public-welfare post {post.code}",
        changes={
            "kind": post.kind,
            "monthly_subsidy_fen": post.monthly_subsidy_fen,
            "temporary": post.temporary,
            "term": [post.term_start.isoformat(), post.term_end.isoformat()],
        },
    )
    return post


# ---------------------------------------------------------------- holders


def _overlaps(start: dt.date, end: dt.date | None) -> Q:
    """Holdings whose months meet [start, end] (an open end runs on)."""
    q = Q(end_month__isnull=True) | Q(end_month__gte=start)
    if end is not None:
        q &= Q(start_month__lte=end)
    return q


def migrant_months(member: Member, start: dt.date, end: dt.date) -> list[dt.date]:
    """The months in [start, end] in which the member's record in effect says working outside the county."""
    found = []
    month = start
    records = EmploymentRecord.objects.filter(member=member)
    while month <= end:
        record = effective_in(month, records).first()
        if (
            record is not None
            and record.status == Status.WORKING
            and record.place in MIGRANT_PLACES
            and (record.end_month is None or record.end_month >= month)
        ):
            found.append(month)
        month = clock.add_months(month, 1)
    return found


def holding_problems(post: Post, member: Member, start: dt.date, end: dt.date | None) -> Errors:
    """Every reason the member may not hold the post from ``start`` to ``end`` (the pack's rule)."""
    errors: Errors = {}
    rules = rules_for(post.area.code[:6], start)
    if member.exit_reason:
        add_error(errors, "member", _("This person has left the household."))
    if member.labour_capacity not in LABOUR_CAPABLE:
        add_error(errors, "member", _("This person has no labour capacity in the registry."))
    if not member.household.village.path.startswith(post.area.path):
        add_error(errors, "member", _("The post is for people of its own village or township."))
    category = person_category(member)
    if category not in rules.post_eligible:
        add_error(
            errors,
            "member",
            _("The policy pack does not admit this household's category to public-welfare posts."),
        )
    age = age_on(member.birth_date, start)
    if not rules.post_min_age <= age <= rules.post_max_age:
        add_error(
            errors,
            "member",
            lazy_format(
                _("A post holder is %(low)s to %(high)s years old; this person is %(age)s."),
                low=rules.post_min_age,
                high=rules.post_max_age,
                age=age,
            ),
        )
    if start < post.term_start or (end or start) > post.term_end:
        add_error(
            errors,
            "start_month",
            lazy_format(
                _("The post runs from %(start)s to %(end)s."),
                start=post.term_start.strftime("%Y-%m"),
                end=post.term_end.strftime("%Y-%m"),
            ),
        )
    if end is not None and end < start:
        add_error(errors, "end_month", _("The end month cannot be before the start month."))
    if post.temporary:
        if end is None:
            add_error(errors, "end_month", _("A temporary post is held until a month: give it."))
        elif end >= start and months_between(start, end) > rules.temporary_post_max_months:
            add_error(
                errors,
                "end_month",
                lazy_format(
                    _("A temporary post is held for at most %(months)s months."),
                    months=rules.temporary_post_max_months,
                ),
            )
    if PostHolding.objects.filter(post=post).filter(_overlaps(start, end)).exists():
        add_error(errors, "start_month", _("Someone else holds this post in these months."))
    if PostHolding.objects.filter(member=member).filter(_overlaps(start, end)).exists():
        add_error(errors, "member", _("This person already holds a post in these months: never two at once."))
    migrant = migrant_months(member, start, min(end or start, clock.today().replace(day=1)))
    if migrant:
        add_error(
            errors,
            "member",
            lazy_format(
                _(
                    "This person is recorded as a migrant worker in %(month)s: a post and migrant "
                    "work in the same month are not allowed."
                ),
                month=migrant[0].strftime("%Y-%m"),
            ),
        )
    return errors


@transaction.atomic
def appoint(
    *, actor: Any, post: Post, member: Member, start_month: dt.date | None, end_month: dt.date | None = None
) -> PostHolding:
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, member.household.village.path)
    if start_month is None:
        raise InvalidInput({"start_month": [_("Give the first month.")]})
    start = first_of_month(start_month)
    end = first_of_month(end_month) if end_month else None
    Member.objects.select_for_update().filter(pk=member.pk).first()  # one appointment of a person at a time
    errors = holding_problems(post, member, start, end)
    if errors:
        raise InvalidInput(errors)
    holding = PostHolding.objects.create(
        post=post, member=member, start_month=start, end_month=end, appointed_by=actor
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="welfare_post_holder",
        object_id=holding.pk,
        area_code=member.household.village.code,
        summary=f"member {member.pk} of household {member.household.number} holds post {post.code}",
        changes={"start_month": start.isoformat(), "end_month": end.isoformat() if end else None},
    )
    return holding


@transaction.atomic
def end_holding(*, actor: Any, holding: PostHolding, end_month: dt.date | None) -> None:
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, holding.member.household.village.path)
    errors: Errors = {}
    if end_month is None:
        add_error(errors, "end_month", _("Give the last month."))
    else:
        end = first_of_month(end_month)
        if end < holding.start_month:
            add_error(errors, "end_month", _("The end month cannot be before the start month."))
        if holding.end_month is not None and end > holding.end_month:
            add_error(errors, "end_month", _("A holding can be shortened here, not lengthened."))
        if holding.months.filter(month__gt=end).exists():
            add_error(errors, "end_month", _("Months after this one are already recorded as worked."))
    if errors:
        raise InvalidInput(errors)
    before = holding.end_month
    holding.end_month = first_of_month(end_month)  # type: ignore[arg-type]
    holding.save(update_fields=["end_month"])
    audit.record(
        actor=actor,
        action="update",
        object_type="welfare_post_holder",
        object_id=holding.pk,
        area_code=holding.member.household.village.code,
        summary=f"post {holding.post.code} holding ended",
        changes={"end_month": [before.isoformat() if before else None, holding.end_month.isoformat()]},
    )


# ---------------------------------------------------------------- months worked and their payment


def temporary_months_in_year(member: Member, year: int) -> int:
    return PostMonth.objects.filter(
        holding__member=member, holding__post__temporary=True, month__year=year
    ).count()


def _post_programme_opening(post: Post, year: int) -> Any:
    """The county's open opening of a pack programme for posts this year, if any."""
    from fupin.benefits import programmes as programme_info
    from fupin.benefits.models import Opening, OpeningStatus

    for opening in Opening.objects.filter(
        county__code=post.area.code[:6], year=year, status=OpeningStatus.OPEN
    ).order_by("id"):
        programme = programme_info.programme(programme_info.checked(opening.pack), opening.programme)
        if programme is not None and programme.applicant == "post":
            return opening
    return None


@transaction.atomic
def record_month(*, actor: Any, holding: PostHolding, month: dt.date | None) -> PostMonth:
    """A month the holder worked the post; refused outside the holding, twice, in a migrant month, or past
    the temporary posts' yearly limit (the fourth month)."""
    require_capability(actor, Capability.EDIT_RECORDS)
    member = holding.member
    require_capture(actor, member.household.village.path)
    if month is None:
        raise InvalidInput({"month": [_("Give the month worked.")]})
    month = first_of_month(month)
    Member.objects.select_for_update().filter(pk=member.pk).first()
    errors: Errors = {}
    post = holding.post
    if month > clock.today().replace(day=1):
        add_error(errors, "month", _("The month cannot be in the future."))
    if month < holding.start_month or (holding.end_month is not None and month > holding.end_month):
        add_error(errors, "month", _("The person does not hold the post in this month."))
    if PostMonth.objects.filter(holding=holding, month=month).exists():
        add_error(errors, "month", _("This month is already recorded."))
    if migrant_months(member, month, month):
        add_error(
            errors,
            "month",
            _(
                "This person is recorded as a migrant worker in this month: a post and migrant "
                "work in the same month are not allowed."
            ),
        )
    if post.temporary:
        limit = rules_for(post.area.code[:6], month).temporary_post_max_months
        if temporary_months_in_year(member, month.year) >= limit:
            add_error(
                errors,
                "month",
                lazy_format(
                    _(
                        "This person already has %(months)s months on temporary posts in %(year)s, the most "
                        "allowed."
                    ),
                    months=limit,
                    year=month.year,
                ),
            )
    if errors:
        raise InvalidInput(errors)
    worked = PostMonth.objects.create(
        holding=holding, month=month, subsidy_fen=post.monthly_subsidy_fen, recorded_by=actor
    )
    opening = (
        _post_programme_opening(post, month.year)
        if post.temporary and month.year == clock.today().year
        else None
    )
    if opening is not None and actor.can(Capability.ENTER_APPLICATIONS):
        from fupin.benefits import services as benefits
        from fupin.pii.crypto import get_cipher

        application = benefits.enter_application(
            actor=actor,
            opening=opening,
            data=benefits.ApplicationInput(
                applied_on=clock.today(),
                id_number=get_cipher().decrypt(member.id_number_enc),
                post_code=post.code,
                period=month,
            ),
        )
        worked.application = application
        worked.save(update_fields=["application"])
    audit.record(
        actor=actor,
        action="create",
        object_type="welfare_post_month",
        object_id=worked.pk,
        area_code=member.household.village.code,
        summary=f"post {post.code} month {month:%Y-%m} of member {member.pk}",
        changes={
            "subsidy_fen": worked.subsidy_fen,
            "application": worked.application_id,
        },
    )
    return worked
