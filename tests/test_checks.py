"""The registry-wide data checks (fupin.checks): each check alone, the command and the pages.

Every check has a household that fails it and one that passes, and the failing household fails that
check and no other: ``failed_by`` runs the whole catalogue over the county for one household.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.translation import override as translation_override
from openpyxl import load_workbook

from fupin.accounts.roles import Role
from fupin.assistance.models import Measure
from fupin.audit.models import AuditEntry
from fupin.checks import catalogue
from fupin.checks.catalogue import CheckContext, years_before
from fupin.registry import services
from fupin.registry.models import Household, Member

TODAY = dt.date.today()
LAST_YEAR = TODAY.year - 1


def born(age: int, days: int = 30) -> dt.date:
    """A birth date giving ``age`` today (a month past the birthday)."""
    return years_before(TODAY, age) - dt.timedelta(days=days)


def failed_by(household: Household) -> set[str]:
    """The codes of every check the household (or one of its members, measures, incomes) fails."""
    ctx = CheckContext.for_area(household.village.parent.parent)
    failed = set()
    for check in catalogue.CATALOGUE:
        queryset = check.failing(ctx)
        mine = (
            queryset.filter(pk=household.pk)
            if check.target == "household"
            else queryset.filter(household=household)
        )
        if mine.exists():
            failed.add(check.code)
    return failed


def member(household: Household, **values) -> Member:
    """A member written straight to the table: the checks find what imports and old data hold."""
    defaults = {
        "name": "成员",
        "sex": "F",
        "birth_date": born(40),
        "relation": "spouse",
        "labour_capacity": "ordinary",
    }
    return Member.objects.create(household=household, **{**defaults, **values})


def head_of(household: Household) -> Member:
    return household.members.get(relation="head")


def change(instance, **values) -> None:
    type(instance).objects.filter(pk=instance.pk).update(**values)


def measure(household: Household, category: str, risks: str = "", **values) -> Measure:
    defaults = {"status": "in_progress", "started_on": TODAY - dt.timedelta(days=400)}
    return Measure.objects.create(
        household=household,
        category=category,
        risk_types=f",{risks}," if risks else "",
        **{**defaults, **values},
    )


@pytest.fixture
def ordinary(household_factory):
    """A household that passes every check: ordinary, not monitored, a working head, a mobile phone."""
    return household_factory


@pytest.fixture
def lifted(household_factory):
    """A lifted-out household (not monitored) that passes every check: the people whose schooling and
    insurance the national system checks."""

    def make(village=None, **values):
        return household_factory(village, household_type="lifted_out", status="lifted", **values)

    return make


@pytest.fixture
def monitored(household_factory, county_officer):
    """A monitored household whose plan is complete: a working head, a health measure against
    illness and an industry measure; it passes every check."""

    def make(risks=("illness",), *, with_measures=True, **values):
        household = household_factory(household_type="lifted_out", status="lifted", **values)
        household = services.change_monitoring(
            actor=county_officer,
            household=household,
            expected_version=household.version,
            category="unstable_lifted",
            risk_types=list(risks),
            effective_from=TODAY - dt.timedelta(days=200),
            reason="核实",
        )
        if with_measures:
            measure(household, "health", "illness")
            measure(household, "industry")
        return household

    return make


def test_the_catalogue_has_named_checks_with_texts_in_both_languages():
    from django.utils import translation

    assert 12 <= len(catalogue.CATALOGUE) <= 16
    assert len(catalogue.CHECKS) == len(catalogue.CATALOGUE)
    for check in catalogue.CATALOGUE:
        assert check.severity in ("error", "warning") and check.target in (
            "household",
            "member",
            "measure",
            "income",
        )
        for text in (check.title, check.explanation, check.fix):
            with translation.override("en"):
                english = str(text)
            with translation.override("zh-hans"):
                chinese = str(text)
            assert english and chinese != english, (check.code, english)


def test_the_base_households_pass_every_check(ordinary, lifted, monitored):
    assert failed_by(ordinary()) == set()
    assert failed_by(lifted()) == set()
    assert failed_by(monitored()) == set()
    assert failed_by(monitored(("illness", "housing"), with_measures=False)) == {"monitored_without_measure"}


# ---------------------------------------------------------------- members


@pytest.mark.parametrize(
    ("age", "labour", "fails"),
    [
        (10, "ordinary", True),
        (6, "weak", True),
        (15, "skilled", True),
        (75, "ordinary", True),
        (71, "skilled", True),
        (10, "none", False),
        (16, "ordinary", False),
        (70, "ordinary", False),
        (75, "weak", False),
        (75, "lost", False),
    ],
)
def test_labour_age(ordinary, age, labour, fails):
    household = ordinary()
    in_school = 6 <= age <= 15
    member(
        household,
        relation="child" if age < 30 else "parent",
        birth_date=born(age),
        labour_capacity=labour,
        schooling_status="in_school" if in_school else "not_applicable",
        school_level="primary" if in_school else "",
    )
    assert failed_by(household) == ({"labour_age"} if fails else set())


@pytest.mark.parametrize(
    ("age", "status", "fails"),
    [
        (10, "dropped_out", True),
        (7, "never_enrolled", True),
        (6, "not_applicable", True),
        (12, "graduated", True),
        (15, "dropped_out", True),
        (10, "in_school", False),
        (15, "graduated", False),
        (16, "dropped_out", False),
        (5, "not_applicable", False),
    ],
)
def test_school_age_out_of_school(lifted, age, status, fails):
    household = lifted()
    member(household, relation="child", birth_date=born(age), labour_capacity="none", schooling_status=status)
    assert failed_by(household) == ({"school_age_out_of_school"} if fails else set())


def test_school_ages_come_from_the_policy_pack(lifted, place):
    household = lifted()
    member(
        household,
        relation="child",
        birth_date=born(16),
        labour_capacity="none",
        schooling_status="dropped_out",
    )
    ctx = CheckContext(area=place.county, today=TODAY, school_age_from=6, school_age_to=17)
    assert catalogue.get("school_age_out_of_school").failing(ctx).filter(household=household).exists()


def test_no_medical_insurance(lifted, ordinary, monitored):
    failing, passing, also_failing = lifted(), lifted(), monitored()
    change(head_of(failing), basic_medical_insurance=False)
    member(passing, basic_medical_insurance=True)
    member(also_failing, basic_medical_insurance=False)
    assert failed_by(failing) == {"no_medical_insurance"}
    assert failed_by(also_failing) == {"no_medical_insurance"}
    assert failed_by(passing) == set()
    screened = ordinary()  # an uninsured person in an ordinary household is a risk for screening
    change(head_of(screened), basic_medical_insurance=False)
    assert failed_by(screened) == set()


def test_a_member_who_left_is_not_checked(lifted):
    household = lifted()
    member(household, basic_medical_insurance=False, exit_reason="deceased", exit_date=TODAY)
    assert failed_by(household) == set()


def test_head_and_spouse_of_the_same_sex(ordinary):
    failing, passing = ordinary(head_sex="M"), ordinary(head_sex="M")
    spouse = member(failing, sex="M")
    member(passing, sex="F")
    assert failed_by(failing) == {"head_spouse_same_sex"}
    assert failed_by(passing) == set()
    ctx = CheckContext.for_area(failing.village)
    assert list(catalogue.get("head_spouse_same_sex").failing(ctx)) == [spouse]  # it points at the spouse


def test_several_heads(ordinary):
    failing, passing = ordinary(), ordinary()
    member(failing, relation="head", sex="M")
    member(passing, relation="head", sex="M", exit_reason="deceased", exit_date=TODAY)  # the former head
    assert failed_by(failing) == {"several_heads"}
    assert failed_by(passing) == set()


def test_household_without_a_head(ordinary):
    no_head, empty, passing = ordinary(), ordinary(), ordinary()
    change(head_of(no_head), relation="sibling")
    change(head_of(empty), exit_reason="moved_out", exit_date=TODAY)
    assert failed_by(no_head) == {"no_head"}
    assert failed_by(empty) == {"no_head"}
    assert failed_by(passing) == set()


def test_cancelled_households_are_left_out(ordinary):
    household = ordinary()
    change(head_of(household), exit_reason="deceased", exit_date=TODAY)
    change(household, status="cancelled")
    assert failed_by(household) == set()


# ---------------------------------------------------------------- land and phones


@pytest.mark.parametrize(
    ("land", "fails"),
    [
        ({"cultivated_land_mu": 20, "irrigated_land_mu": 30}, True),
        ({"forest_land_mu": -1}, True),
        ({"cultivated_land_mu": 40, "grassland_mu": 990}, True),
        ({"cultivated_land_mu": 30, "irrigated_land_mu": 30, "grassland_mu": 60}, False),
        ({"cultivated_land_mu": 500, "grassland_mu": 500}, False),
    ],
)
def test_impossible_land_areas(ordinary, land, fails):
    household = ordinary()
    change(household, **{k: Decimal(v) for k, v in land.items()})
    assert failed_by(household) == ({"land_impossible"} if fails else set())


def test_phone_numbers_not_mobiles(ordinary, monitored, county_officer):
    fixed_line, bad_member, unreachable = ordinary(), ordinary(), monitored()
    household = Household.objects.get(pk=fixed_line.pk)
    services.update_household(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        values={},
        phone_number="0436-1234567",
    )
    member(bad_member, phone_masked="1234****90")  # a mistyped number from an old import
    change(unreachable, phone_masked="", phone_enc="", phone_bidx="")
    reachable = monitored()
    change(reachable, phone_masked="", phone_enc="", phone_bidx="")
    member(reachable, phone_masked="139****1234")
    assert Household.objects.get(pk=fixed_line.pk).phone_masked.startswith("0436")
    for household in (fixed_line, bad_member, unreachable):
        assert failed_by(household) == {"phone_not_mobile"}, household.number
    assert failed_by(reachable) == set()
    ordinary_without_phone = ordinary()
    change(ordinary_without_phone, phone_masked="", phone_enc="", phone_bidx="")
    assert failed_by(ordinary_without_phone) == set()  # only a monitored household must be reachable


# ---------------------------------------------------------------- measures


def test_risk_without_a_matching_measure(monitored):
    unanswered = monitored(("illness", "housing"))
    wrong_kind = monitored(("illness",), with_measures=False)
    measure(wrong_kind, "industry", "illness")  # an industry measure does not answer illness
    passing = monitored(("illness", "housing"))
    measure(passing, "relocation", "housing")
    stopped = monitored(("illness", "housing"))
    measure(stopped, "housing", "housing", status="stopped", ended_on=TODAY)
    assert failed_by(unanswered) == {"risk_without_measure"}
    assert failed_by(wrong_kind) == {"risk_without_measure"}
    assert failed_by(stopped) == {"risk_without_measure"}
    assert failed_by(passing) == set()


def test_a_planned_measure_answers_a_risk_as_on_the_plan_page(monitored):
    household = monitored(("illness", "water"))
    measure(household, "water", "water", status="planned", started_on=None)
    assert failed_by(household) == set()


def test_monitored_household_without_any_measure(monitored):
    failing = monitored(with_measures=False)
    only_stopped = monitored(with_measures=False)
    measure(only_stopped, "health", "illness", status="stopped", ended_on=TODAY)
    passing = monitored(with_measures=False)
    measure(passing, "health", "illness", status="planned", started_on=None)
    measure(passing, "industry", status="planned", started_on=None)
    assert failed_by(failing) == {"monitored_without_measure"}
    assert failed_by(only_stopped) == {"monitored_without_measure"}
    assert failed_by(passing) == set()


@pytest.mark.parametrize(
    ("values", "fails"),
    [
        ({"status": "in_progress", "started_on": None}, True),
        ({"status": "done", "started_on": None, "ended_on": TODAY}, True),
        ({"status": "in_progress", "started_on": TODAY + dt.timedelta(days=10)}, True),
        ({"status": "done", "ended_on": None}, True),
        ({"status": "stopped", "started_on": TODAY, "ended_on": TODAY - dt.timedelta(days=3)}, True),
        ({"status": "done", "ended_on": TODAY}, False),
        ({"status": "planned", "started_on": None}, False),
        ({"status": "stopped", "ended_on": TODAY}, False),
    ],
)
def test_measure_without_dates(monitored, values, fails):
    household = monitored()
    measure(household, "social", "illness", **values)
    assert failed_by(household) == ({"measure_without_dates"} if fails else set())


def test_employment_measure_but_no_wage_income(ordinary, county_officer):
    failing, passing, started_later, post = ordinary(), ordinary(), ordinary(), ordinary()
    for household, wage in ((failing, 0), (passing, 8000), (started_later, 0), (post, 0)):
        services.save_income(
            actor=county_officer,
            household=household,
            year=LAST_YEAR,
            values={"wage": Decimal(wage), "transfer": Decimal(3000)},
        )
    measure(failing, "employment", started_on=dt.date(LAST_YEAR, 3, 1))
    measure(passing, "employment", started_on=dt.date(LAST_YEAR, 3, 1))
    measure(started_later, "employment", started_on=dt.date(TODAY.year, 1, 1))  # not yet in the record
    measure(
        post,
        "public_welfare_post",
        status="done",
        started_on=dt.date(LAST_YEAR - 1, 5, 1),
        ended_on=dt.date(LAST_YEAR, 2, 1),
    )
    assert failed_by(failing) == {"job_measure_without_wage"}
    assert failed_by(post) == {"job_measure_without_wage"}
    assert failed_by(passing) == set()
    assert failed_by(started_later) == set()


def test_the_wage_check_reads_the_latest_income_record(ordinary, county_officer):
    household = ordinary()
    for year, wage in ((LAST_YEAR - 1, 0), (LAST_YEAR, 6000)):
        services.save_income(
            actor=county_officer, household=household, year=year, values={"wage": Decimal(wage)}
        )
    measure(household, "employment", started_on=dt.date(LAST_YEAR - 1, 3, 1))
    assert failed_by(household) == set()


def test_employment_measure_where_nobody_can_work(ordinary):
    failing, passing = ordinary(), ordinary()
    # On 低保, so that nobody working is only the post's problem.
    change(head_of(failing), labour_capacity="lost", birth_date=born(66), receives_dibao=True)
    change(head_of(passing), labour_capacity="weak", birth_date=born(66), receives_dibao=True)
    for household in (failing, passing):
        measure(household, "public_welfare_post")
    assert failed_by(failing) == {"job_measure_nobody_works"}
    assert failed_by(passing) == set()


def test_household_that_can_work_without_a_developmental_measure(monitored):
    only_health = monitored(with_measures=False)
    measure(only_health, "health", "illness")
    only_security = monitored(("disability",), with_measures=False)
    measure(only_security, "comprehensive_security", "disability")
    passing = monitored(("disability",), with_measures=False)
    measure(passing, "comprehensive_security", "disability")
    measure(passing, "microcredit")
    assert failed_by(only_health) == {"labour_without_developmental_measure"}
    assert failed_by(only_security) == {"labour_without_developmental_measure"}
    assert failed_by(passing) == set()


def test_no_labour_and_no_minimum_allowance(monitored, ordinary):
    failing = monitored(with_measures=False)
    measure(failing, "health", "illness")
    change(head_of(failing), labour_capacity="lost", birth_date=born(68))
    passing = monitored(with_measures=False)
    measure(passing, "health", "illness")
    change(head_of(passing), labour_capacity="lost", birth_date=born(68), receives_dibao=True)
    not_in_plan = ordinary()  # an ordinary household that is not monitored needs no plan
    change(head_of(not_in_plan), labour_capacity="lost", birth_date=born(68))
    assert failed_by(failing) == {"no_labour_no_allowance"}
    assert failed_by(passing) == set()
    assert failed_by(not_in_plan) == set()


def test_minimum_allowance_in_an_ordinary_household_with_high_income(
    ordinary, household_factory, county_officer
):
    failing, passing, earlier, lifted_out = (
        ordinary(),
        ordinary(),
        ordinary(),
        household_factory(household_type="lifted_out", status="lifted"),
    )
    measure(lifted_out, "industry")
    incomes = {failing: [30000], passing: [10000], earlier: [30000, 9000], lifted_out: [30000]}
    for household, wages in incomes.items():
        change(head_of(household), receives_dibao=True)
        for offset, wage in enumerate(wages):
            services.save_income(
                actor=county_officer,
                household=household,
                year=LAST_YEAR - len(wages) + 1 + offset,
                values={"wage": Decimal(wage)},
            )
    assert failed_by(failing) == {"dibao_high_income"}
    assert failed_by(passing) == set()
    assert failed_by(earlier) == set()  # the latest record counts
    assert failed_by(lifted_out) == set()  # only ordinary households


def test_measure_checks_agree_with_the_plan_rules(monitored, ordinary):
    """What the plan page says about one household, the checks say across the registry."""
    from fupin.assistance.selectors import plan_problems

    unanswered = monitored(("illness", "housing"))
    no_developmental = monitored(with_measures=False)
    measure(no_developmental, "health", "illness")
    no_allowance = monitored(with_measures=False)
    measure(no_allowance, "health", "illness")
    change(head_of(no_allowance), labour_capacity="none", birth_date=born(80))
    no_start = monitored()
    measure(no_start, "social", "illness", started_on=None)
    nobody_works = ordinary()
    measure(nobody_works, "employment")
    change(head_of(nobody_works), labour_capacity="lost")
    expected = {
        unanswered: ("risk_without_measure", {"risk_unanswered"}),
        no_developmental: ("labour_without_developmental_measure", {"no_developmental", "only_security"}),
        no_allowance: ("no_labour_no_allowance", {"no_allowance"}),
        no_start: ("measure_without_dates", {"no_start_date"}),
        nobody_works: ("job_measure_nobody_works", {"work_without_labour"}),
    }
    for household, (check_code, rule_codes) in expected.items():
        household = Household.objects.get(pk=household.pk)
        assert check_code in failed_by(household)
        assert rule_codes & {problem.code for problem in plan_problems(household)}, check_code
    complete = Household.objects.get(pk=monitored().pk)
    assert not [p for p in plan_problems(complete) if p.is_error]
    assert failed_by(complete) == set()


# ---------------------------------------------------------------- the command


def test_the_command_prints_counts_per_check_in_both_languages_and_writes_excel(lifted, place, tmp_path):
    failing = lifted()
    change(head_of(failing), basic_medical_insurance=False)
    lifted(place.village_b1)
    out = StringIO()
    target = tmp_path / "checks.xlsx"
    call_command("data_checks", "--area", "220822", "--xlsx", str(target), stdout=out)
    text = out.getvalue()
    assert "no_medical_insurance" in text and "未参加基本医疗保险" in text
    assert "Member without basic medical insurance" in text
    line = next(row for row in text.splitlines() if "no_medical_insurance" in row)
    assert " 1 " in line
    assert all(check.code in text for check in catalogue.CATALOGUE)

    sheets = load_workbook(target, read_only=True)
    summary, rows = (list(sheet.iter_rows(values_only=True)) for sheet in sheets.worksheets)
    assert len(summary) == 1 + len(catalogue.CATALOGUE)
    assert [row[6] for row in rows[1:]] == [failing.number]
    assert rows[1][0] == "no_medical_insurance" and rows[1][8] == head_of(failing).name
    flat = " ".join(str(cell) for row in rows for cell in row)
    assert "13812345678" not in flat
    entry = AuditEntry.objects.filter(action="export", object_type="data_check").latest("id")
    assert entry.actor_name == "fupin check" and entry.changes["rows"] == 1 and entry.area_code == "220822"


def test_the_command_runs_one_check_over_a_village_and_refuses_unknown_areas(ordinary, place):
    failing = ordinary(place.village_a2)
    change(failing, irrigated_land_mu=Decimal(50))
    out = StringIO()
    call_command("data_checks", "--area", place.village_a2.code, "--check", "land_impossible", stdout=out)
    assert "land_impossible" in out.getvalue() and "no_medical_insurance" not in out.getvalue()
    clean = StringIO()
    call_command("data_checks", "--area", place.village_b1.code, "--check", "land_impossible", stdout=clean)
    assert "No problems found" in clean.getvalue()
    with pytest.raises(CommandError):
        call_command("data_checks", "--area", "999999", stdout=StringIO())


def test_fupin_check_is_the_data_checks_command():
    from fupin.cli import ALIASES

    assert ALIASES["check"] == "data_checks" and ALIASES["system-check"] == "check"


# ---------------------------------------------------------------- the pages


def _login(client, user):
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def test_the_county_sees_every_check_with_its_count_and_the_failures_with_links(
    client, lifted, county_officer
):
    failing = lifted()
    uninsured = head_of(failing)
    change(uninsured, basic_medical_insurance=False)
    _login(client, county_officer)
    page = client.get(reverse("checks:overview")).content.decode()
    for check in catalogue.CATALOGUE:
        assert reverse("checks:detail", args=[check.code]) in page
    assert "1 errors and 0 warnings" in page

    detail = client.get(reverse("checks:detail", args=["no_medical_insurance"]), {"area": "220822"})
    body = detail.content.decode()
    assert detail.status_code == 200
    assert failing.number in body and uninsured.name in body
    assert reverse("web:household", args=[failing.pk]) in body
    assert reverse("web:member_edit", args=[uninsured.pk]) in body
    assert "Records failing this check: 1" in body


def test_fix_links_go_to_the_plan_the_income_or_the_household_form(
    client, ordinary, monitored, county_officer
):
    no_measure = monitored(with_measures=False)
    land = ordinary()
    change(land, irrigated_land_mu=Decimal(99))
    _login(client, county_officer)
    body = client.get(reverse("checks:detail", args=["monitored_without_measure"])).content.decode()
    assert reverse("assistance:plan", args=[no_measure.pk]) in body
    body = client.get(reverse("checks:detail", args=["land_impossible"])).content.decode()
    assert reverse("web:household_edit", args=[land.pk]) in body


def test_a_clean_area_says_no_problems_were_found(client, county_officer, ordinary):
    ordinary()
    _login(client, county_officer)
    assert "No problems found in" in client.get(reverse("checks:overview")).content.decode()
    detail = client.get(reverse("checks:detail", args=["several_heads"])).content.decode()
    assert "No problems found: every record in" in detail


def test_the_list_is_paginated(client, county_officer, lifted, monkeypatch):
    from fupin.checks import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    households = [lifted() for _ in range(3)]
    for household in households:
        change(head_of(household), basic_medical_insurance=False)
    _login(client, county_officer)
    url = reverse("checks:detail", args=["no_medical_insurance"])
    first = client.get(url, {"area": "220822"}).content.decode()
    second = client.get(url, {"area": "220822", "page": 2}).content.decode()
    assert households[0].number in first and households[2].number not in first
    assert households[2].number in second and "Page 2 of 2" in second


def test_out_of_scope_data_is_never_counted_or_listed(client, make_user, lifted, place):
    inside, outside = lifted(place.village_a1), lifted(place.village_a2)
    for household in (inside, outside):
        change(head_of(household), basic_medical_insurance=False)
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    _login(client, cadre)
    overview = client.get(reverse("checks:overview")).content.decode()
    assert "1 errors and 0 warnings" in overview
    assert f'value="{place.county.code}"' not in overview  # only areas inside the scope are offered
    detail = client.get(reverse("checks:detail", args=["no_medical_insurance"])).content.decode()
    assert inside.number in detail and outside.number not in detail
    assert reverse("web:member_edit", args=[head_of(inside).pk]) in detail
    for area in (place.county.code, place.township_a.code, place.village_a2.code, "999999999999"):
        assert client.get(reverse("checks:overview"), {"area": area}).status_code == 404, area
        assert (
            client.get(reverse("checks:detail", args=["no_medical_insurance"]), {"area": area}).status_code
            == 404
        )


def test_a_township_officer_checking_the_county_sees_only_the_township(client, make_user, lifted, place):
    inside, outside = lifted(place.village_a2), lifted(place.village_b1)
    for household in (inside, outside):
        change(head_of(household), basic_medical_insurance=False)
    officer = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    _login(client, officer)
    body = client.get(reverse("checks:detail", args=["no_medical_insurance"])).content.decode()
    assert inside.number in body and outside.number not in body


def test_a_viewer_sees_failures_without_fix_buttons(client, make_user, lifted, place):
    failing = lifted()
    change(head_of(failing), basic_medical_insurance=False)
    viewer = make_user(Role.PROVINCE_VIEWER, "22")
    _login(client, viewer)
    body = client.get(
        reverse("checks:detail", args=["no_medical_insurance"]), {"area": "220822"}
    ).content.decode()
    assert failing.number in body and reverse("web:member_edit", args=[head_of(failing).pk]) not in body


def test_a_user_without_an_area_is_told_so(client, make_user):
    nobody = make_user(Role.COUNTY_OFFICER)
    _login(client, nobody)
    assert "No area is granted" in client.get(reverse("checks:overview")).content.decode()
    assert client.get(reverse("checks:detail", args=["no_head"])).status_code == 404
    assert client.get(reverse("checks:export")).status_code == 404


def test_an_unknown_check_is_not_found(client, county_officer):
    _login(client, county_officer)
    assert client.get(reverse("checks:detail", args=["no_such_check"])).status_code == 404
    assert client.get(reverse("checks:export"), {"check": "no_such_check"}).status_code == 404


def test_the_export_is_masked_scoped_and_audited(client, make_user, lifted, place):
    from fupin.checks.views import XLSX

    inside, outside = lifted(place.village_a1), lifted(place.village_b1)
    for household in (inside, outside):
        change(head_of(household), basic_medical_insurance=False)
    member(inside, name="=HYPERLINK(1)", basic_medical_insurance=False)
    officer = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    _login(client, officer)
    response = client.get(reverse("checks:export"), {"check": "no_medical_insurance"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert {row[6] for row in rows[1:]} == {inside.number}
    assert "'=HYPERLINK(1)" in {row[8] for row in rows[1:]}  # a formula in a name is defused
    flat = " ".join(str(cell) for row in rows for cell in row)
    assert "13812345678" not in flat and outside.number not in flat
    entry = AuditEntry.objects.filter(action="export", object_type="data_check").latest("id")
    assert entry.actor_id == officer.pk and entry.area_code == place.township_a.code
    assert entry.changes == {
        "format": "xlsx",
        "rows": 2,
        "area_code": place.township_a.code,
        "checks": ["no_medical_insurance"],
    }


def test_only_roles_that_export_may_download(client, village_cadre, ordinary):
    ordinary()
    _login(client, village_cadre)
    assert client.get(reverse("checks:export")).status_code == 403
    assert not AuditEntry.objects.filter(object_type="data_check").exists()


@pytest.fixture
def one_failing_each(ordinary, lifted, monitored, county_officer):
    """check code → a household failing that check alone."""

    def income(household, wage):
        services.save_income(
            actor=county_officer, household=household, year=LAST_YEAR, values={"wage": Decimal(wage)}
        )

    made = {"labour_age": ordinary()}
    made.update({code: lifted() for code in ("school_age_out_of_school", "no_medical_insurance")})
    member(made["labour_age"], relation="child", birth_date=born(40), labour_capacity="ordinary")
    change(made["labour_age"].members.get(relation="child"), birth_date=born(75))
    member(made["school_age_out_of_school"], relation="child", birth_date=born(9), labour_capacity="none")
    change(head_of(made["no_medical_insurance"]), basic_medical_insurance=False)
    made["head_spouse_same_sex"] = ordinary(head_sex="M")
    member(made["head_spouse_same_sex"], sex="M")
    made["several_heads"] = ordinary()
    member(made["several_heads"], relation="head", sex="M")
    made["no_head"] = ordinary()
    change(head_of(made["no_head"]), relation="sibling")
    made["land_impossible"] = ordinary()
    change(made["land_impossible"], forest_land_mu=Decimal(-2), grassland_mu=Decimal(2000))
    made["phone_not_mobile"] = ordinary()
    member(made["phone_not_mobile"], name="李四", phone_masked="0436****67")
    made["risk_without_measure"] = monitored(("illness", "water"))
    made["monitored_without_measure"] = monitored(with_measures=False)
    made["measure_without_dates"] = monitored()
    measure(made["measure_without_dates"], "social", "illness", status="done")
    made["job_measure_without_wage"] = ordinary()
    measure(made["job_measure_without_wage"], "employment", started_on=dt.date(LAST_YEAR, 1, 1))
    income(made["job_measure_without_wage"], 0)
    made["job_measure_nobody_works"] = ordinary()
    measure(made["job_measure_nobody_works"], "employment")
    change(head_of(made["job_measure_nobody_works"]), labour_capacity="none", receives_dibao=True)
    made["labour_without_developmental_measure"] = monitored(with_measures=False)
    measure(made["labour_without_developmental_measure"], "health", "illness")
    made["no_labour_no_allowance"] = monitored(with_measures=False)
    measure(made["no_labour_no_allowance"], "health", "illness")
    change(head_of(made["no_labour_no_allowance"]), labour_capacity="lost", birth_date=born(80))
    made["dibao_high_income"] = ordinary()
    change(head_of(made["dibao_high_income"]), receives_dibao=True)
    income(made["dibao_high_income"], 50000)
    return made


def test_every_check_lists_its_failure_with_a_detail_line_and_exports_it(
    client, county_officer, one_failing_each
):
    assert set(one_failing_each) == set(catalogue.CHECKS)
    for code, household in one_failing_each.items():
        assert failed_by(household) == {code}, code
    _login(client, county_officer)
    overview = client.get(reverse("checks:overview")).content.decode()
    assert f"{len(catalogue.CATALOGUE) - 1} errors and 1 warnings" in overview
    for code, household in one_failing_each.items():
        response = client.get(reverse("checks:detail", args=[code]))
        body = response.content.decode()
        assert response.status_code == 200 and household.number in body, code
        assert "Records failing this check: 1" in body, code
    land = client.get(reverse("checks:detail", args=["land_impossible"])).content.decode()
    assert "forest land (mu) is negative: -2" in land and "1998 mu in all, more than 1000 mu" in land
    phones = client.get(reverse("checks:detail", args=["phone_not_mobile"])).content.decode()
    assert "李四&#x27;s phone 0436****67 is not a mobile number" in phones
    risks = client.get(reverse("checks:detail", args=["risk_without_measure"])).content.decode()
    assert "No measure answers Drinking-water safety (因安全饮水)" in risks
    book = load_workbook(io.BytesIO(client.get(reverse("checks:export")).content), read_only=True)
    rows = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert {(row[0], row[6]) for row in rows} == {(code, h.number) for code, h in one_failing_each.items()}
    assert all(row[9] for row in rows)  # every row says what is wrong
    with translation_override("zh-hans"):
        client.cookies["django_language"] = "zh-hans"
        chinese = client.get(reverse("checks:detail", args=["labour_age"])).content.decode()
    assert "年龄与劳动能力不符" in chinese and "75 岁" in chinese
