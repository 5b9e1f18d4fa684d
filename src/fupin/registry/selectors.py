"""Reads from the registry. Every function takes the user and goes through the scoping layer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from fupin.accounts.scope import scope_filter, scoped
from fupin.areas.models import Area, AreaLevel
from fupin.core.errors import OutOfScope
from fupin.domain import idnumber
from fupin.pii.crypto import ID_TAIL_LENGTHS, get_cipher
from fupin.registry.models import Household, IncomeRecord, Member

# The fewest characters of an ID number's end that a search takes (fewer would match crowds).
MIN_ID_TAIL = min(ID_TAIL_LENGTHS)
# An area name matches from this many characters on ("村" alone would match every village).
MIN_AREA_NAME = 2
AREA_MATCH_LIMIT = 20

_DIGITS = re.compile(r"\d+X?")

TOO_FEW_ID_DIGITS = _(
    "To find someone by ID number, type its last 4 or 6 characters or all 18: "
    "fewer than 4 digits would match too many people."
)


@dataclass(frozen=True)
class HouseholdQuery:
    """What the search text is: a whole ID number, the end of one, or free text.

    ``id_tail`` is set for 4 or 6 characters (digits, X allowed last): the end of an ID number
    (also matched against household numbers). ``too_short`` is set for 1 to 3 such characters,
    which a search refuses. Other digit strings match household numbers only."""

    text: str
    id_number: str = ""
    id_tail: str = ""
    too_short: bool = False

    @property
    def sensitive(self) -> bool:
        """A look-up by part of an ID number: audited, and its results show ID numbers masked."""
        return bool(self.id_tail)


def parse_query(raw: str) -> HouseholdQuery:
    text = raw.strip()
    normalized = idnumber.normalize(text)
    if len(normalized) == 18 and normalized[:17].isdigit():
        return HouseholdQuery(text, id_number=normalized)
    if text and _DIGITS.fullmatch(normalized):
        if len(normalized) < MIN_ID_TAIL:
            return HouseholdQuery(text, too_short=True)
        if len(normalized) in ID_TAIL_LENGTHS:
            return HouseholdQuery(text, id_tail=normalized)
    return HouseholdQuery(text)


def id_tail_condition(tail: str, prefix: str = "") -> Q:
    """Members whose ID number ends in ``tail`` (4 or 6 characters), through the suffix index."""
    field, digest = get_cipher().id_tail_index(tail)
    return Q(**{f"{prefix}{field}": digest})


def areas_named(user: Any, text: str) -> list[Area]:
    """Counties, townships and villages in the user's view scope whose name contains ``text``."""
    text = text.strip()
    if len(text) < MIN_AREA_NAME or _DIGITS.fullmatch(idnumber.normalize(text)):
        return []
    found = Area.objects.filter(
        scope_filter(user, "view", "path"),
        level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE],
        name__contains=text,
    ).select_related("parent")
    return list(found.order_by("code")[:AREA_MATCH_LIMIT])


@dataclass(frozen=True)
class HouseholdFilters:
    query: str = ""  # name, household number, village or township name, ID number or its end
    area_code: str = ""
    household_type: str = ""
    status: str = ""
    monitoring_category: str = ""
    risk_type: str = ""
    monitored_only: bool = False


def households_for(user: Any, mode: str = "view") -> QuerySet[Household]:
    return scoped(Household.objects.select_related("village"), user, mode)  # type: ignore[arg-type]


