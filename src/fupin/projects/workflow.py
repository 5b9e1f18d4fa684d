"""The project procedure as a table (``fupin.core.steps``): "村申报、乡审核、县审定" with a notice at each
level, then plan, notice before construction, construction, acceptance and the assets' handover.

Returns go one step back (the township returns to the village, the county to the township); every
review is by another person than the one who took the step it reviews; the county's approval is by
another person than its appraiser, so one official never both judges and decides.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.core.steps import Step, StepTable
from fupin.projects.models import State

PROPOSE = Capability.PROPOSE_PROJECTS
REVIEW = Capability.REVIEW_PROJECTS
APPROVE = Capability.APPROVE_PROJECTS

# Which notice ends at which state, and the pack parameter with its minimum days.
NOTICE_STATES = {
    State.VILLAGE_NOTICE: "project_village_notice_days",
    State.TOWNSHIP_NOTICE: "project_township_notice_days",
    State.COUNTY_NOTICE: "project_county_notice_days",
    State.PRE_START_NOTICE: "project_pre_start_notice_days",
}

_BEFORE_START = (State.IN_LIBRARY, State.PLANNED, State.PRE_START_NOTICE, State.UNDER_WAY)

STEPS = StepTable(
    (
        Step(
            "post_village_notice", _("Post the village notice"), (State.DRAFT,), State.VILLAGE_NOTICE, PROPOSE
        ),
        Step("submit", _("Submit to the township"), (State.VILLAGE_NOTICE,), State.TOWNSHIP_REVIEW, PROPOSE),
        Step(
            "township_pass",
            _("Pass the township review and post its notice"),
            (State.TOWNSHIP_REVIEW,),
            State.TOWNSHIP_NOTICE,
            REVIEW,
            not_by=("proposed_by", "submitted_by"),
        ),
        Step(
            "township_return",
            _("Return to the village for correction"),
            (State.TOWNSHIP_REVIEW,),
            State.DRAFT,
            REVIEW,
            not_by=("proposed_by", "submitted_by"),
            needs_reason=True,
        ),
        Step(
            "township_reject",
            _("Do not admit"),
            (State.TOWNSHIP_REVIEW,),
            State.REJECTED,
            REVIEW,
            not_by=("proposed_by", "submitted_by"),
            needs_reason=True,
        ),
        Step("forward", _("Send to the county"), (State.TOWNSHIP_NOTICE,), State.COUNTY_APPRAISAL, REVIEW),
        Step(
            "appraise",
            _("Record the county's appraisal"),
            (State.COUNTY_APPRAISAL,),
            State.COUNTY_DECISION,
            APPROVE,
            not_by=("proposed_by", "submitted_by", "township_by"),
        ),
        Step(
            "county_return",
            _("Return to the township for correction"),
            (State.COUNTY_APPRAISAL, State.COUNTY_DECISION),
            State.TOWNSHIP_REVIEW,
            APPROVE,
            not_by=("proposed_by", "submitted_by", "township_by"),
            needs_reason=True,
        ),
        Step(
            "county_reject",
            _("Do not admit"),
            (State.COUNTY_APPRAISAL, State.COUNTY_DECISION),
            State.REJECTED,
            APPROVE,
            not_by=("proposed_by", "submitted_by", "township_by"),
            needs_reason=True,
        ),
        Step(
            "approve",
            _("Approve into the library and post the county notice"),
            (State.COUNTY_DECISION,),
            State.COUNTY_NOTICE,
            APPROVE,
            not_by=("proposed_by", "submitted_by", "township_by", "appraised_by"),
        ),
        Step("enter_library", _("Admit to the library"), (State.COUNTY_NOTICE,), State.IN_LIBRARY, APPROVE),
        Step("plan", _("Put in the year's plan"), (State.IN_LIBRARY,), State.PLANNED, APPROVE),
        Step(
            "unplan",
            _("Take out of the year's plan"),
            (State.PLANNED,),
            State.IN_LIBRARY,
            APPROVE,
            needs_reason=True,
        ),
        Step(
            "post_start_notice",
            _("Post the notice before construction"),
            (State.PLANNED,),
            State.PRE_START_NOTICE,
            APPROVE,
        ),
        Step("start", _("Start construction"), (State.PRE_START_NOTICE,), State.UNDER_WAY, APPROVE),
        Step(
            "accept",
            _("Accept the completed project and post the announcement"),
            (State.UNDER_WAY,),
            State.COMPLETED,
            APPROVE,
        ),
        Step(
            "register_assets",
            _("Register the project's assets"),
            (State.COMPLETED,),
            State.ASSETS_REGISTERED,
            Capability.MANAGE_ASSETS,
        ),
        Step(
            "terminate",
            _("Terminate the project"),
            _BEFORE_START,
            State.TERMINATED,
            APPROVE,
            needs_reason=True,
        ),
    ),
    state_label=lambda state: State(state).label,
)
