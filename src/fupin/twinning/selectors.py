"""Reading helpers, twinning, task forces and visits. Every read goes through the scoping layer.

A user sees a helper kept in their view area, and also a helper twinned (now or before) with a
household they see: a village cadre knows who helps the village's households even when the county
keeps the helper's record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.areas.models import Area, AreaLevel
from fupin.core import clock
from fupin.core.clock import add_months
from fupin.core.errors import Message, OutOfScope
from fupin.core.i18n import lazy_format
from fupin.registry.choices import HouseholdStatus, HouseholdType, Relation
from fupin.registry.models import Household, Member
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

# ---------------------------------------------------------------- the county's settings


def county_of(area: Area) -> Area | None:
    """The county an area belongs to (itself when it is one); None above county level."""
    if not area.county_code:
        return None
    if area.level == AreaLevel.COUNTY:
        return area
    return Area.objects.filter(code=area.county_code).first()


def ranks_for(county_code: str) -> list[RankQuota]:
    """The county's ranks with their quotas; the defaults (not saved) until the county saves its own."""
    saved = list(RankQuota.objects.filter(county__code=county_code).order_by("position", "id"))
    if saved:
        return saved
    return [
        RankQuota(code=code, households=households, position=position)
        for position, (code, households) in enumerate(settings.TWINNING_DEFAULT_RANKS)
    ]


def quotas_by_county(county_codes: Iterable[str]) -> dict[str, dict[str, RankQuota]]:
    """County code → rank code → quota, for several counties in one query."""
    codes = set(county_codes)
    found: dict[str, dict[str, RankQuota]] = {code: {} for code in codes}
    for quota in RankQuota.objects.filter(county__code__in=codes).select_related("county"):
        found[quota.county.code][quota.code] = quota
    for code, ranks in found.items():
        if not ranks:
            found[code] = {rank.code: rank for rank in ranks_for(code)}
    return found


def rank_label(county_code: str, code: str) -> str:
    rank = next((r for r in ranks_for(county_code) if r.code == code), None)
    return rank.label if rank else code


@dataclass(frozen=True)
class TaskForceRules:
    min_members: int
    min_term_months: int
    require_first_secretary: bool
    version: int | None = None  # None: the county has not saved its own yet


def rules_for(county_code: str) -> TaskForceRules:
    saved = CountyTwinningRules.objects.filter(county__code=county_code).first()
    if saved is None:
        return TaskForceRules(
            min_members=settings.TWINNING_TASK_FORCE_MIN_MEMBERS,
            min_term_months=settings.TWINNING_TASK_FORCE_MIN_TERM_MONTHS,
            require_first_secretary=settings.TWINNING_REQUIRE_FIRST_SECRETARY,
        )
    return TaskForceRules(
        min_members=saved.task_force_min_members,
        min_term_months=saved.task_force_min_term_months,
        require_first_secretary=saved.require_first_secretary,
        version=saved.version,
    )


# ---------------------------------------------------------------- helpers


def helpers_for(user: Any, mode: scope.ScopeMode = "view") -> QuerySet[Helper]:
    """Helpers kept in the user's area; when reading, also those twinned with a household in view."""
    kept = scope.scope_filter(user, mode, "area__path")
    if mode == "view":
        twinned = Assignment.objects.filter(
            scope.scope_filter(user, "view", "household__village__path"), helper=OuterRef("pk")
        )
        return Helper.objects.select_related("area").filter(kept | Q(Exists(twinned)))
    return Helper.objects.select_related("area").filter(kept)


def get_helper(user: Any, pk: int) -> Helper:
    helper = helpers_for(user).filter(pk=pk).first()
    if helper is None:
        raise OutOfScope()
    return helper


def current_count_q() -> Count:
    return Count("assignments", filter=Q(assignments__ended_on__isnull=True))


@dataclass(frozen=True)
class HelperFilters:
    query: str = ""
    rank: str = ""
    active_only: bool = True
    over_quota: bool = False


@dataclass
class HelperRow:
    helper: Helper
    current: int
    quota: int | None  # None: the rank has no quota in the county any more
    rank_label: str

    @property
    def over_quota(self) -> bool:
        return self.quota is not None and self.current > self.quota

    @property
    def full(self) -> bool:
        return self.quota is not None and self.current >= self.quota


