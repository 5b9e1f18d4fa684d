"""Department feeds: the lists bureaus send, imported all or nothing and linked to registered people."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.accounts.roles import Role
from tests.conftest import valid_id

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
LAST_MONTH = TODAY - dt.timedelta(days=30)
STRANGER = valid_id(area="220821", birth=dt.date(1990, 1, 1), sequence=555)  # registered nowhere


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    """Compile the .po files as the ``fupin`` command does, and drop any catalogue loaded before."""
    from django.utils.translation.reloader import translation_file_changed

    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@dataclass
class Person:
    household: Any
    member: Any
    id_number: str
    name: str


@pytest.fixture
def person(place, household_factory):
    """A registered household head in ``village`` (default 一村), with the ID number in clear."""
    from fupin.pii.crypto import get_cipher

    def make(village=None) -> Person:
        household = household_factory(village or place.village_a1)
        member = household.members.get()
        return Person(household, member, get_cipher().decrypt(member.id_number_enc), member.name)

    return make


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def counts() -> dict[str, int]:
    """What a failed import must leave exactly as it was."""
    from fupin.audit.models import AuditEntry
    from fupin.feeds.models import FeedBatch, FeedRecord

    return {
        "batches": FeedBatch.objects.count(),
        "records": FeedRecord.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def do_import(actor, kind, path_or_bytes, filename=None):
    from fupin.feeds.services import import_feed

    return import_feed(actor, kind, path_or_bytes, filename)


def problems_of(actor, kind, path_or_bytes, filename=None) -> list[tuple[int, str, str]]:
    """The problems of a refused import (in English), checking that nothing was written."""
    from fupin.feeds.services import FeedImportFailed

    before = counts()
    with pytest.raises(FeedImportFailed) as failure:
        do_import(actor, kind, path_or_bytes, filename)
    assert counts() == before, "a refused file changes nothing"
    with translation.override("en"):
        return [(p.row, p.column, str(p.message)) for p in failure.value.problems]


MEDICAL_HEADER = ["身份证号", "姓名", "结算日期", "合规自付"]


# ----------------------------------------------------------------------------- good files


def test_csv_rows_are_linked_to_the_registered_people(tmp_path, county_officer, person, place):
    from fupin.feeds.models import FeedBatch, FeedRecord

    wang, li = person(place.village_a1), person(place.village_b1)
    path = write_csv(
        tmp_path / "医保大额费用.csv",
        MEDICAL_HEADER,
        [
            [wang.id_number, wang.name, "2025-03-05", "12,345.60"],
            [li.id_number.lower(), li.name, "2025/3/6", "800"],  # a lower-case x is still the same number
            [STRANGER, "外县人", "2025年3月7日", "¥99.5"],
            ["", "", "", ""],  # blank line
            [wang.id_number, wang.name, "20250401", "1000元"],
        ],
    )
    result = do_import(county_officer, "medical", path)
    assert (result.rows, result.linked, result.unlinked) == (4, 3, 1)

    batch = FeedBatch.objects.get(pk=result.batch_id)
    assert (batch.kind, batch.file_name, batch.imported_by) == ("medical", "医保大额费用.csv", county_officer)
    assert (batch.row_count, batch.linked_count, batch.unlinked_count) == (4, 3, 1)
    records = {r.source_row: r for r in FeedRecord.objects.filter(batch=batch)}
    assert sorted(records) == [2, 3, 4, 6]  # rows of the file, header in row 1
    assert (records[2].member, records[2].household) == (wang.member, wang.household)
    assert (records[2].event_date, records[2].amount) == (dt.date(2025, 3, 5), Decimal("12345.60"))
    assert (records[3].member, records[3].household) == (li.member, li.household)
    assert records[4].member is None and records[4].household is None
    assert records[4].amount == Decimal("99.50") and records[4].event_date == dt.date(2025, 3, 7)
    assert records[6].event_date == dt.date(2025, 4, 1) and records[6].amount == Decimal("1000")
    assert all(r.kind == "medical" and r.code is None for r in records.values())


def test_id_numbers_are_stored_encrypted_with_blind_index_and_mask(tmp_path, county_officer, person):
    from fupin.domain.idnumber import mask
    from fupin.feeds.models import FeedRecord
    from fupin.pii.crypto import get_cipher

    wang = person()
    path = write_csv(tmp_path / "m.csv", MEDICAL_HEADER, [[wang.id_number, wang.name, "2025-01-02", "5"]])
    do_import(county_officer, "medical", path)
    row = FeedRecord.objects.values().get()
    cipher = get_cipher()
    assert cipher.decrypt(row["id_number_enc"]) == wang.id_number
    assert row["id_number_bidx"] == cipher.blind_index("id", wang.id_number) == wang.member.id_number_bidx
    assert row["id_number_masked"] == mask(wang.id_number) and "*" in row["id_number_masked"]
    assert wang.id_number not in " ".join(str(v) for v in row.values())


def test_xlsx_with_a_title_row_english_headers_and_excel_dates(tmp_path, county_officer, person):
    from openpyxl import Workbook

    from fupin.feeds.models import FeedRecord

    wang, zhao = person(), person()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年第二季度受灾农户损失统计表"])  # a title above the header, as exported sheets have
    sheet.append(["ID number", "Name", "Disaster date", "Loss (yuan)", "Disaster type", "备注"])
    sheet.append([wang.id_number, wang.name, dt.datetime(2025, 6, 20), 15000.5, "hail", "东头"])
    sheet.append([zhao.id_number, zhao.name, 45828, 3200, "洪涝", None])  # a date that lost its format
    sheet.append([STRANGER, "外县人", "2025-06-21", 0.1 + 0.2, "Flood", None])  # spreadsheet arithmetic
    path = tmp_path / "disaster.xlsx"
    workbook.save(path)

    result = do_import(county_officer, "disaster", path)
    assert (result.rows, result.linked, result.unlinked) == (3, 2, 1)
    by_row = {r.source_row: r for r in FeedRecord.objects.all()}
    assert (by_row[3].member, by_row[3].event_date) == (wang.member, dt.date(2025, 6, 20))
    assert (by_row[3].amount, by_row[3].code) == (Decimal("15000.50"), "hail")
    assert (by_row[4].member, by_row[4].event_date) == (zhao.member, dt.date(2025, 6, 20))
    assert by_row[4].code == "flood"
    assert (by_row[5].amount, by_row[5].code) == (Decimal("0.30"), "flood")


def test_parquet_file_links_the_same_way(tmp_path, county_officer, person):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fupin.feeds.models import FeedRecord

    wang, li = person(), person()
    table = pa.table(
        {
            "id_number": pa.array([wang.id_number, li.id_number, STRANGER]),
            "name": pa.array([wang.name, li.name, "外县人"]),
            "start_date": pa.array(
                [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)], pa.date32()
            ),
            "monthly_amount": pa.array([350.0, None, 420.0], pa.float64()),
            "assistance_type": pa.array(["dibao", "tekun", "临时救助"]),
        }
    )
    path = tmp_path / "roll.parquet"
    pq.write_table(table, path)
    result = do_import(county_officer, "assistance_roll", path.read_bytes(), "roll.parquet")
    assert (result.rows, result.linked, result.unlinked) == (3, 2, 1)
    rows = list(
        FeedRecord.objects.order_by("source_row").values_list("source_row", "member", "amount", "code")
    )
    assert rows == [
        (1, wang.member.pk, Decimal("350.00"), "dibao"),  # Parquet has no header row: record 1 is row 1
        (2, li.member.pk, None, "tekun"),
        (3, None, Decimal("420.00"), "temporary_assistance"),
    ]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_csv_as_saved_by_excel_on_chinese_windows(tmp_path, county_officer, person, encoding):
    from fupin.feeds.models import FeedRecord

    wang = person()
    path = write_csv(
        tmp_path / "学籍.csv",
        ["公民身份号码", "姓名", "变动日期", "学籍状态"],
        [[wang.id_number, wang.name, "2025/9/1", "辍学"]],
        encoding,
    )
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    else:
        assert "学籍".encode(encoding) in path.read_bytes()
    result = do_import(county_officer, "school", path)
    assert result.linked == 1
    record = FeedRecord.objects.get()
    assert (record.member, record.name, record.code) == (wang.member, wang.name, "dropped_out")


@pytest.mark.parametrize(
    ("kind", "amount", "code", "stored"),
    [
        ("medical", "2300.5", "", (Decimal("2300.50"), None)),
        ("disaster", "8000", "drought", (Decimal("8000.00"), "drought")),
        ("school", "", "enrolled", (None, "enrolled")),
        ("insurance", "", "lapsed", (None, "lapsed")),
        ("returned_migrant", "", "laid_off", (None, "laid_off")),  # the lost income is optional
        ("returned_migrant", "3500", "illness", (Decimal("3500.00"), "illness")),
        ("housing", "", "d", (None, "D")),
        ("death", "", "", (None, None)),
        ("assistance_roll", "", "tekun", (None, "tekun")),
    ],
)
def test_every_kind_imports_a_file_made_from_its_template(
    tmp_path, county_officer, person, kind, amount, code, stored
):
    from fupin.feeds.kinds import KINDS
    from fupin.feeds.models import FeedRecord
    from fupin.feeds.services import template_csv

    wang = person()
    header = next(csv.reader(io.StringIO(template_csv(kind))))
    values = {"id_number": wang.id_number, "name": wang.name, "event_date": "2025-05-06"}
    values.update(amount=amount, code=code)
    row = [values[column.field] for column in KINDS[kind].columns]
    path = write_csv(tmp_path / f"{kind}.csv", header, [row], "utf-8-sig")
    assert do_import(county_officer, kind, path).linked == 1
    record = FeedRecord.objects.get()
    assert (record.kind, record.member, record.event_date) == (kind, wang.member, dt.date(2025, 5, 6))
    assert (record.amount, record.code) == stored


def test_a_person_who_moved_is_linked_to_the_household_they_live_in_now(
    tmp_path, county_officer, person, place
):
    from fupin.feeds.models import FeedRecord
    from fupin.registry import services

    old = person(place.village_a1)
    services.update_member(
        actor=county_officer,
        member=old.member,
        expected_version=old.member.version,
        values={"exit_reason": "married_out", "exit_date": dt.date(2024, 5, 1)},
    )
    new_home = person(place.village_b1).household
    moved = services.add_member(
        actor=county_officer,
        household=new_home,
        values={
            "name": old.name,
            "sex": old.member.sex,
            "birth_date": old.member.birth_date,
            "relation": "spouse",
            "labour_capacity": "ordinary",
        },
        id_number=old.id_number,
    )
    path = write_csv(tmp_path / "m.csv", MEDICAL_HEADER, [[old.id_number, old.name, "2025-01-02", "5"]])
    do_import(county_officer, "medical", path)
    record = FeedRecord.objects.get()
    assert (record.member, record.household) == (moved, new_home)


# ----------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("kind", "header", "cells", "column", "says"),
    [
        ("medical", MEDICAL_HEADER, {0: "wrong-check"}, "身份证号", "does not match"),
        ("medical", MEDICAL_HEADER, {0: "22082219800517"}, "身份证号", "18 characters"),
        ("medical", MEDICAL_HEADER, {0: ""}, "身份证号", "missing"),
        ("medical", MEDICAL_HEADER, {0: "2.20822E+17"}, "身份证号", "stored as a number"),
        ("medical", MEDICAL_HEADER, {1: ""}, "姓名", "name is missing"),
        ("medical", MEDICAL_HEADER, {2: "2025-02-30"}, "结算日期", "2025-02-30"),
        ("medical", MEDICAL_HEADER, {2: "上个月"}, "结算日期", "not a date"),
        ("medical", MEDICAL_HEADER, {2: ""}, "结算日期", "date is missing"),
        ("medical", MEDICAL_HEADER, {2: "2099-01-01"}, "结算日期", "future"),
        ("medical", MEDICAL_HEADER, {3: "-5"}, "合规自付", "negative"),
        ("medical", MEDICAL_HEADER, {3: "十元"}, "合规自付", "not an amount"),
        ("medical", MEDICAL_HEADER, {3: "1.234"}, "合规自付", "two decimals"),
        ("medical", MEDICAL_HEADER, {3: ""}, "合规自付", "amount is missing"),
        (
            "disaster",
            ["身份证号", "姓名", "受灾日期", "损失金额", "灾害类型"],
            {4: "tornado"},
            "灾害类型",
            "flood",  # the message lists the allowed codes
        ),
        ("school", ["身份证号", "姓名", "日期", "状态"], {3: ""}, "状态", "missing"),
        ("housing", ["身份证号", "姓名", "日期", "等级"], {3: "E"}, "等级", "“E” is not allowed"),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_row_and_column(
    tmp_path, county_officer, person, kind, header, cells, column, says
):
    wang = person()
    good = [wang.id_number, wang.name, "2025-03-01", "100", "hail"][: len(header)]
    if kind in ("school", "housing"):
        good[3] = {"school": "enrolled", "housing": "B"}[kind]
    bad = list(good)
    for index, value in cells.items():
        bad[index] = value
    if bad[0] == "wrong-check":
        bad[0] = wang.id_number[:17] + ("0" if wang.id_number[17] != "0" else "1")
    path = write_csv(tmp_path / "bad.csv", header, [good, bad, good])
    problems = problems_of(county_officer, kind, path)
    assert len(problems) == 1, problems
    row, where, message = problems[0]
    assert (row, where) == (3, column)
    assert says.lower() in message.lower()


def test_a_missing_column_is_reported_at_the_header(tmp_path, county_officer, person):
    wang = person()
    path = write_csv(
        tmp_path / "nodate.csv", ["身份证号", "姓名", "合规自付"], [[wang.id_number, wang.name, "5"]]
    )
    [(row, column, message)] = problems_of(county_officer, "medical", path)
    assert row == 1 and column == "结算日期 / settlement_date"
    assert "missing" in message and "结算日期" in message

    path = write_csv(tmp_path / "noid.csv", ["姓名", "日期"], [[wang.name, "2025-01-01"]])
    [(row, _column, message)] = problems_of(county_officer, "death", path)
    assert row == 1 and "ID-number column" in message


def test_every_problem_is_reported_at_once_and_nothing_changes(tmp_path, county_officer, person):
    from fupin.feeds.models import FeedRecord

    wang = person()
    do_import(
        county_officer,
        "medical",
        write_csv(tmp_path / "first.csv", MEDICAL_HEADER, [[wang.id_number, wang.name, "2025-01-02", "5"]]),
    )
    before = list(FeedRecord.objects.values())
    path = write_csv(
        tmp_path / "mixed.csv",
        MEDICAL_HEADER,
        [
            [wang.id_number, wang.name, "2025-01-03", "10"],  # good, but the file is refused as a whole
            [wang.id_number[:17] + "?", wang.name, "2025-13-01", "-1"],
            [],
            [STRANGER, "", "2025-01-03", "7"],
        ],
    )
    problems = problems_of(county_officer, "medical", path)
    assert [(row, column) for row, column, _m in problems] == [
        (3, "身份证号"),
        (3, "结算日期"),
        (3, "合规自付"),
        (5, "姓名"),
    ]
    assert list(FeedRecord.objects.values()) == before


def test_problems_are_given_in_chinese_and_english(tmp_path, county_officer, person):
    from fupin.core.i18n import bilingual
    from fupin.feeds.services import FeedImportFailed

    wang = person()
    path = write_csv(tmp_path / "bad.csv", MEDICAL_HEADER, [[wang.id_number, wang.name, "2025-01-01", "-3"]])
    with pytest.raises(FeedImportFailed) as failure:
        do_import(county_officer, "medical", path)
    text = bilingual(failure.value.problems[0].message)
    assert "negative" in text and "负数" in text and "-3" in text
    assert "未导入任何数据" in bilingual(failure.value.message)


def test_unreadable_files_and_unknown_kinds_are_refused(tmp_path, county_officer):
    [(row, _c, message)] = problems_of(county_officer, "medical", b"\xd0\xcf\x11\xe0 old", "old.xls")
    assert row == 0 and ".xls" in message
    [(row, _c, message)] = problems_of(county_officer, "medical", b"not a zip", "broken.xlsx")
    assert row == 0 and "xlsx" in message
    [(row, _c, message)] = problems_of(county_officer, "medical", b"PAR1 nonsense", "x.parquet")
    assert row == 0 and "Parquet" in message
    [(_r, _c, message)] = problems_of(
        county_officer, "medical", "身份证号,姓名,结算日期,合规自付\n".encode(), "e.csv"
    )
    assert "no rows" in message
    [(_r, _c, message)] = problems_of(county_officer, "lottery", b"id_number\n", "e.csv")
    assert "medical" in message


def test_the_same_file_is_not_imported_twice(tmp_path, county_officer, person):
    wang = person()
    path = write_csv(tmp_path / "m.csv", MEDICAL_HEADER, [[wang.id_number, wang.name, "2025-01-02", "5000"]])
    first = do_import(county_officer, "medical", path)
    [(row, _c, message)] = problems_of(county_officer, "medical", path)
    assert row == 0 and "already imported" in message and str(first.batch_id) in message


# ----------------------------------------------------------------------------- who may import


def test_people_outside_the_importers_area_are_refused_row_by_row(tmp_path, village_cadre, person, place):
    mine, theirs = person(place.village_a1), person(place.village_a2)
    path = write_csv(
        tmp_path / "m.csv",
        MEDICAL_HEADER,
        [
            [mine.id_number, mine.name, "2025-01-02", "5"],
            [theirs.id_number, theirs.name, "2025-01-02", "6"],
            [STRANGER, "外县人", "2025-01-02", "7"],
        ],
    )
    [(row, column, message)] = problems_of(village_cadre, "medical", path)
    assert (row, column) == (3, "身份证号")
    assert "outside your area" in message
    # The message does not tell the cadre where the person lives.
    assert theirs.household.number not in message and place.village_a2.name not in message

    ok = write_csv(
        tmp_path / "ok.csv",
        MEDICAL_HEADER,
        [[mine.id_number, mine.name, "2025-01-02", "5"], [STRANGER, "外县人", "2025-01-02", "7"]],
    )
    result = do_import(village_cadre, "medical", ok)
    assert (result.linked, result.unlinked) == (1, 1)


@pytest.mark.parametrize("role", [Role.DEPARTMENT_USER, Role.PROVINCE_VIEWER])
def test_only_users_who_edit_records_may_import(tmp_path, make_user, person, role):
    from django.contrib.auth.models import AnonymousUser

    from fupin.core.errors import NotPermitted

    wang = person()
    path = write_csv(tmp_path / "m.csv", MEDICAL_HEADER, [[wang.id_number, wang.name, "2025-01-02", "5"]])
    outsiders = (make_user(role, "220822"), AnonymousUser(), None)
    before = counts()
    for outsider in outsiders:
        with pytest.raises(NotPermitted):
            do_import(outsider, "medical", path)
    assert counts() == before


def test_records_are_seen_only_in_scope_and_unlinked_ones_by_nobody(
    tmp_path, county_officer, village_cadre, person, place, make_user
):
    from fupin.feeds.models import FeedRecord
    from fupin.feeds.selectors import records_for

    mine, theirs = person(place.village_a1), person(place.village_b1)
    path = write_csv(
        tmp_path / "m.csv",
        MEDICAL_HEADER,
        [
            [mine.id_number, mine.name, "2025-01-02", "5"],
            [theirs.id_number, theirs.name, "2025-01-02", "6"],
            [STRANGER, "外县人", "2025-01-02", "7"],
        ],
    )
    do_import(county_officer, "medical", path)
    assert FeedRecord.objects.count() == 3
    assert {r.member for r in records_for(county_officer)} == {mine.member, theirs.member}
    assert [r.member for r in records_for(village_cadre)] == [mine.member]
    assert not records_for(make_user(Role.COUNTY_OFFICER, "220821")).exists()
    assert not records_for(None).exists()


def test_the_import_is_one_audit_entry_without_personal_data(tmp_path, county_officer, person):
    from fupin.audit.models import AuditEntry
    from fupin.audit.selectors import verify_chain

    wang = person()
    path = write_csv(
        tmp_path / "医保.csv",
        MEDICAL_HEADER,
        [[wang.id_number, wang.name, "2025-01-02", "5"], [STRANGER, "外县人", "2025-01-02", "7"]],
    )
    before = AuditEntry.objects.count()
    result = do_import(county_officer, "medical", path)
    entry = AuditEntry.objects.get(action="import", object_type="feed_batch")
    assert AuditEntry.objects.count() == before + 1
    assert entry.actor == county_officer and entry.object_id == str(result.batch_id)
    assert entry.changes == {"kind": "medical", "file": "医保.csv", "rows": 2, "linked": 1, "unlinked": 1}
    assert entry.area_code == "220822"
    text = json.dumps(entry.changes, ensure_ascii=False) + entry.summary
    for secret in (wang.id_number, wang.name, STRANGER, "外县人", wang.id_number[6:14]):
        assert secret not in text
    assert verify_chain().ok


# ----------------------------------------------------------------------------- the engine's table


def test_feed_table_has_the_contract_schema_and_only_linked_records_up_to_as_of(
    tmp_path, county_officer, person
):
    import pyarrow as pa

    from fupin.feeds.models import FeedRecord
    from fupin.feeds.selectors import feed_table

    wang, li = person(), person()
    medical = write_csv(
        tmp_path / "m.csv",
        MEDICAL_HEADER,
        [
            [wang.id_number, wang.name, "2025-01-02", "1234.5"],
            [li.id_number, li.name, "2025-06-30", "10"],
            [STRANGER, "外县人", "2025-01-02", "7"],
        ],
    )
    do_import(county_officer, "medical", medical)
    disaster = write_csv(
        tmp_path / "d.csv",
        ["身份证号", "姓名", "受灾日期", "损失金额", "灾害类型"],
        [[li.id_number, li.name, "2025-07-01", "800", "冰雹"]],
    )
    do_import(county_officer, "disaster", disaster)

    expected = pa.schema(
        [
            ("record_id", pa.int64()),
            ("household_id", pa.int64()),
            ("member_id", pa.int64()),
            ("kind", pa.string()),
            ("event_date", pa.date32()),
            ("amount", pa.float64()),
            ("code", pa.string()),
        ]
    )
    table = feed_table()
    assert table.schema.equals(expected)
    assert table.num_rows == 3  # the unlinked record is left out
    rows = table.to_pylist()
    ids = {r.pk: r for r in FeedRecord.objects.all()}
    assert [r["record_id"] for r in rows] == sorted(pk for pk, r in ids.items() if r.household_id)
    assert rows[0] == {
        "record_id": rows[0]["record_id"],
        "household_id": wang.household.pk,
        "member_id": wang.member.pk,
        "kind": "medical",
        "event_date": dt.date(2025, 1, 2),
        "amount": 1234.5,
        "code": None,
    }
    assert rows[2]["code"] == "hail" and rows[2]["amount"] == 800.0

    on_june_30 = feed_table(dt.date(2025, 6, 30))
    assert on_june_30.schema.equals(expected)
    assert on_june_30.column("event_date").to_pylist() == [dt.date(2025, 1, 2), dt.date(2025, 6, 30)]
    before_any = feed_table(dt.date(2024, 12, 31))
    assert before_any.num_rows == 0 and before_any.schema.equals(expected)

    # No personal data: no name or ID number anywhere in the table.
    text = json.dumps(table.to_pylist(), default=str, ensure_ascii=False)
    for secret in (wang.id_number, wang.name, li.name, STRANGER, "外县人"):
        assert secret not in text


def test_feed_table_is_what_the_screening_engine_reads(tmp_path, county_officer, person):
    tables = pytest.importorskip("fupin.engine.tables")
    from fupin.feeds.selectors import feed_table

    wang = person()
    do_import(
        county_officer,
        "medical",
        write_csv(tmp_path / "m.csv", MEDICAL_HEADER, [[wang.id_number, wang.name, "2025-01-02", "5"]]),
    )
    table = feed_table()
    assert table.schema.equals(tables.schema("feeds"))
    assert tables.conform("feeds", table).equals(table)


# ----------------------------------------------------------------------------- the command


def test_command_template_import_and_failure(tmp_path, county_officer, person, capsys):
    from django.core.management import CommandError, call_command

    from fupin.feeds.models import FeedRecord

    template = tmp_path / "template.csv"
    out = StringIO()
    call_command("feeds", "template", "returned_migrant", "--output", str(template), stdout=out)
    assert "returned_migrant" in out.getvalue() or "返乡" in out.getvalue()
    assert "laid_off" in out.getvalue() and "失业" in out.getvalue()
    raw = template.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel on Windows opens UTF-8 only with a BOM
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header == [
        "身份证号 / id_number",
        "姓名 / name",
        "返乡日期 / return_date",
        "月收入减少 / lost_monthly_income",
        "返乡原因 / reason",
    ]

    wang, li = person(), person()
    with template.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([wang.id_number, wang.name, "2025-02-01", "4000", "失业"])
        writer.writerow([li.id_number, li.name, "2025-02-03", "", "other"])
        writer.writerow([STRANGER, "外县人", "2025-02-03", "", "illness"])
    out = StringIO()
    call_command(
        "feeds", "import", "returned_migrant", str(template), "--user", county_officer.username, stdout=out
    )
    report = out.getvalue()
    assert "3 行 rows" in report and "2 linked" in report and "1 unlinked" in report
    assert FeedRecord.objects.filter(batch__imported_by=county_officer).count() == 3

    # Standard output gets only the CSV; the guide goes to standard error.
    out, err = StringIO(), StringIO()
    call_command("feeds", "template", "housing", stdout=out, stderr=err)
    assert out.getvalue().splitlines() == [
        "身份证号 / id_number,姓名 / name,鉴定日期 / rating_date,鉴定等级 / rating"
    ]
    assert "A（A级）" in err.getvalue()

    bad = write_csv(
        tmp_path / "bad.csv",
        MEDICAL_HEADER,
        [[wang.id_number, wang.name, "2025-02-30", "5"], [wang.id_number, wang.name, "2025-01-01", "-5"]],
    )
    before = counts()
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("feeds", "import", "medical", str(bad), stdout=StringIO(), stderr=err)
    assert "2 个问题" in str(failure.value)
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("第 2 行 / row 2, 结算日期:") and "2025-02-30" in lines[0]
    assert lines[1].startswith("第 3 行 / row 3, 合规自付:") and "负数" in lines[1] and "negative" in lines[1]
    assert counts() == before

    with pytest.raises(CommandError):
        call_command("feeds", "import", "medical", str(bad), "--user", "nobody", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("feeds", "import", "medical", str(tmp_path / "missing.csv"), stdout=StringIO())


def test_command_exits_non_zero_on_a_bad_file(tmp_path, county_officer, person, capsys, monkeypatch):
    from django.db import connections

    from fupin.feeds.management.commands.feeds import Command

    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's transaction open

    wang = person()
    bad = write_csv(tmp_path / "bad.csv", MEDICAL_HEADER, [[wang.id_number, wang.name, "昨天", "5"]])
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["fupin", "feeds", "import", "medical", str(bad)])
    assert exited.value.code == 1
    assert "row 2" in capsys.readouterr().err


def test_command_as_a_user_outside_the_persons_area_is_refused(tmp_path, village_cadre, person, place):
    from django.core.management import CommandError, call_command

    theirs = person(place.village_b1)
    path = write_csv(tmp_path / "m.csv", MEDICAL_HEADER, [[theirs.id_number, theirs.name, "2025-01-02", "5"]])
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("feeds", "import", "medical", str(path), "--user", village_cadre.username, stderr=err)
    assert "row 2" in err.getvalue() and "outside your area" in err.getvalue()


# ----------------------------------------------------------------------------- cells (Hypothesis)

dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=TODAY)
DATE_FORMATS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d.isoformat()} 00:00:00",
    lambda d: dt.datetime(d.year, d.month, d.day, 8, 30),
    lambda d: float((d - dt.date(1899, 12, 30)).days),  # an Excel serial number
    lambda d: d,
]


@given(day=dates, style=st.sampled_from(DATE_FORMATS))
def test_any_written_form_of_a_date_reads_back_as_that_date(day, style):
    from fupin.feeds.services import parse_date

    assert parse_date(style(day), today=TODAY) == (day, None)


@given(day=st.dates(min_value=TODAY + dt.timedelta(days=1), max_value=dt.date(2999, 12, 31)))
def test_a_future_date_is_refused(day):
    from fupin.feeds.services import parse_date

    value, problem = parse_date(day.isoformat(), today=TODAY)
    assert value is None and problem is not None


AMOUNT_FORMATS = [
    lambda a: str(a),
    lambda a: f"{a:,}",
    lambda a: f"¥{a}",
    lambda a: f"{a}元",
    lambda a: f" {a} ",
    lambda a: float(a),
    lambda a: a,
]


@given(
    amount=st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2),
    style=st.sampled_from(AMOUNT_FORMATS),
)
def test_any_written_form_of_an_amount_reads_back_to_the_fen(amount, style):
    from fupin.feeds.services import parse_amount

    assert parse_amount(style(amount)) == (amount, None)


@given(amount=st.decimals(max_value=Decimal("-0.01"), places=2, allow_nan=False, allow_infinity=False))
def test_a_negative_amount_is_refused(amount):
    from fupin.feeds.services import parse_amount

    value, problem = parse_amount(str(amount))
    assert value is None and problem is not None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.integers(1, 6),
    bad_row=st.data(),
    column=st.sampled_from(["身份证号", "结算日期", "合规自付"]),
)
def test_one_bad_cell_anywhere_refuses_the_file_at_that_cell(tmp_path, county_officer, rows, bad_row, column):
    wang_id = valid_id(birth=dt.date(1966, 6, 6), sequence=17)
    table = [[wang_id, "王某", "2025-03-01", "100"] for _r in range(rows)]
    index = bad_row.draw(st.integers(0, rows - 1))
    spoiled = {"身份证号": wang_id[:-1] + ("0" if wang_id[-1] != "0" else "1"), "结算日期": "2025-02-29"}
    spoiled["合规自付"] = "-0.01"
    table[index][MEDICAL_HEADER.index(column)] = spoiled[column]
    path = write_csv(tmp_path / "h.csv", MEDICAL_HEADER, table)
    problems = problems_of(county_officer, "medical", path)
    assert [(row, where) for row, where, _m in problems] == [(index + 2, column)]


# ----------------------------------------------------------------------------- demo data

AS_OF = dt.date(2025, 6, 30)


def test_demo_feeds_are_deterministic_and_pass_the_importers_checks():
    from fupin.demo import generator
    from fupin.demo.feeds import generate_feeds
    from fupin.feeds.kinds import KINDS
    from fupin.feeds.services import parse_amount, parse_code, parse_date, parse_id_number

    county = generator.generate(households=1500, seed=7, as_of=AS_OF)
    rows = generate_feeds(county, seed=7)
    assert rows == generate_feeds(generator.generate(households=1500, seed=7, as_of=AS_OF), seed=7)
    assert rows != generate_feeds(county, seed=8)
    kinds = {r.kind for r in rows}
    assert {"medical", "disaster", "school", "insurance", "returned_migrant"} <= kinds
    registered = {m.id_number: m for h in county.households for m in h.members}
    unlinked = [r for r in rows if r.id_number not in registered]
    assert 0 < len(unlinked) < 0.15 * len(rows)
    for row in rows:
        spec = KINDS[row.kind]
        assert parse_id_number(row.id_number) == (row.id_number, None)
        assert parse_date(row.event_date.isoformat(), today=AS_OF) == (row.event_date, None)
        if spec.amount is None:
            assert row.amount is None
        elif row.amount is not None:
            assert parse_amount(str(row.amount)) == (row.amount, None)
        else:
            assert not spec.amount.required
        if spec.code is None:
            assert row.code is None
        else:
            assert parse_code(row.code, spec) == (row.code, None)
        if row.id_number in registered:
            assert registered[row.id_number].name == row.name
    # The lists follow the county's facts.
    sick = {m.id_number for m in registered.values() if m.health in ("serious", "chronic", "disabled")}
    assert all(r.id_number in sick for r in rows if r.kind == "medical" and r.id_number in registered)
    dropped = {m.id_number for m in registered.values() if m.schooling_status == "dropped_out"}
    assert dropped and dropped <= {r.id_number for r in rows if r.code == "dropped_out"}
    uninsured = {m.id_number for m in registered.values() if not m.basic_medical_insurance}
    assert {r.id_number for r in rows if r.code == "lapsed"} <= uninsured
    assert {r.code for r in rows if r.kind == "disaster"} >= {"hail", "flood"}


def test_demo_data_loads_feeds_linked_to_its_people(db):
    from fupin.audit.models import AuditEntry
    from fupin.demo.loader import load_demo_county
    from fupin.feeds.models import FeedBatch, FeedRecord
    from fupin.feeds.selectors import feed_table
    from fupin.pii.crypto import get_cipher

    summary = load_demo_county(households=400, seed=3, as_of=AS_OF)
    records = FeedRecord.objects.all()
    assert summary.feed_records == records.count() > 0
    assert summary.feed_records_linked == records.exclude(household=None).count()
    assert 0 < records.filter(household=None).count() < summary.feed_records
    for batch in FeedBatch.objects.all():
        assert batch.row_count == batch.linked_count + batch.unlinked_count == batch.records.count()
    cipher = get_cipher()
    for record in records.exclude(member=None).select_related("member"):
        assert record.member.household_id == record.household_id
        assert record.member.name == record.name
        assert cipher.decrypt(record.id_number_enc) == cipher.decrypt(record.member.id_number_enc)
    table = feed_table(AS_OF)
    assert table.num_rows == summary.feed_records_linked
    entry = AuditEntry.objects.get(action="import", object_type="demo_data")
    assert entry.changes["feed_records"] == summary.feed_records
