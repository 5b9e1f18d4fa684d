"""The monitoring pages through Django's test client: what a cadre, a township and a county officer see
and do, from a risk clue on a household's page to the county's decision.

The clock is frozen with time-machine; sessions last 8 hours, so each actor logs in again after travel.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.assistance.models import MeasureType
from fupin.cases.models import Case, CaseEvent, Declaration, DeclarationStatus, Notification, State
from fupin.pii.crypto import get_cipher
from fupin.registry import services as registry
from fupin.registry.models import Household
from tests import casework

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    """Compile the .po files and drop a catalogue loaded before, so both languages render."""
    from django.utils.translation.reloader import translation_file_changed

    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture
def people(place, make_user, county_officer, village_cadre):
    return {
        "cadre": village_cadre,
        "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        "county": county_officer,
        "other_cadre": make_user(Role.VILLAGE_CADRE, place.village_a2.code),
        "viewer": make_user(Role.PROVINCE_VIEWER, place.county.code),
    }


def as_user(client, user, language: str = "en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def raise_clue(people, household) -> Case:
    return casework.raise_clue(people["cadre"], household)


def to_notice(people, household, *, post: bool = True) -> Case:
    """A case visited and appraised today, and (``post``) on a five-day notice posted today."""
    return casework.village_steps(people["cadre"], raise_clue(people, household), TODAY, post=post)


def row_of(page: str, number: str) -> str:
    """The table row of the list that shows household ``number``."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page, flags=re.S)
    found = [row for row in rows if number in row]
    assert len(found) == 1, (number, len(found))
    return found[0]


# ---------------------------------------------------------------- scope


@time_machine.travel(START, tick=False)
def test_every_case_page_opens_in_scope_and_is_not_found_outside(client, people, household_factory, place):
    household = household_factory()
    case = to_notice(people, household)
    declaration = Declaration.objects.create(
        village=place.village_a1,
        name="王五",
        phone_enc="x",
        phone_bidx="x",
        phone_masked="139****1234",
        difficulty="illness",
        description="老伴住院",
        status=DeclarationStatus.NEW,
        code_hash="x",
        client_hash="x",
    )
    pages = {
        reverse("cases:case", args=[case.pk]): household.number,
        reverse("cases:notice", args=[case.notice_id]): household.number,
        reverse("cases:declaration", args=[declaration.pk]): "老伴住院",
        reverse("cases:raise", args=[household.pk]): household.number,
        reverse("cases:eliminate", args=[household.pk]): household.number,
        reverse("assistance:measure_add", args=[household.pk]): household.number,
    }
    as_user(client, people["cadre"])
    for url, shown in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert shown in text(response), url
    # The cadre of the next village: the same addresses are "not found", and nothing of them shows.
    as_user(client, people["other_cadre"])
    for url, shown in pages.items():
        response = client.get(url)
        assert response.status_code == 404, url
        assert shown not in text(response), url
    for route in ("cases:tasks", "cases:search", "cases:notice_new"):
        assert household.number not in text(client.get(reverse(route), {"state": "all"})), route


# ---------------------------------------------------------------- my tasks


def test_my_tasks_highlight_what_is_overdue(client, people, household_factory, place):
    late_household = household_factory()
    fresh_household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        raise_clue(people, late_household)  # the visit is due within 3 days
        traveller.move_to(START + dt.timedelta(days=4))
        raise_clue(people, fresh_household)
        as_user(client, people["cadre"])
        page = text(client.get(reverse("cases:tasks")))

        late_row = row_of(page, late_household.number)
        assert 'class="overdue"' in late_row and "overdue</span>" in late_row
        assert "2026-03-05" in late_row  # the visit's due day, shown in the row
        fresh_row = row_of(page, fresh_household.number)
        assert "overdue" not in fresh_row

        only_late = text(client.get(reverse("cases:tasks"), {"overdue": "on"}))
        assert late_household.number in only_late and fresh_household.number not in only_late

        # The county sees the counts per township, with the overdue case counted where it is.
        as_user(client, people["county"])
        county_page = text(client.get(reverse("cases:tasks")))
        township_row = row_of(county_page, place.township_a.name)
        assert re.search(r">2</td>.*>1</td>", township_row, flags=re.S)  # 2 open, 1 overdue
        assert "width:100%" in township_row and "width:50%" in township_row