def helper_rows(
    user: Any, filters: HelperFilters, helpers: QuerySet[Helper] | None = None
) -> list[HelperRow]:
    """Helpers with how many households each helps now, against the county's quota for the rank."""
    queryset = helpers if helpers is not None else helpers_for(user)
    text = filters.query.strip()
    if text:
        queryset = queryset.filter(Q(name__contains=text) | Q(unit__contains=text))
    if filters.rank:
        queryset = queryset.filter(rank=filters.rank)
    if filters.active_only:
        queryset = queryset.filter(active=True)
    helpers_list = list(queryset.annotate(current=current_count_q()).order_by("name", "id"))
    quotas = quotas_by_county({h.area.county_code for h in helpers_list})
    rows = []
    for helper in helpers_list:
        rank = quotas.get(helper.area.county_code, {}).get(helper.rank)
        rows.append(
            HelperRow(
                helper=helper,
                current=helper.current,  # type: ignore[attr-defined]
                quota=rank.households if rank else None,
                rank_label=rank.label if rank else helper.rank,
            )
        )
    if filters.over_quota:
        rows = [row for row in rows if row.over_quota]
    return rows


def helper_row(helper: Helper) -> HelperRow:
    current = helper.assignments.filter(ended_on__isnull=True).count()
    rank = quotas_by_county([helper.area.county_code])[helper.area.county_code].get(helper.rank)
    return HelperRow(helper, current, rank.households if rank else None, rank.label if rank else helper.rank)


def assignable_helpers(user: Any, household: Household) -> list[HelperRow]:
    """Helpers the user may twin with the household: active, of the household's county, in view."""
    county = household.village.county_code
    queryset = helpers_for(user).filter(active=True, area__county_code=county)
    return helper_rows(user, HelperFilters(), queryset)


# ---------------------------------------------------------------- twinning of a household


def assignments_for(user: Any, mode: scope.ScopeMode = "view") -> QuerySet[Assignment]:
    return scope.scoped(Assignment.objects.select_related("helper__area", "household__village"), user, mode)


def get_assignment(user: Any, pk: int) -> Assignment:
    assignment = assignments_for(user).filter(pk=pk).first()
    if assignment is None:
        raise OutOfScope()
    return assignment


def household_assignments(user: Any, household: Household) -> list[Assignment]:
    """Current twinnings first, then the ended ones, newest first (the household is scope-checked)."""
    found = assignments_for(user).filter(household=household)
    return sorted(found, key=lambda a: (a.ended_on is not None, -a.started_on.toordinal(), -a.pk))


def helped_households(user: Any, helper: Helper) -> list[Assignment]:
    """The helper's twinnings with households the user sees, current first, with the last visit."""
    last = Visit.objects.filter(household=OuterRef("household")).order_by("-visited_on").values("visited_on")
    found = (
        assignments_for(user)
        .filter(helper=helper)
        .annotate(last_visit=Subquery(last[:1]))
        .order_by("ended_on", "household__number")
    )
    return sorted(found, key=lambda a: (a.ended_on is not None, a.household.number))


# ---------------------------------------------------------------- visits


def visits_for(user: Any) -> QuerySet[Visit]:
    return scope.scoped(
        Visit.objects.select_related("household__village", "helper", "recorded_by"), user, "view"
    )


def household_visits(user: Any, household: Household, limit: int | None = None) -> list[Visit]:
    visits = (
        visits_for(user)
        .filter(household=household)
        .annotate(photo_count=Count("photos"))
        .order_by("-visited_on", "-id")
    )
    return list(visits[:limit] if limit else visits)


@dataclass(frozen=True)
class VisitFilters:
    household_id: int | None = None
    helper_id: int | None = None
    visited_from: dt.date | None = None
    visited_to: dt.date | None = None
    risk_present: bool | None = None


def visit_log(user: Any, filters: VisitFilters) -> QuerySet[Visit]:
    """Visits to households in the user's view scope, newest first, with each one's photo count.

    The API's visit log; the caller checks that a household or helper it filters by is in scope.
    """
    visits = visits_for(user)
    if filters.household_id is not None:
        visits = visits.filter(household_id=filters.household_id)
    if filters.helper_id is not None:
        visits = visits.filter(helper_id=filters.helper_id)
    if filters.visited_from is not None:
        visits = visits.filter(visited_on__gte=filters.visited_from)
    if filters.visited_to is not None:
        visits = visits.filter(visited_on__lte=filters.visited_to)
    if filters.risk_present is not None:
        visits = visits.filter(risk_present=filters.risk_present)
    return visits.annotate(photo_count=Count("photos")).order_by("-visited_on", "-id")


def get_visit(user: Any, pk: int) -> Visit:
    visit = visits_for(user).prefetch_related("photos").filter(pk=pk).first()
    if visit is None:
        raise OutOfScope()
    return visit


def get_photo(user: Any, pk: int) -> VisitPhoto:
    photo = scope.scoped(VisitPhoto.objects.select_related("visit"), user, "view").filter(pk=pk).first()
    if photo is None:
        raise OutOfScope()
    return photo


