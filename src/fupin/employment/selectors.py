"""Reads for employment: a member's current record and history, and the progress of an area against its
target, rolled up from the villages so that every level's figure is exactly the sum of the one below.

A member counts when they belong to a lifted-out household or a monitored one (the national figure is
"lifted-out labourers in work, monitored people included"), have not left the household, and their record
in effect in the month (the latest one starting on or before it) says working and has not ended before it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from fupin.accounts.scope import scoped
from fupin.areas.models import Area
from fupin.employment.models import EmploymentRecord, Status, Target
from fupin.registry.choices import HouseholdType, LabourCapacity
from fupin.registry.models import Household, Member

LABOUR_CAPABLE = (LabourCapacity.ORDINARY, LabourCapacity.SKILLED, LabourCapacity.WEAK)
# Lifted-out households and monitored ones (any household with a monitoring category).
COUNTED = Q(household_type=HouseholdType.LIFTED_OUT) | ~Q(monitoring_category="")


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


@lru_cache(maxsize=1)
def province_names() -> dict[str, str]:
    """Province code → name, from the administrative divisions the registry uses."""
    from fupin.areas.divisions import current_divisions

    return {code: name for code, name in current_divisions() if len(code) == 2}


def current_record(member: Member) -> EmploymentRecord | None:
    """The record no other supersedes: the member's latest."""
    return EmploymentRecord.objects.filter(member=member, superseded_by__isnull=True).order_by("-id").first()


def history(member: Member) -> list[EmploymentRecord]:
    """Every record of the member, the latest first."""
    return list(EmploymentRecord.objects.filter(member=member).select_related("recorded_by").order_by("-id"))


def counted_household(household: Household) -> bool:
    return household.household_type == HouseholdType.LIFTED_OUT or bool(household.monitoring_category)


@dataclass
class Labourer:
    member: Member
    current: EmploymentRecord | None
    history: list[EmploymentRecord]


def household_labourers(user: Any, household: Household) -> list[Labourer]:
    """The household's labour-capable members (in the user's view scope), each with their records."""
    members = list(
        scoped(Member.objects.filter(household=household), user)
        .filter(labour_capacity__in=LABOUR_CAPABLE, exit_reason="")
        .order_by("pk")
    )
    records: dict[int, list[EmploymentRecord]] = {m.pk: [] for m in members}
    for record in EmploymentRecord.objects.filter(member__in=members).order_by("-id"):
        records[record.member_id].append(record)
    return [Labourer(m, records[m.pk][0] if records[m.pk] else None, records[m.pk]) for m in members]


# ---------------------------------------------------------------- progress


def effective_in(month: dt.date, queryset: QuerySet[EmploymentRecord]) -> QuerySet[EmploymentRecord]:
    """Of ``queryset``, each member's record in effect in ``month``: started on or before it, none later."""
    later = EmploymentRecord.objects.filter(
        member=OuterRef("member"), start_month__lte=month, id__gt=OuterRef("id")
    )
    return queryset.filter(start_month__lte=month).exclude(Exists(later))


def working_in(user: Any, area: Area, month: dt.date) -> QuerySet[EmploymentRecord]:
    """The records of the people of ``area`` counted as in work in ``month`` (one per person)."""
    base = scoped(EmploymentRecord.objects.all(), user).filter(
        member__household__village__path__startswith=area.path,
        member__exit_reason="",
        member__labour_capacity__in=LABOUR_CAPABLE,
        member__household__in=Household.objects.filter(COUNTED),
    )
    return (
        effective_in(month, base)
        .filter(status=Status.WORKING)
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=month))
    )


