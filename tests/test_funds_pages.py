"""Linkage-fund pages: the plan with its share check, forms, progress with its chart data, the province
table, exports (audited), the plan notice PDF, the import (all or nothing, error workbook), the panel."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.funds import services
from fupin.funds.models import Allocation, Disbursement, YearFund
from tests import fundwork

YUAN = 100


@pytest.fixture
def clerk(place, make_user):
    return make_user(Role.COUNTY_ADMIN, place.county.code)


@pytest.fixture
def funded(clerk, place):
    fundwork.year_fund(clerk, place.county, 2023, "central", 1_000_000 * YUAN)
    industry = fundwork.project(clerk, place.village_a1, name="一村大棚", starts_on=dt.date(2023, 1, 1))
    roads = fundwork.project(clerk, place.village_a2, category="infrastructure", name="二村道路")
    a = fundwork.allocate(clerk, industry, "central", 500_000 * YUAN)
    fundwork.allocate(clerk, roads, "central", 300_000 * YUAN)
    services.disburse(
        actor=clerk, allocation=a, data=services.DisbursementInput(dt.date(2023, 3, 1), 100_000 * YUAN, "记1")
    )
    return industry, roads, a


def _get(client, user, route, *args, **query):
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client.get(reverse(route, args=args), query)


def test_plan_shows_the_share_check_red_below_the_minimum(client, clerk, place, funded):
    page = _get(client, clerk, "funds:plan", place.county.code, year=2023).content.decode()
    # 500,000 of 1,000,000 = 50% < 60% in 2023: red.
    assert (
        'id="share-result">Below the minimum' in page.replace('"badge warn" ', "")
        or "Below the minimum" in page
    )
    assert "50.0%" in page and "60.0%" in page
    assert "200,000.00" in page  # remaining of the central funds
    assert "一村大棚" in page


def test_forms_allocate_and_disburse(client, clerk, place, funded):
    industry, roads, allocation = funded
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("funds:year_fund_add", args=[place.county.code]),
        {
            "year": 2023,
            "source": "county",
            "amount_fen": "1000.50",
            "document_no": "通财〔2023〕9号",
            "document_date": "2023-02-01",
        },
    )
    assert response.status_code == 302
    assert YearFund.objects.get(source="county").amount_fen == 100_050
    refused = client.post(
        reverse("funds:allocate", args=[roads.pk]),
        {"year": 2023, "source": "central", "amount_fen": "700000.01"},
    )
    assert refused.status_code == 200 and "left" in refused.content.decode()
    assert Allocation.objects.get(project=roads).amount_fen == 300_000 * YUAN
    ok = client.post(
        reverse("funds:allocate", args=[roads.pk]),
        {"year": 2023, "source": "central", "amount_fen": "500000"},
    )
    assert ok.status_code == 302
    paid = client.post(
        reverse("funds:disburse", args=[allocation.pk]),
        {"paid_on": "2023-04-01", "amount_fen": "1000", "voucher_no": "记2"},
    )
    assert paid.status_code == 302 and Disbursement.objects.count() == 2
    too_much = client.post(
        reverse("funds:disburse", args=[allocation.pk]),
        {"paid_on": "2023-04-01", "amount_fen": "999999", "voucher_no": "记3"},
        follow=True,
    )
    assert Disbursement.objects.count() == 2 and "left to pay" in too_much.content.decode()


def test_progress_table_chart_and_the_province_view(client, clerk, place, funded, make_user):
    page = _get(client, clerk, "funds:progress", place.county.code, year=2023).content.decode()
    assert 'id="funds-progress"' in page and "funds/progress.js" in page
    assert "100,000.00" in page
    province = make_user(Role.PROVINCE_VIEWER, "22")
    table = _get(client, province, "funds:counties", "22", year=2023).content.decode()
    assert place.county.name in table and "50.0%" in table and "12.5%" in table  # 100k of 800k spent


def test_exports_are_audited_and_the_notice_is_a_pdf(client, clerk, place, funded):
    before = AuditEntry.objects.count()
    response = _get(client, clerk, "funds:plan_export", place.county.code, year=2023)
    assert response.status_code == 200
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    cells = [c for row in load_workbook(io.BytesIO(raw)).active.iter_rows(values_only=True) for c in row]
    assert "一村大棚" in cells
    assert _get(client, clerk, "funds:progress_export", place.county.code, year=2023).status_code == 200
    pdf = _get(client, clerk, "funds:notice_pdf", place.county.code, year=2023)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.count() == before + 3


def _book(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["项目编号", "资金来源", "安排金额（元）"])
    sheet.append(["project code", "funding source", "amount (yuan)"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_is_all_or_nothing_with_an_error_workbook(client, clerk, place, funded):
    industry, roads, _a = funded
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    assert (
        client.get(reverse("funds:import_template", args=[place.county.code]), {"year": 2023}).status_code
        == 200
    )
    url = reverse("funds:plan_import", args=[place.county.code]) + "?year=2023"
    bad = io.BytesIO(
        _book(
            [
                [industry.code, "central", "100"],
                [roads.code, "central", "900000"],
                ["XM-none", "nowhere", "x"],
            ]
        )
    )
    bad.name = "plan.xlsx"
    page = client.post(url, {"file": bad})
    text = page.content.decode()
    assert "Nothing was imported" in text and "No project of this county has this code." in text
    assert Allocation.objects.get(project=industry).amount_fen == 500_000 * YUAN  # unchanged
    errors_url = text.split('href="')[
        [i for i, part in enumerate(text.split('href="')) if "/import/errors/" in part][0]
    ].split('"')[0]
    book = client.get(errors_url)
    assert book.status_code == 200 and load_workbook(io.BytesIO(book.content)).sheetnames == [
        "data",
        "errors",
    ]
    good = io.BytesIO(_book([[industry.code, "中央衔接资金", "600000"], [roads.code, "central", "400000"]]))
    good.name = "plan.xlsx"
    done = client.post(url, {"file": good})
    assert done.status_code == 302
    assert Allocation.objects.get(project=industry).amount_fen == 600_000 * YUAN


def test_panel_on_the_dashboard(client, clerk, place, funded):
    panel = _get(client, clerk, "funds:dashboard_panel", place.county.code).content.decode()
    assert 'id="funds-panel"' in panel


def test_the_notice_pdf_is_chinese_with_the_hotline_and_no_personal_data(client, clerk, place, funded):
    from pypdf import PdfReader

    pdf = _get(client, clerk, "funds:notice_pdf", place.county.code, year=2023)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).replace(" ", "")
    assert "年度衔接资金计划公告" in text and "12317" in text
    assert "一村大棚" in text and "500,000.00" in text and "分配原则" in text
    assert "李镇长" not in text  # the person responsible is not printed


def test_the_plan_page_in_chinese(client, clerk, place, funded):
    client.force_login(clerk)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("funds:plan", args=[place.county.code]), {"year": 2023}).content.decode()
    assert "低于最低要求" in page and "中央衔接资金" in page
