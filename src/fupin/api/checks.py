"""Registry data checks over an area: how many records fail each check, and one check's failures.

Through ``fupin.checks.selectors``, as the checks pages: an area outside the user's view scope is
"not found", and a record outside the scope is never counted or listed, even inside the area asked
for. Failures name the household by number and carry the record's id; phones appear only masked and
no ID number is read (``fupin.checks.report``).
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut
from fupin.checks import catalogue, report, selectors
from fupin.checks.catalogue import Check, CheckContext
from fupin.core.errors import OutOfScope

router = Router(tags=["checks"])


class CheckCountOut(Schema):
    code: str
    title: str = Field(description="in the request's language")
    severity: str = Field(json_schema_extra={"enum": ["error", "warning"]})
    target: str = Field(
        json_schema_extra={"enum": ["household", "member", "income", "measure"]},
        description="what a failure is: a household, a member, an income record or a measure",
    )
    failures: int
    explanation: str = Field(description="what is wrong")
    fix: str = Field(description="how to put it right")


class AreaChecksOut(Schema):
    area_code: str
    area_name: str
    errors: int = Field(description="failures of checks of severity error")
    warnings: int = Field(description="failures of checks of severity warning")
    checks: list[CheckCountOut]


class FailureOut(Schema):
    household_id: int
    household_number: str
    village_code: str
    record_type: str = Field(json_schema_extra={"enum": ["household", "member", "income", "measure"]})
    record_id: int
    detail: str = Field(description="what is wrong with this record, in the request's language")


def _check(code: str) -> Check:
    try:
        return catalogue.get(code)
    except KeyError:
        raise OutOfScope() from None


def _count(check: Check, failures: int) -> dict[str, Any]:
    return {
        "code": check.code,
        "title": str(check.title),
        "severity": check.severity,
        "target": check.target,
        "failures": failures,
        "explanation": str(check.explanation),
        "fix": str(check.fix),
    }


@router.get(
    "/checks/{area_code}",
    response={200: AreaChecksOut, 404: MessageOut},
    summary="Data checks of an area: failures per check",
    description=(
        "Every registry data check over the area (a county, township or village in your area) with "
        "the number of records in your area that fail it. 404 for an area outside your area."
    ),
)
def area_checks(request: HttpRequest, area_code: str) -> dict[str, Any]:
    user = actor(request)
    area = selectors.area_for(user, area_code)
    counts = selectors.counts(user, CheckContext.for_area(area))
    return {
        "area_code": area.code,
        "area_name": area.name,
        "errors": sum(c.count for c in counts if c.check.severity == "error"),
        "warnings": sum(c.count for c in counts if c.check.severity == "warning"),
        "checks": [_count(c.check, c.count) for c in counts],
    }


@router.get(
    "/checks/{area_code}/{check_code}",
    response={200: list[FailureOut], 404: MessageOut},
    summary="The records of an area that fail one data check",
    description=(
        "The failing records in your area, ordered by household number: the household, the record "
        "(household, member, income record or measure) and what is wrong. 404 for an area outside "
        "your area or an unknown check code."
    ),
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def check_failures(request: HttpRequest, area_code: str, check_code: str) -> Any:
    user = actor(request)
    area = selectors.area_for(user, area_code)
    check = _check(check_code)
    ctx = CheckContext.for_area(area)
    return _Failures(check, ctx, selectors.failing(user, ctx, check))


class _Failures:
    """The failing records as rows, sliced by the paginator before the details are worked out."""

    def __init__(self, check: Check, ctx: CheckContext, records: Any) -> None:
        self.check, self.ctx, self.records = check, ctx, records

    def count(self) -> int:
        return int(self.records.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [
            {
                "household_id": failure.household.pk,
                "household_number": failure.household.number,
                "village_code": failure.household.village.code,
                "record_type": self.check.target,
                "record_id": failure.record.pk,
                "detail": failure.detail,
            }
            for failure in report.failures(self.check, self.ctx, self.records[window])
        ]
