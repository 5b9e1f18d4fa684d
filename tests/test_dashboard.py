"""Indicator tables from the registry and the dashboard pages over them.

The registry is built through the services (as a cadre would), the tables are rebuilt, and the pages
are read as each kind of user: figures must equal what the registry holds, stay inside the user's
scope, and survive a failed rebuild.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.engine import indicators as ind
from fupin.engine.tables import TableError
from fupin.indicators import selectors, services, snapshot
from fupin.indicators.models import Build, BuildState
from fupin.registry import services as registry
from fupin.registry.models import Household
from tests.pdf_font import assert_embeds_project_font

AS_OF = dt.date(2026, 11, 20)
YEAR = 2025


@pytest.fixture
def county(place, household_factory, county_officer):
    """Four households in two villages: monitored, ordinary, registered poor, and one whose risk ended."""

    def monitor(household, category, risks, since, reason="纳入监测"):
        household.refresh_from_db()
        return registry.change_monitoring(
            actor=county_officer,
            household=household,
            expected_version=household.version,
            category=category,
            risk_types=risks,
            effective_from=since,
            reason=reason,
        )

    monitored = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    monitor(monitored, "unstable_lifted", ["illness", "housing"], dt.date(2026, 3, 1))
    registry.save_income(actor=county_officer, household=monitored, year=YEAR, values={"wage": Decimal(5000)})
    ordinary = household_factory(place.village_a1)
    registry.save_income(actor=county_officer, household=ordinary, year=YEAR, values={"wage": Decimal(20000)})
    poor = household_factory(place.village_a2, household_type="poor", status="not_lifted")
    ended = household_factory(place.village_a2, household_type="lifted_out", status="lifted")
    monitor(ended, "marginal", ["disaster"], dt.date(2025, 9, 1))
    monitor(ended, "", [], dt.date(2026, 10, 5), reason="风险消除")
    return {"monitored": monitored, "ordinary": ordinary, "poor": poor, "ended": ended}


def test_facts_say_what_the_registry_holds(county):
    facts = {row["household_id"]: row for row in snapshot.facts(AS_OF).to_pylist()}
    monitored = facts[county["monitored"].pk]
    assert monitored["monitoring_category"] == "unstable_lifted"
    bits = (1 << ind.RISK_TYPES.index("illness")) | (1 << ind.RISK_TYPES.index("housing"))
    assert monitored["risk_mask"] == bits
    assert monitored["monitored_since"] == dt.date(2026, 3, 1)
    assert monitored["per_capita_income"] == float(county["monitored"].incomes.get().per_capita_net_income)
    assert monitored["people"] == 1 and monitored["labourers"] == 1
    ended = facts[county["ended"].pk]
    assert (ended["monitored_since"], ended["eliminated_on"]) == (dt.date(2025, 9, 1), dt.date(2026, 10, 5))
    assert ended["monitoring_category"] == "" and ended["risk_mask"] == 0
    assert facts[county["poor"].pk]["registered_poor"] is True
    assert facts[county["ordinary"].pk]["registered_poor"] is False
    assert facts[county["ordinary"].pk]["monitored_since"] is None


def test_rebuilt_figures_equal_the_registry_at_every_level(county, place):
    build = services.rebuild(as_of=AS_OF, trigger="test")
    assert build.state == BuildState.CURRENT and build.households == 4
    county_row = selectors.figures(build, "220822").values
    assert county_row["households"] == Household.objects.count() == 4
    assert county_row["monitored_households"] == 1
    assert county_row["households_status_not_lifted"] == 1 and county_row["households_status_lifted"] == 2
    assert county_row["risk_illness_households"] == 1 and county_row["risk_disaster_households"] == 0
    assert county_row["eliminated_households"] == 1 and county_row["share_eliminated"] == 0.5
    assert county_row["registered_poor_people"] == 1 and county_row["incidence"] == 0.25
    assert county_row["exit_passes"] is False and county_row["villages_failing"] == 1
    village_a2 = selectors.figures(build, place.village_a2.code).values
    assert village_a2["exit_passes"] is False and village_a2["exit_people_to_lift"] == 1
    assert selectors.figures(build, place.village_a1.code).values["exit_passes"] is True
    # The province and the nation hold the same households as the county (nothing else is registered).
    for code in ("22", "2208", ""):
        assert selectors.figures(build, code).values["households"] == 4
    nation = selectors.figures(build, "")
    assert [m for m in nation.months if m[0] == 202610] == [[202610, 0, 1]]


def test_one_build_per_month_is_kept_and_the_newest_is_current(county):
    november = services.rebuild(as_of=AS_OF, trigger="test")
    again = services.rebuild(as_of=AS_OF + dt.timedelta(days=2), trigger="test")
    # The month's older build stays while pages may still be reading it, until the next rebuild starts.
    assert Build.objects.get(pk=november.pk).state == BuildState.KEPT
    december = services.rebuild(as_of=dt.date(2026, 12, 3), trigger="test")
    assert not Build.objects.filter(pk=november.pk).exists()
    assert selectors.current_build() == december
    assert Build.objects.get(pk=again.pk).state == BuildState.KEPT
    assert [period for period, _ in selectors.history("220822")] == ["2026-11", "2026-12"]
    assert selectors.build_of_month("2026-11") == Build.objects.get(pk=again.pk)


def test_figures_of_a_past_day_or_an_older_snapshot_do_not_replace_the_current_ones(county):
    current = services.rebuild(as_of=AS_OF, trigger="test")
    past = services.rebuild(as_of=dt.date(2026, 10, 31), trigger="test")
    assert selectors.current_build() == current
    assert Build.objects.get(pk=past.pk).state == BuildState.KEPT
    assert selectors.build_of_month("2026-10") == past
    # Two rebuilds of the same day: the one that started later wins, whichever finishes last.
    early = Build.objects.create(period="2026-11", as_of=AS_OF, trigger="test")
    late = services.rebuild(as_of=AS_OF, trigger="test")
    services.rebuild(as_of=AS_OF, trigger="test", build=early)
    assert selectors.current_build() == late


def test_a_failed_rebuild_leaves_the_figures_as_they_were(county):
    good = services.rebuild(as_of=AS_OF, trigger="test")
    broken = pa.table({"household_id": pa.array([1], pa.int64())})
    with pytest.raises(TableError):
        services.rebuild(as_of=AS_OF, trigger="test", facts=broken)
    assert selectors.current_build() == good
    failed = Build.objects.get(state=BuildState.FAILED)
    assert "lacks columns" in failed.error


def test_area_page_shows_the_figures_and_the_areas_below(client, county, county_officer, place):
    services.rebuild(as_of=AS_OF, trigger="test")
    client.force_login(county_officer)
    response = client.get(reverse("dashboard:area", args=["220822"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert place.township_a.name in body and place.township_b.name in body
    assert "2026-11-20" in body  # data as of
    assert 'id="chart-trend"' in body and "dashboard-charts" in body
    # The township without households is listed, and says so.
    assert re.search(rf"{place.township_b.name}</a></th>\s*<td colspan=\"\d+\" class=\"muted\">", body)
    # Another line, measured by every build: chosen on the page without a rebuild.
    client.cookies["django_language"] = "en"
    at_7500 = client.get(reverse("dashboard:area", args=["220822"]), {"line": "at_7500"}).content.decode()
    assert "Income and poverty (against the line of 7,500 yuan)" in at_7500
    home = client.get(reverse("dashboard:home"))
    assert home.status_code == 302 and home["Location"].endswith("/dashboard/220822/")


def test_areas_outside_the_scope_are_not_found(client, county, make_user, place):
    services.rebuild(as_of=AS_OF, trigger="test")
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    client.force_login(cadre)
    assert client.get(reverse("dashboard:area", args=[place.village_a1.code])).status_code == 200
    for code in ("220822", place.township_a.code, place.village_a2.code, "22", "999999"):
        assert client.get(reverse("dashboard:area", args=[code])).status_code == 404, code
        assert client.get(reverse("dashboard:exit", args=[code])).status_code == 404, code
    assert client.get(reverse("dashboard:map", args=["2208"])).status_code == 404


def test_province_viewer_drills_down_with_a_map(client, county, make_user):
    services.rebuild(as_of=AS_OF, trigger="test")
    viewer = make_user(Role.PROVINCE_VIEWER, "22")
    client.force_login(viewer)
    page = client.get(reverse("dashboard:area", args=["2208"]), {"indicator": "incidence"})
    assert page.status_code == 200 and 'id="chart-map"' in page.content.decode()
    shapes = client.get(reverse("dashboard:map", args=["2208"])).json()
    assert "220822" in {feature["properties"]["code"] for feature in shapes["features"]}
    # Below the prefecture there are no boundaries: the map marks where the county lies, and its
    # townships are ranked.
    county_page = client.get(reverse("dashboard:area", args=["220822"])).content.decode()
    assert 'data-mode="place"' in county_page and 'class="table compact ranked"' in county_page


def test_exit_assessment_names_the_households_that_keep_a_village_from_exiting(
    client, county, county_officer, place
):
    services.rebuild(as_of=AS_OF, trigger="test")
    client.force_login(county_officer)
    client.cookies["django_language"] = "en"
    county_page = client.get(reverse("dashboard:exit", args=["220822"])).content.decode()
    # Three villages, one failing (listed first), one passing, one without households.
    assert "1 of 3 do not meet the standard" in county_page
    assert county_page.index(place.village_a2.name) < county_page.index(place.village_a1.name)
    assert "Poverty incidence 25.00% (1 of 4 people); threshold 2.00%." in county_page
    village_page = client.get(reverse("dashboard:exit", args=[place.village_a2.code])).content.decode()
    assert county["poor"].number in village_page
    assert county["ended"].number not in village_page
    before = AuditEntry.objects.filter(action="export").count()
    export = client.get(reverse("dashboard:exit_export", args=[place.village_a2.code]))
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert numbers == [county["poor"].number]
    assert AuditEntry.objects.filter(action="export").count() == before + 1


def test_indicator_export_has_every_indicator_for_the_area_and_below(client, county, county_officer, place):
    services.rebuild(as_of=AS_OF, trigger="test")
    client.force_login(county_officer)
    response = client.get(reverse("dashboard:export", args=["220822"]), {"line": "poverty_line"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert len(header) > 25
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_code) == {"220822", place.township_a.code, place.township_b.code}
    households_column = next(h for h in header if h in ("Households", "户数", "农户"))
    assert by_code["220822"][households_column] == 4
    # The breakdowns the page draws are in the sheet too: one monitored household with illness.
    illness = next(h for h in header if "因病" in h)
    assert by_code["220822"][illness] == 1 and by_code[place.township_b.code][illness] is None
    assert any("删减后的贫困发生率" in h for h in header)  # each dimension's censored headcount


def test_monthly_report_is_a_chinese_pdf_without_personal_data(client, county, county_officer):
    services.rebuild(as_of=AS_OF, trigger="test")
    client.force_login(county_officer)
    response = client.get(reverse("dashboard:report", args=["220822"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert_embeds_project_font(response.content)
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "通榆县" in text and "月度报告" in text
    assert not re.search(r"\d{17}[\dX]", text) and "138" not in text.replace("1380", "")
    assert AuditEntry.objects.filter(action="report.print", object_id="220822").exists()
    # A month without figures: back to the page with a message, nothing printed.
    missing = client.get(reverse("dashboard:report", args=["220822"]), {"month": "2019-01"})
    assert missing.status_code == 302


def test_report_command_and_rebuild_command(county, tmp_path):
    output = tmp_path / "report.pdf"
    with pytest.raises(CommandError, match="recalculate"):
        call_command("report", "--area", "220822", "-o", str(output))
    assert not output.exists()
    call_command("indicators", "rebuild", "--as-of", "2026-11-20")
    assert selectors.current_build().as_of == AS_OF
    with pytest.raises(CommandError, match="not a date"):
        call_command("indicators", "rebuild", "--as-of", "20 November")
    call_command("report", "--area", "220822", "--month", "2026-11", "-o", str(output))
    text = "".join(page.extract_text() or "" for page in PdfReader(str(output)).pages)
    assert "通榆县" in text and "2026-11" in text
    for bad, message in (
        (["--area", "999999"], "999999"),
        (["--area", "220822", "--month", "2026-13"], "YYYY-MM"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("report", *bad, "-o", str(tmp_path / "other.pdf"))
    assert not (tmp_path / "other.pdf").exists()


def test_rebuild_button_needs_the_capability(client, county, make_user, county_officer, place):
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    client.force_login(cadre)
    assert client.post(reverse("dashboard:rebuild")).status_code == 403
    assert not Build.objects.exists()
    client.force_login(county_officer)
    response = client.post(reverse("dashboard:rebuild"), {"next": "/dashboard/220822/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/220822/"
    assert selectors.current_build() is not None
    # A build left "being built" by a process that died does not block the button for ever.
    Build.objects.create(period="2026-11", as_of=AS_OF, state=BuildState.BUILDING)
    Build.objects.filter(state=BuildState.BUILDING).update(started_at=timezone.now() - dt.timedelta(hours=3))
    assert services.rebuild_running() is False
    assert Build.objects.filter(error__startswith="abandoned").count() == 1
    status = client.get(reverse("dashboard:status")).content.decode()
    assert "2026" in status or str(dt.date.today().year) in status


def test_an_import_rebuilds_the_figures(county, settings, django_capture_on_commit_callbacks):
    from fupin.exchange.importer import import_file

    settings.INDICATORS_AUTO_REBUILD = True
    csv = "户编号,村代码,户类型,户状态\n2208221002019001,220822100201,一般农户,正常\n"
    with django_capture_on_commit_callbacks(execute=True):
        import_file("cli", "households", csv.encode(), "h.csv")
    build = selectors.current_build()
    assert build is not None and build.trigger == "import" and build.households == 5


def test_a_command_rebuilds_once_at_its_end_not_in_a_thread(county, settings):
    from fupin.core.signals import announce, announced_at_the_end

    settings.INDICATORS_AUTO_REBUILD = True
    settings.INDICATORS_IN_BACKGROUND = True  # a command must not leave the work to a thread
    with announced_at_the_end():
        announce(None, "import")
        announce(None, "screening")
        assert not Build.objects.exists()  # nothing yet: the command is still working
    builds = list(Build.objects.all())
    assert len(builds) == 1 and builds[0].state == BuildState.CURRENT
    assert builds[0].trigger == "import,screening"


def test_a_user_of_several_provinces_starts_from_the_map_of_china(client, county, make_user):
    services.rebuild(as_of=AS_OF, trigger="test")
    viewer = make_user(Role.PROVINCE_VIEWER, "22", "52")
    client.force_login(viewer)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("dashboard:home"), {"indicator": "households"}).content.decode()
    assert 'id="chart-map"' in body and reverse("dashboard:map", args=["nation"]) in body
    assert "吉林省" in body and "贵州省" in body
    # Every province that has figures is theirs, so they see the nation's figures as well.
    assert 'aria-label="The nation"' in body
    shapes = client.get(reverse("dashboard:map", args=["nation"])).json()
    assert {"22", "52"} <= {feature["properties"]["code"] for feature in shapes["features"]}
    only_guizhou = make_user(Role.PROVINCE_VIEWER, "52", "53")
    client.force_login(only_guizhou)
    assert 'aria-label="The nation"' not in client.get(reverse("dashboard:home")).content.decode()


def test_facts_count_members_measures_helpers_and_cases(county, county_officer, village_cadre, place):
    from fupin.assistance.models import Measure
    from fupin.registry.models import Member
    from fupin.twinning.models import Assignment, Helper
    from tests.casework import raise_clue

    household = county["monitored"]
    head = household.members.get()
    registry.add_member(
        actor=county_officer,
        household=household,
        values={
            "name": "辍学孩子",
            "sex": "F",
            "birth_date": AS_OF.replace(year=AS_OF.year - 12),
            "relation": "child",
            "labour_capacity": "none",
            "schooling_status": "dropped_out",
            "basic_medical_insurance": False,
        },
    )
    left = registry.add_member(
        actor=county_officer,
        household=household,
        values={
            "name": "已迁出",
            "sex": "M",
            "birth_date": dt.date(1990, 1, 1),
            "relation": "child",
            "labour_capacity": "ordinary",
        },
    )
    Member.objects.filter(pk=left.pk).update(exit_reason="moved_out")
    Measure.objects.create(household=household, category="industry", status="in_progress")
    Measure.objects.create(household=county["ordinary"], category="medical_insurance", status="stopped")
    helper = Helper.objects.create(name="帮扶人", unit="县农业局", rank="section", area=place.county)
    Assignment.objects.create(helper=helper, household=household, started_on=dt.date(2026, 3, 2))
    case = raise_clue(village_cadre, county["ordinary"])
    facts = {
        row["household_id"]: row
        for row in snapshot.facts(case.decision_due + dt.timedelta(days=1)).to_pylist()
    }
    row = facts[household.pk]
    assert (row["people"], row["labourers"]) == (
        2,
        1,
    )  # the head and the child; the one who left is not counted
    assert row["dep_education"] and row["dep_health"] and not row["dep_labour"]
    assert row["has_measure"] and row["has_developmental"] and row["has_helper"]
    ordinary = facts[county["ordinary"].pk]
    assert not ordinary["has_measure"]  # a stopped measure is no measure
    assert (ordinary["open_cases"], ordinary["overdue_cases"]) == (1, 1)
    assert head.name not in str(facts)  # no names leave the registry


def test_a_change_of_monitoring_brings_the_figures_up_to_date(
    county, county_officer, settings, django_capture_on_commit_callbacks
):
    settings.INDICATORS_AUTO_REBUILD = True
    before = services.rebuild(as_of=AS_OF, trigger="test")
    assert selectors.figures(before, "220822").values["monitored_households"] == 1
    household = county["ordinary"]
    household.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        registry.change_monitoring(
            actor=county_officer,
            household=household,
            expected_version=household.version,
            category="sudden_difficulty",
            risk_types=["accident"],
            effective_from=AS_OF,
            reason="意外事故",
        )
    after = selectors.current_build()
    assert after != before and after.trigger == "monitoring"
    assert selectors.figures(after, "220822").values["monitored_households"] == 2


def test_cancelled_households_and_unconfirmed_inclusions_are_not_counted(
    county, county_officer, household_factory
):
    from fupin.cases.models import Case

    cancelled = household_factory(household_type="poor", status="cancelled")
    household = county["ended"]
    # The monitoring that ended on 2026-10-05 began with a fast track the county then refused.
    Case.objects.create(
        household=household,
        kind="identification",
        channel="visit",
        state="rejected",
        opened_on=dt.date(2025, 9, 1),
        decision_due=dt.date(2025, 9, 16),
        step_due=dt.date(2025, 9, 16),
        fast_tracked_on=dt.date(2025, 9, 1),
    )
    facts = {row["household_id"]: row for row in snapshot.facts(AS_OF).to_pylist()}
    assert cancelled.pk not in facts
    assert facts[household.pk]["eliminated_on"] is None  # monitoring ended, but no risk was eliminated
    build = services.rebuild(as_of=AS_OF, trigger="test")
    county_row = selectors.figures(build, "220822").values
    assert county_row["households"] == 4 and county_row["eliminated_households"] == 0
    months = {month: eliminated for month, _, eliminated in selectors.figures(build, "").months}
    assert months.get(202610, 0) == 0  # nor in the trend


def test_the_trend_counts_every_spell_not_only_the_last(county, county_officer):
    household = county["ordinary"]
    for category, risks, day in (
        ("marginal", ["illness"], dt.date(2026, 2, 10)),
        ("", [], dt.date(2026, 4, 20)),
        ("marginal", ["accident"], dt.date(2026, 9, 1)),
    ):
        household.refresh_from_db()
        registry.change_monitoring(
            actor=county_officer,
            household=household,
            expected_version=household.version,
            category=category,
            risk_types=risks,
            effective_from=day,
            reason="测试",
        )
    build = services.rebuild(as_of=AS_OF, trigger="test")
    months = {month: (taken, eliminated) for month, taken, eliminated in selectors.figures(build, "").months}
    assert months[202602] == (1, 0) and months[202604] == (0, 1) and months[202609] == (1, 0)
    assert months[202603] == (1, 0)  # county["monitored"], taken in on 2026-03-01
    assert months[202610] == (0, 1)  # county["ended"]


def _laid_out(html: str, folder) -> Any:
    """The WeasyPrint layout of a paper's HTML, with the project's font (as html_to_pdf prints it)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from fupin.core.fonts import font_face_css, write_font_for

    font = folder / "paper.otf"
    write_font_for(html, font)
    config = FontConfiguration()
    css = weasyprint.CSS(string=font_face_css(font), font_config=config)
    return weasyprint.HTML(string=html).render(stylesheets=[css], font_config=config)


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def test_report_headings_have_room_for_words_and_its_charts_have_axis_titles(
    county, county_officer, place, tmp_path
):
    from django.template.loader import render_to_string
    from django.utils import translation

    from fupin.core.fonts import PDF_FONT_FAMILY
    from fupin.dashboard import report

    services.rebuild(as_of=AS_OF, trigger="test")
    county_area = place.village_a1.parent.parent
    for area in (county_area, place.township_a):
        with translation.override("zh-hans"):
            context = report.context(county_officer, area, None)
            html = render_to_string("dashboard/report.html", {**context, "pdf_font_family": PDF_FONT_FAMILY})
        # Every chart names both its axes and marks its values on a scale.
        for chart in ("trend_svg", "category_svg", "risk_svg"):
            titles = re.findall(r'<text class="axis-title"[^>]*>([^<]+)</text>', context[chart])
            assert len(titles) == 2 and all(titles), chart
            assert len(re.findall(r'<text class="tick"', context[chart])) >= 2, chart
        assert "月份" in html and "监测户数" in html
        # Each table heading is at least three characters wide and takes at most three lines.
        headings = 0
        for page in _laid_out(html, tmp_path).pages:
            for box in _boxes(page._page_box):
                if type(box).__name__ != "TableCellBox" or box.element_tag != "th":
                    continue
                headings += 1
                text = "".join(b.text for b in _boxes(box) if type(b).__name__ == "TextBox")
                lines = sum(1 for b in _boxes(box) if type(b).__name__ == "LineBox")
                em = box.style["font_size"]
                assert box.width >= 3 * em and lines <= 3, (text, box.width / em, lines)
        assert headings >= 9


