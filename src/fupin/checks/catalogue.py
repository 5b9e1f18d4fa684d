"""The named data checks across the registry, like those the national monitoring system runs.

Each check is **one Django ORM query over an area** (the materialized-path prefix of a county,
township or village) returning the failing records: filters and ``EXISTS`` sub-queries, no
``GROUP BY`` over the area and never a Python loop over its records. ORM queries rather than SQL over
the screening engine's snapshot tables, because:

- a data clerk fixes a record and looks again: the checks must read the registry as it is now, while
  a snapshot is as of the last screening run (and holds neither measures nor land nor phones);
- every failing record links to the page where it is fixed and every page read goes through the one
  scoping layer (``fupin.accounts.scope.scoped``), which works on querysets of the registry models;
- the same query runs on SQLite and PostgreSQL; with the indexes on ``household_id`` the sixteen
  checks count the demo county of 100,000 households in about 1.5 s on SQLite (0.25 s the slowest).

What a record "is" is read from the registry as the services write it: current members are those
that did not leave (``exit_reason`` empty); cancelled households (注销) are left out of every check.
The checks on measures say in SQL what the rules of one household's plan (``fupin.assistance.rules``,
shown on the plan page) say in Python, with the same definitions imported from there: a measure is
part of the plan unless stopped, has begun when in progress or done, answers a risk when recorded
against it and its kind answers it. The plan page and the checks page therefore agree; the checks
split "no measure at all" from "a risk left unanswered" so that each failure says one thing.

Phone numbers are judged on their masked form only (``138****5678`` for a mobile): no number is ever
decrypted, printed or logged here.

The thresholds a county may argue about are module constants with their reason next to them; the
compulsory-school ages and the monitoring range come from the policy pack for the area and the day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Length, Substr
from django.db.models.lookups import Exact, StartsWith
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin.areas.models import Area
from fupin.assistance import rules as plan_rules
from fupin.assistance.models import Measure, MeasureStatus
from fupin.core.clock import years_before
from fupin.registry.choices import (
    HouseholdStatus,
    HouseholdType,
    LabourCapacity,
    Relation,
    RiskType,
    SchoolingStatus,
)
from fupin.registry.models import Household, IncomeRecord, Member

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Severity = Literal["error", "warning"]
Target = Literal["household", "member", "measure", "income"]
# Where a failing record is corrected: the household page, its edit form, a member's or an income's form.
FixRoute = Literal["household", "household_edit", "member_edit", "income_edit", "plan"]

# ---------------------------------------------------------------- thresholds

# Working age. The monitoring system records "no labour" (无劳动力) for children under 16 (the legal
# working age) and for students; ordinary or skilled labour past 70 is taken as a slip (an old person
# who still farms is "weak or partial labour"). Local practice, not national text.
LABOUR_AGE_FROM = 16
LABOUR_AGE_TO = 70
# A household holding more than this much land in total (cultivated, forest, grass, water) is almost
# surely a unit mistake (square metres or fen for mu). Cultivated land in 通榆 is 15-40 mu a
# household, some households hold grassland [rough, local].
LAND_TOTAL_MAX_MU = Decimal(1000)
# A household of type ordinary with someone on 低保 is doubtful when its per-capita net income is this
# many times the monitoring range: the 低保 roll is meant for incomes below the local 低保 standard.
DIBAO_INCOME_FACTOR = Decimal(2)

# The masked form of an 11-digit mainland mobile (fupin.domain.phone.mask): 3 digits, 4 stars, 4 digits.
MOBILE_MASK = r"^1[3-9][0-9][*]{4}[0-9]{4}$"

FULL_LABOUR = (LabourCapacity.ORDINARY, LabourCapacity.SKILLED)
# What a household's plan is checked with (fupin.assistance.rules) is what the data checks check: who
# can work (weak labour included), which measures are developmental or need a worker, which categories
# answer which risk, which measures are part of the plan (all but stopped) and which have begun.
CAN_WORK = tuple(sorted(plan_rules.WORKING))
WORK_CATEGORIES = tuple(sorted(plan_rules.WORK_CATEGORIES))
DEVELOPMENTAL_CATEGORIES = tuple(sorted(plan_rules.DEVELOPMENTAL_CATEGORIES))
ACTIVE = tuple(sorted(plan_rules.ACTIVE))
TAKEN = tuple(sorted(plan_rules.TAKEN))
# Risk → measure consistency of the national data checks (domain.md section 6): a measure answers a
# risk when it is recorded against it and its catalogue entry answers it; a measure recorded without a
# catalogue entry answers the risks its category may (illness: health or social assistance, ...).
RISK_CATEGORIES = plan_rules.CONSISTENT_CATEGORIES
LAND_FIELDS = (
    "cultivated_land_mu",
    "irrigated_land_mu",
    "forest_land_mu",
    "grassland_mu",
    "water_surface_mu",
)


# ---------------------------------------------------------------- the context of one run


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class CheckContext:
    """One area on one day, with the policy values the checks need."""

    area: Area
    today: dt.date
    school_age_from: int = 6
    school_age_to: int = 15
    monitoring_range: Decimal = Decimal(6900)

    @classmethod
    def for_area(cls, area: Area, today: dt.date | None = None) -> CheckContext:
        from fupin.cases.rules import rules_for
        from fupin.core import clock

        day = today or clock.today()
        rules = rules_for(area.code, day)
        return cls(
            area=area,
            today=day,
            school_age_from=rules.school_age_from,
            school_age_to=rules.school_age_to,
            monitoring_range=Decimal(str(rules.monitoring_range)),
        )

    @property
    def path(self) -> str:
        return self.area.path

    def born_by(self, years: int) -> dt.date:
        """Someone is at least ``years`` old today if born on or before this day."""
        return years_before(self.today, years)


# ---------------------------------------------------------------- a check


@dataclass(frozen=True)
class Check:
    code: str
    title: StrOrPromise
    explanation: StrOrPromise  # what is wrong, in a clerk's words
    fix: StrOrPromise  # how to put it right
    severity: Severity
    target: Target
    fix_route: FixRoute
    failing: Callable[[CheckContext], QuerySet[Any]]
    # One line about one failing record (in the active language), read from what ``listing`` loads.
    detail: Callable[[Any, CheckContext], str]
    listing: Callable[[QuerySet[Any], CheckContext], QuerySet[Any]] = field(default=lambda qs, ctx: qs)

    @property
    def severity_label(self) -> StrOrPromise:
        return SEVERITY_LABELS[self.severity]


SEVERITY_LABELS: dict[str, StrOrPromise] = {
    "error": gettext_lazy("Error"),
    "warning": gettext_lazy("Warning"),
}


# ---------------------------------------------------------------- the records of an area


def households(ctx: CheckContext) -> QuerySet[Household]:
    return Household.objects.filter(village__path__startswith=ctx.path).exclude(
        status=HouseholdStatus.CANCELLED
    )


def members(ctx: CheckContext) -> QuerySet[Member]:
    return Member.objects.filter(household__village__path__startswith=ctx.path, exit_reason="").exclude(
        household__status=HouseholdStatus.CANCELLED
    )


def measures(ctx: CheckContext) -> QuerySet[Measure]:
    return Measure.objects.filter(household__village__path__startswith=ctx.path).exclude(
        household__status=HouseholdStatus.CANCELLED
    )


def incomes(ctx: CheckContext) -> QuerySet[IncomeRecord]:
    return IncomeRecord.objects.filter(household__village__path__startswith=ctx.path).exclude(
        household__status=HouseholdStatus.CANCELLED
    )


def _plan_members(ctx: CheckContext) -> QuerySet[Member]:
    """Members of monitored and lifted-out (or registered poor) households: the people the national
    system holds. An ordinary household's child out of school or uninsured member is a risk for
    screening (fupin.screening), not a data error."""
    return members(ctx).filter(
        ~Q(household__monitoring_category="")
        | Q(household__household_type__in=(HouseholdType.LIFTED_OUT, HouseholdType.POOR))
    )


def _current_members(**filters: Any) -> QuerySet[Member]:
    """Current members of the outer household (for ``Exists``)."""
    return Member.objects.filter(household=OuterRef("pk"), exit_reason="", **filters)


def _plan_measures(**filters: Any) -> QuerySet[Measure]:
    """Measures of the outer household's plan: planned, in progress or done (not stopped)."""
    return Measure.objects.filter(household=OuterRef("pk"), status__in=ACTIVE, **filters)


