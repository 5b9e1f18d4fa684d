"""The scoping layer denies by default and follows the area tree."""

from __future__ import annotations

import pytest

from fupin.accounts.scope import granted_paths, scoped
from fupin.areas.models import Area
from fupin.registry import selectors
from fupin.registry.models import Household, IncomeRecord, Member


def test_user_with_no_area_sees_nothing(place, household_factory, make_user):
    household_factory()
    nobody = make_user("county_officer")
    assert granted_paths(nobody, "view") == []
    assert scoped(Household.objects.all(), nobody).count() == 0
    assert scoped(Member.objects.all(), nobody).count() == 0
    counts = selectors.counts_for(nobody)
    assert (counts.households, counts.people, counts.monitored) == (0, 0, 0)


def test_inactive_and_anonymous_users_see_nothing(place, household_factory, county_officer):
    from django.contrib.auth.models import AnonymousUser

    household_factory()
    assert scoped(Household.objects.all(), AnonymousUser()).count() == 0
    county_officer.is_active = False
    assert scoped(Household.objects.all(), county_officer).count() == 0


def test_unregistered_model_is_refused(county_officer):
    with pytest.raises(LookupError):
        scoped(Area.objects.all(), county_officer)


def test_subtrees_follow_the_hierarchy(place, household_factory, make_user):
    a1 = household_factory(place.village_a1)
    a2 = household_factory(place.village_a2)
    b1 = household_factory(place.village_b1)
    outside = household_factory(place.other_county_village, actor=make_user("county_officer", "220821"))
    cases = {
        ("22",): {a1, a2, b1, outside},
        ("2208",): {a1, a2, b1, outside},
        ("220822",): {a1, a2, b1},
        ("220822100",): {a1, a2},
        ("220822100201",): {a1},
        ("220822100201", "220822200201"): {a1, b1},
    }
    for codes, expected in cases.items():
        user = make_user("province_viewer", *codes)
        assert set(scoped(Household.objects.all(), user)) == expected, codes
        assert selectors.counts_for(user).households == len(expected)
        assert {m.household for m in scoped(Member.objects.all(), user)} == expected


def test_view_scope_does_not_grant_capture(place, household_factory, make_user):
    household_factory()
    reader = make_user("county_officer", "220822", capture=False)
    assert scoped(Household.objects.all(), reader, "view").count() == 1
    assert scoped(Household.objects.all(), reader, "capture").count() == 0


def test_search_cannot_reach_outside_scope(place, household_factory, county_officer, make_user):
    from fupin.registry.services import reveal

    household = household_factory(place.other_county_village, actor=make_user("county_officer", "220821"))
    number = reveal(
        actor=make_user("county_officer", "220821"), instance=household.members.get(), field="id_number"
    )
    for query in [household.number, household.members.get().name, number]:
        found = selectors.search_households(county_officer, selectors.HouseholdFilters(query=query))
        assert household not in found
    assert not scoped(IncomeRecord.objects.filter(household=household), county_officer).exists()
