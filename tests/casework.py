"""Casework the case tests share: a clue raised by a cadre, and the village steps done on one day."""

from __future__ import annotations

import datetime as dt

from fupin.cases import services
from fupin.cases.models import Case


def raise_clue(cadre, household, *, description: str = "户主住院，医疗支出大") -> Case:
    return services.raise_clue(
        actor=cadre, household=household, category="marginal", risk_types=["illness"], description=description
    )


def village_steps(
    cadre,
    case: Case,
    day: dt.date,
    *,
    post: bool = True,
    days: int = 5,
    findings: str = "住院三次，自付2万元",
) -> Case:
    """Visit and appraisal on ``day`` (a "marginal" household at risk of illness) and, with ``post``,
    a notice of ``days`` days posted that day."""
    services.record_visit(
        actor=cadre,
        case=case,
        visited_on=day,
        findings=findings,
        proceed=True,
        authorization_signed=True,
        category="marginal",
        risk_types=["illness"],
    )
    services.record_appraisal(
        actor=cadre, case=case.pk, held_on=day, attendees=9, votes_for=9, votes_against=0, agreed=True
    )
    if post:
        services.post_notice(actor=cadre, case_ids=[case.pk], posted_on=day, days=days)
    return Case.objects.get(pk=case.pk)
