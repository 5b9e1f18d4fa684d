"""A province's registry loaded in bulk (COPY on PostgreSQL): found, revealed and screened like any other."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from fupin.accounts.roles import Role
from fupin.areas.models import Area, AreaLevel
from fupin.demo import generator, loader, province, province_rows
from fupin.domain import idnumber
from fupin.pii.crypto import get_cipher
from fupin.registry import selectors, services
from fupin.registry.models import Household, HouseholdTypeHistory, IncomeRecord, Member, MonitoringHistory
from fupin.screening.models import RiskClue

AS_OF = dt.date(2025, 6, 30)
PROVINCE = "22"
REGISTRY = [Household, Member, IncomeRecord, HouseholdTypeHistory, MonitoringHistory]
# Columns holding Fernet tokens: random IVs, so they differ from one load to the next by design.
TOKEN_COLUMNS = {"phone_enc", "id_number_enc"}


def _indexes() -> set[str]:
    tables = [m._meta.db_table for m in REGISTRY]
    with connection.cursor() as cursor:
        return {
            f"{table}:{index}"
            for table in tables
            for index in connection.introspection.get_constraints(cursor, table)
        }


def _plain(rows: list[tuple], columns: tuple[str, ...]) -> list[tuple]:
    """Rows without their tokens (the first value is the village code or household index)."""
    keep = [i for i, c in enumerate(("ref", *columns)) if c not in TOKEN_COLUMNS]
    return [tuple(r[i] for i in keep) for r in rows]


@pytest.fixture
def loaded(db):
    summary = province.load_province(
        province_code=PROVINCE, households=240, seed=31, counties=2, as_of=AS_OF, workers=1
    )
    return summary


@pytest.fixture
def planned(db):
    """The counties of ``loaded``, planned before the load (a plan refuses counties with households)."""
    return province.plan_province(PROVINCE, households=240, seed=31, as_of=AS_OF, counties=2)


def test_same_seed_gives_the_same_rows_and_tokens_decrypt_to_the_same_values(db):
    tasks = province.plan_province(PROVINCE, households=300, seed=5, as_of=AS_OF, counties=3)
    again = province.plan_province(PROVINCE, households=300, seed=5, as_of=AS_OF, counties=3)
    assert tasks == again and sum(t.households for t in tasks) == 300
    other = province.plan_province(PROVINCE, households=300, seed=6, as_of=AS_OF, counties=3)
    assert [t.seed for t in other] != [t.seed for t in tasks]
    cipher = get_cipher()
    first, second = (province_rows.build_county(tasks[0], cipher) for _ in range(2))
    assert _plain(first.members, province_rows.MEMBER_COLUMNS) == _plain(
        second.members, province_rows.MEMBER_COLUMNS
    )
    assert _plain(first.households, province_rows.HOUSEHOLD_COLUMNS) == _plain(
        second.households, province_rows.HOUSEHOLD_COLUMNS
    )
    assert first.incomes == second.incomes and first.monitoring == second.monitoring
    token = 1 + province_rows.MEMBER_COLUMNS.index("id_number_enc")
    assert [cipher.decrypt(r[token]) for r in first.members] == [
        cipher.decrypt(r[token]) for r in second.members
    ]
    assert first.members[0][token] != second.members[0][token]  # a fresh IV each time
    different = province_rows.build_county(other[0], cipher)
    assert _plain(different.members, province_rows.MEMBER_COLUMNS) != _plain(
        first.members, province_rows.MEMBER_COLUMNS
    )


def test_households_are_spread_over_the_counties_exactly():
    counts = province.spread(1_000_003, [0.5, 1.6, 1.0, 0.7])
    assert sum(counts) == 1_000_003
    assert counts[1] > counts[2] > counts[3] > counts[0]


def test_loaded_people_are_found_by_id_number_and_its_end_and_revealed(loaded, make_user, place):
    assert loaded.households == 240 and loaded.counties == 2
    assert Household.objects.count() == 240
    assert Member.objects.count() == loaded.members
    assert IncomeRecord.objects.count() == loaded.income_records
    cipher = get_cipher()
    members = list(
        Member.objects.select_related("household__village").order_by("id")[:: loaded.members // 12]
    )
    officers = {}
    for member in members:
        county = member.household.village.county_code
        officer = officers.setdefault(county, make_user(Role.COUNTY_OFFICER, county))
        number = services.reveal(actor=officer, instance=member, field="id_number")
        assert len(number) == 18 and number == cipher.decrypt(member.id_number_enc)
        assert member.id_number_masked == idnumber.mask(number)
        for text in (number, number[-6:], number[-4:]):
            found = selectors.search_households(officer, selectors.HouseholdFilters(query=text))
            assert member.household in found, text
        if member.phone_enc:
            assert services.reveal(actor=officer, instance=member, field="phone") == cipher.decrypt(
                member.phone_enc
            )
    # A village cadre of another county finds nobody of this one.
    other = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    number = cipher.decrypt(members[0].id_number_enc)
    assert not selectors.search_households(other, selectors.HouseholdFilters(query=number)).exists()


def test_loaded_rows_equal_what_the_generator_made(planned, loaded):
    """Decrypted, every member is the generator's person, in the generator's household."""
    tasks = planned
    cipher = get_cipher()
    loaded_people = {
        (m.household.number, cipher.decrypt(m.id_number_enc), m.name, m.birth_date, m.labour_capacity)
        for m in Member.objects.select_related("household")
    }
    expected = set()
    for task in tasks:
        data = generator.generate(
            county_code=task.code,
            county_name=task.name,
            households=task.households,
            seed=task.seed,
            as_of=AS_OF,
            other_id_areas=task.other_id_areas,
        )
        for h in data.households:
            expected.update(
                (h.number, m.id_number, m.name, m.birth_date, m.labour_capacity) for m in h.members
            )
    assert loaded_people == expected


def test_the_load_keeps_every_index_and_later_inserts_get_fresh_ids(db, make_user):
    before = _indexes()
    summary = province.load_province(province_code=PROVINCE, households=60, seed=3, counties=1, as_of=AS_OF)
    assert summary.fresh
    assert _indexes() == before
    village = Household.objects.first().village
    officer = make_user(Role.COUNTY_OFFICER, village.county_code)
    household = services.create_household(
        actor=officer,
        number="",
        village_code=village.code,
        household_type="ordinary",
        status="normal",
        phone_number="13912345678",
    )
    assert household.pk > max(h.pk for h in Household.objects.exclude(pk=household.pk))


def test_counties_with_households_are_refused_and_another_province_is_appended(loaded):
    households = Household.objects.count()
    with pytest.raises(loader.DemoDataError):
        province.load_province(province_code=PROVINCE, households=10, seed=1, counties=1, as_of=AS_OF)
    assert Household.objects.count() == households
    skipping = province.load_province(
        province_code=PROVINCE, households=10, seed=1, counties=3, as_of=AS_OF, skip_loaded=True
    )
    assert skipping.counties == 1 and not skipping.fresh
    assert Household.objects.count() == households + 10
    households += 10
    before = _indexes()
    appended = province.load_province(province_code="21", households=30, seed=1, counties=1, as_of=AS_OF)
    assert not appended.fresh and appended.households == 30
    assert Household.objects.count() == households + 30
    assert Household.objects.filter(village__province_code="21").count() == 30
    assert _indexes() == before


def test_screening_finds_the_same_households_as_after_the_normal_demo_path(db):
    """The same generated county written by COPY and, under a neighbouring county's code, by the demo
    loader's ORM path: the screening opens the same clues in both."""
    (task,) = province.plan_province(PROVINCE, households=400, seed=8, as_of=AS_OF, counties=1)
    neighbour = Area.objects.filter(level=AreaLevel.COUNTY, province_code=PROVINCE).order_by("code")[1].code
    from fupin.screening import services as screening

    def clues(county_code: str) -> dict[str, list[str]]:
        screening.run_screening(actor=None, area_code=county_code, as_of=AS_OF)
        found = RiskClue.objects.filter(household__village__county_code=county_code).select_related(
            "household"
        )
        return {c.household.number[6:]: sorted(c.rule_ids) for c in found}

    province.load_province(province_code=PROVINCE, households=400, seed=8, counties=1, as_of=AS_OF, workers=1)
    assert Household.objects.filter(village__county_code=task.code).count() == 400
    by_copy = clues(task.code)
    assert by_copy, "the demo county's distributions put some households at risk"

    data = generator.generate(
        county_code=task.code,
        county_name=task.name,
        households=task.households,
        seed=task.seed,
        as_of=AS_OF,
        other_id_areas=task.other_id_areas,
    )
    # The same households, moved to the neighbouring county's codes (the ID numbers stay as they are).
    for area in (*data.townships, *data.villages):
        area.code = neighbour + area.code[6:]
    for household in data.households:
        household.village_code = neighbour + household.village_code[6:]
        household.number = neighbour + household.number[6:]
    county = loader.county_or_error(neighbour)
    summary = loader.LoadSummary(county_code=neighbour, county_name=county.name, seed=8)
    villages = loader._write_areas(county, data, summary)
    loader._write_households(data.households, villages, summary, None, loader.BATCH_SIZE)
    assert clues(neighbour) == by_copy


def test_command_loads_a_province_with_worker_processes(db):
    out = StringIO()
    call_command("demo_data", province=PROVINCE, households=90, counties=2, seed=4, workers=2, stdout=out)
    text = out.getvalue()
    assert "90 households" in text and "2 workers" in text and "analyze" in text
    assert Household.objects.filter(village__province_code=PROVINCE).count() == 90
    with pytest.raises(Exception, match="no province"):
        call_command("demo_data", province="99", households=5, stdout=StringIO())
