"""Imports of households, members and incomes (fupin.exchange): templates, all or nothing, idempotency,
the error workbook, scope, the upload page and the command. Sample files made by LibreOffice are in
tests/data/exchange (see its README)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from fupin.audit.models import AuditEntry
from fupin.core.i18n import bilingual
from fupin.exchange import workbook
from fupin.exchange.importer import ImportFailed, import_file
from fupin.exchange.models import ImportJob
from fupin.pii.crypto import get_cipher
from fupin.registry.models import Household, HouseholdTypeHistory, IncomeRecord, Member
from tests.conftest import valid_id

DATA = Path(__file__).parent / "data" / "exchange"
YEAR = dt.date.today().year - 1

HOUSEHOLDS_CSV = (
    "户编号,村代码,村民小组,联系电话,户类型,户状态,耕地面积,饮水安全\n"
    "2208221002010001,220822100201,一组,13812345678,脱贫户,已脱贫,3.5,是\n"
    "2208221002010002,220822100201,二组,,一般农户,Normal,0,否\n"
)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    """Compile the .po files as the ``fupin`` command does (the header messages are checked in
    Chinese), and drop any catalogue loaded before."""
    from django.utils.translation.reloader import translation_file_changed

    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    translation_file_changed(sender=None, file_path=Path("django.mo"))


def members_csv(rows: list[tuple[str, str, str, str, str]]) -> str:
    lines = ["户编号,姓名,身份证号,与户主关系,劳动技能,联系电话"]
    lines += [",".join(r) + "," for r in rows]
    return "\n".join(lines) + "\n"


HEAD1 = valid_id(birth=dt.date(1970, 3, 5), sequence=11)
WIFE1 = valid_id(birth=dt.date(1972, 4, 6), sequence=12)
HEAD2 = valid_id(birth=dt.date(1965, 1, 2), sequence=13)


def _members() -> str:
    return members_csv(
        [
            ("2208221002010001", "张三", HEAD1, "户主", "普通劳动力"),
            ("2208221002010001", "李四", WIFE1, "配偶", "弱劳动力"),
            ("2208221002010002", "王五", HEAD2, "户主", "无劳动力"),
        ]
    )


def state() -> dict[str, str]:
    """Counts and a checksum of every registry row: the database 'exactly as before'."""
    out = {}
    for model in (Household, Member, IncomeRecord, HouseholdTypeHistory, AuditEntry):
        rows = list(model.objects.order_by("pk").values_list())
        out[model.__name__] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
    return out


@pytest.fixture
def loaded(place):
    import_file("cli", "households", HOUSEHOLDS_CSV.encode(), "h.csv")
    import_file("cli", "members", _members().encode("gb18030"), "m.csv")
    return place


def test_households_members_incomes_import_and_encrypt(loaded):
    h1 = Household.objects.get(number="2208221002010001")
    assert h1.household_type == "lifted_out" and h1.status == "lifted" and h1.village.code == "220822100201"
    assert str(h1.cultivated_land_mu) == "3.50" and h1.water_safe is True
    assert h1.phone_masked == "138****5678" and "13812345678" not in h1.phone_enc
    assert get_cipher().decrypt(h1.phone_enc) == "13812345678"
    assert HouseholdTypeHistory.objects.filter(household=h1).count() == 1
    head = Member.objects.get(name="张三")
    assert head.relation == "head" and head.sex == "M" and head.birth_date == dt.date(1970, 3, 5)
    assert get_cipher().decrypt(head.id_number_enc) == HEAD1
    assert head.id_number_bidx == get_cipher().blind_index("id", HEAD1)
    assert Member.objects.get(name="李四").labour_capacity == "weak"
    result = import_file(
        "cli",
        "incomes",
        f"户编号,年度,工资性收入,转移性收入\n2208221002010001,{YEAR},12000,800.5\n".encode(),
        "i.csv",
    )
    assert result.created == 1
    income = IncomeRecord.objects.get()
    assert income.household_size == 2 and str(income.transfer) == "800.50"


def test_reimporting_the_same_files_changes_nothing(loaded):
    before = state()
    entries = AuditEntry.objects.count()
    r1 = import_file("cli", "households", HOUSEHOLDS_CSV.encode(), "h.csv")
    r2 = import_file("cli", "members", _members().encode("gb18030"), "m.csv")
    assert (r1.created, r1.updated, r1.unchanged) == (0, 0, 2)
    assert (r2.created, r2.updated, r2.unchanged) == (0, 0, 3)
    after = state()
    assert AuditEntry.objects.count() == entries + 2  # one entry per import, counts only
    before.pop("AuditEntry"), after.pop("AuditEntry")
    assert after == before


def test_an_update_changes_only_what_differs(loaded):
    changed = HOUSEHOLDS_CSV.replace(
        "2208221002010002,220822100201,二组,,一般农户,Normal",
        "2208221002010002,220822100201,三组,,脱贫户,已脱贫",
    )
    result = import_file("cli", "households", changed.encode(), "h.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    h2 = Household.objects.get(number="2208221002010002")
    assert h2.group_name == "三组" and h2.household_type == "lifted_out" and h2.version == 2
    assert HouseholdTypeHistory.objects.filter(household=h2).count() == 2


def test_a_failed_import_leaves_the_database_exactly_as_before(loaded):
    before = state()
    # 6000 good rows (more than one batch is written) and one bad row at the end
    lines = ["户编号,村代码,户类型,户状态"] + [
        f"220822100201{i + 100:05d},220822100201,一般农户,正常" for i in range(6000)
    ]
    lines.append("22082210020199999,220822100201,一般农户,不存在的状态")
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "households", "\n".join(lines).encode(), "big.csv")
    assert [(p.row, p.column) for p in failed.value.problems] == [(6002, "户状态")]
    assert state() == before


def test_audit_entry_has_counts_only(loaded):
    entry = AuditEntry.objects.filter(object_type="members").latest("pk")
    assert entry.changes == {"kind": "members", "rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    text = entry.summary + repr(entry.changes)
    assert HEAD1 not in text and "张三" not in text


def test_problems_are_reported_with_row_column_and_masked_value(loaded):
    bad = members_csv(
        [
            (
                "2208221002010001",
                "赵六",
                HEAD1[:-1] + ("0" if HEAD1[-1] != "0" else "1"),
                "子",
                "普通劳动力",
            ),  # check digit
            ("2208221002010001", "钱七", "2.20822E+17", "子", "普通劳动力"),  # Excel's number
            ("H404", "孙八", valid_id(sequence=21), "子", "普通劳动力"),  # no such household
            ("2208221002010002", "周九", valid_id(sequence=23), "户主", "普通劳动力"),  # a second head
            ("2208221002010002", "吴十", HEAD1, "子", "普通劳动力"),  # registered in 2208221002010001
        ]
    )
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "members", bad.encode(), "bad.csv")
    problems = {(p.row, p.column): p for p in failed.value.problems}
    assert set(problems) == {
        (2, "身份证号"),
        (3, "身份证号"),
        (4, "户编号"),
        (5, "与户主关系"),
        (6, "身份证号"),
    }
    assert "last digits are lost" in bilingual(problems[(3, "身份证号")].message)
    assert problems[(2, "身份证号")].value.startswith("2208") and "*" in problems[(2, "身份证号")].value
    assert "2208221002010001" in str(problems[(6, "身份证号")].message)


def test_error_workbook_marks_every_bad_cell_and_lists_them(loaded):
    bad = (
        "户编号,村代码,户类型,户状态\n2208221002010003,220822100201,外星户,正常\n"
        "H004,999999999999,一般农户,正常\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "households", bad.encode(), "bad.csv")
    book = load_workbook(io.BytesIO(workbook.error_workbook(bad.encode(), "bad.csv", failed.value.problems)))
    data, errors = book["data"], book["errors"]
    assert data["C2"].fill.fgColor.rgb.endswith("FFC7CE") and "外星户" in data["C2"].value
    assert "not allowed" in data["C2"].comment.text  # Chinese and English
    assert data["B3"].comment is not None and data["A2"].comment is None
    listed = [[c.value for c in row] for row in errors.iter_rows(min_row=2)]
    assert [(r[0], r[1], r[2]) for r in listed] == [(2, "户类型", "外星户"), (3, "村代码", "999999999999")]


def test_scope_rows_outside_the_users_villages_are_errors(place, village_cadre):
    text = (
        "户编号,村代码,户类型,户状态\n2208221002010011,220822100201,一般农户,正常\n"
        "2208221002020012,220822100202,一般农户,正常\n"
    )
    before = state()
    with pytest.raises(ImportFailed) as failed:
        import_file(village_cadre, "households", text.encode(), "s.csv")
    assert [(p.row, p.column) for p in failed.value.problems] == [(3, "村代码")]
    assert state() == before
    import_file(village_cadre, "households", text.split("2208221002020012")[0].encode(), "s.csv")
    assert Household.objects.filter(number="2208221002010011").exists()


def test_template_has_both_header_rows_and_drop_downs(db):
    book = load_workbook(io.BytesIO(workbook.template("members")))
    data = book["data"]
    assert data["B1"].value == "姓名*" and data["B2"].value == "name"
    validations = {str(v.sqref).split(":")[0]: v for v in data.data_validations.dataValidation}
    headers = {
        data.cell(row=2, column=i).value: data.cell(row=1, column=i).column_letter for i in range(1, 30)
    }
    sex = validations[f"{headers['sex']}3"]
    lists = book["lists"]
    letter = headers["sex"]
    assert sex.type == "list" and sex.formula1 == f"lists!${letter}$1:${letter}$2"
    assert [lists[f"{letter}1"].value, lists[f"{letter}2"].value] == ["男", "女"]
    relation = [c.value for c in lists[headers["relation"]] if c.value]
    assert "户主" in relation and "配偶" in relation
    assert "说明 instructions" in book.sheetnames
    assert data[f"{headers['id_number']}3"].number_format == "@"


def test_template_filled_in_imports(place, tmp_path):
    book = load_workbook(io.BytesIO(workbook.template("households")))
    data = book["data"]
    values = {
        "household_number": "2208221002010021",
        "village_code": "220822100201",
        "household_type": "脱贫户",
        "status": "已脱贫",
    }
    for column in range(1, data.max_column + 1):
        english = data.cell(row=2, column=column).value
        if english in values:
            data.cell(row=3, column=column, value=values[english])
    out = io.BytesIO()
    book.save(out)
    result = import_file("cli", "households", out.getvalue(), "t.xlsx")
    assert result.created == 1 and Household.objects.get(number="2208221002010021").status == "lifted"


def test_every_kind_has_a_template(db, tmp_path):
    for kind in workbook.template_kinds():
        call_command("exchange_template", kind, "-o", str(tmp_path / f"{kind}.xlsx"))
        assert load_workbook(tmp_path / f"{kind}.xlsx")["data"]["A1"].value


def test_command_imports_and_writes_the_error_workbook(place, tmp_path):
    good = tmp_path / "h.csv"
    good.write_text(HOUSEHOLDS_CSV, encoding="utf-8-sig")
    out = io.StringIO()
    call_command("exchange_import", "households", str(good), stdout=out)
    assert "2 行 rows" in out.getvalue() and Household.objects.count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(HOUSEHOLDS_CSV.replace("脱贫户", "外星户"), encoding="gbk")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("exchange_import", "households", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert (tmp_path / "bad.errors.xlsx").exists()


def test_areas_and_feeds_go_to_their_importers(place):
    result = import_file("cli", "areas", "代码,名称\n220822100203,新村\n".encode(), "a.csv")
    assert result.created == 1


def test_encrypt_many_tokens_are_fernet_tokens(settings):
    cipher = get_cipher()
    values = ["220822198005171234", "13812345678", "", "x" * 33]
    assert [cipher.decrypt(t) for t in cipher.encrypt_many(values)] == values


def test_upload_page_runs_an_import_and_offers_the_error_workbook(
    client, place, village_cadre, settings, tmp_path
):
    settings.SCREENING_IN_BACKGROUND = False
    settings.VAR_DIR = tmp_path
    client.force_login(village_cadre)
    page = client.get(reverse("exchange:index"))
    assert page.status_code == 200 and reverse("exchange:template", args=["members"]) in page.content.decode()
    assert client.get(reverse("exchange:template", args=["households"])).status_code == 200
    upload = io.BytesIO(HOUSEHOLDS_CSV.encode("gbk"))
    upload.name = "h.csv"
    response = client.post(reverse("exchange:start"), {"kind": "households", "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == "finished" and job.created == 2
    assert "2" in client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    outside = io.BytesIO(HOUSEHOLDS_CSV.replace("220822100201", "220822100202").encode())
    outside.name = "o.csv"
    client.post(reverse("exchange:start"), {"kind": "households", "file": outside})
    job = ImportJob.objects.latest("pk")
    assert job.status == "rejected" and job.problem_count == 2
    errors = client.get(reverse("exchange:job_errors", args=[job.pk]))
    assert errors.status_code == 200
    assert load_workbook(io.BytesIO(errors.content))["data"]["B2"].comment is not None
    assert client.get(reverse("exchange:job_errors", args=[job.pk - 1])).status_code == 404


def test_someone_elses_job_is_not_found(client, place, village_cadre, county_officer):
    job = ImportJob.objects.create(kind="households", file_name="x.csv", user=county_officer)
    client.force_login(village_cadre)
    assert client.get(reverse("exchange:job", args=[job.pk])).status_code == 404


# ---------------------------------------------------------------- files saved by LibreOffice Calc


def _sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def sample_households(place):
    return import_file("cli", "households", _sample("households_gbk.csv"), "households_gbk.csv")


def test_gbk_csv_with_a_title_row_and_full_width_digits(sample_households):
    assert sample_households.created == 3
    h1 = Household.objects.get(
        number="2208221002010001"
    )  # written ２２０８２２１００２０１０００１ in full width
    assert h1.phone_masked == "138****5678" and str(h1.cultivated_land_mu) == "3.50"
    assert Household.objects.get(number="2208221002020003").phone_masked.startswith("0436")


def test_xlsx_with_a_title_row_and_formatted_blank_rows_is_the_same_file(sample_households):
    before = state()
    result = import_file("cli", "households", _sample("households_title_row.xlsx"), "h.xlsx")
    assert (result.rows, result.unchanged) == (3, 3)
    after = state()
    before.pop("AuditEntry"), after.pop("AuditEntry")
    assert after == before


@pytest.mark.parametrize("name", ["members_merged_header.xlsx", "members_utf8_bom.csv"])
def test_members_with_merged_two_level_header_and_dates_in_every_form(sample_households, name):
    result = import_file("cli", "members", _sample(name), name)
    assert result.created == 5
    births = dict(Member.objects.values_list("name", "birth_date"))
    assert births == {
        "张三": dt.date(1970, 3, 5),  # a date cell
        "李四": dt.date(1972, 4, 6),  # 1972年4月6日
        "王五": dt.date(1965, 1, 2),  # 19650102
        "张小": dt.date(2010, 9, 1),  # 2010/9/1
        "钱七": dt.date(1999, 12, 31),  # empty: from the full-width ID number
    }
    assert Member.objects.get(name="张小").relation == "child"
    assert Member.objects.get(name="钱七").id_number_masked == "2208**********017X"


@pytest.mark.parametrize("name", ["members_id_as_number.xlsx", "members_id_as_number_gbk.csv"])
def test_id_numbers_excel_turned_into_numbers_are_reported(sample_households, name):
    before = state()
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "members", _sample(name), name)
    assert state() == before
    [problem] = failed.value.problems
    assert (problem.row, problem.column) == (4, "身份证号")
    assert "format the column as text" in bilingual(problem.message)
    book = load_workbook(io.BytesIO(workbook.error_workbook(_sample(name), name, failed.value.problems)))
    cell = book["data"]["C4"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and "文本" in cell.comment.text
    assert "text" in cell.comment.text
    assert book["errors"]["A2"].value == 4 and "*" in book["errors"]["C2"].value  # masked


def test_a_role_that_only_reads_cannot_upload(client, place, make_user):
    from fupin.accounts.roles import Role

    client.force_login(make_user(Role.DEPARTMENT_USER, "220822"))
    upload = io.BytesIO(HOUSEHOLDS_CSV.encode())
    upload.name = "h.csv"
    assert client.post(reverse("exchange:start"), {"kind": "households", "file": upload}).status_code == 403
    assert ImportJob.objects.count() == 0
    assert "exchange/start" not in client.get(reverse("exchange:index")).content.decode()


def _plain(value: object) -> object:
    """A cell as both xlsx readers agree on it: empty as None, whole numbers as int, dates as date."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def _offset_members_xlsx() -> bytes:
    """Members starting at C3 under a title and a blank row; 13 months, then a bad relation."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet["C1"] = "成员名单"
    rows = [
        ["户编号", "姓名", "身份证号", "与户主关系", "劳动技能", "出生日期", "务工月数"],
        ["2208221002010001", "张三", HEAD1, "户主", "普通劳动力", dt.datetime(1970, 3, 5), 13],
        ["2208221002010001", "李四", WIFE1, "外星人", "弱劳动力", None, 0],
    ]
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row, start=3):
            sheet.cell(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "name", ["households_title_row.xlsx", "members_id_as_number.xlsx", "members_merged_header.xlsx", None]
)
def test_calamine_reads_cells_where_openpyxl_did(name):
    from fupin.exchange import reader

    data = _sample(name) if name else _offset_members_xlsx()
    fast = [[_plain(v) for v in row] for row in reader.xlsx_rows(data)]
    slow = [[_plain(v) for v in row] for row in reader._openpyxl_rows(data)]
    for number, row in enumerate(slow):  # openpyxl pads to the sheet's dimension and keeps blank rows
        mine = fast[number] if number < len(fast) else []
        assert mine + [None] * (len(row) - len(mine)) == row[: max(len(mine), len(row))], number + 1


def test_xlsx_problems_keep_their_row_and_column_when_the_data_does_not_start_at_a1(sample_households):
    data = _offset_members_xlsx()
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "members", data, "m.xlsx")
    found = {(p.row, p.column, p.col_index) for p in failed.value.problems}
    assert found == {(5, "与户主关系", 5), (4, "务工月数", 8)}
    book = load_workbook(io.BytesIO(workbook.error_workbook(data, "m.xlsx", failed.value.problems)))
    assert book["data"]["F5"].comment is not None and book["data"]["I4"].comment is not None
    assert book["data"]["A5"].value is None and book["data"]["C5"].value == "2208221002010001"


def test_an_error_cell_is_reported_with_its_value(sample_households):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["户编号", "姓名", "身份证号", "与户主关系", "劳动技能"])
    sheet.append(
        ["2208221002010001", "张三", HEAD1, "#N/A", "普通劳动力"]
    )  # a failed look-up, as Excel keeps it
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "members", out.getvalue(), "m.xlsx")
    [problem] = failed.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "与户主关系", "#N/A")


def test_encryption_in_worker_processes_gives_the_same_import(sample_households, monkeypatch):
    from fupin.exchange import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    monkeypatch.setattr(importer, "PARALLEL_ROWS", 1)  # workers from the second batch on
    result = import_file("cli", "members", _sample("members_utf8_bom.csv"), "m.csv")
    assert result.created == 5
    cipher = get_cipher()
    members = Member.objects.order_by("pk")
    assert [m.name for m in members] == ["张三", "李四", "王五", "张小", "钱七"]  # in file order
    for member in members:
        assert cipher.decrypt(member.id_number_enc).endswith(member.id_number_masked[-4:])
        assert cipher.blind_index("id", cipher.decrypt(member.id_number_enc)) == member.id_number_bidx


# ---------------------------------------------------------------- the header, before any row


def _english(message) -> str:
    from django.utils import translation

    with translation.override("en"):
        return str(message)


def _chinese(message) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(message)


def test_a_misspelt_column_is_reported_first_with_a_suggestion_and_nothing_changes(loaded):
    before = state()
    # 工资收人 (人 for 入): the wage figures would be dropped without a word; row 3's year is bad too.
    text = (
        f"户编号,年度,工资收人,转移性收入\n2208221002010001,{YEAR},12000,800\n2208221002010002,1999,9000,0\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "incomes", text.encode(), "i.csv")
    problems = failed.value.problems
    assert [(p.row, p.column, p.col_index) for p in problems] == [(1, "工资收人", 2)]  # no row was read
    assert "did you mean “工资性收入”?" in _english(problems[0].message)
    assert "您是不是要填“工资性收入”" in _chinese(problems[0].message)
    assert state() == before


def test_a_misspelt_required_column_is_missing_and_not_recognised(loaded):
    before = state()
    text = "户编号,姓名,身份证号吗,与户主关系,劳动技能\n2208221002010001,赵六,x,子,普通劳动力\n"
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "members", text.encode(), "m.csv")
    messages = [(p.row, p.column, _english(p.message)) for p in failed.value.problems]
    assert len(messages) == 2
    assert messages[0][:2] == (1, "身份证号 / id_number") and "is missing" in messages[0][2]
    assert messages[1][:2] == (1, "身份证号吗") and "did you mean “身份证号”?" in messages[1][2]
    assert state() == before


def _header_of(spec, mangle: str) -> list[str]:
    """Every column's Chinese header, with the column ``mangle`` misspelt (one character added)."""
    return [f"{c.chinese}项" if c.field == mangle else c.chinese for c in spec.columns]


