"""Applications imported from a spreadsheet: the template follows the programme, a good file enters
every row with the engine's amounts, a bad one changes nothing and names every problem by row and
column, on the page and in the error workbook."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.benefits import importer, services
from fupin.benefits.models import Application, BankAccount
from fupin.domain import bankaccount, creditcode, idnumber
from fupin.entities.models import Entity
from fupin.pii.crypto import get_cipher

YEAR = dt.date.today().year
ON = dt.date(YEAR, 1, 5) if dt.date.today() >= dt.date(YEAR, 1, 5) else dt.date.today()
ZH = {"Accept-Language": "zh-hans"}
EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def admin(place, make_user):
    return make_user(Role.COUNTY_ADMIN, "220822")


@pytest.fixture
def opening(admin, place):
    def make(programme: str = "transport_subsidy", public_notice: bool = True):
        return services.open_programme(
            actor=admin, pack="jilin", programme=programme, county=place.county, year=YEAR
        )

    return make


@pytest.fixture
def worker(household_factory):
    def make(household_type: str = "lifted_out", **values):
        household = household_factory(household_type=household_type, **values)
        return get_cipher().decrypt(household.members.get().id_number_enc)

    return make


def card(first18: str) -> str:
    """A UnionPay card number with its Luhn check digit."""
    return next(first18 + d for d in "0123456789" if bankaccount.luhn_valid(first18 + d))


CARD = card("621000000000001234")


def credit_code(serial: int) -> str:
    first17 = f"91220822MA{serial:07d}"
    return first17 + creditcode.check_character(first17)


def filled(opening_, rows: list[dict[str, object]]) -> bytes:
    """The opening's own template with ``rows`` (by English header) from row 3."""
    book = load_workbook(io.BytesIO(importer.template(opening_)))
    sheet = book["data"]
    english = [cell.value for cell in sheet[2]]
    for number, values in enumerate(rows, start=3):
        for name, value in values.items():
            sheet.cell(row=number, column=english.index(name) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def transport_row(id_number: str, fare: object, **extra: object) -> dict[str, object]:
    return {
        "applied_on": ON,
        "id_number": id_number,
        "inter_provincial": "是",
        "contract_months": 12,
        "fare": fare,
        **extra,
    }


def sheet_rows(data: bytes, sheet: str) -> list[list[object]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(row) for row in book[sheet].iter_rows(values_only=True)]
    width = max((len(row) for row in rows), default=0)
    return [row + [None] * (width - len(row)) for row in rows]  # empty trailing cells as None


# ---------------------------------------------------------------- the template


def test_the_template_follows_the_programme(opening):
    transport = sheet_rows(importer.template(opening("transport_subsidy")), "data")
    chinese, english = transport[0], transport[1]
    assert english[:2] == ["applied_on", "id_number"]
    assert {
        "inter_provincial",
        "contract_months",
        "fare",
        "bank_name",
        "account_holder",
        "bank_account",
    } <= set(english)
    assert chinese[0] == "申请日期*" and chinese[1] == "身份证号*"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(header)) for header in chinese)  # Chinese headers

    employment = sheet_rows(importer.template(opening("employment_one_time")), "data")[1]
    assert {"credit_code", "entity_name", "entity_kind", "id_number", "hire_date", "monthly_wage"} <= set(
        employment
    )
    post = sheet_rows(importer.template(opening("temporary_welfare_post")), "data")[1]
    assert {"post", "month", "id_number"} <= set(post)
    extension = sheet_rows(importer.template(opening("microcredit_extension")), "data")[1]
    assert "extension_months" in extension and "bank_account" not in extension  # no money, no account

    instructions = "\n".join(
        str(cell)
        for row in sheet_rows(importer.template(opening("production_subsidy")), "说明 instructions")
        for cell in row
        if cell
    )
    assert "第3行" in instructions and "row 3" in instructions and "persons_driven" in instructions


# ---------------------------------------------------------------- a good file


