"""The pages, through Django's test client: scope, search, forms, stale edits, reveal, export, languages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from fupin.accounts.models import User
from fupin.accounts.roles import Role
from fupin.accounts.services import AccountLocked
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, StaleEdit
from fupin.registry import services
from fupin.registry.models import Household, IncomeRecord, Member
from tests.conftest import valid_id

PASSWORD = "correct-horse-9"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Compile the .po files as the ``fupin`` command does, and drop any catalogue loaded before."""
    from django.utils.translation.reloader import translation_file_changed

    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    translation_file_changed(sender=None, file_path=Path("django.mo"))


def login(client, user, language: str = "en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


@pytest.fixture
def officer_client(client, county_officer):
    return login(client, county_officer)


@pytest.fixture
def other_county_household(place, make_user):
    """A household in the neighbouring county, created by that county's officer."""
    outsider = make_user(Role.COUNTY_OFFICER, "220821")
    household = services.create_household(
        actor=outsider,
        number="220821100201-0001",
        village_code=place.other_county_village.code,
        household_type="ordinary",
        status="normal",
    )
    services.add_member(
        actor=outsider,
        household=household,
        values={
            "name": "外县人",
            "sex": "M",
            "birth_date": dt.date(1960, 3, 3),
            "relation": "head",
            "labour_capacity": "ordinary",
        },
    )
    return household


def text(response) -> str:
    return response.content.decode()


def version_in(response) -> str:
    return re.search(r'name="version" value="(\d+)"', text(response)).group(1)


# ---------------------------------------------------------------- login


def test_pages_need_a_login(client, household_factory):
    household = household_factory()
    for url in [
        reverse("web:home"),
        reverse("web:households"),
        reverse("web:household", args=[household.pk]),
        reverse("web:households_export"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("web:login")), url


def test_login_and_logout(client, county_officer):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("web:login"))
    assert page.status_code == 200 and "Log in" in text(page)
    response = client.post(
        reverse("web:login"),
        {"username": county_officer.username, "password": PASSWORD, "next": "/households/"},
    )
    assert response.status_code == 302 and response["Location"] == "/households/"
    assert client.get(reverse("web:home")).status_code == 200
    assert AuditEntry.objects.filter(action="login", object_id=str(county_officer.pk)).exists()
    # An outside address in ``next`` is not followed.
    client.post(reverse("web:logout"))
    response = client.post(
        reverse("web:login"),
        {"username": county_officer.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("web:home")
    assert client.get(reverse("web:logout")).status_code == 405  # logging out is a POST
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 302


def test_login_locks_after_five_failures(client, county_officer):
    client.cookies["django_language"] = "en"
    for attempt in range(5):
        response = client.post(
            reverse("web:login"), {"username": county_officer.username, "password": "nope"}
        )
        assert response.status_code == 200
        if attempt < 4:
            assert "User name or password is wrong" in text(response)
    locked_message = str(AccountLocked.message)
    assert locked_message in text(response)
    # Now even the right password is refused, and nobody is logged in.
    response = client.post(reverse("web:login"), {"username": county_officer.username, "password": PASSWORD})
    assert locked_message in text(response)
    assert client.get(reverse("web:home")).status_code == 302
    assert User.objects.get(pk=county_officer.pk).locked_until is not None


def test_lock_message_in_chinese(client, county_officer):
    User.objects.filter(pk=county_officer.pk).update(locked_until=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
    response = client.post(reverse("web:login"), {"username": county_officer.username, "password": PASSWORD})
    assert "锁定" in text(response)


# ---------------------------------------------------------------- landing page


def test_home_shows_counts_for_the_scope(client, county_officer, household_factory, other_county_household):
    household_factory()
    household_factory(household_type="lifted_out", status="lifted")
    response = login(client, county_officer).get(reverse("web:home"))
    assert response.status_code == 200
    body = text(response)
    assert re.search(r'class="num">2</span><span>Households', body)
    assert re.search(r'class="num">1</span><span>Lifted-out households', body)


def test_home_has_a_friendly_empty_state_without_an_area(client, make_user):
    nobody = make_user(Role.VILLAGE_CADRE)
    response = login(client, nobody).get(reverse("web:home"))
    assert response.status_code == 200
    assert "No area is assigned to your account yet" in text(response)
    listing = client.get(reverse("web:households"))
    assert "No area is assigned to your account yet" in text(listing)


# ---------------------------------------------------------------- list and search


def test_search_by_name_number_and_full_id_number(
    officer_client, county_officer, household_factory, other_county_household
):
    first = household_factory()
    second = household_factory(village=None)
    url = reverse("web:households")
    everything = text(officer_client.get(url))
    assert first.number in everything and second.number in everything
    assert other_county_household.number not in everything  # out of scope is never listed
    assert "138****5678" in everything and "13812345678" not in everything

    head = first.members.get()
    by_name = text(officer_client.get(url, {"q": head.name}))
    assert first.number in by_name and second.number not in by_name

    by_number = text(officer_client.get(url, {"q": second.number}))
    assert second.number in by_number and first.number not in by_number

    full_id = services.reveal(actor=county_officer, instance=head, field="id_number")
    by_id = text(officer_client.get(url, {"q": full_id}))
    assert first.number in by_id and second.number not in by_id
    # Part of an ID number does not find anyone: look-up is exact through the blind index.
    assert first.number not in text(officer_client.get(url, {"q": full_id[:12]}))
    # An outsider's name finds nothing in this scope, with a helpful message.
    none = text(officer_client.get(url, {"q": "外县人"}))
    assert other_county_household.number not in none and "No household matches" in none


def test_filters(officer_client, county_officer, household_factory, place):
    ordinary = household_factory()
    lifted = household_factory(village=place.village_b1, household_type="lifted_out", status="lifted")
    monitored = household_factory(village=place.village_a2)
    services.change_monitoring(
        actor=county_officer,
        household=monitored,
        expected_version=monitored.version,
        category="marginal",
        risk_types=["illness", "housing"],
        effective_from=dt.date(2024, 3, 1),
        reason="住院",
    )
    url = reverse("web:households")

    def numbers(**params):
        body = text(officer_client.get(url, params))
        return {h.number for h in (ordinary, lifted, monitored) if h.number in body}

    assert numbers() == {ordinary.number, lifted.number, monitored.number}
    assert numbers(household_type="lifted_out") == {lifted.number}
    assert numbers(status="lifted") == {lifted.number}
    assert numbers(monitoring_category="marginal") == {monitored.number}
    assert numbers(monitoring_category="any") == {monitored.number}
    assert numbers(risk_type="housing") == {monitored.number}
    assert numbers(risk_type="water") == set()
    assert numbers(area=place.township_a.code) == {ordinary.number, monitored.number}
    assert numbers(area=place.village_b1.code) == {lifted.number}
    assert numbers(area=place.township_a.code, monitoring_category="any") == {monitored.number}
    # A tampered filter value is ignored, not an error.
    assert officer_client.get(url, {"household_type": "emperor"}).status_code == 200


def test_list_shows_types_categories_and_risk_labels(client, county_officer, household_factory):
    household = household_factory(household_type="lifted_out", status="lifted")
    services.change_monitoring(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        category="unstable_lifted",
        risk_types=["schooling"],
        effective_from=dt.date(2024, 1, 1),
        reason="上学",
    )
    body = text(login(client, county_officer, "zh-hans").get(reverse("web:households")))
    assert "脱贫户" in body and "脱贫不稳定户" in body and "因学" in body
    assert "Lifted-out household" not in body
    assert household.members.get().name in body


def test_pagination_is_fifty_a_page(officer_client, household_factory):
    made = [household_factory() for _ in range(51)]
    url = reverse("web:households")
    first = text(officer_client.get(url))
    assert "Households found: 51" in first and "Page 1 of 2" in first
    assert made[0].number in first and made[50].number not in first
    second = text(officer_client.get(url, {"page": 2}))
    assert made[50].number in second and made[0].number not in second


def test_htmx_request_gets_only_the_results(officer_client, household_factory):
    household = household_factory()
    response = officer_client.get(reverse("web:households"), {"q": household.number}, HTTP_HX_REQUEST="true")
    body = text(response)
    assert household.number in body and "<html" not in body and "<form" not in body


# ---------------------------------------------------------------- pages render in scope, 404 outside


def _record_urls(household, member, year):
    return [
        reverse("web:household", args=[household.pk]),
        reverse("web:household_edit", args=[household.pk]),
        reverse("web:household_type", args=[household.pk]),
        reverse("web:household_monitoring", args=[household.pk]),
        reverse("web:member_add", args=[household.pk]),
        reverse("web:member_edit", args=[member.pk]),
        reverse("web:income_add", args=[household.pk]),
        reverse("web:income_edit", args=[household.pk, year]),
    ]


def test_every_record_page_renders_in_scope_and_is_not_found_outside(
    client, county_officer, village_cadre, household_factory, place
):
    year = timezone.localdate().year - 1
    mine = household_factory(village=place.village_a1)
    theirs = household_factory(village=place.village_a2)
    for household in (mine, theirs):
        services.save_income(
            actor=county_officer, household=household, year=year, values={"wage": Decimal(1000)}
        )
    login(client, village_cadre)
    for url in _record_urls(mine, mine.members.get(), year) + [reverse("web:household_create")]:
        assert client.get(url).status_code == 200, url
    for url in _record_urls(theirs, theirs.members.get(), year):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    member = theirs.members.get()
    for url in [
        reverse("web:reveal", args=["household", theirs.pk, "phone"]),
        reverse("web:reveal", args=["member", member.pk, "id_number"]),
    ]:
        assert client.post(url).status_code == 404
    assert client.get(reverse("web:household", args=[999999])).status_code == 404


def test_view_only_user_sees_no_edit_buttons_and_may_not_edit(client, make_user, household_factory):
    household = household_factory()
    viewer = make_user(Role.COUNTY_OFFICER, "220822", capture=False)
    login(client, viewer)
    page = text(client.get(reverse("web:household", args=[household.pk])))
    assert reverse("web:household_edit", args=[household.pk]) not in page
    assert client.get(reverse("web:household_edit", args=[household.pk])).status_code == 403
    assert client.get(reverse("web:household_create")).status_code == 403


def test_detail_shows_facts_members_incomes_histories(client, county_officer, household_factory):
    household = household_factory(address="幸福路 8 号", cultivated_land_mu=Decimal("6.5"))
    year = timezone.localdate().year - 1
    services.save_income(
        actor=county_officer,
        household=household,
        year=year,
        values={"wage": Decimal(12000), "transfer": Decimal(3000), "business_expenditure": Decimal(1000)},
    )
    services.change_type_and_status(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        household_type="lifted_out",
        status="lifted",
        effective_from=dt.date(2023, 6, 1),
        reason="核实脱贫",
    )
    body = text(login(client, county_officer).get(reverse("web:household", args=[household.pk])))
    head = household.members.get()
    assert "幸福路 8 号" in body and head.name in body
    assert head.id_number_masked in body and "138****5678" in body
    assert "14,000.00" in body  # (12000 + 3000 - 1000) / 1 member
    assert "核实脱贫" in body and "2023-06-01" in body
    assert "Change history" in body and county_officer.username in body


# ---------------------------------------------------------------- forms


def _household_post(household, **changes):
    data = {
        "village": household.village.code,
        "group_name": household.group_name,
        "address": household.address,
        "phone": "",
        "poverty_attribute": household.poverty_attribute,
        "main_cause": household.main_cause,
        "secondary_cause": household.secondary_cause,
        "housing_area": "",
        "housing_safety": "",
        "water_safe": "on",
        "has_electricity": "on",
        "distance_to_road_km": "",
        "cultivated_land_mu": "0",
        "irrigated_land_mu": "0",
        "forest_land_mu": "0",
        "grassland_mu": "0",
        "water_surface_mu": "0",
        "relocation_mode": "",
        "relocation_place": "",
        "version": str(household.version),
    }
    data.update(changes)
    return data


def test_create_household(officer_client, place):
    response = officer_client.post(
        reverse("web:household_create"),
        {
            "number": "220822100201-0777",
            "village": place.village_a1.code,
            "household_type": "ordinary",
            "status": "normal",
            "effective_from": "2024-01-15",
            "phone": "13912345678",
            "address": "新村 1 号",
            "water_safe": "on",
            "has_electricity": "on",
        },
    )
    household = Household.objects.get(number="220822100201-0777")
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:household", args=[household.pk]
    )
    assert household.address == "新村 1 号" and household.phone_masked == "139****5678"
    assert household.type_history.get().effective_from == dt.date(2024, 1, 15)


def test_create_household_reports_service_errors_on_fields(officer_client, household_factory, place):
    existing = household_factory()
    response = officer_client.post(
        reverse("web:household_create"),
        {
            "number": existing.number,
            "village": place.village_a1.code,
            "household_type": "ordinary",
            "status": "normal",
            "effective_from": "2024-01-15",
            "phone": "12345",
        },
    )
    body = text(response)
    assert response.status_code == 200
    assert "A household with this number already exists." in body
    assert "A phone number is 11 digits" in body
    assert Household.objects.count() == 1


def test_edit_household_and_field_errors(officer_client, household_factory):
    household = household_factory()
    url = reverse("web:household_edit", args=[household.pk])
    assert version_in(officer_client.get(url)) == str(household.version)
    # Bad input: a phone the service refuses and a number the form cannot read; nothing is saved.
    response = officer_client.post(
        url, _household_post(household, address="改过", phone="12345", housing_area="abc")
    )
    body = text(response)
    assert "A phone number is 11 digits" in body or "Enter a number." in body
    assert "Enter a number." in body
    assert Household.objects.get(pk=household.pk).address == ""
    response = officer_client.post(url, _household_post(household, address="改过", phone="12345"))
    body = text(response)
    assert "A phone number is 11 digits" in body and 'value="改过"' in body
    assert Household.objects.get(pk=household.pk).address == ""
    # Good input is saved; a blank phone keeps the saved number.
    response = officer_client.post(url, _household_post(household, address="改过", group_name="三组"))
    assert response.status_code == 302
    saved = Household.objects.get(pk=household.pk)
    assert (saved.address, saved.group_name, saved.phone_masked) == ("改过", "三组", "138****5678")
    assert saved.version == household.version + 1
    assert AuditEntry.objects.filter(
        action="update", object_type="household", object_id=str(household.pk)
    ).exists()


def test_stale_edit_is_refused_with_the_input_kept(officer_client, county_officer, household_factory):
    household = household_factory()
    url = reverse("web:household_edit", args=[household.pk])
    opened_version = version_in(officer_client.get(url))
    # Someone else saves in between.
    services.update_household(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        values={"address": "别人改的"},
    )
    response = officer_client.post(url, _household_post(household, address="我改的", version=opened_version))
    body = text(response)
    assert response.status_code == 200
    assert str(StaleEdit.message) in body
    assert 'value="我改的"' in body  # the user's input is still in the form
    assert "别人改的" in body  # and the value saved meanwhile is shown next to it
    saved = Household.objects.get(pk=household.pk)
    assert saved.address == "别人改的" and saved.version == household.version + 1
    # The form now carries the current version: after review, saving again works.
    assert version_in(response) == str(saved.version)
    again = officer_client.post(
        url, _household_post(household, address="我改的", version=version_in(response))
    )
    assert again.status_code == 302 and Household.objects.get(pk=household.pk).address == "我改的"


def test_add_and_edit_member(officer_client, household_factory):
    household = household_factory()
    birth = dt.date(2005, 7, 9)
    number = valid_id(birth=birth, sequence=246)  # even: a woman
    base = {
        "name": "女儿",
        "relation": "child",
        "sex": "F",
        "birth_date": birth.isoformat(),
        "ethnicity": "han",
        "schooling_status": "in_school",
        "school_level": "tertiary",
        "health": "healthy",
        "labour_capacity": "ordinary",
        "migrant_work_months": "0",
        "basic_medical_insurance": "on",
        "exit_reason": "",
    }
    add_url = reverse("web:member_add", args=[household.pk])
    bad = officer_client.post(
        add_url, dict(base, id_number=number[:-1] + ("0" if number[-1] != "0" else "1"))
    )
    assert "does not match" in text(bad)
    response = officer_client.post(add_url, dict(base, id_number=number, phone="13700001111"))
    assert response.status_code == 302
    member = Member.objects.get(household=household, name="女儿")
    assert member.id_number_masked == number[:4] + "*" * 10 + number[-4:]

    edit_url = reverse("web:member_edit", args=[member.pk])
    page = text(officer_client.get(edit_url))
    assert number not in page  # the form never shows the stored number
    response = officer_client.post(
        edit_url, dict(base, name="二女儿", id_number="", phone="", version=member.version)
    )
    assert response.status_code == 302
    saved = Member.objects.get(pk=member.pk)
    assert saved.name == "二女儿"
    assert (
        saved.id_number_bidx == member.id_number_bidx and saved.phone_bidx == member.phone_bidx
    )  # unchanged


def test_add_and_edit_income(officer_client, household_factory):
    household = household_factory()
    year = timezone.localdate().year - 1
    response = officer_client.post(
        reverse("web:income_add", args=[household.pk]),
        {"year": year, "wage": "8000", "business": "2000", "transfer": "500", "business_expenditure": "500"},
    )
    assert response.status_code == 302
    record = IncomeRecord.objects.get(household=household, year=year)
    assert record.household_size == 1 and record.per_capita_net_income == Decimal("10000.00")
    # The same year again is refused on the year field.
    again = officer_client.post(reverse("web:income_add", args=[household.pk]), {"year": year, "wage": "1"})
    assert "This year already has an income record" in text(again)
    edit_url = reverse("web:income_edit", args=[household.pk, year])
    negative = officer_client.post(edit_url, {"wage": "-5", "version": record.version, "household_size": "2"})
    assert "Amounts cannot be negative." in text(negative)
    response = officer_client.post(
        edit_url, {"wage": "9000", "household_size": "2", "version": record.version}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.wage == Decimal(9000) and record.household_size == 2 and record.business == 0
    detail = text(officer_client.get(reverse("web:household", args=[household.pk])))
    assert "4,500.00" in detail


def test_change_type_status_and_monitoring(officer_client, household_factory):
    household = household_factory()
    url = reverse("web:household_type", args=[household.pk])
    missing_reason = officer_client.post(
        url,
        {
            "household_type": "lifted_out",
            "status": "lifted",
            "effective_from": "2024-02-01",
            "reason": " ",
            "version": 1,
        },
    )
    assert "This field is required." in text(missing_reason)
    response = officer_client.post(
        url,
        {
            "household_type": "lifted_out",
            "status": "lifted",
            "effective_from": timezone.localdate().isoformat(),  # on or after the registration
            "reason": "验收",
            "version": household.version,
        },
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.household_type, household.status) == ("lifted_out", "lifted")

    url = reverse("web:household_monitoring", args=[household.pk])
    six = ["illness", "schooling", "disability", "disaster", "accident", "housing"]
    too_many = officer_client.post(
        url,
        {
            "category": "marginal",
            "risk_types": six,
            "effective_from": "2024-03-01",
            "reason": "x",
            "version": household.version,
        },
    )
    assert "At most five risk types may be recorded." in text(too_many)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    later = officer_client.post(
        url,
        {
            "category": "marginal",
            "risk_types": ["illness"],
            "effective_from": future,
            "reason": "x",
            "version": household.version,
        },
    )
    assert "The date cannot be in the future." in text(later)
    response = officer_client.post(
        url,
        {
            "category": "marginal",
            "risk_types": ["illness", "housing"],
            "effective_from": timezone.localdate().isoformat(),
            "reason": "住院花费大",
            "version": household.version,
        },
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.monitoring_category == "marginal" and household.risk_type_list == ["illness", "housing"]
    detail = text(officer_client.get(reverse("web:household", args=[household.pk])))
    assert "住院花费大" in detail and "Housing safety" in detail


def test_stale_monitoring_change_is_refused(officer_client, county_officer, household_factory):
    household = household_factory()
    old_version = household.version
    services.update_household(
        actor=county_officer, household=household, expected_version=old_version, values={"address": "x"}
    )
    response = officer_client.post(
        reverse("web:household_monitoring", args=[household.pk]),
        {
            "category": "marginal",
            "risk_types": ["illness"],
            "effective_from": "2024-03-01",
            "reason": "x",
            "version": old_version,
        },
    )
    assert str(StaleEdit.message) in text(response)
    household.refresh_from_db()
    assert household.monitoring_category == "" and not household.monitoring_history.exists()


def test_apply_errors_puts_unknown_keys_on_top():
    from fupin.web.forms import LoginForm, apply_errors

    form = LoginForm({"username": "a", "password": "b"})
    assert form.is_valid()
    apply_errors(form, InvalidInput({"username": ["taken"], "mystery": ["odd"]}))
    assert form.errors["username"] == ["taken"] and form.non_field_errors() == ["odd"]


# ---------------------------------------------------------------- reveal


def test_reveal_shows_the_full_value_and_is_audited(client, county_officer, household_factory):
    household = household_factory()
    member = household.members.get()
    login(client, county_officer)
    page = text(client.get(reverse("web:household", args=[household.pk])))
    assert 'class="link reveal"' in page
    full = services.reveal(actor=county_officer, instance=member, field="id_number")
    before = AuditEntry.objects.filter(action="reveal").count()
    response = client.post(
        reverse("web:reveal", args=["member", member.pk, "id_number"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and full in text(response)
    phone = client.post(reverse("web:reveal", args=["household", household.pk, "phone"]))
    assert "13812345678" in text(phone)
    assert AuditEntry.objects.filter(action="reveal").count() == before + 2
    assert client.get(reverse("web:reveal", args=["member", member.pk, "id_number"])).status_code == 405
    assert client.post(reverse("web:reveal", args=["member", member.pk, "bank"])).status_code == 403
    assert client.post(reverse("web:reveal", args=["area", member.pk, "phone"])).status_code == 404


@pytest.mark.parametrize("role", [Role.PROVINCE_VIEWER, Role.DEPARTMENT_USER])
def test_reveal_is_not_offered_to_or_allowed_for_viewing_roles(client, make_user, household_factory, role):
    household = household_factory()
    member = household.members.get()
    viewer = make_user(role, "22")
    login(client, viewer)
    page = client.get(reverse("web:household", args=[household.pk]))
    assert page.status_code == 200
    body = text(page)
    assert 'class="link reveal"' not in body and "/reveal/" not in body
    assert member.id_number_masked in body
    before = AuditEntry.objects.filter(action="reveal").count()
    for url in [
        reverse("web:reveal", args=["member", member.pk, "id_number"]),
        reverse("web:reveal", args=["household", household.pk, "phone"]),
    ]:
        response = client.post(url)
        assert response.status_code == 403
        assert "13812345678" not in text(response)
    assert AuditEntry.objects.filter(action="reveal").count() == before


# ---------------------------------------------------------------- export


def _csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


def test_export_is_scoped_masked_and_audited(
    client, county_officer, household_factory, other_county_household, place
):
    inside = household_factory()
    elsewhere = household_factory(village=place.village_b1)
    full_id = services.reveal(actor=county_officer, instance=inside.members.get(), field="id_number")
    login(client, county_officer)
    response = client.get(reverse("web:households_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    numbers = {row[0] for row in rows[1:]}
    assert numbers == {inside.number, elsewhere.number}  # the other county's household is not there
    content = "\n".join(",".join(r) for r in rows)
    assert "138****5678" in content and "13812345678" not in content and full_id not in content

    before = AuditEntry.objects.filter(action="export").count()
    filtered = client.get(reverse("web:households_export"), {"q": full_id, "area": place.township_a.code})
    assert [row[0] for row in _csv_rows(filtered)[1:]] == [inside.number]
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert AuditEntry.objects.filter(action="export").count() == before + 1
    assert entry.actor == county_officer and entry.changes["rows"] == 1
    assert entry.changes["text_search"] is True and entry.changes["area_code"] == place.township_a.code
    recorded = f"{entry.summary} {entry.changes}"
    assert full_id not in recorded and inside.members.get().name not in recorded and "138" not in recorded


def test_export_needs_the_export_capability(client, village_cadre, make_user, household_factory):
    household_factory()
    login(client, village_cadre)
    assert client.get(reverse("web:households_export")).status_code == 403
    assert "export.csv" not in text(client.get(reverse("web:households")))
    viewer = make_user(Role.PROVINCE_VIEWER, "22")
    login(client, viewer)
    assert "export.csv" in text(client.get(reverse("web:households")))
    rows = _csv_rows(client.get(reverse("web:households_export")))
    assert len(rows) == 2


def test_export_headers_follow_the_language(client, county_officer, household_factory):
    household_factory(household_type="lifted_out", status="lifted")
    rows = _csv_rows(login(client, county_officer, "zh-hans").get(reverse("web:households_export")))
    assert rows[0][0] == "户编号" and "脱贫户" in rows[1]


# ---------------------------------------------------------------- languages


def test_chinese_by_default_and_english_through_the_switcher(client, county_officer):
    client.force_login(county_officer)
    chinese = text(client.get(reverse("web:home")))
    assert "概况" in chinese and "Overview" not in chinese and 'lang="zh-CN"' in chinese
    response = client.post("/i18n/setlang/", {"language": "en", "next": reverse("web:households")})
    assert response.status_code == 302 and response["Location"] == reverse("web:households")
    english = text(client.get(reverse("web:home")))
    assert "Overview" in english and "概况" not in english and 'lang="en"' in english
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "概况" in text(client.get(reverse("web:home")))


def test_login_page_has_the_language_switch(client):
    body = text(client.get(reverse("web:login")))
    assert 'action="/i18n/setlang/"' in body and "登录" in body


def test_area_filter_stays_small_for_a_province(make_user, place):
    from fupin.areas.models import AreaLevel
    from fupin.web.selectors import filter_areas

    viewer = make_user(Role.PROVINCE_VIEWER, "22")
    everything = filter_areas(viewer)
    assert {a.level for a in everything} >= {AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE}
    assert all(a.code.startswith("22") for a in everything)
    capped = filter_areas(viewer, limit=len(everything) - 1)
    assert AreaLevel.VILLAGE not in {a.level for a in capped} and AreaLevel.TOWNSHIP in {
        a.level for a in capped
    }
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    assert [a.code for a in filter_areas(cadre)] == [place.village_a1.code]


def test_pages_carry_a_content_security_policy_and_are_never_stored(client, county_officer):
    client.force_login(county_officer)
    for url in (reverse("web:home"), "/api/v1/openapi.json"):
        response = client.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["Cache-Control"] == "no-store", url
    static = client.get("/static/fupin/fupin.css")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


def test_the_openapi_document_can_be_kept_to_users(client, county_officer, settings):
    from fupin.accounts.services import issue_token

    settings.API_DOCS_PUBLIC = False
    assert client.get("/api/v1/openapi.json").status_code == 404
    token = issue_token(user=county_officer)
    with_token = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 200 and "paths" in with_token.json()
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_fupin_https_makes_cookies_secure_and_sends_hsts(tmp_path):
    """FUPIN_HTTPS=1 behind a TLS proxy: the session and CSRF cookies say Secure and HSTS is sent."""
    import json
    import os
    import subprocess
    import sys

    script = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
over_tls = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
plain = client.get("/login/")
print(json.dumps({
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": over_tls.cookies["csrftoken"]["secure"] is True,
    "hsts": over_tls.get("Strict-Transport-Security", ""),
    "hsts_without_tls": plain.get("Strict-Transport-Security", ""),
}))
"""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fupin.settings",
        "FUPIN_VAR_DIR": str(tmp_path),
        "FUPIN_HTTPS": "1",
        "FUPIN_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
        "FUPIN_ALLOWED_HOSTS": "testserver",
    }
    env.pop("FUPIN_DATABASE_URL", None)  # the login page needs no tables
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["session_secure"] and seen["csrf_cookie_secure"]
    assert seen["hsts"].startswith("max-age=31536000")
    assert seen["hsts_without_tls"] == ""  # a plain request through no proxy is not told to pin HTTPS


def test_every_page_has_an_icon(client, county_officer):
    client.force_login(county_officer)
    for url in (reverse("web:home"), "/declare/"):  # the cadres' pages and the residents' declaration
        assert 'rel="icon"' in client.get(url).content.decode(), url
    icon = client.get("/favicon.ico", follow=True)
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)


def test_a_mistyped_id_number_is_reported_with_every_other_problem(officer_client, household_factory):
    """Issue 12: a 17-digit ID number showed only once the other fields were fixed."""
    household = household_factory()
    before = Member.objects.count()
    response = officer_client.post(
        reverse("web:member_add", args=[household.pk]),
        {"name": "", "relation": "child", "sex": "F", "id_number": "22082219800517012"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "An ID number has 18 characters." in page
    assert page.count('class="field has-error') >= 3, (
        "the ID number waited for the other fields"
    )  # name, labour, ID
    assert Member.objects.count() == before
