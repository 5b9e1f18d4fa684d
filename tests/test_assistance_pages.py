"""Plans through the pages (Django's test client) and the services behind them: a cadre builds the plan
of a monitored household, sees what the plan rules say, fixes it; edits, stale edits and stopping."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.assistance import selectors, services
from fupin.assistance.models import Measure, MeasureType
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, StaleEdit
from fupin.registry import services as registry
from fupin.registry.models import Household

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people(place, make_user, county_officer, village_cadre):
    return {
        "cadre": village_cadre,
        "county": county_officer,
        "other_cadre": make_user(Role.VILLAGE_CADRE, place.village_a2.code),
        "viewer": make_user(Role.PROVINCE_VIEWER, place.county.code),
    }


@pytest.fixture
def monitored(people, household_factory) -> Household:
    """A marginal household at risk of illness; its head can work."""
    household = household_factory()
    return registry.change_monitoring(
        actor=people["county"],
        household=household,
        expected_version=household.version,
        category="marginal",
        risk_types=["illness"],
        effective_from=dt.date(2026, 1, 5),
        reason="识别",
    )


def entry(code: str) -> MeasureType:
    return MeasureType.objects.get(code=code)


def as_user(client, user, language: str = "en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def problem_codes(page: str) -> list[str]:
    return re.findall(r'data-code="(\w+)"', page)


def form(code: str, **values) -> dict:
    return {
        "measure_type": entry(code).pk,
        "responsible": values.pop("responsible", "镇民政办"),
        "status": values.pop("status", "in_progress"),
        "started_on": values.pop("started_on", "2026-02-01"),
        **values,
    }


# ---------------------------------------------------------------- scope


def test_the_plan_pages_open_in_scope_and_are_not_found_outside(client, people, monitored):
    measure = services.create_measure(
        actor=people["cadre"], household=monitored, values=form("medical_assistance", risk_types=["illness"])
    )
    pages = {
        reverse("assistance:plan", args=[monitored.pk]): True,
        reverse("assistance:plan_summary", args=[monitored.pk]): True,
        reverse("assistance:measure_add", args=[monitored.pk]): False,
        reverse("assistance:measure_edit", args=[measure.pk]): False,
        reverse("assistance:measure_stop", args=[measure.pk]): False,
    }
    cadre = as_user(client, people["cadre"])
    for url in pages:
        response = cadre.get(url)
        assert response.status_code == 200, url
        assert "医疗救助" in text(response) or "Medical assistance" in text(response), url
    other = as_user(client, people["other_cadre"])
    for url in pages:
        response = other.get(url)
        assert response.status_code == 404, url
        assert monitored.number not in text(response)
        assert other.post(url, {}).status_code == 404, url
    viewer = as_user(client, people["viewer"])  # reads the county, edits nothing
    for url, readable in pages.items():
        assert viewer.get(url).status_code == (200 if readable else 403), url
    assert reverse("assistance:measure_add", args=[monitored.pk]) not in text(
        viewer.get(reverse("assistance:plan", args=[monitored.pk]))
    )


def test_the_household_page_links_the_plan(client, people, monitored):
    page = text(as_user(client, people["cadre"]).get(reverse("web:household", args=[monitored.pk])))
    assert reverse("assistance:plan_summary", args=[monitored.pk]) in page
    assert reverse("assistance:plan", args=[monitored.pk]) in page  # also without JavaScript
    summary = text(client.get(reverse("assistance:plan_summary", args=[monitored.pk])))
    assert "No measure is planned yet." in summary
    assert "No planned or taken measure answers the risk “Illness (因病)”" in summary


# ---------------------------------------------------------------- building a plan


def test_a_violation_explained_on_the_page_disappears_once_fixed(client, people, monitored):
    cadre = as_user(client, people["cadre"])
    url = reverse("assistance:plan", args=[monitored.pk])
    page = text(cadre.get(url))
    assert problem_codes(page) == ["risk_unanswered", "no_developmental"]
    assert "No planned or taken measure answers the risk “Illness (因病)”" in page
    assert "It is answered by: Health (健康帮扶)、Social assistance (社会帮扶)." in page
    assert "the plan has no developmental measure" in page

    added = cadre.post(
        reverse("assistance:measure_add", args=[monitored.pk]),
        form("medical_assistance", risk_types=["illness"], amount="3000"),
        follow=True,
    )
    page = text(added)
    assert added.redirect_chain[-1][0] == url
    assert "Rules the plan still breaks: 1" in page
    assert problem_codes(page) == ["no_developmental"]
    assert "3000" in page and "镇民政办" in page

    cadre.post(
        reverse("assistance:measure_add", args=[monitored.pk]),
        form("migrant_transport", responsible="县人社局", status="planned", started_on=""),
    )
    page = text(cadre.get(url))
    assert problem_codes(page) == []
    assert 'id="plan-ok"' in page and "The plan keeps every rule." in page
    assert selectors.plan_problems(Household.objects.get(pk=monitored.pk)) == []


def test_a_bad_measure_form_shows_errors_and_changes_nothing(client, people, monitored):
    cadre = as_user(client, people["cadre"])
    audit_before = AuditEntry.objects.count()
    response = cadre.post(
        reverse("assistance:measure_add", args=[monitored.pk]),
        {
            "measure_type": entry("house_renovation").pk,  # does not answer illness
            "risk_types": ["illness"],
            "responsible": "",
            "status": "done",
            "started_on": "2026-05-01",  # in the future
            "ended_on": "",
        },
    )
    page = text(response)
    assert response.status_code == 200
    assert "Some values are not valid. Nothing was saved." in page
    assert "does not answer the risk “Illness (因病)”" in page
    assert "Name the person or department responsible for the measure." in page
    assert "A measure that has begun cannot start in the future." in page
    assert "Say when the measure was completed." in page
    assert not Measure.objects.exists()
    assert AuditEntry.objects.count() == audit_before
    # A measure type from nowhere is refused as well.
    response = cadre.post(
        reverse("assistance:measure_add", args=[monitored.pk]), form("dibao") | {"measure_type": 99999}
    )
    assert response.status_code == 200 and not Measure.objects.exists()


def test_suggestions_come_from_the_risks_developmental_first_and_prefill_the_form(client, people, monitored):
    cadre = as_user(client, people["cadre"])
    page = text(cadre.get(reverse("assistance:plan", args=[monitored.pk])))
    suggestions = page[page.index('id="plan-suggestions"') :]
    assert suggestions.index("Industry incentive subsidy") < suggestions.index("Medical assistance")
    assert "Family doctor contract" in suggestions and "Answers Illness (因病)" in suggestions
    assert "Renovation of a dangerous rural house" not in suggestions  # no housing risk
    add = reverse("assistance:measure_add", args=[monitored.pk])
    link = f"{add}?type={entry('family_doctor').pk}&amp;risk=illness"
    assert link in suggestions
    prefilled = text(cadre.get(link.replace("&amp;", "&")))
    assert f'<option value="{entry("family_doctor").pk}" selected>' in prefilled
    assert re.search(r'<input type="checkbox" name="risk_types" value="illness"[^>]*checked', prefilled)


def test_the_plan_in_chinese(client, people, monitored):
    page = text(
        as_user(client, people["cadre"], "zh-hans").get(reverse("assistance:plan", args=[monitored.pk]))
    )
    assert "帮扶计划检查" in page
    assert "风险“因病”还没有已计划或已实施的措施应对" in page
    assert "产业奖补" in page  # the catalogue's Chinese names


# ---------------------------------------------------------------- editing and stopping


def test_editing_a_measure_checks_the_version(client, people, monitored):
    measure = services.create_measure(
        actor=people["cadre"],
        household=monitored,
        values=form("medical_assistance", status="planned", started_on=""),
    )
    cadre = as_user(client, people["cadre"])
    url = reverse("assistance:measure_edit", args=[measure.pk])
    stale = {**form("medical_assistance", responsible="县医保局"), "version": measure.version}
    services.update_measure(
        actor=people["county"],
        measure=measure,
        expected_version=measure.version,
        values=form("medical_assistance", status="planned", started_on="", responsible="乡卫生院"),
    )
    response = cadre.post(url, stale)
    assert "Someone else saved this record after you opened it." in text(response)
    measure.refresh_from_db()
    assert (measure.responsible, measure.status, measure.version) == ("乡卫生院", "planned", 2)
    response = cadre.post(url, {**stale, "version": 2})
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.responsible, measure.status, measure.version) == ("县医保局", "in_progress", 3)
    assert measure.risk_type_list == ["illness"]  # nothing ticked: every recorded risk the type answers
    changes = AuditEntry.objects.filter(object_type="measure", object_id=str(measure.pk)).order_by("id")
    assert [e.action for e in changes] == ["create", "update", "update"]
    assert changes.last().changes["responsible"] == ["乡卫生院", "县医保局"]


def test_stopping_a_measure_brings_the_gap_back(client, people, monitored):
    measure = services.create_measure(
        actor=people["cadre"], household=monitored, values=form("medical_assistance")
    )
    services.create_measure(actor=people["cadre"], household=monitored, values=form("industry_subsidy"))
    cadre = as_user(client, people["cadre"])
    url = reverse("assistance:measure_stop", args=[measure.pk])
    refused = cadre.post(url, {"version": measure.version, "reason": "", "ended_on": ""})
    assert "Say why the measure stops." in text(refused) and "Say when the measure stopped." in text(refused)
    response = cadre.post(
        url, {"version": measure.version, "reason": "已转入大病保险", "ended_on": "2026-03-01"}, follow=True
    )
    page = text(response)
    assert problem_codes(page) == ["risk_unanswered"]
    assert "已转入大病保险" in page
    measure.refresh_from_db()
    assert (measure.status, measure.ended_on) == ("stopped", dt.date(2026, 3, 1))
    # A stopped measure no longer counts for the elimination gate either.
    from fupin.cases.gates import _gate_measures

    assert not _gate_measures(monitored, TODAY).passed


def test_a_switched_off_entry_is_not_offered_but_kept_by_its_measures(
    client, people, monitored, make_user, place
):
    measure = services.create_measure(
        actor=people["cadre"], household=monitored, values=form("family_doctor")
    )
    admin = make_user(Role.COUNTY_ADMIN, place.county.code)
    services.switch_entry(
        actor=admin, county_code=place.county.code, entry=entry("family_doctor"), in_use=False
    )
    with pytest.raises(InvalidInput) as refused:
        services.create_measure(actor=people["cadre"], household=monitored, values=form("family_doctor"))
    assert "measure_type" in refused.value.field_errors
    services.update_measure(
        actor=people["cadre"],
        measure=measure,
        expected_version=measure.version,
        values=form("family_doctor", responsible="村医"),
    )
    cadre = as_user(client, people["cadre"])
    add_page = text(cadre.get(reverse("assistance:measure_add", args=[monitored.pk])))
    assert "Family doctor contract" not in add_page
    edit_page = text(cadre.get(reverse("assistance:measure_edit", args=[measure.pk])))
    assert "Family doctor contract" in edit_page
    assert "family_doctor" not in [s.entry.code for s in selectors.suggestions_for(monitored)]


# ---------------------------------------------------------------- the services


def test_services_check_role_scope_and_values(people, monitored):
    with pytest.raises(NotPermitted):
        services.create_measure(actor=people["viewer"], household=monitored, values=form("dibao"))
    with pytest.raises(OutOfScope):
        services.create_measure(actor=people["other_cadre"], household=monitored, values=form("dibao"))
    with pytest.raises(InvalidInput) as refused:
        services.create_measure(
            actor=people["cadre"],
            household=monitored,
            values=form("dibao", risk_types=["housing"], amount="-5", ended_on=dt.date(2026, 1, 1)),
        )
    errors = refused.value.field_errors
    assert set(errors) == {"risk_types", "amount", "ended_on"}
    measure = services.create_measure(
        actor=people["cadre"], household=monitored, values=form("dibao", started_on=dt.date(2026, 2, 1))
    )
    assert (
        measure.category == "comprehensive_security" and measure.risk_types == ""
    )  # dibao does not answer illness
    with pytest.raises(StaleEdit):
        services.update_measure(
            actor=people["cadre"], measure=measure, expected_version=7, values=form("dibao")
        )


def test_plan_problems_read_the_registry(people, monitored, household_factory):
    """The facts come from members, measures and incomes; many households at once give the same answer."""
    head = monitored.members.get()
    registry.update_member(
        actor=people["county"], member=head, expected_version=head.version, values={"labour_capacity": "lost"}
    )
    services.create_measure(actor=people["cadre"], household=monitored, values=form("welfare_post"))
    codes = [p.code for p in selectors.plan_problems(Household.objects.get(pk=monitored.pk))]
    assert codes == ["risk_unanswered", "no_allowance", "work_without_labour"]
    plain = household_factory()  # an ordinary household, not monitored, no measure: no plan to check
    found = dict(
        (h.pk, [p.code for p in problems])
        for h, problems in selectors.plan_problems_by_household(
            Household.objects.filter(pk__in=[monitored.pk, plain.pk])
        )
    )
    assert found == {monitored.pk: codes, plain.pk: []}
