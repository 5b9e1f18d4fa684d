"""Random sequences of project steps by random people, on a frozen clock that moves forward, never let a
project into the library without every review in order, never let anyone review their own step, and
never end a notice before its minimum days.

The machine keeps its own statement of the procedure (``SPEC``, written from domain-wave2.md §1, not
read from ``fupin.projects.workflow``) and its own model of each project, and compares what the real
services on the real database did with what the procedure says they must do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
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
from fupin.projects import services
from fupin.projects.models import APPROVED_STATES, Event, Notice, Project
from fupin.projects.services import AcceptanceInput, AppraisalInput
from tests.projectwork import proposal

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
NOTICE_DAYS = 7  # every project notice in the national pack

P, R, A, M = (
    Capability.PROPOSE_PROJECTS,
    Capability.REVIEW_PROJECTS,
    Capability.APPROVE_PROJECTS,
    Capability.MANAGE_ASSETS,
)
# step: (from states, to state, capability, people who may not take it, needs a reason, ends a notice)
SPEC: dict[str, tuple[tuple[str, ...], str, Capability, tuple[str, ...], bool, bool]] = {
    "post_village_notice": (("draft",), "village_notice", P, (), False, False),
    "submit": (("village_notice",), "township_review", P, (), False, True),
    "township_pass": (("township_review",), "township_notice", R, ("proposed", "submitted"), False, False),
    "township_return": (("township_review",), "draft", R, ("proposed", "submitted"), True, False),
    "township_reject": (("township_review",), "rejected", R, ("proposed", "submitted"), True, False),
    "forward": (("township_notice",), "county_appraisal", R, (), False, True),
    "appraise": (
        ("county_appraisal",),
        "county_decision",
        A,
        ("proposed", "submitted", "township"),
        False,
        False,
    ),
    "county_return": (
        ("county_appraisal", "county_decision"),
        "township_review",
        A,
        ("proposed", "submitted", "township"),
        True,
        False,
    ),
    "county_reject": (
        ("county_appraisal", "county_decision"),
        "rejected",
        A,
        ("proposed", "submitted", "township"),
        True,
        False,
    ),
    "approve": (
        ("county_decision",),
        "county_notice",
        A,
        ("proposed", "submitted", "township", "appraised"),
        False,
        False,
    ),
    "enter_library": (("county_notice",), "in_library", A, (), False, True),
    "plan": (("in_library",), "planned", A, (), False, False),
    "post_start_notice": (("planned",), "pre_start_notice", A, (), False, False),
    "start": (("pre_start_notice",), "under_way", A, (), False, True),
    "accept": (("under_way",), "completed", A, (), False, False),
    "register_assets": (("completed",), "assets_registered", M, (), False, False),
    "terminate": (
        ("in_library", "planned", "pre_start_notice", "under_way"),
        "terminated",
        A,
        (),
        True,
        False,
    ),
}
# Steps that need the project complete (link to farmers, three-level targets, budget).
NEEDS_COMPLETE = {"post_village_notice", "submit", "township_pass", "approve"}
# The steps into the library, in order, since the last return.
INTO_LIBRARY = [
    "post_village_notice",
    "submit",
    "township_pass",
    "forward",
    "appraise",
    "approve",
    "enter_library",
]
REACHED: set[str] = set()


class Lifecycle(RuleBasedStateMachine):
    users: list[Any] = []
    village_code = ""

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.travel = time_machine.travel(START, tick=False)
        self.traveller = self.travel.start()
        # the model: project id → state, who took which step, when its notice ends, completeness
        self.state: dict[int, str] = {}
        self.people: dict[int, dict[str, int | None]] = {}
        self.notice_ends: dict[int, dt.date] = {}
        self.complete: dict[int, bool] = {}
        self.appraisal_passed: dict[int, bool] = {}

    def teardown(self) -> None:
        REACHED.update(Project.objects.values_list("state", flat=True))
        self.travel.stop()
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _try(self, call: Any, **kwargs: Any) -> Any:
        try:
            return call(**kwargs)
        except ServiceError as error:
            assert str(error.message).strip(), "a refusal without a reason"
            return None

    @precondition(lambda self: len(self.state) < 3)  # few projects, so each goes deep
    @rule(who=st.integers(0, 20), complete=st.sampled_from([True, True, True, False]))
    def propose(self, who: int, complete: bool) -> None:
        user = self.users[who % len(self.users)]
        project = self._try(
            services.create_project, actor=user, data=proposal(self.village_code, complete=complete)
        )
        assert (project is not None) == (user.can(P) and user.capture_ok)
        if project is not None:
            self.state[project.pk] = "draft"
            self.people[project.pk] = {"proposed": user.pk}
            self.complete[project.pk] = complete

    @precondition(lambda self: self.state)
    @rule(
        index=st.integers(0, 50),
        who=st.integers(0, 20),
        name=st.sampled_from(sorted(SPEC)),
        aim=st.booleans(),
        reason=st.sampled_from(["材料不全，请补充", ""]),
        passes=st.booleans(),
    )
    def step(self, index: int, who: int, name: str, aim: bool, reason: str, passes: bool) -> None:
        """Any step on any project by anybody (aimed: on a project where it belongs, by someone allowed)."""
        from_states = SPEC[name][0]
        ids = sorted(self.state)
        pool = [pk for pk in ids if self.state[pk] in from_states] if aim else []
        pool = pool or ids
        self._attempt(pool[index % len(pool)], who, name, aim, reason, passes)

    @precondition(lambda self: self.state)
    @rule(
        index=st.integers(0, 50),
        who=st.integers(0, 20),
        pick=st.integers(0, 40),
        reason=st.sampled_from(["材料不全，请补充", "材料不全，请补充", ""]),
        passes=st.sampled_from([True, True, True, False]),
        wait=st.sampled_from([True, True, False]),
    )
    def advance(self, index: int, who: int, pick: int, reason: str, passes: bool, wait: bool) -> None:
        """A step that belongs to the project's state, by someone allowed: deep states get reached."""
        ids = sorted(self.state)
        pk = ids[index % len(ids)]
        names = [name for name, spec in sorted(SPEC.items()) if self.state[pk] in spec[0]]
        if not names:
            return
        # forward steps far more often than returns, rejections and terminations
        forward = [n for n in names if not SPEC[n][4]] or names
        choice = (forward * 12 + names)[pick % (len(forward) * 12 + len(names))]
        if wait and SPEC[choice][5] and clock.today() < self.notice_ends[pk]:
            # mostly wait the notice out first; sometimes try before it ends (and be refused)
            self.traveller.shift(dt.timedelta(days=(self.notice_ends[pk] - clock.today()).days))
        self._attempt(pk, who, choice, True, reason, passes)

    def _attempt(self, pk: int, who: int, name: str, aim: bool, reason: str, passes: bool) -> None:
        from_states, to_state, capability, not_by, needs_reason, ends_notice = SPEC[name]
        people = self.people[pk]
        banned = {people.get(role) for role in not_by}
        users = self.users
        if aim:
            users = [u for u in users if u.can(capability) and u.capture_ok and u.pk not in banned] or users
        user = users[who % len(users)]
        appraisal = AppraisalInput(
            necessity="pass",
            feasibility="pass",
            budget="pass" if passes else "fail",
            link_to_farmers="pass",
            targets="pass",
            compliance="pass",
            opinion="可行",
        )
        result = self._try(
            services.take_step,
            actor=user,
            project=pk,
            step=name,
            reason=reason,
            year=2026,
            appraisal=appraisal,
            acceptance=AcceptanceInput(accepted_on=clock.today(), result="验收合格"),
        )
        state = self.state[pk]
        may = (
            user.can(capability)
            and user.capture_ok
            and state in from_states
            and user.pk not in banned
            and (bool(reason) or not needs_reason)
            and (not ends_notice or clock.today() >= self.notice_ends[pk])
            and (self.complete[pk] or name not in NEEDS_COMPLETE)
            and (name != "approve" or self.appraisal_passed.get(pk, False))
        )
        assert (result is not None) == may, (name, state, user.role)
        if result is None:
            return
        REACHED.add(name)
        self.state[pk] = to_state
        key = {
            "submit": "submitted",
            "township_pass": "township",
            "appraise": "appraised",
            "approve": "approved",
        }.get(name)
        if key:
            people[key] = user.pk
        if name == "appraise":
            self.appraisal_passed[pk] = passes
        if name in ("township_return", "county_return"):
            for role in ("township", "appraised", "approved") + (
                ("submitted",) if name == "township_return" else ()
            ):
                people[role] = None
            self.appraisal_passed[pk] = False
        if to_state.endswith("notice"):
            self.notice_ends[pk] = clock.today() + dt.timedelta(days=NOTICE_DAYS)

    @rule(days=st.integers(1, 8))
    def time_passes(self, days: int) -> None:
        self.traveller.shift(dt.timedelta(days=days))

    @invariant()
    def stored_state_is_the_model(self) -> None:
        stored = dict(Project.objects.filter(pk__in=self.state).values_list("pk", "state"))
        assert stored == self.state

    @invariant()
    def nothing_in_the_library_without_every_step_by_other_people(self) -> None:
        for project in Project.objects.filter(pk__in=self.state, state__in=APPROVED_STATES):
            actions = list(project.events.values_list("action", "actor_id", "at"))
            # Since the last return to the village, every step into the library, the last time each was
            # taken in the procedure's order (a county return repeats the township's steps only).
            returns = [i for i, (action, _, _) in enumerate(actions) if action == "township_return"]
            since = actions[(returns[-1] + 1 if returns else 0) :]
            names = [action for action, _, _ in since]
            assert all(step in names for step in INTO_LIBRARY), names
            last = [max(i for i, name in enumerate(names) if name == step) for step in INTO_LIBRARY]
            assert last == sorted(last), names
            assert project.township_by_id not in (project.proposed_by_id, project.submitted_by_id)
            assert project.appraised_by_id not in (
                project.proposed_by_id,
                project.submitted_by_id,
                project.township_by_id,
            )
            assert project.approved_by_id not in (
                project.proposed_by_id,
                project.submitted_by_id,
                project.township_by_id,
                project.appraised_by_id,
            )
            assert project.appraisal.passes()
            assert not services.completeness(project)

    @invariant()
    def every_notice_ran_its_minimum_days(self) -> None:
        for notice in Notice.objects.filter(project__in=self.state).exclude(kind="completion"):
            assert (notice.ends_on - notice.posted_on).days >= NOTICE_DAYS
        # From the history alone: a notice state is left no sooner than its days after it was entered.
        for pk in self.state:
            entered: dt.date | None = None
            for event in Event.objects.filter(project_id=pk).order_by("at", "id"):
                day = event.at.astimezone(TZ).date()
                if event.from_state.endswith("notice") and event.to_state != event.from_state:
                    assert entered is not None and (day - entered).days >= NOTICE_DAYS, (event.action, day)
                entered = day if event.to_state.endswith("notice") else None


