"""Members of a household: list, detail, add, correct. ID numbers and phones only masked."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from fupin.api.auth import actor
from fupin.api.households import WRITE_ERRORS
from fupin.api.schemas import MemberCreate, MemberOut, MemberPatch, MessageOut
from fupin.registry import selectors, services
from fupin.registry.models import Member

router = Router(tags=["members"])


@router.get("/households/{int:household_id}/members", response={200: list[MemberOut], 404: MessageOut})
def list_members(request: HttpRequest, household_id: int) -> Any:
    """All members, including those who left (``is_current`` false, with ``exit_reason``)."""
    household = selectors.get_household(actor(request), household_id)
    return selectors.members_for(actor(request)).filter(household=household)


@router.get("/members/{int:member_id}", response={200: MemberOut, 404: MessageOut})
def get_member(request: HttpRequest, member_id: int) -> Member:
    return selectors.get_member(actor(request), member_id)


@router.post("/households/{int:household_id}/members", response={201: MemberOut, **WRITE_ERRORS})
def add_member(request: HttpRequest, household_id: int, payload: MemberCreate) -> Status[Member]:
    household = selectors.get_household(actor(request), household_id)
    member = services.add_member(
        actor=actor(request),
        household=household,
        values=payload.model_dump(exclude_unset=True, include=set(services.MEMBER_EDITABLE)),
        id_number=payload.id_number,
        phone_number=payload.phone,
    )
    return Status(201, selectors.get_member(actor(request), member.pk))


@router.patch("/members/{int:member_id}", response={200: MemberOut, **WRITE_ERRORS})
def update_member(request: HttpRequest, member_id: int, payload: MemberPatch) -> Member:
    member = selectors.get_member(actor(request), member_id)
    sent = payload.model_dump(exclude_unset=True)
    services.update_member(
        actor=actor(request),
        member=member,
        expected_version=payload.version,
        values={k: v for k, v in sent.items() if k in services.MEMBER_EDITABLE},
        id_number=sent.get("id_number"),
        phone_number=sent.get("phone"),
    )
    return selectors.get_member(actor(request), member_id)
