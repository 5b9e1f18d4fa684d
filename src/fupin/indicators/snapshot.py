"""The registry as the indicator engine's ``facts`` table (one row per household) and ``lines`` table.

Read with one ``values_list`` query per source and assembled in Python: no names, ID numbers or
phones are read. Per-capita income comes from ``fupin.domain.income`` (the one formula) for each
household's latest income year up to the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import pyarrow as pa
from django.conf import settings
from django.db.models import Q

from fupin.assistance.models import ACTIVE_STATUSES, TAKEN_STATUSES, Measure
from fupin.assistance.rules import DEVELOPMENTAL_CATEGORIES
from fupin.cases.models import OPEN_STATES, Case, CaseKind, State
from fupin.domain.income import per_capita_net_income
from fupin.engine import indicators as ind
from fupin.engine.parameters import value_in_force
from fupin.registry.choices import HouseholdStatus, HouseholdType, LabourCapacity, SchoolingStatus
from fupin.registry.models import Household, IncomeRecord, Member, MonitoringHistory
from fupin.screening import packs
from fupin.twinning.models import Assignment

# A registered poor household that has not (yet) left poverty counts towards poverty incidence.
POOR_STATUSES = frozenset(
    {
        HouseholdStatus.NEWLY_IDENTIFIED,
        HouseholdStatus.NOT_LIFTED,
        HouseholdStatus.PRE_LIFTED,
        HouseholdStatus.RETURNED,
    }
)
WORKING = frozenset({LabourCapacity.ORDINARY, LabourCapacity.SKILLED})
OUT_OF_SCHOOL = frozenset({SchoolingStatus.DROPPED_OUT, SchoolingStatus.NEVER_ENROLLED})
RISK_BITS = {risk: 1 << bit for bit, risk in enumerate(ind.RISK_TYPES)}
CHUNK = 20000

Progress = Callable[[int, int], None]


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def facts(as_of: dt.date, *, progress: Progress | None = None) -> pa.Table:
    """Every household of the registry as of ``as_of`` (records entered later are read as they are now)."""
    school_from, school_to = 6, 15
    rows: dict[int, dict[str, object]] = {}
    total = Household.objects.count()
    for done, (
        pk,
        village,
        kind,
        status,
        category,
        risks,
        safety,
        water_difficult,
        water_safe,
        power,
    ) in enumerate(
        Household.objects.values_list(
            "pk",
            "village__code",
            "household_type",
            "status",
            "monitoring_category",
            "risk_types",
            "housing_safety",
            "water_difficult",
            "water_safe",
            "has_electricity",
        ).iterator(chunk_size=CHUNK),
        start=1,
    ):
        mask = 0
        if category:
            for risk in risks.split(","):
                mask |= RISK_BITS.get(risk, 0)
        rows[pk] = {
            "household_id": pk,
            "village_code": village,
            "household_type": kind,
            "status": status,
            "registered_poor": kind == HouseholdType.POOR and status in POOR_STATUSES,
            "monitoring_category": category,
            "risk_mask": mask,
            "monitored_since": None,
            "eliminated_on": None,
            "elimination_kind": "",
            "people": 0,
            "labourers": 0,
            "per_capita_income": None,
            "has_measure": False,
            "has_developmental": False,
            "has_helper": False,
            "open_cases": 0,
            "overdue_cases": 0,
            "dep_education": False,
            "dep_health": False,
            "dep_housing": safety in ("C", "D"),
            "dep_water": bool(water_difficult or not water_safe),
            "dep_electricity": not power,
            "dep_labour": True,  # until a member who can work is found
        }
        if progress and done % CHUNK == 0:
            progress(done, total)

    for household_id, born, labour, schooling, insured in (
        Member.objects.filter(exit_reason="")
        .values_list(
            "household_id", "birth_date", "labour_capacity", "schooling_status", "basic_medical_insurance"
        )
        .iterator(chunk_size=CHUNK)
    ):
        row = rows.get(household_id)
        if row is None:
            continue
        row["people"] = int(row["people"]) + 1  # type: ignore[call-overload]
        if labour in WORKING:
            row["labourers"] = int(row["labourers"]) + 1  # type: ignore[call-overload]
            row["dep_labour"] = False
        if not insured:
            row["dep_health"] = True
        if schooling in OUT_OF_SCHOOL and school_from <= _age(born, as_of) <= school_to:
            row["dep_education"] = True

    exclude = settings.INCOME_EXCLUDE_LISTED_ALLOWANCES
    for record in (
        IncomeRecord.objects.filter(year__lte=as_of.year)
        .order_by("household_id", "year")
        .iterator(chunk_size=CHUNK)
    ):
        row = rows.get(record.household_id)
        if row is None:
            continue
        value = per_capita_net_income(
            wage=record.wage,
            business=record.business,
            property_income=record.property_income,
            transfer=record.transfer,
            business_expenditure=record.business_expenditure,
            household_size=record.household_size,
            excluded_transfer=record.excluded_transfer,
            exclude_listed_allowances=exclude,
        )
        if value is not None:
            row["per_capita_income"] = float(value)  # the latest year wins: ordered by year

    # Monitoring spells: the start of the current (or last) one, and how it ended.
    previous: dict[int, str] = {}
    for household_id, category, since in (
        MonitoringHistory.objects.filter(effective_from__lte=as_of)
        .order_by("household_id", "effective_from", "id")
        .values_list("household_id", "category", "effective_from")
        .iterator(chunk_size=CHUNK)
    ):
        row = rows.get(household_id)
        if row is None:
            continue
        if category and not previous.get(household_id):
            row["monitored_since"] = since
            row["eliminated_on"] = None
        elif not category and previous.get(household_id):
            row["eliminated_on"] = since
        previous[household_id] = category
    for household_id, kind in (
        Case.objects.filter(kind=CaseKind.ELIMINATION, state=State.APPROVED)
        .order_by("household_id", "decided_on", "id")
        .values_list("household_id", "elimination_kind")
        .iterator(chunk_size=CHUNK)
    ):
        if household_id in rows:
            rows[household_id]["elimination_kind"] = kind

    for household_id, category, status in (
        Measure.objects.filter(status__in=ACTIVE_STATUSES)
        .values_list("household_id", "category", "status")
        .iterator(chunk_size=CHUNK)
    ):
        row = rows.get(household_id)
        if row is None:
            continue
        row["has_measure"] = True
        if category in DEVELOPMENTAL_CATEGORIES and status in TAKEN_STATUSES:
            row["has_developmental"] = True
    for household_id in (
        Assignment.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of), started_on__lte=as_of)
        .values_list("household_id", flat=True)
        .iterator(chunk_size=CHUNK)
    ):
        if household_id in rows:
            rows[household_id]["has_helper"] = True
    for household_id, step_due, decision_due in (
        Case.objects.filter(state__in=OPEN_STATES)
        .values_list("household_id", "step_due", "decision_due")
        .iterator(chunk_size=CHUNK)
    ):
        row = rows.get(household_id)
        if row is None:
            continue
        row["open_cases"] = int(row["open_cases"]) + 1  # type: ignore[call-overload]
        if step_due < as_of or decision_due < as_of:
            row["overdue_cases"] = int(row["overdue_cases"]) + 1  # type: ignore[call-overload]
    for row in rows.values():
        if not row["people"]:
            row["dep_labour"] = False  # nobody left: not a household without labour, an empty record
    if progress:
        progress(total, total)
    return ind.facts_from_rows(list(rows.values()))


def lines(county_codes: Iterable[str], as_of: dt.date) -> pa.Table:
    """Each county's poverty line, monitoring range and exit threshold from the policy pack in force."""
    pack = packs.checked().pack
    counties = sorted(set(county_codes))
    columns: dict[str, list[object]] = {name: [] for name in ind.LINES_TABLE}
    for code in counties:
        columns["county_code"].append(code)
        columns["poverty_line"].append(
            float(value_in_force(pack.parameters["poverty_line"], code, as_of).value)
        )
        columns["monitoring_range"].append(
            float(value_in_force(pack.parameters["monitoring_range"], code, as_of).value)
        )
        threshold = float(value_in_force(pack.parameters["exit_incidence_threshold"], code, as_of).value)
        columns["exit_threshold_bp"].append(round(threshold * 10000))
    return pa.table({name: pa.array(values, ind.LINES_TABLE[name].arrow) for name, values in columns.items()})
