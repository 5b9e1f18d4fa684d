"""A real browser (Debian's Chromium through Playwright) against a real ``fupin serve`` process.

The server runs on its own database (a fresh PostgreSQL database when FUPIN_DATABASE_URL points to
PostgreSQL, otherwise a SQLite file), filled through the services by a setup script, so nothing here
depends on pytest-django's transactional flushes (the audit table refuses DELETE). A test reads the
server's text-message outbox and may move the server's "today" with its clock file (``server_files``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.browser_server import ServerFiles, chromium, serve
from tests.test_chinese_pages import ALLOWED, identifiers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

USERNAME = "wang"  # county officer of 通榆县
VILLAGE_CADRE = "liu"  # 向阳村
TOWNSHIP_OFFICER = "zhao"  # 开通镇
PASSWORD = "browser-test-pass-7"
SCREENSHOTS = Path(os.environ.get("FUPIN_SCREENSHOT_DIR", "/tmp"))

SETUP = r"""
import datetime as dt
import django
django.setup()

from fupin.accounts import services as accounts
from fupin.areas.models import Area
from fupin.domain.idnumber import make
from fupin.registry import services

county = Area.objects.get(code="220822")
areas = {}
for code, name in [("220822100", "开通镇"), ("220822100201", "向阳村"), ("220822100202", "胜利村")]:
    area = Area(code=code, name=name, source="browser-test")
    area.fill_derived()
    area.parent = Area.objects.get(code=code[:-3] if len(code) == 12 else code[:6])
    area.save()
    areas[code] = area

user = accounts.create_user(
    username="wang", role="county_officer", area_codes=["220822"], password="browser-test-pass-7",
    full_name="王建国",
)
# The village and township steps of the monitoring procedure are theirs (test_declaration_to_county_decision).
accounts.create_user(
    username="liu", role="village_cadre", area_codes=["220822100201"], password="browser-test-pass-7",
    full_name="刘春梅",
)
accounts.create_user(
    username="zhao", role="township_officer", area_codes=["220822100"], password="browser-test-pass-7",
    full_name="赵志强",
)
# Province staff watch the dashboard (test_dashboard_drill_down_charts_and_map).
accounts.create_user(
    username="sun", role="province_viewer", area_codes=["22"], password="browser-test-pass-7",
    full_name="孙丽",
)
people = [
    ("220822100201001", "220822100201", "张三", "M", dt.date(1968, 4, 12), "13812345678"),
    ("220822100201002", "220822100201", "李四", "M", dt.date(1975, 9, 3), "13987654321"),
    ("220822100202001", "220822100202", "王秀英", "F", dt.date(1959, 1, 27), ""),
]
for number, village, name, sex, birth, phone in people:
    household = services.create_household(
        actor=user, number=number, village_code=village, household_type="lifted_out", status="lifted",
        phone_number=phone, effective_from=dt.date(2021, 1, 1),
    )
    sequence = 101 if sex == "M" else 102
    services.add_member(
        actor=user, household=household,
        values={
            "name": name, "sex": sex, "birth_date": birth, "relation": "head", "labour_capacity": "ordinary",
        },
        id_number=make("220822", birth, sequence),
    )
    services.save_income(
        actor=user, household=household, year=2024,
        values={"wage": 9000, "business": 3000, "transfer": 1200, "business_expenditure": 800},
    )
