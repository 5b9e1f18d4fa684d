"""Policy scenarios in the application: create (checked), simulate on one's area, export, publish with a
second person's approval, the API; and that a simulation changes nothing in the registry, clues or cases."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.audit.models import AuditEntry
from fupin.cases.models import Case
from fupin.core.errors import InvalidInput
from fupin.engine.checker import check_pack
from fupin.engine.packs import load_pack
from fupin.engine.screening import screen
from fupin.registry import services as registry
from fupin.registry.models import Household, IncomeRecord, Member
from fupin.scenarios import services
from fupin.scenarios.models import Publication, PublicationStatus, Scenario, ScenarioRun
from fupin.screening import packs
from fupin.screening.models import RiskClue, ScreeningRun
from fupin.screening.snapshot import snapshot

YEAR = dt.date.today().year - 1


@pytest.fixture(autouse=True)
def _runs_in_the_request(settings):
    settings.SCREENING_IN_BACKGROUND = False


@pytest.fixture
def households(place, household_factory, make_user):
    """Ordinary households without labour at several incomes, in two counties of Jilin."""
    clerk = make_user(Role.COUNTY_OFFICER, "220822", "220821")
    made = {}
    for village, income in (
        (place.village_a1, 6000),
        (place.village_a1, 7200),
        (place.village_a2, 7400),
        (place.village_b1, 9000),
        (place.other_county_village, 7100),
    ):
        household = household_factory(village, actor=clerk)
        Member.objects.filter(household=household).update(labour_capacity="none")
        registry.save_income(actor=clerk, household=household, year=YEAR, values={"wage": Decimal(income)})
        made[(village.code, income)] = household
    return made


@pytest.fixture
def province(place, make_user):
    return make_user(Role.PROVINCE_VIEWER, "22")


def _as(client, user):
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _counts() -> dict[str, int]:
    return {
        "households": Household.objects.count(),
        "members": Member.objects.count(),
        "incomes": IncomeRecord.objects.count(),
        "clues": RiskClue.objects.count(),
        "runs": ScreeningRun.objects.count(),
        "cases": Case.objects.count(),
    }


def _scenario(actor, area="22", **parameters) -> Scenario:
    return services.create_scenario(
        actor=actor, name="range 7500", area_code=area, parameters=parameters or {"monitoring_range": "7500"}
    )


def test_a_province_officer_sees_the_newly_flagged_households_by_county_and_exports(
    client, province, households
):
    before = _counts()
    _as(client, province)
    form = client.get(reverse("scenarios:new"))
    assert form.status_code == 200
    body = form.content.decode()
    assert "param_monitoring_range" in body and "domain.md" in body  # the value's source is shown
    response = client.post(
        reverse("scenarios:new"),
        {
            "name": "Range 7,500",
            "area": "22",
            "param_monitoring_range": "7,500",
            "effective_from": "2030-01-01",
        },
    )
    scenario = Scenario.objects.get()
    assert response.status_code == 302 and scenario.overlay["parameters"] == {"monitoring_range": 7500.0}
    started = client.post(reverse("scenarios:run_start", args=[scenario.pk]), {"area": "22"})
    run = ScenarioRun.objects.get()
    assert started.status_code == 302 and run.status == "finished", run.error
    page = client.get(reverse("scenarios:run", args=[run.pk])).content.decode()
    totals = run.result["totals"]
    # 7,200 and 7,400 (county 220822) and 7,100 (county 220821) come in; 6,000 was in; 9,000 stays out.
    assert (totals["both"], totals["only_scenario"], totals["only_baseline"]) == (1, 3, 0)
    counties = {r["code"]: r["only_scenario"] for r in run.result["levels"]["county"]}
    assert counties == {"220822": 2, "220821": 1}
    assert 'id="by-county"' in page and "220822" not in page.split('id="by-county"')[1][:30]
    attribution = run.result["attribution"]
    assert [(a["name"], a["only_scenario"]) for a in attribution] == [("monitoring_range", 3)]
    # Example households are masked.
    number = households[(place_code := "220822100201", 7200)].number
    i = page.find(number)
    assert number not in page, page[i - 300 : i + 100]
    assert place_code[:6] + "********" in page
    export = client.get(reverse("scenarios:run_export", args=[run.pk]))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    counties_sheet = [row for row in book["Counties"].iter_rows(values_only=True)]
    assert counties_sheet[0][4] == "Newly flagged" and {r[0]: r[4] for r in counties_sheet[1:]} == counties
    assert AuditEntry.objects.filter(action="export", object_type="scenario_run").exists()
    assert (
        AuditEntry.objects.filter(action__in=["scenario.create", "scenario.run", "scenario.result"]).count()
        == 3
    )
    assert _counts() == before  # nothing in the registry, clues or cases changed


def test_an_invalid_scenario_says_what_is_wrong_and_saves_nothing(client, province, place):
    _as(client, province)
    bad_value = client.post(
        reverse("scenarios:new"), {"name": "x", "area": "22", "param_lookback_days": "30.5"}
    )
    assert bad_value.status_code == 422 and "Enter a whole number" in bad_value.content.decode()
    bad_rule = client.post(
        reverse("scenarios:new"),
        {
            "name": "x",
            "area": "22",
            "rule_id": "odd",
            "rule_category": "marginal",
            "rule_risk_types": "illness",
            "rule_severity": "high",
            "rule_condition": "per_capita_income > 'many'",
        },
    )
    text = bad_rule.content.decode()
    assert bad_rule.status_code == 422 and "rules[odd].condition" in text and "cannot compare" in text
    nothing = client.post(reverse("scenarios:new"), {"name": "x", "area": "22"})
    assert nothing.status_code == 422 and "Change at least one value or rule" in nothing.content.decode()
    assert not Scenario.objects.exists()


def test_a_county_user_simulates_only_on_their_own_county(client, make_user, province, households):
    county_admin = make_user(Role.COUNTY_ADMIN, "220822")
    provincial = _scenario(province)
    _as(client, county_admin)
    assert client.get(reverse("scenarios:scenario", args=[provincial.pk])).status_code == 404
    assert client.post(reverse("scenarios:run_start", args=[provincial.pk])).status_code == 404
    refused = client.post(
        reverse("scenarios:new"), {"name": "other", "area": "220821", "param_monitoring_range": "7500"}
    )
    assert refused.status_code == 422 and not Scenario.objects.filter(area__code="220821").exists()
    own = _scenario(county_admin, area="220822")
    run = services.start_run(actor=county_admin, scenario=own)
    services.carry_out(run)
    run.refresh_from_db()
    assert {r["code"] for r in run.result["levels"]["county"]} == {"220822"}
    assert run.result["totals"]["households"] == 4
    with pytest.raises(InvalidInput) as error:
        services.start_run(actor=county_admin, scenario=own, area_code="220821")
    assert "area" in error.value.field_errors
    officer = make_user(Role.COUNTY_OFFICER, "220822")
    _as(client, officer)
    assert client.get(reverse("scenarios:scenario", args=[own.pk])).status_code == 403
    assert client.get(reverse("scenarios:index")).status_code == 403


def test_publishing_needs_another_person_and_the_pack_screens_as_simulated(
    client, make_user, province, households
):
    other = make_user(Role.PROVINCE_VIEWER, "22")
    scenario = _scenario(province)
    today = dt.date.today()
    _as(client, province)
    client.post(
        reverse("scenarios:publish", args=[scenario.pk]),
        {"pack_name": "jilin-next", "pack_version": "2027.1", "effective_from": today.isoformat()},
    )
    publication = Publication.objects.get()
    assert publication.status == PublicationStatus.REQUESTED
    own = client.post(reverse("scenarios:decide", args=[publication.pk]), {"decision": "approve"})
    publication.refresh_from_db()
    assert own.status_code == 302 and publication.status == PublicationStatus.REQUESTED
    assert client.get(reverse("scenarios:publication_file", args=[publication.pk])).status_code == 404
    _as(client, other)
    client.post(reverse("scenarios:decide", args=[publication.pk]), {"decision": "approve"})
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.APPROVED and publication.decided_by == other
    assert AuditEntry.objects.filter(
        action="scenario.publish_approve", object_id=str(publication.pk)
    ).exists()
    text = client.get(reverse("scenarios:publication_file", args=[publication.pk])).content.decode()
    # Installed and screened, the published pack finds exactly what the simulation said.
    folder = packs.BUILT_IN
    path = folder.parent.parent.parent / "var" / "test-jilin-next.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        published = check_pack(load_pack(path, packs.folders()))
    finally:
        path.unlink()
    area = scenario.area
    screened = {h["household_id"] for h in screen(published, snapshot(area, as_of=today), today).hits}
    run = services.carry_out(services.start_run(actor=province, scenario=scenario, as_of=today))
    simulated = {e["household_id"] for e in run.result["examples"]["only_scenario"]}
    baseline = {h["household_id"] for h in screen(packs.checked(), snapshot(area, as_of=today), today).hits}
    assert screened == simulated | baseline and simulated == screened - baseline


def test_a_sweep_run_counts_every_step(province, households):
    scenario = _scenario(province)
    run = services.start_run(
        actor=province,
        scenario=scenario,
        sweep={"parameter": "monitoring_range", "start": "6000", "stop": "9000", "step": "500"},
    )
    services.carry_out(run)
    run.refresh_from_db()
    assert [s["flagged"] for s in run.result["steps"]] == [1, 1, 1, 4, 4, 4, 5]
    with pytest.raises(InvalidInput):
        services.start_run(
            actor=province,
            scenario=scenario,
            sweep={"parameter": "monitoring_range", "start": "0", "stop": "1e6", "step": "1"},
        )


def test_the_api_runs_a_scenario_and_reads_its_figures_in_scope(client, make_user, province, households):
    scenario = _scenario(province)
    token = issue_token(user=province)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    started = client.post(
        f"/api/v1/scenarios/{scenario.pk}/runs",
        {"area_code": "220822"},
        content_type="application/json",
        **headers,
    )
    assert started.status_code == 201, started.content
    run_id = started.json()["id"]
    read = client.get(f"/api/v1/scenario-runs/{run_id}", **headers).json()
    assert read["status"] == "finished" and read["result"]["totals"]["only_scenario"] == 2
    assert AuditEntry.objects.filter(action="scenario.read", object_id=str(run_id)).exists()
    county = make_user(Role.COUNTY_ADMIN, "220821")
    other = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=county)}"}
    assert client.get(f"/api/v1/scenario-runs/{run_id}", **other).status_code == 404
    assert client.get("/api/v1/scenarios", **other).json() == []
    cadre = {
        "HTTP_AUTHORIZATION": f"Bearer {issue_token(user=make_user(Role.VILLAGE_CADRE, '220822100201'))}"
    }
    assert client.get("/api/v1/scenarios", **cadre).status_code == 403
