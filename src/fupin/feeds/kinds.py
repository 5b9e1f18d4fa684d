"""The kinds of department feed and the columns each one has.

Every kind has the same three required columns (ID number, name, a date whose meaning depends on the
kind) and may have an amount in yuan and a code from a fixed list. Headers are accepted in Chinese
and in English, with the common variants departments use; codes are stable English slugs (what the
screening engine reads), and the Chinese words clerks write are accepted for them too.

| kind | department | date | amount | code |
| --- | --- | --- | --- | --- |
| medical | health insurance | settlement | compliant out-of-pocket spending (required) | — |
| disaster | emergency management | disaster | loss in yuan (required) | disaster type (required) |
| school | education | status date | — | enrolled, dropped_out, suspended (required) |
| insurance | health insurance | status date | — | enrolled, lapsed (required) |
| returned_migrant | human resources | return | lost monthly income (optional) | reason (required) |
| housing | housing | rating | — | A, B, C, D (required) |
| death | civil affairs | death | — | — |
| assistance_roll | civil affairs | start | monthly amount (optional) | dibao, tekun, temporary_assistance |
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fupin.core.errors import Message


class FeedKind(models.TextChoices):
    MEDICAL = "medical", _("Medical claims")
    DISASTER = "disaster", _("Disaster loss reports")
    SCHOOL = "school", _("School enrolment status")
    INSURANCE = "insurance", _("Basic medical insurance status")
    RETURNED_MIGRANT = "returned_migrant", _("Returned migrant workers")
    HOUSING = "housing", _("Housing-safety ratings")
    DEATH = "death", _("Deaths")
    ASSISTANCE_ROLL = "assistance_roll", _("Minimum-allowance and extreme-poverty rolls")


@dataclass(frozen=True)
class Column:
    """One column of a feed: ``field`` is the FeedRecord field it fills.

    ``chinese`` and ``english`` make the template's header (``身份证号 / id_number``); ``aliases``
    are other headers accepted, in order of preference.
    """

    field: str
    chinese: str
    english: str
    required: bool
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return f"{self.chinese} / {self.english}"

    @property
    def accepted(self) -> tuple[str, ...]:
        """Normalized header keys, most specific first."""
        keys = [header_key(h) for h in (self.chinese, self.english, *self.aliases)]
        return tuple(dict.fromkeys(k for k in keys if k))


@dataclass(frozen=True)
class Code:
    """An allowed code and the words (Chinese and English variants) accepted for it."""

    value: str
    chinese: str
    aliases: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return f"{self.value}（{self.chinese}）"


@dataclass(frozen=True)
class KindSpec:
    kind: str
    department: Promise
    date: Column
    date_meaning: Promise
    amount: Column | None = None
    amount_meaning: Promise | None = None
    code: Column | None = None
    code_meaning: Promise | None = None
    codes: tuple[Code, ...] = ()

    @property
    def label(self) -> Message:
        return FeedKind(self.kind).label

    @property
    def columns(self) -> list[Column]:
        return [c for c in (ID_NUMBER, NAME, self.date, self.amount, self.code) if c is not None]

    def code_for(self, raw: str) -> str | None:
        """The allowed code that ``raw`` names (a slug or one of its words), or None."""
        key = code_key(raw)
        for code in self.codes:
            if key in (code_key(code.value), code_key(code.chinese), *(code_key(a) for a in code.aliases)):
                return code.value
        return None

    @property
    def codes_display(self) -> str:
        return ", ".join(c.display for c in self.codes)


# ----------------------------------------------------------------------------- normalizing

_BRACKETED = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")


def header_key(value: object) -> str:
    """Compare headers ignoring width, case, spaces, ``_``, ``-``, ``*`` and a unit in brackets."""
    text = unicodedata.normalize("NFKC", str(value or "")).replace("\ufeff", "")
    text = _BRACKETED.sub("", text)
    return re.sub(r"[\s_\-*:：]", "", text).lower()


def header_keys(value: object) -> list[str]:
    """A header cell's keys: the whole and, for ``身份证号 / id_number``, each side of the slash."""
    text = str(value or "")
    parts = [text, *re.split(r"[/|｜]", text)] if re.search(r"[/|｜]", text) else [text]
    return [k for k in (header_key(p) for p in parts) if k]


def code_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return re.sub(r"[\s_\-]", "", text).lower()


# ----------------------------------------------------------------------------- columns

ID_NUMBER = Column(
    "id_number",
    "身份证号",
    "id_number",
    True,
    ("身份证号码", "公民身份号码", "身份证件号码", "证件号码", "身份号码", "idcard", "id_card_number"),
)
NAME = Column("name", "姓名", "name", True, ("名字", "人员姓名", "参保人姓名", "full_name"))


def _date(chinese: str, english: str, *aliases: str) -> Column:
    return Column("event_date", chinese, english, True, (*aliases, "日期", "date", "event_date"))


def _amount(chinese: str, english: str, required: bool, *aliases: str) -> Column:
    return Column("amount", chinese, english, required, (*aliases, "金额", "amount"))


def _code(chinese: str, english: str, *aliases: str) -> Column:
    return Column("code", chinese, english, True, (*aliases, "代码", "code"))


OTHER = Code("other", "其他", ("其它", "其他原因"))

KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            kind=FeedKind.MEDICAL,
            department=_("Health insurance bureau"),
            date=_date("结算日期", "settlement_date", "结算时间", "出院日期"),
            date_meaning=_("the day the claim was settled"),
            amount=_amount(
                "合规自付",
                "compliant_oop",
                True,
                "合规自付金额",
                "合规自付费用",
                "合规个人自付",
                "个人自付",
                "自付金额",
                "out_of_pocket",
                "compliant_out_of_pocket",
            ),
            amount_meaning=_("compliant out-of-pocket spending (合规自付) of the claim, in yuan"),
        ),
        KindSpec(
            kind=FeedKind.DISASTER,
            department=_("Emergency management bureau"),
            date=_date("受灾日期", "disaster_date", "灾害发生日期", "发生日期", "灾害日期"),
            date_meaning=_("the day of the disaster"),
            amount=_amount("损失金额", "loss", True, "经济损失", "直接经济损失", "损失", "loss_amount"),
            amount_meaning=_("the household's loss, in yuan"),
            code=_code("灾害类型", "disaster_type", "灾种", "灾害种类", "类型", "type"),
            code_meaning=_("the type of disaster"),
            codes=(
                Code("flood", "洪涝", ("洪水", "水灾", "洪涝灾害", "暴雨")),
                Code("drought", "干旱", ("旱灾", "干旱灾害")),
                Code("hail", "冰雹", ("雹灾", "冰雹灾害")),
                Code("fire", "火灾", ("失火",)),
                Code("earthquake", "地震", ("地震灾害",)),
                OTHER,
            ),
        ),
        KindSpec(
            kind=FeedKind.SCHOOL,
            department=_("Education bureau"),
            date=_date("状态日期", "status_date", "变动日期", "统计日期"),
            date_meaning=_("the day the status was recorded"),
            code=_code("学籍状态", "status", "在学状态", "就学状态", "状态", "enrolment_status"),
            code_meaning=_("enrolment status"),
            codes=(
                Code("enrolled", "在读", ("在校", "在学", "正常")),
                Code("dropped_out", "辍学", ("失学", "dropout", "droppedout")),
                Code("suspended", "休学", ()),
            ),
        ),
        KindSpec(
            kind=FeedKind.INSURANCE,
            department=_("Health insurance bureau"),
            date=_date("状态日期", "status_date", "变更日期", "参保日期", "停保日期"),
            date_meaning=_("the day the insurance status took effect"),
            code=_code("参保状态", "status", "状态", "insurance_status"),
            code_meaning=_("basic medical insurance status"),
            codes=(
                Code("enrolled", "已参保", ("参保", "正常参保", "在保", "正常")),
                Code("lapsed", "断保", ("停保", "未参保", "中断", "脱保")),
            ),
        ),
        KindSpec(
            kind=FeedKind.RETURNED_MIGRANT,
            department=_("Human resources and social security bureau"),
            date=_date("返乡日期", "return_date", "返乡时间"),
            date_meaning=_("the day the worker came home"),
            amount=_amount(
                "月收入减少", "lost_monthly_income", False, "减少月收入", "月收入损失", "原月收入"
            ),
            amount_meaning=_("monthly income lost, in yuan (optional)"),
            code=_code("返乡原因", "reason", "原因"),
            code_meaning=_("why the worker came home"),
            codes=(
                Code("laid_off", "失业", ("裁员", "被裁员", "企业裁员", "停工", "laidoff")),
                Code("illness", "因病", ("疾病", "生病", "患病", "伤病")),
                OTHER,
            ),
        ),
        KindSpec(
            kind=FeedKind.HOUSING,
            department=_("Housing and urban-rural development bureau"),
            date=_date("鉴定日期", "rating_date", "评定日期", "鉴定时间"),
            date_meaning=_("the day the house was rated"),
            code=_code("鉴定等级", "rating", "安全等级", "等级", "房屋等级"),
            code_meaning=_("housing-safety rating"),
            codes=(
                Code("A", "A级", ("a",)),
                Code("B", "B级", ("b",)),
                Code("C", "C级", ("c",)),
                Code("D", "D级", ("d",)),
            ),
        ),
        KindSpec(
            kind=FeedKind.DEATH,
            department=_("Civil affairs bureau"),
            date=_date("死亡日期", "date_of_death", "死亡时间", "death_date"),
            date_meaning=_("the day of death"),
        ),
        KindSpec(
            kind=FeedKind.ASSISTANCE_ROLL,
            department=_("Civil affairs bureau"),
            date=_date("起始日期", "start_date", "享受日期", "救助日期", "开始日期"),
            date_meaning=_("the day the assistance began"),
            amount=_amount(
                "月救助金额", "monthly_amount", False, "月保障金", "月保障金额", "每月金额", "月发放金额"
            ),
            amount_meaning=_("monthly amount, in yuan (optional)"),
            code=_code("救助类别", "assistance_type", "救助类型", "类别", "type"),
            code_meaning=_("kind of assistance"),
            codes=(
                Code("dibao", "低保", ("最低生活保障", "农村低保")),
                Code("tekun", "特困", ("特困供养", "特困人员", "特困人员供养")),
                Code("temporary_assistance", "临时救助", ("临救", "temporary")),
            ),
        ),
    )
}


def spec_for(kind: str) -> KindSpec:
    return KINDS[kind]
