"""Benefit programmes as policy data: who applies, the conditions, the amount and the caps.

A programme is written in a policy pack's ``programmes`` list, beside the screening rules, and read
by the same loader (``packs.parse_pack`` calls ``parse_programmes``) and checked by the same checker
(``checker.check_pack`` calls ``check_programmes``): conditions, amounts and caps are SQL expressions
over the application's facts and the programme's own dated parameters (regional overrides included),
parsed and type-checked with SQLGlot. ``fupin.engine.benefits`` computes them on whole tables.

Caps and the order they are applied in (docs/benefits.md explains why this order):

* ``per_application`` – the most one application may get (may use the application's facts);
* ``max_months``      – the most distinct months (``period``) a person is paid in the programme;
* ``per_month``       – the most a person gets for one month, whatever the number of claims;
* ``per_person``      – the most a person gets in the programme, over all applications;
* ``per_entity``      – the most an entity (enterprise, cooperative, farm) gets in the programme;
* ``budget``          – the programme's budget for an area and period: a parameter whose values
  by region and date are the budgets (the value in force for a county names its budget).

``periods: {KIND: {period: year | life, source, confidence}}`` says over what a cap adds up: the
calendar year of ``applied_on`` (the county's opening year; the default) or every year.

``once_per_person: GROUP`` makes the first eligible application (by date, then id) for a person
among all programmes of that group the only one: later ones are refused, whichever applicant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from fupin.engine.tables import BOOLEAN, DATE, INTEGER, NUMBER, STRING, ColumnType

if TYPE_CHECKING:
    from fupin.engine.packs import Pack, Parameter, Problem, _Reader

APPLICANTS = ("person", "household", "entity", "enterprise", "post")
# Caps in the order they are applied.
CAP_KINDS = ("per_application", "max_months", "per_month", "per_person", "per_entity", "budget")
PERSON_CAPS = ("max_months", "per_month", "per_person")
# The caps that add up over applications and so count over a period: ``year`` (the calendar year of
# ``applied_on``, which is the year of the county's opening) or ``life`` (every year of the programme).
# ``per_month`` counts within its month and ``per_application`` within its application, so neither has
# a period; once-per-person is for life by its nature ("only once, whichever enterprise").
PERIOD_CAPS = ("max_months", "per_person", "per_entity", "budget")
PERIODS = ("year", "life")
# A county opens a programme for one year at a time, so a cap counts within the year unless the
# programme says ``life`` (docs/benefits.md, "Caps per year").
DEFAULT_PERIOD = "year"
# The column each applicant kind and each cap needs; an application without it is refused.
APPLICANT_ID = {
    "person": ("person_id",),
    "household": ("household_id",),
    "entity": ("entity_id",),
    "enterprise": ("entity_id",),
    "post": ("post_id", "person_id"),
}
CAP_NEEDS = {
    "max_months": ("person_id", "period"),
    "per_month": ("person_id", "period"),
    "per_person": ("person_id",),
    "per_entity": ("entity_id",),
}

# The applications table: who and when (not visible to expressions, except applied_on) ...
IDENTITY: dict[str, ColumnType] = {
    "application_id": INTEGER,
    "programme": STRING,
    "applied_on": DATE,  # orders applications: first come, first served (then by id)
    "county_code": STRING,  # chooses regional parameter values and the budget
    "person_id": INTEGER,  # the person the benefit is for (worker, post holder, migrant, borrower)
    "household_id": INTEGER,
    "entity_id": INTEGER,  # enterprise, cooperative, family farm, employer
    "post_id": INTEGER,
}
# ... and the facts expressions read. A programme may declare more under ``facts``.
FACTS: dict[str, ColumnType] = {
    "applied_on": DATE,
    "period": DATE,  # the month claimed (its first day), for per-month caps and month counts
    "person_category": STRING,  # lifted_out | monitored | poor | ordinary
    "persons_driven": INTEGER,  # lifted-out or monitored people an entity drives (带动)
    "inter_provincial": BOOLEAN,
    "contract_months": INTEGER,  # length of the labour contract or employment agreement
    "fare": NUMBER,  # actual round-trip fare, yuan
    "hire_date": DATE,
    "months_worked": INTEGER,  # months worked in the year
    "monthly_wage": NUMBER,  # yuan
    "purchases": NUMBER,  # purchases of help products, yuan
    "unsalable": BOOLEAN,  # the products are certified unsalable help products
    "extension_months": INTEGER,  # repayment extension asked for
}
FACT_TYPES = {"number": NUMBER, "integer": INTEGER, "boolean": BOOLEAN, "string": STRING, "date": DATE}
_KEYS = {
    "id",
    "title",
    "description",
    "source",
    "applicant",
    "effective",
    "conditions",
    "amount",
    "caps",
    "periods",
    "once_per_person",
    "parameters",
    "facts",
    "measure",
}
# The assistance measure a paid benefit appears as in the household's plan (fupin.assistance's categories).
MEASURES = (
    "industry",
    "employment",
    "public_welfare_post",
    "microcredit",
    "health",
    "education",
    "housing",
    "comprehensive_security",
    "social",
    "living_conditions",
)
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Condition:
    """Must be true for an application to be eligible; otherwise it is refused with ``refusal``."""

    id: str
    title: dict[str, str]
    when: str
    refusal: dict[str, str]  # zh and en, with {placeholders} of facts and parameters
    line: int | None


@dataclass(frozen=True)
class Programme:
    id: str
    title: dict[str, str]
    source: str
    applicant: str
    effective_from: Any  # dt.date
    effective_to: Any  # dt.date | None
    conditions: tuple[Condition, ...]
    amount: str | None  # yuan; None for a decision without money (a repayment extension)
    caps: dict[str, str]  # kind → expression, in CAP_KINDS order
    once_per_person: str | None
    parameters: dict[str, Parameter]
    facts: dict[str, str] = field(default_factory=dict)  # declared extra columns: name → kind
    measure: str | None = None  # the plan measure a paid benefit counts as (MEASURES)
    # kind → CapPeriod, for every cap in PERIOD_CAPS the programme has (defaults filled in)
    periods: dict[str, CapPeriod] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    line: int | None = None

    def period(self, kind: str) -> str:
        found = self.periods.get(kind)
        return found.period if found is not None else DEFAULT_PERIOD

    def needs(self) -> tuple[str, ...]:
        """The identity columns an application of this programme must have."""
        needed = list(APPLICANT_ID[self.applicant])
        if self.once_per_person:
            needed.append("person_id")
        for kind in self.caps:
            needed.extend(CAP_NEEDS.get(kind, ()))
        return tuple(dict.fromkeys(needed))

    def fact_kinds(self) -> dict[str, str]:
        return {**{n: c.kind for n, c in FACTS.items()}, **self.facts}


@dataclass(frozen=True)
class CapPeriod:
    """Over what a cap adds up, with where the reading comes from, like every number of a pack."""

    period: str  # PERIODS
    source: str
    confidence: str


def _periods(reader: _Reader, data: dict[str, Any], place: str, caps: dict[str, str]) -> dict[str, CapPeriod]:
    from fupin.engine.packs import _LINE, CONFIDENCES

    raw = data.get("periods") or {}
    if not isinstance(raw, dict):
        reader.problem(f"{place}.periods", data.get(_LINE), "'periods' maps a cap kind to its period")
        return {}
    periods: dict[str, CapPeriod] = {}
    for kind, value in raw.items():
        if kind == _LINE:
            continue
        where = f"{place}.periods.{kind}"
        if kind not in PERIOD_CAPS:
            reader.problem(where, raw.get(_LINE), f"only these caps have a period: {', '.join(PERIOD_CAPS)}")
            continue
        if kind not in caps:
            reader.problem(where, raw.get(_LINE), f"the programme has no {kind} cap")
            continue
        if not isinstance(value, dict):
            reader.problem(
                where, raw.get(_LINE), "a period is {period: year|life, source: ..., confidence: ...}"
            )
            continue
        period = reader.choice(value, "period", where, PERIODS)
        source = reader.text(value, "source", where)
        confidence = reader.choice(value, "confidence", where, CONFIDENCES)
        if period in PERIODS:
            periods[kind] = CapPeriod(period, source, confidence)
    for kind in caps:
        if kind in PERIOD_CAPS and kind not in periods:
            periods[kind] = CapPeriod(
                DEFAULT_PERIOD, "default: a county opens a programme per year", "uncertain"
            )
    return periods


def parse_programmes(reader: _Reader, raw: object) -> tuple[Programme, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        reader.problem("programmes", None, "'programmes' is a list of programmes")
        return ()
    programmes = []
    seen: set[str] = set()
    for index, data in enumerate(raw):
        programme = _programme(reader, data, index)
        if programme is None:
            continue
        if programme.id in seen:
            reader.problem(f"programmes[{programme.id}]", programme.line, "this programme id is used twice")
        seen.add(programme.id)
        programmes.append(programme)
    return tuple(programmes)


def _programme(reader: _Reader, data: object, index: int) -> Programme | None:
    from fupin.engine.packs import _LINE, PROGRAMME_PARAMETER_TYPES, _parameter

    if not isinstance(data, dict):
        reader.problem(f"programmes[{index}]", None, "a programme is a mapping with id, title, applicant, …")
        return None
    line = data.get(_LINE)
    programme_id = reader.text(data, "id", f"programmes[{index}]")
    place = f"programmes[{programme_id or index}]"
    if programme_id and not _NAME.match(programme_id):
        reader.problem(place, line, "an id is lower-case letters, digits and _ (like employment_one_time)")
    unknown = sorted(k for k in data if k != _LINE and k not in _KEYS)
    if unknown:
        reader.problem(place, line, f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    effective = data.get("effective")
    start = end = None
    if not isinstance(effective, dict):
        reader.problem(place, line, "'effective' is missing: give {from: DATE} (and to: DATE)")
    else:
        start = reader.date(effective, "from", f"{place}.effective")
        end = reader.date(effective, "to", f"{place}.effective", required=False)
        if start and end and end < start:
            reader.problem(f"{place}.effective", line, "'to' is before 'from'")

    conditions = []
    raw_conditions = data.get("conditions") or []
    if not isinstance(raw_conditions, list):
        reader.problem(place, line, "'conditions' is a list of {id, title, when, refusal}")
        raw_conditions = []
    condition_ids: set[str] = set()
    for c_index, item in enumerate(raw_conditions):
        if not isinstance(item, dict):
            reader.problem(
                f"{place}.conditions[{c_index}]", line, "a condition is {id, title, when, refusal}"
            )
            continue
        c_id = reader.text(item, "id", f"{place}.conditions[{c_index}]")
        c_place = f"{place}.conditions[{c_id or c_index}]"
        if c_id and not _NAME.match(c_id):
            reader.problem(c_place, item.get(_LINE), "an id is lower-case letters, digits and _")
        if c_id in condition_ids:
            reader.problem(c_place, item.get(_LINE), "this condition id is used twice in the programme")
        condition_ids.add(c_id)
        conditions.append(
            Condition(
                id=c_id,
                title=reader.languages(item, "title", c_place),
                when=reader.text(item, "when", c_place),
                refusal=reader.languages(item, "refusal", c_place),
                line=item.get(_LINE),
            )
        )

    caps: dict[str, str] = {}
    raw_caps = data.get("caps") or {}
    if not isinstance(raw_caps, dict):
        reader.problem(place, line, f"'caps' is a mapping of cap kinds ({', '.join(CAP_KINDS)}) to amounts")
        raw_caps = {}
    for kind, value in raw_caps.items():
        if kind == _LINE:
            continue
        if kind not in CAP_KINDS:
            reader.problem(
                f"{place}.caps",
                raw_caps.get(_LINE),
                f"unknown cap {kind!r}; choose from {', '.join(CAP_KINDS)}",
            )
            continue
        if value is None or isinstance(value, bool | dict | list):
            reader.problem(
                f"{place}.caps.{kind}", raw_caps.get(_LINE), "a cap is a parameter name or an expression"
            )
            continue
        caps[kind] = str(value)
    caps = {kind: caps[kind] for kind in CAP_KINDS if kind in caps}
    if "per_entity" in caps and any(kind in caps for kind in PERSON_CAPS):
        reader.problem(
            f"{place}.caps",
            raw_caps.get(_LINE),
            "a programme caps per person (per_person, per_month, max_months) or per entity, not both: "
            "a person's applications go to several entities, so the order of the two cuts would decide "
            "the amounts (split it into two programmes)",
        )
    amount = data.get("amount")
    if amount is not None and isinstance(amount, bool | dict | list):
        reader.problem(f"{place}.amount", line, "the amount is an expression in yuan")
        amount = None
    if amount is None and caps:
        reader.problem(f"{place}.caps", line, "caps need an 'amount' to cut")

    once = data.get("once_per_person")
    if once is not None and not (isinstance(once, str) and _NAME.match(once)):
        reader.problem(
            f"{place}.once_per_person", line, "name the group of programmes, like one_time_employment"
        )
        once = None

    parameters: dict[str, Parameter] = {}
    raw_parameters = data.get("parameters") or {}
    for name, value in raw_parameters.items() if isinstance(raw_parameters, dict) else ():
        if name == _LINE:
            continue
        p_place = f"{place}.parameters[{name}]"
        if not isinstance(value, dict):
            reader.problem(p_place, raw_parameters.get(_LINE), "a parameter is a mapping")
            continue
        if not _NAME.match(name):
            reader.problem(p_place, value.get(_LINE), "a name is lower-case letters, digits and _")
        if name in FACTS:
            reader.problem(p_place, value.get(_LINE), "this name is already a fact of the application")
        parameters[name] = _parameter(reader, name, value, types=PROGRAMME_PARAMETER_TYPES, place=p_place)

    facts: dict[str, str] = {}
    raw_facts = data.get("facts") or {}
    for name, kind in raw_facts.items() if isinstance(raw_facts, dict) else ():
        if name == _LINE:
            continue
        if kind not in FACT_TYPES:
            reader.problem(
                f"{place}.facts[{name}]",
                raw_facts.get(_LINE),
                f"a fact's type is one of {', '.join(FACT_TYPES)}",
            )
        elif name in FACTS or name in IDENTITY:
            reader.problem(f"{place}.facts[{name}]", raw_facts.get(_LINE), "this column exists already")
        elif not _NAME.match(name):
            reader.problem(
                f"{place}.facts[{name}]", raw_facts.get(_LINE), "a name is lower-case letters, digits and _"
            )
        else:
            facts[name] = str(kind)

    measure = data.get("measure")
    if measure is not None and measure not in MEASURES:
        reader.problem(f"{place}.measure", line, f"a measure is one of {', '.join(MEASURES)}")
        measure = None

    applicant = reader.choice(data, "applicant", place, APPLICANTS)
    return Programme(
        id=programme_id,
        title=reader.languages(data, "title", place),
        description=reader.languages(data, "description", place, required=False),
        source=reader.text(data, "source", place),
        applicant=applicant or "person",
        effective_from=start,
        effective_to=end,
        conditions=tuple(conditions),
        amount=None if amount is None else str(amount),
        caps=caps,
        once_per_person=once,
        parameters=parameters,
        facts=facts,
        measure=measure,
        periods=_periods(reader, data, place, caps),
        line=line,
    )


# ---------------------------------------------------------------- checking the expressions


def names_of(programme: Programme) -> dict[str, str]:
    """What the programme's expressions may name: facts and its own parameters, name → kind."""
    return {**programme.fact_kinds(), **{n: p.type for n, p in programme.parameters.items()}}