def _every_spec():
    from fupin.exchange.specs import SPECS
    from fupin.feeds.kinds import KINDS

    for kind, spec in [*SPECS.items(), *KINDS.items()]:
        required = [c for c in spec.columns if c.required]
        # The header row is found by its ID-number (feeds) or household-number column: misspell another.
        yield pytest.param(kind, spec, required[-1].field, id=kind)


@pytest.mark.parametrize(("kind", "spec", "mangled"), list(_every_spec()))
def test_every_kind_reports_a_missing_required_column_before_reading_rows(place, kind, spec, mangled):
    before = state()
    header = _header_of(spec, mangled)
    text = ",".join(header) + "\n" + ",".join("?" for _h in header) + "\n"
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", kind, text.encode(), "f.csv")
    column = next(c for c in spec.columns if c.field == mangled)
    found = [(p.column, _english(p.message)) for p in failed.value.problems]
    assert (
        found[0]
        == (
            column.header,
            found[0][1],
        )
        and "is missing" in found[0][1]
    ), found
    assert found[1][0] == f"{column.chinese}项" and f"did you mean “{column.chinese}”?" in found[1][1]
    assert len(found) == 2  # the row of question marks was never read
    assert state() == before


def test_an_unknown_column_unlike_any_field_is_ignored_and_noted(loaded, tmp_path):
    text = f"序号,户编号,年度,工资性收入,备注\n1,2208221002010001,{YEAR},12000,核实过\n"
    result = import_file("cli", "incomes", text.encode(), "i.csv")
    assert result.created == 1 and IncomeRecord.objects.get().wage == 12000
    assert [(n.row, n.column) for n in result.notes] == [(1, "序号"), (1, "备注")]
    assert "not recognised and was ignored" in _english(result.notes[0].message)
    path = tmp_path / "i.csv"
    path.write_text(text.replace("12000", "13000"), encoding="utf-8")
    out = io.StringIO()
    call_command("exchange_import", "incomes", str(path), stdout=out)
    assert "“备注”" in out.getvalue() and IncomeRecord.objects.get().wage == 13000


