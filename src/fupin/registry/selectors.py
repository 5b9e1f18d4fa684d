"""Reads from the registry. Every function takes the user and goes through the scoping layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from fupin.accounts.scope import scoped
from fupin.core.errors import OutOfScope
from fupin.domain import idnumber
from fupin.pii.crypto import get_cipher
from fupin.registry.models import Household, IncomeRecord, Member


@dataclass(frozen=True)
class HouseholdFilters:
    query: str = ""  # name, household number or ID number
    area_code: str = ""
    household_type: str = ""
    status: str = ""
    monitoring_category: str = ""
    risk_type: str = ""
    monitored_only: bool = False


def households_for(user: Any, mode: str = "view") -> QuerySet[Household]:
    return scoped(Household.objects.select_related("village"), user, mode)  # type: ignore[arg-type]


def search_households(user: Any, filters: HouseholdFilters) -> QuerySet[Household]:
    queryset = households_for(user)
    text = filters.query.strip()
    if text:
        normalized = idnumber.normalize(text)
        if len(normalized) == 18 and normalized[:17].isdigit():
            # Exact match through the blind index: the number itself is never in a query.
            digest = get_cipher().blind_index("id", normalized)
            queryset = queryset.filter(members__id_number_bidx=digest)
        else:
            queryset = queryset.filter(Q(number__icontains=text) | Q(members__name__contains=text))
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
    return queryset.distinct().order_by("number")


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
