"""The record-linkage model: Splink 4 on DuckDB, with no Django import.

Two uses of one model:

* **link** department records to registry people (``link_records``): a record without a usable ID
  number, or with one that matched nobody exactly, is compared with the people it shares a blocking
  key with, and scored on name, birth date, sex, village and the ID number itself;
* **dedupe** the registry (``find_duplicates``): the same comparisons between people.

Inputs are pandas DataFrames with the columns of ``INPUT_COLUMNS`` (any may be null except
``unique_id``); ``prepare`` derives the comparison and blocking columns. Personal data stays in
memory (an in-process DuckDB database without a file) and nothing here logs it.

**Comparisons** (levels from most to least specific; m fixed in ``comparisons``, u re-estimated by
Splink's random sampling when both tables have at least ``U_SAMPLE_MIN_ROWS`` rows):

* ID number (18 characters): exact; Damerau-Levenshtein distance 1 (one mistyped digit or two
  adjacent digits swapped); distance 2; anything else. (No separate "same area and birth" level: the
  birth date is compared on its own and counting it twice made neighbours born the same day match.)
* Name: equal after mapping variant characters (``VARIANTS``, e.g. 蘭→兰); equal pinyin without tones
  (homophones such as 淑芬/书芬); pinyin Jaro-Winkler ≥ 0.88; anything else.
* Birth date: equal; one digit apart (yyyymmdd); anything else. Missing is neutral.
* Sex; village: same village, same county, other county.

**Blocking** (a pair is compared when any rule holds; each is selective enough for 1M × 1M):
ID area + last 4; ID area + birth part (the first 14); ID birth part + last 4; pinyin of the name +
birth date; pinyin of the name + village.

**Decision** per record: the best candidate is *accepted* when its match probability is at least
``accept`` (0.90) and its match weight beats the runner-up's by ``MARGIN_BITS`` (5 bits: 32 times
likelier); otherwise the candidates at or above ``review`` (0.50) go to the review queue; a record
with none is *unmatched*.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

LinkType = Literal["link_only", "dedupe_only"]

INPUT_COLUMNS = ("unique_id", "name", "id_number", "birth_date", "sex", "village_code")

DEFAULT_ACCEPT = 0.90
DEFAULT_REVIEW = 0.50
MARGIN_BITS = 5.0
SCORE_FLOOR = 0.001  # pairs below this are not even runners-up
U_SAMPLE_PAIRS = 300_000
U_SAMPLE_SEED = 11
U_SAMPLE_MIN_ROWS = 500  # below this a sample says little: the fixed u values are kept


# Variant and traditional characters seen in names, mapped to the form the registry uses. Small on
# purpose: homophones are caught by the pinyin comparison, this map covers variants that a clerk's
# input method produces (traditional forms, 异体字) so that the exact-name level still applies.
def character_pairs(text: str) -> dict[str, str]:
    """``"國:国 蘭:兰"`` → ``{"國": "国", "蘭": "兰"}``."""
    return dict(tuple(item.split(":", 1)) for item in text.split())  # type: ignore[misc]


VARIANTS: dict[str, str] = character_pairs(
    "國:国 蘭:兰 鳳:凤 鳯:凤 華:华 榮:荣 貴:贵 麗:丽 寶:宝 傑:杰 雲:云 張:张 劉:刘 陳:陈 楊:杨 "
    "趙:赵 孫:孙 吳:吴 許:许 馬:马 韓:韩 鄭:郑 葉:叶 蘇:苏 呂:吕 閆:闫 豔:艳 艷:艳 於:于 劍:剑 "
    "軍:军 強:强 濤:涛 鵬:鹏 剛:刚 東:东 偉:伟 紅:红 蓮:莲 鳴:鸣 龍:龙 慶:庆 廣:广 "
    "興:兴 輝:辉 靜:静 穎:颖 瑩:莹 綫:线 峯:峰 羣:群 昇:升 甯:宁 寧:宁 淩:凌 邨:村 "
    "喆:哲 堃:坤 淼:森 珎:珍 銀:银 鐵:铁 樹:树 義:义 滿:满 倉:仓 財:财 連:连 "
    "發:发 萬:万 嬌:娇 鈺:钰 瑤:瑶 軒:轩 語:语 詩:诗 夢:梦"
)


# ----------------------------------------------------------------------------- preparing the columns

_pinyin_cache: dict[str, str] = {}


def _char_pinyin(char: str) -> str:
    cached = _pinyin_cache.get(char)
    if cached is None:
        from pypinyin import Style, lazy_pinyin

        cached = lazy_pinyin(char, style=Style.NORMAL, errors="default")[0] if char.strip() else ""
        _pinyin_cache[char] = cached
    return cached


def normalize_name(name: Any) -> str | None:
    """Spaces and the middle dot of minority names dropped, full-width letters folded, variants mapped."""
    if not isinstance(name, str):
        return None
    text = "".join(VARIANTS.get(c, c) for c in name if not c.isspace() and c not in "·•.．")
    return text or None


def name_pinyin(name: str | None) -> str | None:
    """Toneless pinyin, one syllable per character (cached per character: 1M names in seconds)."""
    if not name:
        return None
    return " ".join(_char_pinyin(c) for c in name)


def _clean_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    return text if len(text) == 18 else None


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The comparison and blocking columns of ``frame`` (columns of ``INPUT_COLUMNS``)."""
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"unique_id": frame["unique_id"].astype("int64").to_numpy()})
    names = [normalize_name(v) for v in frame["name"].tolist()]
    out["name_norm"] = names
    unique = {n for n in names if n}
    pinyin = {n: name_pinyin(n) for n in unique}
    out["name_py"] = [pinyin.get(n) if n else None for n in names]
    ids = pd.Series([_clean_id(v) for v in frame["id_number"].tolist()], dtype="object")
    out["id18"] = ids
    out["id_a6"] = ids.str[:6]
    out["id_pre14"] = ids.str[:14]
    out["id_birth"] = ids.str[6:14]
    out["id_l4"] = ids.str[14:]
    births = frame["birth_date"]
    if not pd.api.types.is_string_dtype(births) or births.dtype == "object":
        births = pd.to_datetime(births, errors="coerce").dt.strftime("%Y%m%d")
    out["birth"] = births.where(births.notna(), None).astype("object")
    sex = frame["sex"].where(frame["sex"].isin(["M", "F"]), None)
    out["sex"] = sex.astype("object")
    village = frame["village_code"].where(frame["village_code"].notna(), None).astype("object")
    out["village"] = village
    out["county"] = village.str[:6]
    return out