# 王秀英 lives alone, seriously ill, on 4,800 yuan last year: the screening must find her.
from fupin.registry.models import Household, Member
household = Household.objects.get(number="220822100202001")
member = Member.objects.get(household=household)
services.update_member(
    actor=user, member=member, expected_version=member.version, values={"health": "serious"}
)
services.save_income(actor=user, household=household, year=dt.date.today().year - 1, values={"wage": 4800})
print("ready")
"""


_SERVER_VAR: dict[str, Path] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("browser-var")
    _SERVER_VAR["var"] = var
    with serve(var, SETUP, "fupin_browser") as base:
        yield base


@pytest.fixture
def server_files(server) -> ServerFiles:
    return ServerFiles(_SERVER_VAR["var"])


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _log_in(
    page, base: str, username: str = USERNAME, path: str = "/households/", heading: str = "农户"
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}{path}")  # not logged in: sent to the login page, in Chinese
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def test_search_open_edit_and_switch_language(server, page):
    from playwright.sync_api import expect

    _log_in(page, server)
    assert page.url.endswith("/households/")
    expect(page.locator("header")).to_contain_text("王建国")
    expect(page.locator("header")).to_contain_text("县级工作人员")

    # Live search (HTMX): typing a name narrows the list without pressing a button.
    results = page.locator("#results")
    expect(results).to_contain_text("共找到 3 户")
    page.get_by_label("查询").fill("张三")
    expect(results).to_contain_text("共找到 1 户")
    expect(results).not_to_contain_text("李四")
    # The address follows the search, so it can be bookmarked, but holds the name only sealed.
    page.wait_for_url(re.compile(r"qk="))
    assert "张三" not in unquote(page.url) and "q=" not in page.url.replace("qk=", "")
    page.reload()
    expect(results).to_contain_text("共找到 1 户")
    expect(page.get_by_label("查询")).to_have_value("张三")
    expect(results).to_contain_text("138****5678")
    page.screenshot(path=str(SCREENSHOTS / "fupin_list_zh.png"), full_page=True)

    # Open the household, edit a fact, see the change.
    results.get_by_role("link", name="张三").click()
    expect(page.get_by_role("heading", name="基本信息")).to_be_visible()
    expect(page.locator("body")).to_contain_text("人均纯收入")
    page.get_by_role("link", name="修改基本信息").click()
    page.get_by_label("住址").fill("向阳村幸福路 9 号")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").filter(has_text="已保存。")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("向阳村幸福路 9 号")
    expect(page.locator(".history")).to_contain_text("向阳村幸福路 9 号")

    # Show the full ID number in place (HTMX POST, audited by the service).
    member_row = page.locator("table tr", has_text="张三")
    member_row.get_by_role("button", name="显示").first.click()
    expect(member_row.locator(".revealed").first).to_have_text(_id("19680412", 101))
    page.screenshot(path=str(SCREENSHOTS / "fupin_detail_zh.png"), full_page=True)

    # English through the switcher: the same page, other words.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Facts")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("基本信息")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=str(SCREENSHOTS / "fupin_detail_en.png"), full_page=True)

    # A flow in English: search by household number, open it, change a fact.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Households").click()
    page.get_by_label("Search").fill("220822100202001")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results")).to_contain_text("Households found: 1")
    page.locator("#results").get_by_role("link", name="王秀英").click()
    page.get_by_role("link", name="Edit facts").click()
    page.get_by_label("Village group").fill("3")
    page.get_by_label("Phone", exact=True).fill("12345")  # not a phone number: refused on the field
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".has-error")).to_contain_text("A phone number is 11 digits")
    expect(page.get_by_label("Village group")).to_have_value("3")  # the input is kept
    page.screenshot(path=str(SCREENSHOTS / "fupin_form_error_en.png"), full_page=True)
    page.get_by_label("Phone", exact=True).fill("13700001234")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("137****1234")

    # And back to Chinese.
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="基本信息")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Facts")


def test_monitoring_flow_in_chinese_on_a_phone_screen(server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _log_in(page, server)
        page.get_by_label("查询").fill("李四")
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#results")).to_contain_text("共找到 1 户")
        page.locator("#results").get_by_role("link", name="李四").click()
        page.screenshot(path=str(SCREENSHOTS / "fupin_detail_phone_top.png"))
        page.get_by_role("link", name="变更监测状态").click()
        page.get_by_label("监测对象类别").select_option("marginal")
        page.get_by_label("因病").check()
        page.get_by_label("原因").fill("家人住院，医疗支出大")
        page.screenshot(path=str(SCREENSHOTS / "fupin_form_phone.png"), full_page=True)
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".badges")).to_contain_text("边缘易致贫户")
        expect(page.locator("body")).to_contain_text("家人住院，医疗支出大")
        page.screenshot(path=str(SCREENSHOTS / "fupin_detail_phone.png"), full_page=True)
        # The overview counts the new monitoring object.
        page.get_by_role("navigation", name="主菜单").get_by_role("link", name="概况").click()
        expect(page.locator(".stat.warn .num")).to_have_text("1")
        page.screenshot(path=str(SCREENSHOTS / "fupin_home_phone.png"), full_page=True)
    finally:
        context.close()


def test_screening_from_the_page_finds_the_household_at_risk(server, page):
    """A county officer screens the county: the run goes on in the server while the page shows its
    progress, then the risk clue and its reasons, and the household's own page says the same."""
    from playwright.sync_api import expect

    _log_in(page, server)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="风险筛查").click()
    expect(page.get_by_role("heading", name="风险筛查", exact=True)).to_be_visible()
    page.get_by_label("区域").select_option("220822")
    page.get_by_role("button", name="立即筛查").click()
    expect(page.get_by_role("heading", name="筛查批次 · 通榆县")).to_be_visible()
    clues_stat = page.locator(".stat.warn", has_text="新增风险线索")
    expect(clues_stat.locator(".num")).to_have_text("1", timeout=60_000)  # polled until the run is done
    expect(page.locator("body")).to_contain_text(
        "脱贫户因病风险"
    )  # the rule by its title; its code is only a tooltip
    expect(page.locator("body")).to_contain_text("示例值")  # the example range is flagged as such
    page.screenshot(path=str(SCREENSHOTS / "fupin_screening_run_zh.png"), full_page=True)

    clues_stat.click()
    expect(page.locator("#results")).to_contain_text("风险线索：1 条")
    expect(page.locator("#results")).to_contain_text("220822100202001")
    expect(page.locator("#results")).to_contain_text("人均纯收入 4,800.00 元")
    page.screenshot(path=str(SCREENSHOTS / "fupin_clues_zh.png"), full_page=True)

    page.locator("#results").get_by_role("link", name="220822100202001").click()
    today = page.locator("#screening-now")
    expect(today).to_contain_text("脱贫不稳定户")
    expect(today).to_contain_text("尚未办结")
    page.get_by_role("button", name="English").click()
    expect(page.locator("#screening-now")).to_contain_text("within the range")
    page.screenshot(path=str(SCREENSHOTS / "fupin_household_screening_en.png"), full_page=True)
    page.get_by_role("button", name="简体中文").click()


