"""The procedure's periods and thresholds, read from the policy pack for a county and a day.

Nothing here is a constant: the national pack holds the defaults (notice 5 days, decision within 15
days, 6 months before elimination...), a province or county pack overrides them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fupin.engine.parameters import value_in_force
from fupin.screening import packs


@dataclass(frozen=True)
class ProcedureRules:
    notice_days: int
    emergency_notice_days: int
    decision_days: int
    fast_track_completion_days: int
    visit_days: int
    appraisal_days: int
    notice_posting_days: int
    submission_days: int
    township_days: int
    county_days: int
    elimination_min_months: int
    income_stable_months: int
    monitoring_range: float
    school_age_from: int
    school_age_to: int


def rules_for(county_code: str, on: dt.date) -> ProcedureRules:
    pack = packs.checked().pack

    def value(name: str) -> float:
        return float(value_in_force(pack.parameters[name], county_code, on).value)

    return ProcedureRules(
        notice_days=int(value("notice_days")),
        emergency_notice_days=int(value("emergency_notice_days")),
        decision_days=int(value("decision_days")),
        fast_track_completion_days=int(value("fast_track_completion_days")),
        visit_days=int(value("visit_days")),
        appraisal_days=int(value("appraisal_days")),
        notice_posting_days=int(value("notice_posting_days")),
        submission_days=int(value("submission_days")),
        township_days=int(value("township_days")),
        county_days=int(value("county_days")),
        elimination_min_months=int(value("elimination_min_months")),
        income_stable_months=int(value("income_stable_months")),
        monitoring_range=value("monitoring_range"),
        school_age_from=int(value("school_age_from")),
        school_age_to=int(value("school_age_to")),
    )
