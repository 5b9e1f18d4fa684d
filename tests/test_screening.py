"""Screening inside the application: runs over the registry, risk clues, scope, pages, the command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, NotPermitted
from fupin.feeds.services import import_feed
from fupin.registry import services as registry
from fupin.registry.models import IncomeRecord
from fupin.screening import selectors, services
from fupin.screening.models import ClueStatus, RiskClue, RunStatus, ScreeningRun
from fupin.screening.snapshot import snapshot

LAST_YEAR = timezone.localdate().year - 1


@pytest.fixture
def at_risk(household_factory, county_officer, place):
    """Three households: one lifted-out and poor with a seriously ill head, one ordinary without
    labour, one comfortable and healthy."""

    def make(village, *, household_type, wage, **member_values):
        household = household_factory(village, household_type=household_type, status="normal")
        head = household.members.get()
        if member_values:
            registry.update_member(
                actor=county_officer, member=head, expected_version=head.version, values=member_values
            )
        registry.save_income(
            actor=county_officer, household=household, year=LAST_YEAR, values={"wage": Decimal(wage)}
        )
        return household

    ill = make(place.village_a1, household_type="lifted_out", wage=3000, health="serious")
    no_labour = make(place.village_a2, household_type="ordinary", wage=2000, labour_capacity="none")
    comfortable = make(place.village_b1, household_type="ordinary", wage=80000)
    return ill, no_labour, comfortable


def test_a_run_opens_one_clue_per_household_at_risk_with_reasons_in_both_languages(at_risk, county_officer):
    ill, no_labour, comfortable = at_risk
    run = services.run_screening(actor=county_officer, area_code="220822")
    assert run.status == RunStatus.FINISHED and run.households == 3
    clues = {clue.household_id: clue for clue in RiskClue.objects.filter(run=run)}
    assert set(clues) == {ill.pk, no_labour.pk}
    assert clues[ill.pk].suggested_category == "unstable_lifted"
    assert "illness" in clues[ill.pk].risk_type_list and "unstable_illness" in clues[ill.pk].rule_ids
    assert clues[no_labour.pk].suggested_category == "marginal"
    assert clues[no_labour.pk].risk_type_list == ["lack_of_labour"]
    reason = clues[no_labour.pk].explanation[0]
    assert "2,000.00" in reason["zh"] and "2,000.00" in reason["en"] and "无劳动力" in reason["zh"]
    assert run.counts["marginal_lack_of_labour"] == 1 and run.new_clues == 2
    assert run.parameters["monitoring_range"]["220822"]["example"] is True
    entry = AuditEntry.objects.filter(action="screen").latest("id")
    assert entry.actor == county_officer and entry.changes["new_clues"] == 2


def test_running_twice_on_the_same_data_adds_nothing(at_risk, county_officer):
    services.run_screening(actor=county_officer, area_code="220822")
    again = services.run_screening(actor=county_officer, area_code="220822")
    assert again.new_clues == 0 and again.skipped_open == 2 and again.hits == 2
    assert RiskClue.objects.count() == 2
    # Once a clue is closed, a household still at risk is found again.
    RiskClue.objects.filter(household=at_risk[0]).update(status=ClueStatus.CLOSED)
    assert services.run_screening(actor=county_officer, area_code="220822").new_clues == 1


def test_a_run_covers_only_its_area(at_risk, county_officer):
    run = services.run_screening(actor=county_officer, area_code="220822100")  # township A only
    assert run.households == 2
    assert set(RiskClue.objects.values_list("household_id", flat=True)) == {at_risk[0].pk, at_risk[1].pk}


@pytest.mark.parametrize(
    "role", [Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER, Role.DEPARTMENT_USER, Role.PROVINCE_VIEWER]
)
def test_only_county_staff_start_runs(at_risk, make_user, role):
    user = make_user(role, "220822")
    with pytest.raises(NotPermitted):
        services.run_screening(actor=user, area_code="220822")
    assert not ScreeningRun.objects.exists()


def test_a_run_outside_the_officers_county_or_with_bad_input_is_refused(at_risk, county_officer, make_user):
    with pytest.raises(NotPermitted):
        services.run_screening(actor=county_officer, area_code="220821")
    with pytest.raises(InvalidInput) as bad_area:
        services.run_screening(actor=county_officer, area_code="999999")
    assert "999999" in str(bad_area.value.field_errors["area"][0])
    with pytest.raises(InvalidInput) as bad_policy:
        services.run_screening(actor=county_officer, area_code="220822", policy="no-such-pack")
    assert "no-such-pack" in str(bad_policy.value.field_errors["policy"][0])
    assert not ScreeningRun.objects.exists() and not RiskClue.objects.exists()


def test_department_records_reach_the_rules(household_factory, county_officer, place):
    """A medical bill imported from the health-insurance list makes a better-off household a
    household in sudden severe difficulty."""
    household = household_factory(place.village_a1)
    registry.save_income(
        actor=county_officer, household=household, year=LAST_YEAR, values={"wage": Decimal(30000)}
    )
    full_id = registry.reveal(actor=county_officer, instance=household.members.get(), field="id_number")
    when = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    csv = f"身份证号,姓名,结算日期,合规自付金额\n{full_id},户主1,{when},26000\n".encode()
    import_feed(county_officer, "medical", csv, "medical.csv")
    run = services.run_screening(actor=county_officer, area_code="220822")
    clue = RiskClue.objects.get(run=run)
    assert clue.rule_ids == ["sudden_medical_spending"] and clue.suggested_category == "sudden_difficulty"
    assert clue.explanation[0]["values"]["oop_spending"] == 26000.0


def test_the_snapshot_uses_the_one_income_function(household_factory, county_officer, settings):
    household = household_factory()
    registry.save_income(
        actor=county_officer,
        household=household,
        year=LAST_YEAR,
        values={"wage": Decimal("10000.33"), "transfer": Decimal(2000), "excluded_transfer": Decimal(500)},
    )
    record = IncomeRecord.objects.get(household=household)
    for exclude in (True, False):
        settings.INCOME_EXCLUDE_LISTED_ALLOWANCES = exclude
        incomes = snapshot(household.village)["incomes"]
        assert incomes.column("per_capita_net_income")[0].as_py() == float(record.per_capita_net_income)


def test_one_household_on_its_page_hits_what_the_batch_found(at_risk, county_officer):
    run = services.run_screening(actor=county_officer, area_code="220822")
    for household in at_risk:
        now = {hit["rule_id"] for hit in selectors.rules_hit_now(household)}
        clue = RiskClue.objects.filter(run=run, household=household).first()
        assert now == set(clue.rule_ids if clue else [])


# ---------------------------------------------------------------- pages and the command


def _login(client, user, language="en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def test_an_officer_starts_a_run_from_the_page_and_reads_the_clues(client, at_risk, county_officer, settings):
    settings.SCREENING_IN_BACKGROUND = False  # the test's transaction is invisible to another thread
    _login(client, county_officer)
    overview = client.get(reverse("screening:overview")).content.decode()
    assert "No screening has been run in your area yet." in overview and 'name="area"' in overview
    response = client.post(reverse("screening:start"), {"area": "220822"})
    run = ScreeningRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("screening:run", args=[run.pk])
    page = client.get(response["Location"]).content.decode()
    assert "New risk clues" in page and "marginal_lack_of_labour" in page and "example value" in page
    run.refresh_from_db()
    assert f"Screening finished at {timezone.localtime(run.finished_at):%Y-%m-%d %H:%M} " in page, (
        "the page never says the run is done"
    )
    assert f"New risk clues: {run.new_clues}." in page and run.new_clues == 2
    clues = client.get(reverse("screening:clues")).content.decode()
    assert at_risk[0].number in clues and at_risk[1].number in clues and at_risk[2].number not in clues
    only_labour = client.get(reverse("screening:clues"), {"risk_type": "lack_of_labour"}).content.decode()
    assert at_risk[1].number in only_labour and at_risk[0].number not in only_labour
    home = client.get(reverse("web:home")).content.decode()
    assert "Open risk clues" in home


def test_the_household_page_shows_the_rules_it_hits_now(client, at_risk, county_officer):
    _login(client, county_officer, "zh-hans")
    detail = client.get(reverse("web:household", args=[at_risk[1].pk])).content.decode()
    assert reverse("screening:household_rules", args=[at_risk[1].pk]) in detail  # loaded by htmx
    rules = client.get(reverse("screening:household_rules", args=[at_risk[1].pk])).content.decode()
    assert "marginal_lack_of_labour" in rules and "2,000.00" in rules and "边缘易致贫户" in rules
    calm = client.get(reverse("screening:household_rules", args=[at_risk[2].pk])).content.decode()
    assert "今日未命中任何政策规则" in calm


def test_a_village_cadre_is_not_offered_the_start_form(client, village_cadre, at_risk):
    _login(client, village_cadre)
    page = client.get(reverse("screening:overview")).content.decode()
    assert 'name="area"' not in page
    assert client.post(reverse("screening:start"), {"area": "220822100201"}).status_code == 403


def test_the_command_screens_every_county_and_reports_per_rule(at_risk):
    out = StringIO()
    call_command("screen", stdout=out)
    text = out.getvalue()
    assert "220822" in text and "2 new risk clues" in text and "marginal_lack_of_labour: 1" in text
    again = StringIO()
    call_command("screen", stdout=again)
    assert "0 new risk clues (2 already open)" in again.getvalue()
    run = ScreeningRun.objects.latest("id")
    assert run.started_by is None and run.engine == "duckdb"


def test_policy_commands_check_test_and_explain(at_risk, tmp_path):
    out = StringIO()
    call_command("policy", "check", "jilin", stdout=out)
    assert "jilin 2026.1" in out.getvalue() and "monitoring_range" in out.getvalue()
    tested = StringIO()
    call_command("policy", "test", "national-monitoring", "--engine", "duckdb", stdout=tested)
    assert "duckdb: 12 passed, 0 failed" in tested.getvalue()
    explained = StringIO()
    call_command(
        "policy", "explain", "national-monitoring", "--household", at_risk[1].number, stdout=explained
    )
    text = explained.getvalue()
    assert (
        "HIT  marginal_lack_of_labour" in text and "no   unstable_illness" in text and "labourers = 0" in text
    )

    from django.core.management.base import CommandError

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nversion: '1'\neffective: {from: 2021-01-01}\nrules:\n  - id: r\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match="nothing was run"):
        call_command("policy", "check", str(bad), stderr=StringIO())


def test_the_api_lists_clues_and_a_households_rules_today(client, at_risk, county_officer):
    from fupin.accounts.services import issue_token

    services.run_screening(actor=county_officer, area_code="220822")
    headers = {"Authorization": f"Bearer {issue_token(user=county_officer)}", "Accept-Language": "zh-hans"}
    listing = client.get("/api/v1/risk-clues", {"risk_type": "lack_of_labour"}, headers=headers).json()
    assert listing["count"] == 1
    clue = listing["items"][0]
    assert clue["household_number"] == at_risk[1].number and clue["suggested_category"] == "marginal"
    assert clue["explanation"][0]["values"]["labourers"] == 0 and "无劳动力" in clue["explanation"][0]["zh"]
    today = client.get(f"/api/v1/households/{at_risk[0].pk}/screening", headers=headers).json()
    assert {hit["rule_id"] for hit in today} == {"unstable_illness"}
    assert "per-capita income 3,000.00" in today[0]["en"]


def test_the_api_lists_clues_raised_without_a_rule_and_refuses_offsets_past_the_database(
    client, at_risk, county_officer
):
    """A clue from a visit or a declaration has no rule, category or values (clues stored before
    this fix lack the keys altogether): the county's list must still answer."""
    from fupin.accounts.services import issue_token

    RiskClue.objects.create(
        household=at_risk[2],
        source="visit",
        rule_ids=[],
        suggested_category="marginal",
        risk_types=",illness,",
        explanation=[{"rule_id": "visit", "severity": "info", "zh": "走访发现", "en": "found on a visit"}],
    )
    headers = {"Authorization": f"Bearer {issue_token(user=county_officer)}"}
    listing = client.get("/api/v1/risk-clues", headers=headers)
    assert listing.status_code == 200, listing.content
    reason = listing.json()["items"][0]["explanation"][0]
    assert reason["category"] == "" and reason["values"] == {} and reason["en"] == "found on a visit"
    for path in ("/api/v1/risk-clues", "/api/v1/households", "/api/v1/cases"):
        past = client.get(path, {"offset": 2**63}, headers=headers)
        assert past.status_code == 422, (path, past.status_code)
        assert "offset" in past.content.decode()


def test_a_village_cadre_sees_only_the_figures_of_their_village_from_a_county_run(
    client, at_risk, county_officer, village_cadre
):
    run = services.run_screening(actor=county_officer, area_code="220822")
    assert run.households == 3 and run.new_clues == 2
    _login(client, village_cadre)
    page = client.get(reverse("screening:run", args=[run.pk])).content.decode()
    assert "the figures below are those of your area" in page
    # Only the clue of the cadre's village (the ill head's household): no county totals.
    assert "Households screened" not in page and "Already had an open clue" not in page
    assert "unstable_illness" in page and "marginal_lack_of_labour" not in page
    overview = client.get(reverse("screening:overview")).content.decode()
    assert '<td class="num">—</td>' in overview
    _login(client, county_officer)
    whole = client.get(reverse("screening:run", args=[run.pk])).content.decode()
    assert "Households screened" in whole and "marginal_lack_of_labour" in whole