HOUSEHOLD = "220822100201001"  # 张三, 向阳村, phone 13812345678
MASKED_PHONE = "138****5678"


def _texts_to(outbox: Path, masked: str, skip: int = 0, wait: float = 10) -> list[str]:
    """The texts of the messages in the outbox to ``masked`` (after the first ``skip`` lines), once there
    is one: the server's worker sends them from the job queue, a moment after the page has answered."""
    deadline = time.monotonic() + wait
    while True:
        lines = outbox.read_text(encoding="utf-8").splitlines()[skip:] if outbox.exists() else []
        texts = [message["text"] for message in map(json.loads, lines) if message["to"] == masked]
        if texts or time.monotonic() > deadline:
            return texts
        time.sleep(0.2)


def _outbox_lines(outbox: Path) -> int:
    return len(outbox.read_text(encoding="utf-8").splitlines()) if outbox.exists() else 0


def _new_page(browser, **options):
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _desktop_page(browser):
    return _new_page(browser, viewport={"width": 1280, "height": 900})


def _choose_area(page, label: str, name: str) -> None:
    """Choose in one of the cascading selects and wait until HTMX has put the three selects anew (and
    settled them: only then do the new selects answer a change)."""
    from playwright.sync_api import expect

    page.locator("#area-fields").evaluate("fieldset => { fieldset.dataset.stale = '1'; }")
    page.get_by_label(label, exact=True).select_option(label=name)
    expect(page.locator("#area-fields:not([data-stale]):not(.htmx-settling)")).to_be_attached()


def _declare_on_a_phone(base: str, browser, files: ServerFiles) -> None:
    """(a) 张三 declares a difficulty from his phone, without an account, and confirms his number."""
    from playwright.sync_api import expect

    context, page = _new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{base}/declare/")
        expect(page.get_by_role("heading", name="农户自主申报困难")).to_be_visible()
        _choose_area(page, "县", "通榆县")
        _choose_area(page, "乡镇", "开通镇")
        _choose_area(page, "村", "向阳村")
        expect(page.get_by_label("村", exact=True)).to_have_value("220822100201")
        page.get_by_label("您的姓名").fill("张三")
        page.get_by_label("手机号码").fill("13812345678")
        page.get_by_label("困难类型").select_option(label="因意外事故")
        page.get_by_label("发生了什么").fill("3 月在工地摔伤了腿，住院花了两万多元，现在干不了重活。")
        page.screenshot(path=str(SCREENSHOTS / "fupin_declare_phone.png"), full_page=True)
        sent_before = _outbox_lines(files.outbox)
        page.get_by_role("button", name="提交").click()

        expect(page.get_by_role("heading", name="确认手机号码")).to_be_visible()
        texts = _texts_to(files.outbox, MASKED_PHONE, skip=sent_before)
        assert len(texts) == 1, texts
        code = re.search(r"(?<!\d)\d{6}(?!\d)", texts[0])
        assert code is not None, texts[0]
        page.get_by_label("短信验证码").fill(code.group())
        page.screenshot(path=str(SCREENSHOTS / "fupin_declare_code_phone.png"), full_page=True)
        page.get_by_role("button", name="确认", exact=True).click()

        expect(page.get_by_role("heading", name="感谢您的申报，申报已送达")).to_be_visible()
        expect(page.locator("body")).to_contain_text("村干部将在")
        page.screenshot(path=str(SCREENSHOTS / "fupin_declare_thanks_phone.png"), full_page=True)
    finally:
        context.close()