def test_the_report_pdf_prints_the_axis_titles(client, county, county_officer):
    services.rebuild(as_of=AS_OF, trigger="test")
    client.force_login(county_officer)
    response = client.get(reverse("dashboard:report", args=["220822"]))
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "月份" in text and "风险类型" in text


def test_a_county_page_maps_where_the_county_lies_and_a_lone_month_is_a_marked_point(
    client, county, county_officer, place
):
    services.rebuild(as_of=AS_OF, trigger="test")
    client.force_login(county_officer)
    client.cookies["django_language"] = "en"
    for code in ("220822", place.township_a.code):
        body = client.get(reverse("dashboard:area", args=[code])).content.decode()
        assert 'id="chart-map"' in body and 'data-mode="place"' in body, code
        assert "the map marks 通榆县 among the areas of 白城市" in body, code
        shapes = client.get(reverse("dashboard:map", args=[code])).json()
        marked = [f["properties"]["code"] for f in shapes["features"] if f["properties"]["current"]]
        assert marked == ["220822"] and shapes["within"] == "2208"
        assert len(shapes["features"]) == 5  # 白城市's five counties, names and shapes only
    # Only one month of stored figures: the month-end line is one point, drawn marked and said so.
    body = client.get(reverse("dashboard:area", args=["220822"])).content.decode()
    charts = json.loads(
        re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', body, re.S)[1]
    )
    assert [v for v in charts["trend"]["monitored"] if v is not None] == [1]
    assert charts["trend"]["sparse"] is True and charts["trend"]["monitored_months"] == 1
    assert "so far only for 2026-11: the line is a single point" in body
    # The income bands are drawn as horizontal bars (their labels one under another), see test_browser.
    assert len(charts["income"]["labels"]) == len(set(charts["income"]["labels"]))