def test_a_field_given_twice_is_a_problem(loaded):
    before = state()
    text = f"户编号,年度,工资性收入,工资收入\n2208221002010001,{YEAR},12000,13000\n"
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "incomes", text.encode(), "i.csv")
    [problem] = failed.value.problems
    assert problem.column == "工资收入" and "same thing as column C" in _english(problem.message)
    assert state() == before


def test_a_department_list_gets_the_same_header_messages(place):
    from fupin.feeds import services as feeds

    text = "身份证号,姓名,结算日期,合规自负金额,备注\n"  # 自负 for 自付
    with pytest.raises(feeds.FeedImportFailed) as failed:
        feeds.import_feed("cli", "medical", text.encode(), "m.csv")
    found = [(p.column, _english(p.message)) for p in failed.value.problems]
    assert [c for c, _m in found] == ["合规自付 / compliant_oop", "合规自负金额"]
    assert "did you mean “合规自付”?" in found[1][1]


def test_the_suggestion_is_only_among_columns_the_file_lacks():
    from fupin.exchange.headers import check_header
    from fupin.exchange.specs import INCOMES

    check = check_header(["户编号", "年度", "工资性收入", "wages", "经营性收入"], INCOMES.columns)
    assert check.columns == {"household_number": 0, "year": 1, "wage": 2, "business": 4}  # an alias
    [note] = check.issues  # "wages" looks like "wage", but wage is there: only a note
    assert note.column == "wages" and not note.blocking


