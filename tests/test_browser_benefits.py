"""Benefits in a real browser: a clerk enters applications, a reviewer approves the batch, the bank file
is exported and the bank's return file loaded, and the household page shows the payment."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from tests.browser_server import chromium, serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_benefits")]

PASSWORD = "browser-test-pass-7"
TODAY = dt.date.today()
PAYMENTS = "补贴发放"  # the opening page's button to its payments

SETUP = r"""
import datetime as dt
import django
django.setup()

from fupin.accounts import services as accounts
from fupin.areas.models import Area
from fupin.benefits import services as benefits
from fupin.domain.idnumber import make
from fupin.registry import services

for code, name in [("220822100", "开通镇"), ("220822100201", "向阳村")]:
    area = Area(code=code, name=name, source="browser-test")
    area.fill_derived()
    area.parent = Area.objects.get(code=code[:-3] if len(code) == 12 else code[:6])
    area.save()
clerk = accounts.create_user(
    username="wang", role="county_officer", area_codes=["220822"], password="browser-test-pass-7",
    full_name="王建国",
)
admin = accounts.create_user(
    username="qian", role="county_admin", area_codes=["220822"], password="browser-test-pass-7",
    full_name="钱主任",
)
accounts.create_user(
    username="zhou", role="benefit_reviewer", area_codes=["220822"], password="browser-test-pass-7",
    full_name="周会计",
)
people = [
    ("2208221002010001", "张三", dt.date(1968, 4, 12)),
    ("2208221002010002", "李四", dt.date(1975, 9, 3)),
]
for number, name, birth in people:
    household = services.create_household(
        actor=clerk, number=number, village_code="220822100201", household_type="lifted_out", status="lifted",
        phone_number="", effective_from=dt.date(2021, 1, 1),
    )
    services.add_member(
        actor=clerk, household=household,
        values={
            "name": name, "sex": "M", "birth_date": birth, "relation": "head", "labour_capacity": "ordinary",
        },
        id_number=make("220822", birth, 101),
    )
county = Area.objects.get(code="220822")
benefits.open_programme(
    actor=admin, pack="jilin", programme="transport_subsidy", county=county, year=dt.date.today().year
)
print("ready")
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("benefits-var"), SETUP, "fupin_browser_benefits") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _session(browser, base: str, username: str):
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/benefits/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="补贴项目", exact=True)).to_be_visible()
    return context, page


def _card(prefix: str) -> str:
    from fupin.domain.bankaccount import luhn_valid

    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def test_a_clerk_enters_a_reviewer_approves_and_the_household_page_shows_it(server, browser):
    from playwright.sync_api import expect

    from fupin.domain.idnumber import make

    workers = [make("220822", dt.date(1968, 4, 12), 101), make("220822", dt.date(1975, 9, 3), 101)]
    clerk, page = _session(browser, server, "wang")
    page.get_by_role("link", name="跨省务工交通补助").click()
    page.get_by_role("link", name="录入申请").first.click()
    for number, fare, button in zip(workers, ("1700", "650"), ("保存并继续录入", "保存"), strict=True):
        page.get_by_label("身份证号").fill(number)
        page.get_by_label("跨省务工").select_option("yes")
        page.get_by_label("劳动合同或就业协议期限（月）").fill("12")
        page.get_by_label("实际往返交通费（元）").fill(fare)
        page.get_by_label("开户银行").fill("中国农业银行通榆支行")
        page.get_by_label("账号（留空则沿用已登记账号）").fill(_card("621700000000000"))
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_text("申请已录入，等待其他人审核。")).to_be_visible()
    # The second application's page: the amount and why the first one was cut are shown.
    expect(page.get_by_text("650.00 元", exact=False).first).to_be_visible()
    page.get_by_role("link", name="跨省务工交通补助").first.click()
    expect(page.get_by_text("核减 100.00 元")).to_be_visible()
    expect(page.locator('input[name="application"]')).to_have_count(0)  # the clerk cannot approve
    clerk.close()

    reviewer, page = _session(browser, server, "zhou")
    page.get_by_role("link", name="跨省务工交通补助").click()
    page.get_by_role("link", name="待审核").click()
    page.get_by_label("全选本页").check()
    page.get_by_role("button", name="审核通过所选申请").click()
    expect(page.get_by_text("2 份申请已审核通过，共 2,250.00 元。")).to_be_visible()

    # The reviewer pays: an envelope, one batch of both, the bank file, the bank's return file.
    page.locator("main").get_by_role("link", name=PAYMENTS, exact=True).click()
    page.get_by_label("发放期次").fill(f"{TODAY.year}年第一批")
    page.get_by_role("button", name="设立发放计划").click()
    page.get_by_role("button", name="将全部 2 笔（2,250.00 元）生成一个批次").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="代发文件（CSV）").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    header, lines = rows[0], rows[1:]
    payee = next(i for i, name in enumerate(header) if name.startswith("收款人"))
    account = next(i for i, name in enumerate(header) if name.startswith("账号"))
    assert sorted(line[payee] for line in lines) == ["张三", "李四"]
    assert all(len(line[account].strip("'")) == 16 for line in lines)  # in full, only in this file
    answer = io.StringIO()
    writer = csv.writer(answer)
    writer.writerow(["付款参考号", "结果", "失败原因", "支付日期"])
    for line in lines:
        paid = line[payee] == "张三"
        writer.writerow(
            [line[0], "成功" if paid else "失败", "" if paid else "账户已销户", TODAY.isoformat()]
        )
    returned = Path(download.value.path()).with_name("回盘.csv")
    returned.write_text(answer.getvalue(), encoding="utf-8-sig")
    page.reload()  # the return form is offered once the bank file has been downloaded
    page.get_by_label("银行回盘文件（CSV 或 Excel）").set_input_files(str(returned))
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator("#reconciliation-check")).to_have_class(re.compile("info"))
    expect(page.get_by_text("账户已销户").first).to_be_visible()
    reviewer.close()

    clerk, page = _session(browser, server, "wang")
    page.goto(f"{server}/households/?q=张三")
    page.get_by_role("link", name="2208221002010001").click()
    panel = page.locator("#benefits")
    expect(panel.get_by_text("跨省务工交通补助")).to_be_visible()
    expect(panel.get_by_text("已发放 1,600.00 元")).to_be_visible()
    expect(panel.get_by_text(f"1,600.00 · {TODAY.isoformat()}")).to_be_visible()
    clerk.close()
