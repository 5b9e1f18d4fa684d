"""The columns of the registry's import files (households, members, yearly incomes) and their types.

Each column has a Chinese and an English header (the template writes both, in rows 1 and 2) and
other headers clerks use; a coded column accepts the stable code, its English label, or its Chinese
words (``脱贫户``, ``男``, ``户主``), which is what the template's drop-down lists offer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fupin.core.errors import Message
from fupin.feeds.kinds import header_key
from fupin.registry import choices as c


@dataclass(frozen=True)
class Col:
    """One column: ``field`` is the model field (or a key the importer understands)."""

    field: str
    chinese: str
    english: str
    kind: str  # text, code, date, decimal, int, bool, id_number, phone, household, village, year
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: type[models.TextChoices] | None = None
    max_length: int = 0
    help: Message = ""
    extra_words: tuple[tuple[str, str], ...] = ()  # (word, code) accepted besides the labels

    @property
    def header(self) -> str:
        return f"{self.chinese} / {self.english}"

    @property
    def accepted(self) -> tuple[str, ...]:
        keys = [header_key(h) for h in (self.chinese, self.english, *self.aliases)]
        return tuple(dict.fromkeys(k for k in keys if k))


@dataclass(frozen=True)
class Spec:
    kind: str
    label: Message
    columns: tuple[Col, ...]
    key: tuple[str, ...]  # the upsert key
    notes: tuple[Message, ...] = field(default=())

    def column(self, name: str) -> Col:
        return next(col for col in self.columns if col.field == name)


def _code_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    return re.sub(r"[\s_\-()（）]", "", text)


_CHINESE_IN_LABEL = re.compile(r"[（(]([^)）]*[\u4e00-\u9fff][^)）]*)[)）]")


@cache
def code_words(col: Col) -> dict[str, str]:
    """Normalized word → code for a coded column: codes, English and Chinese labels, extra words."""
    assert col.choices is not None
    words: dict[str, str] = {}
    for value, label in col.choices.choices:
        if not value:
            continue
        with translation.override("en"):
            english = str(label)
        with translation.override("zh-hans"):
            chinese = str(label)
        candidates = [value, english, chinese, *(_CHINESE_IN_LABEL.findall(english))]
        # "Lifted-out household (脱贫户)": the English words alone too
        candidates.append(_CHINESE_IN_LABEL.sub("", english))
        for word in candidates:
            words.setdefault(_code_key(word), value)
    for word, value in col.extra_words:
        words[_code_key(word)] = value
    return words


@cache
def choice_labels(col: Col) -> list[str]:
    """What the template's drop-down list offers: the Chinese word for each code."""
    assert col.choices is not None
    labels = []
    for value, label in col.choices.choices:
        if not value:
            continue
        with translation.override("zh-hans"):
            chinese = str(label)
        found = _CHINESE_IN_LABEL.findall(chinese) or _CHINESE_IN_LABEL.findall(str(label))
        labels.append(found[0] if found else chinese)
    return labels


def lookup_code(col: Col, raw: str) -> str | None:
    return code_words(col).get(_code_key(raw))


YES_NO = {
    **{w: True for w in ("是", "有", "y", "yes", "true", "1", "√", "✓", "对")},
    **{w: False for w in ("否", "无", "没有", "n", "no", "false", "0", "×", "x", "不是")},
}

