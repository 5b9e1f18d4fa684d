"""Help workshops (就业帮扶车间): recognition against the pack's minimum, the roster, status, awards.

A workshop is recognised (认定) by the county when it employs at least the pack's
``workshop_min_workers`` workers of lifted-out or monitored households; it may then be operating, stopped
or delisted (摘牌). Workers are members of the registry with their months and monthly pay (fen). The
seed's "at least one help workshop per county" is a check shown on the county's employment page
(``selectors.workshop_check``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, Refused, add_error
from fupin.core.i18n import lazy_format
from fupin.employment.models import Workshop, WorkshopAward, WorkshopStatus, WorkshopType, WorkshopWorker
from fupin.employment.posts import LABOUR_CAPABLE, person_category
from fupin.employment.rules import rules_for
from fupin.employment.selectors import first_of_month
from fupin.registry.models import Member
from fupin.registry.services import require_capability, require_capture

COUNTED_CATEGORIES = ("lifted_out", "monitored")
MAX_PAY_FEN = 100_000_00  # the same ceiling as an employment record's monthly income
# Which status may follow which: a stopped workshop may operate again; a delisted one is finished.
NEXT_STATUS = {
    WorkshopStatus.PENDING: set(),
    WorkshopStatus.RECOGNISED: {WorkshopStatus.OPERATING, WorkshopStatus.STOPPED, WorkshopStatus.DELISTED},
    WorkshopStatus.OPERATING: {WorkshopStatus.STOPPED, WorkshopStatus.DELISTED},
    WorkshopStatus.STOPPED: {WorkshopStatus.OPERATING, WorkshopStatus.DELISTED},
    WorkshopStatus.DELISTED: set(),
}


def counted_workers(workshop: Workshop, month: dt.date) -> int:
    """Workers of lifted-out or monitored households on the roster in ``month``."""
    roster = workshop.workers.filter(start_month__lte=month).filter(
        Q(end_month__isnull=True) | Q(end_month__gte=month)
    )
    return sum(
        1
        for worker in roster.select_related("member__household")
        if person_category(worker.member) in COUNTED_CATEGORIES
    )


@dataclass(frozen=True)
class WorkshopInput:
    name: str
    workshop_type: str
    operator: str
    area: Area | None


@transaction.atomic
def register_workshop(*, actor: Any, data: WorkshopInput) -> Workshop:
    """A workshop applying for recognition: pending until ``recognise`` finds enough workers on its roster."""
    require_capability(actor, Capability.MANAGE_EMPLOYMENT)
    errors: Errors = {}
    if not data.name.strip():
        add_error(errors, "name", _("Give the workshop's name."))
    if data.workshop_type not in WorkshopType.values:
        add_error(errors, "workshop_type", _("Choose a type from the list."))
    if not data.operator.strip():
        add_error(errors, "operator", _("Give the enterprise or cooperative that runs it."))
    if data.area is None:
        add_error(errors, "area", _("Choose where the workshop is."))
    else:
        require_capture(actor, data.area.path)
        if data.area.level not in (AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE):
            add_error(errors, "area", _("A workshop is in a county, township or village."))
    if errors:
        raise InvalidInput(errors)
    assert data.area is not None
    workshop = Workshop.objects.create(
        name=data.name.strip(),
        workshop_type=data.workshop_type,
        operator=data.operator.strip(),
        area=data.area,
        status=WorkshopStatus.PENDING,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="help_workshop",
        object_id=workshop.pk,
        area_code=workshop.area.code,
        summary=f"help workshop {workshop.pk} registered",
        changes={"type": workshop.workshop_type, "status": workshop.status},
    )
    return workshop


@transaction.atomic
def add_worker(
    *,
    actor: Any,
    workshop: Workshop,
    member: Member,
    start_month: dt.date | None,
    monthly_pay_fen: int | None,
    end_month: dt.date | None = None,
) -> WorkshopWorker:
    require_capability(actor, Capability.EDIT_RECORDS)
    require_capture(actor, member.household.village.path)
    errors: Errors = {}
    if member.exit_reason:
        add_error(errors, "member", _("This person has left the household."))
    if member.labour_capacity not in LABOUR_CAPABLE:
        add_error(errors, "member", _("This person has no labour capacity in the registry."))
    if workshop.status == WorkshopStatus.DELISTED:
        add_error(errors, "member", _("The workshop is delisted: it takes no workers."))
    if start_month is None:
        add_error(errors, "start_month", _("Give the first month."))
    elif first_of_month(start_month) > clock.today().replace(day=1):
        add_error(errors, "start_month", _("The start month cannot be in the future."))
    if end_month is not None and start_month is not None and end_month < start_month:
        add_error(errors, "end_month", _("The end month cannot be before the start month."))
    if monthly_pay_fen is None:
        add_error(errors, "monthly_pay_fen", _("Give the monthly pay in yuan."))
    elif not 0 < monthly_pay_fen <= MAX_PAY_FEN:
        add_error(errors, "monthly_pay_fen", _("The monthly pay is more than 0 and at most 100,000 yuan."))
    if start_month is not None and (
        workshop.workers.filter(member=member)
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=first_of_month(start_month)))
        .exists()
    ):
        add_error(errors, "member", _("This person is already on the workshop's roster."))
    if errors:
        raise InvalidInput(errors)
    assert start_month is not None and monthly_pay_fen is not None
    worker = WorkshopWorker.objects.create(
        workshop=workshop,
        member=member,
        start_month=first_of_month(start_month),
        end_month=first_of_month(end_month) if end_month else None,
        monthly_pay_fen=monthly_pay_fen,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="help_workshop_worker",
        object_id=worker.pk,
        area_code=member.household.village.code,
        summary=f"member {member.pk} of household {member.household.number} works at workshop {workshop.pk}",
        changes={"monthly_pay_fen": monthly_pay_fen, "start_month": worker.start_month.isoformat()},
    )
    return worker


def _set_status(actor: Any, workshop: Workshop, status: str, on: dt.date) -> None:
    before = workshop.status
    workshop.status = status
    workshop.status_changed_on = on
    if status == WorkshopStatus.RECOGNISED:
        workshop.recognised_on = on
    workshop.save(update_fields=["status", "status_changed_on", "recognised_on"])
    audit.record(
        actor=actor,
        action="update",
        object_type="help_workshop",
        object_id=workshop.pk,
        area_code=workshop.area.code,
        summary=f"help workshop {workshop.pk} {status}",
        changes={"status": [before, status]},
    )


@transaction.atomic
def recognise(*, actor: Any, workshop: Workshop) -> None:
    """Recognise the workshop when its roster this month has the pack's minimum of counted workers."""
    require_capability(actor, Capability.MANAGE_EMPLOYMENT)
    require_capture(actor, workshop.area.path)
    today = clock.today()
    if workshop.status == WorkshopStatus.DELISTED:
        raise Refused(_("A delisted workshop is not recognised again: register it anew."))
    if workshop.recognised_on is not None:
        raise Refused(_("This workshop is already recognised."))
    minimum = rules_for(workshop.area.code[:6], today).workshop_min_workers
    counted = counted_workers(workshop, today.replace(day=1))
    if counted < minimum:
        raise Refused(
            lazy_format(
                _(
                    "A help workshop employs at least %(minimum)s workers of lifted-out or monitored "
                    "households; this one has %(counted)s this month."
                ),
                minimum=minimum,
                counted=counted,
            )
        )
    _set_status(actor, workshop, WorkshopStatus.RECOGNISED, today)


