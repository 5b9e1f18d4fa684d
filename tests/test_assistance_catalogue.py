"""The measure catalogue: the national entries seeded by migration follow domain.md section 6, and a
county administrator adds the county's own entries and switches entries off (others read)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.assistance import rules, selectors, services
from fupin.assistance.models import MeasureCategory, MeasureKind, MeasureType, MeasureTypeOff
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, StaleEdit
from fupin.registry.choices import RiskType

DEVELOPMENTAL = {"industry", "employment", "public_welfare_post", "microcredit"}


# ---------------------------------------------------------------- the national catalogue


def test_every_category_has_national_entries_tagged_by_kind(db):
    national = list(MeasureType.objects.filter(county=None, active=True))
    assert {e.category for e in national} == set(MeasureCategory.values)
    for entry in national:
        expected = (
            MeasureKind.DEVELOPMENTAL
            if entry.category in DEVELOPMENTAL
            else MeasureKind.SECURITY
            if entry.category == "comprehensive_security"
            else MeasureKind.OTHER
        )
        assert entry.kind == expected == rules.kind_of(entry.category), entry.code
        assert entry.name_zh and entry.name_en, entry.code
        assert entry.answer_list and set(entry.answer_list) <= set(RiskType.values), entry.code


def test_national_entries_answer_risks_as_domain_section_6_says(db):
    allowed = {
        "illness": {"health", "social"},
        "schooling": {"compulsory_education", "education", "social"},
        "disability": {"comprehensive_security", "social"},
        "housing": {"housing", "relocation"},
        "water": {"water"},
    }
    answering: dict[str, set[str]] = {risk: set() for risk in RiskType.values}
    for entry in MeasureType.objects.filter(county=None):
        for risk in entry.answer_list:
            assert entry.category in allowed.get(risk, {entry.category}), (entry.code, risk)
            answering[risk].add(entry.category)
    # Every risk type is answered by some entry, and each consistent category has at least one entry.
    assert all(answering.values()), answering
    for risk, categories in allowed.items():
        assert answering[risk] == categories, risk


def test_the_named_sub_measures_are_there(db):
    names = set(MeasureType.objects.values_list("name_zh", flat=True))
    for name in (
        "产业奖补",
        "外出务工交通补助",
        "就业帮扶车间",
        "乡村公益性岗位",
        "家庭医生签约服务",
        "医疗救助",
    ):
        assert name in names
    for code in ("microcredit", "yulu_plan", "dropout_control", "house_renovation", "relocation"):
        assert MeasureType.objects.filter(code=code).exists()
    for code in ("water_project", "dibao", "tekun", "temporary_assistance", "disability_allowance"):
        assert MeasureType.objects.filter(code=code).exists()
    assert MeasureType.objects.get(code="dibao").kind == "security"
    assert MeasureType.objects.get(code="consumption_assistance").category == "social"


# ---------------------------------------------------------------- the county's entries


@pytest.fixture
def admin(place, make_user):
    return make_user(Role.COUNTY_ADMIN, place.county.code)


ENTRY = {
    "name_zh": "庭院经济奖补",
    "name_en": "Courtyard economy subsidy",
    "category": "industry",
    "answers": ["business_failure", "other"],
}


def test_a_county_administrator_adds_edits_and_switches_entries(admin, place):
    entry = services.add_county_entry(actor=admin, county_code=place.county.code, values=ENTRY)
    assert (entry.code, entry.county, entry.kind, entry.answers) == (
        "220822-001",
        place.county,
        "developmental",
        ",business_failure,other,",
    )
    assert entry in selectors.catalogue_for("220822")
    assert entry not in selectors.catalogue_for("220821")  # another county does not see it
    entry = services.update_county_entry(
        actor=admin, entry=entry, expected_version=1, values={**ENTRY, "name_zh": "庭院经济"}
    )
    assert (entry.name_zh, entry.version) == ("庭院经济", 2)
    with pytest.raises(StaleEdit):
        services.update_county_entry(actor=admin, entry=entry, expected_version=1, values=ENTRY)

    national = MeasureType.objects.get(code="asset_income")
    assert services.switch_entry(actor=admin, county_code="220822", entry=national, in_use=False)
    assert not services.switch_entry(actor=admin, county_code="220822", entry=national, in_use=False)
    assert national not in selectors.catalogue_for("220822") and national in selectors.catalogue_for("220821")
    assert services.switch_entry(actor=admin, county_code="220822", entry=national, in_use=True)
    assert national in selectors.catalogue_for("220822")
    with pytest.raises(NotPermitted):
        services.update_county_entry(actor=admin, entry=national, expected_version=1, values=ENTRY)
    actions = list(AuditEntry.objects.filter(object_type="measure_type").values_list("action", flat=True))
    assert actions == ["create", "update", "update", "update"]


def test_a_county_entry_follows_the_consistency_rules(admin, place):
    with pytest.raises(InvalidInput) as refused:
        services.add_county_entry(
            actor=admin,
            county_code=place.county.code,
            values={"name_zh": "", "category": "industry", "answers": ["illness", "water"]},
        )
    errors = refused.value.field_errors
    assert set(errors) == {"name_zh", "answers"}
    assert len(errors["answers"]) == 2  # industry answers neither illness nor water
    assert not MeasureType.objects.filter(county__isnull=False).exists()


def test_only_the_county_administrator_of_the_county_keeps_its_catalogue(place, make_user, village_cadre):
    entry = services.add_county_entry(
        actor=make_user(Role.COUNTY_ADMIN, "220822"), county_code="220822", values=ENTRY
    )
    with pytest.raises(NotPermitted):
        services.add_county_entry(actor=village_cadre, county_code="220822", values=ENTRY)
    village_admin = make_user(
        Role.COUNTY_ADMIN, place.village_a1.code
    )  # an administrator of one village only
    with pytest.raises(OutOfScope):
        services.switch_entry(actor=village_admin, county_code="220822", entry=entry, in_use=False)
    other_admin = make_user(Role.COUNTY_ADMIN, "220821")
    with pytest.raises(OutOfScope):
        services.update_county_entry(actor=other_admin, entry=entry, expected_version=1, values=ENTRY)
    with pytest.raises(InvalidInput):  # another county's own entry is not in this county's catalogue
        services.switch_entry(actor=other_admin, county_code="220821", entry=entry, in_use=False)
    assert not MeasureTypeOff.objects.exists()


def test_an_entry_in_use_keeps_its_category(admin, place, household_factory, county_officer):
    entry = services.add_county_entry(actor=admin, county_code="220822", values=ENTRY)
    household = household_factory()
    services.create_measure(
        actor=county_officer,
        household=household,
        values={"measure_type": entry.pk, "responsible": "镇农业站", "status": "planned"},
    )
    with pytest.raises(InvalidInput) as refused:
        services.update_county_entry(
            actor=admin, entry=entry, expected_version=1, values={**ENTRY, "category": "social"}
        )
    assert "category" in refused.value.field_errors


# ---------------------------------------------------------------- the pages


def _as(client, user):
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def test_the_catalogue_page_for_the_administrator_and_for_readers(
    client, admin, place, village_cadre, make_user
):
    page = _as(client, admin).get(reverse("assistance:catalogue")).content.decode()
    assert "Measure catalogue · " in page and "Industry incentive subsidy" in page
    assert reverse("assistance:catalogue_add") in page and "Switch off" in page

    response = client.post(
        f"{reverse('assistance:catalogue_add')}?county=220822",
        {**ENTRY, "answers": ["illness"], "county": "220822"},
    )
    assert response.status_code == 200 and "cannot answer" in response.content.decode()
    assert not MeasureType.objects.filter(county=place.county).exists()
    response = client.post(reverse("assistance:catalogue_add"), {**ENTRY, "county": "220822"})
    assert response.status_code == 302
    entry = MeasureType.objects.get(county=place.county)
    national = MeasureType.objects.get(code="help_workshop")
    client.post(
        reverse("assistance:catalogue_switch", args=[national.pk]), {"county": "220822", "in_use": "0"}
    )
    page = client.get(reverse("assistance:catalogue")).content.decode()
    assert "Courtyard economy subsidy" in page and "switched off" in page
    edit = client.post(
        reverse("assistance:catalogue_edit", args=[entry.pk]),
        {**ENTRY, "name_en": "Courtyard economy", "version": 1},
    )
    assert edit.status_code == 302
    assert MeasureType.objects.get(pk=entry.pk).name_en == "Courtyard economy"

    # A village cadre reads the catalogue and changes nothing.
    reader = _as(client, village_cadre)
    page = reader.get(reverse("assistance:catalogue")).content.decode()
    assert "Courtyard economy" in page and "Switch off" not in page
    assert reader.get(reverse("assistance:catalogue_add")).status_code == 403
    assert (
        reader.post(
            reverse("assistance:catalogue_switch", args=[national.pk]), {"county": "220822", "in_use": "1"}
        ).status_code
        == 403
    )
    assert reader.get(reverse("assistance:catalogue_edit", args=[entry.pk])).status_code == 403
    assert MeasureTypeOff.objects.filter(measure_type=national).exists()

    # An administrator of another county: that county's own entries do not exist for them.
    other = _as(client, make_user(Role.COUNTY_ADMIN, "220821"))
    assert other.get(reverse("assistance:catalogue_edit", args=[entry.pk])).status_code == 404
    assert other.get(reverse("assistance:catalogue"), {"county": "220822"}).status_code == 404
    assert (
        other.post(
            reverse("assistance:catalogue_switch", args=[national.pk]), {"county": "220822", "in_use": "1"}
        ).status_code
        == 404
    )
    page = other.get(reverse("assistance:catalogue")).content.decode()
    assert "Courtyard economy" not in page and "switched off" not in page
