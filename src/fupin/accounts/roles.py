"""Roles and what each may do. Area scope (which records) is separate: see ``fupin.accounts.scope``."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VILLAGE_CADRE = "village_cadre", _("Village cadre")
    TOWNSHIP_OFFICER = "township_officer", _("Township officer")
    COUNTY_OFFICER = "county_officer", _("County officer")
    COUNTY_ADMIN = "county_admin", _("County administrator")
    DEPARTMENT_USER = "department_user", _("Department user")
    PROVINCE_VIEWER = "province_viewer", _("Province viewer")


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


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.VILLAGE_CADRE: frozenset(
        {
            Capability.EDIT_RECORDS,
            Capability.REVEAL_PII,
            Capability.RAISE_CLUE,
            Capability.VILLAGE_STEPS,
            Capability.RECORD_VISITS,
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
        }
    ),
    # Departments send data, read the registry to match it and refer households; they never see full
    # identifiers.
    Role.DEPARTMENT_USER: frozenset({Capability.REFER_CASE}),
    # Province staff watch figures and lists; personal data stays masked.
    Role.PROVINCE_VIEWER: frozenset({Capability.EXPORT}),
}

# Roles whose capture scope is the same as their view scope by default when created from the CLI.
ROLES_THAT_CAPTURE = {Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER, Role.COUNTY_ADMIN}


def has_capability(role: str, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
