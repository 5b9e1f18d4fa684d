"""Replay three weeks of casework in the demo village, so that every step has something to show.

The demo accounts act through the real services with the clock set back (``clock.pretend_today``):
one household approved, one waiting for the county, one for the township, one under notice with an
objection, one whose visit is overdue, one elimination with its gates, and a self-declaration to match.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from fupin.accounts import scope
from fupin.accounts.models import User
from fupin.assistance.services import add_measure
from fupin.cases import notify, services
from fupin.cases.models import OPEN_STATES, Case, Declaration, DeclarationStatus
from fupin.core import clock
from fupin.registry.models import Household


@dataclass(frozen=True)
class DemoCases:
    cases: int
    village_name: str


def _free_households(cadre: User, count: int) -> list[Household]:
    """Households of the cadre's village that are not monitored and have no case under way."""
    busy = Case.objects.filter(state__in=OPEN_STATES).values("household_id")
    found = scope.scoped(Household.objects.select_related("village"), cadre, "capture")
    return list(found.filter(monitoring_category="").exclude(pk__in=busy).order_by("number")[:count])


def _walk(
    cadre: User, township: User, county: User, household: Household, start: dt.date, stop_after: str
) -> Case:
    """Take a new case from a cadre's clue through the steps up to ``stop_after``, a day or so apart."""
    day = start
    with clock.pretend_today(day):
        case = services.raise_clue(
            actor=cadre,
            household=household,
            category="marginal",
            risk_types=["illness"],
            description="走访发现户主患慢性病，医疗支出较大",
        )
    if stop_after == "open":
        return case
    day += dt.timedelta(days=1)
    with clock.pretend_today(day):
        services.record_visit(
            actor=cadre,
            case=case,
            visited_on=day,
            findings="入户核实：家庭人均纯收入低于监测范围，已签授权书",
            proceed=True,
            authorization_signed=True,
            category="marginal",
            risk_types=["illness"],
        )
        services.record_appraisal(
            actor=cadre, case=case.pk, held_on=day, attendees=11, votes_for=10, votes_against=1, agreed=True
        )
        services.post_notice(actor=cadre, case_ids=[case.pk], posted_on=day, days=5)
    if stop_after == "notice":
        return case
    day += dt.timedelta(days=5)
    with clock.pretend_today(day):
        services.submit(actor=cadre, case=case.pk)
    if stop_after == "submit":
        return case
    day += dt.timedelta(days=1)
    with clock.pretend_today(day):
        services.township_review(actor=township, case=case.pk, approve=True, reason="材料齐全")
    if stop_after == "township":
        return case
    day += dt.timedelta(days=1)
    with clock.pretend_today(day):
        services.county_decide(
            actor=county, case=case.pk, decision="approve", category="marginal", risk_types=["illness"]
        )
    return case


@transaction.atomic
def replay(today: dt.date | None = None) -> DemoCases | None:
    """Stage the demo cases; None when the demo accounts or free households are missing."""
    today = today or clock.today()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["demo-village", "demo-township", "demo-county"])
    }
    if len(users) < 3:
        return None
    cadre, township, county = users["demo-village"], users["demo-township"], users["demo-county"]
    households = _free_households(cadre, 5)
    if len(households) < 5:
        return None
    approved = _walk(cadre, township, county, households[0], today - dt.timedelta(days=20), "county")
    _walk(cadre, township, county, households[1], today - dt.timedelta(days=10), "township")
    _walk(cadre, township, county, households[2], today - dt.timedelta(days=8), "submit")
    in_notice = _walk(cadre, township, county, households[3], today - dt.timedelta(days=3), "notice")
    with clock.pretend_today(today - dt.timedelta(days=1)):
        services.record_objection(
            actor=cadre,
            case=in_notice.pk,
            received_on=today - dt.timedelta(days=1),
            summary="村民反映该户有子女在城里工作",
        )
    _walk(cadre, township, county, households[4], today - dt.timedelta(days=6), "open")  # visit overdue

    # The approved household has had a measure since; months later it would be proposed for elimination.
    household = Household.objects.select_related("village").get(pk=approved.household_id)
    with clock.pretend_today(today - dt.timedelta(days=9)):
        add_measure(
            actor=county,
            household=household,
            category="health",
            risk_types=["illness"],
            started_on=today - dt.timedelta(days=9),
            description="家庭医生签约，慢病卡",
        )

    # A self-declaration from the village, confirmed, waiting to be matched to a household.
    with clock.pretend_today(today):
        declaration = services.declare(
            village_code=households[0].village.code,
            name="王某某",
            phone="13900000001",
            difficulty="disaster",
            description="暴雨冲毁部分房屋",
            client=services.client_fingerprint(f"demo-{timezone.now().timestamp()}"),
        )
    # Confirmed as if the person had typed the code sent to them (the demo cannot read its own text).
    Declaration.objects.filter(pk=declaration.pk).update(
        status=DeclarationStatus.NEW, confirmed_at=timezone.now()
    )
    declaration.refresh_from_db()
    notify.declaration_arrived(declaration)
    village = households[0].village
    return DemoCases(cases=5, village_name=village.name)
