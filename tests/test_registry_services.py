"""Registry services: validation, PII at rest, dated history, optimistic locking, audit."""

from __future__ import annotations

import datetime as dt
import os
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, StaleEdit
from fupin.registry import selectors, services
from fupin.registry.models import Household, HouseholdTypeHistory, IncomeRecord, Member, MonitoringHistory
from tests.conftest import valid_id


def test_id_number_stored_encrypted_with_blind_index_and_mask(household_factory, county_officer):
    household = household_factory()
    member = household.members.get()
    number = services.reveal(actor=county_officer, instance=member, field="id_number")
    assert len(number) == 18
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_member WHERE id = %s", [member.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT * FROM registry_household WHERE id = %s", [household.pk])
        row += " ".join(str(v) for v in cursor.fetchone())
    assert number not in row, "the plain ID number must not be stored"
    assert "13812345678" not in row, "the plain phone number must not be stored"
    assert member.id_number_masked == number[:4] + "*" * 10 + number[-4:]
    assert household.phone_masked == "138****5678"
    found = selectors.search_households(county_officer, selectors.HouseholdFilters(query=number.lower()))
    assert list(found) == [household]


def test_reveal_is_audited_and_refused_to_viewers(household_factory, county_officer, make_user):
    household = household_factory()
    member = household.members.get()
    before = AuditEntry.objects.filter(action="reveal").count()
    services.reveal(actor=county_officer, instance=member, field="id_number")
    entry = AuditEntry.objects.filter(action="reveal").last()
    assert AuditEntry.objects.filter(action="reveal").count() == before + 1
    assert entry.actor == county_officer and entry.object_id == str(member.pk)
    viewer = make_user("province_viewer", "22")
    with pytest.raises(NotPermitted):
        services.reveal(actor=viewer, instance=member, field="id_number")
    outsider = make_user("county_officer", "220821")
    with pytest.raises(OutOfScope):
        services.reveal(actor=outsider, instance=member, field="phone")


def test_bad_member_input_reports_every_problem_and_saves_nothing(household_factory, county_officer):
    household = household_factory()
    count = Member.objects.count()
    wrong_sex_id = valid_id(birth=dt.date(1990, 2, 3), sequence=124)  # even: a woman
    with pytest.raises(InvalidInput) as caught:
        services.add_member(
            actor=county_officer,
            household=household,
            values={
                "name": "",
                "sex": "M",
                "birth_date": dt.date(1990, 2, 3),
                "relation": "head",
                "labour_capacity": "flying",
            },
            id_number=wrong_sex_id,
            phone_number="12345",
        )
    fields = caught.value.field_errors
    assert {"name", "id_number", "phone", "relation", "labour_capacity"} <= set(fields)
    assert Member.objects.count() == count


def test_duplicate_id_number_in_another_household_is_refused(household_factory, county_officer):
    first = household_factory()
    number = services.reveal(actor=county_officer, instance=first.members.get(), field="id_number")
    second = household_factory()
    member = first.members.get()
    with pytest.raises(InvalidInput) as caught:
        services.add_member(
            actor=county_officer,
            household=second,
            values={
                "name": "重复",
                "sex": member.sex,
                "birth_date": member.birth_date,
                "relation": "spouse",
                "labour_capacity": "ordinary",
            },
            id_number=number,
        )
    assert first.number in str(caught.value.field_errors["id_number"][0])


def test_stale_edit_is_refused_and_changes_nothing(household_factory, county_officer):
    household = household_factory(address="老地址")
    version = household.version
    services.update_household(
        actor=county_officer,
        household=household,
        expected_version=version,
        values={"address": "第一人的修改"},
    )
    with pytest.raises(StaleEdit):
        services.update_household(
            actor=county_officer,
            household=household,
            expected_version=version,
            values={"address": "第二人的修改"},
        )
    household.refresh_from_db()
    assert household.address == "第一人的修改"
    assert household.version == version + 1


def test_member_stale_edit(household_factory, county_officer):
    member = household_factory().members.get()
    services.update_member(
        actor=county_officer, member=member, expected_version=member.version, values={"education": "junior"}
    )
    with pytest.raises(StaleEdit):
        services.update_member(
            actor=county_officer,
            member=member,
            expected_version=member.version,
            values={"education": "senior"},
        )
    member.refresh_from_db()
    assert member.education == "junior"