def last_visit_days(
    user: Any, household_ids: Iterable[int | None], today: dt.date | None = None
) -> dict[int, int]:
    """Household id → days since its last recorded visit (households never visited are left out).

    One query for a whole page of a worklist.
    """
    ids = {pk for pk in household_ids if pk is not None}
    if not ids:
        return {}
    today = today or clock.today()
    rows = (
        visits_for(user)
        .filter(household_id__in=ids)
        .values("household_id")
        .annotate(last=Max("visited_on"))
        .order_by()
    )
    return {row["household_id"]: (today - row["last"]).days for row in rows}


# ---------------------------------------------------------------- coverage of households by helpers


def target_q(prefix: str = "") -> Q:
    """Households that must have a helper: monitoring objects, and lifted-out or registered poor
    households, unless cancelled."""
    return (
        Q(**{f"{prefix}monitoring_category__gt": ""})
        | Q(**{f"{prefix}household_type__in": [HouseholdType.LIFTED_OUT, HouseholdType.POOR]})
    ) & ~Q(**{f"{prefix}status": HouseholdStatus.CANCELLED})


def needs_helper(*, monitoring_category: str, household_type: str, status: str) -> bool:
    """``target_q`` for one household's values, outside a query (the demo county is planned in plain
    Python): the same rule, so that what the demo twins is what the coverage page counts."""
    return (
        bool(monitoring_category) or household_type in (HouseholdType.LIFTED_OUT, HouseholdType.POOR)
    ) and status != HouseholdStatus.CANCELLED


def covered_exists() -> Exists:
    return Exists(Assignment.objects.filter(household=OuterRef("pk"), ended_on__isnull=True))


def default_area(user: Any) -> Area | None:
    """The user's widest granted area (the first when several are equally wide)."""
    paths = scope.granted_paths(user, "view")
    if not paths:
        return None
    return Area.objects.filter(path__in=paths).order_by("level", "code").first()


def area_for(user: Any, code: str) -> Area | None:
    """The area of ``code`` when the user may read it, else their widest area."""
    if code:
        area = Area.objects.filter(code=code).first()
        if area is not None and scope.area_in_scope(user, area.path, "view"):
            return area
    return default_area(user)


@dataclass(frozen=True)
class CoverageRow:
    area: Area
    households: int
    uncovered: int

    @property
    def covered(self) -> int:
        return self.households - self.uncovered


@dataclass
class Coverage:
    area: Area
    households: int
    uncovered_count: int
    by_area: list[CoverageRow]
    uncovered: QuerySet[Household]
    over_quota: list[HelperRow] = field(default_factory=list)


_CHILD_KEY = {
    AreaLevel.PREFECTURE: "village__prefecture_code",
    AreaLevel.COUNTY: "village__county_code",
    AreaLevel.TOWNSHIP: "village__township_code",
    AreaLevel.VILLAGE: "village__code",
}


def coverage(user: Any, area: Area) -> Coverage:
    """Households of ``area`` that need a helper and have none now, per child area; helpers over quota."""
    households = scope.scoped(Household.objects.all(), user, "view").filter(
        target_q(), village__path__startswith=area.path
    )
    households = households.annotate(covered=covered_exists())
    children = list(Area.objects.filter(parent=area).order_by("code")) or [area]
    key = _CHILD_KEY.get(AreaLevel(children[0].level), "village__code")
    counts = {
        row[key]: row
        for row in households.values(key)
        .annotate(total=Count("id"), open=Count("id", filter=Q(covered=False)))
        .order_by()
    }
    by_area = [
        CoverageRow(
            child, counts.get(child.code, {}).get("total", 0), counts.get(child.code, {}).get("open", 0)
        )
        for child in children
    ]
    heads = Member.objects.filter(relation=Relation.HEAD, exit_reason="").order_by("id")
    uncovered = (
        households.filter(covered=False)
        .select_related("village__parent")
        .prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))
        .order_by("village__code", "number")
    )
    return Coverage(
        area=area,
        households=sum(row.households for row in by_area),
        uncovered_count=sum(row.uncovered for row in by_area),
        by_area=by_area,
        uncovered=uncovered,
        over_quota=over_quota_helpers(user, area),
    )


def over_quota_helpers(user: Any, area: Area) -> list[HelperRow]:
    """Helpers kept in the area or twinned now with one of its households, helping more than allowed."""
    in_area = Assignment.objects.filter(
        helper=OuterRef("pk"), ended_on__isnull=True, household__village__path__startswith=area.path
    )
    helpers = helpers_for(user).filter(Q(area__path__startswith=area.path) | Q(Exists(in_area)))
    return helper_rows(user, HelperFilters(active_only=False, over_quota=True), helpers)