def percent(persons: int, target: int | None) -> Decimal | None:
    """Persons as a percentage of the target, to one decimal, half up (103.8%); None without a target."""
    if not target:
        return None
    return (Decimal(persons * 100) / Decimal(target)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def latest_targets(area: Area, year: int) -> dict[str, int]:
    """Area code → the latest target of the year, for the area and every area below it."""
    found: dict[str, int] = {}
    for code, persons in (
        Target.objects.filter(area__path__startswith=area.path, year=year)
        .order_by("id")
        .values_list("area__code", "persons")
    ):
        found[code] = persons
    return found


def rolled_target(code: str, targets: dict[str, int]) -> int | None:
    """The area's own target, or else the sum of the highest targets set below it (None: none set)."""
    if code in targets:
        return targets[code]
    below = [c for c in targets if c.startswith(code) and c != code]
    highest = [c for c in below if not any(o != c and c.startswith(o) for o in below)]
    if not highest:
        return None
    return sum(targets[c] for c in highest)


@dataclass
class Row:
    area: Area
    persons: int
    labourers: int
    target: int | None
    percent: Decimal | None
    last_year: int
    allocated: int | None = None  # the sum of the targets set for the areas directly below

    @property
    def decreased(self) -> bool:
        """Fewer in work than in the same month last year: the seed asks for 'only increased'."""
        return self.persons < self.last_year

    @property
    def reached(self) -> bool:
        return self.percent is not None and self.percent >= 100

    @property
    def under_allocated(self) -> bool:
        return self.allocated is not None and self.target is not None and self.allocated < self.target


@dataclass
class Progress:
    area: Area
    year: int
    month: dt.date
    total: Row
    rows: list[Row]
    by_place: list[tuple[str, int]] = field(default_factory=list)
    by_kind: list[tuple[str, int]] = field(default_factory=list)


def _counts_by_village(queryset: QuerySet[Any]) -> Counter[str]:
    return Counter(
        {
            code: n
            for code, n in queryset.values_list("member__household__village__code")
            .annotate(n=Count("id"))
            .order_by()
        }
    )


def _sum_under(code: str, by_village: Counter[str]) -> int:
    return sum(n for village, n in by_village.items() if village.startswith(code))


def progress(user: Any, area: Area, year: int, month_number: int) -> Progress:
    """The area's persons in work in the month against its target, and the same for each area below."""
    from fupin.employment.models import Kind, Place

    month = dt.date(year, month_number, 1)
    working = working_in(user, area, month)
    now = _counts_by_village(working)
    before = _counts_by_village(working_in(user, area, dt.date(year - 1, month_number, 1)))
    labourers = Counter(
        {
            code: n
            for code, n in scoped(Member.objects.all(), user)
            .filter(
                household__village__path__startswith=area.path,
                exit_reason="",
                labour_capacity__in=LABOUR_CAPABLE,
                household__in=Household.objects.filter(COUNTED),
            )
            .values_list("household__village__code")
            .annotate(n=Count("id"))
            .order_by()
        }
    )
    targets = latest_targets(area, year)
    children = list(Area.objects.filter(parent=area).order_by("code"))

    def row(of: Area) -> Row:
        target = rolled_target(of.code, targets)
        persons = _sum_under(of.code, now)
        below = (
            [targets[c.code] for c in Area.objects.filter(parent=of) if c.code in targets]
            if of == area
            else []
        )
        return Row(
            area=of,
            persons=persons,
            labourers=_sum_under(of.code, labourers),
            target=target,
            percent=percent(persons, target),
            last_year=_sum_under(of.code, before),
            allocated=sum(below) if below else None,
        )

    place_counts = dict(working.values_list("place").annotate(n=Count("id")).order_by())
    kind_counts = dict(working.values_list("kind").annotate(n=Count("id")).order_by())
    return Progress(
        area=area,
        year=year,
        month=month,
        total=row(area),
        rows=[row(child) for child in children],
        by_place=[(str(label), place_counts.get(value, 0)) for value, label in Place.choices],
        by_kind=[(str(label), kind_counts.get(value, 0)) for value, label in Kind.choices],
    )


# ---------------------------------------------------------------- posts, workshops, returned workers


@dataclass
class WorkshopCheck:
    """Seed 002's "at least one help workshop per county": each county of the area and its workshops."""

    counties: list[tuple[Area, int]]

    @property
    def missing(self) -> list[Area]:
        return [county for county, n in self.counties if n == 0]

    @property
    def passed(self) -> bool:
        return not self.missing


def workshop_check(area: Area) -> WorkshopCheck | None:
    """Recognised or operating workshops per county of ``area`` (None below a county: no check there)."""
    from fupin.areas.models import AreaLevel
    from fupin.employment.models import Workshop, WorkshopStatus

    if area.level > AreaLevel.COUNTY:
        return None
    counties = (
        [area]
        if area.level == AreaLevel.COUNTY
        else list(Area.objects.filter(path__startswith=area.path, level=AreaLevel.COUNTY).order_by("code"))
    )
    working = Counter(
        code[:6]
        for code in Workshop.objects.filter(
            area__path__startswith=area.path,
            status__in=[WorkshopStatus.RECOGNISED, WorkshopStatus.OPERATING],
        ).values_list("area__code", flat=True)
    )
    return WorkshopCheck([(county, working.get(county.code, 0)) for county in counties])


def in_area(model: Any, user: Any, area: Area) -> QuerySet[Any]:
    """Records of ``model`` (scoped by its area) in the user's view scope within ``area``."""
    return scoped(model.objects.all(), user).filter(area__path__startswith=area.path)


def members_to_choose(user: Any, area: Area, limit: int = 500, labour_only: bool = True) -> list[Member]:
    """Members of the area the user may edit (labour-capable ones unless ``labour_only`` is off), for a
    form's chooser, by village and household."""
    from fupin.accounts.scope import granted_paths

    capture = granted_paths(user, "capture")
    q = Q()
    for path in capture:
        q |= Q(household__village__path__startswith=path)
    if not capture:
        return []
    return list(
        Member.objects.filter(q)
        .filter(
            household__village__path__startswith=area.path, exit_reason="", labour_capacity__in=LABOUR_CAPABLE
        )
        .select_related("household__village")
        .order_by("household__village__code", "household__number", "pk")[:limit]
    )


def returned_in(user: Any, area: Area) -> QuerySet[Any]:
    from fupin.employment.models import ReturnedWorker

    return (
        scoped(ReturnedWorker.objects.all(), user)
        .filter(member__household__village__path__startswith=area.path)
        .select_related("member__household__village")
        .order_by("followed_up_on", "due_on", "pk")
    )


def grants_in(user: Any, area: Area) -> QuerySet[Any]:
    from fupin.employment.models import VocationalGrant

    return (
        scoped(VocationalGrant.objects.all(), user)
        .filter(member__household__village__path__startswith=area.path)
        .select_related("member__household__village")
    )
