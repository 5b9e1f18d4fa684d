"""The rules of one household's assistance plan (domain.md section 6), on plain data.

``check(plan)`` takes a ``PlanFacts`` (the household's recorded risk types, its current members'
labour capacity and allowances, its measures with the risks their catalogue entries answer, its
incomes) and returns every ``Problem``: a stable code, a severity and a message in plain words.
Nothing here reads the database, so the rules are easy to test and the registry-wide data checks run
the same rules (``fupin.assistance.selectors.plan_problems`` builds the facts from a household).

Violations never block a save: a plan is built step by step, and the page says at once what is
still wrong. ``suggest`` proposes catalogue entries that would close the gaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from fupin.assistance.models import MeasureCategory, MeasureKind, MeasureStatus
from fupin.core.errors import Message
from fupin.core.i18n import lazy_format, lazy_join
from fupin.registry.choices import LabourCapacity, RiskType

ERROR = "error"
WARNING = "warning"

# Members who can work (the rest have lost their labour capacity or never had any).
WORKING = frozenset({LabourCapacity.ORDINARY.value, LabourCapacity.SKILLED.value, LabourCapacity.WEAK.value})

DEVELOPMENTAL_CATEGORIES = frozenset(
    {
        MeasureCategory.INDUSTRY.value,
        MeasureCategory.EMPLOYMENT.value,
        MeasureCategory.PUBLIC_WELFARE_POST.value,
        MeasureCategory.MICROCREDIT.value,
    }
)
SECURITY_CATEGORIES = frozenset({MeasureCategory.COMPREHENSIVE_SECURITY.value})
# Measures that need someone in the household who can work.
WORK_CATEGORIES = frozenset({MeasureCategory.EMPLOYMENT.value, MeasureCategory.PUBLIC_WELFARE_POST.value})

# Domain.md section 6, "risk → measure consistency": the only categories that answer these risks.
# Risk types not listed here may be answered by a measure of any category.
CONSISTENT_CATEGORIES: dict[str, frozenset[str]] = {
    RiskType.ILLNESS.value: frozenset({MeasureCategory.HEALTH.value, MeasureCategory.SOCIAL.value}),
    RiskType.SCHOOLING.value: frozenset(
        {
            MeasureCategory.COMPULSORY_EDUCATION.value,
            MeasureCategory.EDUCATION.value,
            MeasureCategory.SOCIAL.value,
        }
    ),
    RiskType.DISABILITY.value: frozenset(
        {MeasureCategory.COMPREHENSIVE_SECURITY.value, MeasureCategory.SOCIAL.value}
    ),
    RiskType.HOUSING.value: frozenset({MeasureCategory.HOUSING.value, MeasureCategory.RELOCATION.value}),
    RiskType.WATER.value: frozenset({MeasureCategory.WATER.value}),
}

# National catalogue codes of the allowances that count for a household without labour.
ALLOWANCE_CODES = frozenset({"dibao", "tekun"})

ACTIVE = frozenset({MeasureStatus.PLANNED.value, MeasureStatus.IN_PROGRESS.value, MeasureStatus.DONE.value})
TAKEN = frozenset({MeasureStatus.IN_PROGRESS.value, MeasureStatus.DONE.value})

CATEGORY_ORDER = {code: n for n, code in enumerate(MeasureCategory.values)}


def kind_of(category: str) -> str:
    """Developmental, security or other: follows from the category (domain.md section 6)."""
    if category in DEVELOPMENTAL_CATEGORIES:
        return MeasureKind.DEVELOPMENTAL.value
    if category in SECURITY_CATEGORIES:
        return MeasureKind.SECURITY.value
    return MeasureKind.OTHER.value


def category_may_answer(category: str, risk: str) -> bool:
    """Whether a measure of ``category`` may answer ``risk`` under the consistency rules."""
    allowed = CONSISTENT_CATEGORIES.get(risk)
    return allowed is None or category in allowed


def answers_of_category(category: str) -> frozenset[str]:
    """The risks a measure recorded without a catalogue entry may answer: those its category may."""
    return frozenset(risk for risk in RiskType.values if category_may_answer(category, risk))


# ---------------------------------------------------------------- the facts


@dataclass(frozen=True)
class MeasureFacts:
    """One measure of the plan. ``answers``: the risks its catalogue entry answers; ``risk_types``:
    the household's risks it is recorded against."""

    category: str
    answers: frozenset[str]
    risk_types: frozenset[str] = frozenset()
    status: str = MeasureStatus.PLANNED.value
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    type_id: int | None = None
    type_code: str = ""
    id: int | None = None
    label: Message = ""

    @property
    def kind(self) -> str:
        return kind_of(self.category)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def taken(self) -> bool:
        return self.status in TAKEN

    def answers_risk(self, risk: str) -> bool:
        return self.active and risk in self.risk_types and risk in self.answers

    def running_in(self, year: int) -> bool:
        """Begun (in progress or done) and running during some part of ``year``."""
        return (
            self.taken
            and self.started_on is not None
            and self.started_on.year <= year
            and (self.ended_on is None or self.ended_on.year >= year)
        )

    def name(self) -> Message:
        return self.label or MeasureCategory(self.category).label


