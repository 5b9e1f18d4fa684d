"""Employment records, targets and progress (issue 15): what a county's rural-revitalization and
human-resources staff rely on: history never lost, figures that add up at every level, targets set by
the level above only, and every refusal saying which field is wrong."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.clock import pretend_today
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, StaleEdit
from fupin.employment import selectors, services
from fupin.employment.models import EmploymentRecord, Target
from fupin.employment.services import RecordInput

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    from pathlib import Path

    from django.utils.translation.reloader import translation_file_changed

    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture(autouse=True)
def _today():
    with pretend_today(TODAY):
        yield


@pytest.fixture
def labourer(household_factory, place):
    household = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    return household.members.get()


def working(month: dt.date, income: str = "4200", **overrides) -> RecordInput:
    values = {
        "status": "working",
        "start_month": month,
        "place": "province",
        "kind": "enterprise",
        "employer": "长春某汽车配件厂",
        "monthly_income": Decimal(income),
        **overrides,
    }
    return RecordInput(**values)


def record(actor, member, data: RecordInput) -> EmploymentRecord:
    current = selectors.current_record(member)
    return services.record_employment(
        actor=actor, member=member, data=data, expected_current=current.pk if current else None
    )


# ---------------------------------------------------------------- records


def test_a_new_record_supersedes_the_current_one_and_both_are_kept(county_officer, labourer):
    first = record(county_officer, labourer, working(dt.date(2026, 1, 1)))
    second = record(
        county_officer,
        labourer,
        RecordInput(status="not_working", start_month=dt.date(2026, 4, 1), reason="returned"),
    )
    assert selectors.current_record(labourer) == second
    assert second.supersedes == first
    assert [r.pk for r in selectors.history(labourer)] == [second.pk, first.pk]
    first.refresh_from_db()
    assert (first.status, first.monthly_income) == ("working", Decimal("4200.00"))  # never overwritten
    # What the person did in a past month is still what was recorded for it.
    march = selectors.effective_in(dt.date(2026, 3, 1), EmploymentRecord.objects.filter(member=labourer))
    assert list(march) == [first]


def test_every_record_is_audited_without_personal_identifiers(county_officer, labourer):
    saved = record(county_officer, labourer, working(dt.date(2026, 2, 1)))
    entry = AuditEntry.objects.get(object_type="employment_record", object_id=str(saved.pk))
    assert entry.area_code == labourer.household.village.code
    assert entry.changes["status"] == [None, "working"]
    text = f"{entry.summary} {entry.changes}"
    assert labourer.name not in text
    assert re.search(r"\d{17}[\dX]", text) is None  # no ID number
    assert "13812345678" not in text  # nor the household's phone


def test_all_problems_are_reported_at_once_and_nothing_is_saved(county_officer, labourer):
    with pytest.raises(InvalidInput) as caught:
        record(
            county_officer,
            labourer,
            RecordInput(
                status="working",
                start_month=dt.date(2026, 9, 1),  # in the future
                place="other_province",  # without its province
                monthly_income=Decimal("-5"),
                end_month=dt.date(2026, 1, 1),  # before the start
                reason="seeking",  # a reason for a person in work
            ),
        )
    assert set(caught.value.field_errors) >= {
        "start_month",
        "province_code",
        "kind",
        "monthly_income",
        "end_month",
        "reason",
    }
    assert not EmploymentRecord.objects.exists()


def test_a_person_not_working_has_no_place_and_gives_a_reason(county_officer, labourer):
    with pytest.raises(InvalidInput) as caught:
        record(
            county_officer,
            labourer,
            RecordInput(
                status="not_working", start_month=dt.date(2026, 5, 1), place="county", kind="workshop"
            ),
        )
    assert set(caught.value.field_errors) == {"place", "kind", "reason"}


def test_messages_are_in_the_users_language(county_officer, labourer):
    from django.utils import translation

    with pytest.raises(InvalidInput) as caught:
        record(county_officer, labourer, working(dt.date(2026, 5, 1), place="", monthly_income=None))
    with translation.override("zh-hans"):
        chinese = str(caught.value.field_errors["place"][0])
    with translation.override("en"):
        english = str(caught.value.field_errors["place"][0])
    assert english == "Say where the person works."
    assert chinese != english and any("\u4e00" <= c <= "\u9fff" for c in chinese)


def test_work_in_another_province_names_a_real_province_other_than_home(county_officer, labourer):
    for code, wrong in (("22", True), ("99", True), ("44", False)):
        data = working(dt.date(2026, 5, 1), place="other_province", province_code=code)
        if wrong:
            with pytest.raises(InvalidInput) as caught:
                record(county_officer, labourer, data)
            assert set(caught.value.field_errors) == {"province_code"}
        else:
            assert record(county_officer, labourer, data).province_code == "44"


def test_income_has_a_plausible_ceiling(county_officer, labourer):
    with pytest.raises(InvalidInput) as caught:
        record(county_officer, labourer, working(dt.date(2026, 5, 1), income="420000"))
    assert set(caught.value.field_errors) == {"monthly_income"}


def test_a_member_without_labour_capacity_gets_no_record(county_officer, household_factory, place):
    from fupin.registry import services as registry

    household = household_factory(place.village_a1, household_type="lifted_out", status="lifted")
    member = household.members.get()
    registry.update_member(
        actor=county_officer,
        member=member,
        expected_version=member.version,
        values={"labour_capacity": "lost"},
    )
    member.refresh_from_db()
    with pytest.raises(InvalidInput) as caught:
        record(county_officer, member, working(dt.date(2026, 5, 1)))
    assert "status" in caught.value.field_errors


def test_history_runs_forward_and_two_saves_on_one_form_do_not_both_land(county_officer, labourer):
    first = record(county_officer, labourer, working(dt.date(2026, 3, 1)))
    with pytest.raises(InvalidInput) as caught:
        record(county_officer, labourer, working(dt.date(2026, 2, 1)))
    assert set(caught.value.field_errors) == {"start_month"}
    # Two cadres opened the form on the same current record: the second save is refused, not merged.
    services.record_employment(
        actor=county_officer, member=labourer, data=working(dt.date(2026, 4, 1)), expected_current=first.pk
    )
    with pytest.raises(StaleEdit):
        services.record_employment(
            actor=county_officer,
            member=labourer,
            data=working(dt.date(2026, 5, 1)),
            expected_current=first.pk,
        )
    assert EmploymentRecord.objects.filter(member=labourer).count() == 2


def test_scope_and_role_are_checked(make_user, labourer, place, household_factory):
    other = household_factory(place.village_b1, household_type="lifted_out", status="lifted").members.get()
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    assert record(cadre, labourer, working(dt.date(2026, 5, 1))).pk
    with pytest.raises(OutOfScope):
        record(cadre, other, working(dt.date(2026, 5, 1)))
    viewer = make_user(Role.PROVINCE_VIEWER, "22")
    with pytest.raises(NotPermitted):
        record(viewer, other, working(dt.date(2026, 5, 1)))
    assert not EmploymentRecord.objects.filter(member=other).exists()


STATUSES = ["working", "not_working", "in_school", "unable"]


def _input(status: str, month: dt.date, income: int) -> RecordInput:
    if status == "working":
        return working(month, income=str(income))
    if status == "not_working":
        return RecordInput(status=status, start_month=month, reason="seeking")
    return RecordInput(status=status, start_month=month)


@given(
    st.lists(
        st.tuples(st.sampled_from(STATUSES), st.integers(0, 2), st.integers(1, 30_000)),
        min_size=1,
        max_size=10,
    )
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_the_sequence_of_changes_the_current_record_is_the_latest_and_none_is_lost(
    county_officer, labourer, changes
):
    with transaction.atomic():
        month = dt.date(2025, 1, 1)
        saved: list[tuple[int, dt.date, str]] = []
        for status, gap, income in changes:
            # Months move forward by 0-2; several changes may start in the same month.
            month = dt.date(month.year + (month.month - 1 + gap) // 12, (month.month - 1 + gap) % 12 + 1, 1)
            if month > TODAY:
                break
            r = record(county_officer, labourer, _input(status, month, income))
            saved.append((r.pk, month, status))
            assert selectors.current_record(labourer).pk == r.pk
        records = list(EmploymentRecord.objects.filter(member=labourer).order_by("id"))
        assert [(r.pk, r.start_month, r.status) for r in records] == saved
        # One chain: each record supersedes the one before it, and only the latest is superseded by none.
        assert [r.supersedes_id for r in records] == [None, *[pk for pk, _m, _s in saved[:-1]]]
        # In every month, what is in effect is the last change starting on or before it.
        probe = dt.date(2025, 1, 1)
        while probe <= TODAY:
            expected = [pk for pk, start, _s in saved if start <= probe]
            found = list(selectors.effective_in(probe, EmploymentRecord.objects.filter(member=labourer)))
            assert [r.pk for r in found] == expected[-1:]
            probe = dt.date(probe.year + probe.month // 12, probe.month % 12 + 1, 1)
        transaction.set_rollback(True)


# ---------------------------------------------------------------- targets and progress


@pytest.fixture
def county_admin(make_user):
    return make_user(Role.COUNTY_ADMIN, "220822")


@pytest.fixture
def province_admin(make_user, place):
    # The province's staff who allocate the province's task to its counties.
    return make_user(Role.COUNTY_ADMIN, "22")


def test_targets_are_set_by_the_level_above_and_kept_as_history(
    county_admin, province_admin, county_officer, place
):
    with pytest.raises(OutOfScope):
        services.set_target(actor=county_admin, area=place.county, year=2026, persons=10)  # its own
    with pytest.raises(NotPermitted):
        services.set_target(actor=county_officer, area=place.township_a, year=2026, persons=10)
    services.set_target(actor=province_admin, area=place.county, year=2026, persons=12)
    services.set_target(actor=county_admin, area=place.township_a, year=2026, persons=5)
    services.set_target(actor=county_admin, area=place.township_a, year=2026, persons=7)
    assert selectors.latest_targets(place.county, 2026) == {"220822": 12, "220822100": 7}
    rows = Target.objects.filter(area=place.township_a).order_by("id")
    assert [(t.persons, t.set_by) for t in rows] == [(5, county_admin), (7, county_admin)]
    with pytest.raises(InvalidInput) as caught:
        services.set_target(actor=county_admin, area=place.village_a1, year=2031, persons=None)
    assert set(caught.value.field_errors) == {"area", "year", "persons"}


def _people(household_factory, village, n):
    return [
        household_factory(village, household_type="lifted_out", status="lifted").members.get()
        for _ in range(n)
    ]


@pytest.fixture
def county_with_work(county_officer, household_factory, place):
    """Work in three villages of two townships; one person stopped, one not counted (ordinary household)."""
    a1 = _people(household_factory, place.village_a1, 3)
    a2 = _people(household_factory, place.village_a2, 2)
    b1 = _people(household_factory, place.village_b1, 2)
    for member in a1 + a2 + b1:
        record(county_officer, member, working(dt.date(2026, 1, 1)))
    record(
        county_officer,
        b1[1],
        RecordInput(status="not_working", start_month=dt.date(2026, 5, 1), reason="illness"),
    )
    ordinary = household_factory(place.village_a1).members.get()
    record(county_officer, ordinary, working(dt.date(2026, 1, 1)))
    # Last year, in June, only a1's first person worked.
    EmploymentRecord.objects.filter(member=a1[0]).update(start_month=dt.date(2025, 3, 1))
    return {"a1": a1, "a2": a2, "b1": b1}


def test_progress_rolls_up_exactly_at_every_level(county_officer, county_with_work, place):
    county = selectors.progress(county_officer, place.county, 2026, 6)
    assert county.total.persons == 3 + 2 + 1 == sum(r.persons for r in county.rows)
    assert {r.area.code: r.persons for r in county.rows} == {"220822100": 5, "220822200": 1}
    for row in county.rows:
        township = selectors.progress(county_officer, row.area, 2026, 6)
        assert township.total.persons == row.persons == sum(r.persons for r in township.rows)
    assert dict(county.by_place)[str(selectors_place_label("province"))] == county.total.persons
    assert sum(n for _label, n in county.by_kind) == county.total.persons
    # In April, before the illness, both of b1 were working.
    assert selectors.progress(county_officer, place.county, 2026, 4).total.persons == 7


def selectors_place_label(value):
    from fupin.employment.models import Place

    return Place(value).label


def test_targets_roll_up_and_the_percent_is_exact_at_100(
    county_officer, county_admin, province_admin, county_with_work, place
):
    services.set_target(actor=county_admin, area=place.township_a, year=2026, persons=5)
    services.set_target(actor=county_admin, area=place.township_b, year=2026, persons=3)
    county = selectors.progress(county_officer, place.county, 2026, 6)
    # Without a county target of its own, the county's target is the sum of its townships'.
    assert county.total.target == 8
    rows = {r.area.code: r for r in county.rows}
    assert rows["220822100"].percent == Decimal("100.0") and rows["220822100"].reached
    assert rows["220822200"].percent == Decimal("33.3") and not rows["220822200"].reached
    assert county.total.percent == Decimal("75.0")
    # The province's task for the county counts once set; the townships' allocation falls short of it.
    services.set_target(actor=province_admin, area=place.county, year=2026, persons=10)
    county = selectors.progress(county_officer, place.county, 2026, 6)
    assert (county.total.target, county.total.allocated, county.total.under_allocated) == (10, 8, True)
    province = selectors.progress(province_admin, place.county.parent.parent, 2026, 6)
    assert province.total.target == 10 and province.total.persons == 6


def test_no_decrease_from_last_year_is_checked(county_officer, county_with_work, place):
    county = selectors.progress(county_officer, place.county, 2026, 6)
    assert county.total.last_year == 1 and not county.total.decreased
    record(
        county_officer,
        county_with_work["a1"][0],
        RecordInput(status="not_working", start_month=dt.date(2026, 6, 1), reason="seeking"),
    )
    township = selectors.progress(county_officer, place.township_a, 2026, 6)
    village = {r.area.code: r for r in township.rows}["220822100201"]
    assert (village.persons, village.last_year, village.decreased) == (2, 1, False)
    june_2025 = selectors.progress(county_officer, place.village_a1, 2025, 6)
    assert june_2025.total.persons == 1


def test_progress_is_scoped(make_user, county_with_work, place):
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    assert selectors.progress(cadre, place.village_a1, 2026, 6).total.persons == 3
    # Even asked for the county, the cadre's counts are only what they may read.
    assert selectors.progress(cadre, place.county, 2026, 6).total.persons == 3
