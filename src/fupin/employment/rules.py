"""The employment rules' numbers, read from the policy pack for a county and a day (never constants).

The national pack holds the defaults (post holders 16 to 65, lifted-out, monitored and registered poor
households, three months on temporary posts a year, five lifted-out workers for a help workshop, 15
days to follow up a returned worker); a province or county pack overrides any of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fupin.engine.parameters import value_in_force
from fupin.screening import packs


@dataclass(frozen=True)
class EmploymentRules:
    post_min_age: int
    post_max_age: int
    post_eligible: frozenset[str]  # person categories: lifted_out, monitored, poor, ordinary
    temporary_post_max_months: int
    workshop_min_workers: int
    returned_follow_up_days: int


CATEGORIES = ("lifted_out", "monitored", "poor", "ordinary")


def rules_for(county_code: str, on: dt.date) -> EmploymentRules:
    pack = packs.checked().pack

    def value(name: str) -> object:
        return value_in_force(pack.parameters[name], county_code, on).value

    return EmploymentRules(
        post_min_age=int(str(value("post_min_age"))),
        post_max_age=int(str(value("post_max_age"))),
        post_eligible=frozenset(c for c in CATEGORIES if value(f"post_eligible_{c}") is True),
        temporary_post_max_months=int(str(value("temporary_post_max_months"))),
        workshop_min_workers=int(str(value("workshop_min_workers"))),
        returned_follow_up_days=int(str(value("returned_follow_up_days"))),
    )
