"""A household's assistance plan: its measures and the plan rules it breaks (read only).

Through ``fupin.assistance.selectors`` (measures in the user's view scope) and the plan rules of
``fupin.assistance.rules``; a household outside the user's area is "not found".
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from fupin.api.auth import actor
from fupin.api.schemas import MessageOut, OptionalMoney
from fupin.assistance import selectors
from fupin.assistance.models import Measure, MeasureCategory, MeasureStatus
from fupin.registry import selectors as registry_selectors

router = Router(tags=["assistance"])


class MeasureOut(Schema):
    id: int
    measure_type: str = Field(description="the catalogue entry's code; empty for a measure without one")
    title: str = Field(description="the entry's name (or the category's) in the request's language")
    category: str = Field(json_schema_extra={"enum": list(MeasureCategory.values)})
    risk_types: list[str] = Field(alias="risk_type_list", description="the risk types the measure answers")
    description: str
    responsible: str = Field(description="the responsible person or department")
    amount: OptionalMoney = Field(description="yuan")
    status: str = Field(json_schema_extra={"enum": list(MeasureStatus.values)})
    started_on: dt.date | None
    ended_on: dt.date | None
    stop_reason: str
    version: int

    @staticmethod
    def resolve_measure_type(obj: Measure) -> str:
        return obj.measure_type.code if obj.measure_type else ""

    @staticmethod
    def resolve_title(obj: Measure) -> str:
        return obj.title


class PlanProblemOut(Schema):
    code: str = Field(description="the plan rule")
    severity: str = Field(json_schema_extra={"enum": ["error", "warning"]})
    message: str = Field(description="in the request's language")
    measure_id: int | None = Field(description="the measure the problem is about, if one")
    risk: str = Field(description="the risk type the problem is about, if one")


class PlanOut(Schema):
    household_id: int
    household_number: str
    monitoring_category: str
    risk_types: list[str]
    measures: list[MeasureOut] = Field(description="oldest first, stopped ones included")
    problems: list[PlanProblemOut] = Field(description="the plan rules the plan breaks, errors first")


@router.get(
    "/households/{int:household_id}/plan",
    response={200: PlanOut, 404: MessageOut},
    summary="A household's assistance plan: measures and plan checks",
    description=(
        "The household's assistance measures (catalogue entry, category, risk types answered, "
        "responsible, amount, status and dates) and the plan rules its plan breaks now. 404 for a "
        "household outside your area."
    ),
)
def household_plan(request: HttpRequest, household_id: int) -> dict[str, Any]:
    user = actor(request)
    household = registry_selectors.get_household(user, household_id)
    return {
        "household_id": household.pk,
        "household_number": household.number,
        "monitoring_category": household.monitoring_category,
        "risk_types": household.risk_type_list,
        "measures": list(selectors.measures_of(user, household)),
        "problems": [
            {
                "code": p.code,
                "severity": p.severity,
                "message": str(p.message),
                "measure_id": p.measure_id,
                "risk": p.risk,
            }
            for p in selectors.plan_problems(household)
        ],
    }
