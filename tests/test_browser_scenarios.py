"""Policy scenarios in a real browser: a province officer raises the monitoring range, runs the
simulation (a background job with progress), sees the newly flagged households by county and exports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.browser_server import chromium, serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_scenarios")]

PASSWORD = "browser-test-pass-7"

SETUP = r"""
import datetime as dt
from decimal import Decimal
import django
django.setup()

from fupin.accounts import services as accounts
from fupin.areas.models import Area
from fupin.domain.idnumber import make
from fupin.registry import services
from fupin.registry.models import Member

for code, name in [("220822100", "开通镇"), ("220822100201", "向阳村")]:
    area = Area(code=code, name=name, source="browser-test")
    area.fill_derived()
    area.parent = Area.objects.get(code=code[:-3] if len(code) == 12 else code[:6])
    area.save()
accounts.create_user(
    username="sheng", role="province_viewer", area_codes=["22"], password="browser-test-pass-7",
    full_name="省政策处",
)
clerk = accounts.create_user(
    username="wang", role="county_officer", area_codes=["220822"], password="browser-test-pass-7",
    full_name="王建国",
)
year = dt.date.today().year - 1
for n, (name, income) in enumerate([("张三", 6000), ("李四", 7200), ("王五", 7400), ("赵六", 9000)], start=1):
    birth = dt.date(1950, 1, n)
    household = services.create_household(
        actor=clerk, number=f"220822100201000{n}", village_code="220822100201", household_type="ordinary",
        status="normal", phone_number="", effective_from=dt.date(2021, 1, 1),
    )
    services.add_member(
        actor=clerk, household=household,
        values={"name": name, "sex": "M", "birth_date": birth, "relation": "head", "labour_capacity": "none"},
        id_number=make("220822", birth, 101 + 2 * n),
    )
    services.save_income(actor=clerk, household=household, year=year, values={"wage": Decimal(income)})
print("ready")
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("scenarios-var"), SETUP, "fupin_browser_scenarios") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def test_a_province_officer_raises_the_range_and_sees_the_new_households_by_county(server, browser):
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{server}/scenarios/")
    page.get_by_label("用户名").fill("sheng")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="新建情景").click()
    page.get_by_label("情景名称").fill("监测范围 7500")
    page.get_by_label("监测范围", exact=True).fill("7500")
    page.get_by_role("button", name="校验并保存情景").click()
    expect(page.get_by_text("情景已保存。发布之前风险筛查不受影响。")).to_be_visible()
    page.get_by_role("button", name="开始测算").click()
    expect(page.locator("#newly-flagged")).to_have_text("2", timeout=60_000)
    row = page.locator("#by-county tr", has_text="通榆县")
    expect(row).to_contain_text("2")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").first.click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    counties = list(book["县"].iter_rows(values_only=True))
    assert any(r[0] == "220822" and r[4] == 2 for r in counties[1:])
    context.close()