def test_a_good_file_enters_every_row_with_the_engines_amounts(county_officer, opening, worker):
    transport = opening()
    people = [worker() for _ in range(4)]
    data = filled(
        transport,
        [
            transport_row(people[0], 800),
            transport_row(people[1], 1700),  # cut to the 1,600 cap
            transport_row(people[2], "500.5", bank_name="农商银行", bank_account=CARD),
            transport_row(people[3], 1000, contract_months=5),  # the rules refuse a 5-month contract
        ],
    )
    result = importer.import_applications(county_officer, transport, data, "申请.xlsx")
    assert result.count == 4
    applications = list(Application.objects.filter(opening=transport).order_by("id"))
    assert [a.amount_fen for a in applications] == [80_000, 160_000, 50_050, 0]
    assert [a.eligible for a in applications] == [True, True, True, False]
    assert all(a.status == "entered" and a.entered_by == county_officer for a in applications)
    assert any("1,600.00" in line for line in applications[1].explanation["zh"])
    assert result.total_fen == 80_000 + 160_000 + 50_050
    account = BankAccount.objects.get(member=applications[2].member)
    assert account.number_masked == bankaccount.mask(CARD) and CARD not in account.number_enc
    assert AuditEntry.objects.filter(
        action="import", object_type="opening", object_id=str(transport.pk)
    ).exists()


def test_a_csv_file_with_english_headers_is_read_too(county_officer, opening, worker):
    transport = opening()
    person = worker()
    text = (
        "applied_on,id_number,inter_provincial,contract_months,fare,备注\r\n"
        f"{ON.isoformat()},{person},yes,12,900,自己的备注\r\n"
        "\r\n"
    )
    result = importer.import_applications(county_officer, transport, text.encode("gb18030"), "list.csv")
    assert result.count == 1 and result.applications[0].amount_fen == 90_000
    assert any("备注" in str(note.message) for note in result.notes)  # the ignored column is named


def test_an_enterprise_file_registers_new_entities_by_their_chinese_kind(county_officer, opening, worker):
    employment = opening("employment_one_time")
    code = credit_code(11)
    rows = [
        {
            "applied_on": ON,
            "credit_code": code,
            "entity_name": "某农业公司",
            "entity_kind": "企业",
            "id_number": worker(),
            "hire_date": dt.date(2021, 3, 1),
            "months_worked": 4,
            "monthly_wage": 2000,
        },
        {
            "applied_on": ON,
            "credit_code": code,
            "id_number": worker(),
            "hire_date": "2021/3/1",
            "months_worked": 6,
            "monthly_wage": "2,100",
        },
    ]
    result = importer.import_applications(county_officer, employment, filled(employment, rows), "e.xlsx")
    assert [a.amount_fen for a in result.applications] == [160_000, 160_000]
    entity = Entity.objects.get(credit_code=code)
    assert entity.kind == "enterprise" and entity.name == "某农业公司"


def test_a_township_clerks_file_registers_a_new_entity_in_the_township(place, make_user, opening, worker):
    """A township clerk keeps the records of the township only: an enterprise new to the system that the
    clerk's file names is registered there (not at the county, where the clerk could not enter it)."""
    employment = opening("employment_one_time")
    clerk = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    code = credit_code(12)
    row = {
        "applied_on": ON,
        "credit_code": code,
        "entity_name": "开通镇某合作社",
        "entity_kind": "企业",
        "id_number": worker(),
        "hire_date": dt.date(2021, 3, 1),
        "months_worked": 4,
        "monthly_wage": 2000,
    }
    result = importer.import_applications(clerk, employment, filled(employment, [row]), "e.xlsx")
    assert [a.amount_fen for a in result.applications] == [160_000]
    entity = Entity.objects.get(credit_code=code)
    assert entity.area == place.township_a
    assert result.applications[0].area == place.township_a


# ---------------------------------------------------------------- a bad file