def _monitored(ctx: CheckContext) -> QuerySet[Household]:
    return households(ctx).exclude(monitoring_category="")


def _with_plan(ctx: CheckContext) -> QuerySet[Household]:
    """Households that need a plan: monitored, lifted out (or registered poor), or with measures."""
    return households(ctx).filter(
        ~Q(monitoring_category="")
        | Q(household_type__in=(HouseholdType.LIFTED_OUT, HouseholdType.POOR))
        | Exists(_plan_measures())
    )


def _answers(risk: str) -> Q:
    """A measure that answers ``risk`` (``fupin.assistance.rules.MeasureFacts.answers_risk``)."""
    by_category = Q(category__in=sorted(RISK_CATEGORIES[risk])) if risk in RISK_CATEGORIES else Q()
    return Q(risk_types__contains=f",{risk},") & (
        Q(measure_type__answers__contains=f",{risk},") | (Q(measure_type__isnull=True) & by_category)
    )


def measure_answers(measure: Measure, risk: str) -> bool:
    """``_answers`` for a loaded measure (to name the risk types left unanswered)."""
    if risk not in measure.risk_type_list:
        return False
    if measure.measure_type is not None:
        return risk in measure.measure_type.answer_list
    return plan_rules.category_may_answer(measure.category, risk)