def _village_cadre_takes_the_village_steps(base: str, browser, files: ServerFiles) -> None:
    """(b) The village cadre matches the declaration, opens the case, visits, appraises, posts the notice
    and, once the notice period is over (the clock file moves "today" on), submits to the township."""
    from playwright.sync_api import expect

    context, page = _desktop_page(browser)
    try:
        _log_in(page, base, VILLAGE_CADRE, path="/cases/", heading="我的待办")
        expect(page.locator("header")).to_contain_text("刘春梅")
        expect(page.locator("header")).to_contain_text("村干部")
        declarations = page.locator("section", has=page.get_by_role("heading", name="新的自主申报：1 件"))
        row = declarations.get_by_role("row").filter(has_text="向阳村")
        expect(row).to_contain_text("因意外事故")
        page.screenshot(path=str(SCREENSHOTS / "fupin_tasks_zh.png"), full_page=True)
        row.get_by_role("link", name="办理").click()

        # The declaration, and the household with the same phone offered first (and already chosen).
        expect(page.get_by_role("heading", name="自主申报 · 向阳村")).to_be_visible()
        facts = page.locator(".facts")
        expect(facts).to_contain_text("张三")
        expect(facts).to_contain_text(MASKED_PHONE)
        expect(facts).to_contain_text("摔伤了腿")
        expect(page.locator("body")).to_contain_text("联系电话与申报一致的农户排在最前面。")
        household = page.get_by_label("登记农户")
        expect(household.locator("option:checked")).to_have_text(f"{HOUSEHOLD} · 张三（与申报电话一致）")
        household.select_option(label=f"{HOUSEHOLD} · 张三（与申报电话一致）")
        page.get_by_label("监测对象类别").select_option(label="脱贫不稳定户")
        page.get_by_label("因意外事故").check()
        page.get_by_role("button", name="立案", exact=True).click()

        # The case: the visit is the next step.
        expect(
            page.get_by_role("status").filter(has_text="已为该户立案，下一环节为入户核实。")
        ).to_be_visible()
        expect(page.get_by_role("heading", name=f"识别纳入 · {HOUSEHOLD}")).to_be_visible()
        expect(page.locator(".badges .step")).to_have_text("待入户核实")
        expect(page.locator("body")).to_contain_text("农户自主申报")
        case_url = page.url

        visit = page.locator("#act-visit")
        expect(visit.get_by_role("heading", name="登记入户核实")).to_be_visible()
        visit.get_by_label("核实情况").fill("户主摔伤后住院，自付医疗费 2.1 万元，半年内不能务工。")
        visit.get_by_label("风险属实：进入村级民主评议").check()
        visit.get_by_label("农户已签署数据核查授权书").check()
        visit.get_by_label("监测对象类别").select_option(label="脱贫不稳定户")
        expect(visit.get_by_label("因意外事故")).to_be_checked()  # proposed when the case was opened
        visit.get_by_label("因病", exact=True).check()
        visit.get_by_role("button", name="登记入户核实").click()
        expect(page.get_by_role("status").filter(has_text="入户核实已登记。")).to_contain_text(
            "案件现处于“待村级民主评议”环节。"
        )
        expect(page.locator("body")).to_contain_text("已签署")

        appraisal = page.locator("#act-appraise")
        appraisal.get_by_label("参加人数").fill("23")
        appraisal.get_by_label("赞成票").fill("21")
        appraisal.get_by_label("反对票").fill("0")
        appraisal.get_by_label("是", exact=True).check()
        appraisal.get_by_role("button", name="登记村级民主评议").click()
        expect(page.get_by_role("status").filter(has_text="村级民主评议已登记。")).to_contain_text(
            "案件现处于“待公示”环节。"
        )

        # The public notice of the village, with this household on it.
        page.get_by_role("link", name="张贴公示").click()
        expect(page.get_by_role("heading", name="张贴公示 · 向阳村")).to_be_visible()
        expect(page.get_by_role("checkbox", name=re.compile(HOUSEHOLD))).to_be_checked()
        expect(page.get_by_label("公示天数")).to_have_value("5")  # notice_days of the policy pack
        posted_on = dt.date.fromisoformat(page.get_by_label("张贴日期").input_value())  # the server's today
        ends_on = posted_on + dt.timedelta(days=5)
        page.get_by_role("button", name="张贴公示").click()
        expect(page.get_by_role("heading", name="公示 · 向阳村")).to_be_visible()
        expect(page.get_by_role("status")).to_have_text(
            f"公示已张贴。自 {ends_on.isoformat()} 起可报乡镇审核。"
        )
        expect(page.locator(".badges")).to_contain_text("公示中")
        page.screenshot(path=str(SCREENSHOTS / "fupin_notice_zh.png"), full_page=True)
        pdf_link = page.get_by_role("link", name="打印公示（PDF）")
        response = context.request.get(base + pdf_link.get_attribute("href"))
        assert response.status == 200
        assert response.headers["content-type"].startswith("application/pdf")
        assert response.body().startswith(b"%PDF")

        # Too early for the township: the page says until when the notice runs.
        page.goto(case_url)
        expect(page.locator(".badges .step")).to_have_text("公示中")
        submit = page.locator("#act-submit")
        expect(submit).to_contain_text(f"自 {ends_on.isoformat()} 起、所有异议处理完毕后，可报乡镇审核。")
        submit.get_by_role("button", name="报乡镇审核").click()
        last_day = (ends_on - dt.timedelta(days=1)).isoformat()
        expect(page.get_by_role("status")).to_have_text(
            f"公示期至 {last_day}，{ends_on.isoformat()} 起方可报乡镇审核。"
        )
        expect(page.locator(".badges .step")).to_have_text("公示中")

        # Five days later (notice_days; the posting day is day 0) the case may go.
        files.clock.write_text(ends_on.isoformat())
        page.goto(case_url)
        page.locator("#act-submit").get_by_role("button", name="报乡镇审核").click()
        expect(page.get_by_role("status").filter(has_text="案件已报乡镇审核。")).to_contain_text(
            "案件现处于“待乡镇审核”环节。"
        )
        expect(page.locator("#actions")).to_have_count(0)  # nothing left for the village to do
    finally:
        context.close()