@dataclass(frozen=True)
class MemberFacts:
    """A current member (those who left the household are not passed)."""

    labour_capacity: str
    receives_dibao: bool = False
    receives_tekun: bool = False


@dataclass(frozen=True)
class IncomeFacts:
    year: int
    wage: Decimal = Decimal(0)
    business: Decimal = Decimal(0)
    transfer: Decimal = Decimal(0)


@dataclass(frozen=True)
class PlanFacts:
    """One household's plan. ``needs_plan``: a monitoring object, a lifted-out (or registered poor)
    household, or one with measures; ``eliminated``: its monitoring ended with the risk eliminated."""

    risk_types: tuple[str, ...] = ()
    members: tuple[MemberFacts, ...] = ()
    measures: tuple[MeasureFacts, ...] = ()
    incomes: tuple[IncomeFacts, ...] = ()
    needs_plan: bool = True
    eliminated: bool = False

    @property
    def active_measures(self) -> list[MeasureFacts]:
        return [m for m in self.measures if m.active]

    @property
    def can_work(self) -> bool:
        return any(member.labour_capacity in WORKING for member in self.members)

    @property
    def has_allowance(self) -> bool:
        return any(member.receives_dibao or member.receives_tekun for member in self.members)

    def answered(self, risk: str) -> bool:
        return any(measure.answers_risk(risk) for measure in self.measures)

    def unanswered(self) -> list[str]:
        return [risk for risk in dict.fromkeys(self.risk_types) if not self.answered(risk)]


# ---------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: Message


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("risk_unanswered", ERROR, _("Every recorded risk type is answered by a measure")),
        Rule("measure_not_answering", WARNING, _("A measure answers the risks it is recorded against")),
        Rule("no_developmental", ERROR, _("A household that can work has a developmental measure")),
        Rule("only_security", ERROR, _("A household that can work is not left on social security alone")),
        Rule("no_allowance", ERROR, _("A household without labour has someone on 低保 or 特困")),
        Rule("work_without_labour", ERROR, _("No employment or public-welfare post where nobody can work")),
        Rule("no_start_date", ERROR, _("A measure that has begun has its start date")),
        Rule("end_before_start", ERROR, _("A measure ends after it starts")),
        Rule("wage_vs_employment", WARNING, _("Wage income agrees with employment measures")),
        Rule("business_vs_industry", WARNING, _("Business income agrees with industry measures")),
        Rule("transfer_vs_allowance", WARNING, _("Transfer income agrees with allowances")),
    )
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: Message
    measure_id: int | None = None
    risk: str = ""
    severity: str = field(default="")

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", RULES[self.code].severity)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def title(self) -> Message:
        return RULES[self.code].title


def risk_label(code: str) -> Message:
    return RiskType(code).label if code in RiskType.values else code


def category_labels(categories: Iterable[str]) -> Message:
    ordered = sorted(categories, key=lambda c: CATEGORY_ORDER.get(c, 99))
    return lazy_join([MeasureCategory(c).label for c in ordered], "、")