SEX_WORDS = (("男", "M"), ("女", "F"), ("男性", "M"), ("女性", "F"))
RELATION_WORDS = (
    ("户主", "head"),
    ("本人", "head"),
    ("配偶", "spouse"),
    ("妻", "spouse"),
    ("夫", "spouse"),
    ("子", "child"),
    ("子女", "child"),
    ("女", "child"),
    ("之子", "child"),
    ("之女", "child"),
    ("儿子", "child"),
    ("女儿", "child"),
    ("儿媳", "child_in_law"),
    ("女婿", "child_in_law"),
    ("孙子", "grandchild"),
    ("孙女", "grandchild"),
    ("外孙子", "grandchild"),
    ("外孙女", "grandchild"),
    ("父亲", "parent"),
    ("母亲", "parent"),
    ("父母", "parent"),
    ("祖父", "grandparent"),
    ("祖母", "grandparent"),
    ("兄弟", "sibling"),
    ("姐妹", "sibling"),
    ("兄弟姐妹", "sibling"),
    ("其他", "other"),
)
HEALTH_WORDS = (
    ("健康", "healthy"),
    ("长期慢性病", "chronic"),
    ("慢性病", "chronic"),
    ("大病", "serious"),
    ("患有大病", "serious"),
    ("残疾", "disabled"),
)
LABOUR_WORDS = (
    ("普通劳动力", "ordinary"),
    ("技能劳动力", "skilled"),
    ("弱劳动力或半劳动力", "weak"),
    ("弱劳动力", "weak"),
    ("半劳动力", "weak"),
    ("丧失劳动力", "lost"),
    ("无劳动力", "none"),
)
ETHNIC_WORDS = (
    ("汉族", "han"),
    ("汉", "han"),
    ("蒙古族", "mongol"),
    ("满族", "manchu"),
    ("朝鲜族", "korean"),
    ("回族", "hui"),
)


def _money(field_name: str, chinese: str, english: str, *aliases: str) -> Col:
    return Col(field_name, chinese, english, "decimal", aliases=aliases, help=_("yuan, e.g. 12000.50"))


def _land(field_name: str, chinese: str, english: str, *aliases: str) -> Col:
    return Col(field_name, chinese, english, "decimal", aliases=aliases, help=_("mu (亩)"))


def _flag(field_name: str, chinese: str, english: str, *aliases: str) -> Col:
    return Col(field_name, chinese, english, "bool", aliases=aliases, help=_("是 or 否 (yes or no)"))


HOUSEHOLD_NUMBER = Col(
    "household_number",
    "户编号",
    "household_number",
    "household",
    True,
    ("户号", "户编码", "家庭编号", "户主编号", "number"),
    max_length=30,
    help=_("the household's number in the registry; the key of the import"),
)