def test_an_empty_worklist_says_where_cases_come_from(client, people, place):
    as_user(client, people["cadre"])
    page = text(client.get(reverse("cases:tasks")))
    assert "No tasks waiting" in page
    assert "Cases from screening, visits and declarations appear here" in page


# ---------------------------------------------------------------- forms and refusals


@time_machine.travel(START, tick=False)
def test_a_visit_with_bad_input_says_what_is_wrong_and_changes_nothing(client, people, household_factory):
    case = raise_clue(people, household_factory())
    events_before = CaseEvent.objects.filter(case=case).count()
    as_user(client, people["cadre"])
    response = client.post(
        reverse("cases:act", args=[case.pk, "visit"]),
        {"visited_on": "2026-03-09", "findings": " ", "proceed": "yes", "category": "marginal"},
    )
    assert response.status_code == 200
    page = text(response)
    assert "The date cannot be in the future." in page
    assert "Record what the visit found." in page
    assert "Choose at least one risk type." in page
    assert "The household must sign the authorization for data checks" in page
    assert 'value="2026-03-09"' in page  # what the cadre typed is still in the form
    case.refresh_from_db()
    assert case.state == State.VISIT
    assert case.visit_facts == {}
    assert CaseEvent.objects.filter(case=case).count() == events_before

    not_a_date = text(
        client.post(
            reverse("cases:act", args=[case.pk, "visit"]), {"visited_on": "2026-02-30", "proceed": "yes"}
        )
    )
    assert "Enter a valid date." in not_a_date
    assert Case.objects.get(pk=case.pk).state == State.VISIT


