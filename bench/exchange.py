"""Benchmark of the registry import (issue 4): 1M member rows from CSV and from xlsx.

Run:  .venv/bin/python bench/exchange.py [--members 1000000] [--keep] [--openpyxl]

Everything happens in a temporary var directory with its own SQLite database (migrated first). The
script generates households (about 2.66 members each) and their members as CSV (UTF-8 with BOM) and as
xlsx (openpyxl write-only), imports the households, then the members CSV with the real importer
(``fupin.exchange.importer.import_file``: every row checked, ID numbers and phones encrypted, one
transaction, one audit entry), empties the members table and imports the xlsx. Baselines in the same
run: pandas ``read_csv`` of the same CSV (reading only, no checks, no database), and the naive way,
one ORM ``save`` per member with ``encrypt`` and its own transaction, on a 10,000-row sample
extrapolated to the full size, and the xlsx reader (calamine) on its own. Targets on a 2-core
machine: CSV ≤ 60 s, xlsx ≤ 180 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TARGETS = {"csv": 60.0, "xlsx": 180.0}
HEADERS = [
    "户编号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "与户主关系",
    "劳动技能",
    "健康状况",
    "联系电话",
    "务工月数",
    "务工收入",
    "享受低保",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def generate(folder: Path, members: int, seed: int = 2024) -> dict[str, Path]:
    from fupin.domain.idnumber import make

    rng = random.Random(seed)
    villages = [f"220822100{200 + v:03d}" for v in range(1, 21)]
    h_path, m_path = folder / "households.csv", folder / "members.csv"
    with (
        h_path.open("w", encoding="utf-8-sig", newline="") as hf,
        m_path.open("w", encoding="utf-8-sig", newline="") as mf,
    ):
        hw, mw = csv.writer(hf), csv.writer(mf)
        hw.writerow(["户编号", "村代码", "户类型", "户状态", "联系电话", "耕地面积"])
        mw.writerow(HEADERS)
        written, household, sequence = 0, 0, 0
        while written < members:
            household += 1
            number = f"H{household:08d}"
            village = villages[household % len(villages)]
            lifted = rng.random() < 0.3
            hw.writerow(
                [
                    number,
                    village,
                    "脱贫户" if lifted else "一般农户",
                    "已脱贫" if lifted else "正常",
                    f"13{rng.randrange(10**9):09d}",
                    f"{rng.randrange(0, 80) / 10:.1f}",
                ]
            )
            size = min(members - written, rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5]))
            for i in range(size):
                sequence += 1
                birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 28000))
                male = (i == 0) or rng.random() < 0.5
                seq = (sequence % 500) * 2 + (1 if male else 0)
                area = "220822" if rng.random() < 0.9 else "220821"
                # unique: the birth date and sequence vary; collisions are skipped below
                id_number = make(area, birth, seq)
                mw.writerow(
                    [
                        number,
                        rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                        id_number,
                        "男" if male else "女",
                        birth.strftime("%Y/%m/%d") if i % 2 else birth.isoformat(),
                        "户主"
                        if i == 0
                        else rng.choice(["配偶", "子", "女", "父亲", "母亲"])
                        if i == 1
                        else "子",
                        rng.choice(["普通劳动力", "技能劳动力", "弱劳动力", "无劳动力"]),
                        rng.choice(["健康", "健康", "健康", "长期慢性病"]),
                        f"13{rng.randrange(10**9):09d}" if i == 0 else "",
                        rng.randrange(0, 13),
                        rng.randrange(0, 30000),
                        "是" if rng.random() < 0.05 else "否",
                    ]
                )
                written += 1
    return {"households": h_path, "members": m_path}


def dedupe(m_path: Path, limit: int) -> int:
    """Drop rows whose ID number or (household, head) repeats, so that the file is valid; keep ``limit``."""
    rows, seen, heads = [], set(), set()
    with m_path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        for row in reader:
            if len(rows) >= limit:
                break
            if row[2] in seen or (row[5] == "户主" and row[0] in heads):
                continue
            seen.add(row[2])
            if row[5] == "户主":
                heads.add(row[0])
            if row[5] == "配偶" and row[3] == "男":
                row[5] = "子"
            rows.append(row)
    with m_path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def to_xlsx(m_path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("members")
    with m_path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            ws.append(row)
    out = m_path.with_suffix(".xlsx")
    wb.save(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument(
        "--openpyxl", action="store_true", help="also time openpyxl's read-only reader (minutes at 1M rows)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fupin-bench-exchange-"))
    os.environ["FUPIN_VAR_DIR"] = str(folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from fupin.areas.models import Area
    from fupin.core.i18n import compile_catalogs
    from fupin.exchange.importer import import_file

    compile_catalogs()
    call_command("migrate", verbosity=0)
    county = Area.objects.get(code="220822")
    township = Area(code="220822100", name="开通镇", parent=county, source="bench")
    township.fill_derived()
    township.save()
    for v in range(1, 21):
        village = Area(code=f"220822100{200 + v:03d}", name=f"村{v}", parent=township, source="bench")
        village.fill_derived()
        village.save()

    print(f"machine: {os.cpu_count()} cores; folder {folder}")
    t = time.perf_counter()
    paths = generate(folder, args.members + args.members // 20)  # ~2% repeat an ID number: dropped
    rows = dedupe(paths["members"], args.members)
    gen_s = time.perf_counter() - t
    t = time.perf_counter()
    xlsx = None if args.skip_xlsx else to_xlsx(paths["members"])
    xlsx_s = time.perf_counter() - t
    size = paths["members"].stat().st_size / 2**20
    print(
        f"generated {rows:,} member rows in {gen_s:.1f} s (CSV {size:.0f} MiB); "
        f"xlsx written in {xlsx_s:.1f} s"
    )

    t = time.perf_counter()
    h = import_file("bench", "households", paths["households"])
    print(f"households CSV: {h.rows:,} rows in {time.perf_counter() - t:.1f} s")

    results = {}
    t, cpu = time.perf_counter(), os.times()
    m = import_file("bench", "members", paths["members"])
    results["csv"] = time.perf_counter() - t
    print_cpu("members CSV", cpu, results["csv"])
    assert m.created == rows, (m.created, rows)
    print(f"members CSV: {m.rows:,} rows in {results['csv']:.1f} s = {m.rows / results['csv']:,.0f} rows/s")

    if xlsx is not None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM registry_member")
        t = time.perf_counter()
        cpu = os.times()
        m = import_file("bench", "members", xlsx)
        results["xlsx"] = time.perf_counter() - t
        print_cpu("members xlsx", cpu, results["xlsx"])
        assert m.created == rows
        print(
            f"members xlsx: {m.rows:,} rows in {results['xlsx']:.1f} s = "
            f"{m.rows / results['xlsx']:,.0f} rows/s"
        )

    # baselines
    if xlsx is not None:
        from fupin.exchange import reader

        t = time.perf_counter()
        cells = sum(len(row) for row in reader.xlsx_rows(xlsx.read_bytes()))
        calamine_s = time.perf_counter() - t
        print(
            f"baseline calamine iteration alone (the xlsx importer's reader): {cells:,} cells "
            f"in {calamine_s:.1f} s = {calamine_s / results['xlsx']:.0%} of the xlsx import"
        )
    if xlsx is not None and args.openpyxl:
        from openpyxl import load_workbook

        t = time.perf_counter()
        book = load_workbook(xlsx, read_only=True, data_only=True)
        cells = sum(len(row) for row in book.worksheets[0].iter_rows(values_only=True))
        book.close()
        openpyxl_s = time.perf_counter() - t
        print(
            f"baseline openpyxl read-only iteration alone (the reader before calamine): {cells:,} cells "
            f"in {openpyxl_s:.1f} s = {openpyxl_s / results['xlsx']:.0%} of the xlsx import"
        )
    import pandas as pd

    t = time.perf_counter()
    frame = pd.read_csv(paths["members"], dtype=str, encoding="utf-8-sig")
    pandas_s = time.perf_counter() - t
    print(f"baseline pandas read_csv (no checks, no database): {len(frame):,} rows in {pandas_s:.1f} s")
    del frame
    naive_s = naive_orm(paths["members"], sample=10_000) * rows / 10_000
    print(
        "baseline naive ORM (one save per row, encrypt, own transaction), "
        f"10k sample extrapolated: {naive_s:.0f} s"
    )
    for fmt, seconds in results.items():
        verdict = "met" if seconds <= TARGETS[fmt] else f"MISSED by {seconds - TARGETS[fmt]:.1f} s"
        print(
            f"{fmt}: {seconds:.1f} s, {rows / seconds:,.0f} rows/s; target ≤ {TARGETS[fmt]:.0f} s {verdict}; "
            f"{naive_s / seconds:.0f}× faster than naive ORM; {seconds / pandas_s:.1f}× pandas read_csv time"
        )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


def print_cpu(label: str, before: os.times_result, wall: float) -> None:
    """CPU seconds of the importing process and of its encryption workers (children, once ended):
    with other processes on the machine, wall time is inflated but these are not."""
    after = os.times()
    own = after.user - before.user + after.system - before.system
    workers = after.children_user - before.children_user + after.children_system - before.children_system
    print(
        f"{label}: CPU {own:.1f} s in the importing process + {workers:.1f} s in encryption workers "
        f"(wall {wall:.1f} s; load average {os.getloadavg()[0]:.2f})"
    )


def naive_orm(m_path: Path, sample: int) -> float:
    """One save per member with its own transaction, as a per-record loop would do."""
    from django.db import transaction

    from fupin.domain import idnumber
    from fupin.pii.crypto import get_cipher
    from fupin.registry.models import Household, Member

    cipher = get_cipher()
    households = dict(Household.objects.values_list("number", "pk"))
    with m_path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [next(reader) for _ in range(sample)]
    with transaction.atomic():
        Member.objects.filter(household_id__in=[households[r[0]] for r in rows]).delete()
    t = time.perf_counter()
    for r in rows:
        info = idnumber.parse(r[2])
        with transaction.atomic():
            Member.objects.create(
                household_id=households[r[0]],
                name=r[1],
                id_number_enc=cipher.encrypt(info.number),
                id_number_bidx=cipher.blind_index("id", info.number),
                id_number_masked=idnumber.mask(info.number),
                sex=info.sex,
                birth_date=info.birth_date,
                relation="head" if r[5] == "户主" else "child",
                labour_capacity="ordinary",
            )
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
