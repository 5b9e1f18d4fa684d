"""The household card (明白卡): the plan and the helpers on one A4 page, nothing private on it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fupin.accounts.roles import Role
from fupin.assistance.services import add_measure
from fupin.audit.models import AuditEntry
from fupin.registry.models import Member
from fupin.registry.services import change_monitoring
from fupin.twinning import services as twinning
from tests.pdf_font import assert_embeds_project_font

RANK = "section"


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


@pytest.fixture
def card_household(household_factory, county_officer, place):
    household = household_factory()
    household = change_monitoring(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        category="marginal",
        risk_types=["illness"],
        effective_from=dt.date(2026, 1, 5),
        reason="identified",
    )
    add_measure(
        actor=county_officer,
        household=household,
        category="health",
        risk_types=["illness"],
        started_on=dt.date(2026, 1, 6),
        description="家庭医生签约",
    )
    Member.objects.filter(household=household).update(health="serious")
    helper = twinning.create_helper(
        actor=county_officer,
        area_code=place.county.code,
        name="孙志远",
        unit="县农业农村局",
        rank=RANK,
        phone_number="13600001234",
    )
    twinning.assign(
        actor=county_officer, helper_id=helper.pk, household=household, started_on=dt.date(2026, 1, 6)
    )
    return household


def test_the_card_shows_plan_helper_and_contact_but_nothing_private(client, card_household, county_officer):
    household = card_household
    head = Member.objects.get(household=household, relation="head")
    client.force_login(county_officer)
    response = client.get(reverse("assistance:card", args=[household.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert_embeds_project_font(response.content)
    reader = PdfReader(io.BytesIO(response.content))
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = _text(response.content)
    for shown in (
        "明白卡",
        household.number,
        head.name,
        "边缘易致贫户",
        "因病",
        "孙志远",
        "县农业农村局",
        "13600001234",
    ):
        assert shown in text, shown
    assert f"/declare/?village={household.village.code}" in text.replace("\n", "")
    for private in (head.id_number_masked, "13812345678", household.phone_masked, "大病", "重病"):
        assert private and private not in text, private
    assert AuditEntry.objects.filter(
        action="print", object_type="household_card", object_id=str(household.pk)
    ).exists()


def test_the_card_is_not_printed_outside_the_area(client, card_household, make_user, place):
    stranger = make_user(Role.VILLAGE_CADRE, place.village_b1.code)
    client.force_login(stranger)
    assert client.get(reverse("assistance:card", args=[card_household.pk])).status_code == 404


def test_the_card_prints_the_configured_public_address_with_a_qr_code(
    client, card_household, county_officer, settings
):
    from fupin.assistance.card import card_context

    settings.PUBLIC_URL = "https://fupin.example.gov.cn/"
    client.force_login(county_officer)
    response = client.get(reverse("assistance:card", args=[card_household.pk]))
    text = _text(response.content).replace("\n", "")
    assert f"https://fupin.example.gov.cn/declare/?village={card_household.village.code}" in text
    assert "testserver" not in text and "127.0.0.1" not in text
    qr = card_context(county_officer, card_household, "https://fupin.example.gov.cn")["declare_qr"]
    assert qr.startswith("<svg") and "<path" in qr