def _township_officer_reviews(base: str, browser) -> None:
    """(c) The township officer finds the case among their tasks and passes the township review."""
    from playwright.sync_api import expect

    context, page = _desktop_page(browser)
    try:
        _log_in(page, base, TOWNSHIP_OFFICER, path="/cases/", heading="我的待办")
        expect(page.locator("header")).to_contain_text("乡镇工作人员")
        row = page.locator("#results").get_by_role("row").filter(has_text=HOUSEHOLD)
        expect(row).to_contain_text("待乡镇审核")
        expect(row).to_contain_text("向阳村")
        row.get_by_role("link", name=HOUSEHOLD).click()
        expect(page.get_by_role("heading", name=f"识别纳入 · {HOUSEHOLD}")).to_be_visible()
        review = page.locator("#act-township_approve")
        review.get_by_label("备注（选填）").fill("材料齐全，情况属实。")
        review.get_by_role("button", name="乡镇审核通过").click()
        expect(page.get_by_role("status").filter(has_text="乡镇审核已通过。")).to_contain_text(
            "案件现处于“待县级审定”环节。"
        )
    finally:
        context.close()


def _county_officer_decides(base: str, browser, files: ServerFiles) -> None:
    """(d) The county officer approves; the household becomes a monitoring object and hears of it."""
    from playwright.sync_api import expect

    context, page = _desktop_page(browser)
    try:
        _log_in(page, base, USERNAME, path="/cases/", heading="我的待办")
        row = page.locator("#results").get_by_role("row").filter(has_text=HOUSEHOLD)
        expect(row).to_contain_text("待县级审定")
        row.get_by_role("link", name=HOUSEHOLD).click()
        approve = page.locator("#act-county_approve")
        approve.get_by_label("监测对象类别").select_option(label="脱贫不稳定户")
        approve.get_by_label("因病", exact=True).check()
        approve.get_by_label("因意外事故").check()
        sent_before = _outbox_lines(files.outbox)
        approve.get_by_role("button", name="审定通过", exact=True).click()
        expect(page.get_by_role("status").filter(has_text="县级审定通过已登记。")).to_contain_text(
            "案件现处于“已审定通过”环节。"
        )
        expect(page.locator(".badges .step")).to_have_text("已审定通过")
        page.screenshot(path=str(SCREENSHOTS / "fupin_case_zh.png"), full_page=True)
        texts = _texts_to(files.outbox, MASKED_PHONE, skip=sent_before)
        assert len(texts) == 1 and HOUSEHOLD in texts[0] and "已审定通过" in texts[0], texts

        # The household's page: its monitoring category, and every step of the case by its actor.
        page.get_by_role("link", name="农户页面").click()
        expect(page.get_by_role("heading", name=f"农户 {HOUSEHOLD}")).to_be_visible()
        badges = page.locator(".badges")
        expect(badges).to_contain_text("脱贫不稳定户")
        expect(badges).to_contain_text("因病")
        expect(badges).to_contain_text("因意外事故")
        cases = page.locator("#cases")
        case_item = cases.locator("ul.plain > li")  # one case: this one, decided
        expect(case_item).to_have_count(1)
        expect(case_item).to_contain_text("识别纳入")
        expect(case_item).to_contain_text("已审定通过")
        # Each step by the person who took it, by their full name.
        steps = [
            ("已立案", "刘春梅"),
            ("已入户核实", "刘春梅"),
            ("已开展村级民主评议", "刘春梅"),
            ("已张贴公示", "刘春梅"),
            ("已报乡镇审核", "刘春梅"),
            ("乡镇审核通过", "赵志强"),
            ("县级审定通过", "王建国"),
        ]
        events = cases.locator(".timeline > li")
        expect(events).to_have_count(len(steps))
        for index, (label, actor) in enumerate(steps):
            expect(events.nth(index).locator(".history-head")).to_contain_text(f"{label} · {actor}")
        page.screenshot(path=str(SCREENSHOTS / "fupin_household_case_zh.png"), full_page=True)
    finally:
        context.close()


