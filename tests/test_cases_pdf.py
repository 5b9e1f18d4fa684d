"""The printable village public notice: A4, Chinese, the listed households, and nothing private."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation
from pypdf import PdfReader

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.cases import services
from fupin.cases.models import VillageNotice
from fupin.cases.pdf import notice_pdf, render_notice_pdf
from fupin.pii.crypto import get_cipher
from fupin.registry import services as registry
from fupin.registry.choices import Health
from fupin.registry.models import Member
from tests.conftest import valid_id
from tests.pdf_font import assert_embeds_project_font

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = dt.date(2026, 3, 2)
FINDINGS = "住院三次自付两万元肝癌晚期"
A4 = (595.28, 841.89)  # points


def _walk_to_notice(cadre, households, *, findings: str = FINDINGS) -> VillageNotice:
    cases = []
    for household in households:
        case = services.raise_clue(
            actor=cadre,
            household=household,
            category="marginal",
            risk_types=["illness", "schooling"],
            description="户主住院",
        )
        services.record_visit(
            actor=cadre,
            case=case,
            visited_on=TODAY,
            findings=findings,
            proceed=True,
            authorization_signed=True,
            category="marginal",
            risk_types=["illness", "schooling"],
        )
        services.record_appraisal(
            actor=cadre, case=case.pk, held_on=TODAY, attendees=12, votes_for=11, votes_against=1, agreed=True
        )
        cases.append(case.pk)
    return services.post_notice(actor=cadre, case_ids=cases, posted_on=TODAY, days=5)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # Table cells come out with spaces and line breaks between glyph runs: compare without them.
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def _full_id(member: Member) -> str:
    return get_cipher().decrypt(member.id_number_enc)


def _seriously_ill_spouse(county_officer, household) -> Member:
    return registry.add_member(
        actor=county_officer,
        household=household,
        values={
            "name": "配偶甲",
            "sex": "F",
            "birth_date": dt.date(1972, 3, 4),
            "relation": "spouse",
            "labour_capacity": "lost",
            "health": Health.SERIOUS,
            "has_disability_certificate": True,
        },
        id_number=valid_id(birth=dt.date(1972, 3, 4), sequence=642),
        phone_number="13698765432",
    )


@time_machine.travel(START, tick=False)
def test_notice_pdf_lists_households_for_the_board_and_nothing_private(
    household_factory, village_cadre, county_officer
):
    first = household_factory(group_name="三组")
    second = household_factory(group_name="五组")
    head = Member.objects.get(household=first, relation="head")
    head.health = Health.DISABLED
    head.save(update_fields=["health"])
    spouse = _seriously_ill_spouse(county_officer, first)
    notice = _walk_to_notice(village_cadre, [first, second])

    pdf = render_notice_pdf(notice)

    assert pdf.startswith(b"%PDF-")
    assert_embeds_project_font(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=1)
    text = _text(pdf)
    # Ready for the notice board: title, households, category and risks, period, objections, issuer.
    assert "一村防止返贫监测对象识别公示" in text
    for member in Member.objects.filter(household__in=[first, second], relation="head"):
        assert member.name in text
    assert "三组" in text and "五组" in text
    assert "边缘易致贫户" in text
    assert "因病、因学" in text
    assert "2026年3月2日至2026年3月6日（共5天）" in text
    assert "一村村民委员会" in text and "异议" in text
    # Never ID numbers, phones, health or disability details, or what the visit found.
    private = [
        head.id_number_masked,
        spouse.id_number_masked,
        first.phone_masked,
        spouse.phone_masked,
        "13812345678",
        "13698765432",
        spouse.name,
        FINDINGS,
        "两万",
        "肝癌",
    ]
    for member in (head, spouse):
        private.append(_full_id(member))
    with translation.override("zh-hans"):
        private += [str(label) for label in Health.labels]
    with translation.override("en"):
        private += [str(label).replace(" ", "") for label in Health.labels]
    for secret in private:
        assert secret and secret.replace(" ", "") not in text, secret
    assert not re.search(r"\d{17}[\dX]", text)  # no ID number at all
    assert not re.search(r"1\d{2}\*{4}\d{4}|1\d{10}", text)  # no phone, full or masked


@time_machine.travel(START, tick=False)
def test_elimination_notice_has_its_own_title(household_factory, village_cadre, county_officer):
    household = household_factory(group_name="二组")
    registry.change_monitoring(
        actor=county_officer,
        household=household,
        expected_version=household.version,
        category="marginal",
        risk_types=["illness"],
        effective_from=dt.date(2025, 6, 1),
        reason="识别",
    )
    household.refresh_from_db()
    case = services.propose_elimination(actor=village_cadre, household=household, reason="收入稳定")
    services.record_visit(
        actor=village_cadre,
        case=case,
        visited_on=TODAY,
        findings="务工收入稳定",
        proceed=True,
        income_per_capita="12000",
        income_stable_since=dt.date(2025, 6, 1),
        rigid_spending_resolved=True,
    )
    services.record_appraisal(
        actor=village_cadre,
        case=case.pk,
        held_on=TODAY,
        attendees=9,
        votes_for=9,
        votes_against=0,
        agreed=True,
    )
    notice = services.post_notice(actor=village_cadre, case_ids=[case.pk], posted_on=TODAY, days=7)

    text = _text(render_notice_pdf(notice))

    assert "一村防止返贫监测对象风险消除公示" in text
    assert "2026年3月2日至2026年3月8日（共7天）" in text
    assert "务工收入" not in text


@time_machine.travel(START, tick=False)
def test_printing_is_audited_and_limited_to_the_area(household_factory, village_cadre, make_user, place):
    notice = _walk_to_notice(village_cadre, [household_factory()])
    factory = RequestFactory()

    request = factory.get(f"/notices/{notice.pk}/pdf/")
    request.user = village_cadre
    response = notice_pdf(request, notice.pk)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert place.village_a1.code in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    entry = AuditEntry.objects.filter(action="print", object_type="village_notice").get()
    assert entry.object_id == str(notice.pk) and entry.actor == village_cadre

    elsewhere = make_user(Role.VILLAGE_CADRE, place.village_a2.code)
    request = factory.get(f"/notices/{notice.pk}/pdf/")
    request.user = elsewhere
    with pytest.raises(Http404):
        notice_pdf(request, notice.pk)
    assert AuditEntry.objects.filter(action="print").count() == 1