def search_households(user: Any, filters: HouseholdFilters) -> QuerySet[Household]:
    """Households in the user's view scope matching the filters.

    The text is matched as ``parse_query`` reads it: a whole ID number through the blind index, the
    last 4 or 6 characters through the suffix indexes (or in the household number), otherwise part of
    a household number, a member's name, or the name of a township or village in scope. The callers
    audit a suffix look-up (``registry.services.record_id_tail_search``)."""
    queryset = households_for(user)
    query = parse_query(filters.query)
    text = query.text
    if query.too_short:
        return queryset.none()
    # Members are matched in a subquery, not a join: a join repeats a household once per member and
    # needs a DISTINCT over every column, which sorted every household of a county (0.3 s a search on
    # the 20,000-household demo); "id IN (…)", itself scoped, is computed once and hashed.
    if query.id_number:
        # Exact match through the blind index: the number itself is never in a query.
        digest = get_cipher().blind_index("id", query.id_number)
        queryset = queryset.filter(pk__in=_members_where(user, Q(id_number_bidx=digest)))
    elif query.id_tail:
        queryset = queryset.filter(
            Q(number__icontains=text) | Q(pk__in=_members_where(user, id_tail_condition(query.id_tail)))
        )
    elif text and _DIGITS.fullmatch(idnumber.normalize(text)):
        # Digits that are no ID number or ID ending are looked for in household numbers only (as the
        # list says): no name holds them, and reading every member's name for them is the slow part.
        queryset = queryset.filter(number__icontains=text)
    elif text:
        condition = Q(number__icontains=text) | Q(pk__in=_members_where(user, Q(name__contains=text)))
        for area in areas_named(user, text):
            condition |= Q(village__path__startswith=area.path)
        queryset = queryset.filter(condition)
    if filters.area_code:
        queryset = queryset.filter(village__code__startswith=filters.area_code)
    if filters.household_type:
        queryset = queryset.filter(household_type=filters.household_type)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.monitoring_category:
        queryset = queryset.filter(monitoring_category=filters.monitoring_category)
    if filters.monitored_only:
        queryset = queryset.exclude(monitoring_category="")
    if filters.risk_type:
        queryset = queryset.filter(risk_types__contains=f",{filters.risk_type},")
    return queryset.order_by("number")


def _members_where(user: Any, condition: Q) -> QuerySet[Any]:
    """The households of the members in the user's view scope that meet ``condition`` (any member,
    current or not). Scoped here too, so that a village's search reads the village's members only."""
    members = Member.objects.filter(condition, scope_filter(user, "view", "household__village__path"))
    return members.values("household_id")


def get_household(user: Any, pk: int, mode: str = "view") -> Household:
    household = households_for(user, mode).filter(pk=pk).first()
    if household is None:
        raise OutOfScope()
    return household


def get_household_by_number(user: Any, number: str, mode: str = "view") -> Household:
    household = households_for(user, mode).filter(number=number).first()
    if household is None:
        raise OutOfScope()
    return household


def members_for(user: Any, mode: str = "view") -> QuerySet[Member]:
    return scoped(Member.objects.select_related("household__village"), user, mode)  # type: ignore[arg-type]


def get_member(user: Any, pk: int, mode: str = "view") -> Member:
    member = members_for(user, mode).filter(pk=pk).first()
    if member is None:
        raise OutOfScope()
    return member


def incomes_for(user: Any) -> QuerySet[IncomeRecord]:
    return scoped(IncomeRecord.objects.all(), user)


@dataclass(frozen=True)
class ScopeCounts:
    households: int
    people: int
    lifted_out: int
    monitored: int
    by_category: dict[str, int]


def counts_for(user: Any) -> ScopeCounts:
    households = households_for(user)
    totals = households.aggregate(
        households=Count("id"),
        lifted_out=Count("id", filter=Q(household_type="lifted_out")),
        monitored=Count("id", filter=~Q(monitoring_category="")),
    )
    by_category = dict(
        households.exclude(monitoring_category="")
        .values_list("monitoring_category")
        .annotate(n=Count("id"))
        .values_list("monitoring_category", "n")
    )
    people = members_for(user).filter(exit_reason="").count()
    return ScopeCounts(
        households=totals["households"],
        people=people,
        lifted_out=totals["lifted_out"],
        monitored=totals["monitored"],
        by_category=by_category,
    )
