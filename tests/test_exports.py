"""Exports of the list pages (``fupin.web.exports``): the same rows as the page for the same filters,
nothing outside the scope, identifiers masked, CSV with a BOM, a typed Excel workbook, formulas
defused, one audit entry per export, and 403 for roles that may not export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fupin.accounts.roles import Capability, Role, has_capability
from fupin.audit.models import AuditEntry
from fupin.cases.models import Case
from fupin.registry import services
from fupin.registry.models import Member
from fupin.screening.models import RiskClue
from fupin.twinning.models import Helper
from tests.casework import raise_clue
from tests.conftest import valid_id

FORMULA = '=HYPERLINK("http://x")'


@dataclass
class World:
    inside: list[Any]  # households of township A (village A1, A2) and township B
    outside: Any  # a household of the neighbouring county
    helpers: list[Any]
    outside_helper: Any
    full_ids: list[str]


@pytest.fixture
def world(place, county_officer, make_user, household_factory) -> World:
    a1 = household_factory(household_type="lifted_out", status="lifted")
    a2 = household_factory(village=place.village_a2)
    b1 = household_factory(village=place.village_b1)
    Member.objects.filter(household=a2).update(name=FORMULA)  # a name that a spreadsheet would run
    outsider = make_user(Role.COUNTY_OFFICER, "220821")
    outside = services.create_household(
        actor=outsider,
        number="220821100201-0001",
        village_code=place.other_county_village.code,
        household_type="ordinary",
        status="normal",
        phone_number="13700001111",
    )
    outside_id = valid_id("220821", sequence=777)
    services.add_member(
        actor=outsider,
        household=outside,
        values={
            "name": "外县人",
            "sex": "M",
            "birth_date": dt.date(1980, 5, 17),
            "relation": "head",
            "labour_capacity": "ordinary",
        },
        id_number=outside_id,
    )
    cadre = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    for household in (a1, a2):
        raise_clue(cadre, household)
    raise_clue(county_officer, b1)
    raise_clue(outsider, outside)
    Case.objects.filter(household=a1).update(step_due=dt.date.today() - dt.timedelta(days=2))
    helpers = [
        Helper.objects.create(
            name="李帮扶", unit="县农业局", rank="general", area=place.county, phone_masked="139****2222"
        ),
        Helper.objects.create(name="@王帮扶", unit="镇政府", rank="general", area=place.township_a),
    ]
    outside_helper = Helper.objects.create(
        name="外县帮扶", unit="外县局", rank="general", area=place.other_county_village.parent
    )
    full_ids = [
        services.reveal(actor=county_officer, instance=h.members.get(), field="id_number")
        for h in (a1, a2, b1)
    ]
    return World([a1, a2, b1], outside, helpers, outside_helper, [*full_ids, outside_id])


def _login(client, user, language: str = "zh-hans"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv(response) -> list[list[str]]:
    raw = _content(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel on a Chinese Windows reads UTF-8 then
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _xlsx(response) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(_content(response)))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


# Each list: its page, its export route, filters to try, and how a page row and an export row are keyed.
@dataclass(frozen=True)
class Listing:
    page: str
    export: str
    queries: tuple[dict[str, str], ...]
    page_keys: Any  # context -> keys in the page's order

    def url(self, fmt: str) -> str:
        return reverse(self.export if fmt == "csv" else self.export + "_xlsx")


LISTINGS = [
    Listing(
        "web:households",
        "web:households_export",
        ({}, {"area": "220822100"}, {"household_type": "lifted_out"}, {"q": "户主2"}),
        lambda ctx: [h.number for h in ctx["page_obj"].object_list],
    ),
    Listing(
        "screening:clues",
        "screening:clues_export",
        ({}, {"status": "all"}, {"area": "220822100202"}, {"status": "closed"}),
        lambda ctx: [c.household.number for c in ctx["page_obj"].object_list],
    ),
    Listing(
        "cases:tasks",
        "cases:tasks_export",
        ({}, {"overdue": "on"}, {"state": "visit"}),
        lambda ctx: [row.case.household.number for row in ctx["rows"]],
    ),
    Listing(
        "cases:search",
        "cases:search_export",
        ({}, {"state": "all"}, {"area": "220822200"}, {"overdue": "on"}),
        lambda ctx: [row.case.household.number for row in ctx["rows"]],
    ),
    Listing(
        "twinning:helpers",
        "twinning:helpers_export",
        ({}, {"show": "all"}, {"q": "李"}),
        lambda ctx: [row.helper.name.lstrip("'") for row in ctx["rows"]],
    ),
]


def _unquote(value: Any) -> Any:
    """A defused cell back to its text (the key columns are compared with the page)."""
    return value[1:] if isinstance(value, str) and value.startswith("'") else value


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda item: item.export)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_has_the_rows_of_the_page(client, place, make_user, world, listing, fmt):
    officer = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    viewer = make_user(Role.COUNTY_OFFICER, place.county.code)
    compared = 0
    for user in (officer, viewer):
        _login(client, user)
        for query in listing.queries:
            page = client.get(reverse(listing.page), query)
            assert page.status_code == 200
            expected = listing.page_keys(page.context)
            response = client.get(listing.url(fmt), query)
            assert response.status_code == 200, (listing.export, query)
            rows = _csv(response) if fmt == "csv" else _xlsx(response)
            assert [_unquote(row[0]) for row in rows[1:]] == expected, (user.role, listing.export, query)
            text = str(rows)
            for secret in (world.outside.number, "外县人", world.outside_helper.name, "13700001111"):
                assert secret not in text
            for full_id in world.full_ids:
                assert full_id not in text
            assert "13812345678" not in text  # every household's phone, always masked
            compared += len(expected)
    assert compared > 0, listing.export  # not only empty lists


def test_at_least_one_row_is_compared_for_every_list(client, county_officer, world):
    """The comparisons above are not all of empty lists."""
    _login(client, county_officer)
    for listing in LISTINGS:
        if listing.page == "cases:tasks":
            continue  # a county officer's tasks are at the county step: none here
        rows = _csv(client.get(listing.url("csv"), listing.queries[1] if len(listing.queries) > 1 else {}))
        assert len(rows) > 1, listing.export


def test_the_household_export_masks_identifiers_and_follows_the_language(client, county_officer, world):
    _login(client, county_officer, "zh-hans")
    rows = _csv(client.get(reverse("web:households_export")))
    header = rows[0]
    assert header[:3] == ["户编号", "乡镇", "村"] and "身份证号" in header and "联系电话" in header
    id_column, phone_column = header.index("身份证号"), header.index("联系电话")
    for row in rows[1:]:
        assert "*" in row[id_column] and len(row[id_column]) == 18
        assert row[phone_column] == "138****5678"
    assert "脱贫户" in rows[1] or any("脱贫户" in row for row in rows[1:])
    english = _csv(_login(client, county_officer, "en").get(reverse("web:households_export")))
    assert english[0][0] == "Household number" and "ID number" in english[0]


def test_the_workbook_is_typed_with_a_bold_frozen_header(client, place, make_user, world):
    officer = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    _login(client, officer)
    response = client.get(reverse("cases:tasks_export_xlsx"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(_content(response)))
    sheet = book.worksheets[0]
    assert sheet.title == "我的待办"
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["户编号", "乡镇"] and "本环节期限" in header and "已超期" in header
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["A"].width >= 20
    due = sheet.cell(row=2, column=header.index("本环节期限") + 1)
    assert due.is_date and isinstance(due.value, dt.datetime)
    overdue = [
        sheet.cell(row=r, column=header.index("已超期") + 1).value for r in range(2, sheet.max_row + 1)
    ]
    assert sorted(overdue) == ["否", "是"]

    county = make_user(Role.COUNTY_OFFICER, place.county.code)
    _login(client, county)
    helpers = load_workbook(io.BytesIO(_content(client.get(reverse("twinning:helpers_export_xlsx")))))
    sheet = helpers.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    count = sheet.cell(row=2, column=header.index("当前结对户") + 1)
    assert count.data_type == "n" and count.value == 0
    phones = [row[header.index("联系电话")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "139****2222" in phones


def test_formulas_are_defused_in_csv_and_excel(client, county_officer, world):
    _login(client, county_officer)
    rows = _csv(client.get(reverse("web:households_export")))
    heads = [row[rows[0].index("户主")] for row in rows[1:]]
    assert "'" + FORMULA in heads and FORMULA not in heads
    book = load_workbook(io.BytesIO(_content(client.get(reverse("web:households_export_xlsx")))))
    sheet = book.worksheets[0]
    column = [cell.value for cell in sheet[1]].index("户主") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    defused = [cell for cell in cells if cell.value == "'" + FORMULA]
    assert defused and all(cell.data_type == "s" for cell in cells)
    helpers = _csv(client.get(reverse("twinning:helpers_export")))
    assert "'@王帮扶" in [row[0] for row in helpers[1:]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_export_writes_one_audit_entry_without_personal_data(client, county_officer, world, fmt):
    _login(client, county_officer)
    full_id = world.full_ids[0]
    cases = [
        ("web:households_export", {"q": full_id, "area": "220822100"}, "household", 1),
        ("screening:clues_export", {"status": "all", "area": "220822100"}, "risk_clue", 2),
        ("cases:search_export", {"state": "all", "number": world.inside[0].number}, "cases", 1),
        ("cases:tasks_export", {}, "my_tasks", 0),
        ("twinning:helpers_export", {"q": "李帮扶"}, "helper", 1),
    ]
    for route, query, object_type, rows in cases:
        before = AuditEntry.objects.filter(action="export").count()
        response = client.get(reverse(route if fmt == "csv" else route + "_xlsx"), query)
        assert response.status_code == 200
        _content(response)
        assert AuditEntry.objects.filter(action="export").count() == before + 1, route
        entry = AuditEntry.objects.filter(action="export").latest("id")
        assert entry.actor == county_officer and entry.object_type == object_type
        assert entry.changes["format"] == fmt and entry.changes["rows"] == rows, route
        recorded = f"{entry.summary} {entry.changes}"
        for secret in (full_id, world.inside[0].number, "李帮扶", "户主", "138"):
            assert secret not in recorded, (route, secret)
    households = AuditEntry.objects.filter(action="export", object_type="household").latest("id")
    assert households.changes["text_search"] is True and households.area_code == "220822100"
    clues = AuditEntry.objects.filter(action="export", object_type="risk_clue").latest("id")
    assert clues.changes["status"] == "all" and clues.changes["area_code"] == "220822100"
    search = AuditEntry.objects.filter(action="export", object_type="cases").latest("id")
    assert search.changes["household_number"] is True and search.changes["open_only"] is False


ALL_EXPORTS = [listing.export + suffix for listing in LISTINGS for suffix in ("", "_xlsx")]


@pytest.mark.parametrize("role", Role.values)
def test_roles_without_the_export_capability_get_403(client, place, make_user, world, role):
    user = make_user(role, place.county.code)
    _login(client, user)
    before = AuditEntry.objects.filter(action="export").count()
    allowed = has_capability(role, Capability.EXPORT)
    for route in ALL_EXPORTS:
        assert client.get(reverse(route)).status_code == (200 if allowed else 403), (role, route)
    if not allowed:
        assert AuditEntry.objects.filter(action="export").count() == before
    for listing in LISTINGS:
        page = client.get(reverse(listing.page), {"status": "all", "state": "all", "show": "all"})
        shown = reverse(listing.export + "_xlsx") in page.content.decode()
        assert shown == (allowed and page.context["page_obj"].paginator.count > 0), (role, listing.page)


def test_the_export_needs_a_login(client):
    for route in ALL_EXPORTS:
        response = client.get(reverse(route))
        assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_clue_rows_name_the_reason_in_the_users_language(client, county_officer, world):
    RiskClue.objects.filter(household=world.inside[0]).update(
        explanation=[
            {"title_zh": "大病", "zh": "医疗支出 2 万元", "title_en": "Illness", "en": "20,000 yuan"}
        ]
    )
    _login(client, county_officer, "en")
    rows = _csv(client.get(reverse("screening:clues_export"), {"status": "all"}))
    why = rows[0].index("Why")
    assert "Illness: 20,000 yuan" in [row[why] for row in rows[1:]]
    _login(client, county_officer, "zh-hans")
    rows = _csv(client.get(reverse("screening:clues_export"), {"status": "all"}))
    assert "大病：医疗支出 2 万元" in [row[rows[0].index("原因")] for row in rows[1:]]
    found = load_workbook(io.BytesIO(_content(client.get(reverse("screening:clues_export_xlsx")))))
    sheet = found.worksheets[0]
    column = [cell.value for cell in sheet[1]].index("发现时间") + 1
    assert sheet.cell(row=2, column=column).is_date
