"""Supervision services: a problem from its finding to its closing, the second person's acceptance,
evidence checked by content, overdue on the day after the deadline, a failed data check as a problem."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.roles import Role
from fupin.audit.models import AuditEntry
from fupin.core.errors import InvalidInput, NotPermitted, OutOfScope, Refused
from fupin.supervision import selectors, services
from fupin.supervision.models import Decision, Evidence, Problem, Status

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%evidence\n"
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(place, make_user):
    return {
        "inspector": make_user(Role.COUNTY_OFFICER, place.county.code),
        "acceptor": make_user(Role.COUNTY_ADMIN, place.county.code),
        "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        "cadre": make_user(Role.VILLAGE_CADRE, place.village_a1.code),
        "outsider": make_user(Role.VILLAGE_CADRE, place.village_b1.code),
        "province": make_user(Role.PROVINCE_VIEWER, "22"),
        "other_township": make_user(Role.TOWNSHIP_OFFICER, place.township_b.code),
    }


def _record(actor, area_code, **values) -> Problem:
    data = {
        "source": "unannounced_visit",
        "area_code": area_code,
        "kind": "assistance",
        "severity": "serious",
        "description": "帮扶措施未落实到户",
        **values,
    }
    return services.record_problem(actor=actor, data=services.ProblemInput(**data))


def _task(actor, problem, deadline):
    return services.add_task(
        actor=actor,
        problem=problem,
        responsible_unit="开通镇政府",
        responsible_person="李镇长",
        deadline=deadline,
        measures="逐户核实并补录措施",
    )


def _files(*contents: bytes) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{n}.bin", c) for n, c in enumerate(contents)]


def test_a_problem_is_fixed_with_evidence_and_closed_by_a_second_person(place, people, household_factory):
    household = household_factory()
    problem = _record(people["township"], place.village_a1.code, household_id=household.pk)
    assert problem.status == Status.PENDING and problem.area == place.village_a1
    _task(people["township"], problem, dt.date.today() + dt.timedelta(days=10))
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS and problem.deadline == dt.date.today() + dt.timedelta(
        days=10
    )

    rectification = services.rectify(
        actor=people["cadre"],
        problem=problem,
        description="已补录",
        done_on=dt.date.today(),
        files=_files(PNG, PDF),
    )
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_ACCEPTANCE
    stored = list(Evidence.objects.filter(rectification=rectification).values_list("file", "content_type"))
    assert [t for _, t in stored] == ["image/png", "application/pdf"]
    # the stored name is made up: the uploader's file names ("f0.bin", "f1.bin") never reach the disk
    assert all(
        name.startswith(f"supervision/{problem.pk}/") and not name.endswith(".bin") and "f0.bin" not in name
        for name, _ in stored
    )

    services.accept(actor=people["acceptor"], problem=problem)
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED and problem.closed_on == dt.date.today()
    actions = list(
        AuditEntry.objects.filter(object_type="supervision_problem", object_id=str(problem.pk)).values_list(
            "summary", flat=True
        )
    )
    assert len(actions) == 4 and "closed" in actions[-1]


def test_the_person_who_reported_the_fix_cannot_accept_or_return_it(place, people):
    problem = _record(people["inspector"], place.village_a1.code)
    _task(people["inspector"], problem, dt.date.today())
    services.rectify(
        actor=people["inspector"],
        problem=problem,
        description="已整改",
        done_on=dt.date.today(),
        files=_files(PNG),
    )
    with pytest.raises(Refused):
        services.accept(actor=people["inspector"], problem=problem)
    with pytest.raises(Refused):
        services.reject(actor=people["inspector"], problem=problem, reason="不够")
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_ACCEPTANCE
    # A village cadre reports fixes but may not accept them; the province only reads.
    with pytest.raises(NotPermitted):
        services.accept(actor=people["cadre"], problem=problem)
    with pytest.raises(NotPermitted):
        services.accept(actor=people["province"], problem=problem)
    services.accept(actor=people["acceptor"], problem=problem)


def test_a_returned_fix_needs_a_new_report_and_a_reopened_problem_a_new_acceptance(place, people):
    problem = _record(people["inspector"], place.village_a1.code)
    _task(people["inspector"], problem, dt.date.today())
    services.rectify(
        actor=people["cadre"], problem=problem, description="一", done_on=dt.date.today(), files=_files(PNG)
    )
    with pytest.raises(InvalidInput) as no_reason:
        services.reject(actor=people["acceptor"], problem=problem, reason=" ")
    assert "reason" in no_reason.value.field_errors
    services.reject(actor=people["acceptor"], problem=problem, reason="照片看不出整改")
    problem.refresh_from_db()
    assert problem.status == Status.RETURNED
    assert problem.rectifications.get().reason == "照片看不出整改"
    with pytest.raises(Refused):
        services.accept(actor=people["acceptor"], problem=problem)  # nothing waits now

    services.rectify(
        actor=people["cadre"], problem=problem, description="二", done_on=dt.date.today(), files=_files(PDF)
    )
    services.accept(actor=people["acceptor"], problem=problem)
    with pytest.raises(InvalidInput):
        services.reopen(actor=people["inspector"], problem=problem, reason="")
    services.reopen(actor=people["inspector"], problem=problem, reason="复核仍未通过")
    problem.refresh_from_db()
    assert (problem.status, problem.reopened, problem.closed_on) == (Status.IN_PROGRESS, 1, None)
    assert list(problem.rectifications.values_list("decision", flat=True)) == [
        Decision.REJECTED,
        Decision.ACCEPTED,
    ]
    with pytest.raises(Refused):
        services.accept(actor=people["acceptor"], problem=problem)  # the old acceptance does not count
    with pytest.raises(Refused):
        services.reopen(actor=people["inspector"], problem=problem, reason="again")


def test_evidence_is_checked_by_its_first_bytes_and_size_and_a_refusal_stores_nothing(
    place, people, settings, tmp_path
):
    problem = _record(people["inspector"], place.village_a1.code)
    with pytest.raises(Refused):  # nobody responsible yet
        services.rectify(
            actor=people["cadre"],
            problem=problem,
            description="x",
            done_on=dt.date.today(),
            files=_files(PNG),
        )
    _task(people["inspector"], problem, dt.date.today())
    fake_png = SimpleUploadedFile("photo.png", b"GIF89a....", content_type="image/png")
    for files in (
        [],
        [fake_png],
        [SimpleUploadedFile("a.pdf", b"")],
        [SimpleUploadedFile("ok.png", PNG), fake_png],
    ):
        with pytest.raises(InvalidInput) as refused:
            services.rectify(
                actor=people["cadre"], problem=problem, description="x", done_on=dt.date.today(), files=files
            )
        assert "files" in refused.value.field_errors
    services.EVIDENCE_MAX_BYTES, saved = 20, services.EVIDENCE_MAX_BYTES
    try:
        with pytest.raises(InvalidInput):
            services.rectify(
                actor=people["cadre"],
                problem=problem,
                description="x",
                done_on=dt.date.today(),
                files=_files(PNG),
            )
    finally:
        services.EVIDENCE_MAX_BYTES = saved
    assert not Evidence.objects.exists() and not list(tmp_path.rglob("*.*"))
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS


def test_scope_and_personal_data_are_refused_when_recording(place, people, household_factory):
    other_household = household_factory(place.village_b1)
    with pytest.raises(InvalidInput) as refused:
        _record(people["township"], place.village_b1.code)
    assert "area" in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        _record(people["township"], place.village_a1.code, household_id=other_household.pk)
    assert "household" in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        _record(people["inspector"], place.village_a1.code, description="户主电话13812345678未更新")
    assert "description" in refused.value.field_errors
    with pytest.raises(NotPermitted):
        _record(people["cadre"], place.village_a1.code)
    assert not Problem.objects.exists()
    problem = _record(people["inspector"], place.village_b1.code)
    with pytest.raises(OutOfScope):
        _task(people["township"], problem, dt.date.today())
    assert not selectors.problems_for(people["township"]).exists()
    assert list(selectors.problems_for(people["province"])) == [problem]


def test_overdue_is_the_day_after_the_deadline_until_closed(place, people):
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, tzinfo=TZ), tick=False) as traveller:
        problem = _record(people["inspector"], place.village_a1.code, deadline=dt.date(2026, 5, 10))
        overdue = selectors.Filters(overdue=True)
        traveller.move_to(dt.datetime(2026, 5, 10, 23, 59, tzinfo=TZ))
        assert not selectors.is_overdue(problem)
        assert not selectors.problems_for(people["inspector"], overdue).exists()
        traveller.move_to(dt.datetime(2026, 5, 11, 0, 1, tzinfo=TZ))
        assert selectors.is_overdue(problem)
        assert list(selectors.problems_for(people["inspector"], overdue)) == [problem]
        counts = selectors.counts_by_area(people["inspector"], place.county)
        assert [(c.area.code, c.open, c.overdue) for c in counts] == [(place.township_a.code, 1, 1)]
        _task(people["inspector"], problem, dt.date(2026, 5, 20))
        problem.refresh_from_db()
        assert problem.deadline == dt.date(2026, 5, 10)  # a task does not move the problem's deadline
        services.rectify(
            actor=people["cadre"],
            problem=problem,
            description="改",
            done_on=dt.date(2026, 5, 11),
            files=_files(PNG),
        )
        services.accept(actor=people["acceptor"], problem=problem)
        problem.refresh_from_db()
        assert not selectors.is_overdue(problem)
        counts = selectors.counts_by_area(people["inspector"], place.county)
        assert [(c.overdue, c.closed, c.closed_late) for c in counts] == [(0, 1, 1)]


def test_a_failed_data_check_becomes_a_problem_once(place, people, household_factory):
    household = household_factory(household_type="lifted_out", status="lifted")
    household.members.update(basic_medical_insurance=False)
    problem = services.problem_from_check_failure(
        people["township"], "no_medical_insurance", household, {"成员": "户主"}
    )
    assert (problem.source, problem.kind, problem.check_code, problem.area) == (
        "data_check",
        "data_quality",
        "no_medical_insurance",
        household.village,
    )
    assert problem.household == household and problem.deadline is None and "户主" in problem.description
    again = services.problem_from_check_failure(people["inspector"], "no_medical_insurance", household, {})
    assert again.pk == problem.pk and Problem.objects.count() == 1
    from fupin.supervision import checks_link

    assert checks_link.still_fails("no_medical_insurance", household) is True
    with pytest.raises(InvalidInput):
        services.problem_from_check_failure(people["township"], "no_such_check", household, {})
    with pytest.raises(InvalidInput):
        services.problem_from_check_failure(
            people["township"], "no_medical_insurance", household, {"身份证": "220822198005171234"}
        )
    with pytest.raises(OutOfScope):
        services.problem_from_check_failure(people["other_township"], "no_medical_insurance", household, {})
    with pytest.raises(NotPermitted):
        services.problem_from_check_failure(people["cadre"], "no_medical_insurance", household, {})
    assert Problem.objects.count() == 1


def test_a_data_check_problem_closes_only_once_the_check_passes_and_reopens_when_it_fails_again(
    place, people, household_factory
):
    from fupin.registry.models import Member

    household = household_factory(household_type="lifted_out", status="lifted")
    Member.objects.filter(household=household).update(basic_medical_insurance=False)
    problem = services.problem_from_check_failure(people["inspector"], "no_medical_insurance", household, {})
    _task(people["township"], problem, dt.date.today() + dt.timedelta(days=5))
    services.rectify(
        actor=people["cadre"],
        problem=problem,
        description="已补办",
        done_on=dt.date.today(),
        files=_files(PDF),
    )
    with pytest.raises(Refused):  # the evidence says fixed, the registry says not
        services.accept(actor=people["acceptor"], problem=problem)
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_ACCEPTANCE

    Member.objects.filter(household=household).update(basic_medical_insurance=True)
    services.accept(actor=people["acceptor"], problem=problem)
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert services.recheck_closed(actor=people["acceptor"], area=place.county) == 0

    Member.objects.filter(household=household).update(basic_medical_insurance=False)  # fails again
    assert services.recheck_closed(actor=people["acceptor"], area=place.county) == 1
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS and problem.reopened == 1