# ---------------------------------------------------------------- helping units and task forces


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    message: Message


@dataclass
class VillageTaskForce:
    village: Area
    units: list[HelpingUnit]
    members: list[TaskForceMember]
    checks: list[Check]
    today: dt.date

    @property
    def current_units(self) -> list[HelpingUnit]:
        return [u for u in self.units if u.started_on <= self.today and u.ended_on is None]

    @property
    def current_members(self) -> list[TaskForceMember]:
        return [m for m in self.members if is_serving(m, self.today)]

    @property
    def first_secretaries(self) -> list[TaskForceMember]:
        return [m for m in self.current_members if m.role == TaskForceRole.FIRST_SECRETARY]

    @property
    def twinned(self) -> bool:
        """A village with a helping unit or task-force members recorded is held to the rules."""
        return bool(self.units or self.members)

    @property
    def passes(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


def is_serving(member: TaskForceMember, today: dt.date) -> bool:
    """In the village today: the term has begun, has not ended, and the member has not left."""
    return member.term_start <= today <= member.term_end and member.left_on is None


def check_task_force(members: list[TaskForceMember], rules: TaskForceRules, today: dt.date) -> list[Check]:
    """The county's task-force rules, each a check of its own, against the members serving today."""
    serving = [m for m in members if is_serving(m, today)]
    short = [m for m in serving if add_months(m.term_start, rules.min_term_months) > m.term_end]
    checks = [
        Check(
            "members",
            len(serving) >= rules.min_members,
            lazy_format(
                _("%(count)s members serve now; at least %(min)s are required."),
                count=len(serving),
                min=rules.min_members,
            ),
        ),
        Check(
            "term",
            not short,
            lazy_format(
                _("Terms shorter than %(months)s months: %(names)s."),
                months=rules.min_term_months,
                names="、".join(m.name for m in short),
            )
            if short
            else lazy_format(_("Every term is at least %(months)s months."), months=rules.min_term_months),
        ),
    ]
    if rules.require_first_secretary:
        has_secretary = any(m.role == TaskForceRole.FIRST_SECRETARY for m in serving)
        checks.append(
            Check(
                "first_secretary",
                has_secretary,
                _("A first secretary serves now.") if has_secretary else _("No first secretary serves now."),
            )
        )
    return checks


def villages_in(user: Any, area: Area) -> QuerySet[Area]:
    return Area.objects.filter(
        scope.scope_filter(user, "view", "path"), level=AreaLevel.VILLAGE, path__startswith=area.path
    ).select_related("parent")


def get_village(user: Any, code: str) -> Area:
    village = Area.objects.filter(code=code, level=AreaLevel.VILLAGE).select_related("parent").first()
    if village is None or not scope.area_in_scope(user, village.path, "view"):
        raise OutOfScope()
    return village


def task_forces(user: Any, villages: list[Area], today: dt.date | None = None) -> list[VillageTaskForce]:
    """Each village's helping units, task-force members and the checks of its county's rules."""
    today = today or clock.today()
    ids = [v.pk for v in villages]
    units: dict[int, list[HelpingUnit]] = {}
    for unit in scope.scoped(HelpingUnit.objects.filter(village_id__in=ids), user):
        units.setdefault(unit.village_id, []).append(unit)
    members: dict[int, list[TaskForceMember]] = {}
    for member in scope.scoped(TaskForceMember.objects.filter(village_id__in=ids), user).order_by(
        "term_end", "id"
    ):
        members.setdefault(member.village_id, []).append(member)
    rules: dict[str, TaskForceRules] = {}
    found = []
    for village in villages:
        county_rules = rules.setdefault(village.county_code, rules_for(village.county_code))
        village_members = members.get(village.pk, [])
        found.append(
            VillageTaskForce(
                village=village,
                units=units.get(village.pk, []),
                members=village_members,
                checks=check_task_force(village_members, county_rules, today),
                today=today,
            )
        )
    return found


def helping_units_for(user: Any, mode: scope.ScopeMode = "view") -> QuerySet[HelpingUnit]:
    return scope.scoped(HelpingUnit.objects.select_related("village"), user, mode)


def get_helping_unit(user: Any, pk: int) -> HelpingUnit:
    unit = helping_units_for(user).filter(pk=pk).first()
    if unit is None:
        raise OutOfScope()
    return unit


def get_task_force_member(user: Any, pk: int) -> TaskForceMember:
    member = scope.scoped(TaskForceMember.objects.select_related("village"), user).filter(pk=pk).first()
    if member is None:
        raise OutOfScope()
    return member
