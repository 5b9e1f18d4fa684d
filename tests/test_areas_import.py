"""``fupin areas import``: townships and villages from the files county staff actually have."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


def snapshot():
    """Every area with every column: a failed import must leave this exactly as it was."""
    from fupin.areas.models import Area

    return list(Area.objects.order_by("code").values())


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def import_file(path):
    from fupin.areas.services import import_area_file

    return import_area_file(path, actor="test")


def problems_of(path) -> list[tuple[int, str, str]]:
    from fupin.areas.services import AreaImportFailed

    with pytest.raises(AreaImportFailed) as failure, translation.override("en"):
        import_file(path)
    with translation.override("en"):
        return [(p.row, p.column, str(p.message)) for p in failure.value.problems]


def test_csv_creates_townships_and_villages_under_their_parents(tmp_path):
    from fupin.areas.models import Area, AreaLevel

    path = write_csv(
        tmp_path / "areas.csv",
        "代码,名称\n220822100,开通镇\n220822100201,东风村\n220822100202,西岗村\n",
    )
    result = import_file(path)
    assert sorted(code for code, _name in result.created) == ["220822100", "220822100201", "220822100202"]
    township = Area.objects.get(code="220822100")
    assert township.level == AreaLevel.TOWNSHIP and township.parent.code == "220822"
    assert township.path == "/22/2208/220822/220822100/"
    village = Area.objects.get(code="220822100201")
    assert village.name == "东风村" and village.parent == township and village.level == AreaLevel.VILLAGE
    assert village.county_code == "220822" and village.township_code == "220822100"


def test_utf8_with_bom_and_english_headers(tmp_path):
    from fupin.areas.models import Area

    path = write_csv(tmp_path / "bom.csv", "code,name\r\n220822101,瞻榆镇\r\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    import_file(path)
    assert Area.objects.get(code="220822101").name == "瞻榆镇"


def test_gb18030_csv_as_saved_by_chinese_excel(tmp_path):
    from fupin.areas.models import Area

    path = write_csv(
        tmp_path / "gbk.csv", "区划代码,名称\n220822102,双岗镇\n220822102201,乌兰花村\n", "gb18030"
    )
    import_file(path)
    assert Area.objects.get(code="220822102").name == "双岗镇"
    assert Area.objects.get(code="220822102201").name == "乌兰花村"


def test_xlsx_first_sheet_with_numeric_and_full_width_codes(tmp_path):
    from openpyxl import Workbook

    from fupin.areas.models import Area

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["通榆县村级区划表"])  # a title line above the header, as exported sheets have
    sheet.append(["编码", "名称", "备注"])
    sheet.append([220822103, "兴隆山镇", ""])  # Excel keeps codes as numbers
    sheet.append([220822103201.0, "富强村", None])  # or as floats
    sheet.append(["２２０８２２１０３２０２", "永胜村"])  # full-width digits typed with a Chinese IME
    sheet.append([None, None])  # a blank line is not an error
    sheet.append(["220822103203 ", " 光明村 "])
    other = workbook.create_sheet("其他")
    other.append(["code", "name"])
    other.append(["999999999", "should not be read"])
    path = tmp_path / "areas.xlsx"
    workbook.save(path)

    result = import_file(path)
    assert len(result.created) == 4
    assert Area.objects.get(code="220822103201").name == "富强村"
    assert Area.objects.get(code="220822103202").name == "永胜村"
    assert Area.objects.get(code="220822103203").name == "光明村"
    assert not Area.objects.filter(code="999999999").exists()


def test_codes_excel_turned_into_decimals_in_a_csv(tmp_path):
    from fupin.areas.models import Area

    path = write_csv(tmp_path / "floats.csv", "code,name\n220822104.0,边昭镇\n220822104201.0,团结村\n")
    import_file(path)
    assert Area.objects.filter(code__in=["220822104", "220822104201"]).count() == 2


def test_statistics_bureau_township_codes_with_twelve_digits(tmp_path):
    """The statistics bureau writes township codes as 12 digits ending in 000."""
    from fupin.areas.models import Area, AreaLevel

    path = write_csv(tmp_path / "nbs.csv", "统计用区划代码,名称\n220822105000,鸿兴镇\n220822105201,红旗村\n")
    import_file(path)
    assert Area.objects.get(code="220822105").level == AreaLevel.TOWNSHIP
    assert Area.objects.get(code="220822105201").parent.code == "220822105"


def test_village_may_come_before_its_township_in_the_same_file(tmp_path):
    from fupin.areas.models import Area

    path = write_csv(tmp_path / "order.csv", "code,name\n220822106201,向阳村\n220822106,新华镇\n")
    import_file(path)
    assert Area.objects.get(code="220822106201").parent.code == "220822106"


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        ("22082210,短码镇", "code", "22082210"),  # 8 digits
        ("2208221002011,长码村", "code", "2208221002011"),  # 13 digits
        ("22082210A,字母镇", "code", "22082210A"),
        (",无码村", "code", "missing"),
        ("2.20822E+11,科学计数村", "code", "scientific notation"),
        ("220822107,", "name", "missing"),
        ("220822107," + "长" * 101, "name", "100"),
        ("999999100,外省镇", "code", "999999"),  # no such county
        ("220822888201,孤村", "code", "220822888"),  # no such township, in the database or the file
        ("220822100,开通镇", "code", "row 2"),  # the same code twice
    ],
)
def test_each_kind_of_bad_row_is_reported_with_row_and_column(tmp_path, row, column, says):
    path = write_csv(tmp_path / "bad.csv", f"code,name\n220822100,开通镇\n{row}\n220822109,八面乡\n")
    problems = problems_of(path)
    assert len(problems) == 1, problems
    number, where, message = problems[0]
    assert (number, where) == (3, column)
    assert says.lower() in message.lower()


def test_every_problem_is_reported_and_nothing_is_written(tmp_path):
    from fupin.audit.models import AuditEntry

    before = snapshot()
    audit_before = AuditEntry.objects.count()
    path = write_csv(
        tmp_path / "mixed.csv",
        "代码,名称\n220822100,开通镇\n220822100201,东风村\n2208221,坏码\n\n220822100202,\n220822100201,重复村\n",
    )
    problems = problems_of(path)
    assert [(row, column) for row, column, _m in problems] == [(4, "代码"), (6, "名称"), (7, "代码")]
    assert "row 3" in problems[2][2]  # the duplicate points at the first occurrence
    assert snapshot() == before
    assert AuditEntry.objects.count() == audit_before


def test_messages_are_offered_in_chinese_and_english(tmp_path):
    from fupin.areas.services import AreaImportFailed
    from fupin.core.i18n import bilingual

    path = write_csv(tmp_path / "bad.csv", "code,name\n22082210,短码镇\n")
    with pytest.raises(AreaImportFailed) as failure:
        import_file(path)
    text = bilingual(failure.value.problems[0].message)
    assert "22082210" in text and "9 digits" in text


def test_reimport_changes_nothing_and_a_new_name_is_a_rename(tmp_path):
    from fupin.areas.models import Area
    from fupin.audit.models import AuditEntry

    path = write_csv(tmp_path / "areas.csv", "code,name\n220822100,开通镇\n220822100201,东风村\n")
    first = import_file(path)
    after_first = snapshot()
    again = import_file(path)
    assert again.created == [] and again.renamed == []
    assert sorted(again.unchanged) == ["220822100", "220822100201"]
    assert snapshot() == after_first

    renamed = write_csv(tmp_path / "renamed.csv", "code,name\n220822100201,东风新村\n")
    result = import_file(renamed)
    assert result.renamed == [("220822100201", "东风村", "东风新村")]
    village = Area.objects.get(code="220822100201")
    assert village.name == "东风新村" and village.parent.code == "220822100"

    imports = AuditEntry.objects.filter(action="import", object_type="area").order_by("id")
    assert imports.count() == 3  # one entry per successful import, never per row
    assert imports[0].changes["created"] == len(first.created) == 2
    assert imports[2].changes["renamed"] == 1
    assert "东风" not in str(imports[2].changes)


def test_unreadable_files_are_refused(tmp_path):
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    [(row, _column, message)] = problems_of(xls)
    assert row == 0 and ".xls" in message

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    [(row, _column, message)] = problems_of(broken)
    assert row == 0 and "xlsx" in message

    no_header = write_csv(tmp_path / "noheader.csv", "220822100,开通镇\n")
    [(row, _column, message)] = problems_of(no_header)
    assert "code" in message

    empty = write_csv(tmp_path / "empty.csv", "code,name\n\n")
    [(_row, _column, message)] = problems_of(empty)
    assert "no rows" in message


def test_users_need_the_right_role_and_stay_in_their_county(tmp_path, make_user):
    from django.contrib.auth.models import AnonymousUser

    from fupin.accounts.roles import Role
    from fupin.areas.services import AreaImportFailed, import_areas
    from fupin.core.errors import NotPermitted

    rows = [{"code": "220822100", "name": "开通镇"}]
    cadre = make_user(Role.COUNTY_OFFICER, "220822")
    for outsider in (cadre, AnonymousUser(), None):
        with pytest.raises(NotPermitted):
            import_areas(rows, actor=outsider)
    admin = make_user(Role.COUNTY_ADMIN, "220822")
    assert len(import_areas(rows, actor=admin).created) == 1
    with pytest.raises(AreaImportFailed) as failure:
        import_areas([{"code": "220821100", "name": "镇赉镇"}], actor=admin)
    assert failure.value.problems[0].row == 2


def test_command_prints_a_summary_or_the_errors(tmp_path):
    from django.core.management import CommandError, call_command

    good = write_csv(tmp_path / "good.csv", "代码,名称\n220822100,开通镇\n220822100201,东风村\n")
    out = StringIO()
    call_command("areas", "import", str(good), stdout=out)
    assert "2 created" in out.getvalue()

    renamed = write_csv(tmp_path / "renamed.csv", "代码,名称\n220822100201,东风新村\n")
    out = StringIO()
    call_command("areas", "import", str(renamed), stdout=out)
    assert "1 renamed" in out.getvalue() and "东风村 → 东风新村" in out.getvalue()

    before = snapshot()
    bad = write_csv(tmp_path / "bad.csv", "代码,名称\n220822100202,西岗村\n22082210,短\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("areas", "import", str(bad), stdout=StringIO(), stderr=err)
    assert "row 3" in err.getvalue() and "代码" in err.getvalue()
    assert snapshot() == before

    with pytest.raises(CommandError):
        call_command("areas", "import", str(tmp_path / "missing.csv"))
