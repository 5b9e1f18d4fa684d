"""A generated truth set for the linker: registry people and a department list with realistic errors.

Plain Python, no Django, deterministic for a seed. **Everything is invented**: names are drawn from
the demo generator's lists, ID numbers are well formed (GB 11643 check character) but made up.

The registry has households (2-5 people sharing a village and mostly a surname) in villages of a few
counties. A department list holds, for each record, one person of the registry (``truth`` says who)
or somebody not registered (``truth`` is None). Records come in two kinds:

* **clean** (share ``clean_share``): ID number and name as registered; the exact ID-number join
  links them and the linker never sees them;
* **hard**: the ID number is missing (``ID_MISSING``), has one mistyped digit (``ID_ONE_DIGIT``) or
  two adjacent digits swapped (``ID_TRANSPOSED``); independently, one character of the name is a
  homophone (``NAME_HOMOPHONE``, 淑芬 → 书芬) or a variant/traditional form (``NAME_VARIANT``); the
  birth date is missing (``BIRTH_MISSING``), the sex missing (``SEX_MISSING``), the village missing
  (``VILLAGE_MISSING``).

People not in the registry (share ``outsider_share``) get a fresh name and ID number and live in
the same villages.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pandas as pd

from fupin.demo.generator import GIVEN_NAMES, SURNAMES
from fupin.domain.idnumber import make as make_id_number
from fupin.linkage.model import VARIANTS, character_pairs

COUNTIES = ("220822", "220821", "220802", "220881", "220882", "220723", "220722", "220721")
OWN_COUNTY_ID_SHARE = 0.88
PEOPLE_PER_VILLAGE = 450
MIN_VILLAGES = 40  # a small list still comes from a whole county

ID_MISSING = 0.30
ID_ONE_DIGIT = 0.40
ID_TRANSPOSED = 0.30  # the three add up to 1: a hard record never has its right ID number
NAME_HOMOPHONE = 0.15
NAME_VARIANT = 0.08
BIRTH_MISSING = 0.15
SEX_MISSING = 0.10
VILLAGE_MISSING = 0.20

# Characters a clerk types for another one with the same sound (toneless pinyin), as seen in lists.
HOMOPHONES: dict[str, str] = character_pairs(
    "桂:贵 芝:枝 淑:书 珍:真 兰:岚 凤:丰 英:瑛 秀:绣 华:花 荣:容 霞:侠 梅:玫 芬:分 云:芸 琴:勤 "
    "香:湘 丽:莉 艳:燕 静:晶 红:宏 娟:鹃 杰:洁 军:君 勇:永 涛:韬 鹏:朋 超:潮 刚:钢 伟:玮 磊:垒 "
    "富:福 林:琳 山:珊 才:财 贵:桂 春:椿 生:升 明:鸣 志:智 建:健 立:力 新:欣 宝:保 金:锦 德:得 "
    "福:富 祥:翔 东:冬 文:雯 龙:隆 辉:晖 宇:雨 浩:昊 轩:萱 涵:晗 怡:仪 琪:琦 婷:亭 于:余 付:傅 "
    "闫:严 杨:阳 张:章 王:汪 刘:柳 周:舟 徐:许 庆:清 国:帼 义:毅 玲:铃 燕:艳 欣:鑫"
)
_TRADITIONAL: dict[str, str] = {}
for _variant, _standard in VARIANTS.items():
    if _variant != _standard:
        _TRADITIONAL.setdefault(_standard, _variant)


@dataclass
class TruthSet:
    people: pd.DataFrame  # unique_id, name, id_number, birth_date, sex, village_code, household_id
    records: pd.DataFrame  # unique_id, name, id_number, birth_date, sex, village_code, hard
    truth: dict[int, int | None]  # record → person (None: not in the registry)
    duplicates: list[tuple[int, int]]  # pairs of people registered twice


def _given(rng: random.Random, sex: str, birth: dt.date) -> str:
    era = "old" if birth.year < 1965 else "mid" if birth.year < 1995 else "young"
    return rng.choice(_GIVEN[(sex, era)])


_GIVEN = {key: text.split() for key, text in GIVEN_NAMES.items()}
_SURNAME_LIST = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]
_EPOCH = dt.date(1935, 1, 1)
_DAYS = (dt.date(2020, 12, 31) - _EPOCH).days


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def new(self, county: str, birth: dt.date, sex: str) -> str:
        rng = self.rng
        area = county if rng.random() < OWN_COUNTY_ID_SHARE else rng.choice(COUNTIES)
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            number = make_id_number(area, birth, sequence)
            if number not in self.used:
                self.used.add(number)
                return number


def _person(rng: random.Random, ids: _Ids, village: str, surname: str | None = None) -> dict[str, object]:
    sex = "M" if rng.random() < 0.5 else "F"
    birth = _EPOCH + dt.timedelta(days=rng.randrange(_DAYS))
    surname = surname or rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
    return {
        "name": surname + _given(rng, sex, birth),
        "id_number": ids.new(village[:6], birth, sex),
        "birth_date": birth,
        "sex": sex,
        "village_code": village,
    }


def _villages(rng: random.Random, count: int) -> list[str]:
    out = []
    for i in range(count):
        county = COUNTIES[i % len(COUNTIES)]
        out.append(f"{county}{100 + (i // 40) % 900:03d}{201 + i % 40:03d}")
    rng.shuffle(out)
    return out


def _mistype(rng: random.Random, number: str) -> str:
    position = rng.randrange(18)
    choices = "0123456789X" if position == 17 else "0123456789"
    digit = rng.choice([c for c in choices if c != number[position]])
    return number[:position] + digit + number[position + 1 :]


def _transpose(rng: random.Random, number: str) -> str:
    positions = [i for i in range(17) if number[i] != number[i + 1]]
    i = rng.choice(positions)
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def _misspell(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < NAME_HOMOPHONE:
        table = HOMOPHONES
    elif roll < NAME_HOMOPHONE + NAME_VARIANT:
        table = _TRADITIONAL
    else:
        return name
    positions = [i for i, c in enumerate(name) if c in table]
    if not positions:
        return name
    i = rng.choice(positions)
    return name[:i] + table[name[i]] + name[i + 1 :]


def generate(
    *,
    people: int,
    records: int,
    seed: int = 1,
    clean_share: float = 0.0,
    outsider_share: float = 0.10,
    duplicate_share: float = 0.0,
) -> TruthSet:
    """``people`` registered people and a department list of ``records`` rows (see the module text)."""
    rng = random.Random(seed)
    ids = _Ids(rng)
    villages = _villages(rng, max(people // PEOPLE_PER_VILLAGE, MIN_VILLAGES))
    rows: list[dict[str, object]] = []
    household = 0
    while len(rows) < people:
        household += 1
        village = rng.choice(villages)
        head = _person(rng, ids, village)
        size = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
        members = [head]
        for k in range(1, size):
            # A spouse with another surname, children with the head's.
            surname = None if k == 1 else str(head["name"])[0]
            members.append(_person(rng, ids, village, surname))
        for member in members[: people - len(rows)]:
            member["household_id"] = household
            member["unique_id"] = len(rows) + 1
            rows.append(member)
    # People registered twice: in another household, often with a mistyped ID number or none.
    duplicates: list[tuple[int, int]] = []
    for original in rng.sample(rows, int(people * duplicate_share)):
        household += 1
        copy = dict(original)
        copy["unique_id"] = len(rows) + 1
        copy["household_id"] = household
        roll = rng.random()
        copy["id_number"] = None if roll < 0.4 else _mistype(rng, str(original["id_number"]))
        copy["name"] = _misspell(rng, str(original["name"]))
        duplicates.append((int(str(original["unique_id"])), int(str(copy["unique_id"]))))
        rows.append(copy)
    people_frame = pd.DataFrame(rows)

    registered = rng.sample(range(people), min(records, people))
    record_rows: list[dict[str, object]] = []
    truth: dict[int, int | None] = {}
    for index in range(records):
        record_id = index + 1
        outsider = rng.random() < outsider_share or index >= len(registered)
        if outsider:
            person = _person(rng, ids, rng.choice(villages))
            truth[record_id] = None
        else:
            person = dict(rows[registered[index]])
            truth[record_id] = int(str(person["unique_id"]))
        hard = outsider and rng.random() >= clean_share or not outsider and rng.random() >= clean_share
        record = {
            "unique_id": record_id,
            "name": person["name"],
            "id_number": person["id_number"],
            "birth_date": person["birth_date"],
            "sex": person["sex"],
            "village_code": person["village_code"],
            "hard": hard,
        }
        if hard:
            roll = rng.random()
            number = str(person["id_number"])
            if roll < ID_MISSING:
                record["id_number"] = None
            elif roll < ID_MISSING + ID_ONE_DIGIT:
                record["id_number"] = _mistype(rng, number)
            else:
                record["id_number"] = _transpose(rng, number)
            record["name"] = _misspell(rng, str(person["name"]))
            if rng.random() < BIRTH_MISSING:
                record["birth_date"] = None
            if rng.random() < SEX_MISSING:
                record["sex"] = None
            if rng.random() < VILLAGE_MISSING:
                record["village_code"] = None
        record_rows.append(record)
    return TruthSet(people_frame, pd.DataFrame(record_rows), truth, duplicates)
