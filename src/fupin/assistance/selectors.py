"""Reading the measure catalogue and the households' plans; measures always through the scoping layer.

``plan_problems(household)`` is the one way to check a plan: the plan page, the household page and
the registry-wide data checks all call it (or ``plan_problems_by_household`` for many at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Prefetch, Q, QuerySet
from django.utils.functional import Promise, lazy

from fupin.accounts import scope
from fupin.areas.models import Area, AreaLevel
from fupin.assistance import rules
from fupin.assistance.models import Measure, MeasureType, MeasureTypeOff
from fupin.core.errors import OutOfScope
from fupin.registry.choices import HouseholdStatus, HouseholdType
from fupin.registry.models import Household, IncomeRecord, Member, MonitoringHistory


def measures_of(user: Any, household: Household) -> QuerySet[Measure]:
    """The household's measures, oldest first (empty outside the user's view scope)."""
    return (
        scope.scoped(Measure.objects.all(), user)
        .filter(household=household)
        .select_related("measure_type")
        .order_by("started_on", "id")
    )


def get_measure(user: Any, pk: int, mode: scope.ScopeMode = "view") -> Measure:
    measure = (
        scope.scoped(Measure.objects.select_related("household__village", "measure_type"), user, mode)
        .filter(pk=pk)
        .first()
    )
    if measure is None:
        raise OutOfScope()
    return measure


# ---------------------------------------------------------------- the catalogue


def catalogue_for(county_code: str) -> QuerySet[MeasureType]:
    """The entries a county's plans may use: national and the county's own, in use, not switched off."""
    switched_off = MeasureTypeOff.objects.filter(county__code=county_code).values("measure_type_id")
    return (
        MeasureType.objects.filter(active=True)
        .filter(Q(county__isnull=True) | Q(county__code=county_code))
        .exclude(pk__in=switched_off)
        .order_by("category", "county_id", "code")
    )


@dataclass(frozen=True)
class CatalogueRow:
    entry: MeasureType
    in_use: bool  # not switched off for the county
    measures: int  # how many measures of the county's households use it


def catalogue_rows(county: Area) -> list[CatalogueRow]:
    """Every entry the county sees on its catalogue page (national and its own, retired ones left out)."""
    entries = list(
        MeasureType.objects.filter(active=True)
        .filter(Q(county__isnull=True) | Q(county=county))
        .order_by("category", "county_id", "code")
    )
    off = set(MeasureTypeOff.objects.filter(county=county).values_list("measure_type_id", flat=True))
    used: dict[int, int] = {}
    for type_id in Measure.objects.filter(
        household__village__path__startswith=county.path, measure_type__isnull=False
    ).values_list("measure_type_id", flat=True):
        used[type_id] = used.get(type_id, 0) + 1
    return [CatalogueRow(entry, entry.pk not in off, used.get(entry.pk, 0)) for entry in entries]


def counties_for(user: Any) -> list[Area]:
    """The counties the user sees (the county of each granted area, or every county under it)."""
    paths = scope.granted_paths(user, "view")
    if not paths:
        return []
    codes: set[str] = set()
    wide = Q(pk__in=[])
    for path in paths:
        code = path.strip("/").split("/")[-1]
        if len(code) >= 6:
            codes.add(code[:6])
        else:
            wide |= Q(path__startswith=path)
    return list(Area.objects.filter(level=AreaLevel.COUNTY).filter(Q(code__in=codes) | wide).order_by("code"))


def _entry_of(measure_type: MeasureType) -> rules.CatalogueEntry:
    return rules.CatalogueEntry(
        id=measure_type.pk,
        code=measure_type.code,
        category=measure_type.category,
        answers=frozenset(measure_type.answer_list),
    )


# ---------------------------------------------------------------- plans


def _name(record: Measure | MeasureType) -> str:
    return record.title if isinstance(record, Measure) else record.name


_lazy_name = lazy(_name, str)


def lazy_name(record: Measure | MeasureType) -> Promise:
    """The measure's or entry's name in the language active when the message is shown."""
    return cast(Promise, _lazy_name(record))


def measure_facts(measure: Measure) -> rules.MeasureFacts:
    measure_type = measure.measure_type
    answers = (
        frozenset(measure_type.answer_list)
        if measure_type is not None
        else rules.answers_of_category(measure.category)
    )
    label = lazy_name(measure)
    return rules.MeasureFacts(
        category=measure.category,
        answers=answers,
        risk_types=frozenset(measure.risk_type_list),
        status=measure.status,
        started_on=measure.started_on,
        ended_on=measure.ended_on,
        type_id=measure.measure_type_id,
        type_code=measure_type.code if measure_type else "",
        id=measure.pk,
        label=label,
    )


def with_plan_data(households: QuerySet[Household]) -> QuerySet[Household]:
    """Prefetch what ``plan_facts`` reads, for checking many households in a few queries."""
    return households.select_related("village").prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by("id")),
        Prefetch(
            "measures", queryset=Measure.objects.select_related("measure_type").order_by("started_on", "id")
        ),
        Prefetch("incomes", queryset=IncomeRecord.objects.order_by("-year")),
        Prefetch("monitoring_history", queryset=MonitoringHistory.objects.order_by("effective_from", "id")),
    )


def plan_facts(household: Household) -> rules.PlanFacts:
    """The plain facts the plan rules read (uses prefetched relations when there are any)."""
    members = [m for m in household.members.all() if m.is_current]
    measures = list(household.measures.all())
    monitored = bool(household.monitoring_category)
    eliminated = not monitored and any(entry.category for entry in household.monitoring_history.all())
    needs_plan = (
        monitored
        or (
            household.household_type in (HouseholdType.LIFTED_OUT, HouseholdType.POOR)
            and household.status != HouseholdStatus.CANCELLED
        )
        or any(measure.status in rules.ACTIVE for measure in measures)
    )
    return rules.PlanFacts(
        risk_types=tuple(household.risk_type_list),
        members=tuple(
            rules.MemberFacts(m.labour_capacity, m.receives_dibao, m.receives_tekun) for m in members
        ),
        measures=tuple(measure_facts(measure) for measure in measures),
        incomes=tuple(
            rules.IncomeFacts(year=i.year, wage=i.wage, business=i.business, transfer=i.transfer)
            for i in household.incomes.all()
        ),
        needs_plan=needs_plan,
        eliminated=eliminated,
    )


def plan_problems(household: Household) -> list[rules.Problem]:
    """Every plan rule the household's plan breaks (domain.md section 6), errors first."""
    return rules.check(plan_facts(household))


