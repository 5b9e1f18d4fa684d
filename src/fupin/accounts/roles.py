"""Roles and what each may do. Area scope (which records) is separate: see ``fupin.accounts.scope``."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fupin.core.i18n import lazy_format, lazy_join


class Role(models.TextChoices):
    VILLAGE_CADRE = "village_cadre", _("Village cadre")
    TOWNSHIP_OFFICER = "township_officer", _("Township officer")
    COUNTY_OFFICER = "county_officer", _("County officer")
    COUNTY_ADMIN = "county_admin", _("County administrator")
    DEPARTMENT_USER = "department_user", _("Department user")
    PROVINCE_VIEWER = "province_viewer", _("Province viewer")
    # Approves or returns benefit applications and runs their payments; cannot enter or edit records.
    BENEFIT_REVIEWER = "benefit_reviewer", _("Benefit reviewer")


class Capability(StrEnum):
    EDIT_RECORDS = "edit_records"  # create and correct households, members, incomes (in capture scope)
    REVEAL_PII = "reveal_pii"  # see a full ID number or phone (audited)
    EXPORT = "export"  # download lists (masked, audited)
    MANAGE_USERS = "manage_users"
    MANAGE_AREAS = "manage_areas"
    RUN_SCREENING = "run_screening"  # start a screening run over an area in capture scope
    # The monitoring procedure (fupin.cases): who may act at each step, always within capture scope.
    RAISE_CLUE = "raise_clue"  # record a risk clue found on a visit, open a case from a self-declaration
    VILLAGE_STEPS = "village_steps"  # household visit, village appraisal, public notice, submission
    TOWNSHIP_REVIEW = "township_review"  # township preliminary review
    COUNTY_DECISION = "county_decision"  # the county's decision on identification and elimination
    FAST_TRACK = "fast_track"  # include a household in sudden difficulty first, steps owed
    REFER_CASE = "refer_case"  # a department refers a household (API)
    MANAGE_CATALOGUE = "manage_catalogue"  # the county's measure catalogue (fupin.assistance)
    # Helpers and task forces (fupin.twinning): helpers, twinning with households, helping units, task-force
    # members and the county's quotas, in capture scope; visits are recorded by every cadre who visits.
    MANAGE_HELPERS = "manage_helpers"
    RECORD_VISITS = "record_visits"
    # Benefits and payments (fupin.benefits, fupin.payments): one person enters, another approves.
    OPEN_PROGRAMMES = "open_programmes"  # open a policy pack's programme for the county's year
    ENTER_APPLICATIONS = "enter_applications"
    APPROVE_APPLICATIONS = "approve_applications"  # approve, return or refuse; never one's own entry
    MANAGE_PAYMENTS = "manage_payments"  # envelopes, batches, bank files and return files
    # Supervision (fupin.supervision): one person reports a fix, another accepts it; all in capture scope.
    RECORD_PROBLEMS = "record_problems"  # put a problem on the list, assign its tasks
    RECTIFY_PROBLEMS = "rectify_problems"  # report a rectification with its evidence
    ACCEPT_RECTIFICATIONS = "accept_rectifications"  # accept (close), return or reopen; never one's own
    # Important situation reports (重要情况报告): sent up at once from where it happened; the county and the
    # province acknowledge receipt and follow it.
    REPORT_SITUATIONS = "report_situations"
    ACKNOWLEDGE_SITUATIONS = "acknowledge_situations"
    # Scheduling reports (调度): a level issues a round to the areas below, accepts or returns what they
    # filled; the areas fill and submit theirs.
    ISSUE_REPORTS = "issue_reports"
    FILL_REPORTS = "fill_reports"
    # Employment (fupin.employment): the yearly targets of persons in work, for the areas below one's own.
    SET_EMPLOYMENT_TARGETS = "set_employment_targets"
    # Public-welfare posts, help workshops and training courses of an area (fupin.employment); holders,
    # workers, participants and returned workers' follow-ups are records (EDIT_RECORDS).
    MANAGE_EMPLOYMENT = "manage_employment"
    # The project library (fupin.projects): the village proposes, the township reviews, the county appraises
    # and approves; nobody reviews a step they took. Funds (fupin.funds) and assets (fupin.assets) are the
    # county's finance and project staff's.
    PROPOSE_PROJECTS = "propose_projects"  # prepare a project, post the village notice, submit it
    REVIEW_PROJECTS = "review_projects"  # the township's review and notice
    APPROVE_PROJECTS = "approve_projects"  # the county's appraisal, approval, plan, start, acceptance
    MANAGE_FUNDS = "manage_funds"  # the year's fund amounts, allocations to projects, disbursements
    MANAGE_ASSETS = "manage_assets"  # register project assets, their income and its distribution
    # The township's approval and the county's consent to dispose of an asset (never one's own request).
    APPROVE_ASSET_DISPOSAL = "approve_asset_disposal"
    # Policy scenarios (fupin.scenarios): simulate a change of the rules on one's area; publishing one as a
    # pack is requested by one person and approved by another.
    RUN_SCENARIOS = "run_scenarios"
    PUBLISH_SCENARIOS = "publish_scenarios"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.VILLAGE_CADRE: frozenset(
        {
            Capability.EDIT_RECORDS,
            Capability.REVEAL_PII,
            Capability.RAISE_CLUE,
            Capability.VILLAGE_STEPS,
            Capability.RECORD_VISITS,
            Capability.RECTIFY_PROBLEMS,
            Capability.REPORT_SITUATIONS,
            Capability.PROPOSE_PROJECTS,
        }
    ),
    # Township officers often keep the records for villages without a clerk, so they may do the village
    # steps too; a person never reviews a step they did themselves (fupin.cases.workflow).
    Role.TOWNSHIP_OFFICER: frozenset(
        {
            Capability.EDIT_RECORDS,
            Capability.REVEAL_PII,
            Capability.EXPORT,
            Capability.RAISE_CLUE,
            Capability.VILLAGE_STEPS,
            Capability.TOWNSHIP_REVIEW,
            Capability.FAST_TRACK,
            Capability.RECORD_VISITS,
            Capability.ENTER_APPLICATIONS,
            Capability.RECORD_PROBLEMS,
            Capability.RECTIFY_PROBLEMS,
            Capability.REPORT_SITUATIONS,
            Capability.FILL_REPORTS,
            Capability.PROPOSE_PROJECTS,
            Capability.REVIEW_PROJECTS,
            Capability.MANAGE_ASSETS,
            Capability.APPROVE_ASSET_DISPOSAL,
            Capability.MANAGE_EMPLOYMENT,
        }
    ),
    Role.COUNTY_OFFICER: frozenset(
        {
            Capability.EDIT_RECORDS,
            Capability.REVEAL_PII,
            Capability.EXPORT,
            Capability.RUN_SCREENING,
            Capability.RAISE_CLUE,
            Capability.COUNTY_DECISION,
            Capability.FAST_TRACK,
            Capability.REFER_CASE,
            Capability.MANAGE_HELPERS,
            Capability.RECORD_VISITS,
            Capability.ENTER_APPLICATIONS,
            Capability.RECORD_PROBLEMS,
            Capability.RECTIFY_PROBLEMS,
            Capability.ACCEPT_RECTIFICATIONS,
            Capability.REPORT_SITUATIONS,
            Capability.ACKNOWLEDGE_SITUATIONS,
            Capability.ISSUE_REPORTS,
            Capability.FILL_REPORTS,
            Capability.PROPOSE_PROJECTS,
            Capability.APPROVE_PROJECTS,
            Capability.MANAGE_ASSETS,
            Capability.APPROVE_ASSET_DISPOSAL,
            Capability.MANAGE_EMPLOYMENT,
        }
    ),
    Role.COUNTY_ADMIN: frozenset(
        {
            Capability.EDIT_RECORDS,
            Capability.REVEAL_PII,
            Capability.EXPORT,
            Capability.MANAGE_USERS,
            Capability.MANAGE_AREAS,
            Capability.MANAGE_CATALOGUE,
            Capability.RUN_SCREENING,
            Capability.RAISE_CLUE,
            Capability.COUNTY_DECISION,
            Capability.FAST_TRACK,
            Capability.REFER_CASE,
            Capability.MANAGE_HELPERS,
            Capability.RECORD_VISITS,
            Capability.OPEN_PROGRAMMES,
            Capability.ENTER_APPLICATIONS,
            Capability.APPROVE_APPLICATIONS,
            Capability.MANAGE_PAYMENTS,
            Capability.RECORD_PROBLEMS,
            Capability.RECTIFY_PROBLEMS,
            Capability.ACCEPT_RECTIFICATIONS,
            Capability.SET_EMPLOYMENT_TARGETS,
            Capability.REPORT_SITUATIONS,
            Capability.ACKNOWLEDGE_SITUATIONS,
            Capability.ISSUE_REPORTS,
            Capability.FILL_REPORTS,
            Capability.PROPOSE_PROJECTS,
            Capability.APPROVE_PROJECTS,
            Capability.MANAGE_FUNDS,
            Capability.MANAGE_ASSETS,
            Capability.APPROVE_ASSET_DISPOSAL,
            Capability.MANAGE_EMPLOYMENT,
            Capability.RUN_SCENARIOS,
            Capability.PUBLISH_SCENARIOS,
        }
    ),
    # Departments send data, read the registry to match it and refer households; they never see full
    # identifiers.
    Role.DEPARTMENT_USER: frozenset({Capability.REFER_CASE}),
    # Province staff watch figures and lists; personal data stays masked. They acknowledge the important
    # situations reported up to them and issue the scheduling reports the counties fill.
    Role.PROVINCE_VIEWER: frozenset(
        {
            Capability.EXPORT,
            Capability.ACKNOWLEDGE_SITUATIONS,
            Capability.ISSUE_REPORTS,
            Capability.RUN_SCENARIOS,
            Capability.PUBLISH_SCENARIOS,
        }
    ),
    # The county's finance or employment bureau staff who check and pay what clerks entered.
    Role.BENEFIT_REVIEWER: frozenset(
        {
            Capability.EXPORT,
            Capability.APPROVE_APPLICATIONS,
            Capability.MANAGE_PAYMENTS,
            Capability.MANAGE_FUNDS,
        }
    ),
}

# Roles whose capture scope is the same as their view scope by default when created from the CLI.
# A benefit reviewer's approvals and payments are writes in their county, so they capture too (their role
# lets them edit no record).
ROLES_THAT_CAPTURE = {
    Role.VILLAGE_CADRE,
    Role.TOWNSHIP_OFFICER,
    Role.COUNTY_OFFICER,
    Role.COUNTY_ADMIN,
    Role.BENEFIT_REVIEWER,
}


def has_capability(role: str, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


# What each capability lets one do, as the end of "Your role (…) may not …": refusals name the action
# and the roles that take it, so a cadre knows whom to ask instead of reading "not allowed".
CAPABILITY_ACTIONS: dict[Capability, Promise] = {
    Capability.EDIT_RECORDS: _("register or correct households, members and incomes"),
    Capability.REVEAL_PII: _("see full ID numbers and phone numbers"),
    Capability.EXPORT: _("download lists"),
    Capability.MANAGE_USERS: _("manage user accounts"),
    Capability.MANAGE_AREAS: _("change the townships and villages"),
    Capability.RUN_SCREENING: _("start a screening run"),
    Capability.RAISE_CLUE: _("record risk clues or take up self-declarations"),
    Capability.VILLAGE_STEPS: _("take the village steps of a case (visit, appraisal, notice)"),
    Capability.TOWNSHIP_REVIEW: _("take the township review of a case"),
    Capability.COUNTY_DECISION: _("take the county's decision on a case"),
    Capability.FAST_TRACK: _("include a household first and complete the steps later"),
    Capability.REFER_CASE: _("refer a household from a department"),
    Capability.MANAGE_CATALOGUE: _("change the county's catalogue of assistance measures"),
    Capability.MANAGE_HELPERS: _("manage helpers, twinning, helping units and quotas"),
    Capability.RECORD_VISITS: _("record helpers' visits"),
    Capability.OPEN_PROGRAMMES: _("open a benefit programme for the county"),
    Capability.ENTER_APPLICATIONS: _("enter benefit applications"),
    Capability.APPROVE_APPLICATIONS: _("approve, return or refuse benefit applications"),
    Capability.MANAGE_PAYMENTS: _("prepare payments and load the bank's return files"),
    Capability.RECORD_PROBLEMS: _("put problems on the supervision list and assign their tasks"),
    Capability.RECTIFY_PROBLEMS: _("report the rectification of a problem"),
    Capability.ACCEPT_RECTIFICATIONS: _("accept, return or reopen a problem's rectification"),
    Capability.SET_EMPLOYMENT_TARGETS: _("set the employment targets of the areas below one's own"),
    Capability.MANAGE_EMPLOYMENT: _("manage public-welfare posts, help workshops and training courses"),
    Capability.REPORT_SITUATIONS: _("report an important situation up to the county and the province"),
    Capability.ACKNOWLEDGE_SITUATIONS: _("acknowledge and follow the important situations reported up"),
    Capability.ISSUE_REPORTS: _("issue scheduling reports to the areas below, accept or return them"),
    Capability.FILL_REPORTS: _("fill in and submit the scheduling reports of one's area"),
    Capability.PROPOSE_PROJECTS: _("propose projects for the library and post the village notice"),
    Capability.REVIEW_PROJECTS: _("take the township review of a project"),
    Capability.APPROVE_PROJECTS: _("appraise and approve projects, plan them and accept their completion"),
    Capability.MANAGE_FUNDS: _("set the year's funds, allocate them to projects and record disbursements"),
    Capability.MANAGE_ASSETS: _("register project assets, their income and its distribution"),
    Capability.APPROVE_ASSET_DISPOSAL: _("approve or consent to the disposal of a project asset"),
    Capability.RUN_SCENARIOS: _("simulate policy scenarios on one's area"),
    Capability.PUBLISH_SCENARIOS: _("request or approve publishing a policy scenario as a pack"),
}


def roles_with(capability: Capability) -> list[str]:
    return [role for role in Role.values if has_capability(role, capability)]


def refusal(role: str, capability: Capability) -> Promise:
    """'Your role (township officer) may not start a screening run. Roles that may: …'."""
    label = Role(role).label if role in Role.values else _("a user without a role")
    holders = [Role(r).label for r in roles_with(capability)]
    return lazy_format(
        _("Your role (%(role)s) may not %(action)s. Roles that may: %(roles)s."),
        role=label,
        action=CAPABILITY_ACTIONS[capability],
        roles=lazy_join(holders, _(", ")) if holders else _("nobody"),
    )