def _bad_file(transport, people) -> bytes:
    bad_id = people[0][:-1] + ("0" if people[0][-1] != "0" else "1")  # a mistyped check digit
    return filled(
        transport,
        [
            transport_row(bad_id, 800),  # row 3
            transport_row(people[1], 900),  # row 4
            transport_row(people[2], -120),  # row 5: a negative fare
            transport_row(people[3], 700),  # row 6
        ],
    )


def test_a_bad_id_in_row_3_and_a_negative_fare_in_row_5_change_nothing_and_are_named(
    county_officer, opening, worker
):
    transport = opening()
    people = [worker() for _ in range(4)]
    before = (Application.objects.count(), BankAccount.objects.count(), AuditEntry.objects.count())
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_applications(county_officer, transport, _bad_file(transport, people), "bad.xlsx")
    assert (Application.objects.count(), BankAccount.objects.count(), AuditEntry.objects.count()) == before
    found = {(p.row, p.column, p.col_index) for p in caught.value.problems}
    assert (3, "身份证号 / id_number", 1) in found
    assert any(row == 5 and column.endswith("/ fare") for row, column, _i in found)
    assert {p.row for p in caught.value.problems} == {3, 5}
    by_row = {p.row: p for p in caught.value.problems}
    assert people[0] not in by_row[3].value and "*" in by_row[3].value  # the value shown masked
    with_message = {p.row: str(p.message) for p in caught.value.problems}
    assert "negative" in with_message[5] or "负" in with_message[5]


def test_the_error_workbook_holds_the_rows_and_their_messages(county_officer, opening, worker):
    transport = opening()
    people = [worker() for _ in range(4)]
    data = _bad_file(transport, people)
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_applications(county_officer, transport, data, "bad.xlsx")
    book = importer.error_workbook(data, "bad.xlsx", caught.value)
    rows = sheet_rows(book, "data")
    error_column = len(rows[0]) - 1
    assert rows[0][error_column] == "错误 / errors"
    assert rows[2][1] == people[0][:-1] + rows[2][1][-1]  # the uploaded row, as it was
    assert "身份证号 / id_number" in rows[2][error_column]
    assert (
        "最后一位" in rows[2][error_column]
        or "校验" in rows[2][error_column]
        or "mistyped" in rows[2][error_column]
    )
    assert rows[3][error_column] is None  # row 4 is fine
    assert "fare" in rows[4][error_column] and "negative" in rows[4][error_column]
    listing = sheet_rows(book, "errors")
    assert listing[0][0] == "行 / row"
    assert {(r[0], r[1]) for r in listing[1:]} == {(3, "B"), (5, "E")}
    assert all(people[0] not in str(cell) for r in listing for cell in r)  # masked in the list
    red = load_workbook(io.BytesIO(book))["data"]
    assert red.cell(row=3, column=2).fill.fgColor.rgb.endswith("FFC7CE")
    assert red.cell(row=3, column=2).comment is not None


def test_the_services_problems_and_the_cells_problems_come_together(county_officer, opening, worker):
    transport = opening()
    unknown = idnumber.make("220822", dt.date(1990, 1, 1), 555)  # valid, and nobody has it
    data = filled(
        transport,
        [
            transport_row(worker(), 800, applied_on="明天"),  # row 3: not a date
            transport_row(unknown, 800),  # row 4: nobody has it (the service says so)
            transport_row(worker(), 800, contract_months=2.5),  # row 5: not a whole number
        ],
    )
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_applications(county_officer, transport, data, "x.xlsx")
    found = {(p.row, p.column.split(" / ")[1]): str(p.message) for p in caught.value.problems}
    assert set(found) == {(3, "applied_on"), (4, "id_number"), (5, "contract_months")}
    assert "registry" in found[(4, "id_number")] or "没有" in found[(4, "id_number")]


