"""Every page in Chinese shows Chinese: no codes, no English words, no 'None' in the visible text.

A small demo county (the generator, the replayed casework, a screening run, the indicator tables) is
walked as a county officer, a village cadre and a province viewer, page by page from the URL
configuration, with Chinese as the browser's language. The visible text (no scripts, styles or
attributes) must not hold ASCII identifiers: snake_case words, kebab-case codes, English words of
three letters or more, or the literal 'None'. The few that are shown on purpose are allow-listed below,
each with its reason. A page added later is walked too; a page with parameters needs its arguments in
``_arguments``, or the test says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.xdist_group("chinese-pages")

# ---------------------------------------------------------------- what counts as visible text


class _VisibleText(HTMLParser):
    """The text a reader sees, one line per block (paragraph, cell, item, option…): character data
    outside <script>, <style> and <template>, without attributes; inline elements stay in their line."""

    HIDDEN = {"script", "style", "template", "noscript"}
    BLOCKS = {
        *("p", "div", "li", "td", "th", "tr", "dt", "dd", "br", "option", "section", "header", "footer"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "label", "legend", "button", "nav", "form", "table", "ul"),
        *("ol", "dl", "main", "aside", "title", "select", "textarea", "figcaption", "caption", "summary"),
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.depth += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible_lines(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return [line for line in lines if line]


# An ASCII token: letters, digits, '_' and '-' starting with a letter.
_TOKEN = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z][A-Za-z0-9_\-]*")

# Shown on purpose, in Chinese pages too. Exact tokens, case-sensitive.
ALLOWED = {
    # File formats and technical names a user is meant to read as they are.
    "PDF",
    "Excel",
    "CSV",
    "csv",  # the file name ending, as in "文件（.xlsx 或 .csv）"
    "xlsx",
    "JPEG",  # photo formats of the visit form
    "PNG",
    "MB",
    "API",
    "OpenAPI",
    "ID",
    "QR",
    "HTMX",
    # The screening engines by their product names (the run page says which one computed it).
    "DuckDB",
    "PostgreSQL",
    "Spark",
    # The language switcher offers English by its own name.
    "English",
    # Units.
    "kg",
}


# Shown on one page only, for a reason given with each.
PAGE_ALLOWED: dict[str, set[str]] = {
    # Alkire-Foster and Watts are the names of the poverty measures, as the literature writes them.
    "dashboard:area": {"Alkire-Foster", "Watts"},
    # A scenario's rule condition is written in the pack's condition language, where FALSE is a word.
    "scenarios:new": {"FALSE"},
}


def _is_identifier(token: str) -> bool:
    token = token.strip("-")
    if token in ALLOWED or not token:
        return False
    if token == "None" or "_" in token:
        return True
    if re.search(r"[A-Za-z]-[A-Za-z]", token):  # kebab-case such as national-monitoring
        return True
    return bool(re.search(r"[A-Za-z]{3,}", token))  # an English word of three letters or more


def identifiers(lines: list[str], allowed: set[str] = frozenset()) -> list[tuple[str, str]]:
    """(token, the line it stands in) for every ASCII identifier of the visible text, and ('：', line)
    for a line that starts with a separator: a label whose title is missing."""
    found = []
    for line in lines:
        if line.startswith(("：", ":")):
            found.append(("：", line[:160]))
        for token in _TOKEN.findall(line):
            if token not in allowed and _is_identifier(token):
                found.append((token, line[:160]))
    return found


def test_the_detector_finds_codes_words_and_none_but_not_what_is_allowed():
    lines = visible_lines(
        "<html><head><style>.a{color:red}</style><script>var appraisal_days = 1;</script></head>"
        '<body title="monitoring_range"><p>监测范围 appraisal_days</p><p>政策：national-monitoring</p>'
        "<p>正在筛查… snapshot</p><p>None</p><p>导出 Excel · PDF · 2024-01-01 · 220822100201 · 15 kg"
        "</p><option>jilin</option><p><strong></strong>：走访发现</p></body></html>"
    )
    assert [t for t, _ in identifiers(lines)] == [
        "appraisal_days",
        "national-monitoring",
        "snapshot",
        "None",
        "jilin",
        "：",
    ]


# ---------------------------------------------------------------- the demo county


@dataclass
class Demo:
    users: dict[str, Any]  # role label → user
    ids: dict[str, Any]  # what the pages with parameters are called with
    allowed: set[str]  # identifiers of the data itself (user names)


TODAY = dt.date(2026, 3, 20)


@pytest.fixture
def demo(db, settings, tmp_path) -> Demo:
    import time_machine

    from fupin.accounts.models import User
    from fupin.benefits.models import Application, Opening
    from fupin.cases.models import Case, Declaration, VillageNotice
    from fupin.demo import assets as demo_assets
    from fupin.demo import benefits as demo_benefits
    from fupin.demo import cases
    from fupin.demo import supervision as demo_supervision
    from fupin.demo.loader import load_demo_county
    from fupin.exchange.models import ImportJob, JobStatus
    from fupin.indicators import services as indicators
    from fupin.payments.models import Batch, Envelope, Payment
    from fupin.registry.models import Household
    from fupin.screening import services as screening
    from fupin.screening.models import RunStatus, ScreeningRun
    from fupin.supervision.models import InspectedHousehold, Inspection, ReportRound, ReportSubmission
    from fupin.supervision.models import Problem as SupervisionProblem
    from fupin.twinning.models import Assignment, HelpingUnit, TaskForceMember, Visit, VisitPhoto

    settings.MEDIA_ROOT = tmp_path
    settings.SCREENING_IN_BACKGROUND = False
    with time_machine.travel(dt.datetime(2026, 3, 20, 10, 0), tick=False):
        load_demo_county(households=400, seed=5, as_of=TODAY)
        run = screening.run_screening(actor=None, area_code="220822", as_of=TODAY)
        assert cases.replay(TODAY) is not None
        assert demo_benefits.stage(5) is not None
        assert demo_supervision.stage(5) is not None
        assert demo_assets.stage(5) is not None
        indicators.rebuild(as_of=TODAY)
    county = User.objects.get(username="demo-county")
    village_cadre = User.objects.get(username="demo-village")
    province = User.objects.get(username="demo-province")
    village_code = village_cadre.area_grants.select_related("area").first().area.code
    # A run still going, for the progress label.
    running = ScreeningRun.objects.create(
        policy_name="jilin",
        policy_version="2026.1",
        engine="duckdb",
        as_of=TODAY,
        area=run.area,
        status=RunStatus.RUNNING,
        stage="snapshot",
        percent=10,
    )
    household = (
        Household.objects.filter(village__code=village_code, cases__isnull=False).order_by("pk").first()
    )
    case = Case.objects.filter(household__village__code=village_code).order_by("pk").first()
    notice = VillageNotice.objects.order_by("pk").first()
    declaration = Declaration.objects.order_by("pk").first()
    assignment = Assignment.objects.filter(household__village__code=village_code).order_by("pk").first()
    visit = Visit.objects.filter(household__village__code=village_code).order_by("pk").first()
    jobs = {
        user.pk: ImportJob.objects.create(
            kind="households", file_name="户.xlsx", user=user, status=JobStatus.FINISHED, rows=3, created=3
        )
        for user in (county, village_cadre, province)
    }
    ids = {
        "run": run.pk,
        "running": running.pk,
        "household": household.pk,
        "member": household.members.order_by("pk").first().pk,
        "case": case.pk,
        "notice": notice.pk if notice else None,
        "declaration": declaration.pk if declaration else None,
        "helper": assignment.helper_id if assignment else None,
        "assignment": assignment.pk if assignment else None,
        "visit": visit.pk if visit else None,
        "photo": VisitPhoto.objects.values_list("pk", flat=True).first(),
        "village": village_code,
        "unit": HelpingUnit.objects.filter(village__code=village_code).values_list("pk", flat=True).first(),
        "task_force_member": TaskForceMember.objects.filter(village__code=village_code)
        .values_list("pk", flat=True)
        .first(),
        "jobs": {pk: job.pk for pk, job in jobs.items()},
        "opening": Opening.objects.order_by("pk").values_list("pk", flat=True).first(),
        "application": Application.objects.filter(area__code=village_code)
        .values_list("pk", flat=True)
        .first(),
        "envelope": Envelope.objects.values_list("pk", flat=True).first(),
        "batch": Batch.objects.values_list("pk", flat=True).first(),
        "payment": Payment.objects.filter(status="paid").values_list("pk", flat=True).first(),
        "problem": SupervisionProblem.objects.filter(status="awaiting_acceptance")
        .values_list("pk", flat=True)
        .first(),
        "inspection": Inspection.objects.values_list("pk", flat=True).first(),
        "inspected": InspectedHousehold.objects.values_list("household_id", flat=True).first(),
        "round": ReportRound.objects.values_list("pk", flat=True).first(),
        "submission": ReportSubmission.objects.filter(status="submitted")
        .values_list("pk", flat=True)
        .first(),
        "asset": _first_asset(),
        "asset_disposal": _first_disposal(),
    }
    users = {"county officer": county, "village cadre": village_cadre, "province viewer": province}
    return Demo(users, ids, {u.username for u in User.objects.all()})


def _first_asset() -> int | None:
    from fupin.assets.models import Asset

    return Asset.objects.filter(distributions__isnull=False).values_list("pk", flat=True).first()


def _first_disposal() -> int | None:
    from fupin.assets.models import Disposal

    return Disposal.objects.values_list("pk", flat=True).first()


# ---------------------------------------------------------------- the pages


def _routes() -> Iterator[tuple[str, URLPattern]]:
    def walk(patterns: list[Any], namespace: str) -> Iterator[tuple[str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(p for p in (namespace, pattern.namespace or "") if p) or namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name, pattern

    yield from walk(get_resolver().url_patterns, "")


# Files, not pages: their own tests read them (PDFs in Chinese, Excel with both languages' headers).
DOWNLOADS = (".pdf", ".xlsx", ".csv", ".json", "/pdf/", "/card/")

# Not pages in Chinese: the API answers JSON for programs, and its documentation page is Swagger UI
# (English by design: it documents field names).
NOT_PAGES = ("api-v1:",)


def _arguments(demo: Demo, user: Any) -> dict[str, Callable[[], list[Any] | None]]:
    """Arguments of every page with parameters (None: nothing of that kind in the demo)."""
    ids = demo.ids
    household, village = ids["household"], ids["village"]

    def one(key: str) -> Callable[[], list[Any] | None]:
        return lambda: None if ids[key] is None else [ids[key]]

    from fupin.assistance.models import Measure, MeasureType
    from fupin.checks.catalogue import CHECKS

    measure = Measure.objects.filter(household_id=household).values_list("pk", flat=True).first()
    entry = MeasureType.objects.order_by("pk").values_list("pk", flat=True).first()
    return {
        "screening:run": one("run"),
        "screening:household_rules": one("household"),
        "cases:case": one("case"),
        "cases:act": lambda: [ids["case"], "visit"],
        "cases:notice": one("notice"),
        "cases:notice_pdf": one("notice"),
        "cases:raise": one("household"),
        "cases:eliminate": one("household"),
        "cases:declaration": one("declaration"),
        "declare:confirm": lambda: None,  # reached through the form: see test_declaration_pages_...
        "declare:thanks": lambda: None,
        "assistance:plan": one("household"),
        "assistance:plan_summary": one("household"),
        "assistance:card": one("household"),
        "assistance:measure_add": one("household"),
        "assistance:measure_edit": lambda: [measure] if measure else None,
        "assistance:measure_stop": lambda: [measure] if measure else None,
        "assistance:catalogue_edit": lambda: [entry],
        "assistance:catalogue_switch": lambda: [entry],
        "twinning:helper": one("helper"),
        "twinning:helper_edit": one("helper"),
        "twinning:helper_reveal": one("helper"),
        "twinning:household": one("household"),
        "twinning:assign": one("household"),
        "twinning:visit_add": one("household"),
        "twinning:assignment_end": one("assignment"),
        "twinning:visit": one("visit"),
        "twinning:photo": one("photo"),
        "twinning:village": lambda: [village],
        "twinning:unit_add": lambda: [village],
        "twinning:member_add": lambda: [village],
        "twinning:unit_edit": one("unit"),
        "twinning:member_edit": one("task_force_member"),
        "checks:detail": lambda: [next(iter(CHECKS))],
        "linkage:decide": lambda: None,  # POST only
        "linkage:merge": lambda: None,
        "linkage:reject": lambda: None,
        "exchange:template": lambda: ["households"],
        "exchange:job": lambda: [ids["jobs"][user.pk]],
        "exchange:job_errors": lambda: [ids["jobs"][user.pk]],
        "dashboard:map": lambda: ["22"],
        "dashboard:area": lambda: [village],
        "dashboard:export": lambda: [village],
        "dashboard:exit": lambda: [village],
        "dashboard:exit_export": lambda: [village],
        "dashboard:report": lambda: [village],
        "web:household": one("household"),
        "web:household_edit": one("household"),
        "web:household_type": one("household"),
        "web:household_monitoring": one("household"),
        "web:member_add": one("household"),
        "web:income_add": one("household"),
        "web:income_edit": lambda: [household, TODAY.year - 1],
        "web:member_edit": one("member"),
        "web:reveal": lambda: ["household", household, "phone"],
        "benefits:opening": one("opening"),
        "benefits:application_create": one("opening"),
        "benefits:approve": lambda: None,  # POST only
        "benefits:close": lambda: None,
        "benefits:application": one("application"),
        "benefits:application_edit": one("application"),
        "benefits:decide": lambda: None,
        "benefits:evidence_upload": lambda: None,
        "benefits:bank_account_reveal": lambda: None,
        "benefits:evidence": lambda: None,  # a file: tests/test_benefits.py
        "benefits:application_import": one("opening"),
        "benefits:import_template": lambda: None,  # a workbook: tests/test_benefits_import.py
        "benefits:import_errors": lambda: None,
        "benefits:notice_pdf": one("opening"),
        "employment:member": one("member"),
        "employment:area": lambda: [village],
        "employment:targets": lambda: [village],
        "payments:opening": one("opening"),
        "payments:envelope": one("envelope"),
        "payments:envelope_totals": lambda: None,  # POST only
        "payments:batch_create": lambda: None,
        "payments:batch": one("batch"),
        "payments:bank_file_csv": one("batch"),
        "payments:bank_file_xlsx": one("batch"),
        "payments:return_upload": lambda: None,
        "payments:batch_cancel": lambda: None,
        "payments:reverse": one("payment"),
        "supervision:ledger": lambda: [village],
        "supervision:ledger_export": lambda: [village],
        "supervision:ledger_recheck": lambda: None,  # POST only
        "supervision:problem": one("problem"),
        "supervision:task_add": lambda: None,  # POST only
        "supervision:rectify": lambda: None,
        "supervision:accept": lambda: None,
        "supervision:reject": lambda: None,
        "supervision:reopen": lambda: None,
        "supervision:evidence": lambda: None,  # a file: tests/test_supervision_pages.py
        "supervision:inspection": one("inspection"),
        "supervision:inspection_export": one("inspection"),
        "supervision:inspection_visit": lambda: None,
        "supervision:situation": lambda: None,  # none in the demo: tests/test_situations.py
        "supervision:situation_acknowledge": lambda: None,
        "supervision:situation_follow_up": lambda: None,
        "supervision:scorecard": lambda: ["220822"],
        "supervision:dashboard_panel": lambda: ["220822"],
        "supervision:scorecard_export": lambda: ["220822"],
        "supervision:round": one("round"),
        "supervision:round_remind": lambda: None,
        "supervision:submission": one("submission"),
        "supervision:submission_decide": lambda: None,
        # Project assets: the demo village's solar station; its small forms are POST only.
        "assets:ledger": lambda: ["220822"],
        "assets:ledger_export": lambda: [village],
        "assets:dashboard_panel": lambda: ["220822"],
        "assets:asset": one("asset"),
        "assets:asset_edit": one("asset"),
        "assets:distribute": one("asset"),
        "assets:status": lambda: None,
        "assets:handover": lambda: None,
        "assets:income": lambda: None,
        "assets:disposal_request": lambda: None,
        "assets:disposal_decide": lambda: None,
        "assets:disposal_complete": lambda: None,
        # Employment's area lists; their records have no demo data yet (tests/test_employment_work_pages.py).
        **{
            f"employment:{name}": lambda: [village]
            for name in ("posts", "workshops", "returned", "courses", "grants")
        },
        **{f"employment:{name}": lambda: None for name in ("post", "workshop", "returned_task", "course")},
        # The project library: area pages here, a project's pages in tests/test_projects_pages.py.
        "projects:library": lambda: ["220822"],
        "projects:library_pdf": lambda: None,  # a PDF
        **{f"projects:{name}": lambda: None for name in ("project", "edit", "step", "notice_pdf")},
        # Scenarios: none in the demo (tests/test_scenarios.py).
        **{
            f"scenarios:{name}": lambda: None
            for name in (
                "scenario",
                "run_start",
                "publish",
                "run",
                "run_export",
                "decide",
                "publication_file",
            )
        },
        # Linkage funds of the demo county; forms and files are tested in tests/test_funds_pages.py.
        **{
            f"funds:{name}": lambda: ["220822"]
            for name in ("plan", "progress", "counties", "dashboard_panel")
        },
        **{
            f"funds:{name}": lambda: None
            for name in (
                "allocate",
                "allocation",
                "disburse",
                "year_fund_add",
                "plan_export",
                "progress_export",
                "notice_pdf",
                "plan_import",
                "import_template",
                "import_errors",
            )
        },
    }


def _urls(demo: Demo, user: Any) -> Iterator[tuple[str, str]]:
    arguments = _arguments(demo, user)
    for name, pattern in _routes():
        if name.startswith(NOT_PAGES) or name in ("set_language", "web:logout"):
            continue
        if pattern.pattern.converters:
            assert name in arguments, f"{name} has parameters: give it real ids in _arguments"
            args = arguments[name]()
            if args is None:
                continue
            yield name, reverse(name, args=args)
        else:
            yield name, reverse(name)
    # Pages with more than one state to show.
    yield "screening:run (running)", reverse("screening:run", args=[demo.ids["running"]])
    yield "screening:clues (all)", reverse("screening:clues") + "?status=all"
    yield "employment:area (county)", reverse("employment:area", args=["220822"])
    from fupin.checks.catalogue import CHECKS

    for code in list(CHECKS)[1:]:
        yield f"checks:detail ({code})", reverse("checks:detail", args=[code])


@pytest.mark.django_db(transaction=False)
def test_every_page_in_chinese_shows_no_code_or_english(client, demo):
    problems: list[str] = []
    downloads: set[str] = set()
    seen = 0
    for role, user in demo.users.items():
        client.force_login(user)
        for name, url in _urls(demo, user):
            if name in downloads or url.endswith(DOWNLOADS):
                continue
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code in (302, 403, 404, 405):
                continue  # not this role's page, or not a page to look at
            assert response.status_code == 200, f"{role} {name} {url}: {response.status_code}"
            if not response.get("Content-Type", "").startswith("text/html"):
                downloads.add(name)  # a file (PDF, Excel, JSON): its own tests read it
                continue
            seen += 1
            html = b"".join(response.streaming_content) if response.streaming else response.content
            allowed = demo.allowed | PAGE_ALLOWED.get(name.split(" (")[0], set())
            for token, line in identifiers(visible_lines(html.decode()), allowed):
                problems.append(f"{role} {name} {url}: {token!r} in {line!r}")
        client.logout()
    assert seen > 60
    assert not problems, f"{len(problems)} identifiers:\n" + "\n".join(sorted(set(problems)))


def test_stored_data_is_never_written_in_both_languages():
    """'中文 / English' is for the command line and downloaded templates only: what is stored and shown
    later (history reasons, a job's error, demo texts) is in one language (``core.i18n.stored_text``)."""
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "src" / "fupin"
    # The helper itself; the downloaded workbooks (the import templates and error workbooks).
    allowed = {"core/i18n.py", "exchange/workbook.py", "benefits/importer.py"}
    users = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if "bilingual(" in path.read_text(encoding="utf-8")
        and "management/commands" not in path.as_posix()
        and str(path.relative_to(src)) not in allowed
    ]
    assert users == []
    demo_texts = re.compile(r'"[^"\n]*[\u4e00-\u9fff][^"\n]* / [A-Za-z][^"\n]*"')
    assert not [p.name for p in (src / "demo").glob("*.py") if demo_texts.search(p.read_text("utf-8"))]