def test_the_result_page_shows_the_first_problems_and_links_the_workbook(
    client, place, village_cadre, settings, tmp_path
):
    settings.SCREENING_IN_BACKGROUND = False
    settings.VAR_DIR = tmp_path
    client.force_login(village_cadre)
    lines = ["户编号,村代码,户类型,户状态,备注"] + [f"B{i:02d},220822100201,外星户,正常,x" for i in range(25)]
    upload = io.BytesIO("\n".join(lines).encode())
    upload.name = "h.csv"
    client.post(reverse("exchange:start"), {"kind": "households", "file": upload})
    job = ImportJob.objects.get()
    assert job.status == "rejected" and job.problem_count == 25
    page = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert page.count("外星户</td>") == 20 and "B19" not in page  # 20 rows of problems, values only
    assert "另有 5 个问题" in page and reverse("exchange:job_errors", args=[job.pk]) in page
    assert "“备注”列无法识别，未导入。" in page
    assert Household.objects.count() == 0

    upload = io.BytesIO(f"户编号,年度,工资收人\n2208221002010001,{YEAR},100\n".encode())
    upload.name = "i.csv"
    client.cookies["django_language"] = "en"
    client.post(reverse("exchange:start"), {"kind": "incomes", "file": upload})
    job = ImportJob.objects.latest("pk")
    page = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert job.status == "rejected" and job.problem_count == 1
    assert "did you mean “工资性收入”?" in page and ">工资收人</td>" in page
    assert "more problems" not in page


