"""The asset pages as a user sees them: register from a completed project, the distribution form (and its
refusal of a forbidden use), the ledger with filters and summary, its Excel export, the household panel,
the dashboard panel and the API's view of the same asset."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.assets import services
from fupin.assets.models import Asset, Distribution
from fupin.audit.models import AuditEntry
from fupin.projects.models import Project, State
from tests.assetwork import completed_project, in_use, solar_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(place, make_user):
    return make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)


@pytest.fixture
def browser(client, officer):
    client.cookies["django_language"] = "en"
    client.force_login(officer)
    return client


@pytest.fixture
def solar(place, officer):
    asset = services.register_asset(actor=officer, data=solar_input(place.village_a1))
    in_use(officer, asset)
    services.record_income(
        actor=officer, asset=asset, data=services.IncomeInput(2025, 970_000, "sales", dt.date(2025, 12, 30))
    )
    return Asset.objects.get(pk=asset.pk)


def test_register_an_asset_of_a_completed_project_through_the_form(browser, place, officer):
    project = completed_project(officer, place.village_a1)
    response = browser.post(
        reverse("assets:asset_new"),
        {
            "code": "ZC-1",
            "name": "一村光伏电站",
            "asset_class": "operating",
            "sub_type": "solar",
            "project": project.pk,
            "year_formed": 2024,
            "area": place.village_a1.code,
            "owner_level": "village",
            "owner_entity": "一村股份经济合作社",
            "status": "accepted",
            "original_value": "160000.00",
            "fund_central": "120000",
            "fund_county": "40000",
            "beneficiaries": "10",
        },
    )
    asset = Asset.objects.get(code="ZC-1")
    assert response.status_code == 302 and response["Location"] == reverse("assets:asset", args=[asset.pk])
    assert Project.objects.get(pk=project.pk).state == State.ASSETS_REGISTERED
    page = browser.get(response["Location"]).content.decode()
    assert "160,000.00" in page and "120,000.00" in page


def test_the_distribution_form_splits_to_the_fen_and_refuses_a_forbidden_use(
    browser, solar, household_factory, place
):
    a = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    b = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    c = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    form = {
        "year": "2025",
        "total": "9700.00",
        "decided_on": "2026-01-15",
        "decision": "村民代表大会决议",
        "use_0": "no_labour",
        "amount_0": "5000.00",
        "households_0": f"{a.number}\n{b.number} 2\n{c.number}",
        "use_1": "running_costs",
        "amount_1": "4700.00",
    }
    refused = browser.post(reverse("assets:distribute", args=[solar.pk]), form)
    assert refused.status_code == 200
    assert "Asset income may not pay for Village committee running costs" in refused.content.decode()
    assert not Distribution.objects.exists()

    form["use_1"] = "collective"
    done = browser.post(reverse("assets:distribute", args=[solar.pk]), form)
    assert done.status_code == 302
    page = browser.get(reverse("assets:asset", args=[solar.pk])).content.decode()
    # 5,000.00 yuan in 4 shares: 1,250.00 / 2,500.00 / 1,250.00
    assert f"{b.number} × 2: 2,500.00" in page and f"{a.number} × 1: 1,250.00" in page
    household_page = browser.get(reverse("web:household", args=[b.pk])).content.decode()
    assert 'id="assets"' in household_page and "2,500.00" in household_page


def test_the_ledger_filters_summarises_and_exports(browser, solar, place, officer):
    services.register_asset(
        actor=officer,
        data=solar_input(
            place.village_a1,
            code="ZC-ROAD",
            name="一村通组道路",
            asset_class="public_welfare",
            sub_type="road",
            original_value_fen=50_000_000,
            funding={},
        ),
    )
    ledger = browser.get(reverse("assets:ledger", args=[place.township_a.code])).content.decode()
    assert "ZC-ROAD" in ledger and solar.code in ledger
    assert "500,000.00" in ledger and "9,700.00" in ledger
    assert "660,000.00" in ledger  # the village below: both assets
    only_roads = browser.get(
        reverse("assets:ledger", args=[place.township_a.code]), {"class": "public_welfare"}
    )
    body = only_roads.content.decode()
    assert "ZC-ROAD" in body and f">{solar.code}<" not in body
    export = browser.get(reverse("assets:ledger_export", args=[place.township_a.code]))
    from openpyxl import load_workbook

    sheet = load_workbook(
        io.BytesIO(b"".join(export.streaming_content) if export.streaming else export.content)
    ).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(codes) == sorted([solar.code, "ZC-ROAD"])
    assert AuditEntry.objects.filter(action="export", summary__startswith="asset_ledger list").exists()
    outside = browser.get(reverse("assets:ledger", args=[place.township_b.code]))
    assert outside.status_code == 404


def test_dashboard_panel_and_api(browser, solar, officer, place, client):
    panel = browser.get(reverse("assets:dashboard_panel", args=[place.township_a.code])).content.decode()
    assert "160,000.00" in panel
    token = issue_token(user=officer)
    headers = {"Authorization": f"Bearer {token}"}
    detail = client.get(f"/api/v1/assets/{solar.pk}", headers=headers).json()
    assert detail["original_value_fen"] == 16_000_000 and detail["incomes"][0]["amount_fen"] == 970_000
    listing = client.get(f"/api/v1/assets?area_code={place.village_a1.code}", headers=headers).json()
    assert [a["code"] for a in listing["items"]] == [solar.code]
    summary = client.get(f"/api/v1/assets/summary/{place.township_a.code}", headers=headers).json()
    assert {r["asset_class"]: r["count"] for r in summary}["operating"] == 1


def test_import_all_rows_or_none(browser, place, officer):
    from openpyxl import Workbook

    from fupin.assets import importer

    def workbook(rows):
        book = Workbook()
        sheet = book.active
        sheet.append([f"{zh} {en}" for _k, zh, en in importer.COLUMNS])
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        out.seek(0)
        out.name = "ledger.xlsx"
        return out

    good = [
        "ZC-I-1",
        "一村通组道路",
        "公益性资产",
        "道路桥梁",
        "",
        2018,
        "1500000",
        place.village_a1.code,
        "村集体",
        "一村村民委员会",
        "",
        "在用",
        "",
        "",
        "",
        "",
        "一村村民委员会",
        "王管护",
        80,
    ]
    bad = [
        "ZC-I-2",
        "一村光伏",
        "operating",
        "solar",
        "",
        2019,
        "0",
        place.village_a1.code,
        "village",
        "一村股份经济合作社",
        "",
        "in_use",
        "某公司",
        "",
        "",
        "15",
        "",
        "",
        0,
    ]
    refused = browser.post(reverse("assets:import"), {"file": workbook([good, bad])})
    body = refused.content.decode()
    assert refused.status_code == 200 and "Nothing was imported" in body and "guaranteed return" in body
    assert not Asset.objects.exists()
    done = browser.post(reverse("assets:import"), {"file": workbook([good])})
    assert done.status_code == 302
    road = Asset.objects.get(code="ZC-I-1")
    assert (road.asset_class, road.sub_type, road.owner_level, road.status) == (
        "public_welfare",
        "road",
        "village",
        "in_use",
    )
    assert road.original_value_fen == 150_000_000
    assert AuditEntry.objects.filter(action="asset.import").count() == 1
    assert browser.get(reverse("assets:import_template")).status_code == 200