@transaction.atomic
def change_status(*, actor: Any, workshop: Workshop, status: str) -> None:
    require_capability(actor, Capability.MANAGE_EMPLOYMENT)
    require_capture(actor, workshop.area.path)
    if workshop.recognised_on is None:
        raise Refused(_("The workshop is not recognised yet."))
    if status not in NEXT_STATUS.get(WorkshopStatus(workshop.status), set()):
        raise Refused(
            lazy_format(
                _("A workshop that is %(now)s cannot become %(next)s."),
                now=WorkshopStatus(workshop.status).label,
                next=WorkshopStatus(status).label if status in WorkshopStatus.values else status,
            )
        )
    _set_status(actor, workshop, status, clock.today())


@transaction.atomic
def award(*, actor: Any, workshop: Workshop, amount_fen: int | None, reason: str) -> WorkshopAward:
    require_capability(actor, Capability.MANAGE_EMPLOYMENT)
    require_capture(actor, workshop.area.path)
    errors: Errors = {}
    if workshop.recognised_on is None or workshop.status == WorkshopStatus.DELISTED:
        add_error(
            errors, "amount_fen", _("Only a recognised workshop that is not delisted receives an award.")
        )
    if amount_fen is None or amount_fen <= 0:
        add_error(errors, "amount_fen", _("Give the award in yuan, more than 0."))
    elif amount_fen > 1_000_000_00:
        add_error(errors, "amount_fen", _("An award above 1,000,000 yuan is a typing error."))
    if not reason.strip():
        add_error(errors, "reason", _("Say what the award is for."))
    if errors:
        raise InvalidInput(errors)
    assert amount_fen is not None
    granted = WorkshopAward.objects.create(
        workshop=workshop,
        amount_fen=amount_fen,
        awarded_on=clock.today(),
        reason=reason.strip(),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="help_workshop_award",
        object_id=granted.pk,
        area_code=workshop.area.code,
        summary=f"award to help workshop {workshop.pk}",
        changes={"amount_fen": amount_fen},
    )
    return granted