def test_the_page_notes_ignored_columns_of_an_import_that_succeeded(
    client, place, village_cadre, settings, tmp_path
):
    settings.SCREENING_IN_BACKGROUND = False
    settings.VAR_DIR = tmp_path
    client.force_login(village_cadre)
    client.cookies["django_language"] = "en"
    upload = io.BytesIO((HOUSEHOLDS_CSV.replace("饮水安全\n", "饮水安全,备注\n")).encode())
    upload.name = "h.csv"
    client.post(reverse("exchange:start"), {"kind": "households", "file": upload})
    job = ImportJob.objects.get()
    page = client.get(reverse("exchange:job", args=[job.pk])).content.decode()
    assert job.status == "finished" and job.created == 2
    assert "Columns not imported" in page and "The column “备注” is not recognised and was ignored." in page


def test_an_imported_household_number_belongs_to_its_village(place):
    """A new household's number is its village's code and a sequence, as on the form and in the API."""
    text = (
        "户编号,村代码,户类型,户状态\n"
        "2208221002020001,220822100201,一般农户,正常\n"  # the code of another village
        "H001,220822100201,一般农户,正常\n"  # no village code at all
        "2208221002010001,220822100201,一般农户,正常\n"
    )
    before = state()
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "households", text.encode(), "n.csv")
    assert [(p.row, p.column) for p in failed.value.problems] == [(2, "户编号"), (3, "户编号")]
    assert "220822100201" in str(failed.value.problems[0].message)
    assert state() == before


def test_an_import_refuses_the_ranges_the_form_and_the_api_refuse(loaded):
    """The model's ranges hold for a bulk import too: a 250,000-mu forest, a 20,000 m² house or a
    household of 60 is a typing error, reported by row and column, and nothing is imported."""
    before = state()
    households = (
        "户编号,村代码,户类型,户状态,林地面积,住房面积\n"
        "2208221002010001,220822100201,脱贫户,已脱贫,250000,80\n"
        "2208221002010002,220822100201,一般农户,正常,2,20000\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "households", households.encode(), "h.csv")
    assert {(p.row, p.column) for p in failed.value.problems} == {(2, "林地面积"), (3, "住房面积")}
    assert "100000" in bilingual(failed.value.problems[0].message).replace(",", "")
    incomes = f"户编号,年度,家庭人口,工资性收入\n2208221002010001,{YEAR},60,1000\n"
    with pytest.raises(ImportFailed) as failed:
        import_file("cli", "incomes", incomes.encode(), "i.csv")
    assert [(p.row, p.column) for p in failed.value.problems] == [(2, "家庭人口")]
    assert "50" in bilingual(failed.value.problems[0].message)
    assert state() == before