def test_correcting_sex_must_still_agree_with_the_stored_id_number(household_factory, county_officer):
    member = household_factory(head_sex="M").members.get()
    with pytest.raises(InvalidInput) as caught:
        services.update_member(
            actor=county_officer, member=member, expected_version=member.version, values={"sex": "F"}
        )
    assert "id_number" in caught.value.field_errors


def test_type_and_status_are_dated_history_never_overwritten(household_factory, county_officer):
    household = household_factory(
        household_type="poor", status="not_lifted", registered_on=dt.date(2014, 10, 1)
    )
    household = services.change_type_and_status(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        household_type="lifted_out",
        status="lifted",
        effective_from=dt.date(2020, 12, 1),
        reason="脱贫",
    )
    # A late correction with an earlier date does not replace the current value.
    household = services.change_type_and_status(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        household_type="poor",
        status="pre_lifted",
        effective_from=dt.date(2019, 6, 1),
        reason="补录",
    )
    history = list(HouseholdTypeHistory.objects.filter(household=household).values_list("status", flat=True))
    assert len(history) == 3 and "pre_lifted" in history and "not_lifted" in history
    assert (household.household_type, household.status) == ("lifted_out", "lifted")


def test_monitoring_history_and_risk_type_rules(household_factory, county_officer):
    household = household_factory()
    with pytest.raises(InvalidInput) as caught:
        services.change_monitoring(
            actor=county_officer,
            household=household,
            expected_version=household.version,
            category="marginal",
            risk_types=["illness", "schooling", "disability", "disaster", "accident", "housing"],
            effective_from=dt.date(2025, 3, 1),
            reason="",
        )
    assert {"risk_types", "reason"} <= set(caught.value.field_errors)
    household = services.change_monitoring(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        category="marginal",
        risk_types=["illness", "housing"],
        effective_from=dt.date(2025, 3, 1),
        reason="大病",
    )
    assert household.monitoring_category == "marginal"
    assert household.risk_type_list == ["illness", "housing"]
    found = selectors.search_households(county_officer, selectors.HouseholdFilters(risk_type="housing"))
    assert household in found
    household = services.change_monitoring(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        category="",
        risk_types=[],
        effective_from=dt.date(2025, 10, 1),
        reason="风险消除",
    )
    assert household.monitoring_category == ""
    assert MonitoringHistory.objects.filter(household=household).count() == 2


def test_income_record_per_capita_and_duplicates(household_factory, county_officer):
    household = household_factory()
    record = services.save_income(
        actor=county_officer,
        household=household,
        year=2025,
        values={
            "wage": Decimal(12000),
            "business": Decimal(3000),
            "transfer": Decimal(1000),
            "business_expenditure": Decimal(2000),
            "household_size": 2,
        },
    )
    assert record.per_capita_net_income == Decimal("7000.00")
    with pytest.raises(InvalidInput) as caught:
        services.save_income(
            actor=county_officer, household=household, year=2025, values={"wage": Decimal(1)}
        )
    assert "year" in caught.value.field_errors
    with pytest.raises(InvalidInput) as caught:
        services.save_income(
            actor=county_officer,
            household=household,
            year=2024,
            values={"wage": Decimal(-5), "transfer": Decimal(10), "excluded_transfer": Decimal(20)},
        )
    assert {"wage", "excluded_transfer"} <= set(caught.value.field_errors)
    assert IncomeRecord.objects.filter(household=household).count() == 1


def test_every_change_is_audited_with_masked_identifiers(household_factory, county_officer):
    household = household_factory()
    member = household.members.get()
    number = services.reveal(actor=county_officer, instance=member, field="id_number")
    entries = AuditEntry.objects.filter(object_type__in=["household", "member"])
    assert entries.filter(action="create", object_type="household", object_id=str(household.pk)).exists()
    assert entries.filter(action="create", object_type="member", object_id=str(member.pk)).exists()
    for entry in AuditEntry.objects.all():
        text = str(entry.changes) + entry.summary
        assert number not in text and "13812345678" not in text


def test_village_cadre_edits_only_their_village(place, household_factory, village_cadre):
    mine = household_factory(place.village_a1)
    theirs = household_factory(place.village_a2)
    services.update_household(
        actor=village_cadre, household=mine, expected_version=mine.version, values={"address": "改"}
    )
    with pytest.raises(OutOfScope):
        services.update_household(
            actor=village_cadre, household=theirs, expected_version=theirs.version, values={"address": "改"}
        )
    with pytest.raises(OutOfScope):
        services.create_household(
            actor=village_cadre,
            number="X1",
            village_code=place.village_b1.code,
            household_type="ordinary",
            status="normal",
        )
    # Moving a household into a village outside capture scope is refused too.
    with pytest.raises(OutOfScope):
        services.update_household(
            actor=village_cadre,
            household=mine,
            expected_version=mine.version + 1,
            values={},
            village_code=place.village_b1.code,
        )
    assert Household.objects.get(pk=mine.pk).village == place.village_a1


