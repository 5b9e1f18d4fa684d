"""Scheduling reports (调度): issued by a level to the areas below, figures from the system equal to the
indicator tables, typed figures checked all at once, returned and corrected, accepted by another
person, rolled up as the sum of the accepted parts, and reminders by the clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.accounts.roles import Role
from fupin.areas.models import Area, AreaLevel
from fupin.cases.models import Notification
from fupin.core import clock
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, Refused
from fupin.indicators import selectors as indicators
from fupin.registry.models import Household
from fupin.supervision import schedules, scheduling, selectors
from fupin.supervision.models import ReportSubmission, SubmissionStatus

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def people(place, make_user):
    return {
        "province": make_user(Role.PROVINCE_VIEWER, "22"),
        "county": make_user(Role.COUNTY_OFFICER, place.county.code),
        "county_admin": make_user(Role.COUNTY_ADMIN, place.county.code),
        "other_county": make_user(Role.COUNTY_OFFICER, "220821"),
        "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
    }


def _issue(actor, *, deadline=None, form="monthly_monitoring", issuer="2208", level=AreaLevel.COUNTY):
    return scheduling.issue_round(
        actor=actor,
        data=scheduling.RoundInput(
            form_code=form,
            issuer_code=issuer,
            filler_level=int(level),
            period=clock.today().strftime("%Y-%m"),
            deadline=deadline or clock.today() + dt.timedelta(days=5),
        ),
    )


def _submission(issued, code: str) -> ReportSubmission:
    return ReportSubmission.objects.select_related("round", "area").get(round=issued, area__code=code)


def test_a_round_reaches_every_county_below_and_they_are_told(
    people, place, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = _issue(people["province"])
    counties = set(
        Area.objects.filter(path__startswith="/22/2208/", level=AreaLevel.COUNTY).values_list(
            "code", flat=True
        )
    )
    assert set(issued.submissions.values_list("area__code", flat=True)) == counties
    assert "220822" in counties and "220821" in counties
    told = set(Notification.objects.filter(kind="report_issued").values_list("recipient", flat=True))
    assert {people["county"].pk, people["county_admin"].pk, people["other_county"].pk} <= told
    assert people["township"].pk not in told and people["province"].pk not in told


def test_a_bad_round_says_every_problem_and_issues_nothing(people):
    with pytest.raises(InvalidInput) as refused:
        scheduling.issue_round(
            actor=people["province"],
            data=scheduling.RoundInput(
                form_code="no_such_form",
                issuer_code="2208",
                filler_level=int(AreaLevel.PROVINCE),
                period="2026-13",
                deadline=clock.today() - dt.timedelta(days=1),
            ),
        )
    assert set(refused.value.field_errors) == {"form_code", "filler_level", "period", "deadline"}
    assert not ReportSubmission.objects.exists()
    with pytest.raises(NotPermitted):
        _issue(
            people["township"],
            issuer=people["township"].area_grants.first().area.code,
            level=AreaLevel.VILLAGE,
        )


def test_figures_from_the_system_equal_the_indicator_table_and_typed_ones_are_checked(
    people, place, household_factory
):
    from fupin.indicators import services as indicator_services

    for n in range(5):
        household = household_factory(household_type="lifted_out", status="lifted")
        if n < 3:
            Household.objects.filter(pk=household.pk).update(monitoring_category="marginal")
    build = indicator_services.rebuild(as_of=clock.today())
    table = indicators.figures(build, "220822").values
    assert table["monitored_households"] == 3

    issued = _issue(people["province"])
    mine = _submission(issued, "220822")
    with pytest.raises(InvalidInput) as refused:
        scheduling.save(
            actor=people["county"],
            submission=mine,
            typed={"problems_found": "-1", "problems_fixed": "2.5", "monitored_households": "999"},
            submit=True,
        )
    assert set(refused.value.field_errors) == {"problems_found", "problems_fixed"}
    mine.refresh_from_db()
    assert mine.status == SubmissionStatus.PENDING and mine.values == {}

    scheduling.save(actor=people["county"], submission=mine, typed={"problems_found": "4"}, submit=False)
    mine.refresh_from_db()
    assert mine.status == SubmissionStatus.PENDING and mine.values["problems_found"] == "4"  # a draft

    scheduling.save(
        actor=people["county"],
        submission=mine,
        typed={"problems_found": "4", "problems_fixed": "3", "monitored_households": "999", "notes": "正常"},
        submit=True,
    )
    mine.refresh_from_db()
    assert mine.status == SubmissionStatus.SUBMITTED
    for field in schedules.fields_of(issued.fields):
        if field.indicator:  # what the system holds, never what was typed over it
            assert Decimal(mine.values[field.code]) == Decimal(str(table[field.indicator])), field.code
    with pytest.raises(Refused):
        scheduling.save(actor=people["county"], submission=mine, typed={"problems_found": "5"}, submit=True)


def test_returned_corrected_accepted_and_the_roll_up_is_the_sum_of_the_accepted(
    people, place, django_capture_on_commit_callbacks
):
    issued = _issue(people["province"])
    ours, theirs = _submission(issued, "220822"), _submission(issued, "220821")
    scheduling.save(
        actor=people["county"],
        submission=ours,
        typed={"problems_found": "4", "problems_fixed": "3"},
        submit=True,
    )
    scheduling.save(
        actor=people["other_county"],
        submission=theirs,
        typed={"problems_found": "10", "problems_fixed": "1"},
        submit=True,
    )
    with pytest.raises(OutOfScope):  # a county fills its own report only
        scheduling.save(actor=people["county"], submission=theirs, typed={}, submit=False)
    with pytest.raises(OutOfScope):  # the county does not accept what the province asked for
        scheduling.accept(actor=people["county_admin"], submission=ours)
    with pytest.raises(NotPermitted):  # nor does a township officer, who may not accept at all
        scheduling.accept(actor=people["township"], submission=ours)

    scheduling.accept(actor=people["province"], submission=ours)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.return_for_correction(
            actor=people["province"], submission=theirs, reason="整改数与台账不符"
        )
    returned = Notification.objects.get(recipient=people["other_county"], kind="report_returned")
    assert returned.params["reason"] == "整改数与台账不符"

    fields, rows = selectors.rollup(issued)
    total = rows[-1]
    assert total.area is None and total.accepted == 1 and total.sums["problems_found"] == 4

    theirs.refresh_from_db()
    scheduling.save(
        actor=people["other_county"],
        submission=theirs,
        typed={"problems_found": "10", "problems_fixed": "2"},
        submit=True,
    )
    scheduling.accept(actor=people["province"], submission=theirs)
    fields, rows = selectors.rollup(issued)
    accepted = ReportSubmission.objects.filter(round=issued, status="accepted")
    for field in fields:
        expected = sum((Decimal(s.values.get(field.code) or 0) for s in accepted), Decimal(0))
        assert rows[-1].sums[field.code] == expected, field.code
    assert rows[-1].sums["problems_fixed"] == 5 and rows[-1].accepted == 2
    # each county is a row of its own under the prefecture that issued it
    by_area = {row.area.code: row for row in rows if row.area is not None}
    assert by_area["220822"].sums["problems_found"] == 4 and by_area["220821"].sums["problems_found"] == 10


def test_reminders_from_the_day_before_the_deadline_once_a_day(
    people, place, django_capture_on_commit_callbacks
):
    start = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
    with time_machine.travel(start, tick=False):
        issued = _issue(people["province"], deadline=dt.date(2026, 11, 25))
        scheduling.save(
            actor=people["county"],
            submission=_submission(issued, "220822"),
            typed={"problems_found": "1", "problems_fixed": "1"},
            submit=True,
        )
    open_areas = issued.submissions.exclude(area__code="220822").count()
    for day, expected, kind in (
        (dt.date(2026, 11, 23), 0, None),  # two days before: nobody yet
        (dt.date(2026, 11, 24), open_areas, "report_due"),
        (dt.date(2026, 11, 24), 0, None),  # the same day again: once a day
        (dt.date(2026, 11, 26), open_areas, "report_overdue"),
    ):
        moment = dt.datetime.combine(day, dt.time(9, 0), tzinfo=TZ)
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            assert scheduling.send_due_reminders() == expected, day
        if kind:
            assert Notification.objects.filter(recipient=people["other_county"], kind=kind).exists()
            assert not Notification.objects.filter(recipient=people["county"], kind=kind).exists()
    theirs = _submission(issued, "220821")
    assert theirs.reminders == 2 and selectors.is_late(theirs, dt.date(2026, 11, 26))


def test_pages_issue_fill_and_see_the_roll_up(client, people, place):
    def login(user):
        client.logout()  # also forgets the cookies: the language is set again
        client.cookies["django_language"] = "en"
        client.force_login(user)

    login(people["province"])
    response = client.post(
        reverse("supervision:round_new"),
        {
            "form_code": "epidemic_impact",
            "issuer": "22",
            "filler_level": str(int(AreaLevel.COUNTY)),
            "period": clock.today().strftime("%Y-%m"),
            "deadline": (clock.today() + dt.timedelta(days=3)).isoformat(),
        },
    )
    issued = selectors.rounds_for(people["province"]).get()
    assert response["Location"] == reverse("supervision:round", args=[issued.pk])
    mine = _submission(issued, "220822")

    login(people["county"])
    listing = client.get(reverse("supervision:reports")).content.decode()
    assert reverse("supervision:submission", args=[mine.pk]) in listing
    url = reverse("supervision:submission", args=[mine.pk])
    bad = client.post(url, {"action": "submit", "affected_households": "many", "migrant_workers": "-2"})
    assert bad.status_code == 422
    text = bad.content.decode()
    assert "must be a number" in text and "must be from 0" in text and "Fill in" in text
    good = {
        "action": "submit",
        "affected_households": "12",
        "migrant_workers": "3400",
        "returned_workers": "120",
        "posts_created": "45",
        "microcredit_granted": "1250000.50",
    }
    assert client.post(url, good).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "submitted" and mine.values["microcredit_granted"] == "1250000.50"
    assert client.get(reverse("supervision:round", args=[issued.pk])).status_code == 404  # the province's

    login(people["other_county"])
    assert client.get(url).status_code == 404

    login(people["province"])
    client.post(reverse("supervision:submission_decide", args=[mine.pk]), {"action": "accept"})
    page = client.get(reverse("supervision:round", args=[issued.pk])).content.decode()
    assert "1250000.50" in page and "3400" in page


@settings(max_examples=200, deadline=None)
@given(
    low=st.integers(0, 1000),
    span=st.integers(0, 1000),
    value=st.integers(-2000, 4000),
    kind=st.sampled_from(["count", "money"]),
)
def test_a_typed_number_is_kept_exactly_inside_its_range_and_refused_outside(low, span, value, kind):
    field = schedules.Field(
        code="x",
        kind=kind,
        label_zh="数",
        label_en="Number",
        minimum=Decimal(low),
        maximum=Decimal(low + span),
    )
    kept, problem = field.check(str(value))
    if low <= value <= low + span:
        assert problem is None and Decimal(kept) == value
    else:
        assert problem is not None


def test_every_form_takes_indicators_that_exist():
    from fupin.dashboard.catalogue import INDICATORS

    known = {indicator.key for indicator in INDICATORS}
    for form in schedules.forms().values():
        for field in form.fields:
            assert not field.indicator or field.indicator in known, (form.code, field.code)
    with pytest.raises(schedules.FormError):
        schedules.parse([{"code": "x", "name": {"zh": "甲", "en": "A"}, "period": "month", "fields": []}])
    with pytest.raises(schedules.FormError):
        schedules.parse(
            [
                {
                    "code": "x",
                    "name": {"zh": "甲", "en": "A"},
                    "period": "month",
                    "fields": [
                        {
                            "code": "t",
                            "kind": "text",
                            "indicator": "households",
                            "label": {"zh": "甲", "en": "A"},
                        }
                    ],
                }
            ]
        )


def test_the_workers_sweep_sends_the_reminders(people, place, django_capture_on_commit_callbacks):
    from fupin.jobs import services as jobs

    issued = _issue(people["province"], deadline=clock.today())
    with django_capture_on_commit_callbacks(execute=True):
        jobs.run_periodic()  # what every worker runs every few seconds
    assert Notification.objects.filter(recipient=people["county"], kind="report_due").exists()
    assert all(s.reminders == 1 for s in issued.submissions.all())
    with django_capture_on_commit_callbacks(execute=True):
        jobs.run_periodic()  # the same day again: nobody is reminded twice
    assert Notification.objects.filter(recipient=people["county"], kind="report_due").count() == 1


def test_a_return_reason_carries_no_identifiers_and_a_returned_report_is_late_past_the_deadline(
    people, place
):
    start = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
    with time_machine.travel(start, tick=False):
        issued = _issue(people["province"], deadline=dt.date(2026, 11, 22))
        ours = _submission(issued, "220822")
        scheduling.save(
            actor=people["county"],
            submission=ours,
            typed={"problems_found": "1", "problems_fixed": "1"},
            submit=True,
        )
        with pytest.raises(InvalidInput):  # the reason goes to the county by text message
            scheduling.return_for_correction(
                actor=people["province"], submission=ours, reason="户主电话13912345678不对"
            )
        scheduling.return_for_correction(actor=people["province"], submission=ours, reason="户数不对")
    ours.refresh_from_db()
    assert not selectors.is_late(ours, dt.date(2026, 11, 22))
    assert selectors.is_late(ours, dt.date(2026, 11, 23))  # sent back and not in again after the deadline