def _risk_problems(plan: PlanFacts) -> list[Problem]:
    problems = []
    for risk in plan.unanswered():
        allowed = CONSISTENT_CATEGORIES.get(risk)
        if allowed:
            message = lazy_format(
                _("No planned or taken measure answers the risk “%(risk)s”. It is answered by: %(kinds)s."),
                risk=risk_label(risk),
                kinds=category_labels(allowed),
            )
        else:
            message = lazy_format(
                _("No planned or taken measure answers the risk “%(risk)s”. Add a measure against it."),
                risk=risk_label(risk),
            )
        problems.append(Problem("risk_unanswered", message, risk=risk))
    for measure in plan.active_measures:
        for risk in sorted(measure.risk_types - measure.answers):
            problems.append(
                Problem(
                    "measure_not_answering",
                    lazy_format(
                        _(
                            "“%(measure)s” is recorded against the risk “%(risk)s”, which a measure of "
                            "this kind does not answer."
                        ),
                        measure=measure.name(),
                        risk=risk_label(risk),
                    ),
                    measure_id=measure.id,
                    risk=risk,
                )
            )
    return problems


def _labour_problems(plan: PlanFacts) -> list[Problem]:
    if not plan.members:
        return []  # nobody recorded: nothing to say about labour yet
    active = plan.active_measures
    problems = []
    if plan.can_work:
        if not plan.needs_plan:
            return []
        if active and all(m.category in SECURITY_CATEGORIES for m in active):
            problems.append(
                Problem(
                    "only_security",
                    _(
                        "Members of the household can work, but the plan has only comprehensive-security "
                        "measures (低保, 特困, allowances). Add a developmental measure: industry, "
                        "employment, a public-welfare post or microcredit."
                    ),
                )
            )
        elif not any(m.kind == MeasureKind.DEVELOPMENTAL for m in active):
            problems.append(
                Problem(
                    "no_developmental",
                    _(
                        "Members of the household can work, but the plan has no developmental measure. "
                        "Add one: industry, employment, a public-welfare post or microcredit."
                    ),
                )
            )
        return problems
    if plan.needs_plan and not plan.has_allowance:
        problems.append(
            Problem(
                "no_allowance",
                _(
                    "Nobody in the household can work, and nobody receives the minimum living allowance "
                    "(低保) or extreme-poverty support (特困). Apply for it, then record it on the member."
                ),
            )
        )
    for measure in active:
        if measure.category in WORK_CATEGORIES:
            problems.append(
                Problem(
                    "work_without_labour",
                    lazy_format(
                        _(
                            "“%(measure)s” needs someone who can work, but nobody in the household can. "
                            "Stop it, or correct the members' labour capacity."
                        ),
                        measure=measure.name(),
                    ),
                    measure_id=measure.id,
                )
            )
    return problems


def _date_problems(plan: PlanFacts) -> list[Problem]:
    problems = []
    for measure in plan.measures:
        if measure.taken and measure.started_on is None:
            problems.append(
                Problem(
                    "no_start_date",
                    lazy_format(_("“%(measure)s” has begun but has no start date."), measure=measure.name()),
                    measure_id=measure.id,
                )
            )
        if measure.started_on and measure.ended_on and measure.ended_on < measure.started_on:
            problems.append(
                Problem(
                    "end_before_start",
                    lazy_format(
                        _("“%(measure)s” ends on %(end)s, before it starts on %(start)s."),
                        measure=measure.name(),
                        end=measure.ended_on.isoformat(),
                        start=measure.started_on.isoformat(),
                    ),
                    measure_id=measure.id,
                )
            )
    return problems


def _income_problems(plan: PlanFacts) -> list[Problem]:
    """After the risk was eliminated, the latest year's income should show what the measures bring."""
    if not plan.eliminated or not plan.incomes:
        return []
    income = max(plan.incomes, key=lambda record: record.year)
    running = [m for m in plan.measures if m.running_in(income.year)]
    problems = []
    checks: Sequence[tuple[str, Decimal, list[MeasureFacts], Message]] = (
        (
            "wage_vs_employment",
            income.wage,
            [m for m in running if m.category in WORK_CATEGORIES],
            _(
                "The wage income of %(year)s is 0, but “%(measure)s” (employment or a public-welfare post) "
                "was running that year. Check the income record or the measure."
            ),
        ),
        (
            "business_vs_industry",
            income.business,
            [m for m in running if m.category == MeasureCategory.INDUSTRY],
            _(
                "The production and business income of %(year)s is 0, but the industry measure "
                "“%(measure)s” was running that year. Check the income record or the measure."
            ),
        ),
    )
    for code, amount, measures, text in checks:
        if amount == 0 and measures:
            problems.append(
                Problem(
                    code,
                    lazy_format(text, year=income.year, measure=measures[0].name()),
                    measure_id=measures[0].id,
                )
            )
    allowances = [m for m in running if m.category in SECURITY_CATEGORIES]
    if income.transfer == 0 and (allowances or plan.has_allowance):
        problems.append(
            Problem(
                "transfer_vs_allowance",
                lazy_format(
                    _(
                        "The transfer income of %(year)s is 0, but the household receives an allowance "
                        "(低保, 特困 or another comprehensive-security payment). Check the income record."
                    ),
                    year=income.year,
                ),
                measure_id=allowances[0].id if allowances else None,
            )
        )
    return problems


