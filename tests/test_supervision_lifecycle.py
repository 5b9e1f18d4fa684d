"""Random sequences of supervision steps by random people never close a problem without evidence and a
second person's acceptance; returns and reopenings send it back to work; overdue follows the deadline
day by day on a frozen clock that the machine moves forward.

Hypothesis drives the real services on the real database (each example inside a transaction that is
rolled back) and keeps its own model of each problem's status to compare with what is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fupin.accounts.roles import Capability, Role
from fupin.core import clock
from fupin.core.errors import ServiceError
from fupin.supervision import selectors, services
from fupin.supervision.models import Decision, Problem, Status

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%evidence\n"
NOT_EVIDENCE = b"GIF89a not allowed here"
# Mostly good evidence, sometimes none or a file of the wrong kind.
FILES = st.one_of(
    st.lists(st.sampled_from(["png", "pdf"]), min_size=1, max_size=2),
    st.lists(st.sampled_from(["png", "gif"]), max_size=2),
)


def _upload(kind: str, n: int) -> SimpleUploadedFile:
    content = {"png": PNG, "pdf": PDF, "gif": NOT_EVIDENCE}[kind]
    return SimpleUploadedFile(f"evidence-{n}.{kind}", content)


REACHED: set[str] = set()


class Lifecycle(RuleBasedStateMachine):
    users: list[Any] = []
    village_code = ""
    household_id = 0

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.travel = time_machine.travel(START, tick=False)
        self.traveller = self.travel.start()
        self.expected: dict[int, str] = {}  # the model: problem id → status
        self.files = 0

    def teardown(self) -> None:
        REACHED.update(Problem.objects.values_list("status", flat=True))
        self.travel.stop()
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _try(self, call: Any, **kwargs: Any) -> Any:
        try:
            return call(**kwargs)
        except ServiceError as error:
            assert str(error.message).strip(), "a refusal without a reason"
            return None

    def _problem(self, index: int, aim: tuple[str, ...] = ()) -> Problem | None:
        """A problem by index; with ``aim`` (most steps), one in those statuses when there is one, so
        that sequences reach deep states while the wrong-status attempts are still tried."""
        ids = sorted(self.expected)
        suited = [pk for pk in ids if self.expected[pk] in aim]
        pool = suited or ids
        return Problem.objects.get(pk=pool[index % len(pool)]) if pool else None

    def _user(self, who: int, capability: Capability | None, aim: bool, not_pk: int | None = None) -> Any:
        """Anybody by index; with ``aim``, somebody who may take the step (another than ``not_pk``)."""
        pool = self.users
        if aim and capability is not None:
            pool = [u for u in self.users if u.can(capability) and u.capture_ok and u.pk != not_pk] or pool
        return pool[who % len(pool)]

    # ------------------------------------------------------------ steps

    @rule(
        who=st.integers(0, 20),
        with_household=st.booleans(),
        deadline_days=st.one_of(st.none(), st.integers(-3, 30)),
    )
    def record(self, who: int, with_household: bool, deadline_days: int | None) -> None:
        user = self.users[who % len(self.users)]
        today = clock.today()
        problem = self._try(
            services.record_problem,
            actor=user,
            data=services.ProblemInput(
                source="inspection",
                area_code=self.village_code,
                kind="assistance",
                severity="general",
                description="帮扶措施未落实",
                deadline=None if deadline_days is None else today + dt.timedelta(days=deadline_days),
                household_id=self.household_id if with_household else None,
            ),
        )
        allowed = user.can(Capability.RECORD_PROBLEMS) and user.capture_ok
        valid = deadline_days is None or deadline_days >= 0
        assert (problem is not None) == (allowed and valid)
        if problem is not None:
            self.expected[problem.pk] = Status.PENDING

    @precondition(lambda self: self.expected)
    @rule(index=st.integers(0, 50), who=st.integers(0, 20), days=st.integers(0, 20), aim=st.booleans())
    def assign(self, index: int, who: int, days: int, aim: bool) -> None:
        problem = self._problem(index, (Status.PENDING, Status.RETURNED) if aim else ())
        assert problem is not None
        user = self._user(who, Capability.RECORD_PROBLEMS, aim)
        task = self._try(
            services.add_task,
            actor=user,
            problem=problem,
            responsible_unit="镇农业站",
            responsible_person="王站长",
            deadline=clock.today() + dt.timedelta(days=days),
            measures="补录帮扶措施",
        )
        before = self.expected[problem.pk]
        allowed = user.can(Capability.RECORD_PROBLEMS) and user.capture_ok
        assert (task is not None) == (allowed and before not in (Status.CLOSED, Status.AWAITING_ACCEPTANCE))
        if task is not None and before == Status.PENDING:
            self.expected[problem.pk] = Status.IN_PROGRESS

    @precondition(lambda self: self.expected)
    @rule(index=st.integers(0, 50), who=st.integers(0, 20), files=FILES, aim=st.booleans())
    def rectify(self, index: int, who: int, files: list[str], aim: bool) -> None:
        problem = self._problem(index, (Status.IN_PROGRESS, Status.RETURNED) if aim else ())
        assert problem is not None
        user = self._user(who, Capability.RECTIFY_PROBLEMS, aim)
        uploads = []
        for kind in files:
            self.files += 1
            uploads.append(_upload(kind, self.files))
        result = self._try(
            services.rectify,
            actor=user,
            problem=problem,
            description="已补录措施并入户核实",
            done_on=clock.today(),
            files=uploads,
        )
        before = self.expected[problem.pk]
        good_files = bool(files) and "gif" not in files
        allowed = user.can(Capability.RECTIFY_PROBLEMS) and user.capture_ok
        has_task = problem.tasks.exists()
        may = before in (Status.IN_PROGRESS, Status.RETURNED) and has_task
        assert (result is not None) == (allowed and good_files and may), (before, files, user.role)
        if result is not None:
            REACHED.add("rectified")
            self.expected[problem.pk] = Status.AWAITING_ACCEPTANCE

    @precondition(lambda self: self.expected)
    @rule(
        index=st.integers(0, 50),
        who=st.integers(0, 20),
        accept=st.booleans(),
        reason=st.sampled_from(["证据不足", "证据不足", ""]),
        aim=st.booleans(),
    )
    def decide(self, index: int, who: int, accept: bool, reason: str, aim: bool) -> None:
        problem = self._problem(index, (Status.AWAITING_ACCEPTANCE,) if aim else ())
        assert problem is not None
        waiting = problem.rectifications.filter(decision=Decision.WAITING).first()
        recorder = waiting.recorded_by_id if waiting else None
        user = self._user(who, Capability.ACCEPT_RECTIFICATIONS, aim, recorder)
        if accept:
            result = self._try(services.accept, actor=user, problem=problem)
        else:
            result = self._try(services.reject, actor=user, problem=problem, reason=reason)
        before = self.expected[problem.pk]
        allowed = user.can(Capability.ACCEPT_RECTIFICATIONS) and user.capture_ok
        second = waiting is not None and waiting.recorded_by_id != user.pk
        may = before == Status.AWAITING_ACCEPTANCE and second and (accept or bool(reason))
        assert (result is not None) == (allowed and may)
        if result is not None:
            REACHED.add("closed" if accept else "rejected")
            self.expected[problem.pk] = Status.CLOSED if accept else Status.RETURNED

    @precondition(lambda self: self.expected)
    @rule(
        index=st.integers(0, 50),
        who=st.integers(0, 20),
        reason=st.sampled_from(["核查仍未通过", "核查仍未通过", ""]),
        aim=st.booleans(),
    )
    def reopen(self, index: int, who: int, reason: str, aim: bool) -> None:
        problem = self._problem(index, (Status.CLOSED,) if aim else ())
        assert problem is not None
        user = self._user(who, Capability.ACCEPT_RECTIFICATIONS, aim)
        result = self._try(services.reopen, actor=user, problem=problem, reason=reason)
        before = self.expected[problem.pk]
        allowed = user.can(Capability.ACCEPT_RECTIFICATIONS) and user.capture_ok
        assert (result is not None) == (allowed and before == Status.CLOSED and bool(reason))
        if result is not None:
            REACHED.add("reopened")
            self.expected[problem.pk] = Status.IN_PROGRESS

    @rule(days=st.integers(1, 10))
    def time_passes(self, days: int) -> None:
        self.traveller.shift(dt.timedelta(days=days))

    # ------------------------------------------------------------ what must always hold

    @invariant()
    def stored_status_is_the_model(self) -> None:
        stored = dict(Problem.objects.filter(pk__in=self.expected).values_list("pk", "status"))
        assert stored == self.expected

    @invariant()
    def closed_only_with_evidence_and_a_second_person(self) -> None:
        for problem in Problem.objects.filter(pk__in=self.expected, status=Status.CLOSED):
            last = problem.rectifications.order_by("-id").first()
            assert last is not None and last.decision == Decision.ACCEPTED
            assert last.evidence.exists()
            assert last.decided_by_id is not None and last.decided_by_id != last.recorded_by_id
            assert last.decided_by.can(Capability.ACCEPT_RECTIFICATIONS)
            assert problem.closed_on is not None

    @invariant()
    def overdue_is_exactly_past_the_deadline(self) -> None:
        today = clock.today()
        user = self.users[0]  # the county officer sees every problem of the county
        flagged = set(
            selectors.problems_for(user, selectors.Filters(overdue=True)).values_list("pk", flat=True)
        )
        for problem in Problem.objects.filter(pk__in=self.expected):
            expected = (
                problem.status != Status.CLOSED and problem.deadline is not None and today > problem.deadline
            )
            assert selectors.is_overdue(problem) == expected
            assert (problem.pk in flagged) == expected


@pytest.mark.django_db(transaction=False)
def test_random_steps_never_close_a_problem_without_evidence_and_a_second_person(
    place, make_user, household_factory, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    county = place.county.code
    users = [
        make_user(Role.COUNTY_OFFICER, county),
        make_user(Role.COUNTY_OFFICER, county),
        make_user(Role.COUNTY_ADMIN, county),
        make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        make_user(Role.VILLAGE_CADRE, place.village_a1.code),
        make_user(Role.PROVINCE_VIEWER, "22"),
        make_user(Role.VILLAGE_CADRE, place.village_b1.code),  # another township's village: out of scope
        make_user(Role.BENEFIT_REVIEWER, county),
    ]
    for user in users:
        user.capture_ok = user.role not in (Role.PROVINCE_VIEWER,) and user.username != users[6].username
    household = household_factory()
    Lifecycle.users = users
    Lifecycle.village_code = place.village_a1.code
    Lifecycle.household_id = household.pk
    run_state_machine_as_test(
        Lifecycle,
        settings=hypothesis_settings(
            max_examples=150,
            derandomize=True,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    for needed in ("closed", "returned", "rectified", "reopened"):
        assert needed in REACHED, f"no example reached {needed}: {sorted(REACHED)}"
