"""Supervision in a real browser: the province issues a monthly scheduling report, a county fills it (the
system's figures already there) and submits, the province accepts and sees the roll-up; a failed data
check becomes a problem, is fixed with evidence and accepted by a second person."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser_server import chromium, serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_supervision")]

PASSWORD = "browser-test-pass-7"
TODAY = dt.date.today()

SETUP = r"""
import datetime as dt
import django
django.setup()

from fupin.accounts import services as accounts
from fupin.areas.models import Area
from fupin.domain.idnumber import make
from fupin.indicators import services as indicators
from fupin.registry import services
from fupin.registry.models import Household, Member

for code, name in [("220822100", "开通镇"), ("220822100201", "向阳村")]:
    area = Area(code=code, name=name, source="browser-test")
    area.fill_derived()
    area.parent = Area.objects.get(code=code[:-3] if len(code) == 12 else code[:6])
    area.save()
accounts.create_user(
    username="sheng", role="province_viewer", area_codes=["22"], password="browser-test-pass-7",
    full_name="省督查",
)
clerk = accounts.create_user(
    username="wang", role="county_officer", area_codes=["220822"], password="browser-test-pass-7",
    full_name="王建国",
)
accounts.create_user(
    username="qian", role="county_admin", area_codes=["220822"], password="browser-test-pass-7",
    full_name="钱主任",
)
for n, (name, birth) in enumerate([("张三", dt.date(1968, 4, 12)), ("李四", dt.date(1975, 9, 3))], start=1):
    household = services.create_household(
        actor=clerk, number=f"220822100201000{n}", village_code="220822100201", household_type="lifted_out",
        status="lifted", phone_number="", effective_from=dt.date(2021, 1, 1),
    )
    services.add_member(
        actor=clerk, household=household,
        values={
            "name": name, "sex": "M", "birth_date": birth, "relation": "head", "labour_capacity": "ordinary",
        },
        id_number=make("220822", birth, 101),
    )
Household.objects.filter(number="2208221002010001").update(monitoring_category="marginal")
Member.objects.filter(name="李四").update(basic_medical_insurance=False)
indicators.rebuild()
print("ready")
"""

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("supervision-var"), SETUP, "fupin_browser_supervision") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _session(browser, base: str, username: str, start: str):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}{start}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("main")).to_be_visible()
    return context, page


def test_the_province_issues_a_county_fills_and_the_roll_up_shows_it(server, browser):
    from playwright.sync_api import expect

    province, page = _session(browser, server, "sheng", "/supervision/reports/")
    page.get_by_role("link", name="下发调度表").click()
    page.get_by_label("调度表样式").select_option("monthly_monitoring")
    page.get_by_label("填报层级").select_option("3")
    page.get_by_label("数据月份").fill(TODAY.strftime("%Y-%m"))
    page.get_by_label("报送截止日期").fill((TODAY + dt.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="下发", exact=True).click()
    expect(page.get_by_text("已下发：已通知下级各地区填报。")).to_be_visible()
    round_url = page.url
    province.close()

    county, page = _session(browser, server, "wang", "/supervision/reports/")
    page.locator("main").get_by_role(
        "link", name=f"防止返贫监测帮扶月调度 {TODAY.strftime('%Y-%m')}"
    ).first.click()
    # the system's figure is there before anything is typed: one monitored household
    expect(page.locator("output#id_monitored_households")).to_have_text("1")
    page.get_by_label("本月排查发现问题数").fill("-3")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("须在 0 到 100000 之间").first).to_be_visible()
    page.get_by_label("本月排查发现问题数").fill("3")
    page.get_by_label("本月整改完成问题数").fill("2")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("已报送上级。")).to_be_visible()
    county.close()

    province, page = _session(browser, server, "sheng", round_url.removeprefix(server))
    page.get_by_role("link", name="通榆县").click()
    page.get_by_role("button", name="通过", exact=True).click()
    expect(page.get_by_text("已通过：计入汇总。")).to_be_visible()
    page.goto(round_url)
    total = page.locator("tr.total")
    expect(total).to_contain_text("1 /")
    expect(total).to_contain_text("3")  # problems found, summed over the accepted reports
    province.close()


def test_a_failed_check_becomes_a_problem_fixed_with_evidence_and_accepted(server, browser, tmp_path):
    from playwright.sync_api import expect

    clerk, page = _session(browser, server, "wang", "/checks/no_medical_insurance/?area=220822100201")
    page.get_by_role("button", name="列入问题清单").first.click()
    expect(page.get_by_text("未通过的核查已列入问题清单。")).to_be_visible()
    problem_url = page.url
    page.get_by_label("责任单位").fill("开通镇人民政府")
    page.get_by_label("责任人").fill("刘副镇长")
    page.get_by_label("整改时限").fill((TODAY + dt.timedelta(days=7)).isoformat())
    page.locator("textarea[name=measures]").fill("联系医保局为李四补办参保")
    page.get_by_role("button", name="分派").click()
    evidence = tmp_path / "参保证明.pdf"
    evidence.write_bytes(PDF)
    page.get_by_label("整改措施及成效").fill("已补办参保")
    page.get_by_label("完成日期").fill(TODAY.isoformat())
    page.get_by_label("佐证材料").set_input_files(str(evidence))
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("整改报告等待另一人验收。")).to_be_visible()
    expect(page.get_by_role("button", name="验收销号")).to_have_count(0)  # not by the one who fixed it
    # the record is corrected too: acceptance is refused while the data check still fails
    page.goto(f"{server}/checks/no_medical_insurance/?area=220822100201")
    page.get_by_role("link", name="修改家庭成员").first.click()
    page.get_by_label("参加城乡居民基本医疗保险").check()
    page.get_by_role("button", name="保存", exact=True).click()
    clerk.close()

    admin, page = _session(browser, server, "qian", problem_url.removeprefix(server))
    expect(page.get_by_role("link", name="佐证材料 1")).to_be_visible()
    page.get_by_role("button", name="验收销号").click()
    expect(page.get_by_text("已验收：问题已销号。")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("已办结")
    admin.close()
