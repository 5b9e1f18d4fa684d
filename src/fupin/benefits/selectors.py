"""Reads of benefits, always through the scoping layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from fupin.accounts import scope
from fupin.areas.models import Area, AreaLevel
from fupin.benefits.models import Application, ApplicationStatus, Evidence, Opening
from fupin.core.errors import OutOfScope


def openings_for(user: Any) -> QuerySet[Opening]:
    """Openings of the counties the user's view scope holds, or holds a part of."""
    paths = scope.granted_paths(user, "view")
    if not paths:
        return Opening.objects.none()
    counties = Q()
    for path in paths:
        counties |= Q(county__path__startswith=path)
        # A village's or township's path starts with its county's: the county's 3-part path.
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 3:
            counties |= Q(county__path="/" + "/".join(parts[:3]) + "/")
    return Opening.objects.filter(counties).select_related("county")


def get_opening(user: Any, pk: int) -> Opening:
    opening = openings_for(user).filter(pk=pk).first()
    if opening is None:
        raise OutOfScope()
    return opening


def applications_for(user: Any, mode: scope.ScopeMode = "view") -> QuerySet[Application]:
    return scope.scoped(Application.objects.all(), user, mode).select_related(
        "opening", "area", "member", "household", "entity", "entered_by", "decided_by"
    )


def get_application(user: Any, pk: int) -> Application:
    application = applications_for(user).filter(pk=pk).first()
    if application is None:
        raise OutOfScope()
    return application


def evidence_of(user: Any, application: Application) -> QuerySet[Evidence]:
    return scope.scoped(Evidence.objects.filter(application=application), user)


def get_evidence(user: Any, pk: int) -> Evidence:
    evidence = scope.scoped(Evidence.objects.filter(pk=pk), user).select_related("application__area").first()
    if evidence is None:
        raise OutOfScope()
    return evidence


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    amount_fen: int


def opening_totals(user: Any, opening: Opening) -> list[StatusCount]:
    """Applications and amounts of an opening by status, within the user's scope."""
    rows = (
        applications_for(user)
        .filter(opening=opening)
        .values("status")
        .annotate(count=Count("id"), amount=Sum("amount_fen"))
    )
    found = {row["status"]: row for row in rows}
    return [
        StatusCount(
            status=status,
            label=str(label),
            count=found.get(status, {}).get("count", 0),
            amount_fen=int(found.get(status, {}).get("amount") or 0),
        )
        for status, label in ApplicationStatus.choices
    ]


def household_applications(user: Any, household: Any) -> list[Application]:
    return list(
        applications_for(user)
        .filter(Q(household=household) | Q(member__household=household))
        .order_by("-applied_on", "-id")
    )


def counties_for(user: Any) -> list[Area]:
    """Counties in the user's capture scope, or holding a part of it: where they may open programmes."""
    paths = scope.granted_paths(user, "capture")
    result = []
    for county in Area.objects.filter(level=AreaLevel.COUNTY).order_by("code"):
        if any(county.path.startswith(p) or p.startswith(county.path) for p in paths):
            result.append(county)
    return result
