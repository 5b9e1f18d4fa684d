"""The demo county: generated data a cadre would find plausible, loaded safely and quickly."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from io import StringIO

import pytest

from fupin.areas.divisions import id_area_code_exists
from fupin.demo import generator
from fupin.domain import idnumber

AS_OF = dt.date(2025, 6, 30)  # a fixed day, so that the data is the same whenever the tests run
SMALL = 200


@pytest.fixture(scope="module")
def county() -> generator.DemoCounty:
    return generator.generate(households=SMALL, seed=11, as_of=AS_OF)


@pytest.fixture(scope="module")
def larger() -> generator.DemoCounty:
    """Enough households for shares (of lifted-out households, monitoring objects…) to mean something."""
    return generator.generate(households=3000, seed=5, as_of=AS_OF)


def members_of(data: generator.DemoCounty):
    return [(h, m) for h in data.households for m in h.members]


# ----------------------------------------------------------------------------- the generator


def test_same_seed_gives_the_same_county_and_another_seed_a_different_one(county):
    again = generator.generate(households=SMALL, seed=11, as_of=AS_OF)
    assert again == county
    other = generator.generate(households=SMALL, seed=12, as_of=AS_OF)
    people = {m.id_number for _h, m in members_of(county)}
    other_people = {m.id_number for _h, m in members_of(other)}
    assert people != other_people
    assert [h.members[0].name for h in other.households] != [h.members[0].name for h in county.households]


def test_areas_have_codes_under_their_parents_and_unique_names(county):
    assert 10 <= len(county.townships) <= 20
    assert {t.name for t in county.townships} >= {"开通镇", "瞻榆镇", "向海蒙古族乡"}
    township_codes = {t.code for t in county.townships}
    for township in county.townships:
        assert len(township.code) == 9 and township.code.startswith("220822")
    per_township = Counter(v.code[:9] for v in county.villages)
    assert set(per_township) == township_codes
    assert all(8 <= n <= 20 for n in per_township.values())
    for village in county.villages:
        assert len(village.code) == 12 and village.code.isdigit()
        assert village.name.endswith("村")
    assert len({v.code for v in county.villages}) == len(county.villages)
    assert len({v.name for v in county.villages}) == len(county.villages)
    assert {h.village_code for h in county.households} <= {v.code for v in county.villages}


def test_every_id_number_is_valid_unique_and_agrees_with_sex_and_birth_date(county):
    numbers = []
    for _household, member in members_of(county):
        info = idnumber.parse(member.id_number, area_exists=id_area_code_exists, today=AS_OF)
        idnumber.check_against_record(info, sex=member.sex, birth_date=member.birth_date)
        numbers.append(info.number)
    assert len(numbers) == len(set(numbers))
    local = sum(n.startswith("220822") for n in numbers)
    assert local / len(numbers) > 0.7  # most people's numbers were issued in the county
    assert local < len(numbers)  # and some come from elsewhere in Jilin
    assert all(n[:2] == "22" for n in numbers)


def test_heads_have_distinct_mobile_phones(county):
    phones = [h.phone for h in county.households]
    assert all(len(p) == 11 and p.startswith("1") and p.isdigit() for p in phones)
    assert len(set(phones)) == len(phones)
    for household in county.households:
        assert household.head.phone == household.phone


def test_households_are_families_a_cadre_would_recognise(larger):
    sizes = [len(h.members) for h in larger.households]
    assert min(sizes) >= 1 and max(sizes) <= 8
    assert 2.2 <= sum(sizes) / len(sizes) <= 3.2
    for household in larger.households:
        relations = Counter(m.relation for m in household.members)
        assert relations["head"] == 1
        assert relations["spouse"] <= 1
        head_age = household.head.age_on(AS_OF)
        assert head_age >= 18
        for member in household.members:
            age = member.age_on(AS_OF)
            assert 0 <= age <= 100
            if member.relation == "child":
                assert head_age - age >= 15, "a child is at least 15 years younger than the head"
            if member.relation == "grandchild":
                assert head_age - age >= 30
            if member.relation == "parent":
                assert age - head_age >= 15
    ages = [m.age_on(AS_OF) for _h, m in members_of(larger)]
    assert 0.2 < sum(a >= 60 for a in ages) / len(ages) < 0.45  # an ageing rural county
    assert sum(a < 16 for a in ages) > 0


def test_labour_capacity_schooling_and_health_agree_with_age(larger):
    for _household, member in members_of(larger):
        age = member.age_on(AS_OF)
        if age < 16:
            assert member.labour_capacity == "none", "no child under 16 counts as labour"
            assert not member.migrant_work_place
        if 6 <= age <= 15:
            assert member.schooling_status in ("in_school", "dropped_out"), "compulsory schooling age"
        if member.schooling_status == "in_school":
            assert member.labour_capacity == "none" and member.school_level
        else:
            assert member.school_level == ""
        if member.health in ("serious", "disabled"):
            assert member.labour_capacity not in ("ordinary", "skilled")
        if member.migrant_work_place:
            assert member.labour_capacity in ("ordinary", "skilled") and 18 <= age <= 55
            assert 1 <= member.migrant_work_months <= 12 and member.migrant_work_income > 0
        if member.has_disability_certificate:
            assert member.health == "disabled"
        assert not (member.receives_dibao and member.receives_tekun)


def test_shares_are_plausible_for_a_former_key_county(larger):
    households = larger.households
    members = [m for _h, m in members_of(larger)]
    lifted = [h for h in households if h.household_type == "lifted_out"]
    assert 0.12 < len(lifted) / len(households) < 0.30
    assert all(h.status == "lifted" and h.poverty_attribute and h.main_cause for h in lifted)
    ordinary = [h for h in households if h.household_type == "ordinary"]
    assert all(h.status == "normal" and not h.poverty_attribute and not h.main_cause for h in ordinary)
    causes = Counter(h.main_cause for h in lifted)
    assert causes.most_common(1)[0][0] == "illness"  # the commonest cause of poverty
    uninsured = sum(not m.basic_medical_insurance for m in members)
    assert 0 < uninsured < 0.05 * len(members)  # nearly everyone insured, a few not
    disabled = sum(m.health == "disabled" for m in members)
    assert 0.03 < disabled / len(members) < 0.10
    assert any(m.receives_dibao for m in members) and any(m.receives_tekun for m in members)
    housing = Counter(h.housing_safety for h in households)
    assert (housing["A"] + housing["B"]) / len(households) > 0.9
    land = [float(h.cultivated_land_mu) for h in households]
    assert 15 <= sum(land) / len(land) <= 40  # a farming county of the north-east plain
    monitored = [h for h in households if h.monitoring_category]
    assert 0.01 < len(monitored) / len(households) < 0.06


def test_incomes_cover_three_years_with_consistent_components(county):
    years = generator.income_years(AS_OF)
    assert years == [AS_OF.year - 3, AS_OF.year - 2, AS_OF.year - 1]
    for household in county.households:
        assert [i.year for i in household.incomes] == years
        for income in household.incomes:
            assert income.household_size == len(household.members)
            amounts = [
                income.wage,
                income.business,
                income.property_income,
                income.transfer,
                income.excluded_transfer,
                income.business_expenditure,
                income.compliant_oop_spending,
            ]
            assert all(a >= 0 for a in amounts)
            assert income.excluded_transfer <= income.transfer
        wages = sum(m.migrant_work_income for m in household.members)
        assert wages <= household.incomes[-1].wage  # migrant pay is part of the last year's wage income


def test_some_households_are_clearly_at_risk_and_some_are_monitored(larger):
    line = generator.EXAMPLE_MONITORING_LINE
    last = {h.number: h.incomes[-1] for h in larger.households}
    low = [h for h in larger.households if last[h.number].per_capita_net() < line]
    assert low, "some households live below the monitoring line"
    assert any(not h.monitoring_category for h in low), "some of them are not yet recorded: work to do"
    assert any(h.housing_safety == "D" for h in larger.households)
    assert any(last[h.number].compliant_oop_spending > 20_000 for h in larger.households)
    assert any(m.schooling_status == "dropped_out" for _h, m in members_of(larger))

    monitored = [h for h in larger.households if h.monitoring_category]
    assert {h.monitoring_category for h in monitored} >= {"unstable_lifted", "marginal"}
    for household in monitored:
        assert 1 <= len(household.risk_types) <= 3
        assert len(set(household.risk_types)) == len(household.risk_types)
        if household.monitoring_category == "unstable_lifted":
            assert household.household_type == "lifted_out"
        if household.monitoring_category == "marginal":
            assert household.household_type == "ordinary"
        if household.monitoring_category in ("unstable_lifted", "marginal"):
            assert last[household.number].per_capita_net() < line
        else:  # sudden severe difficulty: income above the range
            assert last[household.number].per_capita_net() >= line
        latest = household.monitoring_history[-1]
        assert latest.category == household.monitoring_category
        assert latest.risk_types == household.risk_types
        assert latest.effective_from <= AS_OF
    eliminated = [h for h in larger.households if h.monitoring_history and not h.monitoring_category]
    assert eliminated, "some households had their risk eliminated"
    for household in eliminated:
        identified, closed = household.monitoring_history
        assert closed.category == "" and (closed.effective_from - identified.effective_from).days >= 180


def test_dibao_follows_income_and_covers_households_where_nobody_can_work(larger):
    line = generator.EXAMPLE_MONITORING_LINE
    ordinary = [h for h in larger.households if h.household_type == "ordinary"]
    on_dibao = [h for h in ordinary if any(m.receives_dibao for m in h.members)]
    assert 0.005 < len(on_dibao) / len(ordinary) < 0.05
    income = {h.number: h.incomes[-1].per_capita_net() for h in on_dibao}
    # Mainly households with low income; a few whose income rose since the roll was reviewed.
    assert sum(income[h.number] < 1.5 * line for h in on_dibao) >= 0.8 * len(on_dibao)
    assert sum(income[h.number] > 2 * line for h in on_dibao) <= 0.2 * len(on_dibao)
    # Lifted-out and monitored households where nobody can work: 低保 or 特困, but for a few.
    needs_plan = [h for h in larger.households if h.monitoring_category or h.household_type == "lifted_out"]
    no_labour = [
        h
        for h in needs_plan
        if not any(m.labour_capacity in ("ordinary", "skilled", "weak") for m in h.members)
    ]
    uncovered = [h for h in no_labour if not any(m.receives_dibao or m.receives_tekun for m in h.members)]
    assert no_labour and len(uncovered) <= 0.1 * len(no_labour)
    for household in larger.households:  # the poverty attribute says which allowance a household has
        if household.household_type == "lifted_out" and household.poverty_attribute == "general":
            assert not any(m.receives_dibao or m.receives_tekun for m in household.members)


def test_type_history_ends_with_the_current_type(county):
    for household in county.households:
        latest = household.type_history[-1]
        assert (latest.household_type, latest.status) == (household.household_type, household.status)
        dates = [t.effective_from for t in household.type_history]
        assert dates == sorted(dates) and dates[-1] <= AS_OF


def test_coded_values_are_valid_choices(county):
    from fupin.registry import choices

    for household in county.households:
        assert household.household_type in choices.HouseholdType.values
        assert household.status in choices.HouseholdStatus.values
        assert household.poverty_attribute in ["", *choices.PovertyAttribute.values]
        assert household.main_cause in ["", *choices.PovertyCause.values]
        assert household.secondary_cause in ["", *choices.PovertyCause.values]
        assert household.secondary_cause != household.main_cause or not household.main_cause
        assert household.monitoring_category in ["", *choices.MonitoringCategory.values]
        assert set(household.risk_types) <= set(choices.RiskType.values)
        assert household.housing_safety in choices.HousingSafety.values
        for member in household.members:
            assert member.relation in choices.Relation.values
            assert member.sex in choices.Sex.values
            assert member.ethnicity in choices.Ethnicity.values
            assert member.education in ["", *choices.Education.values]
            assert member.schooling_status in choices.SchoolingStatus.values
            assert member.school_level in choices.SchoolLevel.values
            assert member.health in choices.Health.values
            assert member.labour_capacity in choices.LabourCapacity.values


# ----------------------------------------------------------------------------- the loader


@pytest.fixture
def loaded(db):
    from fupin.demo.loader import load_demo_county

    return load_demo_county(households=SMALL, seed=3, as_of=AS_OF)


def test_loader_writes_the_generated_county(loaded):
    from fupin.areas.models import Area, AreaLevel
    from fupin.registry.models import (
        Household,
        HouseholdTypeHistory,
        IncomeRecord,
        Member,
        MonitoringHistory,
    )

    expected = generator.generate(households=SMALL, seed=3, as_of=AS_OF, county_name="通榆县")
    households = Household.objects.filter(village__county_code="220822")
    assert households.count() == SMALL == loaded.households
    assert Member.objects.filter(household__in=households).count() == sum(
        len(h.members) for h in expected.households
    )
    assert IncomeRecord.objects.filter(household__in=households).count() == 3 * SMALL
    assert HouseholdTypeHistory.objects.filter(household__in=households).count() == sum(
        len(h.type_history) for h in expected.households
    )
    assert MonitoringHistory.objects.filter(household__in=households).count() == sum(
        len(h.monitoring_history) for h in expected.households
    )
    assert households.exclude(monitoring_category="").count() == loaded.monitoring_objects > 0
    villages = Area.objects.filter(county_code="220822", level=AreaLevel.VILLAGE)
    assert villages.count() == len(expected.villages) == loaded.villages_created
    for village in villages.select_related("parent"):
        assert village.parent.code == village.code[:9] and village.parent.parent.code == "220822"
        assert village.path == f"/22/2208/220822/{village.code[:9]}/{village.code}/"
    # Each household's current monitoring matches its latest dated entry.
    for household in households.exclude(monitoring_category=""):
        latest = household.monitoring_history.order_by("-effective_from", "-id").first()
        assert (latest.category, latest.risk_types) == (household.monitoring_category, household.risk_types)


def test_loaded_records_pass_model_validation(loaded):
    from fupin.registry.models import Household, IncomeRecord, Member

    for household in Household.objects.filter(village__county_code="220822"):
        household.full_clean(validate_unique=False, validate_constraints=False)
    for member in Member.objects.all():
        member.full_clean(validate_unique=False, validate_constraints=False)
    for income in IncomeRecord.objects.all()[:100]:
        income.full_clean(validate_unique=False, validate_constraints=False)


def test_identifiers_are_stored_encrypted_never_in_plain_text(loaded):
    from fupin.pii.crypto import get_cipher
    from fupin.registry.models import Household, Member

    cipher = get_cipher()
    members = list(Member.objects.values())
    assert members
    for row in members:
        plain = cipher.decrypt(row["id_number_enc"])
        idnumber.parse(plain, area_exists=id_area_code_exists)
        assert row["id_number_bidx"] == cipher.blind_index("id", plain)
        assert row["id_number_masked"] == idnumber.mask(plain) and "*" in row["id_number_masked"]
        stored_text = " ".join(str(v) for v in row.values())
        assert plain not in stored_text
        assert plain[6:14] not in stored_text.replace(str(row["birth_date"]).replace("-", ""), "")
    for row in Household.objects.values("phone_enc", "phone_bidx", "phone_masked", "address"):
        plain = cipher.decrypt(row["phone_enc"])
        assert row["phone_bidx"] == cipher.blind_index("phone", plain)
        assert plain not in " ".join(str(v) for v in row.values())
        assert row["phone_masked"].startswith(plain[:3]) and "****" in row["phone_masked"]
    # A registered person can be found by ID number through the blind index.
    someone = members[0]
    found = Member.objects.filter(
        id_number_bidx=cipher.blind_index("id", cipher.decrypt(someone["id_number_enc"]))
    )
    assert [m.pk for m in found] == [someone["id"]]


def test_the_load_is_one_audit_entry_without_personal_data(loaded):
    from fupin.audit.models import AuditEntry
    from fupin.audit.selectors import verify_chain
    from fupin.demo.loader import DEMO_ACCOUNTS
    from fupin.pii.crypto import get_cipher
    from fupin.registry.models import Member

    imports = list(AuditEntry.objects.filter(action="import"))
    assert len(imports) == 1
    entry = imports[0]
    assert entry.area_code == "220822"
    assert entry.changes["households"] == SMALL
    text = json.dumps(entry.changes, ensure_ascii=False) + entry.summary
    cipher = get_cipher()
    for member in Member.objects.all()[:50]:
        assert member.name not in text
        assert cipher.decrypt(member.id_number_enc) not in text
    # No per-row entries: only the import and the demo accounts being granted their areas.
    assert AuditEntry.objects.exclude(action__in=["import", "grant"]).count() == 0
    assert AuditEntry.objects.filter(action="grant").count() == len(DEMO_ACCOUNTS)
    assert verify_chain().ok


def test_demo_accounts_log_in_and_see_their_own_area(loaded):
    from django.contrib.auth import authenticate

    from fupin.accounts import scope
    from fupin.accounts.roles import Capability, Role
    from fupin.demo.loader import DEMO_PASSWORD
    from fupin.registry.models import Household

    logins = {login.role: login for login in loaded.logins}
    assert set(logins) == set(Role.values)
    all_households = Household.objects.filter(village__county_code="220822")
    for role, login in logins.items():
        user = authenticate(username=login.username, password=DEMO_PASSWORD)
        assert user is not None and user.role == role
        visible = scope.scoped(Household.objects.all(), user)
        assert visible.exists()
        assert all(h.village.code.startswith(login.area_code) for h in visible.select_related("village"))
        editable = scope.scoped(Household.objects.all(), user, "capture")
        if role in (Role.DEPARTMENT_USER, Role.PROVINCE_VIEWER):
            assert not editable.exists(), f"{role} only looks"
            assert not user.can(Capability.REVEAL_PII)
        else:
            assert editable.count() == visible.count()
    cadre = authenticate(username=logins[Role.VILLAGE_CADRE].username, password=DEMO_PASSWORD)
    village_households = scope.scoped(Household.objects.all(), cadre)
    assert 0 < village_households.count() < all_households.count()
    assert village_households.exclude(monitoring_category="").exists(), "the cadre has cases to follow"
    assert len(logins[Role.VILLAGE_CADRE].area_code) == 12
    assert len(logins[Role.TOWNSHIP_OFFICER].area_code) == 9
    assert logins[Role.PROVINCE_VIEWER].area_code == "22"


def test_a_county_with_households_is_not_loaded_twice(loaded):
    from fupin.demo.loader import DemoDataError, load_demo_county
    from fupin.registry.models import Household

    with pytest.raises(DemoDataError):
        load_demo_county(households=10, seed=4, as_of=AS_OF)
    assert Household.objects.count() == SMALL


def test_loader_uses_villages_that_already_exist(db):
    """After ``fupin areas import`` of the real village list, the demo fills those villages."""
    from fupin.areas.models import Area
    from fupin.demo.loader import load_demo_county
    from fupin.registry.models import Household

    county = Area.objects.get(code="220821")
    township = Area(code="220821100", name="镇赉镇", parent=county, source="import")
    township.fill_derived()
    township.save()
    village = Area(code="220821100201", name="真实村", parent=township, source="import")
    village.fill_derived()
    village.save()
    summary = load_demo_county(county_code="220821", households=25, seed=1, as_of=AS_OF)
    assert summary.townships_created == summary.villages_created == 0
    assert Household.objects.filter(village=village).count() == 25
    assert all("真实村" in h.address for h in Household.objects.filter(village=village))


def test_loader_generates_villages_under_townships_that_already_exist(db):
    from fupin.areas.models import Area, AreaLevel
    from fupin.demo.loader import load_demo_county
    from fupin.registry.models import Household

    county = Area.objects.get(code="220821")
    township = Area(code="220821101", name="坦途镇", parent=county, source="import")
    township.fill_derived()
    township.save()
    summary = load_demo_county(county_code="220821", households=30, seed=2, as_of=AS_OF)
    assert summary.townships_created == 0 and summary.villages_created > 0
    villages = Area.objects.filter(county_code="220821", level=AreaLevel.VILLAGE)
    assert all(v.parent_id == township.pk for v in villages)
    assert all(h.address.startswith("坦途镇") for h in Household.objects.all())


def test_command_loads_prints_logins_and_respects_if_empty(db):
    from django.core.management import CommandError, call_command

    from fupin.demo.loader import DEMO_PASSWORD
    from fupin.registry.models import Household

    out = StringIO()
    call_command("demo_data", "--households", "40", "--seed", "9", stdout=out)
    text = out.getvalue()
    assert Household.objects.count() == 40
    for username in ("demo-village", "demo-township", "demo-county", "demo-admin", "demo-province"):
        assert username in text
    assert DEMO_PASSWORD in text and "http://127.0.0.1:8000/" in text
    assert "100%" in text  # progress was shown
    from fupin.screening.models import RiskClue, ScreeningRun

    run = ScreeningRun.objects.get()  # a first screening, so that a new user finds clues waiting
    assert f"{run.new_clues:,} 条风险线索 / risk clues opened" in text
    assert RiskClue.objects.count() == run.new_clues
    # supervision: an unannounced visit with its sample, and a problem at every stage of rectification
    from fupin.supervision import selectors as supervision
    from fupin.supervision.models import Inspection, Problem, Status

    inspection = Inspection.objects.get()
    assert inspection.households.count() == min(12, inspection.population) > 0
    assert "Demo supervision" in text
    stages = set(Problem.objects.values_list("status", flat=True))
    assert stages == set(Status.values)
    assert any(supervision.is_overdue(p) for p in Problem.objects.all())
    assert Problem.objects.filter(inspection=inspection).exists()
    from fupin.supervision.models import ReportRound

    round_ = ReportRound.objects.get()  # the province's monthly report, the demo county's submitted
    assert round_.submissions.filter(status="submitted").count() == 1

    out = StringIO()
    call_command("demo_data", "--if-empty", stdout=out)
    assert ScreeningRun.objects.count() == 1
    assert Household.objects.count() == 40
    assert "demo-village" in out.getvalue() and DEMO_PASSWORD in out.getvalue()

    with pytest.raises(CommandError):
        call_command("demo_data", "--households", "5", stdout=StringIO())
    with pytest.raises(CommandError, match="999999"):
        call_command("demo_data", "--county", "999999", stdout=StringIO())
    assert Household.objects.count() == 40