@pytest.mark.django_db(transaction=False)
def test_random_steps_never_admit_a_project_without_every_review(place, make_user):
    county = place.county.code
    users = [
        make_user(Role.VILLAGE_CADRE, place.village_a1.code),
        make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        make_user(Role.TOWNSHIP_OFFICER, place.township_a.code),
        make_user(Role.COUNTY_OFFICER, county),
        make_user(Role.COUNTY_OFFICER, county),
        make_user(Role.COUNTY_ADMIN, county),
        make_user(Role.PROVINCE_VIEWER, "22"),
        make_user(Role.VILLAGE_CADRE, place.village_b1.code),  # another township's village: out of scope
        make_user(Role.BENEFIT_REVIEWER, county),
    ]
    for user in users:
        user.capture_ok = user.role != Role.PROVINCE_VIEWER and user.pk != users[7].pk
    Lifecycle.users = users
    Lifecycle.village_code = place.village_a1.code
    run_state_machine_as_test(
        Lifecycle,
        settings=hypothesis_settings(
            max_examples=40,
            derandomize=True,
            stateful_step_count=90,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    for needed in (
        "enter_library",
        "accept",
        "register_assets",
        "township_return",
        "county_return",
        "county_reject",
    ):
        assert needed in REACHED, f"no example took the step {needed}: {sorted(REACHED)}"