def check_programmes(pack: Pack) -> tuple[list[Problem], dict[str, exp.Expr]]:
    """Parse and type-check every programme expression. The trees are keyed
    ``PROGRAMME.conditions.ID``, ``PROGRAMME.amount`` and ``PROGRAMME.caps.KIND``."""
    from fupin.engine.checker import _NUMERIC, CheckFailed, Names, infer, parse
    from fupin.engine.packs import Problem

    problems: list[Problem] = []
    trees: dict[str, exp.Expr] = {}
    declared: dict[str, tuple[str, str]] = {}

    def fail(place: str, line: int | None, message: str) -> None:
        problems.append(Problem(pack.file, place, line, message))

    for programme in pack.programmes:
        place = f"programmes[{programme.id}]"
        for name, kind in programme.facts.items():
            other = declared.get(name)
            if other and other[1] != kind:
                fail(
                    f"{place}.facts[{name}]",
                    programme.line,
                    f"programme {other[0]} declares it as {other[1]}",
                )
            declared.setdefault(name, (programme.id, kind))
        names = Names(names_of(programme))

        def checked(
            text: str, where: str, line: int | None, kinds: set[str], what: str, names: Names = names
        ) -> exp.Expr | None:
            try:
                tree = parse(text)
                kind = infer(tree, names)
                if kind not in kinds | {"null"}:
                    raise CheckFailed(f"{what}, not {kind}")
                return tree
            except CheckFailed as error:
                fail(where, line, error.message)
                return None

        for condition in programme.conditions:
            c_place = f"{place}.conditions[{condition.id}]"
            tree = checked(
                condition.when, f"{c_place}.when", condition.line, {"boolean"}, "a condition is true or false"
            )
            if tree is not None:
                trees[f"{programme.id}.conditions.{condition.id}"] = tree
            for language, template in condition.refusal.items():
                for placeholder in _PLACEHOLDER.findall(template):
                    if placeholder not in names.kinds:
                        fail(
                            f"{c_place}.refusal.{language}", condition.line, f"unknown name {{{placeholder}}}"
                        )
        if programme.amount is not None:
            tree = checked(
                programme.amount,
                f"{place}.amount",
                programme.line,
                _NUMERIC,
                "the amount is a number of yuan",
            )
            if tree is not None:
                trees[f"{programme.id}.amount"] = tree
        for kind, text in programme.caps.items():
            what = "a number of months" if kind == "max_months" else "a number of yuan"
            tree = checked(text, f"{place}.caps.{kind}", programme.line, _NUMERIC, f"the cap is {what}")
            if tree is None:
                continue
            facts = sorted({c.name for c in tree.find_all(exp.Column)} - set(programme.parameters))
            if kind != "per_application" and facts:
                fail(
                    f"{place}.caps.{kind}",
                    programme.line,
                    f"a {kind} cap adds up over many applications, so it may use parameters only, "
                    f"not the application's {', '.join(facts)} (per_application may)",
                )
                continue
            if kind == "budget" and not (isinstance(tree, exp.Column) and tree.name in programme.parameters):
                fail(
                    f"{place}.caps.budget",
                    programme.line,
                    "the budget is one parameter, whose values by region and date are the budgets",
                )
                continue
            trees[f"{programme.id}.caps.{kind}"] = tree
    return problems, trees
