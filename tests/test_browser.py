"""A real browser (Debian's Chromium through Playwright) against a real ``fupin serve`` process.

The server runs on its own database (a fresh PostgreSQL database when FUPIN_DATABASE_URL points to
PostgreSQL, otherwise a SQLite file), filled through the services by a setup script, so nothing here
depends on pytest-django's transactional flushes (the audit table refuses DELETE).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
USERNAME = "wang"
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("FUPIN_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


class _Postgres:
    """A throw-away database on the server FUPIN_DATABASE_URL points to."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.name = f"fupin_browser_{os.getpid()}"
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql)

    def create(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _run(env: dict[str, str], args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_chromium()
    var = tmp_path_factory.mktemp("browser-var")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_TEST_")}
    env.update(FUPIN_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="fupin.settings", PYTHONUNBUFFERED="1")
    given = os.environ.get("FUPIN_DATABASE_URL", "")
    postgres = _Postgres(given) if given.startswith(("postgres://", "postgresql://")) else None
    if postgres is not None:
        postgres.create()
        env["FUPIN_DATABASE_URL"] = postgres.url
    else:
        env["FUPIN_DATABASE_URL"] = f"sqlite:///{var / 'browser.sqlite3'}"
    process = None
    log = (var / "server.log").open("w")
    try:
        _run(env, [sys.executable, "-m", "fupin.cli", "migrate", "--no-input"])
        assert "ready" in _run(env, [sys.executable, "-c", SETUP]).stdout
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "fupin.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("fupin serve did not start:\n" + (var / "server.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        if postgres is not None:
            postgres.drop()


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _log_in(page, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/households/")  # not logged in: sent to the login page, in Chinese
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(USERNAME)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="农户", exact=True)).to_be_visible()


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
    assert "q=" in page.url  # the address follows the filter, so it can be bookmarked
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
    expect(page.locator("body")).to_contain_text("unstable_illness")
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


def _id(birth: str, sequence: int) -> str:
    import datetime as dt

    from fupin.domain.idnumber import make

    return make("220822", dt.datetime.strptime(birth, "%Y%m%d").date(), sequence)
