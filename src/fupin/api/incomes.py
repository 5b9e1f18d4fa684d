"""Yearly incomes of a household, with per-capita net income (domain.md section 3)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from fupin.api.auth import actor
from fupin.api.households import WRITE_ERRORS
from fupin.api.schemas import IncomeIn, IncomeOut, MessageOut
from fupin.registry import selectors, services
from fupin.registry.models import IncomeRecord

router = Router(tags=["incomes"])


@router.get("/households/{int:household_id}/incomes", response={200: list[IncomeOut], 404: MessageOut})
def list_incomes(request: HttpRequest, household_id: int) -> Any:
    """One record per year, newest first."""
    household = selectors.get_household(actor(request), household_id)
    return selectors.incomes_for(actor(request)).filter(household=household).order_by("-year")


@router.put(
    "/households/{int:household_id}/incomes/{int:year}",
    response={200: IncomeOut, 201: IncomeOut, **WRITE_ERRORS},
)
def save_income(
    request: HttpRequest, household_id: int, year: int, payload: IncomeIn
) -> Status[IncomeRecord]:
    """Without ``version``: create the year's record (201). With ``version``: update it (200)."""
    household = selectors.get_household(actor(request), household_id)
    record = services.save_income(
        actor=actor(request),
        household=household,
        year=year,
        values=payload.model_dump(exclude_unset=True, exclude={"version"}),
        expected_version=payload.version,
    )
    return Status(201 if payload.version is None else 200, record)
