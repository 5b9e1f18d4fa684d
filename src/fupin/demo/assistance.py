"""Assistance in the demo county: plans of measures, helpers twinned with households, helping units,
village task forces and visits, written in bulk after the households.

``plan_assistance`` decides everything in plain Python from the generated county and the measure
catalogue, deterministically for the seed (its own ``random.Random``, records taken in the generated
order); ``write_assistance`` writes it with ``bulk_create`` in batches, like the loader (no service
per row, no audit entry per row: the load stays one audit entry).

What a cadre would expect to find [rough, local practice]:

- a monitored household has a plan: at least one measure against each recorded risk type, from the
  national catalogue entries that answer it and fit the family (a disability allowance needs a
  certificate, keeping a pupil in school needs a pupil who dropped out ...); a developmental measure
  (industry, employment, a public-welfare post, microcredit) where someone can work; the 低保 or 特困
  it receives. Measures begin after the household entered monitoring, most are in progress, one-off
  help is done. **About 8% of the plans are left incomplete on purpose** (no measure yet, a risk left
  unanswered, no developmental measure, a done measure without its end date), so that the data checks
  (``fupin check``) and the plan page have real findings to show;
- a household whose risk was eliminated has the done measures that answered its risks then;
- many lifted-out households have an older, done industry or employment measure from the years of
  poverty alleviation;
- about 97% of the households that need a helper (``twinning.selectors.needs_helper``, the rule the
  coverage page counts by: monitored households, and lifted-out and registered poor households) are
  twinned with one within the "321" quotas of the helper's rank, helpers being cadres of the unit
  that helps the village (county leaders of the county's leading bodies); the few left without one
  give the coverage page and its worklist something to show. Most villages with monitored
  households have a helping unit and a task force (a first secretary and two members on terms of at
  least two years), a few a task force one member short; helpers have visited most of their
  households in the last months, some long ago.

Helpers' phones are stored as the registry stores them: encrypted, with a blind index and a masked copy.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from fupin.areas.models import Area
from fupin.assistance import rules as plan_rules
from fupin.assistance.models import Measure, MeasureStatus, MeasureType, MeasureTypeOff
from fupin.core.clock import add_months
from fupin.demo import generator
from fupin.domain import phone
from fupin.pii.crypto import get_cipher
from fupin.twinning import selectors as twinning
from fupin.twinning.models import Assignment, Helper, HelpingUnit, TaskForceMember, TaskForceRole, Visit

# ----------------------------------------------------------------------------- figures [rough]

# Plans left incomplete on purpose, and how, in turn: findings for the data checks and the plan page
# (of ten, three without any measure, three with a risk left unanswered, three without a developmental
# measure, one with a done measure missing its end date).
INCOMPLETE_SHARE = 0.08
_GAP_ROUND = ("no_measure", "risk_unanswered", "no_developmental")
GAPS = (*_GAP_ROUND, "done_without_end", *_GAP_ROUND, *_GAP_ROUND)
LIFTED_PAST_MEASURE_SHARE = 0.85  # lifted-out households with an older, done industry or employment measure
HELPER_COVERAGE = 0.97  # households that need a helper (needs_helper) twinned with one
# Lifted-out households kept a helper after the years of poverty alleviation; the current one was
# twinned when the helpers were reassigned for the transition period (or when the household was lifted).
REASSIGNED_FROM, REASSIGNED_TO = dt.date(2021, 6, 1), dt.date(2023, 6, 30)
HELPING_UNIT_SHARE = 0.9  # villages with monitored households that have a helping unit and a task force
SHORT_TASK_FORCE_SHARE = 0.08  # of those, task forces one member short
PREVIOUS_UNIT_SHARE = 0.3  # villages whose helping unit changed after the years of poverty alleviation
PREVIOUS_SECRETARY_SHARE = 0.5  # villages with an earlier first secretary whose term is over
VISITED_SHARE = 0.85  # twinned households visited in the last months
# Days since the last visit: most within a month, some overdue (the task list marks 30 days).
LAST_VISIT_DAYS = [((1, 30), 55), ((31, 75), 30), ((76, 150), 15)]
# Helpers of each rank (weights), and how many county leaders a county has to twin at most.
RANK_WEIGHTS = {"county_leader": 3, "section": 35, "general": 62}
MAX_COUNTY_LEADERS = 30

WORKING = plan_rules.WORKING
FULL_LABOUR = frozenset({"ordinary", "skilled"})

# Measures against each risk: catalogue code, weight, what the family needs for it to fit.
# Requirements: "work" someone who can work and wages last year (a job measure running in a year
# without wages is a data-check error); "full_work" the same with ordinary or skilled labour;
# "full" ordinary or skilled labour; "industry" farming or business income last year; "dibao" /
# "tekun" someone receiving it; "certificate" a disability certificate; "dropout" a pupil who dropped
# out; "pupil" a pupil; "student" a pupil past junior school or a student; "vocational" a vocational
# or tertiary student; "house_c" / "house_cd" a house of safety grade C, or C or D.
RISK_MEASURES: dict[str, list[tuple[str, int, str]]] = {
    "illness": [
        ("medical_assistance", 4, ""),
        ("chronic_disease_card", 3, ""),
        ("insurance_subsidy", 2, ""),
        ("one_stop_settlement", 2, ""),
        ("family_doctor", 2, ""),
        ("charity_medical", 1, ""),
        ("anti_poverty_insurance", 1, ""),
    ],
    "accident": [
        ("medical_assistance", 3, ""),
        ("temporary_assistance", 3, ""),
        ("anti_poverty_insurance", 2, ""),
        ("one_stop_settlement", 1, ""),
        ("charity_medical", 1, ""),
    ],
    "disability": [
        ("disability_allowance", 6, "certificate"),
        ("dibao", 3, "dibao"),
        ("tekun", 3, "tekun"),
        ("temporary_assistance", 1, ""),
        ("charity_medical", 1, ""),
        ("social_twinning", 1, ""),
    ],
    "schooling": [
        ("dropout_control", 8, "dropout"),
        ("yulu_plan", 3, "vocational"),
        ("student_aid", 4, "student"),
        ("school_nutrition", 2, "pupil"),
        ("charity_education", 1, ""),
    ],
    "disaster": [
        ("agricultural_insurance", 3, "industry"),
        ("disaster_relief", 3, ""),
        ("house_repair", 3, "house_c"),
        ("industry_subsidy", 2, "industry"),
        ("temporary_assistance", 2, ""),
    ],
    "business_failure": [
        ("industry_guidance", 3, "industry"),
        ("microcredit", 2, "full"),
        ("industry_subsidy", 2, "industry"),
        ("consumption_assistance", 2, ""),
        ("temporary_assistance", 1, ""),
    ],
    "unstable_employment": [
        ("job_placement", 3, "full_work"),
        ("skills_training", 3, "full_work"),
        ("labour_export", 2, "full_work"),
        ("migrant_transport", 2, "full_work"),
        ("help_workshop", 2, "work"),
        ("welfare_post", 2, "work"),
        ("consumption_assistance", 1, ""),
    ],
    "lack_of_labour": [
        ("welfare_post", 3, "work"),
        ("help_workshop", 1, "work"),
        ("industry_linkage", 2, "industry"),
        ("asset_income", 3, "industry"),
        ("dibao", 3, "dibao"),
        ("tekun", 3, "tekun"),
        ("pension_subsidy", 1, ""),
    ],
    "housing": [("house_renovation", 5, "house_cd"), ("house_repair", 2, "house_c"), ("relocation", 1, "")],
    "water": [("water_project", 3, ""), ("water_purification", 3, "")],
    "other": [("social_twinning", 1, ""), ("consumption_assistance", 1, "")],
}
DEVELOPMENTAL_MEASURES = [
    ("job_placement", 2, "full_work"),
    ("skills_training", 2, "full_work"),
    ("labour_export", 1, "full_work"),
    ("welfare_post", 3, "work"),
    ("industry_subsidy", 3, "industry"),
    ("industry_linkage", 2, "industry"),
    ("microcredit", 1, "full"),
]
PAST_INDUSTRY = [("industry_subsidy", 4, ""), ("industry_linkage", 3, ""), ("asset_income", 2, "")]
PAST_EMPLOYMENT = [("skills_training", 3, ""), ("labour_export", 2, ""), ("migrant_transport", 2, "")]
# One-off help is usually done; the rest runs on.
ONE_OFF = frozenset(
    {
        "temporary_assistance",
        "disaster_relief",
        "house_repair",
        "house_renovation",
        "skills_training",
        "migrant_transport",
        "water_project",
        "water_purification",
        "medical_assistance",
        "charity_medical",
        "insurance_subsidy",
        "relocation",
    }
)
# Amounts in yuan (a year for allowances and posts) [rough]; measures not listed have none.
AMOUNTS: dict[str, tuple[int, int]] = {
    "medical_assistance": (2_000, 30_000),
    "temporary_assistance": (1_000, 5_000),
    "disaster_relief": (1_000, 4_000),
    "house_renovation": (20_000, 40_000),
    "house_repair": (5_000, 15_000),
    "industry_subsidy": (1_000, 5_000),
    "microcredit": (10_000, 50_000),
    "migrant_transport": (300, 800),
    "welfare_post": (6_000, 12_000),
    "disability_allowance": (900, 1_800),
    "student_aid": (1_000, 4_000),
    "yulu_plan": (3_000, 3_000),
    "charity_medical": (1_000, 10_000),
    "tekun": (7_000, 9_500),
}
# Who is responsible: a county department by category; a few entries by their own department.
RESPONSIBLE_BY_CATEGORY = {
    "industry": "县农业农村局",
    "employment": "县人力资源和社会保障局",
    "public_welfare_post": "乡镇人民政府",
    "microcredit": "县乡村振兴局",
    "health": "县医疗保障局",
    "education": "县教育局",
    "compulsory_education": "县教育局",
    "housing": "县住房和城乡建设局",
    "relocation": "县发展和改革局",
    "water": "县水利局",
    "comprehensive_security": "县民政局",
    "social": "县工商业联合会",
    "living_conditions": "乡镇人民政府",
}
RESPONSIBLE_BY_CODE = {
    "family_doctor": "乡镇卫生院",
    "chronic_disease_card": "县卫生健康局",
    "disability_allowance": "县残疾人联合会",
    "forest_ranger": "县林业和草原局",
    "microcredit": "县农村商业银行",
    "charity_medical": "县慈善总会",
    "charity_education": "县慈善总会",
    "anti_poverty_insurance": "县乡村振兴局",
    "agricultural_insurance": "县农业农村局",
    "disaster_relief": "县应急管理局",
    "pension_subsidy": "县人力资源和社会保障局",
}
# Units that help villages (the county's departments and local branches of state enterprises), and
# the county's leading bodies whose leaders are helpers too. "县" stands for the county's name.
UNITS = [
    "县财政局",
    "县发展和改革局",
    "县教育局",
    "县民政局",
    "县人力资源和社会保障局",
    "县自然资源局",
    "县住房和城乡建设局",
    "县交通运输局",
    "县水利局",
    "县农业农村局",
    "县商务局",
    "县文化广播电视和旅游局",
    "县卫生健康局",
    "县应急管理局",
    "县审计局",
    "县市场监督管理局",
    "县统计局",
    "县医疗保障局",
    "县乡村振兴局",
    "县林业和草原局",
    "县公安局",
    "县司法局",
    "县税务局",
    "县供销合作社联合社",
    "县总工会",
    "县妇女联合会",
    "县残疾人联合会",
    "县人民法院",
    "县人民检察院",
    "县委组织部",
    "县委宣传部",
    "县委统战部",
    "县委政法委",
    "县融媒体中心",
    "国网县供电公司",
    "县农村商业银行",
    "中国农业银行县支行",
    "中国邮政储蓄银行县支行",
    "中国移动县分公司",
]
LEADING_BODIES = ["县委", "县人民政府", "县人大常委会", "县政协"]

FINDINGS: dict[str, list[str]] = {
    "illness": [
        "患病成员按时服药，家庭医生已随访；医疗费用已按政策报销",
        "住院费用已一站式结算，自付部分较上次减少",
    ],
    "accident": ["伤者恢复中，临时救助已发放"],
    "disability": ["残疾人两项补贴按月到账"],
    "schooling": [
        "孩子已返校就读，班主任每周反馈出勤",
        "学生资助已申请，家庭教育支出压力减轻",
    ],
    "disaster": ["受灾农田已补种，农业保险理赔已到位"],
    "business_failure": ["养殖项目恢复，技术员上门指导"],
    "unstable_employment": [
        "已推荐到县内企业务工，月收入约三千元",
        "参加了技能培训，正在联系外出务工",
    ],
    "lack_of_labour": ["公益性岗位按月发工资，低保按时到账"],
    "housing": ["危房改造已开工，年内可入住"],
    "water": ["净水设备已安装，水质检测合格"],
    "": ["入户走访，了解家庭收支和帮扶措施落实情况"],
}
FOLLOW_UPS = [
    "",
    "",
    "下月再次走访，核实收入变化",
    "协调乡镇落实剩余措施",
    "帮助整理报销材料",
]


# ----------------------------------------------------------------------------- what is decided


@dataclass(frozen=True)
class CatalogueEntry:
    id: int | None
    code: str
    category: str
    answers: frozenset[str]


@dataclass
class MeasureRow:
    household: str  # household number
    code: str  # catalogue code ("" for a measure of a category only)
    category: str
    risk_types: tuple[str, ...]
    status: str
    started_on: dt.date
    ended_on: dt.date | None
    responsible: str
    amount: Decimal | None


@dataclass
class HelperRow:
    name: str
    unit: str
    rank: str
    phone: str


@dataclass
class AssignmentRow:
    helper: int  # index in DemoAssistance.helpers
    household: str
    started_on: dt.date


@dataclass
class HelpingUnitRow:
    village: str
    name: str
    started_on: dt.date
    ended_on: dt.date | None = None
    notes: str = ""


@dataclass
class TaskForceRow:
    village: str
    name: str
    unit: str
    role: str
    term_start: dt.date
    term_end: dt.date


@dataclass
class VisitRow:
    household: str
    helper: int
    visited_on: dt.date
    findings: str
    follow_up: str
    risk_present: bool


@dataclass
class DemoAssistance:
    measures: list[MeasureRow] = field(default_factory=list)
    helpers: list[HelperRow] = field(default_factory=list)
    assignments: list[AssignmentRow] = field(default_factory=list)
    helping_units: list[HelpingUnitRow] = field(default_factory=list)
    task_force: list[TaskForceRow] = field(default_factory=list)
    visits: list[VisitRow] = field(default_factory=list)
    gaps: dict[str, str] = field(default_factory=dict)  # household number → gap left on purpose


@dataclass(frozen=True)
class _Facts:
    """What a household's plan has to fit."""

    can_work: bool
    full_labour: bool
    dibao: bool
    tekun: bool
    certificate: bool
    dropout: bool
    pupil: bool
    student: bool
    vocational: bool
    housing: str
    wage: Decimal
    business: Decimal

    @classmethod
    def of(cls, record: generator.HouseholdRecord) -> _Facts:
        members = record.members
        latest = record.incomes[-1] if record.incomes else None
        return cls(
            can_work=any(m.labour_capacity in WORKING for m in members),
            full_labour=any(m.labour_capacity in FULL_LABOUR for m in members),
            dibao=any(m.receives_dibao for m in members),
            tekun=any(m.receives_tekun for m in members),
            certificate=any(m.has_disability_certificate for m in members),
            dropout=any(m.schooling_status == "dropped_out" for m in members),
            pupil=any(m.school_level in ("primary", "junior") for m in members),
            student=any(m.school_level in ("senior", "vocational", "tertiary") for m in members),
            vocational=any(m.school_level in ("vocational", "tertiary") for m in members),
            housing=record.housing_safety,
            wage=latest.wage if latest else Decimal(0),
            business=latest.business if latest else Decimal(0),
        )

    def fits(self, requirement: str) -> bool:
        wages = self.wage > 0
        return {
            "": True,
            "work": self.can_work and wages,
            "full_work": self.full_labour and wages,
            "full": self.full_labour,
            "industry": self.business > 0,
            "dibao": self.dibao,
            "tekun": self.tekun,
            "certificate": self.certificate,
            "dropout": self.dropout,
            "pupil": self.pupil,
            "student": self.student,
            "vocational": self.vocational,
            "house_c": self.housing == "C",
            "house_cd": self.housing in ("C", "D"),
        }[requirement]