HOUSEHOLDS = Spec(
    kind="households",
    label=_("Households"),
    key=("household_number",),
    columns=(
        HOUSEHOLD_NUMBER,
        Col(
            "village",
            "村代码",
            "village_code",
            "village",
            True,
            ("行政村代码", "村编码", "村级代码", "所属村代码", "village"),
            help=_("12-digit statistical code of the village"),
        ),
        Col("group_name", "村民小组", "group", "text", aliases=("组", "小组", "group_name"), max_length=50),
        Col("address", "住址", "address", "text", aliases=("家庭住址", "详细地址", "地址"), max_length=200),
        Col("phone", "联系电话", "phone", "phone", aliases=("电话", "手机号", "手机号码", "联系方式")),
        Col(
            "household_type",
            "户类型",
            "household_type",
            "code",
            True,
            ("户别", "农户类型"),
            choices=c.HouseholdType,
        ),
        Col(
            "status",
            "户状态",
            "status",
            "code",
            True,
            ("状态", "贫困户状态", "脱贫状态"),
            choices=c.HouseholdStatus,
            extra_words=(("正常", "normal"),),
        ),
        Col(
            "poverty_attribute",
            "贫困户属性",
            "poverty_attribute",
            "code",
            aliases=("户属性", "贫困属性"),
            choices=c.PovertyAttribute,
            extra_words=(("一般贫困户", "general"), ("低保贫困户", "dibao"), ("特困供养贫困户", "tekun")),
        ),
        Col(
            "main_cause",
            "主要致贫原因",
            "main_cause",
            "code",
            aliases=("致贫原因",),
            choices=c.PovertyCause,
            extra_words=(
                ("因病", "illness"),
                ("因残", "disability"),
                ("因学", "schooling"),
                ("因灾", "disaster"),
                ("缺土地", "lack_of_land"),
                ("缺水", "lack_of_water"),
                ("缺技术", "lack_of_skills"),
                ("缺劳力", "lack_of_labour"),
                ("缺劳动力", "lack_of_labour"),
                ("缺资金", "lack_of_funds"),
                ("交通条件落后", "poor_transport"),
                ("自身发展动力不足", "lack_of_drive"),
                ("其他", "other"),
            ),
        ),
        Col(
            "secondary_cause",
            "次要致贫原因",
            "secondary_cause",
            "code",
            aliases=("其他致贫原因",),
            choices=c.PovertyCause,
            extra_words=(
                ("因病", "illness"),
                ("因残", "disability"),
                ("因学", "schooling"),
                ("因灾", "disaster"),
                ("缺土地", "lack_of_land"),
                ("缺水", "lack_of_water"),
                ("缺技术", "lack_of_skills"),
                ("缺劳力", "lack_of_labour"),
                ("缺劳动力", "lack_of_labour"),
                ("缺资金", "lack_of_funds"),
                ("交通条件落后", "poor_transport"),
                ("自身发展动力不足", "lack_of_drive"),
                ("其他", "other"),
            ),
        ),
        Col(
            "housing_area",
            "住房面积",
            "housing_area",
            "decimal",
            aliases=("住房面积（平方米）",),
            help=_("square metres"),
        ),
        Col(
            "housing_safety",
            "住房安全等级",
            "housing_safety",
            "code",
            aliases=("房屋安全等级", "危房等级"),
            choices=c.HousingSafety,
            extra_words=(("A级", "A"), ("B级", "B"), ("C级", "C"), ("D级", "D")),
        ),
        _flag("water_difficult", "饮水困难", "water_difficult", "是否饮水困难"),
        _flag("water_safe", "饮水安全", "water_safe", "是否饮水安全"),
        _flag("has_electricity", "通生活用电", "has_electricity", "是否通生活用电", "通电"),
        Col(
            "distance_to_road_km",
            "距主干道距离",
            "distance_to_road_km",
            "decimal",
            aliases=("与村主干路距离", "距离主干道"),
            help=_("kilometres"),
        ),
        _land("cultivated_land_mu", "耕地面积", "cultivated_land_mu", "耕地"),
        _land("irrigated_land_mu", "有效灌溉面积", "irrigated_land_mu", "灌溉面积"),
        _land("forest_land_mu", "林地面积", "forest_land_mu", "林地"),
        _land("grassland_mu", "牧草地面积", "grassland_mu", "草地面积", "草地"),
        _land("water_surface_mu", "水面面积", "water_surface_mu", "水面"),
        _flag("in_cooperative", "加入合作社", "in_cooperative", "是否加入农民专业合作社", "合作社"),
        _flag("is_relocated", "易地扶贫搬迁", "is_relocated", "是否易地搬迁", "易地搬迁"),
        Col(
            "relocation_mode",
            "搬迁方式",
            "relocation_mode",
            "code",
            aliases=("安置方式",),
            choices=c.RelocationMode,
            extra_words=(("集中安置", "centralized"), ("分散安置", "dispersed")),
        ),
        Col("relocation_place", "安置地点", "relocation_place", "text", aliases=("安置地",), max_length=200),
    ),
)

