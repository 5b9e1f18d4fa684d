"""Risk-elimination gates (domain.md section 5): every one must hold before a county may eliminate.

Each gate reads the registry as it is today (members, incomes, housing, water, measures) or the
facts the elimination visit recorded (verified income, since when it is stable, rigid spending).
The case page shows all of them with the numbers; the county decision refuses while any fails.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from fupin.assistance.models import TAKEN_STATUSES, Measure
from fupin.cases.rules import ProcedureRules
from fupin.core.clock import add_months
from fupin.core.errors import Message
from fupin.core.i18n import lazy_format, lazy_join
from fupin.registry.choices import HousingSafety, LabourCapacity, RiskType, SchoolingStatus
from fupin.registry.models import Household, Member

WORKING = {LabourCapacity.ORDINARY, LabourCapacity.SKILLED, LabourCapacity.WEAK}
OUT_OF_SCHOOL = {SchoolingStatus.DROPPED_OUT, SchoolingStatus.NEVER_ENROLLED}


@dataclass(frozen=True)
class Gate:
    code: str
    passed: bool
    message: Message


def monitoring_start(household: Household) -> dt.date | None:
    """The first day of the household's current spell of monitoring, None when not monitored."""
    start: dt.date | None = None
    for entry in household.monitoring_history.order_by("effective_from", "id"):
        if entry.category and start is None:
            start = entry.effective_from
        elif not entry.category:
            start = None
    return start if household.monitoring_category else None


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def elimination_gates(
    household: Household, visit_facts: dict[str, Any], rules: ProcedureRules, today: dt.date, *, natural: bool
) -> list[Gate]:
    members = [m for m in household.members.all() if m.is_current]
    if natural and not members:
        # Nobody is left (deaths, everyone moved away): the risk is gone with the household.
        return [Gate("no_members", True, _("Nobody is left in the household: the risk is gone naturally."))]
    return [
        _gate_monitored_long_enough(household, rules, today),
        _gate_measures(household, today),
        _gate_income_above_range(household, visit_facts, rules, today),
        _gate_income_stable(visit_facts, rules, today),
        _gate_guarantees(household, members, rules, today),
        _gate_rigid_spending(visit_facts),
        _gate_labour(members),
    ]


def _gate_monitored_long_enough(household: Household, rules: ProcedureRules, today: dt.date) -> Gate:
    start = monitoring_start(household)
    months = rules.elimination_min_months
    if start is None:
        return Gate("monitored_long_enough", False, _("The household is not a monitoring object."))
    earliest = add_months(start, months)
    passed = earliest <= today
    message = lazy_format(
        _("Monitored since %(start)s; at least %(months)s months are needed (from %(earliest)s)."),
        start=start.isoformat(),
        months=months,
        earliest=earliest.isoformat(),
    )
    return Gate("monitored_long_enough", passed, message)


def _gate_measures(household: Household, today: dt.date) -> Gate:
    covered: set[str] = set()
    taken = Measure.objects.filter(household=household, status__in=TAKEN_STATUSES, started_on__lte=today)
    for measure in taken:
        covered.update(measure.risk_type_list)
    missing = [code for code in household.risk_type_list if code not in covered]
    if not household.risk_type_list:
        return Gate("measures", False, _("The household has no recorded risk types."))
    if missing:
        labels = lazy_join(
            [RiskType(code).label if code in RiskType.values else code for code in missing], ", "
        )
        return Gate("measures", False, lazy_format(_("No measure yet against: %(risks)s."), risks=labels))
    return Gate("measures", True, _("Every recorded risk type has at least one measure."))


def _gate_income_above_range(
    household: Household, facts: dict[str, Any], rules: ProcedureRules, today: dt.date
) -> Gate:
    verified = _decimal(facts.get("income_per_capita"))
    line = Decimal(str(rules.monitoring_range))
    if verified is None:
        return Gate(
            "income_above_range", False, _("The visit did not record the verified per-capita income.")
        )
    this_year = household.incomes.filter(year=today.year).first()
    recorded = this_year.per_capita_net_income if this_year else None
    figures = {"income": f"{verified:,.0f}", "range": f"{line:,.0f}"}
    if verified <= line:
        message = _("Verified per-capita income %(income)s yuan is not above this year's range of %(range)s.")
        return Gate("income_above_range", False, lazy_format(message, **figures))
    if recorded is not None and recorded <= line:
        message = _(
            "This year's income record gives %(recorded)s yuan per person, not above the range of %(range)s."
        )
        return Gate(
            "income_above_range",
            False,
            lazy_format(message, recorded=f"{recorded:,.0f}", range=figures["range"]),
        )
    message = _("Per-capita income %(income)s yuan is above this year's range of %(range)s.")
    return Gate("income_above_range", True, lazy_format(message, **figures))


def _gate_income_stable(facts: dict[str, Any], rules: ProcedureRules, today: dt.date) -> Gate:
    since = _date(facts.get("income_stable_since"))
    months = rules.income_stable_months
    if since is None:
        return Gate("income_stable", False, _("The visit did not record since when income is stable."))
    earliest = add_months(since, months)
    message = lazy_format(
        _("Income stable since %(since)s; at least %(months)s months are needed."),
        since=since.isoformat(),
        months=months,
    )
    return Gate("income_stable", earliest <= today, message)


def _gate_guarantees(
    household: Household, members: list[Member], rules: ProcedureRules, today: dt.date
) -> Gate:
    problems: list[Message] = []
    if any(
        rules.school_age_from <= _age(m.birth_date, today) <= rules.school_age_to
        and m.schooling_status in OUT_OF_SCHOOL
        for m in members
    ):
        problems.append(_("a child of compulsory-school age is out of school"))
    if any(not m.basic_medical_insurance for m in members):
        problems.append(_("a member has no basic medical insurance"))
    if household.housing_safety in (HousingSafety.C, HousingSafety.D):
        problems.append(_("the house is rated unsafe"))
    if household.water_difficult or not household.water_safe:
        problems.append(_("drinking water is not secure"))
    if problems:
        return Gate(
            "guarantees",
            False,
            lazy_format(
                _("Three guarantees and water not secure: %(problems)s."), problems=lazy_join(problems, "; ")
            ),
        )
    return Gate("guarantees", True, _("Schooling, medical care, housing and drinking water are secure."))


def _gate_rigid_spending(facts: dict[str, Any]) -> Gate:
    if facts.get("rigid_spending_resolved") is True:
        return Gate("rigid_spending", True, _("Large rigid spending is resolved."))
    return Gate("rigid_spending", False, _("The visit did not find large rigid spending resolved."))


def _gate_labour(members: list[Member]) -> Gate:
    if any(m.labour_capacity in WORKING for m in members):
        return Gate("labour", True, _("The household has labour capacity."))
    return Gate(
        "labour",
        False,
        _("Nobody in the household can work: it stays monitored with social-security support."),
    )