@time_machine.travel(START, tick=False)
def test_a_photo_of_the_signed_authorization_stands_for_the_checkbox(
    client, people, household_factory, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = raise_clue(people, household_factory())
    as_user(client, people["cadre"])
    photo = SimpleUploadedFile("授权书.jpg", b"\xff\xd8\xff\xe0 fake jpeg", content_type="image/jpeg")
    response = client.post(
        reverse("cases:act", args=[case.pk, "visit"]),
        {
            "visited_on": "2026-03-02",
            "findings": "住院三次",
            "proceed": "yes",
            "category": "marginal",
            "risk_types": ["illness"],
            "authorization_file": photo,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.APPRAISAL and case.authorization_signed
    assert (tmp_path / case.authorization_file.name).read_bytes().endswith(b"fake jpeg")
    assert "signed, copy uploaded" in text(client.get(reverse("cases:case", args=[case.pk])))


def test_a_refused_step_shows_the_reason_and_changes_nothing(client, people, household_factory):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        case = to_notice(people, household)
        traveller.move_to(START + dt.timedelta(days=3))
        as_user(client, people["cadre"])
        response = client.post(reverse("cases:act", args=[case.pk, "submit"]))
    assert response.status_code == 200
    assert "The public notice runs until 2026-03-06" in text(response)
    case.refresh_from_db()
    assert case.state == State.IN_NOTICE and case.submitted_by is None


def test_a_role_that_does_not_take_the_step_is_forbidden(client, people, household_factory):
    with time_machine.travel(START, tick=False):
        case = raise_clue(people, household_factory())
        as_user(client, people["county"])
        page = text(client.get(reverse("cases:case", args=[case.pk])))
        assert reverse("cases:act", args=[case.pk, "visit"]) not in page  # no form the county cannot use
        response = client.post(reverse("cases:act", args=[case.pk, "visit"]), {"findings": "x"})
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).state == State.VISIT


# ---------------------------------------------------------------- the whole procedure


def test_identification_through_the_pages_ends_with_a_monitored_household(client, people, household_factory):
    household = household_factory()
    with time_machine.travel(START, tick=False) as traveller:
        cadre = as_user(client, people["cadre"])
        household_page = text(cadre.get(reverse("web:household", args=[household.pk])))
        assert reverse("cases:raise", args=[household.pk]) in household_page

        raised = cadre.post(
            reverse("cases:raise", args=[household.pk]),
            {"category": "marginal", "risk_types": ["illness"], "description": "户主住院，自付两万元"},
        )
        case = Case.objects.get(household=household)
        assert raised.url == reverse("cases:case", args=[case.pk])
        case_url = raised.url
        page = text(cadre.get(case_url))
        assert "户主住院，自付两万元" in page  # the clue's explanation
        assert "Awaiting household visit" in page

        visited = cadre.post(
            reverse("cases:act", args=[case.pk, "visit"]),
            {
                "visited_on": "2026-03-02",
                "findings": "住院三次，自付两万元",
                "proceed": "yes",
                "authorization_signed": "on",
                "category": "marginal",
                "risk_types": ["illness"],
            },
        )
        assert visited.status_code == 302
        assert "The visit was recorded." in text(cadre.get(case_url))

        cadre.post(
            reverse("cases:act", args=[case.pk, "appraise"]),
            {
                "held_on": "2026-03-02",
                "attendees": "9",
                "votes_for": "8",
                "votes_against": "1",
                "agreed": "yes",
            },
        )
        page = text(cadre.get(case_url))
        assert "Awaiting public notice" in page
        notice_url = reverse("cases:notice_new") + f"?village={household.village.code}&case={case.pk}"
        assert notice_url.replace("&", "&amp;") in page

        form = text(cadre.get(notice_url))
        assert 'value="5"' in form and 'value="2026-03-02"' in form  # the policy's days, posted today
        posted = cadre.post(notice_url, {"cases": [case.pk], "posted_on": "2026-03-02", "days": "5"})
        case.refresh_from_db()
        assert case.state == State.IN_NOTICE
        assert posted.url == reverse("cases:notice", args=[case.notice_id])
        notice_page = text(cadre.get(posted.url))
        assert household.number in notice_page
        assert reverse("cases:notice_pdf", args=[case.notice_id]) in notice_page

        traveller.move_to(START + dt.timedelta(days=5))
        cadre = as_user(client, people["cadre"])
        assert cadre.post(reverse("cases:act", args=[case.pk, "submit"])).status_code == 302

        township = as_user(client, people["township"])
        assert household.number in text(township.get(reverse("cases:tasks")))
        assert township.post(reverse("cases:act", args=[case.pk, "township_approve"]), {}).status_code == 302

        county = as_user(client, people["county"])
        tasks = text(county.get(reverse("cases:tasks")))
        assert household.number in tasks
        decided = county.post(
            reverse("cases:act", args=[case.pk, "county_approve"]),
            {"category": "marginal", "risk_types": ["illness"]},
        )
        assert decided.status_code == 302
        final = text(county.get(case_url))

    household.refresh_from_db()
    assert household.monitoring_category == "marginal"
    assert household.risk_type_list == ["illness"]
    assert Case.objects.get(pk=case.pk).state == State.APPROVED
    assert "The county&#x27;s approval was recorded." in final  # the success message after the decision
    timeline = final[final.index("Timeline") :]
    for label in (
        "Case opened",
        "Household visited",
        "Village appraisal held",
        "Public notice posted",
        "Submitted to the township",
        "Township review passed",
        "Approved by the county",
    ):
        assert label in timeline, label
    assert timeline.index("Case opened") < timeline.index("Approved by the county")


# ---------------------------------------------------------------- elimination


@time_machine.travel(START, tick=False)
def test_elimination_shows_its_gates_and_the_county_cannot_pass_a_failing_one(
    client, people, household_factory
):
    household = household_factory()
    registry.change_monitoring(
        actor=people["county"],
        household=household,
        expected_version=household.version,
        category="marginal",
        risk_types=["illness"],
        effective_from=dt.date(2025, 1, 1),
        reason="识别",
    )
    cadre = as_user(client, people["cadre"])
    household_page = text(cadre.get(reverse("web:household", args=[household.pk])))
    assert reverse("cases:eliminate", args=[household.pk]) in household_page
    assert reverse("cases:raise", args=[household.pk]) not in household_page  # already monitored

    cadre.post(reverse("cases:eliminate", args=[household.pk]), {"reason": "务工收入稳定"})
    case = Case.objects.get(household=household, kind="elimination")
    page = text(cadre.get(reverse("cases:case", args=[case.pk])))
    assert "Elimination gates" in page
    assert '<li class="fail">' in page and "No measure yet against" in page

    assert reverse("assistance:measure_add", args=[household.pk]) in page  # the gap is closed in the plan
    added = cadre.post(
        reverse("assistance:measure_add", args=[household.pk]),
        {
            "measure_type": MeasureType.objects.get(code="medical_assistance").pk,
            "risk_types": ["illness"],
            "responsible": "镇民政办",
            "status": "in_progress",
            "started_on": "2025-02-01",
            "description": "大病救助",
        },
    )
    assert added.status_code == 302
    page = text(cadre.get(reverse("cases:case", args=[case.pk])))
    assert "Every recorded risk type has at least one measure." in page

    # Walk the case to the county without meeting the income gates; the county is refused with reasons.
    Case.objects.filter(pk=case.pk).update(state=State.COUNTY)
    county = as_user(client, people["county"])
    response = county.post(
        reverse("cases:act", args=[case.pk, "county_approve"]), {"elimination_kind": "assisted"}
    )
    assert "The risk cannot be eliminated yet" in text(response)
    household.refresh_from_db()
    assert household.monitoring_category == "marginal"


# ---------------------------------------------------------------- declarations and notifications


@time_machine.travel(START, tick=False)
def test_a_declaration_is_matched_to_the_household_with_the_same_phone(
    client, people, household_factory, place
):
    household = household_factory()  # its phone is 13812345678
    other = household_factory()
    Household.objects.filter(pk=other.pk).update(phone_enc="", phone_bidx="", phone_masked="")
    cipher = get_cipher()
    declaration = Declaration.objects.create(
        village=place.village_a1,
        name="张三",
        phone_enc=cipher.encrypt("13812345678"),
        phone_bidx=cipher.blind_index("phone", "13812345678"),
        phone_masked="138****5678",
        difficulty="illness",
        description="老伴住院",
        status=DeclarationStatus.NEW,
        code_hash="x",
        client_hash="x",
    )
    cadre = as_user(client, people["cadre"])
    assert reverse("cases:declaration", args=[declaration.pk]) in text(cadre.get(reverse("cases:tasks")))
    page = text(cadre.get(reverse("cases:declaration", args=[declaration.pk])))
    assert "138****5678" in page and "13812345678" not in page
    suggested = re.search(r'<option value="(\d+)" selected>([^<]*)</option>', page)
    assert suggested is not None and int(suggested.group(1)) == household.pk
    assert "same phone as the declaration" in suggested.group(2)

    opened = cadre.post(
        reverse("cases:declaration", args=[declaration.pk]),
        {"do": "open", "household": household.pk, "category": "marginal", "risk_types": ["illness"]},
    )
    case = Case.objects.get(household=household)
    assert opened.url == reverse("cases:case", args=[case.pk])
    assert case.channel == "self_declaration"
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.OPENED


@time_machine.travel(START, tick=False)
def test_notifications_show_in_the_nav_and_lead_to_the_case(client, people, household_factory):
    household = household_factory()
    case = raise_clue(people, household)  # tells the village cadre the visit waits
    cadre = as_user(client, people["cadre"])
    home = text(cadre.get(reverse("web:home")))
    badge = re.search(r'class="count-badge">(\d+)<', home)
    assert (
        badge is not None
        and int(badge.group(1)) == Notification.objects.filter(recipient=people["cadre"]).count()
    )

    page = text(cadre.get(reverse("cases:notifications")))
    assert f"Household {household.number}" in page
    assert reverse("cases:case", args=[case.pk]) in page

    cadre.post(reverse("cases:notifications_read"))
    assert "count-badge" not in text(cadre.get(reverse("web:home")))
    assert not Notification.objects.filter(recipient=people["cadre"], read_at__isnull=True).exists()


# ---------------------------------------------------------------- household page and phones


@time_machine.travel(START, tick=False)
def test_the_household_page_shows_its_cases_and_only_the_buttons_the_user_may_use(
    client, people, household_factory
):
    household = household_factory()
    viewer = as_user(client, people["viewer"])
    page = text(viewer.get(reverse("web:household", args=[household.pk])))
    assert "No case yet." in page
    assert reverse("cases:raise", args=[household.pk]) not in page  # a province viewer raises no clue

    case = raise_clue(people, household)
    cadre = as_user(client, people["cadre"])
    page = text(cadre.get(reverse("web:household", args=[household.pk])))
    assert reverse("cases:case", args=[case.pk]) in page
    assert "Case opened" in page and "户主住院，医疗支出大" in page  # the timeline with the reason
    assert reverse("cases:raise", args=[household.pk]) not in page  # the open case is continued instead


@time_machine.travel(START, tick=False)
def test_the_door_step_forms_fit_a_phone(client, people, household_factory):
    household = household_factory()
    cadre = as_user(client, people["cadre"])
    raise_page = text(cadre.get(reverse("cases:raise", args=[household.pk])))
    case = raise_clue(people, household)
    case_page = text(cadre.get(reverse("cases:case", args=[case.pk])))

    for page in (raise_page, case_page):
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert re.search(r'<form method="post" class="record-form mobile-form"', raise_page)
    visit_url = re.escape(reverse("cases:act", args=[case.pk, "visit"]))
    visit_form = re.search(
        rf'<form method="post" action="{visit_url}" class="mobile-form"'
        r' enctype="multipart/form-data".*?</form>',
        case_page,
        flags=re.S,
    )
    assert visit_form is not None
    form = visit_form.group(0)
    assert 'type="date"' in form  # the phone's date picker
    assert 'type="file"' in form and 'accept="image/*' in form  # a photo of the signed authorization
    assert 'class="big primary"' in form
    assert 'style="' not in form  # nothing that fixes a width

    css = Path(finders.find("fupin/fupin.css")).read_text()
    assert re.search(r"\.mobile-form input\[type=\"date\"\].*?min-height: 2\.75rem", css, flags=re.S)
    phone_rules = css[css.index("@media (max-width: 720px)") :]
    assert ".mobile-form .actions button" in phone_rules and "width: 100%" in phone_rules
    assert ".mobile-form .checks > div" in phone_rules and "grid-template-columns: 1fr" in phone_rules


@time_machine.travel(START, tick=False)
def test_a_waiting_step_notification_is_settled_once_anyone_takes_the_step(
    people, household_factory, make_user, place
):
    """Two cadres of the village are told a visit waits; one visits; neither is still asked to."""
    second_cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    household = household_factory()
    case = raise_clue(people, household)
    waiting = Notification.objects.filter(case=case, kind="step_waiting", read_at__isnull=True)
    assert set(waiting.values_list("recipient", flat=True)) >= {people["cadre"].pk, second_cadre.pk}
    first_step = case.state
    casework.village_steps(people["cadre"], case, TODAY)
    case.refresh_from_db()
    assert case.state != first_step
    stale = Notification.objects.filter(case=case, kind="step_waiting", read_at__isnull=True)
    assert all(n.params["step"] == case.state for n in stale)
    assert not stale.filter(recipient=second_cadre).exists()


def test_the_fast_track_form_proposes_the_cases_category(client, people, household_factory):
    """先纳后补 starts from the category the case proposes, not always 'sudden difficulty'."""
    from fupin.cases.forms import FastTrackForm

    case = raise_clue(people, household_factory())  # proposes "marginal" (edge of poverty)
    assert case.proposed_category == "marginal"
    assert FastTrackForm(case=case, action="fast_track")["category"].value() == "marginal"
    as_user(client, people["township"])
    page = text(client.get(reverse("cases:case", args=[case.pk])))
    form = page[page.index('action="' + reverse("cases:act", args=[case.pk, "fast_track"])) :]
    chosen = re.search(r'<option value="(\w+)"[^>]*selected', form[: form.index("</form>")])
    assert chosen and chosen.group(1) == "marginal"
