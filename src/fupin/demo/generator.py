"""A generated demo county: townships, villages, households, members, incomes and histories.

Plain Python with no Django import, deterministic for a seed: every random draw comes from one
``random.Random(seed)`` in a fixed order (no sets are iterated, no global ``random``), and the
reference date ``as_of`` is a parameter, so ``generate(seed=s, as_of=d)`` always returns the same data.

**Everything here is invented.** Township names of 通榆县 are real names, but every township and
village *code* is generated (county code + 3 digits, towns 1xx and xiangs 2xx as in the statistical
division codes; villages township code + 201, 202 …), not the official code. Village names, people,
ID numbers and phones are made up. ID numbers are well formed (a real county code, a real birth date,
the right check character), so like any valid number they may coincide with a real person's; the
data says nothing about anyone real.

The distributions aim at what a cadre in a former national key poverty county of Jilin would find
plausible. Where a figure comes from public statistics the source is named; "[rough]" marks an
assumption. They shape demo data only: no rule of the system reads them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from fupin.domain.idnumber import make as make_id_number

# ----------------------------------------------------------------------------- figures


def _words(text: str) -> list[str]:
    return text.split()


def _weights(text: str) -> list[tuple[str, float]]:
    """``"王:72 李:70"`` → ``[("王", 72.0), ("李", 70.0)]``."""
    return [(key, float(weight)) for key, weight in (item.split(":") for item in text.split())]


DEFAULT_COUNTY_CODE = "220822"
DEFAULT_COUNTY_NAME = "通榆县"

# Real township names of 通榆县 (towns 镇 first, then xiangs 乡). Codes are generated, not official.
TONGYU_TOWNSHIPS = _words(
    "开通镇 瞻榆镇 双岗镇 兴隆山镇 边昭镇 鸿兴镇 新华镇 乌兰花镇 "
    "陆家乡 向海蒙古族乡 包拉温都蒙古族乡 团结乡 什花道乡 新发乡 新兴乡 八面乡"
)

# Other Jilin counties whose codes start some members' ID numbers (in-married spouses, people who
# registered elsewhere): 白城's other counties first, then 松原 and a few further away.
JILIN_OTHER_ID_AREAS = [
    ("220802", 5),  # 洮北区
    ("220821", 5),  # 镇赉县
    ("220881", 6),  # 洮南市
    ("220882", 5),  # 大安市
    ("220723", 3),  # 乾安县
    ("220722", 3),  # 长岭县
    ("220721", 2),  # 前郭尔罗斯蒙古族自治县
    ("220382", 2),  # 双辽市
    ("220122", 1),  # 农安县
    ("220183", 1),  # 德惠市
]
# Share of people whose ID number was issued in the county itself [rough].
OWN_COUNTY_ID_SHARE = 0.88

# Share of rural households that are lifted-out (脱贫户) households. Nationally the 2014
# registration found 29.48 million poor households (domain.md section 2) out of roughly 190 million
# rural households, about 15%; a former national key county had more [rough: 15-25%].
LIFTED_OUT_SHARE = 0.20

# Household size. Seventh national census (2020): 2.62 people per family household nationally;
# north-eastern households are among the smallest, and many rural households are elderly couples or
# people living alone whose children work away [rough distribution, mean about 2.6].
SIZE_WEIGHTS_ORDINARY = {1: 15, 2: 37, 3: 22, 4: 15, 5: 8, 6: 3}
# Lifted-out households: more people living alone (elderly, sick, single men) [rough].
SIZE_WEIGHTS_LIFTED = {1: 24, 2: 36, 3: 18, 4: 12, 5: 7, 6: 3}

# Age of the household head. Rural ageing: in the 2020 census 23.8% of rural residents were 60 or
# older and 17.7% were 65 or older. The north-east is older than the national average and its
# young people leave, so the demo county ends up with about 30% of its people aged 60+ [rough].
HEAD_AGE_BANDS = [
    ((24, 34), 9),
    ((35, 44), 15),
    ((45, 54), 25),
    ((55, 64), 26),
    ((65, 74), 17),
    ((75, 88), 8),
]
SINGLE_AGE_BANDS = [((28, 44), 8), ((45, 59), 22), ((60, 74), 38), ((75, 92), 32)]

# Poverty attribute of lifted-out households [rough].
POVERTY_ATTRIBUTE_WEIGHTS = {"general": 60, "dibao": 32, "tekun": 8}

# Main cause of poverty at registration. Only the illness share is a published figure: about 42%
# of registered poor households were poor because of illness (National Health and Family Planning
# Commission, 2016). The other weights are rough.
MAIN_CAUSE_WEIGHTS = {
    "illness": 42,
    "disability": 12,
    "lack_of_labour": 10,
    "lack_of_funds": 9,
    "lack_of_skills": 8,
    "schooling": 6,
    "disaster": 5,
    "lack_of_drive": 3,
    "lack_of_land": 2,
    "poor_transport": 1,
    "lack_of_water": 1,
    "other": 1,
}

# Health by age: (disabled, serious illness, chronic illness). The second national sample survey
# on disability (2006) found 6.34% of the population disabled, rising steeply with age; chronic
# illness is common among rural elderly [rough].
HEALTH_BY_AGE = [
    (17, (0.008, 0.003, 0.01)),
    (44, (0.020, 0.010, 0.05)),
    (59, (0.045, 0.020, 0.18)),
    (69, (0.075, 0.040, 0.33)),
    (200, (0.110, 0.070, 0.42)),
]
LIFTED_HEALTH_FACTOR = 1.5  # poverty and ill health go together (see the illness share above)

# Adult education by birth year (none, primary, junior, senior, tertiary) [rough, rural north-east].
EDUCATION_BY_BIRTH = [
    (1949, (40, 45, 13, 2, 0)),
    (1964, (15, 50, 30, 5, 0)),
    (1979, (3, 32, 55, 9, 1)),
    (1994, (1, 15, 60, 18, 6)),
    (9999, (0, 3, 45, 35, 17)),
]
EDUCATION_CODES = ("none", "primary", "junior", "senior", "tertiary")
# Children of compulsory-school age (6-15) out of school. Rare: the 控辍保学 campaign follows every
# case, which is why the demo has a few for the screening to find [rough].
DROPOUT_RATE = 0.004

# Migrant work: roughly a third of rural labour works away from home (NBS migrant worker
# monitoring survey, about 177 million working outside their township in 2023) [rough].
MIGRANT_SHARE = 0.33
MIGRANT_PLACES = _weights(
    "白城市:10 长春市:14 松原市:6 吉林市:3 沈阳市:6 大连市:5 哈尔滨市:3 "
    "北京市:8 天津市:6 河北省唐山市:2 山东省青岛市:4 江苏省苏州市:4 浙江省宁波市:2 内蒙古通辽市:3"
)

# Basic medical insurance: the lifted-out population's participation is kept above 99% (National
# Healthcare Security Administration); a few ordinary households lapse [rough].
MEDICAL_INSURANCE = {"lifted_out": 0.997, "ordinary": 0.975}

# Minimum living allowance (低保): about 34 million rural recipients in 2023 (Ministry of Civil
# Affairs statistics), some 7% of the rural population, concentrated in lifted-out households. An
# ordinary household gets it when its own per-capita income (before the allowance) is below the
# rural 低保 standard, taken here as 7,000 yuan like the example monitoring line below (Jilin's rural
# standard was about 5,000-6,000 yuan a year in 2023) [rough]. Not every eligible household applies
# or is approved: the take-up below puts about 2% of ordinary households on 低保 and, with the
# lifted-out households on 低保, about 8% of the people [rough].
DIBAO_INCOME_LINE = 7_000
ORDINARY_DIBAO_TAKE_UP = {"nobody_works": 0.85, "some_work": 0.5}
# A few recipients whose income has risen since the roll was last reviewed (the data check
# ``dibao_high_income`` is there to find them).
STALE_DIBAO_SHARE = 0.002
# Households that need a plan (lifted out or monitoring objects) in which nobody can work at all are
# covered by 兜底保障 (低保 or 特困); for a few the application is still with the civil affairs office,
# which the data check ``no_labour_no_allowance`` finds [rough].
ALLOWANCE_GAP_SHARE = 0.05
# A person living alone past 60 with nobody to work: extreme-poverty support (特困) rather than 低保
# for this share [rough].
SINGLE_ELDERLY_TEKUN_SHARE = 0.4

# Income (yuan per person per year, last complete year). Jilin's rural per-capita disposable
# income was about 19,000-20,000 yuan in 2023 (Jilin statistical communiqué); the national average
# of the lifted-out population was about 16,400 yuan in 2023 (National Rural Revitalization
# Administration), and lower in a former key county of the north-east [rough medians below].
INCOME_MEDIAN = {"lifted_out": 13_500, "ordinary": 18_500}
INCOME_SIGMA = {"lifted_out": 0.33, "ordinary": 0.45}
# Nominal growth of rural income: 7.7% in 2023 and 6.6% in 2024 (NBS) [rounded].
INCOME_GROWTH = 0.07

# An example monitoring line: the range is set by each province each year (domain.md section 4),
# about 7,000 yuan in recent years. Used only to shape at-risk households, never as a rule.
EXAMPLE_MONITORING_LINE = 7_000

# Monitoring objects. Currently monitored households [rough: 2-5% of households in a former key
# county, more among lifted-out households]; households whose risk was eliminated earlier (about
# 70% of monitoring objects had their risk eliminated by mid-2022, domain.md section 5); and
# households at risk that nobody has recorded yet, for the screening to find.
MONITORED_SHARE = {"lifted_out": 0.065, "ordinary": 0.018}
ELIMINATED_SHARE = {"lifted_out": 0.07, "ordinary": 0.02}
HIDDEN_RISK_SHARE = 0.015

RANGE_RISK_WEIGHTS = {
    "illness": 30,
    "disability": 15,
    "lack_of_labour": 15,
    "unstable_employment": 10,
    "schooling": 8,
    "disaster": 8,
    "business_failure": 5,
    "accident": 4,
    "housing": 3,
    "water": 2,
}
SUDDEN_RISK_WEIGHTS = {"illness": 45, "disaster": 25, "accident": 20, "housing": 10}
HIDDEN_SCENARIOS = {"low_income": 35, "medical": 25, "housing_d": 15, "dropout": 15, "disaster": 10}

# Housing safety after the dangerous-housing renovation campaign: almost all A or B; C and D come
# back through ageing and disasters [rough].
HOUSING_WEIGHTS = {"A": 50, "B": 46, "C": 3.5, "D": 0.5}

# Land. 通榆 is a farming and pastoral area of the Horqin sandy land: cultivated land per household
# is large (about 15-40 mu, mostly maize), some households hold grassland [rough].
LAND_RENT_PER_MU = (450, 750)  # land transferred to others, yuan per mu per year [rough]
FARM_GROSS_PER_MU = (750, 1_150)  # maize: yield times price [rough]
FARM_COST_PER_MU = (380, 520)
FARM_SUBSIDY_PER_MU = (90, 160)  # farmland protection and maize producer subsidies together [rough]
PENSION_PER_YEAR = (1_500, 2_100)  # basic rural pension of people aged 60+ [rough]
DIBAO_PER_PERSON = (2_400, 4_200)
TEKUN_PER_PERSON = (7_000, 9_500)
DISABILITY_ALLOWANCE = (900, 1_800)  # the two disability subsidies, recorded as excluded allowances

CHINESE_NUMERALS = "一二三四五六七八九十"

# Common surnames with rough weights (national frequency, with north-eastern names like 于, 姜, 邢).
SURNAMES = _weights(
    "王:72 李:70 张:68 刘:55 陈:18 杨:20 赵:24 孙:22 于:16 高:14 周:10 吴:9 徐:10 马:11 朱:8 胡:7 郭:9 "
    "何:5 姜:9 崔:7 宋:8 韩:9 唐:4 冯:6 董:7 曹:5 邢:4 田:5 付:5 曲:4 常:4 白:5 许:4 吕:4 苏:3 丁:3 魏:4 "
    "薛:3 闫:4 谭:2 史:3 潘:2 邵:3 梁:4 侯:3 孟:4 石:3 贾:3"
)
MONGOL_SURNAMES = ["包", "白", "吴", "韩", "金", "宝", "鲍", "敖", "陈", "那"]

GIVEN_NAMES = {
    ("M", "old"): "德才 宝山 福林 国富 志刚 永贵 玉林 文华 明山 金贵 长春 振国 庆祥 继武 立新 树林 广发 "
    "景春 成海 海军 建国 建华 国庆 卫东 富贵 喜才 忠义 长江 春生 铁柱 德胜 宝贵 凤山 玉山 占山 "
    "满仓 有财 连生 殿臣 万福 春林 桂林 贵山",
    ("F", "old"): "桂芝 淑珍 玉兰 凤英 秀兰 桂兰 淑华 秀英 玉珍 翠花 凤芝 素芬 桂荣 秀芝 淑芬 丽华 玉芬 "
    "金凤 春兰 秀云 桂香 凤琴 淑兰 玉霞 春梅 彩霞 艳华 秀梅 玉梅 凤霞 桂珍 玉芝 淑云",
    ("M", "mid"): "伟 磊 军 勇 涛 强 鹏 超 刚 海涛 志强 建军 永亮 晓东 春雷 长海 宏伟 东升 立国 海波 国强 "
    "志勇 文龙 金龙 宝华 立军 大鹏 明辉 振宇 庆华 殿武 铁军 海峰 春光 喜龙 洪涛",
    ("F", "mid"): "丽 艳 静 红 敏 燕 娟 丽娜 海燕 春燕 晓丽 艳红 丽丽 秀娟 玉杰 晓梅 红梅 艳玲 淑娟 "
    "美玲 丽红 春艳 立华 金玲 晓燕 雪梅 冬梅 海霞 艳秋 秀丽",
    ("M", "young"): "浩然 子轩 宇轩 俊熙 博文 浩宇 梓豪 一鸣 天佑 晨阳 明轩 嘉豪 子墨 思远 宇航 志鹏 "
    "佳乐 睿 鑫 昊 杰 博 哲 泽宇 铭 浩 家豪 俊杰 文博 皓轩",
    ("F", "young"): "欣怡 梓涵 子涵 诗涵 梦瑶 雨桐 佳怡 思琪 可馨 一诺 语桐 紫萱 雨欣 婉婷 佳琪 晓萱 悦 "
    "琪 婷 雪 萌 鑫悦 思雨 佳欣 梦琪 文静",
    ("M", "mongol"): "巴特尔 宝音 那日苏 额尔敦 苏和 布和 朝鲁 孟和 阿拉坦 特木尔 巴雅尔 格日乐图 "
    "宝力道 乌力吉",
    ("F", "mongol"): "其其格 乌云 萨仁 高娃 斯琴 娜仁 图雅 塔娜 乌兰 琪琪格 阿茹娜 格日勒 萨日娜 乌日娜",
}

VILLAGE_WORDS = _words(
    "新立 永胜 胜利 团结 同发 长发 双胜 兴隆 富强 向阳 红旗 东升 新发 太平 三合 四合 前进 民主 和平 "
    "永安 保安 福顺 广发 德胜 合心 义和 兴业 宝山 长山 青山 双山 平安 永兴 东兴 复兴 全胜 友谊 新民 "
    "聚宝 丰收 五星 先锋 红光 曙光 长胜 永丰 光明 庆丰 福兴 富民 六合 北山 南山 西岗 东岗 腰围子 "
    "双榆 三榆 榆树 柳条 苇子 碱草 敖包 大青 小青 元宝 金宝 万宝 德发 永和 兴安 长安 新生 新胜"
)
TOWNSHIP_WORDS = _words(
    "太平 永安 兴隆 新华 长发 团结 和平 胜利 双山 三合 向阳 保安 同心 红旗 东风 新民 富裕 宝山"
)
MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 176 177 178 "
    "180 181 182 183 185 186 187 188 189 191 198 199"
)


# ----------------------------------------------------------------------------- records


@dataclass(slots=True)
class AreaRecord:
    code: str
    name: str


@dataclass(slots=True)
class MemberRecord:
    name: str
    id_number: str
    sex: str
    ethnicity: str
    birth_date: dt.date
    relation: str
    education: str = ""
    schooling_status: str = "not_applicable"
    school_level: str = ""
    health: str = "healthy"
    has_disability_certificate: bool = False
    labour_capacity: str = "none"
    migrant_work_place: str = ""
    migrant_work_months: int = 0
    migrant_work_income: Decimal = Decimal(0)
    basic_medical_insurance: bool = True
    serious_illness_insurance: bool = True
    pension_insurance: bool = False
    receives_dibao: bool = False
    receives_tekun: bool = False
    phone: str = ""

    def age_on(self, day: dt.date) -> int:
        return age_on(self.birth_date, day)


@dataclass(slots=True)
class IncomeRecord:
    year: int
    household_size: int
    wage: Decimal
    business: Decimal
    property_income: Decimal
    transfer: Decimal
    excluded_transfer: Decimal
    business_expenditure: Decimal
    compliant_oop_spending: Decimal

    def per_capita_net(self, *, exclude_listed_allowances: bool = True) -> Decimal:
        total = self.wage + self.business + self.property_income + self.transfer - self.business_expenditure
        if exclude_listed_allowances:
            total -= self.excluded_transfer
        return (total / self.household_size).quantize(Decimal("0.01"))


@dataclass(slots=True)
class TypeEntry:
    household_type: str
    status: str
    effective_from: dt.date
    reason: str


@dataclass(slots=True)
class MonitoringEntry:
    category: str  # "" ends monitoring
    risk_types: tuple[str, ...]
    effective_from: dt.date
    reason: str


@dataclass(slots=True)
class HouseholdRecord:
    number: str
    village_code: str
    group_name: str
    address: str
    phone: str
    household_type: str
    status: str
    poverty_attribute: str = ""
    main_cause: str = ""
    secondary_cause: str = ""
    monitoring_category: str = ""
    risk_types: tuple[str, ...] = ()
    housing_area: Decimal = Decimal(0)
    housing_safety: str = "B"
    water_difficult: bool = False
    water_safe: bool = True
    has_electricity: bool = True
    distance_to_road_km: Decimal = Decimal(0)
    cultivated_land_mu: Decimal = Decimal(0)
    irrigated_land_mu: Decimal = Decimal(0)
    forest_land_mu: Decimal = Decimal(0)
    grassland_mu: Decimal = Decimal(0)
    water_surface_mu: Decimal = Decimal(0)
    in_cooperative: bool = False
    is_relocated: bool = False
    relocation_mode: str = ""
    relocation_place: str = ""
    members: list[MemberRecord] = field(default_factory=list)
    incomes: list[IncomeRecord] = field(default_factory=list)
    type_history: list[TypeEntry] = field(default_factory=list)
    monitoring_history: list[MonitoringEntry] = field(default_factory=list)

    @property
    def head(self) -> MemberRecord:
        return next(m for m in self.members if m.relation == "head")


@dataclass
class DemoCounty:
    county_code: str
    county_name: str
    seed: int
    as_of: dt.date
    townships: list[AreaRecord]
    villages: list[AreaRecord]
    households: list[HouseholdRecord]

    @property
    def income_years(self) -> list[int]:
        return income_years(self.as_of)


# ----------------------------------------------------------------------------- small helpers


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def income_years(as_of: dt.date) -> list[int]:
    """The last three complete years before ``as_of``, oldest first."""
    return [as_of.year - 3, as_of.year - 2, as_of.year - 1]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _yuan(value: float) -> Decimal:
    return Decimal(max(0, round(value)))


def _mu(value: float) -> Decimal:
    return Decimal(round(value * 2) / 2).quantize(Decimal("0.01"))


def _weighted(rng: random.Random, weights: Mapping[str, float] | Sequence[tuple[str, float]]) -> str:
    items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    return rng.choices([k for k, _w in items], weights=[w for _k, w in items])[0]


def _pick_distinct(rng: random.Random, weights: Mapping[str, float], count: int) -> list[str]:
    pool = dict(weights)
    chosen: list[str] = []
    while pool and len(chosen) < count:
        key = _weighted(rng, pool)
        chosen.append(key)
        del pool[key]
    return chosen


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


# ----------------------------------------------------------------------------- areas


def generate_areas(
    rng: random.Random,
    county_code: str,
    *,
    townships: Sequence[AreaRecord] | None = None,
    villages_per_township: tuple[int, int] = (10, 18),
) -> tuple[list[AreaRecord], list[AreaRecord]]:
    """Townships (9-digit codes) and villages (12-digit) with generated codes.

    Given ``townships`` (that already exist), only their villages are generated.
    """
    if townships:
        townships = sorted(townships, key=lambda a: a.code)
    else:
        if county_code == DEFAULT_COUNTY_CODE:
            names = list(TONGYU_TOWNSHIPS)
        else:
            words = rng.sample(TOWNSHIP_WORDS, 14)
            names = [w + "镇" for w in words[:8]] + [w + "乡" for w in words[8:]]
        townships = []
        town_seq, xiang_seq = 100, 200
        for name in names:
            if name.endswith("镇"):
                code, town_seq = f"{county_code}{town_seq:03d}", town_seq + 1
            else:
                code, xiang_seq = f"{county_code}{xiang_seq:03d}", xiang_seq + 1
            townships.append(AreaRecord(code, name))
        townships.sort(key=lambda a: a.code)

    villages: list[AreaRecord] = []
    used_names: set[str] = set()
    for township in townships:
        for i in range(rng.randint(*villages_per_township)):
            name = _village_name(rng)
            while name in used_names:
                name = _village_name(rng)
            used_names.add(name)
            villages.append(AreaRecord(f"{township.code}{201 + i:03d}", name))
    return townships, villages


def _village_name(rng: random.Random) -> str:
    roll = rng.random()
    surname = _weighted(rng, SURNAMES)
    if roll < 0.30:
        return f"{surname}家村"
    if roll < 0.45:
        return f"{surname}家窝堡村"
    if roll < 0.60:
        return f"{rng.choice(VILLAGE_WORDS)}屯村"
    if roll < 0.68:
        return f"{rng.choice(CHINESE_NUMERALS)}井子村"
    if roll < 0.74:
        return f"{rng.choice('前后东西南北')}{surname}家村"
    return f"{rng.choice(VILLAGE_WORDS)}村"


# ----------------------------------------------------------------------------- people


class _People:
    """Names, ID numbers and phones, unique across the whole county."""

    def __init__(self, rng: random.Random, county_code: str, other_id_areas: Sequence[tuple[str, float]]):
        self.rng = rng
        self.county_code = county_code
        self.other_id_areas = list(other_id_areas)
        self.used_ids: set[tuple[str, dt.date, int]] = set()
        self.used_phones: set[str] = set()

    def id_number(self, birth: dt.date, sex: str, *, local_share: float = OWN_COUNTY_ID_SHARE) -> str:
        rng = self.rng
        area = self.county_code
        if self.other_id_areas and rng.random() > local_share:
            area = _weighted(rng, self.other_id_areas)
        parity = 1 if sex == "M" else 0
        while True:
            sequence = rng.randrange(500) * 2 + parity
            key = (area, birth, sequence)
            if key not in self.used_ids:
                self.used_ids.add(key)
                return make_id_number(area, birth, sequence)

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def given_name(self, sex: str, birth_year: int, ethnicity: str) -> str:
        rng = self.rng
        if ethnicity == "mongol" and rng.random() < 0.5:
            era = "mongol"
        elif birth_year < 1965:
            era = "old"
        elif birth_year < 1995:
            era = "mid"
        else:
            era = "young"
        return rng.choice(GIVEN_NAMES[(sex, era)].split())

    def surname(self, ethnicity: str) -> str:
        if ethnicity == "mongol" and self.rng.random() < 0.6:
            return self.rng.choice(MONGOL_SURNAMES)
        return _weighted(self.rng, SURNAMES)


@dataclass(slots=True)
class _Person:
    relation: str
    age: int
    sex: str
    parent_index: int | None = None  # for grandchildren and in-laws: the child they belong to


def _compose(rng: random.Random, size: int, head_age: int, head_sex: str) -> list[_Person]:
    """Relations, ages and sexes of a household of ``size`` people."""
    people = [_Person("head", head_age, head_sex)]
    other = "F" if head_sex == "M" else "M"
    if size >= 2 and head_age >= 22 and rng.random() < (0.9 if head_age < 70 else 0.75):
        gap = rng.gauss(2.5, 2.5) if head_sex == "M" else -rng.gauss(2.5, 2.5)
        people.append(_Person("spouse", max(20, min(92, round(head_age - gap))), other))
    while len(people) < size:
        children = [i for i, p in enumerate(people) if p.relation == "child"]
        parents = [p for p in people if p.relation == "parent"]
        married_children = {p.parent_index for p in people if p.relation == "child_in_law"}
        options: dict[str, float] = {}
        if head_age >= 20 and len(children) < 4:
            options["child"] = 6
        if head_age <= 62 and len(parents) < 2:
            options["parent"] = 2
        unmarried_adults = [i for i in children if people[i].age >= 22 and i not in married_children]
        if unmarried_adults:
            options["child_in_law"] = 4
        adult_children = [i for i in children if people[i].age >= 21]
        if adult_children and sum(p.relation == "grandchild" for p in people) < 3:
            options["grandchild"] = 5
        options["sibling"] = 0.3
        relation = _weighted(rng, options)
        if relation == "child":
            low, high = max(0, head_age - 44), head_age - 20
            people.append(_Person("child", rng.randint(low, high), rng.choice("MF")))
        elif relation == "parent":
            age = min(95, head_age + rng.randint(22, 34))
            people.append(_Person("parent", age, rng.choice("MF")))
        elif relation == "child_in_law":
            index = rng.choice(unmarried_adults)
            child = people[index]
            age = max(20, child.age + rng.randint(-3, 3))
            people.append(_Person("child_in_law", age, "F" if child.sex == "M" else "M", index))
        elif relation == "grandchild":
            index = rng.choice(adult_children)
            age = rng.randint(0, min(people[index].age - 20, 22))
            people.append(_Person("grandchild", age, rng.choice("MF"), index))
        else:
            age = max(16, min(90, head_age + rng.randint(-10, 10)))
            people.append(_Person("sibling", age, rng.choice("MF")))
    return people


def _birth_for_age(rng: random.Random, age: int, as_of: dt.date) -> dt.date:
    latest = _years_before(as_of, age)
    earliest = _years_before(as_of, age + 1) + dt.timedelta(days=1)
    return _random_date(rng, earliest, latest)


def _health(rng: random.Random, age: int, factor: float) -> str:
    for upper, (disabled, serious, chronic) in HEALTH_BY_AGE:
        if age <= upper:
            roll = rng.random()
            if roll < disabled * factor:
                return "disabled"
            if roll < (disabled + serious) * factor:
                return "serious"
            if roll < (disabled + serious + chronic) * factor:
                return "chronic"
            return "healthy"
    return "healthy"  # pragma: no cover


def _adult_education(rng: random.Random, birth_year: int) -> str:
    for upper, weights in EDUCATION_BY_BIRTH:
        if birth_year <= upper:
            return rng.choices(EDUCATION_CODES, weights=weights)[0]
    return "junior"  # pragma: no cover


def _schooling(rng: random.Random, member: MemberRecord, age: int) -> None:
    """Education, schooling status and school level consistent with age."""
    birth_year = member.birth_date.year
    if age < 3:
        member.education, member.schooling_status, member.school_level = "", "not_applicable", ""
    elif age < 6:
        if rng.random() < 0.85:
            member.education, member.schooling_status, member.school_level = (
                "preschool",
                "in_school",
                "preschool",
            )
    elif age < 12:
        member.education, member.schooling_status, member.school_level = "primary", "in_school", "primary"
    elif age < 15 or (age == 15 and rng.random() < 0.5):
        member.education, member.schooling_status, member.school_level = "junior", "in_school", "junior"
    elif age < 19:
        if age == 15 or rng.random() < 0.82:
            level = "vocational" if rng.random() < 0.35 else "senior"
            member.education, member.schooling_status, member.school_level = "junior", "in_school", level
        else:
            member.education, member.schooling_status = "junior", "graduated"
    elif age < 23 and rng.random() < 0.3:
        member.education, member.schooling_status, member.school_level = "senior", "in_school", "tertiary"
    else:
        member.education = _adult_education(rng, birth_year)
        member.schooling_status = "graduated" if age < 23 else "not_applicable"
    if 6 <= age <= 15 and rng.random() < DROPOUT_RATE:
        _drop_out(member, age)


def _labour(rng: random.Random, member: MemberRecord, age: int) -> str:
    """Labour capacity from age, health and schooling: children and pupils have none."""
    if age < 16 or member.schooling_status == "in_school":
        return "none"
    if member.health == "disabled":
        return "lost" if rng.random() < 0.55 else "weak"
    if member.health == "serious":
        return "lost" if rng.random() < 0.45 else "weak"
    if age >= 70:
        return "none" if rng.random() < 0.65 else "weak"
    if age >= 60:
        if member.health == "chronic":
            return "weak" if rng.random() < 0.6 else "none"
        return _weighted(rng, {"ordinary": 30, "weak": 55, "none": 15})
    if member.health == "chronic":
        return "weak" if rng.random() < 0.55 else "ordinary"
    return "skilled" if rng.random() < (0.15 if age < 50 else 0.05) else "ordinary"


# Labour capacities that count as "can work" in the plan rules and data checks (weak labour included).
WORKING_CAPACITIES = ("ordinary", "skilled", "weak")


def _works(member: MemberRecord) -> bool:
    return member.labour_capacity in ("ordinary", "skilled")


# ----------------------------------------------------------------------------- households


@dataclass(slots=True)
class _Plan:
    """What kind of risk a household carries, decided before its facts are drawn."""

    monitoring: str = ""  # "", "monitored", "eliminated"
    category: str = ""
    risks: list[str] = field(default_factory=list)  # risks the household's facts show now
    past_risks: list[str] = field(default_factory=list)  # risks of a household whose risk was eliminated
    hidden: str = ""  # a risk nobody has recorded yet
    onset_last_year: bool = False  # the trouble began in the last income year
    event_year: int = 0  # the year of a disaster, accident, failed business or lost job, if any


class _Generator:
    def __init__(
        self,
        *,
        seed: int,
        county_code: str,
        county_name: str,
        as_of: dt.date,
        other_id_areas: Sequence[tuple[str, float]],
    ) -> None:
        self.rng = random.Random(seed)
        self.county_code = county_code
        self.county_name = county_name
        self.as_of = as_of
        self.years = income_years(as_of)
        self.people = _People(self.rng, county_code, other_id_areas)
        self.seat_name = ""  # the township of the county seat, for relocation sites

    # -- plan

    def plan(self, household_type: str) -> _Plan:
        rng = self.rng
        roll = rng.random()
        monitored, eliminated = MONITORED_SHARE[household_type], ELIMINATED_SHARE[household_type]
        plan = _Plan()
        if roll < monitored:
            plan.monitoring = "monitored"
            sudden = rng.random() < 0.18
            if sudden:
                plan.category = "sudden_difficulty"
                plan.risks = _pick_distinct(rng, SUDDEN_RISK_WEIGHTS, rng.choice((1, 1, 2)))
                plan.onset_last_year = True
            else:
                plan.category = "unstable_lifted" if household_type == "lifted_out" else "marginal"
                plan.risks = _pick_distinct(rng, RANGE_RISK_WEIGHTS, rng.choice((1, 1, 2, 2, 3)))
                plan.onset_last_year = rng.random() < 0.4
        elif roll < monitored + eliminated:
            plan.monitoring = "eliminated"
            plan.category = (
                "sudden_difficulty"
                if rng.random() < 0.15
                else ("unstable_lifted" if household_type == "lifted_out" else "marginal")
            )
            plan.past_risks = _pick_distinct(rng, RANGE_RISK_WEIGHTS, rng.choice((1, 1, 2)))
        elif roll < monitored + eliminated + HIDDEN_RISK_SHARE:
            plan.hidden = _weighted(rng, HIDDEN_SCENARIOS)
            plan.onset_last_year = plan.hidden in ("medical", "disaster")
        return plan

    # -- one household

    def household(
        self, village: AreaRecord, township: AreaRecord, number: str, groups: int
    ) -> HouseholdRecord:
        rng, as_of = self.rng, self.as_of
        household_type = "lifted_out" if rng.random() < LIFTED_OUT_SHARE else "ordinary"
        lifted = household_type == "lifted_out"
        attribute = _weighted(rng, POVERTY_ATTRIBUTE_WEIGHTS) if lifted else ""
        plan = self.plan(household_type)

        if attribute == "tekun":
            size = 1  # extreme-poverty support goes to people on their own without family to rely on
        else:
            sizes = SIZE_WEIGHTS_LIFTED if lifted else SIZE_WEIGHTS_ORDINARY
            size = rng.choices(list(sizes), weights=list(sizes.values()))[0]
        bands = SINGLE_AGE_BANDS if size == 1 else HEAD_AGE_BANDS
        low, high = rng.choices([b for b, _w in bands], weights=[w for _b, w in bands])[0]
        head_age = rng.randint(low, high)
        if attribute == "tekun":
            head_age = max(head_age, rng.randint(60, 85))
        if size >= 4:
            head_age = max(head_age, 30)
        head_sex = "M" if rng.random() < (0.82 if size > 1 else 0.62) else "F"

        # Mostly Han; Mongols are a minority of the county and many in its two Mongol xiangs [rough].
        mongol_share = 0.3 if "蒙古族" in township.name else 0.04
        ethnicity = _weighted(
            rng,
            {
                "han": 0.98 - mongol_share,
                "mongol": mongol_share,
                "manchu": 0.012,
                "hui": 0.006,
                "korean": 0.002,
            },
        )
        family_surname = self.people.surname(ethnicity)
        members = self._members(_compose(rng, size, head_age, head_sex), family_surname, ethnicity, lifted)

        group = rng.randrange(groups)
        group_name = f"第{_group_numeral(group + 1)}组"
        record = HouseholdRecord(
            number=number,
            village_code=village.code,
            group_name=group_name,
            address=f"{township.name}{village.name}{group_name}",
            phone="",
            household_type=household_type,
            status="lifted" if lifted else "normal",
            poverty_attribute=attribute,
            members=members,
        )
        self._place_and_land(record, lifted)
        if lifted:
            self._causes(record)
        self._apply_plan(record, plan)
        for member in record.members:
            member.labour_capacity = _labour(rng, member, member.age_on(as_of))
        if "lack_of_labour" in plan.risks:
            for member in record.members:
                if _works(member):
                    member.labour_capacity = "weak"
        self._social(record, attribute, plan)
        self._incomes(record, plan)
        self._finish_monitoring(record, plan)
        self._type_history(record)
        head = record.head
        head.phone = record.phone = self.people.phone()
        return record

    def _members(
        self, people: list[_Person], surname: str, ethnicity: str, lifted: bool
    ) -> list[MemberRecord]:
        rng, as_of = self.rng, self.as_of
        members: list[MemberRecord] = []
        factor = LIFTED_HEALTH_FACTOR if lifted else 1.0
        for person in people:
            birth = _birth_for_age(rng, person.age, as_of)
            in_family = person.relation in ("head", "child", "grandchild", "sibling") or (
                person.relation == "parent" and person.sex == "M"
            )
            if person.relation == "grandchild" and person.parent_index is not None:
                in_family = people[person.parent_index].sex == "M"
            own_ethnicity = (
                ethnicity
                if in_family or rng.random() < 0.8
                else _weighted(rng, {"han": 90, "mongol": 8, "manchu": 2})
            )
            family_name = surname if in_family else self.people.surname(own_ethnicity)
            married_in = person.relation in ("spouse", "child_in_law")
            member = MemberRecord(
                name=family_name + self.people.given_name(person.sex, birth.year, own_ethnicity),
                id_number=self.people.id_number(
                    birth, person.sex, local_share=0.7 if married_in else OWN_COUNTY_ID_SHARE
                ),
                sex=person.sex,
                ethnicity=own_ethnicity,
                birth_date=birth,
                relation=person.relation,
                health=_health(rng, person.age, factor if person.age >= 18 else 1.0),
            )
            if member.health == "disabled":
                member.has_disability_certificate = rng.random() < 0.8
            _schooling(rng, member, person.age)
            members.append(member)
        return members

    def _place_and_land(self, record: HouseholdRecord, lifted: bool) -> None:
        rng = self.rng
        size = len(record.members)
        record.housing_area = Decimal(round(rng.uniform(40, 70) if lifted else rng.uniform(50, 110)))
        record.housing_safety = _weighted(rng, HOUSING_WEIGHTS)
        # Western Jilin has high-fluoride groundwater; a few households still lack safe water.
        record.water_safe = rng.random() > 0.012
        record.water_difficult = rng.random() < 0.008
        record.has_electricity = rng.random() > 0.001
        record.distance_to_road_km = Decimal(str(round(min(15.0, rng.expovariate(1 / 1.8)), 1)))
        factor = {1: 0.6, 2: 0.85, 3: 1.0}.get(size, 1.15)
        cultivated = rng.uniform(15, 40) * factor * (0.85 if lifted else 1.0)
        record.cultivated_land_mu = _mu(cultivated)
        record.irrigated_land_mu = (
            _mu(cultivated * rng.uniform(0, 0.45)) if rng.random() < 0.55 else Decimal("0.00")
        )
        record.grassland_mu = _mu(rng.uniform(5, 60)) if rng.random() < 0.22 else Decimal("0.00")
        record.forest_land_mu = _mu(rng.uniform(1, 8)) if rng.random() < 0.3 else Decimal("0.00")
        record.water_surface_mu = _mu(rng.uniform(1, 10)) if rng.random() < 0.02 else Decimal("0.00")
        record.in_cooperative = rng.random() < (0.4 if lifted else 0.22)
        if lifted and rng.random() < 0.015:
            record.is_relocated = True
            record.relocation_mode = "centralized" if rng.random() < 0.6 else "dispersed"
            record.relocation_place = (
                f"{self.county_name}{self.seat_name}易地扶贫搬迁安置小区"
                if record.relocation_mode == "centralized"
                else f"{self.county_name}{self.seat_name}（分散安置）"
            )

    def _causes(self, record: HouseholdRecord) -> None:
        rng, as_of = self.rng, self.as_of
        main = _weighted(rng, MAIN_CAUSE_WEIGHTS)
        adults = [m for m in record.members if m.age_on(as_of) >= 18]
        if main == "illness" and not any(m.health in ("chronic", "serious") for m in record.members):
            _fall_ill(rng, adults, "chronic" if rng.random() < 0.7 else "serious")
        elif main == "disability" and not any(m.health == "disabled" for m in record.members):
            _fall_ill(rng, record.members, "disabled")
        elif main == "schooling" and not any(m.schooling_status == "in_school" for m in record.members):
            main = "lack_of_funds"
        record.main_cause = main
        if rng.random() < 0.55:
            secondary = _weighted(rng, {k: w for k, w in MAIN_CAUSE_WEIGHTS.items() if k != main})
            record.secondary_cause = secondary

    def _apply_plan(self, record: HouseholdRecord, plan: _Plan) -> None:
        """Make the household's facts show its risks (mutations before labour and income)."""
        rng, as_of = self.rng, self.as_of
        adults = [m for m in record.members if m.age_on(as_of) >= 18]
        pupils = [m for m in record.members if 6 <= m.age_on(as_of) <= 15]
        students = [m for m in record.members if m.school_level in ("senior", "vocational", "tertiary")]
        risks = list(plan.risks)
        for risk in list(risks):
            if risk in ("illness", "accident"):
                _fall_ill(rng, adults, "serious" if risk == "illness" or rng.random() < 0.5 else "disabled")
            elif risk == "disability":
                _fall_ill(rng, record.members, "disabled")
            elif risk == "schooling":
                if pupils and (not students or rng.random() < 0.3):
                    _drop_out(pupil := rng.choice(pupils), pupil.age_on(as_of))
                elif not students:
                    risks.remove(risk)
            elif risk == "housing":
                record.housing_safety = "D" if rng.random() < 0.5 else "C"
            elif risk == "water":
                record.water_safe = False
                record.water_difficult = rng.random() < 0.5
            elif risk == "disaster" and rng.random() < 0.3:
                record.housing_safety = "C"
        if plan.risks and not risks:
            risks = ["illness"]
            _fall_ill(rng, adults, "serious")
        plan.risks = risks
        if plan.hidden == "medical":
            _fall_ill(rng, adults, "serious")
        elif plan.hidden == "housing_d":
            record.housing_safety = "D"
        elif plan.hidden == "dropout":
            if pupils:
                _drop_out(pupil := rng.choice(pupils), pupil.age_on(as_of))
            else:
                plan.hidden = "low_income"

    def _social(self, record: HouseholdRecord, attribute: str, plan: _Plan) -> None:
        rng, as_of = self.rng, self.as_of
        lifted = record.household_type == "lifted_out"
        insured = MEDICAL_INSURANCE[record.household_type]
        nobody_works = not any(_works(m) for m in record.members)
        # An ordinary household's 低保 follows its income, so it is decided with the income (_incomes).
        dibao = attribute == "dibao"
        if "lack_of_labour" in plan.risks and rng.random() < 0.5:
            dibao = True
        single_elderly = len(record.members) == 1 and nobody_works and record.head.age_on(as_of) >= 60
        tekun = attribute == "tekun" or (single_elderly and rng.random() < 0.1)
        # 兜底保障: where a lifted-out or monitored household has nobody who can work at all (weak
        # labour counts as labour, as in the plan rules), someone receives 低保 or 特困, but for a few.
        # (A household whose risk was eliminated is left to the income test of an ordinary one.)
        no_labour = not any(m.labour_capacity in WORKING_CAPACITIES for m in record.members)
        if (
            (lifted or plan.monitoring == "monitored")
            and no_labour
            and not (dibao or tekun)
            and rng.random() >= ALLOWANCE_GAP_SHARE
        ):
            if single_elderly and rng.random() < SINGLE_ELDERLY_TEKUN_SHARE:
                tekun = True
            else:
                dibao = True
        if lifted and attribute == "general" and (dibao or tekun):
            record.poverty_attribute = "tekun" if tekun else "dibao"
        for member in record.members:
            age = member.age_on(as_of)
            member.basic_medical_insurance = rng.random() < insured
            member.serious_illness_insurance = member.basic_medical_insurance
            if age >= 60:
                member.pension_insurance = rng.random() < 0.97
            elif age >= 16 and member.schooling_status != "in_school":
                member.pension_insurance = rng.random() < 0.8
            member.receives_dibao = dibao
        if tekun:
            record.head.receives_tekun = True
            record.head.receives_dibao = False
        # Migrant work: some of those who can work, mostly younger people.
        workers = [m for m in record.members if _works(m) and 18 <= m.age_on(as_of) <= 55]
        for member in workers:
            if rng.random() < MIGRANT_SHARE:
                member.migrant_work_place = _weighted(rng, MIGRANT_PLACES)
        if "unstable_employment" in plan.risks:
            if workers:
                returned = rng.choice(workers)
                returned.migrant_work_place = returned.migrant_work_place or _weighted(rng, MIGRANT_PLACES)
            else:  # nobody to send out to work: the risk is the lack of labour itself
                plan.risks = list(
                    dict.fromkeys("lack_of_labour" if r == "unstable_employment" else r for r in plan.risks)
                )

    # -- money

    def _incomes(self, record: HouseholdRecord, plan: _Plan) -> None:
        rng, as_of = self.rng, self.as_of
        size = len(record.members)
        lifted = record.household_type == "lifted_out"
        kind = record.household_type
        members = record.members
        workers = [m for m in members if _works(m)]
        weak = [m for m in members if m.labour_capacity == "weak"]
        migrants = [m for m in workers if m.migrant_work_place]
        # Households with full labour farm their land; those with only weak labour often transfer it
        # to others for rent, and those with no labour always do.
        farms = bool(workers) or (bool(weak) and rng.random() < 0.5)
        cultivated = float(record.cultivated_land_mu)
        livestock = rng.uniform(4_000, 40_000) if (farms and rng.random() < 0.28) else 0.0
        if livestock and rng.random() < 0.5:
            record.grassland_mu = record.grassland_mu or _mu(rng.uniform(10, 50))

        normal_pc = rng.lognormvariate(0, INCOME_SIGMA[kind]) * INCOME_MEDIAN[kind]
        if not workers:
            normal_pc *= 0.7
        ranged = plan.monitoring == "monitored" and plan.category != "sudden_difficulty"
        low = ranged or plan.hidden == "low_income"
        target_pc = rng.uniform(3_800, EXAMPLE_MONITORING_LINE - 200) if low else normal_pc
        if plan.category == "sudden_difficulty" and plan.monitoring == "monitored":
            target_pc = max(target_pc, rng.uniform(EXAMPLE_MONITORING_LINE + 800, 14_000))
        if plan.monitoring == "eliminated":
            target_pc = max(target_pc, rng.uniform(EXAMPLE_MONITORING_LINE + 1_500, 15_000))

        rent_per_mu = rng.uniform(*LAND_RENT_PER_MU)
        gross_per_mu = rng.uniform(*FARM_GROSS_PER_MU)
        cost_per_mu = rng.uniform(*FARM_COST_PER_MU)
        subsidy_per_mu = rng.uniform(*FARM_SUBSIDY_PER_MU)
        dividend = rng.uniform(300, 1_500) if (lifted and record.in_cooperative) else 0.0
        pensions = sum(rng.uniform(*PENSION_PER_YEAR) for m in members if m.age_on(as_of) >= 60)
        if not lifted and not any(m.receives_dibao or m.receives_tekun for m in members):
            own = self._own_income(
                size=size,
                target_pc=min(target_pc, EXAMPLE_MONITORING_LINE) if low else target_pc,
                fixed=pensions
                + cultivated * subsidy_per_mu
                + dividend
                + (
                    cultivated * (gross_per_mu - cost_per_mu) + livestock * 0.45
                    if farms
                    else cultivated * rent_per_mu + 500
                ),
                capacity=None if workers else 12 * 600 * len(weak),
            )
            take_up = ORDINARY_DIBAO_TAKE_UP["some_work" if workers else "nobody_works"]
            roll = rng.random()
            if (own < DIBAO_INCOME_LINE and roll < take_up) or roll < STALE_DIBAO_SHARE:
                for member in members:
                    member.receives_dibao = True
        dibao = sum(rng.uniform(*DIBAO_PER_PERSON) for m in members if m.receives_dibao)
        tekun = sum(rng.uniform(*TEKUN_PER_PERSON) for m in members if m.receives_tekun)
        disability = sum(rng.uniform(*DISABILITY_ALLOWANCE) for m in members if m.has_disability_certificate)
        base_oop = 0.0
        for member in members:
            base_oop += {
                "healthy": rng.uniform(0, 600),
                "chronic": rng.uniform(1_000, 5_000),
                "serious": rng.uniform(8_000, 30_000),
                "disabled": rng.uniform(500, 3_000),
            }[member.health]
        shock_oop = 0.0
        if {"illness", "accident"} & set(plan.risks) or plan.hidden == "medical":
            shock_oop = (
                rng.uniform(40_000, 150_000)
                if plan.category == "sudden_difficulty"
                else rng.uniform(20_000, 80_000)
            )
        monthly = {
            id(m): rng.uniform(3_000, 6_500) if m.migrant_work_place else rng.uniform(2_300, 3_600)
            for m in workers
        }
        events = {"illness", "accident", "disaster", "business_failure", "unstable_employment"}
        if (plan.monitoring == "monitored" and events & set(plan.risks)) or plan.hidden in (
            "medical",
            "disaster",
        ):
            plan.event_year = self.years[-1] if plan.onset_last_year else self.years[-2]

        incomes: list[IncomeRecord] = []
        for year in self.years:
            back = self.years[-1] - year  # 0 for the last year
            growth = (1 + INCOME_GROWTH) ** -back
            last = back == 0
            shocked = last or not plan.onset_last_year  # a year of low income
            in_event = year == plan.event_year  # a year of a disaster, accident or the like
            year_target = target_pc if shocked else max(target_pc, normal_pc)
            year_target *= growth * rng.uniform(0.94, 1.06)

            transfer = (pensions + dibao + tekun + disability) * growth + cultivated * subsidy_per_mu
            if farms:
                farm_gross = cultivated * gross_per_mu * growth + livestock * growth
                farm_cost = cultivated * cost_per_mu * growth + livestock * 0.55 * growth
                rent = 0.0
            else:
                farm_gross = rng.uniform(0, 1_500)  # courtyard economy: vegetables, poultry
                farm_cost = farm_gross * 0.3
                rent = cultivated * rent_per_mu * growth
            if in_event and ("disaster" in plan.risks or plan.hidden == "disaster"):
                farm_gross *= rng.uniform(0.2, 0.5)  # drought, hail or flood on the maize
            if in_event and "business_failure" in plan.risks:
                farm_cost += rng.uniform(8_000, 30_000)
                farm_gross *= rng.uniform(0.4, 0.7)
            property_income = rent + dividend * growth
            fixed = transfer + property_income + farm_gross - farm_cost
            needed = year_target * size - fixed
            wage = 0.0
            capacity = 0.0
            if workers:
                # What the household's workers could earn: migrants at their pay, the others in
                # local jobs (construction, farm work for others) at a lower monthly rate.
                capacity = 12 * sum(monthly[id(m)] for m in workers) * growth * rng.uniform(0.92, 1.05)
            elif weak:
                capacity = 12 * 600 * len(weak)  # public-welfare posts and odd jobs
            if needed > 0:
                wage = min(needed, capacity)
            elif low and farm_gross > farm_cost:
                # A poor harvest or a small plot: scale farming down to the household's real level.
                overshoot = min(-needed, farm_gross - farm_cost)
                farm_gross -= overshoot / 0.55
                farm_cost -= overshoot / 0.55 * 0.45
                farm_gross, farm_cost = max(farm_gross, 0.0), max(farm_cost, 0.0)
            if low and shocked:
                ceiling = (EXAMPLE_MONITORING_LINE - 150) * size * growth
                excess = transfer + property_income + farm_gross - farm_cost + wage - ceiling
                for part in ("wage", "property", "farm"):
                    if excess <= 0:
                        break
                    if part == "wage":
                        cut = min(wage, excess)
                        wage -= cut
                    elif part == "property":
                        cut = min(property_income, excess)
                        property_income -= cut
                    else:
                        cut = min(max(farm_gross - farm_cost, 0.0), excess)
                        farm_gross -= cut
                    excess -= cut
                if excess > 0:  # allowances alone lift it over: pay the dibao top-up less
                    transfer = max(transfer - excess, 0.0)
            if in_event and "unstable_employment" in plan.risks:
                wage *= rng.uniform(0.3, 0.6)
            oop = base_oop * growth + (shock_oop if in_event else 0.0)
            # Costs already spent on a failed harvest can push net income below zero; keep a floor
            # of a few hundred yuan a head, as a household's own food production would.
            floor = 800.0 * size
            excluded = min(disability * growth, transfer)
            net = wage + farm_gross - farm_cost + property_income + transfer - excluded
            if net < floor:
                farm_cost = max(0.0, farm_cost - (floor - net))
            incomes.append(
                IncomeRecord(
                    year=year,
                    household_size=size,
                    wage=_yuan(wage),
                    business=_yuan(farm_gross),
                    property_income=_yuan(property_income),
                    transfer=_yuan(transfer),
                    excluded_transfer=min(_yuan(excluded), _yuan(transfer)),
                    business_expenditure=_yuan(farm_cost),
                    compliant_oop_spending=_yuan(oop),
                )
            )
            if last:
                self._migrant_months(migrants, monthly, float(wage), plan)
        record.incomes = incomes

    @staticmethod
    def _own_income(*, size: int, target_pc: float, fixed: float, capacity: float | None) -> float:
        """A household's likely per-capita income of the last year before any 低保, as ``_incomes``
        builds it: what it has anyway (pensions, subsidies, land, farming), topped up by wages towards
        its target as far as its workers can earn (``capacity`` None: as far as needed)."""
        gap = max(target_pc * size - fixed, 0.0)
        wage = gap if capacity is None else min(gap, capacity)
        return (fixed + wage) / size

    def _migrant_months(
        self, migrants: list[MemberRecord], monthly: dict[int, float], wage: float, plan: _Plan
    ) -> None:
        """Spread the last year's wage income over the household's migrant workers."""
        rng = self.rng
        if not migrants or wage <= 0:
            for member in migrants:
                member.migrant_work_place = ""
            return
        migrant_total = wage * rng.uniform(0.75, 1.0)
        shares = [rng.uniform(0.5, 1.5) for _m in migrants]
        for member, share in zip(migrants, shares, strict=True):
            income = migrant_total * share / sum(shares)
            months = max(1, min(12, round(income / monthly[id(member)])))
            if "unstable_employment" in plan.risks:
                months = min(months, rng.randint(1, 4))
            member.migrant_work_months = months
            member.migrant_work_income = _yuan(income)

    # -- histories

    def _finish_monitoring(self, record: HouseholdRecord, plan: _Plan) -> None:
        """Category from the facts: income against the example line decides range or sudden."""
        if not plan.monitoring:
            return
        rng, as_of = self.rng, self.as_of
        last = record.incomes[-1]
        per_capita = last.per_capita_net(exclude_listed_allowances=True)
        range_category = "unstable_lifted" if record.household_type == "lifted_out" else "marginal"
        # Income within the range makes it a range category, whatever was planned; a household
        # planned as eliminated whose income is still low stays monitored.
        below = per_capita < EXAMPLE_MONITORING_LINE
        category = range_category if below else plan.category
        if not below and category == range_category and plan.monitoring == "monitored":
            category = "sudden_difficulty"
        monitored = plan.monitoring == "monitored" or below
        risks = tuple((plan.risks or plan.past_risks)[:3])
        earliest = dt.date(2021, 7, 1)
        if monitored:
            start = dt.date(plan.event_year, 1, 15) if plan.event_year else dt.date(2022, 1, 1)
            identified = _random_date(rng, max(start, earliest), as_of - dt.timedelta(days=20))
            record.monitoring_category, record.risk_types = category, risks
            record.monitoring_history = [
                MonitoringEntry(
                    category, risks, identified, "风险识别，经村级评议、乡镇审核、县级确定纳入监测"
                )
            ]
        else:
            identified = _random_date(rng, earliest, as_of - dt.timedelta(days=400))
            eliminated = _random_date(
                rng,
                identified + dt.timedelta(days=190),
                min(as_of - dt.timedelta(days=10), identified + dt.timedelta(days=720)),
            )
            record.monitoring_category, record.risk_types = "", ()
            record.monitoring_history = [
                MonitoringEntry(
                    category, risks, identified, "风险识别，经村级评议、乡镇审核、县级确定纳入监测"
                ),
                MonitoringEntry("", (), eliminated, "收入持续稳定，风险已消除（帮扶消除）"),
            ]

    def _type_history(self, record: HouseholdRecord) -> None:
        rng = self.rng
        if record.household_type == "lifted_out":
            registered = (
                _random_date(rng, dt.date(2014, 4, 1), dt.date(2014, 10, 31))
                if rng.random() < 0.75
                else _random_date(rng, dt.date(2015, 6, 1), dt.date(2018, 10, 31))
            )
            exit_year = rng.randint(max(2016, registered.year + 1), 2020)
            exited = _random_date(rng, dt.date(exit_year, 10, 1), dt.date(exit_year, 12, 20))
            record.type_history = [
                TypeEntry("poor", "not_lifted", registered, "建档立卡"),
                TypeEntry("lifted_out", "lifted", exited, "达到脱贫标准，经评议公示退出"),
            ]
        else:
            entered = _random_date(rng, dt.date(2021, 3, 1), dt.date(2022, 6, 30))
            record.type_history = [TypeEntry("ordinary", "normal", entered, "农户信息采集")]