def test_view_only_roles_cannot_write(place, household_factory, make_user):
    household = household_factory()
    for role, code in [("province_viewer", "22"), ("department_user", "220822")]:
        user = make_user(role, code)
        with pytest.raises(NotPermitted):
            services.update_household(
                actor=user, household=household, expected_version=household.version, values={"address": "x"}
            )


def test_impossible_areas_and_sizes_are_refused_all_at_once_and_nothing_is_saved(
    household_factory, county_officer, client
):
    """The form, the import and the API all save through these services: one refusal for all."""
    household = household_factory()
    with pytest.raises(InvalidInput) as caught:
        services.update_household(
            actor=county_officer,
            household=household,
            expected_version=household.version,
            values={
                "housing_area": Decimal("-5"),
                "cultivated_land_mu": Decimal("-1"),
                "distance_to_road_km": Decimal("-0.5"),
                "forest_land_mu": Decimal("250000"),
            },
        )
    assert {"housing_area", "cultivated_land_mu", "distance_to_road_km", "forest_land_mu"} <= set(
        caught.value.field_errors
    )
    stored = Household.objects.get(pk=household.pk)
    assert stored.version == household.version and stored.cultivated_land_mu == household.cultivated_land_mu
    with pytest.raises(InvalidInput) as zero:
        services.save_income(
            actor=county_officer,
            household=household,
            year=2025,
            values={"household_size": 0, "wage": Decimal(1)},
        )
    assert "household_size" in zero.value.field_errors
    assert not IncomeRecord.objects.filter(household=household).exists()
    head = household.members.get(relation="head")
    with pytest.raises(InvalidInput) as negative:
        services.update_member(
            actor=county_officer,
            member=head,
            expected_version=head.version,
            values={"migrant_work_income": Decimal("-5")},
        )
    assert list(negative.value.field_errors) == ["migrant_work_income"]
    assert Member.objects.get(pk=head.pk).migrant_work_income == head.migrant_work_income
    # Left out, the size is the household's members.
    record = services.save_income(
        actor=county_officer, household=household, year=2025, values={"wage": Decimal(1)}
    )
    assert record.household_size == household.members.count()


def test_a_household_number_belongs_to_its_village(county_officer, place):
    """The number starts with the village's code; a blank number takes the village's next one."""

    def create(number: str, village=place.village_a1):
        return services.create_household(
            actor=county_officer,
            number=number,
            village_code=village.code,
            household_type="ordinary",
            status="normal",
        )

    for wrong in (f"{place.village_a2.code}0001", "H001", f"{place.village_a1.code}", "2208221002010001234"):
        with pytest.raises(InvalidInput) as caught:
            create(wrong)
        assert list(caught.value.field_errors) == ["number"], wrong
    assert not Household.objects.exists()
    assert create(f"{place.village_a1.code}-0007").number == f"{place.village_a1.code}-0007"
    assert create("").number == f"{place.village_a1.code}0008"
    assert create(" ").number == f"{place.village_a1.code}0009"
    assert create("", village=place.village_b1).number == f"{place.village_b1.code}0001"


ON_POSTGRES = os.environ.get("FUPIN_DATABASE_URL", "").startswith("postgres")


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks are what this test is about: the PostgreSQL pass")
def test_two_clerks_registering_households_at_once_get_distinct_numbers(
    audit_triggers_back, flushable_audit, county_officer, place, make_user
):
    """Two clerks leave the number blank in the same village at the same moment: each household gets
    the village's next number, never the same one (which the database refused with an error page)."""
    second = make_user(Role.COUNTY_OFFICER, "220822")
    start = threading.Barrier(2)
    numbers: dict[int, str] = {}
    failures: list[BaseException] = []

    def register(clerk, slot: int) -> None:
        try:
            start.wait()
            numbers[slot] = services.create_household(
                actor=clerk,
                number="",
                village_code=place.village_a1.code,
                household_type="ordinary",
                status="normal",
            ).number
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=register, args=(clerk, n)) for n, clerk in enumerate((county_officer, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert sorted(numbers.values()) == [f"{place.village_a1.code}0001", f"{place.village_a1.code}0002"]
