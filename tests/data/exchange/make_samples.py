"""Make the sample files of this folder: sources are written with openpyxl, then LibreOffice Calc
(``soffice --headless --convert-to``) saves every final file, as a clerk's spreadsheet program would.

    apt-get install -y -qq libreoffice-calc-nogui     # not needed in CI: the outputs are committed
    .venv/bin/python tests/data/exchange/make_samples.py

ID numbers are generated valid (GB 11643) for county 220822 (通榆县) and the villages of the test
fixtures (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import PatternFill

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
from fupin.domain.idnumber import make  # noqa: E402

GBK = 85  # LibreOffice's number for the GB 18030/GBK character set in the CSV filter options


def ids() -> dict[str, str]:
    return {
        "zhang": make("220822", dt.date(1970, 3, 5), 11),
        "li": make("220822", dt.date(1972, 4, 6), 12),
        "wang": make("220822", dt.date(1965, 1, 2), 13),
        "zhao": make("220822", dt.date(2010, 9, 1), 16),
        "qian": make("220822", dt.date(1999, 12, 31), 17),
    }


def households_source(path: Path) -> None:
    """A title row, then the header; full-width digits; trailing blank rows with formatting."""
    wb = Workbook()
    ws = wb.active
    ws.append(["通榆县开通镇农户信息表（2024年）"])
    ws.merge_cells("A1:F1")
    ws.append(["户编号", "村代码", "村民小组", "联系电话", "户类型", "户状态", "耕地面积", None, None])
    ws.append(
        [
            "２２０８２２１００２０１０００１",
            "220822100201",
            "一组",
            "１３８１２３４５６７８",
            "脱贫户",
            "已脱贫",
            "３.５",
        ]
    )
    ws.append(["2208221002010002", "220822100201", "二组", None, "一般农户", "正常", 0])
    ws.append(["2208221002020003", "220822100202", "三组", "0436-1234567", "脱贫户", "已脱贫", 2])
    for row in range(6, 12):  # blank rows Excel keeps because they were formatted once
        ws.cell(row=row, column=1).fill = PatternFill("solid", fgColor="FFFF00")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = "@"
    wb.save(path)


def members_source(path: Path, *, as_numbers: bool = False) -> None:
    """A two-level header with merged cells, dates in every form clerks use, a blank row at the end."""
    person = ids()
    wb = Workbook()
    ws = wb.active
    ws.append(["家庭成员花名册"])
    ws.merge_cells("A1:G1")
    ws.append(["户编号", "基本信息", None, None, "与户主关系", "劳动技能", "出生日期"])
    ws.append([None, "姓名", "身份证号", "性别", None, None, None])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:D2")
    ws.merge_cells("E2:E3")
    ws.merge_cells("F2:F3")
    ws.merge_cells("G2:G3")
    rows = [
        ("2208221002010001", "张三", person["zhang"], "男", "户主", "普通劳动力", dt.date(1970, 3, 5)),
        ("2208221002010001", "李四", person["li"], "女", "配偶", "弱劳动力", "1972年4月6日"),
        ("2208221002010002", "王五", person["wang"], "男", "户主", "无劳动力", "19650102"),
        ("2208221002010001", "张小", person["zhao"], "女", "子女", "无劳动力", "2010/9/1"),
        (
            "2208221002010002",
            "钱七",
            person["qian"].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
            "男",
            "子",
            "技能劳动力",
            None,
        ),
    ]
    for row in rows:
        values = list(row)
        if as_numbers:
            values[2] = int(person["zhang"][:17] + "0") if row[1] == "张三" else values[2]
        ws.append(values)
    if not as_numbers:
        for r in range(4, 4 + len(rows)):
            ws.cell(row=r, column=3).number_format = "@"
    ws.cell(row=4, column=7).number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append([None, None, None, None, None, None, None])
    wb.save(path)


def soffice(source: Path, target: Path, filter_spec: str, infilter: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as out:
        command = ["soffice", "--headless"]
        if infilter:
            command.append(f"--infilter={infilter}")
        command += ["--convert-to", filter_spec, "--outdir", out, str(source)]
        subprocess.run(command, check=True, capture_output=True, timeout=180)
        produced = next(Path(out).iterdir())
        shutil.move(produced, target)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        households_source(src / "households.xlsx")
        members_source(src / "members.xlsx")
        members_source(src / "members_numbers.xlsx", as_numbers=True)
        soffice(src / "households.xlsx", HERE / "households_title_row.xlsx", "xlsx:Calc MS Excel 2007 XML")
        soffice(
            src / "households.xlsx",
            HERE / "households_gbk.csv",
            f"csv:Text - txt - csv (StarCalc):44,34,{GBK}",
        )
        soffice(src / "members.xlsx", HERE / "members_merged_header.xlsx", "xlsx:Calc MS Excel 2007 XML")
        soffice(src / "members.xlsx", HERE / "members_utf8.csv", "csv:Text - txt - csv (StarCalc):44,34,76")
        soffice(
            src / "members_numbers.xlsx", HERE / "members_id_as_number.xlsx", "xlsx:Calc MS Excel 2007 XML"
        )
        soffice(
            src / "members_numbers.xlsx",
            HERE / "members_id_as_number_gbk.csv",
            f"csv:Text - txt - csv (StarCalc):44,34,{GBK}",
        )
    # Excel's "CSV UTF-8" starts with a byte-order mark; LibreOffice's CSV filter writes none.
    data = (HERE / "members_utf8.csv").read_bytes()
    (HERE / "members_utf8_bom.csv").write_bytes(b"\xef\xbb\xbf" + data)
    (HERE / "members_utf8.csv").unlink()


if __name__ == "__main__":
    main()
