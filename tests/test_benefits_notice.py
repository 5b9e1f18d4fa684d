"""The beneficiaries list for public notice: names, village or entity, amount and totals only, in the
project's own font; printing it is audited; a programme without public notice has none."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.benefits import notice, services
from fupin.core.errors import Refused
from fupin.domain import bankaccount, creditcode
from fupin.pii.crypto import get_cipher
from tests.pdf_font import assert_embeds_project_font

YEAR = dt.date.today().year
ON = dt.date(YEAR, 1, 5) if dt.date.today() >= dt.date(YEAR, 1, 5) else dt.date.today()
FACTS = {"inter_provincial": True, "contract_months": 12, "fare": "800"}


def card(first18: str) -> str:
    return next(first18 + d for d in "0123456789" if bankaccount.luhn_valid(first18 + d))


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def admin(place, make_user):
    return make_user(Role.COUNTY_ADMIN, "220822")


@pytest.fixture
def reviewer(place, make_user):
    return make_user(Role.BENEFIT_REVIEWER, "220822")


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _approved_transport(admin, reviewer, county_officer, household_factory, place):
    opening = services.open_programme(
        actor=admin, pack="jilin", programme="transport_subsidy", county=place.county, year=YEAR
    )
    people = []
    for index, (village, fare) in enumerate(
        ((place.village_a1, "800"), (place.village_b1, "1700"), (place.village_a1, "650.5"))
    ):
        household = household_factory(village=village, household_type="lifted_out")
        member = household.members.get()
        number = get_cipher().decrypt(member.id_number_enc)
        account = card(f"6210000000000{index:05d}")
        services.enter_application(
            actor=county_officer,
            opening=opening,
            data=services.ApplicationInput(
                applied_on=ON,
                id_number=number,
                facts={**FACTS, "fare": fare},
                bank_name="农商银行",
                bank_account=account,
            ),
        )
        people.append((member.name, number, account))
    waiting = services.enter_application(  # not approved: not on the list
        actor=county_officer,
        opening=opening,
        data=services.ApplicationInput(
            applied_on=ON,
            id_number=get_cipher().decrypt(
                household_factory(household_type="lifted_out").members.get().id_number_enc
            ),
            facts=FACTS,
        ),
    )
    ids = list(opening.applications.exclude(pk=waiting.pk).values_list("pk", flat=True))
    services.approve(actor=reviewer, application_ids=ids)
    return opening, people, waiting


def test_the_list_shows_names_villages_and_amounts_and_no_identifiers(
    admin, reviewer, county_officer, household_factory, place
):
    opening, people, waiting = _approved_transport(admin, reviewer, county_officer, household_factory, place)
    pdf, count, total = notice.render_notice_pdf(county_officer, opening, dt.date(YEAR, 12, 1), 7)
    text = text_of(pdf)
    assert count == 3 and total == 80_000 + 160_000 + 65_050
    for name, number, account in people:
        assert name in text
        assert (
            number not in text
            and number[-6:] not in text
            and account not in text
            and account[-4:] not in text
        )
    assert waiting.member.name not in text
    for amount in ("800.00", "1,600.00", "650.50", "3,050.50"):
        assert amount in text
    assert "一村" in text and "三村" in text and "通榆县" in text and str(YEAR) in text
    assert "跨省务工交通补助" in text and "公示" in text
    assert "12月7日" in text or "12 月 7 日" in text or "-12-07" in text  # the last day of the notice
    assert "1 / 1" in text  # page numbers
    assert "13812345678" not in text  # phones
    assert AuditEntry.objects.filter(
        action="export", object_type="opening", object_id=str(opening.pk)
    ).exists()


def test_the_list_embeds_the_project_font(admin, reviewer, county_officer, household_factory, place):
    opening, _people, _waiting = _approved_transport(
        admin, reviewer, county_officer, household_factory, place
    )
    pdf, _count, _total = notice.render_notice_pdf(county_officer, opening, dt.date(YEAR, 12, 1), 5)
    assert_embeds_project_font(pdf)


def test_a_village_cadre_prints_the_part_of_their_village(
    admin, reviewer, county_officer, household_factory, place, village_cadre
):
    opening, people, _waiting = _approved_transport(admin, reviewer, county_officer, household_factory, place)
    text = text_of(notice.render_notice_pdf(village_cadre, opening, dt.date(YEAR, 12, 1), 7)[0])
    assert people[0][0] in text and people[2][0] in text and people[1][0] not in text


def test_an_entity_programme_lists_the_entity_and_how_many_people(
    admin, reviewer, county_officer, household_factory, place
):
    opening = services.open_programme(
        actor=admin, pack="jilin", programme="employment_one_time", county=place.county, year=YEAR
    )
    first17 = "91220822MA0000077"
    code = first17 + creditcode.check_character(first17)
    for _ in range(2):
        number = get_cipher().decrypt(
            household_factory(household_type="lifted_out").members.get().id_number_enc
        )
        services.enter_application(
            actor=county_officer,
            opening=opening,
            data=services.ApplicationInput(
                applied_on=ON,
                id_number=number,
                credit_code=code,
                entity_name="通榆某农业公司",
                entity_kind="enterprise",
                facts={"hire_date": "2021-03-01", "months_worked": 4, "monthly_wage": "2000"},
            ),
        )
    services.approve(actor=reviewer, application_ids=list(opening.applications.values_list("pk", flat=True)))
    text = text_of(notice.render_notice_pdf(county_officer, opening, dt.date(YEAR, 12, 1), 7)[0])
    assert "通榆某农业公司" in text and "3,200.00" in text
    assert code not in text
    assert "户主" not in text  # the workers' names are not the beneficiaries'


def test_no_list_without_public_notice_or_without_approved_applications(admin, county_officer, place, client):
    quiet = services.open_programme(
        actor=admin,
        pack="jilin",
        programme="transport_subsidy",
        county=place.county,
        year=YEAR,
        public_notice=False,
    )
    with pytest.raises(Refused):
        notice.render_notice_pdf(county_officer, quiet, dt.date.today(), 7)
    empty = services.open_programme(
        actor=admin, pack="jilin", programme="production_subsidy", county=place.county, year=YEAR
    )
    with pytest.raises(Refused):
        notice.render_notice_pdf(county_officer, empty, dt.date.today(), 7)
    client.force_login(county_officer)
    response = client.get(reverse("benefits:notice_pdf", args=[empty.pk]), headers={"Accept-Language": "en"})
    assert response.status_code == 302
    response = client.get(reverse("benefits:notice_pdf", args=[empty.pk]) + "?days=99")
    assert response.status_code == 302


def test_the_page_serves_the_pdf_in_scope_only(
    admin, reviewer, county_officer, household_factory, place, client, make_user
):
    opening, _people, _waiting = _approved_transport(
        admin, reviewer, county_officer, household_factory, place
    )
    client.force_login(county_officer)
    page = client.get(reverse("benefits:opening", args=[opening.pk])).content.decode()
    assert reverse("benefits:notice_pdf", args=[opening.pk]) in page
    response = client.get(
        reverse("benefits:notice_pdf", args=[opening.pk]), {"from": f"{YEAR}-12-01", "days": "5"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "12月5日" in text_of(response.content) or "-12-05" in text_of(response.content)
    client.force_login(make_user(Role.COUNTY_OFFICER, "220821"))
    assert client.get(reverse("benefits:notice_pdf", args=[opening.pk])).status_code == 404