MEMBERS = Spec(
    kind="members",
    label=_("Members"),
    key=("id_number",),
    columns=(
        HOUSEHOLD_NUMBER,
        Col("name", "姓名", "name", "text", True, ("成员姓名", "人员姓名", "full_name"), max_length=50),
        Col(
            "id_number",
            "身份证号",
            "id_number",
            "id_number",
            True,
            ("身份证号码", "公民身份号码", "证件号码", "身份证件号码", "idcard"),
            help=_("18 characters; format the column as text so that Excel keeps every digit"),
        ),
        Col(
            "sex",
            "性别",
            "sex",
            "code",
            choices=c.Sex,
            extra_words=SEX_WORDS,
            help=_("optional: taken from the ID number when empty"),
        ),
        Col(
            "birth_date",
            "出生日期",
            "birth_date",
            "date",
            aliases=("出生年月日", "生日"),
            help=_("optional: taken from the ID number when empty"),
        ),
        Col("ethnicity", "民族", "ethnicity", "code", choices=c.Ethnicity, extra_words=ETHNIC_WORDS),
        Col(
            "relation",
            "与户主关系",
            "relation",
            "code",
            True,
            ("与户主的关系", "关系"),
            choices=c.Relation,
            extra_words=RELATION_WORDS,
        ),
        Col(
            "education",
            "文化程度",
            "education",
            "code",
            aliases=("学历",),
            choices=c.Education,
            extra_words=(
                ("文盲或半文盲", "none"),
                ("文盲", "none"),
                ("小学", "primary"),
                ("初中", "junior"),
                ("高中", "senior"),
                ("大专及以上", "tertiary"),
                ("学龄前儿童", "preschool"),
            ),
        ),
        Col(
            "schooling_status",
            "在校生状况",
            "schooling_status",
            "code",
            aliases=("在校状况", "就学状况"),
            choices=c.SchoolingStatus,
            extra_words=(
                ("非在校生", "not_applicable"),
                ("在校生", "in_school"),
                ("辍学", "dropped_out"),
                ("失学", "dropped_out"),
                ("未入学", "never_enrolled"),
                ("已毕业", "graduated"),
            ),
        ),
        Col(
            "school_level",
            "就读学段",
            "school_level",
            "code",
            aliases=("学段",),
            choices=c.SchoolLevel,
            extra_words=(
                ("学前教育", "preschool"),
                ("小学", "primary"),
                ("初中", "junior"),
                ("高中", "senior"),
                ("中职", "vocational"),
                ("高职高专", "tertiary"),
                ("本科及以上", "tertiary"),
            ),
        ),
        Col("health", "健康状况", "health", "code", choices=c.Health, extra_words=HEALTH_WORDS),
        _flag("has_disability_certificate", "残疾证", "disability_certificate", "是否有残疾证", "持证残疾"),
        Col(
            "labour_capacity",
            "劳动技能",
            "labour_capacity",
            "code",
            True,
            ("劳动能力", "劳动力状况"),
            choices=c.LabourCapacity,
            extra_words=LABOUR_WORDS,
        ),
        Col(
            "migrant_work_place",
            "务工地点",
            "migrant_work_place",
            "text",
            aliases=("务工地",),
            max_length=100,
        ),
        Col(
            "migrant_work_months",
            "务工时间",
            "migrant_work_months",
            "int",
            aliases=("务工月数",),
            help=_("months in the year, 0-12"),
        ),
        _money("migrant_work_income", "务工收入", "migrant_work_income", "务工年收入"),
        _flag(
            "basic_medical_insurance",
            "城乡居民基本医疗保险",
            "basic_medical_insurance",
            "是否参加城乡居民基本医疗保险",
            "基本医疗保险",
            "医保",
        ),
        _flag("serious_illness_insurance", "大病保险", "serious_illness_insurance", "是否参加大病保险"),
        _flag(
            "pension_insurance",
            "城乡居民基本养老保险",
            "pension_insurance",
            "是否参加城乡居民基本养老保险",
            "养老保险",
        ),
        _flag("receives_dibao", "享受低保", "receives_dibao", "是否享受低保", "低保"),
        _flag("receives_tekun", "特困供养", "receives_tekun", "是否特困供养", "特困"),
        Col("phone", "联系电话", "phone", "phone", aliases=("电话", "手机号", "手机号码")),
        Col(
            "exit_reason",
            "减员原因",
            "exit_reason",
            "code",
            aliases=("离开原因",),
            choices=c.MemberExit,
            extra_words=(
                ("死亡", "deceased"),
                ("迁出", "moved_out"),
                ("嫁出", "married_out"),
                ("其他", "other"),
            ),
        ),
        Col("exit_date", "减员日期", "exit_date", "date", aliases=("离开日期",)),
    ),
)

INCOMES = Spec(
    kind="incomes",
    label=_("Yearly incomes"),
    key=("household_number", "year"),
    columns=(
        HOUSEHOLD_NUMBER,
        Col("year", "年度", "year", "year", True, ("年份", "收入年度")),
        Col(
            "household_size",
            "家庭人口",
            "household_size",
            "int",
            aliases=("家庭人口数", "人口数"),
            help=_("optional: the current members are counted when empty"),
        ),
        _money("wage", "工资性收入", "wage", "工资收入"),
        _money("business", "生产经营性收入", "business", "经营性收入"),
        _money("property_income", "财产性收入", "property_income"),
        _money("transfer", "转移性收入", "transfer"),
        _money("excluded_transfer", "不计入收入的补贴", "excluded_transfer"),
        _money("business_expenditure", "生产经营性支出", "business_expenditure", "经营性支出"),
        _money("compliant_oop_spending", "合规自付支出", "compliant_oop_spending", "合规自付"),
    ),
)

SPECS: dict[str, Spec] = {s.kind: s for s in (HOUSEHOLDS, MEMBERS, INCOMES)}