def plan_problems_by_household(
    households: QuerySet[Household], chunk_size: int = 500
) -> Iterator[tuple[Household, list[rules.Problem]]]:
    """Each household of the (already scoped) queryset with its plan problems, a chunk at a time."""
    for household in with_plan_data(households).iterator(chunk_size=chunk_size):
        yield household, plan_problems(household)


@dataclass(frozen=True)
class SuggestedEntry:
    entry: MeasureType
    risks: list[str]
    reason: str


# How many suggestions of each reason a page shows: every developmental entry would fill a page.
SUGGESTION_LIMITS = {rules.REASON_RISK: 10, rules.REASON_DEVELOPMENTAL: 4, rules.REASON_ALLOWANCE: 2}


def suggestions_for(household: Household, facts: rules.PlanFacts | None = None) -> list[SuggestedEntry]:
    """Catalogue entries that would close gaps in the household's plan, best first."""
    entries = {entry.pk: entry for entry in catalogue_for(household.village.code[:6])}
    found = rules.suggest(facts or plan_facts(household), (_entry_of(e) for e in entries.values()))
    shown: list[SuggestedEntry] = []
    counts: dict[str, int] = {}
    developmental_categories: set[str] = set()
    for suggestion in found:
        if suggestion.reason == rules.REASON_DEVELOPMENTAL:
            # One of each: industry, employment, a post, microcredit, rather than four industry entries.
            if suggestion.entry.category in developmental_categories:
                continue
            developmental_categories.add(suggestion.entry.category)
        counts[suggestion.reason] = counts.get(suggestion.reason, 0) + 1
        if counts[suggestion.reason] <= SUGGESTION_LIMITS[suggestion.reason]:
            shown.append(
                SuggestedEntry(entries[suggestion.entry.id], list(suggestion.risks), suggestion.reason)
            )
    return shown


def grouped_entries(entries: Iterable[MeasureType]) -> list[tuple[str, list[MeasureType]]]:
    """Entries under their category labels, in the categories' order."""
    groups: dict[str, list[MeasureType]] = {}
    for entry in sorted(
        entries, key=lambda e: (rules.CATEGORY_ORDER.get(e.category, 99), e.county_id or 0, e.code)
    ):
        groups.setdefault(entry.category, []).append(entry)
    return [(category, items) for category, items in groups.items()]
