"""The public self-declaration pages: choose the village, declare, confirm the phone by code, thanks."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from fupin.cases import services
from fupin.cases.models import Declaration, DeclarationStatus, Notification
from fupin.cases.rules import rules_for

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PHONE = "13912345678"
FORM = reverse("declare:form")


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_OUTBOX = tmp_path / "outbox.log"

    def sent() -> list[dict]:
        if not settings.SMS_OUTBOX.exists():
            return []
        return [json.loads(line) for line in settings.SMS_OUTBOX.read_text(encoding="utf-8").splitlines()]

    return sent


def _browser(language: str = "en") -> Client:
    """A phone's browser: CSRF is checked as in production, the language chosen by cookie."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = language
    return client


def _csrf(client: Client, url: str = FORM) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def _declaration_form(place, **values) -> dict:
    return {
        "county": place.county.code,
        "township": place.township_a.code,
        "village": place.village_a1.code,
        "name": "张三",
        "phone": PHONE,
        "difficulty": "illness",
        "description": "老伴住院，花了三万多",
        **values,
    }


def _code(sent: list[dict]) -> str:
    return re.search(r"\d{6}", sent[-1]["text"]).group(0)


def test_village_is_chosen_county_then_township_then_village(client, place):
    page = client.get(FORM).content.decode()
    assert f'value="{place.county.code}"' in page
    assert place.village_a1.name not in page  # no village before the township is chosen

    townships = client.get(reverse("declare:areas"), {"county": place.county.code}).content.decode()
    assert place.township_a.name in townships and place.township_b.name in townships
    assert place.village_a1.name not in townships

    villages = client.get(
        reverse("declare:areas"), {"county": place.county.code, "township": place.township_a.code}
    ).content.decode()
    assert place.village_a1.name in villages and place.village_a2.name in villages
    assert place.village_b1.name not in villages  # another township's village

    # Changing the county drops the township and village chosen under the old one.
    other = client.get(
        reverse("declare:areas"),
        {"county": place.other_county_village.code[:6], "township": place.township_a.code},
    ).content.decode()
    assert place.township_a.name not in other and place.village_a1.name not in other

    # A link may name the village alone (a poster in the village): everything above it is chosen.
    linked = client.get(FORM, {"village": place.village_a1.code}).content.decode()
    assert f'<option value="{place.village_a1.code}" selected>' in linked
    assert f'<option value="{place.township_a.code}" selected>' in linked


def test_a_household_declares_confirms_by_code_and_is_told_when_cadres_come(
    place, village_cadre, outbox, settings
):
    browser = _browser("en")
    token = _csrf(browser)

    without_csrf = _browser("en").post(FORM, _declaration_form(place))
    assert without_csrf.status_code == 403
    assert not Declaration.objects.exists()

    sent_form = browser.post(FORM, {**_declaration_form(place), "csrfmiddlewaretoken": token})

    assert sent_form.status_code == 302
    declaration = Declaration.objects.get()
    confirm_url = sent_form["Location"]
    assert confirm_url.startswith("/declare/confirm/")
    assert f"/{declaration.pk}/" not in confirm_url  # a signed token, not the record's number
    assert declaration.status == DeclarationStatus.UNCONFIRMED
    message = outbox()[-1]
    assert message["to"] == "139****5678"

    page = browser.get(confirm_url).content.decode()
    assert "6-digit code" in page
    for private in ("张三", PHONE, "139****5678", "老伴住院"):
        assert private not in page

    wrong = "000000" if _code(outbox()) != "000000" else "111111"
    refused = browser.post(confirm_url, {"code": wrong, "csrfmiddlewaretoken": token})
    assert refused.status_code == 200
    assert "The code is not right" in refused.content.decode()
    not_a_code = browser.post(confirm_url, {"code": "12a", "csrfmiddlewaretoken": token})
    assert "Type the 6 digits" in not_a_code.content.decode()
    declaration.refresh_from_db()
    assert declaration.code_attempts == 1  # only a real guess counts

    confirmed = browser.post(confirm_url, {"code": _code(outbox()), "csrfmiddlewaretoken": token})

    assert confirmed.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.NEW
    assert Notification.objects.filter(recipient=village_cadre, kind="declaration").exists()
    thanks = browser.get(confirmed["Location"])
    days = rules_for(place.county.code, dt.date.today()).visit_days
    text = thanks.content.decode()
    assert f"The village cadres will contact you within {days} days" in text
    for private in ("张三", PHONE, "139****5678", "老伴住院"):
        assert private not in text
    # The code was used: the confirmation page does not take it again.
    again = browser.post(confirm_url, {"code": _code(outbox()), "csrfmiddlewaretoken": token})
    assert "not waiting for a code" in again.content.decode()


