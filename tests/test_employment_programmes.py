"""Public-welfare posts, help workshops, returned migrant workers and training (issue 15, items 3-6):
who may hold a post (the pack's rule), the temporary posts' fourth month refused, the months paid
through the benefit programme for posts, workshop recognition against the pack's minimum and the
one-per-county check, the returned-worker follow-up with a frozen clock, courses and 雨露计划."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.clock import pretend_today
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, Refused
from fupin.employment import posts, returned, selectors, services, training, workshops
from fupin.employment.models import (
    EmploymentRecord,
    PostMonth,
    ReturnedWorker,
    WorkshopStatus,
)
from fupin.employment.services import RecordInput
from fupin.registry import services as registry
from tests.conftest import valid_id

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _today():
    from django.utils import translation

    with pretend_today(TODAY), translation.override("en"):
        yield


@pytest.fixture
def admin(place, make_user):
    return make_user(Role.COUNTY_ADMIN, "220822")


@pytest.fixture
def labourer(household_factory, place):
    def make(household_type: str = "lifted_out", village=None, **values):
        household = household_factory(village or place.village_a1, household_type=household_type, **values)
        return household.members.get()

    return make


def a_post(actor, place, *, code="GY-001", temporary=False, subsidy=80_000, area=None, **overrides):
    data = {
        "code": code,
        "title": "道路养护员",
        "kind": "ordinary",
        "area": area or place.village_a1,
        "monthly_subsidy_fen": subsidy,
        "term_start": dt.date(2026, 1, 1),
        "term_end": dt.date(2026, 12, 1),
        "temporary": temporary,
        **overrides,
    }
    return posts.create_post(actor=actor, data=posts.PostInput(**data))


def working(month: dt.date, place: str = "province") -> RecordInput:
    return RecordInput(
        status="working",
        start_month=month,
        place=place,
        kind="enterprise",
        employer="长春某厂",
        monthly_income=Decimal(4000),
    )


# ---------------------------------------------------------------- posts


def test_a_post_with_every_problem_is_refused_at_once_and_nothing_is_saved(county_officer, place):
    with pytest.raises(InvalidInput) as caught:
        a_post(
            county_officer,
            place,
            code="",
            title=" ",
            kind="cleaner",
            subsidy=0,
            term_end=dt.date(2025, 12, 1),
        )
    assert set(caught.value.field_errors) == {"code", "title", "kind", "monthly_subsidy_fen", "term_end"}
    with pytest.raises(InvalidInput) as county_level:
        a_post(county_officer, place, area=place.county)
    assert "area" in county_level.value.field_errors


def test_only_the_roles_that_manage_employment_create_posts(village_cadre, place, make_user):
    with pytest.raises(NotPermitted):
        a_post(village_cadre, place)
    other_county = make_user(Role.COUNTY_OFFICER, "220821")
    with pytest.raises(OutOfScope):
        a_post(other_county, place)


def test_a_lifted_out_labourer_holds_a_post_and_the_months_are_recorded_with_the_subsidy(
    county_officer, place, labourer
):
    post = a_post(county_officer, place)
    person = labourer()
    holding = posts.appoint(actor=county_officer, post=post, member=person, start_month=dt.date(2026, 2, 1))
    month = posts.record_month(actor=county_officer, holding=holding, month=dt.date(2026, 2, 1))
    assert month.subsidy_fen == 80_000 and month.application is None  # no programme for posts is open
    with pytest.raises(InvalidInput) as twice:
        posts.record_month(actor=county_officer, holding=holding, month=dt.date(2026, 2, 1))
    assert "month" in twice.value.field_errors
    with pytest.raises(InvalidInput):
        posts.record_month(actor=county_officer, holding=holding, month=dt.date(2026, 7, 1))  # the future
    entry = AuditEntry.objects.get(object_type="welfare_post_holder", object_id=str(holding.pk))
    assert person.name not in entry.summary


def test_the_pack_decides_which_households_and_ages_may_hold_a_post(county_officer, place, labourer):
    post = a_post(county_officer, place)
    ordinary = labourer("ordinary")
    with pytest.raises(InvalidInput) as caught:
        posts.appoint(actor=county_officer, post=post, member=ordinary, start_month=dt.date(2026, 3, 1))
    assert "policy pack does not admit" in str(caught.value.field_errors["member"][0])
    household = labourer().household
    old = registry.add_member(
        actor=county_officer,
        household=household,
        values={
            "name": "老人",
            "sex": "F",
            "birth_date": dt.date(1955, 1, 1),
            "relation": "parent",
            "labour_capacity": "weak",
        },
        id_number=valid_id(birth=dt.date(1955, 1, 1), sequence=772),
    )
    with pytest.raises(InvalidInput) as too_old:
        posts.appoint(actor=county_officer, post=post, member=old, start_month=dt.date(2026, 3, 1))
    assert "16 to 65 years old; this person is 71" in str(too_old.value.field_errors["member"][0])


def test_never_two_posts_at_once_and_never_a_post_and_migrant_work_in_the_same_month(
    county_officer, place, labourer
):
    first = a_post(county_officer, place, code="GY-1")
    second = a_post(county_officer, place, code="GY-2")
    person = labourer()
    posts.appoint(
        actor=county_officer,
        post=first,
        member=person,
        start_month=dt.date(2026, 1, 1),
        end_month=dt.date(2026, 3, 1),
    )
    with pytest.raises(InvalidInput) as both:
        posts.appoint(actor=county_officer, post=second, member=person, start_month=dt.date(2026, 3, 1))
    assert "never two at once" in str(both.value.field_errors["member"][0])
    # From April the person works in the province, outside the county: no post from April.
    services.record_employment(
        actor=county_officer, member=person, data=working(dt.date(2026, 4, 1)), expected_current=None
    )
    with pytest.raises(InvalidInput) as migrant:
        posts.appoint(actor=county_officer, post=second, member=person, start_month=dt.date(2026, 4, 1))
    assert "migrant worker in 2026-04" in str(migrant.value.field_errors["member"][0])
    # Nor someone else on a post already held.
    other = labourer()
    with pytest.raises(InvalidInput) as held:
        posts.appoint(actor=county_officer, post=first, member=other, start_month=dt.date(2026, 2, 1))
    assert "start_month" in held.value.field_errors


def test_a_temporary_post_is_held_three_months_at_most_and_the_fourth_month_is_refused(
    county_officer, place, labourer
):
    one = a_post(county_officer, place, code="LS-1", temporary=True, subsidy=100_000)
    two = a_post(county_officer, place, code="LS-2", temporary=True, subsidy=100_000)
    person = labourer()
    with pytest.raises(InvalidInput) as long_:
        posts.appoint(
            actor=county_officer,
            post=one,
            member=person,
            start_month=dt.date(2026, 1, 1),
            end_month=dt.date(2026, 4, 1),
        )
    assert "at most 3 months" in str(long_.value.field_errors["end_month"][0])
    with pytest.raises(InvalidInput) as open_ended:
        posts.appoint(actor=county_officer, post=one, member=person, start_month=dt.date(2026, 1, 1))
    assert "end_month" in open_ended.value.field_errors
    first = posts.appoint(
        actor=county_officer,
        post=one,
        member=person,
        start_month=dt.date(2026, 1, 1),
        end_month=dt.date(2026, 3, 1),
    )
    for month in (1, 2, 3):
        posts.record_month(actor=county_officer, holding=first, month=dt.date(2026, month, 1))
    later = posts.appoint(
        actor=county_officer,
        post=two,
        member=person,
        start_month=dt.date(2026, 4, 1),
        end_month=dt.date(2026, 5, 1),
    )
    with pytest.raises(InvalidInput) as fourth:
        posts.record_month(actor=county_officer, holding=later, month=dt.date(2026, 4, 1))
    assert "already has 3 months on temporary posts in 2026" in str(fourth.value.field_errors["month"][0])
    assert PostMonth.objects.filter(holding__member=person).count() == 3


def test_with_the_programme_for_posts_open_each_temporary_month_is_a_benefit_application(
    county_officer, admin, place, labourer
):
    from fupin.benefits import services as benefits

    benefits.open_programme(
        actor=admin, pack="jilin", programme="temporary_welfare_post", county=place.county, year=2026
    )
    post = a_post(county_officer, place, code="LS-9", temporary=True, subsidy=100_000)
    person = labourer()
    holding = posts.appoint(
        actor=county_officer,
        post=post,
        member=person,
        start_month=dt.date(2026, 3, 1),
        end_month=dt.date(2026, 5, 1),
    )
    month = posts.record_month(actor=county_officer, holding=holding, month=dt.date(2026, 4, 1))
    application = month.application
    assert application is not None
    assert (application.programme, application.post_code, application.period) == (
        "temporary_welfare_post",
        "LS-9",
        dt.date(2026, 4, 1),
    )
    assert application.member == person and application.eligible and application.amount_fen == 100_000


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(months=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=10))
def test_temporary_months_in_a_year_never_exceed_the_packs_limit(county_officer, place, labourer, months):
    from django.db import transaction

    with transaction.atomic():
        tag = PostMonth.objects.count() + len(months) * 1000 + months[0]
        a = a_post(county_officer, place, code=f"H-{tag}-a", temporary=True)
        b = a_post(county_officer, place, code=f"H-{tag}-b", temporary=True)
        person = labourer()
        holdings = [
            posts.appoint(
                actor=county_officer,
                post=a,
                member=person,
                start_month=dt.date(2026, 1, 1),
                end_month=dt.date(2026, 3, 1),
            ),
            posts.appoint(
                actor=county_officer,
                post=b,
                member=person,
                start_month=dt.date(2026, 4, 1),
                end_month=dt.date(2026, 6, 1),
            ),
        ]
        accepted: set[int] = set()
        for m in months:
            holding = holdings[0] if m <= 3 else holdings[1]
            try:
                posts.record_month(actor=county_officer, holding=holding, month=dt.date(2026, m, 1))
            except InvalidInput:
                assert m in accepted or len(accepted) == 3
            else:
                accepted.add(m)
        assert len(accepted) == min(3, len(set(months)))
        assert posts.temporary_months_in_year(person, 2026) == len(accepted)
        transaction.set_rollback(True)


# ---------------------------------------------------------------- workshops


def a_workshop(actor, place, area=None):
    return workshops.register_workshop(
        actor=actor,
        data=workshops.WorkshopInput(
            name="通榆县某服装帮扶车间",
            workshop_type="factory",
            operator="某服装公司",
            area=area or place.township_a,
        ),
    )


def test_a_workshop_is_recognised_only_with_the_packs_minimum_of_lifted_out_workers(
    county_officer, place, labourer
):
    shop = a_workshop(county_officer, place)
    assert shop.status == WorkshopStatus.PENDING
    for _ in range(4):
        workshops.add_worker(
            actor=county_officer,
            workshop=shop,
            member=labourer(),
            start_month=dt.date(2026, 3, 1),
            monthly_pay_fen=250_000,
        )
    workshops.add_worker(  # an ordinary household's worker does not count
        actor=county_officer,
        workshop=shop,
        member=labourer("ordinary"),
        start_month=dt.date(2026, 3, 1),
        monthly_pay_fen=250_000,
    )
    with pytest.raises(Refused) as short:
        workshops.recognise(actor=county_officer, workshop=shop)
    assert "at least 5" in str(short.value.message) and "has 4" in str(short.value.message)
    monitored = labourer("ordinary")
    type(monitored.household).objects.filter(pk=monitored.household_id).update(monitoring_category="marginal")
    monitored.refresh_from_db()
    workshops.add_worker(
        actor=county_officer,
        workshop=shop,
        member=monitored,
        start_month=dt.date(2026, 5, 1),
        monthly_pay_fen=200_000,
    )
    workshops.recognise(actor=county_officer, workshop=shop)
    shop.refresh_from_db()
    assert shop.status == WorkshopStatus.RECOGNISED and shop.recognised_on == TODAY


def test_workshop_status_moves_forward_and_a_delisted_one_takes_no_award_nor_worker(
    county_officer, place, labourer
):
    shop = a_workshop(county_officer, place)
    with pytest.raises(InvalidInput):
        workshops.award(actor=county_officer, workshop=shop, amount_fen=500_000, reason="吸纳就业")
    for _ in range(5):
        workshops.add_worker(
            actor=county_officer,
            workshop=shop,
            member=labourer(),
            start_month=dt.date(2026, 1, 1),
            monthly_pay_fen=220_000,
        )
    workshops.recognise(actor=county_officer, workshop=shop)
    workshops.change_status(actor=county_officer, workshop=shop, status="operating")
    prize = workshops.award(
        actor=county_officer, workshop=shop, amount_fen=2_000_000, reason="吸纳脱贫劳动力一次性奖补"
    )
    assert prize.amount_fen == 2_000_000
    workshops.change_status(actor=county_officer, workshop=shop, status="stopped")
    workshops.change_status(actor=county_officer, workshop=shop, status="delisted")
    with pytest.raises(Refused):
        workshops.change_status(actor=county_officer, workshop=shop, status="operating")
    with pytest.raises(InvalidInput):
        workshops.award(actor=county_officer, workshop=shop, amount_fen=100, reason="x")
    with pytest.raises(InvalidInput):
        workshops.add_worker(
            actor=county_officer,
            workshop=shop,
            member=labourer(),
            start_month=dt.date(2026, 6, 1),
            monthly_pay_fen=1,
        )


def test_each_county_has_at_least_one_workshop_or_the_check_names_it(county_officer, place, labourer):
    from fupin.areas.models import Area

    check = selectors.workshop_check(place.county)
    assert check is not None and not check.passed and check.missing == [place.county]
    shop = a_workshop(county_officer, place)
    assert not selectors.workshop_check(place.county).passed  # pending is not recognised
    for _ in range(5):
        workshops.add_worker(
            actor=county_officer,
            workshop=shop,
            member=labourer(),
            start_month=dt.date(2026, 1, 1),
            monthly_pay_fen=220_000,
        )
    workshops.recognise(actor=county_officer, workshop=shop)
    assert selectors.workshop_check(place.county).passed
    prefecture = Area.objects.get(code="2208")
    wide = selectors.workshop_check(prefecture)
    assert place.county not in wide.missing and Area.objects.get(code="220821") in wide.missing
    assert selectors.workshop_check(place.township_a) is None


# ---------------------------------------------------------------- returned migrant workers


def test_a_returned_worker_is_due_by_the_packs_deadline_and_overdue_after_it(county_officer, labourer):
    person = labourer()
    task = returned.record_return(
        actor=county_officer, member=person, returned_on=dt.date(2026, 6, 10), reason="工厂停工"
    )
    assert task.due_on == dt.date(2026, 6, 25)  # 15 days in the national pack
    assert returned.status(task) == returned.OPEN
    with pretend_today(dt.date(2026, 6, 25)):
        assert returned.status(task) == returned.DUE
    with pretend_today(dt.date(2026, 6, 26)):
        assert returned.status(task) == returned.OVERDUE
        returned.follow_up(
            actor=county_officer, task=task, help_kind="job_information", note="推荐县内企业岗位"
        )
        task.refresh_from_db()
        assert task.followed_up_on == dt.date(2026, 6, 26) and returned.status(task) == returned.DONE
        entry = AuditEntry.objects.get(object_type="returned_worker_follow_up")
        assert entry.changes["late"] is True
    with pytest.raises(InvalidInput):
        returned.record_return(actor=county_officer, member=person, returned_on=dt.date(2026, 7, 1))


def test_a_new_job_found_in_the_follow_up_is_an_employment_record_and_counts_in_progress(
    county_officer, place, labourer
):
    person = labourer()
    task = returned.record_return(actor=county_officer, member=person, returned_on=dt.date(2026, 5, 20))
    before = selectors.progress(county_officer, place.county, 2026, 6).total.persons
    with pytest.raises(InvalidInput):
        returned.follow_up(actor=county_officer, task=task, help_kind="new_job")  # without the job
    returned.follow_up(
        actor=county_officer,
        task=task,
        help_kind="new_job",
        job=working(dt.date(2026, 6, 1), place="county"),
        expected_current=None,
    )
    assert EmploymentRecord.objects.get(member=person).place == "county"
    assert selectors.progress(county_officer, place.county, 2026, 6).total.persons == before + 1


def test_a_returned_worker_from_the_human_resources_list_opens_a_task_once(county_officer, labourer):
    from fupin.feeds import services as feeds
    from fupin.pii.crypto import get_cipher

    person = labourer()
    number = get_cipher().decrypt(person.id_number_enc)
    header = feeds.template_csv("returned_migrant").strip()
    body = f"{header}\r\n{number},{person.name},2026-06-01,,laid_off\r\n".encode()
    feeds.import_feed(county_officer, "returned_migrant", body, "returned.csv")
    assert returned.from_feeds() == 1
    assert returned.from_feeds() == 0  # idempotent
    task = ReturnedWorker.objects.get(member=person)
    assert (task.source, task.due_on) == ("feed", dt.date(2026, 6, 16))
    assert list(selectors.returned_in(county_officer, person.household.village)) == [task]


def test_a_village_cadre_follows_up_only_their_own_village(place, make_user, labourer, county_officer):
    task = returned.record_return(
        actor=county_officer, member=labourer(village=place.village_a2), returned_on=dt.date(2026, 6, 1)
    )
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    with pytest.raises(OutOfScope):
        returned.follow_up(actor=cadre, task=task, help_kind="training")
    assert list(selectors.returned_in(cadre, place.county)) == []


# ---------------------------------------------------------------- training and 雨露计划


def test_a_course_is_completed_only_after_it_ends(county_officer, place, labourer):
    course = training.create_course(
        actor=county_officer,
        data=training.CourseInput(
            title="电工培训",
            trade="电工",
            area=place.county,
            starts_on=dt.date(2026, 6, 1),
            ends_on=dt.date(2026, 6, 30),
            hours=80,
            provider="县职业技能培训学校",
        ),
    )
    person = labourer()
    seat = training.enrol(actor=county_officer, course=course, member=person)
    with pytest.raises(InvalidInput):
        training.enrol(actor=county_officer, course=course, member=person)
    with pytest.raises(Refused):
        training.complete(actor=county_officer, participant=seat, completed=True)
    with pretend_today(dt.date(2026, 7, 2)):
        training.complete(actor=county_officer, participant=seat, completed=True, certificate="电工证 123")
    seat.refresh_from_db()
    assert seat.completed and seat.certificate == "电工证 123"


def test_a_vocational_grant_is_for_lifted_out_or_monitored_students_once_a_school_year(
    county_officer, labourer
):
    student = labourer()
    grant = training.record_grant(
        actor=county_officer,
        member=student,
        data=training.GrantInput(
            school="通榆县职教中心", level="secondary", school_year=2025, amount_fen=300_000
        ),
    )
    assert grant.amount_fen == 300_000
    with pytest.raises(InvalidInput) as again:
        training.record_grant(
            actor=county_officer,
            member=student,
            data=training.GrantInput(
                school="通榆县职教中心", level="secondary", school_year=2025, amount_fen=300_000
            ),
        )
    assert "school_year" in again.value.field_errors
    with pytest.raises(InvalidInput) as ordinary:
        training.record_grant(
            actor=county_officer,
            member=labourer("ordinary"),
            data=training.GrantInput(school="x", level="higher", school_year=2026, amount_fen=300_000),
        )
    assert "member" in ordinary.value.field_errors