def check(plan: PlanFacts) -> list[Problem]:
    """Every rule the plan breaks, errors first, each once."""
    problems = [
        *_risk_problems(plan),
        *_labour_problems(plan),
        *_date_problems(plan),
        *_income_problems(plan),
    ]
    return sorted(problems, key=lambda problem: problem.severity != ERROR)


# ---------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class CatalogueEntry:
    """A catalogue entry available to the household's county."""

    id: int
    code: str
    category: str
    answers: frozenset[str]

    @property
    def kind(self) -> str:
        return kind_of(self.category)


REASON_RISK = "risk"
REASON_DEVELOPMENTAL = "developmental"
REASON_ALLOWANCE = "allowance"


@dataclass(frozen=True)
class Suggestion:
    entry: CatalogueEntry
    risks: tuple[str, ...]  # the household's unanswered risks the entry answers
    reason: str  # risk, developmental or allowance


def suggest(plan: PlanFacts, catalogue: Iterable[CatalogueEntry]) -> list[Suggestion]:
    """Catalogue entries that would close a gap in the plan, best first.

    An entry is suggested when it answers a recorded risk no measure answers yet, when the household
    can work and has no developmental measure (developmental entries), or when nobody can work and
    nobody receives an allowance (低保, 特困). Entries already in the plan are left out, and so are
    employment and public-welfare posts where nobody can work. Developmental entries come first for
    a household that can work; security first for one that cannot.
    """
    active = plan.active_measures
    in_plan = {m.type_id for m in active if m.type_id is not None}
    unanswered = plan.unanswered()
    known_labour = bool(plan.members)
    can_work = plan.can_work
    needs_developmental = (
        plan.needs_plan
        and known_labour
        and can_work
        and not any(m.kind == MeasureKind.DEVELOPMENTAL for m in active)
    )
    needs_allowance = (
        plan.needs_plan
        and known_labour
        and not can_work
        and not plan.has_allowance
        and not any(m.type_code in ALLOWANCE_CODES for m in active)
    )
    if known_labour and can_work:
        priority = {
            MeasureKind.DEVELOPMENTAL.value: 0,
            MeasureKind.OTHER.value: 1,
            MeasureKind.SECURITY.value: 2,
        }
    elif known_labour:
        priority = {
            MeasureKind.SECURITY.value: 0,
            MeasureKind.OTHER.value: 1,
            MeasureKind.DEVELOPMENTAL.value: 2,
        }
    else:
        priority = {}
    suggestions = []
    for entry in catalogue:
        if entry.id in in_plan:
            continue
        if known_labour and not can_work and entry.category in WORK_CATEGORIES:
            continue
        risks = tuple(
            risk for risk in unanswered if risk in entry.answers and category_may_answer(entry.category, risk)
        )
        if risks:
            reason = REASON_RISK
        elif needs_developmental and entry.kind == MeasureKind.DEVELOPMENTAL:
            reason = REASON_DEVELOPMENTAL
        elif needs_allowance and entry.code in ALLOWANCE_CODES:
            reason = REASON_ALLOWANCE
        else:
            continue
        suggestions.append(Suggestion(entry, risks, reason))
    suggestions.sort(
        key=lambda s: (
            priority.get(s.entry.kind, 0),
            -len(s.risks),
            CATEGORY_ORDER.get(s.entry.category, 99),
            s.entry.id,  # national entries in the catalogue's order, then the county's own
        )
    )
    return suggestions