def test_mistakes_are_shown_next_to_the_fields_in_chinese_and_nothing_is_sent(place, outbox):
    browser = _browser("zh-hans")
    token = _csrf(browser)

    response = browser.post(
        FORM,
        {
            "county": place.county.code,
            "township": place.township_a.code,
            "village": "",
            "name": "李四",
            "phone": "12345",
            "difficulty": "",
            "description": "房子漏雨",
            "csrfmiddlewaretoken": token,
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    # Each message sits with its own field: between that field and the next one.
    village_block = page[page.index('id="area-fields"') : page.index('id="id_name"')]
    assert "请选择您所在的村。" in village_block
    phone_block = page[page.index('id="id_phone"') : page.index('id="id_difficulty"')]
    assert "请填写以 1 开头的 11 位手机号码。" in phone_block
    difficulty_block = page[page.index('id="id_difficulty"') : page.index('id="id_description"')]
    assert "请选择困难类型。" in difficulty_block
    # What the person typed is shown back to them to correct, with the township still chosen.
    assert 'value="李四"' in page and "房子漏雨" in page and 'value="12345"' in page
    assert f'<option value="{place.township_a.code}" selected>' in page
    assert not Declaration.objects.exists()
    assert outbox() == []

    english = _browser("en")
    english_page = english.post(FORM, {"name": "", "csrfmiddlewaretoken": _csrf(english)}).content.decode()
    assert "Choose your village." in english_page and "Give the name of the person declaring." in english_page


def test_the_page_has_a_language_switch_and_no_login(client, place):
    page = client.get(FORM, headers={"Accept-Language": "zh-hans"}).content.decode()
    assert reverse("set_language") in page and 'name="language" value="en"' in page
    assert "农户自主申报困难" in page
    assert reverse("web:logout") not in page and reverse("web:households") not in page


def test_too_many_declarations_from_one_device_are_refused_with_a_message(place, outbox):
    client_address = services.client_fingerprint("127.0.0.1")  # the test browser's address
    for n in range(services.DECLARATIONS_PER_CLIENT_HOUR):
        services.declare(
            village_code=place.village_a1.code,
            name="王五",
            phone=f"1391234{n:04d}",
            difficulty="illness",
            description="住院",
            client=client_address,
        )
    browser = _browser("en")

    response = browser.post(
        FORM, {**_declaration_form(place, name="赵六"), "csrfmiddlewaretoken": _csrf(browser)}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Too many declarations from this device" in page
    assert 'value="赵六"' in page  # the form stays filled in for later
    assert Declaration.objects.count() == services.DECLARATIONS_PER_CLIENT_HOUR


def test_too_many_wrong_codes_end_the_confirmation(place, outbox):
    browser = _browser("en")
    token = _csrf(browser)
    confirm_url = browser.post(FORM, {**_declaration_form(place), "csrfmiddlewaretoken": token})["Location"]
    wrong = "000000" if _code(outbox()) != "000000" else "111111"
    for _ in range(services.CODE_ATTEMPTS):
        browser.post(confirm_url, {"code": wrong, "csrfmiddlewaretoken": token})

    blocked = browser.post(confirm_url, {"code": _code(outbox()), "csrfmiddlewaretoken": token})

    page = blocked.content.decode()
    assert "Too many wrong codes. Please declare again." in page
    assert 'id="id_code"' not in page  # no form to keep guessing
    assert Declaration.objects.get().status == DeclarationStatus.UNCONFIRMED


def test_confirmation_links_expire_and_cannot_be_forged(place, outbox):
    with time_machine.travel(START, tick=False) as traveller:
        browser = _browser("en")
        token = _csrf(browser)
        confirm_url = browser.post(FORM, {**_declaration_form(place), "csrfmiddlewaretoken": token})[
            "Location"
        ]
        assert browser.get(confirm_url).status_code == 200

        traveller.move_to(START + dt.timedelta(minutes=services.CODE_VALID_MINUTES, seconds=1))
        expired = browser.post(confirm_url, {"code": _code(outbox()), "csrfmiddlewaretoken": token})

    assert expired.status_code == 410
    assert "This page has expired" in expired.content.decode()
    assert Declaration.objects.get().status == DeclarationStatus.UNCONFIRMED
    declaration_id = Declaration.objects.get().pk
    for forged in (f"/declare/confirm/{declaration_id}/", confirm_url.replace("/confirm/", "/thanks/")):
        assert browser.get(forged).status_code == 410, forged
