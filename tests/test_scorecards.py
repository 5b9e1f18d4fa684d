"""Assessment scorecards: the Jilin pack's card scored by the engine, against a worked example worked
out by hand, the same on DuckDB and PostgreSQL, and on the page over real indicator tables."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.accounts.roles import Role
from fupin.engine.backends import DuckDBBackend, PostgresBackend
from fupin.engine.packs import PackError, load_pack, parse_pack
from fupin.engine.scorecards import compile_scorecard, score_row

PG_URI = "postgresql://postgres@127.0.0.1:5432/postgres"
PACK = Path(__file__).resolve().parent.parent / "src" / "fupin" / "policies" / "jilin.yaml"
COLUMNS = (
    "coverage_measure",
    "coverage_helper",
    "share_eliminated",
    "overdue_case_share",
    "problems_on_time_share",
    "employment_vs_target",
)

# code → the six figures (coverage with a measure, with a helper, share eliminated, overdue case share,
# problems on time, employment against target), and the points worked out by hand from the card
# (20, 15, 20, 10, 15, 20 points; targets 1.0, 1.0, 0.7, 0, 1.0, 1.0; floors 0.8, 0.8, 0.3, 0.1, 0.6, 0.8).
D = Decimal
WORKED = {
    # half-way on every item but the first: 20 + 7.5 + 10 + 5 + 7.5 + 10
    "A": ((1.0, 0.9, 0.5, 0.05, 0.8, 0.9), (D(20), D("7.5"), D(10), D(5), D("7.5"), D(10)), D(60)),
    # every target met
    "B": ((1.0, 1.0, 0.7, 0.0, 1.0, 1.0), (D(20), D(15), D(20), D(10), D(15), D(20)), D(100)),
    # every floor missed: nothing
    "C": ((0.7, 0.5, 0.2, 0.2, 0.5, 0.5), (D(0),) * 6, D(0)),
    # beyond the target is capped; a missing figure earns nothing
    "D": ((1.0, 1.0, 0.9, 0.0, None, 1.2), (D(20), D(15), D(20), D(10), D(0), D(20)), D(85)),
    # the same as A: the same rank
    "E": ((1.0, 0.9, 0.5, 0.05, 0.8, 0.9), (D(20), D("7.5"), D(10), D(5), D("7.5"), D(10)), D(60)),
    # a third decimal: 15 × (0.8333 − 0.8) / 0.2 = 2.4975 → 2.50 (half up, as the oracle does)
    "F": ((0.8, 0.8333, 0.3, 0.1, 0.6, 0.8), (D(0), D("2.50"), D(0), D(0), D(0), D(0)), D("2.50")),
}
RANKS = {"B": 1, "D": 2, "A": 3, "E": 3, "F": 5, "C": 6}


def _rows(result: pa.Table) -> list[dict]:
    """The result's rows with every number as a Decimal (PostgreSQL's driver answers NUMERIC as text)."""
    rows = result.to_pylist()
    for row in rows:
        for key, value in row.items():
            if key != "code" and value is not None and not isinstance(value, int):
                row[key] = Decimal(str(value))
    return rows


def _card():
    return load_pack(PACK).scorecards[0]


def _table() -> pa.Table:
    columns: dict[str, list] = {"code": list(WORKED)}
    for index, name in enumerate(COLUMNS):
        columns[name] = [values[index] for values, _, _ in WORKED.values()]
    return pa.table(columns, schema=pa.schema([("code", pa.string()), *((c, pa.float64()) for c in COLUMNS)]))


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_the_worked_example_on_each_engine(engine):
    card = _card()
    assert [item.indicator for item in card.items] == list(COLUMNS) and card.total_points == 100
    backend = DuckDBBackend() if engine == "duckdb" else PostgresBackend(PG_URI)
    result = backend.run(compile_scorecard(card), {"figures": _table()})
    rows = {row["code"]: row for row in _rows(result)}
    for code, (values, points, total) in WORKED.items():
        got = [rows[code][f"points_{item.id}"] for item in card.items]
        assert got == list(points), (engine, code)
        assert rows[code]["total"] == total and rows[code]["rank"] == RANKS[code], (engine, code)
        oracle = score_row(card, dict(zip(COLUMNS, values, strict=True)))
        assert list(oracle.values()) == list(points), code


def test_duckdb_and_postgresql_agree_on_many_areas():
    import random

    rng = random.Random(7)
    card = _card()
    columns: dict[str, list] = {"code": [f"{n:06d}" for n in range(400)]}
    for name in COLUMNS:
        columns[name] = [
            None if rng.random() < 0.05 else round(rng.uniform(-0.1, 1.2), 4) for _ in range(400)
        ]
    # values at the edge of the 6 decimals kept: the engines and the oracle still agree
    columns["coverage_measure"][:3] = [0.81244999, 0.8124995, 0.9999995]
    columns["coverage_helper"][:3] = [0.8333, 0.8666665, 0.80000049]
    table = pa.table(
        columns, schema=pa.schema([("code", pa.string()), *((c, pa.float64()) for c in COLUMNS)])
    )
    query = compile_scorecard(card)
    duck = _rows(DuckDBBackend().run(query, {"figures": table}))
    pg = _rows(PostgresBackend(PG_URI).run(query, {"figures": table}))
    keep = ["code", "total", "rank", *(f"points_{i.id}" for i in card.items)]
    assert [{k: r[k] for k in keep} for r in duck] == [{k: r[k] for k in keep} for r in pg]
    values = {
        c: dict(zip(COLUMNS, (columns[n][i] for n in COLUMNS), strict=True))
        for i, c in enumerate(columns["code"])
    }
    for row in duck:
        assert sum(score_row(card, values[row["code"]]).values()) == row["total"], row["code"]


def test_a_bad_scorecard_is_refused_with_where_and_why():
    text = PACK.read_text(encoding="utf-8").replace(
        "target: 0.7\n        floor: 0.3", "target: 0.3\n        floor: 0.7"
    )
    text = text.replace("      - id: helpers\n", "      - id: helpers\n        weight: 3\n")
    with pytest.raises(PackError) as refused:
        parse_pack(text, file="jilin.yaml")
    said = str(refused.value)
    assert "eliminated" in said and "floor is below the target" in said
    assert "unknown key(s) weight" in said


def test_the_scorecard_page_ranks_the_townships_of_a_county(client, place, make_user, household_factory):
    from fupin.indicators import services as indicators
    from fupin.registry.models import Household
    from fupin.supervision import services
    from fupin.supervision.models import Problem

    for village in (place.village_a1, place.village_b1):
        for n in range(3):
            household = household_factory(village, household_type="lifted_out", status="lifted")
            Household.objects.filter(pk=household.pk).update(monitoring_category="marginal" if n else "")
    officer = make_user(Role.COUNTY_OFFICER, place.county.code)
    late = services.record_problem(
        actor=officer,
        data=services.ProblemInput(
            source="inspection",
            area_code=place.village_b1.code,
            kind="assistance",
            severity="serious",
            description="措施未落实",
            found_on=dt.date.today() - dt.timedelta(days=20),
            deadline=dt.date.today() - dt.timedelta(days=1),
        ),
    )
    assert Problem.objects.get(pk=late.pk).deadline < dt.date.today()
    indicators.rebuild(as_of=dt.date.today())

    client.cookies["django_language"] = "en"
    client.force_login(officer)
    page = client.get(reverse("supervision:scorecard", args=[place.county.code])).content.decode()
    assert "开通镇" in page and "瞻榆镇" in page and "Total points" in page
    # 开通镇 has no problem due (full points on that item), 瞻榆镇 one overdue (none): 开通镇 ranks above;
    # neither has an employment target (no points, "no figure")
    assert page.index("开通镇") < page.index("瞻榆镇")

    export = client.get(reverse("supervision:scorecard_export", args=[place.county.code]))
    raw = b"".join(export.streaming_content) if export.streaming else export.content
    sheet = load_workbook(io.BytesIO(raw), read_only=True).worksheets[-1]
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[1] in ("开通镇", "瞻榆镇")]
    assert [row[1] for row in rows] == ["开通镇", "瞻榆镇"] and rows[0][0] == 1
    assert Decimal(str(rows[0][2])) - Decimal(str(rows[1][2])) == 15  # the problems item's 15 points

    # the dashboard's area page loads supervision's figures by URL, and they say the same
    dashboard = client.get(reverse("dashboard:area", args=[place.county.code])).content.decode()
    panel_url = reverse("supervision:dashboard_panel", args=[place.county.code])
    assert f'hx-get="{panel_url}"' in dashboard
    panel = client.get(panel_url).content.decode()
    assert "Scorecard: 开通镇 first" in panel and "Problems overdue" in panel
    assert '<span class="num">1</span><span>Problems overdue' in panel

    client.logout()
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    client.force_login(cadre)
    assert client.get(reverse("supervision:scorecard", args=[place.county.code])).status_code == 404