def _net_income() -> ExpressionWrapper:
    """Net income of an income record (fupin.domain.income.net_income) as a database expression."""
    total = F("wage") + F("business") + F("property_income") + F("transfer") - F("business_expenditure")
    if settings.INCOME_EXCLUDE_LISTED_ALLOWANCES:
        total = total - F("excluded_transfer")
    return ExpressionWrapper(total, output_field=DecimalField(max_digits=14, decimal_places=2))


def _latest_year(household_ref: str) -> Subquery:
    return Subquery(
        IncomeRecord.objects.filter(household=OuterRef(household_ref)).order_by("-year").values("year")[:1]
    )


# ---------------------------------------------------------------- helpers for the detail lines


def _money(value: Decimal | float | int | None) -> str:
    return "—" if value is None else f"{Decimal(value):,.0f}"


def _mu(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def _category_list(items: list[Measure]) -> str:
    labels = list(dict.fromkeys(str(m.get_category_display()) for m in items))
    return "、".join(labels) or "—"


def _risk_labels(codes: list[str]) -> str:
    labels = dict(RiskType.choices)
    return "、".join(str(labels.get(code, code)) for code in codes) or "—"


def _with_plan_measures(queryset: QuerySet[Any], ctx: CheckContext) -> QuerySet[Any]:
    return queryset.prefetch_related(
        Prefetch(
            "measures",
            queryset=Measure.objects.filter(status__in=ACTIVE).select_related("measure_type"),
            to_attr="in_plan",
        )
    )


def _with_member_count(queryset: QuerySet[Any], ctx: CheckContext) -> QuerySet[Any]:
    return queryset.annotate(current_members=Count("members", filter=Q(members__exit_reason="")))


# ---------------------------------------------------------------- 1. age against labour capacity


def _labour_age(ctx: CheckContext) -> QuerySet[Member]:
    too_young = Q(birth_date__gt=ctx.born_by(LABOUR_AGE_FROM), labour_capacity__in=CAN_WORK)
    too_old = Q(birth_date__lte=ctx.born_by(LABOUR_AGE_TO + 1), labour_capacity__in=FULL_LABOUR)
    return members(ctx).filter(too_young | too_old)


def _labour_age_detail(member: Member, ctx: CheckContext) -> str:
    return _("Age %(age)s, recorded as %(labour)s.") % {
        "age": age_on(member.birth_date, ctx.today),
        "labour": member.get_labour_capacity_display(),
    }


# ---------------------------------------------------------------- 2. compulsory schooling


def _out_of_school(ctx: CheckContext) -> QuerySet[Member]:
    school_age = Q(
        birth_date__lte=ctx.born_by(ctx.school_age_from), birth_date__gt=ctx.born_by(ctx.school_age_to + 1)
    )
    # Finishing junior secondary school in the last year of compulsory-school age is normal.
    finished_in_time = Q(
        schooling_status=SchoolingStatus.GRADUATED, birth_date__lte=ctx.born_by(ctx.school_age_to)
    )
    return (
        _plan_members(ctx)
        .filter(school_age)
        .exclude(schooling_status=SchoolingStatus.IN_SCHOOL)
        .exclude(finished_in_time)
    )


def _out_of_school_detail(member: Member, ctx: CheckContext) -> str:
    return _("Age %(age)s, schooling: %(status)s.") % {
        "age": age_on(member.birth_date, ctx.today),
        "status": member.get_schooling_status_display(),
    }


# ---------------------------------------------------------------- 3. basic medical insurance


def _uninsured(ctx: CheckContext) -> QuerySet[Member]:
    return _plan_members(ctx).filter(basic_medical_insurance=False)


def _member_detail(member: Member, ctx: CheckContext) -> str:
    return _("%(relation)s, age %(age)s.") % {
        "relation": member.get_relation_display(),
        "age": age_on(member.birth_date, ctx.today),
    }


# ---------------------------------------------------------------- 4-6. head and spouse


def _same_sex_spouse(ctx: CheckContext) -> QuerySet[Member]:
    head_of_same_sex = Member.objects.filter(
        household=OuterRef("household"), relation=Relation.HEAD, exit_reason="", sex=OuterRef("sex")
    )
    return members(ctx).filter(relation=Relation.SPOUSE).filter(Exists(head_of_same_sex))


def _same_sex_detail(member: Member, ctx: CheckContext) -> str:
    return _("The head and this spouse are both recorded as %(sex)s.") % {"sex": member.get_sex_display()}


def _several_heads(ctx: CheckContext) -> QuerySet[Household]:
    # "A current head with another current head before it": no GROUP BY over the whole area.
    heads = Member.objects.filter(relation=Relation.HEAD, exit_reason="")
    second_head = heads.filter(household=OuterRef("pk")).filter(
        Exists(heads.filter(household=OuterRef("household"), pk__lt=OuterRef("pk")))
    )
    return households(ctx).filter(Exists(second_head))


def _count_heads(queryset: QuerySet[Any], ctx: CheckContext) -> QuerySet[Any]:
    return queryset.annotate(
        heads_count=Count("members", filter=Q(members__relation=Relation.HEAD, members__exit_reason=""))
    )


def _several_heads_detail(household: Any, ctx: CheckContext) -> str:
    return _("%(count)s current members are recorded as head.") % {"count": household.heads_count}


def _no_head(ctx: CheckContext) -> QuerySet[Household]:
    return households(ctx).filter(~Exists(_current_members(relation=Relation.HEAD)))


def _no_head_detail(household: Any, ctx: CheckContext) -> str:
    if not household.current_members:
        return _("The household has no current members.")
    return _("None of its %(count)s current members is recorded as head.") % {
        "count": household.current_members
    }


# ---------------------------------------------------------------- 7. land


def _land(ctx: CheckContext) -> QuerySet[Household]:
    negative = Q()
    for name in LAND_FIELDS:
        negative |= Q(**{f"{name}__lt": 0})
    irrigated = Q(irrigated_land_mu__gt=F("cultivated_land_mu"))
    absurd = Q(land_total__gt=LAND_TOTAL_MAX_MU)
    return (
        households(ctx)
        .alias(
            land_total=F("cultivated_land_mu")
            + F("forest_land_mu")
            + F("grassland_mu")
            + F("water_surface_mu")
        )
        .filter(negative | irrigated | absurd)
    )


def _land_detail(household: Household, ctx: CheckContext) -> str:
    problems = []
    for name in LAND_FIELDS:
        if getattr(household, name) < 0:
            problems.append(
                _("%(field)s is negative: %(value)s")
                % {
                    "field": getattr(Household._meta.get_field(name), "verbose_name", name),
                    "value": _mu(getattr(household, name)),
                }
            )
    if household.irrigated_land_mu > household.cultivated_land_mu:
        problems.append(
            _("irrigated land %(irrigated)s mu is more than the cultivated land %(cultivated)s mu")
            % {
                "irrigated": _mu(household.irrigated_land_mu),
                "cultivated": _mu(household.cultivated_land_mu),
            }
        )
    total = sum((getattr(household, name) for name in LAND_FIELDS if name != "irrigated_land_mu"), Decimal(0))
    if total > LAND_TOTAL_MAX_MU:
        problems.append(
            _("%(total)s mu in all, more than %(limit)s mu")
            % {"total": _mu(total), "limit": _mu(LAND_TOTAL_MAX_MU)}
        )
    return "; ".join(problems) + "."


# ---------------------------------------------------------------- 8. phones


def _bad_phone() -> Q:
    """A phone recorded, but not masked as a mobile is (``MOBILE_MASK``).

    In SQL by the mask's shape, which ``fupin.domain.phone.mask`` makes unambiguous: 11 characters,
    a leading 1 and stars at positions 4 to 7 only for a mobile (any other number of 11 characters
    keeps four digits in front). A regular expression would run as a Python function on SQLite.
    """
    mobile = Q(
        Exact(Length("phone_masked"), 11),
        StartsWith(F("phone_masked"), "1"),
        Exact(Substr("phone_masked", 4, 4), "****"),
    )
    return ~Q(phone_masked="") & ~mobile


def _phones(ctx: CheckContext) -> QuerySet[Household]:
    member_bad = Exists(Member.objects.filter(_bad_phone(), household=OuterRef("pk"), exit_reason=""))
    unreachable = (
        ~Q(monitoring_category="") & Q(phone_masked="") & ~Exists(_current_members().exclude(phone_masked=""))
    )
    return households(ctx).filter(_bad_phone() | member_bad | unreachable)


def _phones_listing(queryset: QuerySet[Any], ctx: CheckContext) -> QuerySet[Any]:
    return queryset.prefetch_related(
        Prefetch(
            "members",
            queryset=Member.objects.filter(exit_reason="").exclude(phone_masked=""),
            to_attr="phoned",
        )
    )


def _is_mobile_mask(masked: str) -> bool:
    return re.match(MOBILE_MASK, masked) is not None


def _phones_detail(household: Any, ctx: CheckContext) -> str:
    problems = []
    if household.phone_masked and not _is_mobile_mask(household.phone_masked):
        problems.append(
            _("contact phone %(phone)s is not a mobile number") % {"phone": household.phone_masked}
        )
    for member in household.phoned:
        if not _is_mobile_mask(member.phone_masked):
            problems.append(
                _("%(name)s's phone %(phone)s is not a mobile number")
                % {"name": member.name, "phone": member.phone_masked}
            )
    if not problems and household.monitoring_category and not household.phone_masked and not household.phoned:
        problems.append(_("a monitored household with no phone number at all"))
    return "; ".join(problems) + "."


# ---------------------------------------------------------------- 9-11. measures


def _risk_unanswered(ctx: CheckContext) -> QuerySet[Household]:
    unanswered = Q()
    for risk in RiskType.values:
        unanswered |= Q(Q(risk_types__contains=f",{risk},"), ~Exists(_plan_measures().filter(_answers(risk))))
    # A household without any measure is the next check's: here, plans that miss a risk.
    return _monitored(ctx).filter(Exists(_plan_measures())).filter(unanswered)


def _risk_unanswered_detail(household: Any, ctx: CheckContext) -> str:
    missing = [
        risk
        for risk in household.risk_type_list
        if not any(measure_answers(measure, risk) for measure in household.in_plan)
    ]
    return _("No measure answers %(risks)s; measures in the plan: %(measures)s.") % {
        "risks": _risk_labels(missing),
        "measures": _category_list(household.in_plan),
    }


def _no_measure(ctx: CheckContext) -> QuerySet[Household]:
    return _monitored(ctx).filter(~Exists(_plan_measures()))


def _no_measure_detail(household: Household, ctx: CheckContext) -> str:
    return _("%(category)s, risk types: %(risks)s.") % {
        "category": household.get_monitoring_category_display(),
        "risks": _risk_labels(household.risk_type_list),
    }


def _measure_dates(ctx: CheckContext) -> QuerySet[Measure]:
    return measures(ctx).filter(
        Q(status__in=TAKEN, started_on=None)
        | Q(status__in=TAKEN, started_on__gt=ctx.today)
        | Q(status=MeasureStatus.DONE, ended_on=None)
        | Q(ended_on__lt=F("started_on"))
    )


def _measure_dates_detail(measure: Measure, ctx: CheckContext) -> str:
    taken = measure.status in TAKEN
    if taken and measure.started_on is None:
        problem = _("no start date")
    elif taken and measure.started_on and measure.started_on > ctx.today:
        problem = _("starts in the future")
    elif measure.status == MeasureStatus.DONE and measure.ended_on is None:
        problem = _("done without an end date")
    else:
        problem = _("ends before it starts")
    return _("%(measure)s (%(status)s, %(start)s – %(end)s): %(problem)s.") % {
        "measure": measure.get_category_display(),
        "status": measure.get_status_display(),
        "start": measure.started_on.isoformat() if measure.started_on else "—",
        "end": measure.ended_on.isoformat() if measure.ended_on else "—",
        "problem": problem,
    }


# ---------------------------------------------------------------- 12-13. work measures


def _job_without_wage(ctx: CheckContext) -> QuerySet[IncomeRecord]:
    # Running in the record's year (fupin.assistance.rules.MeasureFacts.running_in).
    job_that_year = Measure.objects.filter(
        household=OuterRef("household"),
        status__in=TAKEN,
        category__in=WORK_CATEGORIES,
        started_on__year__lte=OuterRef("year"),
    ).filter(Q(ended_on=None) | Q(ended_on__year__gte=OuterRef("year")))
    return incomes(ctx).filter(year=_latest_year("household"), wage__lte=0).filter(Exists(job_that_year))


def _job_without_wage_detail(record: IncomeRecord, ctx: CheckContext) -> str:
    return _("Wage income in %(year)s: %(wage)s yuan.") % {"year": record.year, "wage": _money(record.wage)}


def _job_nobody_works(ctx: CheckContext) -> QuerySet[Household]:
    return (
        households(ctx)
        .filter(Exists(_plan_measures(category__in=WORK_CATEGORIES)))
        .filter(Exists(_current_members()))
        .filter(~Exists(_current_members(labour_capacity__in=CAN_WORK)))
    )


def _job_nobody_works_detail(household: Any, ctx: CheckContext) -> str:
    jobs = [m for m in household.in_plan if m.category in WORK_CATEGORIES]
    return _("%(measures)s, but none of the current members can work.") % {"measures": _category_list(jobs)}


# ---------------------------------------------------------------- 14-15. labour and security


def _no_developmental(ctx: CheckContext) -> QuerySet[Household]:
    return (
        _with_plan(ctx)
        .filter(Exists(_current_members(labour_capacity__in=CAN_WORK)))
        .filter(Exists(_plan_measures()))
        .filter(~Exists(_plan_measures(category__in=DEVELOPMENTAL_CATEGORIES)))
    )


def _no_developmental_detail(household: Any, ctx: CheckContext) -> str:
    return _("Measures in the plan: %(measures)s.") % {"measures": _category_list(household.in_plan)}


def _no_labour_no_allowance(ctx: CheckContext) -> QuerySet[Household]:
    on_allowance = Q(receives_dibao=True) | Q(receives_tekun=True)
    return (
        _with_plan(ctx)
        .filter(Exists(_current_members()))
        .filter(~Exists(_current_members(labour_capacity__in=CAN_WORK)))
        .filter(~Exists(_current_members().filter(on_allowance)))
    )


def _no_labour_no_allowance_detail(household: Any, ctx: CheckContext) -> str:
    return _("%(count)s current members, none can work, none receives 低保 or 特困.") % {
        "count": household.current_members
    }


# ---------------------------------------------------------------- 16. 低保 and income


def _dibao_income_limit(ctx: CheckContext) -> Decimal:
    return DIBAO_INCOME_FACTOR * ctx.monitoring_range


def _dibao_high_income(ctx: CheckContext) -> QuerySet[Household]:
    limit = Value(_dibao_income_limit(ctx), output_field=DecimalField(max_digits=14, decimal_places=2))
    rich_latest_year = (
        IncomeRecord.objects.filter(household=OuterRef("pk"), year=_latest_year("household"))
        .alias(net=_net_income())
        .filter(household_size__gt=0)
        .filter(net__gt=ExpressionWrapper(F("household_size") * limit, output_field=DecimalField()))
    )
    return (
        households(ctx)
        .filter(household_type=HouseholdType.ORDINARY)
        .filter(Exists(_current_members(receives_dibao=True)))
        .filter(Exists(rich_latest_year))
    )


def _dibao_listing(queryset: QuerySet[Any], ctx: CheckContext) -> QuerySet[Any]:
    return queryset.prefetch_related(
        Prefetch("incomes", queryset=IncomeRecord.objects.order_by("-year"), to_attr="income_years"),
        Prefetch(
            "members", queryset=Member.objects.filter(exit_reason="", receives_dibao=True), to_attr="on_dibao"
        ),
    )


def _dibao_detail(household: Any, ctx: CheckContext) -> str:
    latest = household.income_years[0] if household.income_years else None
    text = _("Per-capita net income %(income)s yuan in %(year)s, above %(limit)s yuan; %(count)s on 低保.")
    return text % {
        "income": _money(latest.per_capita_net_income if latest else None),
        "year": latest.year if latest else "—",
        "limit": _money(_dibao_income_limit(ctx)),
        "count": len(household.on_dibao),
    }


# ---------------------------------------------------------------- the catalogue
# Titles and texts are lazy: translated when shown, in the reader's language.

CATALOGUE: tuple[Check, ...] = (
    Check(
        code="labour_age",
        title=gettext_lazy("Age does not fit the labour capacity"),
        explanation=gettext_lazy(
            "A child under 16 is recorded with labour capacity, or a person over 70 with ordinary or "
            "skilled labour. The monitoring system counts children and students as having no labour."
        ),
        fix=gettext_lazy(
            "Check the birth date and the labour capacity on the member's form: a child has no labour "
            "capacity; an older person who still works has weak or partial labour."
        ),
        severity="error",
        target="member",
        fix_route="member_edit",
        failing=_labour_age,
        detail=_labour_age_detail,
    ),
    Check(
        code="school_age_out_of_school",
        title=gettext_lazy("Child of compulsory-school age not in school"),
        explanation=gettext_lazy(
            "A member of compulsory-school age (from the policy pack, 6 to 15 by default) of a "
            "monitored or lifted-out household is not recorded as in school: dropped out, never "
            "enrolled or marked as not of school age."
        ),
        fix=gettext_lazy(
            "Visit the family and confirm. If the child goes to school, record it as in school with "
            "the school level; if not, report it for the compulsory-education guarantee."
        ),
        severity="error",
        target="member",
        fix_route="member_edit",
        failing=_out_of_school,
        detail=_out_of_school_detail,
    ),
    Check(
        code="no_medical_insurance",
        title=gettext_lazy("Member without basic medical insurance"),
        explanation=gettext_lazy(
            "A current member of a monitored or lifted-out household is not recorded as insured under "
            "basic medical insurance; every monitored and lifted-out person must be insured."
        ),
        fix=gettext_lazy(
            "Check with the medical insurance office. Record the insurance on the member's form, or "
            "help the family enrol."
        ),
        severity="error",
        target="member",
        fix_route="member_edit",
        failing=_uninsured,
        detail=_member_detail,
    ),
    Check(
        code="head_spouse_same_sex",
        title=gettext_lazy("Head and spouse of the same sex"),
        explanation=gettext_lazy(
            "The spouse of the head of household is recorded with the same sex as the head."
        ),
        fix=gettext_lazy(
            "Correct the sex (compare the ID number) or the relation of the head or the spouse."
        ),
        severity="error",
        target="member",
        fix_route="member_edit",
        failing=_same_sex_spouse,
        detail=_same_sex_detail,
    ),
    Check(
        code="several_heads",
        title=gettext_lazy("More than one head of household"),
        explanation=gettext_lazy("More than one current member is recorded as head of the household."),
        fix=gettext_lazy("Open the household and give every member but the head their relation to the head."),
        severity="error",
        target="household",
        fix_route="household",
        failing=_several_heads,
        detail=_several_heads_detail,
        listing=_count_heads,
    ),
    Check(
        code="no_head",
        title=gettext_lazy("Household without a head"),
        explanation=gettext_lazy(
            "No current member is recorded as head of the household, or the household has no "
            "current members at all."
        ),
        fix=gettext_lazy(
            "Record which member is the head. If everybody has left, record that and ask the county "
            "whether the household is to be cancelled."
        ),
        severity="error",
        target="household",
        fix_route="household",
        failing=_no_head,
        detail=_no_head_detail,
        listing=_with_member_count,
    ),
    Check(
        code="land_impossible",
        title=gettext_lazy("Impossible land areas"),
        explanation=gettext_lazy(
            "A land area is negative, the irrigated land is larger than the cultivated land, or the "
            "household holds more than 1,000 mu in all (usually square metres or fen typed as mu)."
        ),
        fix=gettext_lazy("Correct the land areas in mu on the household's form, from the land contract."),
        severity="error",
        target="household",
        fix_route="household_edit",
        failing=_land,
        detail=_land_detail,
    ),
    Check(
        code="phone_not_mobile",
        title=gettext_lazy("Phone number missing or not an 11-digit mobile"),
        explanation=gettext_lazy(
            "The household's contact phone or a member's phone is not an 11-digit mobile number "
            "starting with 1 (a fixed line or a mistyped number), or a monitored household has no "
            "phone at all: cadres and the national system reach households by mobile."
        ),
        fix=gettext_lazy(
            "Ask the household for a mobile number and enter it on the household's or the member's form."
        ),
        severity="error",
        target="household",
        fix_route="household",
        failing=_phones,
        detail=_phones_detail,
        listing=_phones_listing,
    ),
    Check(
        code="risk_without_measure",
        title=gettext_lazy("Risk type without a matching measure"),
        explanation=gettext_lazy(
            "A monitored household has a recorded risk type that none of its measures answers. The "
            "national check matches: illness → health or social assistance; schooling → "
            "compulsory-education guarantee, education or social assistance; disability → "
            "comprehensive security or social assistance; housing → housing safety or relocation; "
            "drinking water → water safety. A measure answers a risk when it is recorded against it."
        ),
        fix=gettext_lazy(
            "Add a measure of a matching kind to the household's plan, or correct the recorded risk "
            "types if the risk was recorded by mistake."
        ),
        severity="error",
        target="household",
        fix_route="plan",
        failing=_risk_unanswered,
        detail=_risk_unanswered_detail,
        listing=_with_plan_measures,
    ),
    Check(
        code="monitored_without_measure",
        title=gettext_lazy("Monitored household without any measure"),
        explanation=gettext_lazy(
            "A household under monitoring has no assistance measure (planned, in progress or done): "
            "every monitoring object gets a plan with measures against its risks."
        ),
        fix=gettext_lazy("Build the household's assistance plan and record the measures that have begun."),
        severity="error",
        target="household",
        fix_route="plan",
        failing=_no_measure,
        detail=_no_measure_detail,
    ),
    Check(
        code="measure_without_dates",
        title=gettext_lazy("Measure with missing or impossible dates"),
        explanation=gettext_lazy(
            "A measure in progress or done has no start date or starts in the future, a finished "
            "measure has no end date, or a measure ends before it starts."
        ),
        fix=gettext_lazy("Open the household's measures and enter the real start and end dates."),
        severity="error",
        target="measure",
        fix_route="plan",
        failing=_measure_dates,
        detail=_measure_dates_detail,
    ),
    Check(
        code="job_measure_without_wage",
        title=gettext_lazy("Employment measure but no wage income"),
        explanation=gettext_lazy(
            "The household had an employment measure or a public-welfare post in the year of its "
            "latest income record, yet that record shows no wage income."
        ),
        fix=gettext_lazy(
            "Record the wages earned in that year's income record; if the job never started, correct "
            "the measure's status or dates."
        ),
        severity="error",
        target="income",
        fix_route="income_edit",
        failing=_job_without_wage,
        detail=_job_without_wage_detail,
    ),
    Check(
        code="job_measure_nobody_works",
        title=gettext_lazy("Employment measure where nobody can work"),
        explanation=gettext_lazy(
            "The household has an employment measure or a public-welfare post, but none of its current "
            "members is recorded with any labour capacity."
        ),
        fix=gettext_lazy(
            "Correct the labour capacity of the member who works, or replace the measure with social "
            "security support."
        ),
        severity="error",
        target="household",
        fix_route="plan",
        failing=_job_nobody_works,
        detail=_job_nobody_works_detail,
        listing=_with_plan_measures,
    ),
    Check(
        code="labour_without_developmental_measure",
        title=gettext_lazy("Household that can work but has no developmental measure"),
        explanation=gettext_lazy(
            "A household with a member who can work has measures in its plan, but none "
            "developmental (industry, employment, public-welfare post, microcredit): support with "
            "comprehensive security alone is an error for a household that can work."
        ),
        fix=gettext_lazy(
            "Add an industry or employment measure to the plan, or correct the labour capacity of "
            "members who cannot in fact work."
        ),
        severity="error",
        target="household",
        fix_route="plan",
        failing=_no_developmental,
        detail=_no_developmental_detail,
        listing=_with_plan_measures,
    ),
    Check(
        code="no_labour_no_allowance",
        title=gettext_lazy("No labour and no minimum allowance"),
        explanation=gettext_lazy(
            "Nobody in a household that needs a plan (monitored, lifted out or with measures) can work, "
            "and no member is recorded as receiving the minimum living allowance (低保) or "
            "extreme-poverty support (特困)."
        ),
        fix=gettext_lazy(
            "Check with the civil affairs office: apply for 低保 or 特困 for the household, or record "
            "it on the member who receives it."
        ),
        severity="error",
        target="household",
        fix_route="household",
        failing=_no_labour_no_allowance,
        detail=_no_labour_no_allowance_detail,
        listing=_with_member_count,
    ),
    Check(
        code="dibao_high_income",
        title=gettext_lazy("Minimum allowance in an ordinary household with high income"),
        explanation=gettext_lazy(
            "An ordinary household has a member recorded on the minimum living allowance (低保) while "
            "its latest per-capita net income is more than twice the monitoring range."
        ),
        fix=gettext_lazy(
            "Check the income record and the allowance roll with the civil affairs office; correct "
            "whichever is wrong."
        ),
        severity="warning",
        target="household",
        fix_route="household",
        failing=_dibao_high_income,
        detail=_dibao_detail,
        listing=_dibao_listing,
    ),
)

CHECKS: dict[str, Check] = {check.code: check for check in CATALOGUE}


def get(code: str) -> Check:
    """The check with this code (``KeyError`` for an unknown one)."""
    return CHECKS[code]