# ----------------------------------------------------------------------------- the Splink settings


def _level(sql: str, label: str, m: float, u: float) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}


def _null(column: str) -> dict[str, Any]:
    return {
        "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        "label_for_charts": "null",
        "is_null_level": True,
    }


def comparisons() -> list[Any]:
    """m from the error rates a department list shows (see ``synth``), u from a 1M-person registry."""
    import splink.comparison_library as cl

    id_l, id_r = '"id18_l"', '"id18_r"'
    return [
        cl.CustomComparison(
            output_column_name="id_number",
            comparison_levels=[
                _null("id18"),
                _level(f"{id_l} = {id_r}", "exact", 0.50, 1e-6),
                _level(f"damerau_levenshtein({id_l}, {id_r}) <= 1", "one digit", 0.45, 2e-6),
                _level(f"damerau_levenshtein({id_l}, {id_r}) <= 2", "two digits", 0.03, 5e-5),
                _level("ELSE", "different", 0.02, 0.99995),
            ],
        ),
        cl.CustomComparison(
            output_column_name="name",
            comparison_levels=[
                _null("name_norm"),
                _level('"name_norm_l" = "name_norm_r"', "exact", 0.80, 0.0008),
                _level('"name_py_l" = "name_py_r"', "same pinyin", 0.17, 0.0004),
                _level('jaro_winkler_similarity("name_py_l", "name_py_r") >= 0.88', "close", 0.02, 0.01),
                _level("ELSE", "different", 0.01, 0.9888),
            ],
        ),
        cl.CustomComparison(
            output_column_name="birth",
            comparison_levels=[
                _null("birth"),
                _level('"birth_l" = "birth_r"', "exact", 0.97, 4e-5),
                _level('damerau_levenshtein("birth_l", "birth_r") <= 1', "one digit", 0.02, 1e-3),
                _level("ELSE", "different", 0.01, 0.99896),
            ],
        ),
        cl.CustomComparison(
            output_column_name="sex",
            comparison_levels=[
                _null("sex"),
                _level('"sex_l" = "sex_r"', "same", 0.995, 0.5),
                _level("ELSE", "different", 0.005, 0.5),
            ],
        ),
        cl.CustomComparison(
            output_column_name="village",
            comparison_levels=[
                _null("village"),
                _level('"village_l" = "village_r"', "same village", 0.93, 0.002),
                _level('"county_l" = "county_r"', "same county", 0.05, 0.2),
                _level("ELSE", "other county", 0.02, 0.798),
            ],
        ),
    ]


BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("id_a6", "id_l4"),
    ("id_pre14",),
    ("id_birth", "id_l4"),
    ("name_py", "birth"),
    ("name_py", "village"),
)


def settings(link_type: LinkType, people: int) -> Any:
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type=link_type,
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[block_on(*keys) for keys in BLOCKING_KEYS],
        # About one true match per record among all the people.
        probability_two_random_records_match=1.0 / max(people, 2),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _connection(threads: int | None, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET preserve_insertion_order = false")
    return con


def _predict(
    tables: list[pd.DataFrame],
    link_type: LinkType,
    people: int,
    review: float,
    threads: int | None,
    memory_limit: str | None,
    estimate_u: bool = True,
) -> pd.DataFrame:
    import logging

    from splink import DuckDBAPI, Linker

    con = _connection(threads, memory_limit)
    try:
        db_api = DuckDBAPI(connection=con)
        aliases = ["records", "people"] if link_type == "link_only" else ["people"]
        linker = Linker(
            tables if len(tables) > 1 else tables[0],
            settings(link_type, people),
            db_api,
            input_table_aliases=aliases,
        )
        for name in ("splink", "splink.internals"):
            logging.getLogger(name).setLevel(logging.ERROR)
        if estimate_u and min(len(t) for t in tables) >= U_SAMPLE_MIN_ROWS:
            # u from pairs drawn at random: how often two different people agree at each level here.
            pairs = min(U_SAMPLE_PAIRS, 50 * sum(len(t) for t in tables))
            linker.training.estimate_u_using_random_sampling(max_pairs=pairs, seed=U_SAMPLE_SEED)
        predictions = linker.inference.predict(threshold_match_probability=review)
        result = con.sql(
            f"SELECT * FROM {predictions.physical_name}"  # noqa: S608 (a Splink table name)
        ).df()
    finally:
        con.close()
    return result


# ----------------------------------------------------------------------------- linking records


@dataclass(frozen=True)
class LinkResult:
    """One row per record and decision: ``accepted`` (one per record), ``review`` (one or more) pairs."""

    accepted: pd.DataFrame  # record_id, person_id, probability
    review: pd.DataFrame  # record_id, person_id, probability
    unmatched: list[int]
    compared_pairs: int


def link_records(
    records: pd.DataFrame,
    people: pd.DataFrame,
    *,
    accept: float = DEFAULT_ACCEPT,
    review: float = DEFAULT_REVIEW,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> LinkResult:
    """Score ``records`` against ``people`` (both with ``INPUT_COLUMNS``) and decide per record."""
    if records.empty or people.empty:
        return LinkResult(_empty_pairs(), _empty_pairs(), records["unique_id"].astype(int).tolist(), 0)
    left, right = prepare(records), prepare(people)
    pairs = _predict([left, right], "link_only", len(right), min(review, SCORE_FLOOR), threads, memory_limit)
    # Orient: the record on the left, the person on the right.
    flip = pairs["source_dataset_l"] != "records"
    record_id = pairs["unique_id_l"].where(~flip, pairs["unique_id_r"])
    person_id = pairs["unique_id_r"].where(~flip, pairs["unique_id_l"])
    scored = pd.DataFrame(
        {"record_id": record_id, "person_id": person_id, "probability": pairs["match_probability"]}
    )
    accepted, queued = decide(scored, accept=accept, review=review)
    matched = set(accepted["record_id"]) | set(queued["record_id"])
    unmatched = [int(i) for i in records["unique_id"] if int(i) not in matched]
    return LinkResult(accepted, queued, unmatched, len(pairs))


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame({"record_id": [], "person_id": [], "probability": []}).astype(
        {"record_id": "int64", "person_id": "int64", "probability": "float64"}
    )


def decide(scored: pd.DataFrame, *, accept: float, review: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accepted pairs, pairs for review) from the scored pairs.

    The best candidate of a record is accepted when its probability is at least ``accept`` and its
    match weight beats the runner-up's by ``MARGIN_BITS`` (32 times likelier); otherwise the record's
    candidates at or above ``review`` are queued for a person to decide.
    """
    if scored.empty:
        return _empty_pairs(), _empty_pairs()
    ordered = scored.sort_values(["record_id", "probability"], ascending=[True, False], kind="stable")
    weight = _weights(ordered["probability"])
    best = ~ordered["record_id"].duplicated()
    runner_up = weight.shift(-1).where(ordered["record_id"].shift(-1) == ordered["record_id"], -math.inf)
    sure = best & (ordered["probability"] >= accept) & (weight - runner_up >= MARGIN_BITS)
    accepted = ordered[sure].reset_index(drop=True)
    rest = ordered[~ordered["record_id"].isin(accepted["record_id"]) & (ordered["probability"] >= review)]
    return accepted, rest.reset_index(drop=True)


def _weights(probability: pd.Series) -> pd.Series:
    p = probability.clip(1e-15, 1 - 1e-15)
    return (p / (1 - p)).map(math.log2)


# ----------------------------------------------------------------------------- duplicates


def find_duplicates(
    people: pd.DataFrame,
    *,
    review: float = DEFAULT_REVIEW,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """Pairs of people (``person_id_l`` < ``person_id_r``) scoring at least ``review``, best first."""
    if len(people) < 2:
        return pd.DataFrame({"person_id_l": [], "person_id_r": [], "probability": []})
    pairs = _predict([prepare(people)], "dedupe_only", len(people), review, threads, memory_limit)
    low = pairs[["unique_id_l", "unique_id_r"]].min(axis=1)
    high = pairs[["unique_id_l", "unique_id_r"]].max(axis=1)
    out = pd.DataFrame({"person_id_l": low, "person_id_r": high, "probability": pairs["match_probability"]})
    return out.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    records: int  # records given to the linker
    with_match: int  # of which the person is in the registry
    accepted: int
    correct: int
    review_records: int
    review_with_truth: int  # records in review whose true person is among their candidates
    unmatched: int

    @property
    def precision(self) -> float:
        return self.correct / self.accepted if self.accepted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.with_match if self.with_match else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "records": self.records,
            "with_match": self.with_match,
            "accepted": self.accepted,
            "correct": self.correct,
            "precision": round(self.precision, 5),
            "recall": round(self.recall, 5),
            "review_records": self.review_records,
            "review_with_truth": self.review_with_truth,
            "unmatched": self.unmatched,
        }


def evaluate(result: LinkResult, truth: dict[int, int | None]) -> Evaluation:
    """``truth`` maps every record given to the linker to its person (None: not in the registry)."""
    accepted = dict(
        zip(result.accepted["record_id"].tolist(), result.accepted["person_id"].tolist(), strict=True)
    )
    correct = sum(1 for r, p in accepted.items() if truth.get(r) == p)
    review_pairs = set(
        zip(result.review["record_id"].tolist(), result.review["person_id"].tolist(), strict=True)
    )
    review_records = {r for r, _ in review_pairs}
    return Evaluation(
        records=len(truth),
        with_match=sum(1 for p in truth.values() if p is not None),
        accepted=len(accepted),
        correct=correct,
        review_records=len(review_records),
        review_with_truth=sum(1 for r in review_records if (r, truth.get(r)) in review_pairs),
        unmatched=len(result.unmatched),
    )


def match_weight(probability: float) -> float:
    """Bayes factor in bits, as Splink reports it (for display)."""
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def ids(values: Iterable[Any]) -> list[int]:
    return [int(v) for v in values]