def _fall_ill(rng: random.Random, people: list[MemberRecord], health: str) -> None:
    """Give one of ``people`` an illness or a (certified) disability.

    Health is one value per person, so an illness goes to someone not already disabled.
    """
    if health == "disabled":
        member = rng.choice(people)
        member.health, member.has_disability_certificate = "disabled", True
        return
    candidates = [m for m in people if m.health != "disabled"]
    if candidates:
        rng.choice(candidates).health = health


def _drop_out(member: MemberRecord, age: int) -> None:
    member.education = "primary" if age >= 8 else "preschool"
    member.schooling_status, member.school_level = "dropped_out", ""


def _group_numeral(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (
        ("" if tens == 1 else CHINESE_NUMERALS[tens - 1])
        + "十"
        + (CHINESE_NUMERALS[ones - 1] if ones else "")
    )


# ----------------------------------------------------------------------------- entry point


def generate(
    *,
    county_code: str = DEFAULT_COUNTY_CODE,
    county_name: str = DEFAULT_COUNTY_NAME,
    households: int = 20_000,
    seed: int = 2024,
    as_of: dt.date,
    townships: Sequence[AreaRecord] | None = None,
    villages: Sequence[AreaRecord] | None = None,
    other_id_areas: Sequence[tuple[str, float]] | None = None,
) -> DemoCounty:
    """Generate a county's areas and ``households`` households as they stand on ``as_of``.

    ``townships`` and ``villages`` let the caller reuse areas that already exist (for example
    imported from the real list): with villages, households go into them; with townships only,
    villages are generated under them; with neither, both are generated. ``other_id_areas`` are
    (county code, weight) pairs for ID numbers issued elsewhere; by default Jilin counties for a
    Jilin county and none otherwise.
    """
    if other_id_areas is None:
        other_id_areas = (
            [(c, w) for c, w in JILIN_OTHER_ID_AREAS if c != county_code]
            if county_code.startswith("22")
            else []
        )
    gen = _Generator(
        seed=seed,
        county_code=county_code,
        county_name=county_name,
        as_of=as_of,
        other_id_areas=other_id_areas,
    )
    rng = gen.rng
    if villages:
        township_list = sorted(townships or [], key=lambda a: a.code)
        village_list = sorted(villages, key=lambda a: a.code)
    else:
        township_list, village_list = generate_areas(rng, county_code, townships=townships)
    township_by_code = {t.code: t for t in township_list}
    gen.seat_name = township_list[0].name if township_list else ""

    # Villages differ in size; households are spread in proportion to a drawn weight.
    weights = [rng.uniform(0.5, 1.6) for _v in village_list]
    counts = [0] * len(village_list)
    for index in rng.choices(range(len(village_list)), weights=weights, k=households):
        counts[index] += 1
    records: list[HouseholdRecord] = []
    for village, count in zip(village_list, counts, strict=True):
        township = township_by_code.get(village.code[:9], AreaRecord(village.code[:9], ""))
        groups = rng.randint(3, 9)
        for sequence in range(1, count + 1):
            records.append(gen.household(village, township, f"{village.code}{sequence:04d}", groups))
    return DemoCounty(
        county_code=county_code,
        county_name=county_name,
        seed=seed,
        as_of=as_of,
        townships=township_list,
        villages=village_list,
        households=records,
    )