# ----------------------------------------------------------------------------- small helpers


def _weighted(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    return rng.choices([key for key, _w in items], weights=[w for _k, w in items])[0]


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _local(name: str, county_name: str) -> str:
    """``县财政局`` → ``通榆县财政局``: the county's own name in front (a 县 once)."""
    return name.replace("县", county_name, 1) if name.startswith(("县", "国网县", "中国")) else name


class _Names:
    """Made-up names of cadres, each used once in the county."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        rng = self.rng
        for _attempt in range(50):
            sex = "M" if rng.random() < 0.6 else "F"
            era = "mid" if rng.random() < 0.7 else "young"
            surname = rng.choices(
                [s for s, _w in generator.SURNAMES], weights=[w for _s, w in generator.SURNAMES]
            )[0]
            name = surname + rng.choice(generator.GIVEN_NAMES[(sex, era)].split())
            if name not in self.used:
                break
        self.used.add(name)
        return name


class _Phones:
    """Mobile numbers not used by anyone in the county."""

    def __init__(self, rng: random.Random, used: set[str]):
        self.rng = rng
        self.used = used

    def __call__(self) -> str:
        while True:
            number = self.rng.choice(generator.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used:
                self.used.add(number)
                return number


# ----------------------------------------------------------------------------- plans


class _Planner:
    def __init__(
        self, rng: random.Random, catalogue: Mapping[str, CatalogueEntry], data: generator.DemoCounty
    ):
        self.rng = rng
        self.catalogue = catalogue
        self.county_name = data.county_name
        self.townships = {t.code: t.name for t in data.townships}
        self.latest_day = data.as_of - dt.timedelta(days=1)

    def responsible(self, code: str, category: str, village_code: str) -> str:
        """The department responsible: the county's, or the household's township government or clinic."""
        name = RESPONSIBLE_BY_CODE.get(code) or RESPONSIBLE_BY_CATEGORY.get(category, "乡镇人民政府")
        if name.startswith("乡镇"):
            return self.townships.get(village_code[:9], "乡镇") + name[2:]
        return _local(name, self.county_name)

    def entry(self, options: Sequence[tuple[str, int, str]], facts: _Facts, risk: str = "") -> str:
        """A catalogue code from ``options`` that the family fits (and that answers ``risk``); "" if none."""
        fitting = [
            (code, weight)
            for code, weight, requirement in options
            if code in self.catalogue
            and facts.fits(requirement)
            and (not risk or risk in self.catalogue[code].answers)
        ]
        return _weighted(self.rng, fitting) if fitting else ""

    def measure(
        self,
        record: generator.HouseholdRecord,
        code: str,
        risks: Sequence[str],
        started_on: dt.date,
        *,
        category: str = "",
        done_by: dt.date | None = None,
    ) -> MeasureRow:
        """A measure of entry ``code`` against those of ``risks`` it answers, from ``started_on``.

        ``done_by``: the measure is done, ended by that day; otherwise one-off help is usually done.
        """
        rng = self.rng
        entry = self.catalogue.get(code)
        category = entry.category if entry else category
        answers = entry.answers if entry else plan_rules.answers_of_category(category)
        low, high = AMOUNTS.get(code, (0, 0))
        amount = Decimal(round(rng.uniform(low, high), -2)) if high else None
        done = done_by is not None or rng.random() < (0.7 if code in ONE_OFF else 0.05)
        ended_on = None
        if done:
            last = done_by or self.latest_day
            earliest = started_on + dt.timedelta(days=15)
            if earliest <= last:
                ended_on = _date_between(rng, earliest, min(last, started_on + dt.timedelta(days=240)))
            elif done_by is not None:
                ended_on = max(started_on, done_by)
        return MeasureRow(
            household=record.number,
            code=entry.code if entry else "",
            category=category,
            risk_types=tuple(risk for risk in dict.fromkeys(risks) if risk in answers),
            status=MeasureStatus.DONE if ended_on else MeasureStatus.IN_PROGRESS,
            started_on=started_on,
            ended_on=ended_on,
            responsible=self.responsible(code, category, record.village_code),
            amount=amount,
        )

    def against_risks(
        self,
        record: generator.HouseholdRecord,
        facts: _Facts,
        risks: Sequence[str],
        start: Callable[[], dt.date],
        done_by: dt.date | None = None,
    ) -> list[MeasureRow]:
        """A plan: measures against every risk, a developmental one where someone can work, the allowance."""
        rng = self.rng
        rows: list[MeasureRow] = []
        chosen: set[str] = set()

        def add(code: str, category: str = "") -> None:
            chosen.add(code)
            rows.append(self.measure(record, code, risks, start(), category=category, done_by=done_by))

        for risk in risks:
            if any(risk in row.risk_types for row in rows):
                continue  # answered by a measure chosen for an earlier risk
            options = RISK_MEASURES.get(risk, [])
            code = self.entry([o for o in options if o[0] not in chosen], facts, risk)
            if not code:  # any entry of the catalogue the family fits and that answers the risk
                anything = [(c, 1, "") for c, e in self.catalogue.items() if risk in e.answers]
                code = self.entry([o for o in anything if not _needs_work(self.catalogue[o[0]])], facts, risk)
            if code:
                add(code)
            else:  # a catalogue without an entry for it: a measure of a category that may answer it
                add("", sorted(plan_rules.CONSISTENT_CATEGORIES.get(risk, {"social"}))[0])
            if (
                risk == "illness"
                and "family_doctor" not in chosen
                and rng.random() < 0.5
                and "family_doctor" in self.catalogue
            ):
                add("family_doctor")
        if facts.can_work and not any(row.category in plan_rules.DEVELOPMENTAL_CATEGORIES for row in rows):
            code = self.entry(DEVELOPMENTAL_MEASURES, facts) or self.entry(
                [(c, 1, "") for c in ("industry_linkage", "microcredit", "industry_subsidy")], facts
            )
            if code:
                add(code)
        for allowance, receives in (("dibao", facts.dibao), ("tekun", facts.tekun)):
            if receives and allowance not in chosen and allowance in self.catalogue:
                add(allowance)
        return rows


def _needs_work(entry: CatalogueEntry) -> bool:
    return entry.category in plan_rules.WORK_CATEGORIES


def _monitoring_start(record: generator.HouseholdRecord, as_of: dt.date) -> dt.date:
    """When the household's current monitoring began (its latest entry of the current category)."""
    current = [e for e in record.monitoring_history if e.category == record.monitoring_category]
    entries = current or record.monitoring_history
    return entries[-1].effective_from if entries else as_of - dt.timedelta(days=90)


def _leave_gap(
    rng: random.Random, gap: str, rows: list[MeasureRow], risks: Sequence[str], can_work: bool
) -> str:
    """Make the plan incomplete on purpose (in place); the kind of gap left."""
    if gap == "no_developmental" and not can_work:
        gap = "risk_unanswered"
    if gap == "no_measure":
        rows.clear()
    elif gap == "risk_unanswered":
        risk = rng.choice(list(risks))
        rows[:] = [row for row in rows if risk not in row.risk_types]
    elif gap == "no_developmental":
        rows[:] = [row for row in rows if row.category not in plan_rules.DEVELOPMENTAL_CATEGORIES]
    else:  # done_without_end
        row = rng.choice(rows)
        row.status, row.ended_on = MeasureStatus.DONE, None
    return "no_measure" if not rows else gap


def _plans(
    rng: random.Random,
    data: generator.DemoCounty,
    catalogue: Mapping[str, CatalogueEntry],
    out: DemoAssistance,
) -> None:
    planner = _Planner(rng, catalogue, data)
    latest_day = planner.latest_day
    before_latest_year = dt.date(generator.income_years(data.as_of)[-1] - 1, 12, 31)
    # The plans left incomplete on purpose: INCOMPLETE_SHARE of the monitored households, drawn.
    monitored = [record.number for record in data.households if record.monitoring_category]
    drawn = rng.sample(monitored, round(INCOMPLETE_SHARE * len(monitored)))
    gap_of = {number: GAPS[index % len(GAPS)] for index, number in enumerate(drawn)}
    for record in data.households:
        if record.household_type != "lifted_out" and not record.monitoring_history:
            continue  # an ordinary household never monitored: no plan
        facts = _Facts.of(record)
        gap = ""
        if record.monitoring_category:
            entered = _monitoring_start(record, data.as_of)

            def start(entered: dt.date = entered) -> dt.date:
                return _date_between(
                    rng, entered + dt.timedelta(days=1), min(entered + dt.timedelta(days=75), latest_day)
                )

            rows = planner.against_risks(record, facts, record.risk_types, start)
            if record.number in gap_of and rows:
                gap = _leave_gap(rng, gap_of[record.number], rows, record.risk_types, facts.can_work)
                out.gaps[record.number] = gap
            out.measures.extend(rows)
        elif len(record.monitoring_history) >= 2 and (facts.can_work or facts.dibao or facts.tekun):
            # Risk eliminated: the measures that answered its risks then, done by the elimination.
            identified, eliminated = record.monitoring_history[0], record.monitoring_history[-1]
            last = eliminated.effective_from - dt.timedelta(days=1)

            def past_start(day: dt.date = identified.effective_from, last: dt.date = last) -> dt.date:
                return _date_between(rng, day + dt.timedelta(days=1), min(day + dt.timedelta(days=90), last))

            out.measures.extend(
                planner.against_risks(record, facts, identified.risk_types, past_start, done_by=last)
            )
        if (
            record.household_type == "lifted_out"
            and gap not in ("no_measure", "no_developmental")
            and rng.random() < LIFTED_PAST_MEASURE_SHARE
        ):
            options = PAST_EMPLOYMENT if facts.full_labour and rng.random() < 0.4 else PAST_INDUSTRY
            code = planner.entry(options, facts)
            registered = record.type_history[0].effective_from
            exited = record.type_history[-1].effective_from
            if code and exited < before_latest_year:
                begun = _date_between(rng, registered + dt.timedelta(days=30), exited)
                end_by = min(exited + dt.timedelta(days=365), before_latest_year)
                out.measures.append(planner.measure(record, code, (), begun, done_by=end_by))


# ----------------------------------------------------------------------------- helpers and villages


def _twinning(
    rng: random.Random,
    data: generator.DemoCounty,
    quotas: Mapping[str, int],
    out: DemoAssistance,
    showcase_village: str,
) -> None:
    county = data.county_name
    names = _Names(rng)
    used_phones = {h.phone for h in data.households} | {m.phone for h in data.households for m in h.members}
    phones = _Phones(rng, used_phones)
    townships = {t.code: t.name for t in data.townships}
    as_of, latest_day = data.as_of, data.as_of - dt.timedelta(days=1)
    monitored: dict[str, list[generator.HouseholdRecord]] = {}
    for record in data.households:
        if record.monitoring_category:
            monitored.setdefault(record.village_code, []).append(record)

    # Helping units and task forces of villages with monitored households.
    units = [_local(u, county) for u in UNITS]
    village_unit: dict[str, str] = {}
    for village in data.villages:
        if village.code not in monitored:
            continue
        showcase = village.code == showcase_village
        unit = units[rng.randrange(len(units))]
        village_unit[village.code] = unit
        if not showcase and rng.random() >= HELPING_UNIT_SHARE:
            continue
        since = _date_between(rng, dt.date(2021, 6, 1), min(dt.date(2023, 6, 30), latest_day))
        out.helping_units.append(HelpingUnitRow(village.code, unit, since))
        if rng.random() < PREVIOUS_UNIT_SHARE:
            earlier = units[rng.randrange(len(units))]
            out.helping_units.append(
                HelpingUnitRow(
                    village.code,
                    earlier,
                    _date_between(rng, dt.date(2016, 3, 1), dt.date(2018, 12, 31)),
                    min(since - dt.timedelta(days=1), dt.date(2021, 5, 31)),
                    "脱贫攻坚期结束后调整帮扶单位",
                )
            )
        term_start = as_of - dt.timedelta(days=rng.randint(30, 660))
        size = 2 if not showcase and rng.random() < SHORT_TASK_FORCE_SHARE else 3
        township = townships.get(village.code[:9], "") + "人民政府"
        for position in range(size):
            role = TaskForceRole.FIRST_SECRETARY if position == 0 else TaskForceRole.MEMBER
            start = term_start if position == 0 else term_start + dt.timedelta(days=rng.randint(0, 20))
            months = 24 if rng.random() < 0.7 else 36
            member_unit = unit if position < 2 else (township if township != "人民政府" else unit)
            out.task_force.append(
                TaskForceRow(village.code, names(), member_unit, role, start, add_months(start, months))
            )
        if rng.random() < PREVIOUS_SECRETARY_SHARE:
            ended = term_start - dt.timedelta(days=1)
            began = add_months(ended, -rng.choice((24, 24, 36)))
            out.task_force.append(
                TaskForceRow(village.code, names(), unit, TaskForceRole.FIRST_SECRETARY, began, ended)
            )

    # Helpers twinned with the households that need one, within the quota of their rank.
    needing: dict[str, list[generator.HouseholdRecord]] = {}
    for record in data.households:
        if twinning.needs_helper(
            monitoring_category=record.monitoring_category,
            household_type=record.household_type,
            status=record.status,
        ):
            needing.setdefault(record.village_code, []).append(record)
    leaders = 0
    for village in data.villages:
        households = [h for h in needing.get(village.code, []) if rng.random() < HELPER_COVERAGE]
        if households and village.code not in village_unit:
            village_unit[village.code] = units[rng.randrange(len(units))]
        index = 0
        while index < len(households):
            weights = [
                (code, float(RANK_WEIGHTS.get(code, 10)))
                for code in quotas
                if quotas[code] > 0 and (code != "county_leader" or leaders < MAX_COUNTY_LEADERS)
            ]
            if not weights:
                return  # the county has no rank that takes households
            rank = _weighted(rng, weights)
            quota = quotas[rank]
            take = min(len(households) - index, rng.randint(max(1, quota - 1), quota))
            if rank == "county_leader":
                leaders += 1
                unit = _local(rng.choice(LEADING_BODIES), county)
            else:
                unit = village_unit.get(village.code, units[0]) if rng.random() < 0.8 else rng.choice(units)
            out.helpers.append(HelperRow(names(), unit, rank, phones()))
            helper = len(out.helpers) - 1
            for record in households[index : index + take]:
                since = _twinned_since(rng, record, as_of)
                out.assignments.append(AssignmentRow(helper, record.number, since))
                _visits(rng, record, helper, since, as_of, out)
            index += take


def _twinned_since(rng: random.Random, record: generator.HouseholdRecord, as_of: dt.date) -> dt.date:
    """A monitored household gets its helper within three weeks of entering monitoring; another one
    (lifted-out, registered poor) when the helpers were reassigned, or when it became what it is."""
    latest_day = as_of - dt.timedelta(days=1)
    if record.monitoring_category:
        entered = _monitoring_start(record, as_of)
        return _date_between(rng, entered, min(entered + dt.timedelta(days=20), latest_day))
    became = record.type_history[-1].effective_from if record.type_history else REASSIGNED_FROM
    low = min(max(became, REASSIGNED_FROM), latest_day)
    return _date_between(rng, low, max(low, min(REASSIGNED_TO, latest_day)))


def _visits(
    rng: random.Random,
    record: generator.HouseholdRecord,
    helper: int,
    since: dt.date,
    as_of: dt.date,
    out: DemoAssistance,
) -> None:
    """A few visits by the helper, the last some days or months ago (never before the twinning)."""
    if rng.random() >= VISITED_SHARE:
        return
    bands = [band for band, _w in LAST_VISIT_DAYS]
    low, high = rng.choices(bands, weights=[w for _b, w in LAST_VISIT_DAYS])[0]
    day = as_of - dt.timedelta(days=rng.randint(low, high))
    risk = record.risk_types[0] if record.risk_types else ""
    for _visit in range(rng.randint(1, 3)):
        if day < since:
            break
        out.visits.append(
            VisitRow(
                household=record.number,
                helper=helper,
                visited_on=day,
                findings=rng.choice(FINDINGS.get(risk, FINDINGS[""])),
                follow_up=rng.choice(FOLLOW_UPS),
                risk_present=rng.random() < 0.85,
            )
        )
        day -= dt.timedelta(days=rng.randint(25, 60))


# ----------------------------------------------------------------------------- entry points


def plan_assistance(
    data: generator.DemoCounty,
    catalogue: Mapping[str, CatalogueEntry],
    *,
    seed: int,
    quotas: Mapping[str, int] | None = None,
    showcase_village: str = "",
) -> DemoAssistance:
    """Everything to write for the county, the same for the same seed.

    ``catalogue``: the entries available to the county by code; ``quotas``: rank code → households per
    helper (the Django setting's "321" by default); ``showcase_village``: a village (the demo village
    cadre's) that gets a helping unit and a full task force whatever the draw.
    """
    quotas = dict(quotas) if quotas is not None else dict(settings.TWINNING_DEFAULT_RANKS)
    out = DemoAssistance()
    _plans(random.Random(f"demo-assistance-plans-{seed}"), data, catalogue, out)
    _twinning(random.Random(f"demo-assistance-twinning-{seed}"), data, quotas, out, showcase_village)
    return out


def county_catalogue(county: Area) -> dict[str, CatalogueEntry]:
    """The catalogue entries in use in the county: national and its own, less those it switched off."""
    off = MeasureTypeOff.objects.filter(county=county).values("measure_type_id")
    entries = (
        MeasureType.objects.filter(Q(county__isnull=True) | Q(county=county), active=True)
        .exclude(pk__in=off)
        .order_by("pk")
    )
    return {e.code: CatalogueEntry(e.pk, e.code, e.category, frozenset(e.answer_list)) for e in entries}


@dataclass
class AssistanceCounts:
    measures: int = 0
    helpers: int = 0
    assignments: int = 0
    helping_units: int = 0
    task_force_members: int = 0
    visits: int = 0


def _packed(codes: Sequence[str]) -> str:
    return "," + ",".join(codes) + "," if codes else ""


def write_assistance(
    data: generator.DemoCounty,
    county: Area,
    villages: Mapping[str, Area],
    household_ids: Mapping[str, int],
    *,
    seed: int,
    showcase_village: str = "",
    batch_size: int = 1000,
) -> AssistanceCounts:
    """Plan and write the county's assistance (inside the caller's transaction)."""
    catalogue = county_catalogue(county)
    quotas = {rank.code: rank.households for rank in twinning.ranks_for(county.code)}
    plan = plan_assistance(data, catalogue, seed=seed, quotas=quotas, showcase_village=showcase_village)
    counts = AssistanceCounts()

    ids = {code: entry.id for code, entry in catalogue.items()}
    measures = [
        Measure(
            household_id=household_ids[row.household],
            measure_type_id=ids.get(row.code),
            category=row.category,
            risk_types=_packed(row.risk_types),
            responsible=row.responsible,
            amount=row.amount,
            status=row.status,
            started_on=row.started_on,
            ended_on=row.ended_on,
        )
        for row in plan.measures
    ]
    Measure.objects.bulk_create(measures, batch_size=batch_size)
    counts.measures = len(measures)

    cipher = get_cipher()
    helpers = []
    for row in plan.helpers:
        helpers.append(
            Helper(
                name=row.name,
                unit=row.unit,
                rank=row.rank,
                area=county,
                phone_enc=cipher.encrypt(row.phone),
                phone_bidx=cipher.blind_index("phone", row.phone),
                phone_masked=phone.mask(row.phone),
            )
        )
    Helper.objects.bulk_create(helpers, batch_size=batch_size)
    if any(h.pk is None for h in helpers):  # a backend that cannot return ids: find them by phone
        found = dict(
            Helper.objects.filter(area=county, phone_bidx__in=[h.phone_bidx for h in helpers]).values_list(
                "phone_bidx", "pk"
            )
        )
        for helper in helpers:
            helper.pk = found[helper.phone_bidx]
    counts.helpers = len(helpers)

    Assignment.objects.bulk_create(
        [
            Assignment(
                helper_id=helpers[row.helper].pk,
                household_id=household_ids[row.household],
                started_on=row.started_on,
            )
            for row in plan.assignments
        ],
        batch_size=batch_size,
    )
    counts.assignments = len(plan.assignments)
    Visit.objects.bulk_create(
        [
            Visit(
                household_id=household_ids[row.household],
                visited_on=row.visited_on,
                helper_id=helpers[row.helper].pk,
                visitor_name=helpers[row.helper].name,
                findings=row.findings,
                follow_up=row.follow_up,
                risk_present=row.risk_present,
            )
            for row in plan.visits
        ],
        batch_size=batch_size,
    )
    counts.visits = len(plan.visits)
    HelpingUnit.objects.bulk_create(
        [
            HelpingUnit(
                village=villages[row.village],
                name=row.name,
                started_on=row.started_on,
                ended_on=row.ended_on,
                notes=row.notes,
            )
            for row in plan.helping_units
        ],
        batch_size=batch_size,
    )
    counts.helping_units = len(plan.helping_units)
    TaskForceMember.objects.bulk_create(
        [
            TaskForceMember(
                village=villages[row.village],
                name=row.name,
                unit=row.unit,
                role=row.role,
                term_start=row.term_start,
                term_end=row.term_end,
            )
            for row in plan.task_force
        ],
        batch_size=batch_size,
    )
    counts.task_force_members = len(plan.task_force)
    return counts