def test_a_plan_breaks_a_rule_is_fixed_and_its_card_printed(server, page):
    """A county officer builds 李四's plan: the page explains what the plan lacks, a suggested measure
    answers the illness, a developmental measure settles the labour rule, and the card prints."""
    from playwright.sync_api import expect

    _log_in(page, server)
    page.get_by_label("查询").fill("李四")
    page.get_by_role("button", name="查询").click()
    page.locator("#results").get_by_role("link", name="李四").click()
    if "边缘易致贫户" not in page.locator(".badges").inner_text():  # monitored by an earlier test, or now
        page.get_by_role("link", name="变更监测状态").click()
        page.get_by_label("监测对象类别").select_option("marginal")
        page.get_by_label("因病").check()
        page.get_by_label("原因").fill("家人住院，医疗支出大")
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".badges")).to_contain_text("边缘易致贫户")
    page.get_by_role("link", name="打开帮扶计划").click()
    expect(page.get_by_role("heading", name="帮扶计划 · 220822100201002")).to_be_visible()

    # The plan breaks two rules, each said in plain words.
    checks = page.locator("#plan-checks")
    expect(checks.locator("li[data-code=risk_unanswered]")).to_contain_text("因病")
    expect(checks.locator("li[data-code=no_developmental]")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "fupin_plan_problems_zh.png"), full_page=True)

    # A suggestion answering the illness, planned from its button with the form filled in.
    suggestion = page.locator("#plan-suggestions li").filter(has_text="因病").first
    suggestion.get_by_role("link", name="列入计划").click()
    page.get_by_label("责任人或责任部门").fill("开通镇卫生院")
    page.get_by_role("button", name="添加措施").click()
    expect(checks.locator("li[data-code=risk_unanswered]")).to_have_count(0)
    explained = checks.locator("li[data-code=no_developmental]")
    expect(explained).to_be_visible()  # still no developmental measure for a household that can work

    # The fix: an industry subsidy, a developmental measure.
    page.locator("#plan-measures").get_by_role("link", name="添加帮扶措施").click()
    chooser = page.get_by_role("combobox", name="帮扶措施")
    value = chooser.locator("option", has_text="产业奖补").first.get_attribute("value")
    chooser.select_option(value)
    page.get_by_label("责任人或责任部门").fill("县农业农村局")
    page.get_by_role("button", name="添加措施").click()
    expect(page.locator("#plan-ok")).to_have_text("帮扶计划符合全部规则。")
    expect(page.locator("#plan-measures")).to_contain_text("产业奖补")
    page.screenshot(path=str(SCREENSHOTS / "fupin_plan_ok_zh.png"), full_page=True)

    # The household card, printed from the plan page.
    card = page.get_by_role("link", name="打印明白卡（PDF）")
    response = page.context.request.get(f"{server}{card.get_attribute('href')}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_dashboard_drill_down_charts_and_map(server, browser):
    """The county officer recalculates the figures and reads them with charts; a province viewer sees
    Jilin's prefectures on a map and drills down to the county, its townships and a village."""
    from playwright.sync_api import expect

    context, page = _desktop_page(browser)
    _log_in(page, server)
    page.get_by_role("link", name="监测大屏").click()
    expect(page.get_by_role("heading", name="通榆县", exact=True)).to_be_visible()
    page.get_by_role("button", name="立即重新计算").click()
    # The page follows the build, then shows the new figures.
    expect(page.locator("#build-status")).to_contain_text("数据截至", timeout=60_000)
    page.reload()
    stats = page.get_by_role("region", name="主要指标")
    expect(stats).to_contain_text("监测户数")
    expect(page.locator("#chart-trend svg")).to_be_visible()  # ECharts drew the trend
    expect(page.locator("#chart-income svg")).to_be_visible()
    children = page.locator("table.children")
    expect(children).to_contain_text("开通镇")
    page.screenshot(path=str(SCREENSHOTS / "fupin_dashboard_county_zh.png"), full_page=True)
    children.get_by_role("link", name="开通镇").click()
    expect(page.get_by_role("heading", name="开通镇", exact=True)).to_be_visible()
    expect(page.locator("table.children")).to_contain_text("向阳村")
    page.get_by_role("link", name="退出评估").click()
    expect(page.get_by_role("heading", name=re.compile("退出评估"))).to_be_visible()
    context.close()

    context, viewer = _desktop_page(browser)
    _log_in(viewer, server, username="sun", path="/dashboard/", heading="吉林省")
    # Jilin's prefectures on a map, coloured by the chosen indicator, and ranked beside it.
    expect(viewer.locator("#chart-map svg path").first).to_be_visible(timeout=20_000)
    viewer.get_by_label("地图着色和排名依据").select_option("households")
    viewer.get_by_role("button", name="显示").click()
    ranked = viewer.locator("table.ranked")
    expect(ranked).to_contain_text("白城市")
    viewer.screenshot(path=str(SCREENSHOTS / "fupin_dashboard_province_zh.png"), full_page=True)
    ranked.get_by_role("link", name="白城市").click()
    expect(viewer.locator("table.ranked")).to_contain_text("通榆县")
    viewer.locator("table.ranked").get_by_role("link", name="通榆县").click()
    expect(viewer.locator("table.children")).to_contain_text("开通镇")
    context.close()


# The main pages of each role, besides "/" and the main menu's links: the dashboard down the hierarchy
# from the user's own area, the exit assessment and a household (the first of the list).
WALKS = {
    USERNAME: ("通榆县", ["/dashboard/220822/", "/dashboard/220822100/", "/dashboard/220822/exit/"]),
    VILLAGE_CADRE: ("向阳村", ["/dashboard/220822100201/", "/dashboard/220822100201/exit/"]),
    "sun": ("吉林省", ["/dashboard/2208/", "/dashboard/220822/", "/dashboard/220822100201/"]),
}
# The login names of the walk appear in the top bar; the poverty measures go by their authors' names.
PAGE_WORDS = {*WALKS, "Alkire-Foster", "Watts"}
# The elements sticking out to the right of the viewport, for the failure message.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.right > width + 1)
    .slice(0, 5)
    .map(([e, r]) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} ${Math.round(r.width)}px`);
}"""
# Pairs of chart texts (axis labels, legends, values) whose boxes overlap by more than a pixel.
OVERLAPPING_TEXTS = """(selector) => {
  const boxes = [...document.querySelectorAll(selector + " svg text")]
    .filter(t => t.textContent.trim())
    .map(t => [t.textContent, t.getBoundingClientRect()]);
  const pairs = [];
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (x > 1 && y > 1) { pairs.push(a + " / " + b); }
  }));
  return pairs;
}"""


def _figures_calculated(browser, base: str) -> None:
    """The county officer recalculates the figures unless a test before did."""
    from playwright.sync_api import expect

    context, page = _desktop_page(browser)
    _log_in(page, base, path="/dashboard/", heading="通榆县")
    if not page.locator("#chart-trend").count():
        page.get_by_role("button", name="立即重新计算").click()
        expect(page.locator("#build-status")).to_contain_text("数据截至", timeout=60_000)
    context.close()


def test_no_page_scrolls_sideways_and_the_dashboard_is_readable(server, browser, tmp_path_factory):
    """Every main page of a county officer, a village cadre and a province viewer fits a 1,440 px and a
    390 px wide window without a sideways scroll; on the dashboard the charts' texts do not overlap,
    the county's own place is on a map and a month-end line of one month is a marked point."""
    from playwright.sync_api import expect

    _figures_calculated(browser, server)
    shots = tmp_path_factory.mktemp("sideways")
    too_wide: list[str] = []
    english: list[str] = []
    for username, (heading, walk) in WALKS.items():
        for width in (1440, 390):
            context, page = _new_page(browser, viewport={"width": width, "height": 900})
            _log_in(page, server, username=username, path="/dashboard/", heading=heading)
            page.goto(f"{server}/")
            menu = page.locator(".mainnav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
            page.goto(f"{server}/households/")
            links = page.locator("#results a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
            household = [link for link in links if re.fullmatch(r"/households/\d+/", link or "")][:1]
            for path in dict.fromkeys(["/", *menu, *household, *walk]):
                page.goto(f"{server}{path}")
                page.wait_for_load_state("networkidle")
                if page.locator("#chart-trend").count():
                    expect(page.locator("#chart-income svg text").first).to_be_attached()
                    for chart in ("#chart-trend", "#chart-categories", "#chart-risks", "#chart-income"):
                        overlapping = page.evaluate(OVERLAPPING_TEXTS, chart)
                        assert not overlapping, f"{username} {width}px {path} {chart}: {overlapping[:5]}"
                if width == 1440:  # what the browser renders, charts included, has no English or codes
                    lines = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
                    english.extend(
                        f"{username} {path}: {token!r} in {line!r}"
                        for token, line in identifiers(lines, ALLOWED | PAGE_WORDS)
                    )
                name = f"{username}-{width}-{path.strip('/').replace('/', '_') or 'home'}.png"
                page.screenshot(path=str(shots / name), full_page=True)
                scroll, client = page.evaluate(
                    "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                if scroll > client or scroll > width:
                    too_wide.append(f"{username} {width}px {path}: {scroll}px {page.evaluate(STICKING_OUT)}")
            if username == USERNAME:
                # The county's page: where 通榆县 lies, on a map of 白城市's counties, and the month-end
                # line, known for one month, as a marked point with a note that says so.
                page.goto(f"{server}/dashboard/220822/")
                expect(page.locator("#place-map #chart-map svg path").first).to_be_visible(timeout=20_000)
                expect(page.locator("#place-map")).to_contain_text("地图在白城市范围内标出通榆县")
                expect(page.locator("#chart-trend").locator("xpath=..")).to_contain_text("折线只有一个点")
            context.close()
    assert not too_wide, "pages wider than the window:\n" + "\n".join(too_wide)
    assert not english, "English or codes on Chinese pages:\n" + "\n".join(english[:40])


def test_declaration_to_county_decision_by_four_users(server, server_files, browser):
    """One case from a household's self-declaration to the county's decision, each step by its own user:
    the household (no account, on a phone), the village cadre, the township officer, the county officer.

    Runs last in the module: the household it includes is a monitoring object afterwards.
    """
    try:
        _declare_on_a_phone(server, browser, server_files)
        _village_cadre_takes_the_village_steps(server, browser, server_files)
        _township_officer_reviews(server, browser)
        _county_officer_decides(server, browser, server_files)
    finally:
        server_files.clock.unlink(missing_ok=True)  # the real date again for whatever runs next


def _id(birth: str, sequence: int) -> str:
    import datetime as dt

    from fupin.domain.idnumber import make

    return make("220822", dt.datetime.strptime(birth, "%Y%m%d").date(), sequence)
