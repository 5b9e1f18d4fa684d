"""The procedure as a table: which action moves a case from which step, and who may take it.

Services look actions up here before doing anything, so the order of steps, the roles and the
"nobody reviews their own step" rule live in one place; pages and the API ask the same table which
buttons to show (``allowed_actions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.accounts.roles import refusal as role_refusal
from fupin.cases.models import Case, CaseKind, State
from fupin.core.errors import Message
from fupin.core.i18n import lazy_format


@dataclass(frozen=True)
class Action:
    name: str
    label: Message
    from_states: tuple[str, ...]
    capability: Capability
    # Users recorded in these case fields may not take this action (they did the step it reviews).
    not_by: tuple[str, ...] = ()
    kinds: tuple[str, ...] = (CaseKind.IDENTIFICATION, CaseKind.ELIMINATION)


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("visit", _("Record the household visit"), (State.VISIT,), Capability.VILLAGE_STEPS),
        Action("appraise", _("Record the village appraisal"), (State.APPRAISAL,), Capability.VILLAGE_STEPS),
        Action("post_notice", _("Post the public notice"), (State.NOTICE,), Capability.VILLAGE_STEPS),
        Action("record_objection", _("Record an objection"), (State.IN_NOTICE,), Capability.VILLAGE_STEPS),
        Action("settle_objection", _("Settle an objection"), (State.IN_NOTICE,), Capability.VILLAGE_STEPS),
        Action("submit", _("Submit to the township"), (State.IN_NOTICE,), Capability.VILLAGE_STEPS),
        Action(
            "township_approve",
            _("Pass the township review"),
            (State.TOWNSHIP,),
            Capability.TOWNSHIP_REVIEW,
            not_by=("submitted_by",),
        ),
        Action(
            "township_return",
            _("Return to the village for correction"),
            (State.TOWNSHIP,),
            Capability.TOWNSHIP_REVIEW,
            not_by=("submitted_by",),
        ),
        Action(
            "county_approve",
            _("Approve"),
            (State.COUNTY,),
            Capability.COUNTY_DECISION,
            not_by=("submitted_by", "township_by"),
        ),
        Action(
            "county_return",
            _("Return to the township for correction"),
            (State.COUNTY,),
            Capability.COUNTY_DECISION,
            not_by=("submitted_by", "township_by"),
        ),
        Action(
            "county_reject",
            _("Reject"),
            (State.COUNTY,),
            Capability.COUNTY_DECISION,
            not_by=("submitted_by", "township_by"),
        ),
        Action(
            "fast_track",
            _("Include first, complete the steps after"),
            (State.VISIT, State.APPRAISAL, State.NOTICE, State.IN_NOTICE, State.TOWNSHIP),
            Capability.FAST_TRACK,
            kinds=(CaseKind.IDENTIFICATION,),
        ),
    )
}

# The step a return sends the case back to.
RETURNS_TO = {"township_return": State.IN_NOTICE, "county_return": State.TOWNSHIP}


def refusal(user: Any, case: Case, action_name: str) -> Message | None:
    """Why ``user`` may not take ``action_name`` on ``case`` now, or None when they may.

    Area scope is checked by the caller (out-of-scope cases are "not found", not "refused").
    """
    action = ACTIONS.get(action_name)
    if action is None:
        return _("There is no such step.")
    if case.kind not in action.kinds:
        return _("This step does not belong to this procedure.")
    if not getattr(user, "is_authenticated", False) or not user.can(action.capability):
        return role_refusal(getattr(user, "role", ""), action.capability)
    if case.state not in action.from_states:
        return lazy_format(
            _("The case is at the step “%(step)s”; this action is not possible now."),
            step=State(case.state).label,
        )
    if action_name == "fast_track" and case.fast_tracked_on:
        return _("The household was already included through the fast track.")
    for field in action.not_by:
        if getattr(case, f"{field}_id") == user.pk:
            return _("You took the step this one reviews; another person must review it.")
    return None


def allowed_actions(user: Any, case: Case) -> list[Action]:
    return [action for name, action in ACTIONS.items() if refusal(user, case, name) is None]