def test_a_row_outside_the_clerks_area_is_named(place, make_user, opening, worker, household_factory):
    transport = opening()
    clerk = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    inside = worker()
    outside = get_cipher().decrypt(
        household_factory(village=place.village_b1, household_type="lifted_out").members.get().id_number_enc
    )
    data = filled(
        transport,
        [
            transport_row(inside, 800),
            transport_row(inside, 100),
            transport_row(outside, 800),
            transport_row(inside, -1),
        ],
    )
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_applications(clerk, transport, data, "x.xlsx")
    found = {(p.row, p.column.split(" / ")[1]) for p in caught.value.problems}
    assert found == {(5, "id_number"), (6, "fare")}
    assert Application.objects.count() == 0


def test_the_header_and_the_limits_are_checked_first(county_officer, opening, worker, monkeypatch):
    transport = opening()
    book = Workbook()
    sheet = book.active
    sheet.append(["申请日期", "身份证号", "跨省务工", "合同月数", "交通费"])  # two columns misnamed
    sheet.append([ON, worker(), "是", 12, 800])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_applications(county_officer, transport, out.getvalue(), "x.xlsx")
    assert all(p.row == 1 for p in caught.value.problems) and len(caught.value.problems) >= 2

    monkeypatch.setattr(importer, "MAX_ROWS", 2)
    data = filled(transport, [transport_row(worker(), 800) for _ in range(3)])
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_applications(county_officer, transport, data, "x.xlsx")
    assert [p.row for p in caught.value.problems] == [0] and "2" in str(caught.value.problems[0].message)

    monkeypatch.setattr(importer, "MAX_BYTES", 100)
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_applications(county_officer, transport, data, "x.xlsx")
    assert "MB" in str(caught.value.problems[0].message)
    with pytest.raises(importer.ImportRejected):
        importer.import_applications(county_officer, transport, b"%PDF-1.4", "x.pdf")
    assert Application.objects.count() == 0


# ---------------------------------------------------------------- the page


def test_the_page_lists_every_problem_and_gives_the_error_workbook_to_its_user_only(
    client, county_officer, make_user, opening, worker
):
    transport = opening()
    people = [worker() for _ in range(4)]
    client.force_login(county_officer)
    url = reverse("benefits:application_import", args=[transport.pk])
    page = client.get(url, headers=ZH).content.decode()
    assert reverse("benefits:import_template", args=[transport.pk]) in page
    template = client.get(reverse("benefits:import_template", args=[transport.pk]))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")

    upload = io.BytesIO(_bad_file(transport, people))
    upload.name = "bad.xlsx"
    response = client.post(url, {"file": upload}, headers=ZH)
    page = response.content.decode()
    assert response.status_code == 200 and Application.objects.count() == 0
    assert "身份证号 / id_number" in page and "实际往返交通费" in page and "/ fare" in page
    assert "没有导入" in page or "未导入" in page
    assert people[0] not in page
    errors_url = reverse(
        "benefits:import_errors", args=[transport.pk, page.split("/import/errors/")[1].split("/")[0]]
    )
    book = client.get(errors_url)
    assert book.status_code == 200
    assert "negative" in str(sheet_rows(book.content, "data")[4]) or "负" in str(
        sheet_rows(book.content, "data")[4]
    )

    other = make_user(Role.COUNTY_OFFICER, "220822")
    client.force_login(other)
    assert client.get(errors_url).status_code == 404

    good = io.BytesIO(filled(transport, [transport_row(p, 600) for p in people]))
    good.name = "good.xlsx"
    response = client.post(url, {"file": good}, headers=EN, follow=True)
    assert Application.objects.filter(opening=transport).count() == 4
    assert "4 applications imported, 2,400.00 yuan" in response.content.decode()


def test_the_import_page_needs_a_role_that_enters_applications(client, make_user, place, opening):
    transport = opening()
    reviewer = make_user(Role.BENEFIT_REVIEWER, "220822")
    client.force_login(reviewer)
    assert client.get(reverse("benefits:application_import", args=[transport.pk])).status_code == 403
    outsider = make_user(Role.COUNTY_OFFICER, "220821")
    client.force_login(outsider)
    assert client.get(reverse("benefits:application_import", args=[transport.pk])).status_code == 404
    assert client.get(reverse("benefits:import_template", args=[transport.pk])).status_code == 404
