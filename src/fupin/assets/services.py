"""Writes for project assets: register, change status, hand over, record income, distribute it, dispose.

Each service checks the role and the capture scope through the one scope layer, reports every problem at
once (``InvalidInput``, messages naming the field, in the user's language) or refuses a step that does not
apply (``Refused``), changes nothing when it refuses, writes inside one transaction and records an audit
entry (asset code and figures; never a name, ID or phone number). Money is integer fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.accounts.roles import Capability
from fupin.areas.models import Area, AreaLevel
from fupin.assets import rules
from fupin.assets.models import (
    EARNING_STATUSES,
    HOUSEHOLD_USES,
    USE_ORDER,
    Asset,
    AssetClass,
    Disposal,
    DisposalGround,
    DisposalMethod,
    DisposalState,
    Distribution,
    DistributionLine,
    DistributionShare,
    Event,
    ForbiddenUse,
    Funding,
    Handover,
    IncomeRecord,
    IncomeSource,
    OwnerLevel,
    Status,
    SubType,
    Use,
)
from fupin.audit import services as audit
from fupin.core import clock
from fupin.core.errors import Errors, InvalidInput, OutOfScope, Refused, StaleEdit, add_error
from fupin.core.i18n import lazy_format
from fupin.domain.free_text import has_identifiers
from fupin.projects.models import FundSource, Project
from fupin.projects.models import State as ProjectState
from fupin.registry.models import Household
from fupin.registry.services import require_capability

# A ceiling for any amount: 10^15 fen is ten trillion yuan (a typo, not an asset).
MAX_FEN = 10**15
FIRST_YEAR = 2013  # assets formed since the 18th Party Congress (November 2012) are in scope
INITIAL_STATUSES = (
    Status.UNDER_CONSTRUCTION,
    Status.ACCEPTED,
    Status.RIGHTS_REGISTERED,
    Status.HANDED_OVER,
    Status.IN_USE,
    Status.IDLE,
    Status.INEFFICIENT,
)
# The status changes taken by hand; handover, disposal and its approvals have their own services.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.UNDER_CONSTRUCTION: (Status.ACCEPTED,),
    Status.ACCEPTED: (Status.RIGHTS_REGISTERED,),
    Status.HANDED_OVER: (Status.IN_USE,),
    Status.IN_USE: (Status.IDLE, Status.INEFFICIENT),
    Status.IDLE: (Status.IN_USE, Status.INEFFICIENT),
    Status.INEFFICIENT: (Status.IN_USE, Status.IDLE),
}
PROJECT_DONE = (ProjectState.COMPLETED, ProjectState.ASSETS_REGISTERED)
PRIORITY_TYPES = ("lifted_out", "poor")


def _text_problem(errors: Errors, name: str, value: str, limit: int, *, required: bool = True) -> None:
    if required and not value:
        add_error(errors, name, _("This field is required."))
    elif len(value) > limit:
        add_error(errors, name, lazy_format(_("Keep it under %(limit)s characters."), limit=f"{limit:,}"))
    elif has_identifiers(value):
        add_error(errors, name, _("Write it without ID or phone numbers."))


def _fen_problem(errors: Errors, name: str, value: int | None, *, positive: bool = True) -> None:
    if value is None:
        add_error(errors, name, _("Give the amount in yuan."))
    elif value < 0 or (positive and value == 0):
        add_error(errors, name, _("The amount must be more than zero."))
    elif value > MAX_FEN:
        add_error(errors, name, _("The amount is too large: check the figure."))


def _audit(actor: Any, action: str, asset: Asset, summary: str, **changes: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type="asset",
        object_id=asset.pk,
        area_code=asset.area.code,
        summary=f"asset {asset.code}: {summary}",
        changes=changes,
    )


def _event(asset: Asset, actor: Any, action: str, before: str, reason: str = "") -> None:
    Event.objects.create(
        asset=asset,
        action=action,
        from_status=before,
        to_status=asset.status,
        reason=reason[:300],
        actor=actor,
    )


def _locked(actor: Any, asset: Asset | int) -> Asset:
    """The asset's row, locked and current, or OutOfScope when the actor may not write in its area."""
    pk = asset.pk if isinstance(asset, Asset) else asset
    if not Asset.objects.select_for_update().filter(pk=pk).exists():
        raise OutOfScope()
    fresh = Asset.objects.select_related("area", "county", "project", "household").get(pk=pk)
    if not scope.area_in_scope(actor, fresh.area.path, "capture"):
        raise OutOfScope()
    return fresh


def yuan_to_fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


# ---------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class AssetInput:
    code: str
    name: str
    asset_class: str
    sub_type: str
    year_formed: int
    original_value_fen: int
    area_code: str
    owner_level: str
    owner_entity: str
    status: str
    project_id: int | None = None
    household_id: int | None = None
    operator: str = ""
    contract_from: dt.date | None = None
    contract_to: dt.date | None = None
    guaranteed_rate: Decimal | None = None  # 0.08 = 8% of the original value a year
    maintenance_body: str = ""
    maintenance_person: str = ""
    beneficiaries: int = 0
    note: str = ""
    funding: Mapping[str, int] = field(default_factory=dict)  # source → fen


def _asset_problems(actor: Any, data: AssetInput, existing: Asset | None) -> tuple[Errors, dict[str, Any]]:
    """Every problem of the values at once, and the looked-up records (area, project, household)."""
    errors: Errors = {}
    found: dict[str, Any] = {}
    code = data.code.strip()
    if not code:
        add_error(errors, "code", _("Give the asset's code."))
    elif len(code) > 30:
        add_error(errors, "code", _("Keep the code under 30 characters."))
    elif Asset.objects.filter(code=code).exclude(pk=existing.pk if existing else 0).exists():
        add_error(errors, "code", _("Another asset has this code: each asset's code is its own."))
    _text_problem(errors, "name", data.name.strip(), 120)
    _text_problem(errors, "owner_entity", data.owner_entity.strip(), 100)
    for name, limit in (
        ("operator", 100),
        ("maintenance_body", 100),
        ("maintenance_person", 40),
        ("note", 300),
    ):
        _text_problem(errors, name, getattr(data, name).strip(), limit, required=False)
    if data.asset_class not in AssetClass.values:
        add_error(errors, "asset_class", _("Choose the asset's class."))
    if data.sub_type not in SubType.values:
        add_error(errors, "sub_type", _("Choose the asset's sub-type."))
    if data.owner_level not in OwnerLevel.values:
        add_error(errors, "owner_level", _("Choose the owner's level."))
    if existing is None and data.status not in INITIAL_STATUSES:
        add_error(errors, "status", _("Choose the asset's status today (a disposal has its own steps)."))
    today = clock.today()
    if not FIRST_YEAR <= data.year_formed <= today.year:
        add_error(
            errors,
            "year_formed",
            lazy_format(_("The year formed is between %(first)s and this year."), first=FIRST_YEAR),
        )
    _fen_problem(errors, "original_value", data.original_value_fen)
    if data.beneficiaries < 0:
        add_error(errors, "beneficiaries", _("The number cannot be negative."))

    # Funding by source: the control total is the original value, to the fen.
    if data.funding:
        bad = [s for s in data.funding if s not in FundSource.values]
        if bad:
            add_error(errors, "funding", _("Choose each funding source from the list."))
        elif any(v < 0 or v > MAX_FEN for v in data.funding.values()):
            add_error(errors, "funding", _("An amount by source cannot be negative."))
        elif sum(data.funding.values()) != data.original_value_fen:
            add_error(
                errors,
                "funding",
                lazy_format(
                    _("The amounts by source add up to %(sum)s yuan, not the original value %(value)s yuan."),
                    sum=fen_text(sum(data.funding.values())),
                    value=fen_text(data.original_value_fen),
                ),
            )

    area = Area.objects.filter(code=data.area_code).first()
    if area is None or area.level < AreaLevel.COUNTY:
        add_error(errors, "area", _("Choose the county, township or village where the asset is."))
    elif not scope.area_in_scope(actor, area.path, "capture"):
        raise OutOfScope()
    else:
        found["area"] = area
        found["county"] = Area.objects.get(code=area.county_code)
        wanted: AreaLevel | None = {
            str(OwnerLevel.VILLAGE): AreaLevel.VILLAGE,
            str(OwnerLevel.TOWNSHIP): AreaLevel.TOWNSHIP,
            str(OwnerLevel.HOUSEHOLD): AreaLevel.VILLAGE,
        }.get(data.owner_level)
        if wanted is not None and area.level < wanted:
            add_error(
                errors,
                "area",
                _("A village collective's or household's asset is in a village; a township's in a township."),
            )

    if data.project_id is not None:
        project = (
            scope.scoped(Project.objects.select_related("county"), actor).filter(pk=data.project_id).first()
        )
        if project is None:
            add_error(errors, "project", _("No such project in your area."))
        elif project.state not in PROJECT_DONE:
            add_error(
                errors,
                "project",
                _(
                    "The project is not completed and accepted yet: its assets are registered after the "
                    "completion acceptance."
                ),
            )
        else:
            found["project"] = project
            if "county" in found and project.county_id != found["county"].pk:
                add_error(errors, "project", _("The project is in another county."))
            if data.status == Status.UNDER_CONSTRUCTION:
                add_error(errors, "status", _("An accepted project's asset is no longer under construction."))

    household_class = data.asset_class == AssetClass.HOUSEHOLD
    if household_class != (data.owner_level == OwnerLevel.HOUSEHOLD):
        add_error(
            errors,
            "owner_level",
            _("A household asset is owned by a household, and only a household asset is."),
        )
    if household_class:
        household = (
            scope.scoped(Household.objects.select_related("village"), actor, "capture")
            .filter(pk=data.household_id)
            .first()
            if data.household_id
            else None
        )
        if household is None:
            add_error(errors, "household", _("Choose the household that owns the asset."))
        else:
            found["household"] = household
            if "area" in found and not household.village.path.startswith(found["area"].path):
                add_error(errors, "household", _("The household lives in another village than the asset's."))
    elif data.household_id:
        add_error(errors, "household", _("Only a household asset names an owning household."))

    if data.contract_from and data.contract_to and data.contract_to < data.contract_from:
        add_error(errors, "contract_to", _("The contract cannot end before it starts."))
    if data.guaranteed_rate is not None:
        if data.asset_class != AssetClass.OPERATING:
            add_error(errors, "guaranteed_rate", _("Only an operating asset has a guaranteed return."))
        elif not data.operator.strip():
            add_error(errors, "operator", _("Name the operator who guarantees the return."))
        elif "county" in found:
            limits = rules.rules_for(found["county"].code, data.contract_from or today)
            if not limits.guaranteed_min <= data.guaranteed_rate <= limits.guaranteed_max:
                add_error(
                    errors,
                    "guaranteed_rate",
                    lazy_format(
                        _(
                            "The guaranteed return must be between %(min)s%% and %(max)s%% "
                            "of the value a year."
                        ),
                        min=percent_text(limits.guaranteed_min),
                        max=percent_text(limits.guaranteed_max),
                    ),
                )
    return errors, found


def fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}"


def percent_text(share: Decimal) -> str:
    return format((share * 100).normalize(), "f")


def _apply(asset: Asset, data: AssetInput, found: Mapping[str, Any]) -> None:
    asset.code = data.code.strip()
    asset.name = data.name.strip()
    asset.asset_class = data.asset_class
    asset.sub_type = data.sub_type
    asset.project = found.get("project")
    asset.year_formed = data.year_formed
    asset.original_value_fen = data.original_value_fen
    asset.area = found["area"]
    asset.county = found["county"]
    asset.owner_level = data.owner_level
    asset.owner_entity = data.owner_entity.strip()
    asset.household = found.get("household")
    asset.operator = data.operator.strip()
    asset.contract_from = data.contract_from
    asset.contract_to = data.contract_to
    asset.guaranteed_rate = data.guaranteed_rate
    asset.maintenance_body = data.maintenance_body.strip()
    asset.maintenance_person = data.maintenance_person.strip()
    asset.beneficiaries = data.beneficiaries
    asset.note = data.note.strip()


def _save_funding(asset: Asset, funding: Mapping[str, int]) -> None:
    asset.funding.all().delete()
    Funding.objects.bulk_create(
        Funding(asset=asset, source=source, amount_fen=amount) for source, amount in funding.items() if amount
    )


@transaction.atomic
def register_asset(*, actor: Any, data: AssetInput) -> Asset:
    """Put an asset on the ledger. The first asset of a completed project registers the project's assets
    (the project moves to 'assets registered' through ``fupin.projects.services.register_assets``)."""
    require_capability(actor, Capability.MANAGE_ASSETS)
    errors, found = _asset_problems(actor, data, None)
    if errors:
        raise InvalidInput(errors)
    asset = Asset(status=data.status, registered_by=actor)
    _apply(asset, data, found)
    asset.save()
    _save_funding(asset, data.funding)
    _event(asset, actor, "register", "")
    project = found.get("project")
    if project is not None and project.state == ProjectState.COMPLETED:
        from fupin.projects import services as projects

        projects.register_assets(actor=actor, project=project)
    _audit(
        actor,
        "asset.register",
        asset,
        f"registered ({asset.asset_class}, {fen_text(asset.original_value_fen)} yuan)",
        asset_class=asset.asset_class,
        status=asset.status,
        original_value_fen=asset.original_value_fen,
        project=project.code if project else None,
        funding=dict(data.funding),
    )
    return asset


@transaction.atomic
def update_asset(*, actor: Any, asset: Asset | int, data: AssetInput, version: int) -> Asset:
    """Correct the ledger fields (not the status: it has its own steps)."""
    require_capability(actor, Capability.MANAGE_ASSETS)
    current = _locked(actor, asset)
    if current.version != version:
        raise StaleEdit()
    errors, found = _asset_problems(actor, data, current)
    if errors:
        raise InvalidInput(errors)
    before = {
        f: getattr(current, f)
        for f in ("name", "asset_class", "original_value_fen", "owner_entity", "operator")
    }
    _apply(current, data, found)
    current.version += 1
    current.save()
    if data.funding or current.funding.exists():
        _save_funding(current, data.funding)
    after = {f: getattr(current, f) for f in before}
    _audit(
        actor,
        "asset.update",
        current,
        "ledger fields corrected",
        **{k: [before[k], after[k]] for k in before if before[k] != after[k]},
    )
    return current


@transaction.atomic
def change_status(*, actor: Any, asset: Asset | int, to_status: str, reason: str = "") -> Asset:
    """Move the asset along its sequence (accepted, rights registered, in use, idle, inefficient)."""
    require_capability(actor, Capability.MANAGE_ASSETS)
    current = _locked(actor, asset)
    allowed = TRANSITIONS.get(current.status, ())
    if to_status not in allowed:
        if current.status == Status.RIGHTS_REGISTERED and to_status == Status.HANDED_OVER:
            raise Refused(
                _("Record the handover (date, parties, document): it moves the asset to handed over.")
            )
        raise Refused(
            lazy_format(
                _("An asset %(now)s cannot be marked %(to)s."),
                now=current.get_status_display(),
                to=Status(to_status).label if to_status in Status.values else to_status,
            )
        )
    reason = reason.strip()
    errors: Errors = {}
    if to_status in (Status.IDLE, Status.INEFFICIENT):
        _text_problem(errors, "reason", reason, 300)
    else:
        _text_problem(errors, "reason", reason, 300, required=False)
    if errors:
        raise InvalidInput(errors)
    before = current.status
    current.status = to_status
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _event(current, actor, "status", before, reason)
    _audit(actor, "asset.status", current, f"{before} → {to_status}", status=[before, to_status])
    return current


@dataclass(frozen=True)
class HandoverInput:
    handed_on: dt.date
    from_party: str
    to_party: str
    document: str


@transaction.atomic
def record_handover(*, actor: Any, asset: Asset | int, data: HandoverInput) -> Handover:
    """A handover (移交) to the owner or a new operator; the first moves a registered asset to handed over."""
    require_capability(actor, Capability.MANAGE_ASSETS)
    current = _locked(actor, asset)
    if current.status in (Status.UNDER_CONSTRUCTION, Status.ACCEPTED):
        raise Refused(_("Register the asset's rights (确权) before handing it over."))
    if current.status in (Status.DISPOSAL_APPROVED, Status.DISPOSED):
        raise Refused(_("A disposed asset is not handed over again."))
    errors: Errors = {}
    if data.handed_on > clock.today():
        add_error(errors, "handed_on", _("The date cannot be in the future."))
    _text_problem(errors, "from_party", data.from_party.strip(), 100)
    _text_problem(errors, "to_party", data.to_party.strip(), 100)
    _text_problem(errors, "document", data.document.strip(), 100)
    if errors:
        raise InvalidInput(errors)
    handover = Handover.objects.create(
        asset=current,
        handed_on=data.handed_on,
        from_party=data.from_party.strip(),
        to_party=data.to_party.strip(),
        document=data.document.strip(),
        recorded_by=actor,
    )
    if current.status == Status.RIGHTS_REGISTERED:
        before = current.status
        current.status = Status.HANDED_OVER
        current.version += 1
        current.save(update_fields=["status", "version", "updated_at"])
        _event(current, actor, "handover", before, handover.document)
    _audit(actor, "asset.handover", current, f"handed over on {data.handed_on}", document=handover.document)
    return handover


# ---------------------------------------------------------------- income and its distribution


@dataclass(frozen=True)
class IncomeInput:
    year: int
    amount_fen: int
    source: str
    received_on: dt.date
    note: str = ""


@transaction.atomic
def record_income(*, actor: Any, asset: Asset | int, data: IncomeInput) -> IncomeRecord:
    require_capability(actor, Capability.MANAGE_ASSETS)
    current = _locked(actor, asset)
    if current.status == Status.UNDER_CONSTRUCTION:
        raise Refused(_("An asset under construction earns nothing yet."))
    if current.asset_class == AssetClass.HOUSEHOLD:
        raise Refused(_("A household asset's income is the household's own: it is not recorded here."))
    errors: Errors = {}
    today = clock.today()
    if not current.year_formed <= data.year <= today.year:
        add_error(errors, "year", _("The year is between the year the asset was formed and this year."))
    _fen_problem(errors, "amount", data.amount_fen)
    if data.source not in IncomeSource.values:
        add_error(errors, "source", _("Choose where the income came from."))
    if data.received_on > today:
        add_error(errors, "received_on", _("The date cannot be in the future."))
    elif data.received_on.year < data.year:
        add_error(errors, "received_on", _("Income of a year is received in that year or later."))
    _text_problem(errors, "note", data.note.strip(), 200, required=False)
    if errors:
        raise InvalidInput(errors)
    record = IncomeRecord.objects.create(
        asset=current,
        year=data.year,
        amount_fen=data.amount_fen,
        source=data.source,
        received_on=data.received_on,
        note=data.note.strip(),
        recorded_by=actor,
    )
    _audit(
        actor,
        "asset.income",
        current,
        f"{data.year} income {fen_text(data.amount_fen)} yuan ({data.source})",
        year=data.year,
        amount_fen=data.amount_fen,
        source=data.source,
    )
    return record


def income_of(asset: Asset, year: int) -> int:
    return int(asset.incomes.filter(year=year).aggregate(s=Sum("amount_fen"))["s"] or 0)


def distributed_of(asset: Asset, year: int) -> int:
    return int(asset.distributions.filter(year=year).aggregate(s=Sum("total_fen"))["s"] or 0)


@dataclass(frozen=True)
class LineInput:
    use: str
    amount_fen: int
    households: Sequence[tuple[int, int]] = ()  # (household id, shares), split by largest remainder
    note: str = ""


@dataclass(frozen=True)
class DistributionInput:
    year: int
    total_fen: int
    decided_on: dt.date
    decision: str
    lines: Sequence[LineInput]


@dataclass(frozen=True)
class PlannedShare:
    household: Household
    weight: int
    amount_fen: int
    priority: bool


def is_priority(household: Household) -> bool:
    """Lifted-out (or still registered poor) or monitored: the households asset income goes to first."""
    return household.household_type in PRIORITY_TYPES or bool(household.monitoring_category)


def plan_distribution(
    actor: Any, asset: Asset, data: DistributionInput
) -> tuple[Errors, dict[int, list[PlannedShare]], int]:
    """Check a distribution and work out every household's amount.

    Returns the problems, the planned shares by line index and the fen going to priority households."""
    errors: Errors = {}
    planned: dict[int, list[PlannedShare]] = {}
    _fen_problem(errors, "total", data.total_fen)
    today = clock.today()
    if data.decided_on > today:
        add_error(errors, "decided_on", _("The date cannot be in the future."))
    elif data.decided_on.year < data.year:
        add_error(errors, "decided_on", _("A year's income is distributed in that year or later."))
    _text_problem(errors, "decision", data.decision.strip(), 200)
    if not data.lines:
        add_error(errors, "lines", _("Give at least one use with its amount."))
    seen: set[str] = set()
    for index, line in enumerate(data.lines):
        where = f"lines.{index}"
        if line.use in ForbiddenUse.values:
            add_error(
                errors,
                where,
                lazy_format(
                    _(
                        "Asset income may not pay for %(use)s (国办函〔2021〕51号): it goes to people "
                        "without labour, public-welfare posts, projects and upkeep, industry awards and "
                        "the collective economy."
                    ),
                    use=ForbiddenUse(line.use).label,
                ),
            )
            continue
        if line.use not in Use.values:
            add_error(errors, where, _("Choose a use from the list."))
            continue
        if line.use in seen:
            add_error(errors, where, lazy_format(_("%(use)s is listed twice."), use=Use(line.use).label))
        seen.add(line.use)
        _fen_problem(errors, where, line.amount_fen)
        _text_problem(errors, where, line.note.strip(), 200, required=False)
        if line.use in HOUSEHOLD_USES:
            if not line.households:
                add_error(
                    errors,
                    where,
                    lazy_format(_("%(use)s is paid to households: list them."), use=Use(line.use).label),
                )
                continue
            ids = [h for h, _w in line.households]
            if len(set(ids)) != len(ids):
                add_error(errors, where, _("A household is listed twice for one use."))
                continue
            if any(w <= 0 or w > 1000 for _h, w in line.households):
                add_error(errors, where, _("Each household's shares are a whole number from 1 to 1,000."))
                continue
            found = {
                h.pk: h
                for h in scope.scoped(Household.objects.select_related("village"), actor).filter(
                    pk__in=ids, village__county_code=asset.county.code
                )
            }
            if len(found) != len(ids):
                add_error(
                    errors, where, _("A household listed is not in your area or not in the asset's county.")
                )
                continue
            if line.amount_fen and 0 < line.amount_fen <= MAX_FEN:
                households = sorted(((found[h], w) for h, w in line.households), key=lambda p: p[0].number)
                amounts = rules.largest_remainder(line.amount_fen, [w for _h, w in households])
                planned[index] = [
                    PlannedShare(h, w, a, is_priority(h))
                    for (h, w), a in zip(households, amounts, strict=True)
                ]
        elif line.households:
            add_error(
                errors,
                where,
                lazy_format(
                    _("%(use)s is spent by the village, not paid to households."), use=Use(line.use).label
                ),
            )
    if errors:
        return errors, planned, 0
    parts = sum(line.amount_fen for line in data.lines)
    if parts != data.total_fen:
        add_error(
            errors,
            "total",
            lazy_format(
                _("The amounts by use add up to %(sum)s yuan, not the %(total)s yuan distributed."),
                sum=fen_text(parts),
                total=fen_text(data.total_fen),
            ),
        )
    income = income_of(asset, data.year)
    left = income - distributed_of(asset, data.year)
    if data.total_fen > left:
        add_error(
            errors,
            "total",
            lazy_format(
                _(
                    "Only %(left)s yuan of the asset's %(year)s income (%(income)s yuan) is left to "
                    "distribute: a distribution never exceeds the income."
                ),
                left=fen_text(max(left, 0)),
                year=data.year,
                income=fen_text(income),
            ),
        )
    priority_fen = sum(s.amount_fen for shares in planned.values() for s in shares if s.priority)
    if not errors:
        minimum = rules.rules_for(asset.county.code, data.decided_on).household_share_min
        if Decimal(priority_fen) < minimum * data.total_fen:
            add_error(
                errors,
                "lines",
                lazy_format(
                    _(
                        "Only %(share)s%% of the amount goes to lifted-out and monitored households; the "
                        "county's rule is at least %(min)s%%."
                    ),
                    share=percent_text((Decimal(priority_fen) / data.total_fen).quantize(Decimal("0.0001"))),
                    min=percent_text(minimum),
                ),
            )
    return errors, planned, priority_fen


@transaction.atomic
def distribute(*, actor: Any, asset: Asset | int, data: DistributionInput) -> Distribution:
    """Distribute (part of) a year's income: the uses add up to the total exactly, the total never exceeds
    the year's income not yet distributed, each household amount is a largest-remainder share of its use,
    and the share paid to lifted-out and monitored households meets the county's rule."""
    require_capability(actor, Capability.MANAGE_ASSETS)
    current = _locked(actor, asset)
    if current.asset_class == AssetClass.HOUSEHOLD:
        raise Refused(_("A household asset's income is the household's own: it is not distributed here."))
    if current.status not in (
        *EARNING_STATUSES,
        Status.DISPOSAL_REQUESTED,
        Status.DISPOSAL_APPROVED,
        Status.DISPOSED,
    ):
        raise Refused(_("Record the asset's income after it is handed over; then distribute it."))
    errors, planned, priority_fen = plan_distribution(actor, current, data)
    if errors:
        raise InvalidInput(errors)
    distribution = Distribution.objects.create(
        asset=current,
        year=data.year,
        total_fen=data.total_fen,
        household_share_ppm=priority_fen * 1_000_000 // data.total_fen,
        decided_on=data.decided_on,
        decision=data.decision.strip(),
        recorded_by=actor,
    )
    for index, line in sorted(enumerate(data.lines), key=lambda p: USE_ORDER[p[1].use]):
        saved = DistributionLine.objects.create(
            distribution=distribution, use=line.use, amount_fen=line.amount_fen, note=line.note.strip()
        )
        DistributionShare.objects.bulk_create(
            DistributionShare(
                line=saved,
                household=s.household,
                weight=s.weight,
                amount_fen=s.amount_fen,
                priority=s.priority,
            )
            for s in planned.get(index, [])
        )
    _audit(
        actor,
        "asset.distribute",
        current,
        f"{data.year} income distributed: {fen_text(data.total_fen)} yuan",
        year=data.year,
        total_fen=data.total_fen,
        lines={line.use: line.amount_fen for line in data.lines},
        households=sum(len(v) for v in planned.values()),
        priority_fen=priority_fen,
    )
    return distribution


# ---------------------------------------------------------------- disposal


@dataclass(frozen=True)
class DisposalInput:
    ground: str
    method: str
    reason: str
    meeting_on: dt.date
    meeting_resolution: str


DISPOSABLE = (
    Status.ACCEPTED,
    Status.RIGHTS_REGISTERED,
    Status.HANDED_OVER,
    Status.IN_USE,
    Status.IDLE,
    Status.INEFFICIENT,
)


@transaction.atomic
def request_disposal(*, actor: Any, asset: Asset | int, data: DisposalInput) -> Disposal:
    """The village meeting's resolution to dispose of the asset, sent to the township."""
    require_capability(actor, Capability.MANAGE_ASSETS)
    current = _locked(actor, asset)
    if current.status not in DISPOSABLE:
        raise Refused(
            lazy_format(
                _("An asset %(now)s cannot be put up for disposal."), now=current.get_status_display()
            )
        )
    errors: Errors = {}
    if data.ground not in DisposalGround.values:
        add_error(errors, "ground", _("Choose the ground for the disposal."))
    if data.method not in DisposalMethod.values:
        add_error(errors, "method", _("Choose how the asset is disposed of."))
    _text_problem(errors, "reason", data.reason.strip(), 1000)
    if data.meeting_on > clock.today():
        add_error(errors, "meeting_on", _("The date cannot be in the future."))
    _text_problem(errors, "meeting_resolution", data.meeting_resolution.strip(), 300)
    if errors:
        raise InvalidInput(errors)
    disposal = Disposal.objects.create(
        asset=current,
        ground=data.ground,
        method=data.method,
        reason=data.reason.strip(),
        meeting_on=data.meeting_on,
        meeting_resolution=data.meeting_resolution.strip(),
        state=DisposalState.REQUESTED,
        status_before=current.status,
        requested_by=actor,
    )
    before = current.status
    current.status = Status.DISPOSAL_REQUESTED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _event(current, actor, "disposal_request", before, data.ground)
    _audit(actor, "asset.disposal_request", current, f"disposal requested ({data.ground}, {data.method})")
    return disposal


def approval_area(asset: Asset) -> str:
    """The township whose approval a disposal needs (for a county's own asset: the county)."""
    return asset.area.township_code or asset.county.code


@transaction.atomic
def decide_disposal(*, actor: Any, disposal: Disposal | int, approve: bool, opinion: str) -> Disposal:
    """The township's approval, then the county's consent: two people, neither the one who asked."""
    require_capability(actor, Capability.APPROVE_ASSET_DISPOSAL)
    pk = disposal.pk if isinstance(disposal, Disposal) else disposal
    found = Disposal.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise OutOfScope()
    current = _locked(actor, found.asset_id)
    found = Disposal.objects.get(pk=pk)
    if found.state == DisposalState.REQUESTED:
        level_code = approval_area(current)
    elif found.state == DisposalState.TOWNSHIP_APPROVED:
        level_code = current.county.code
    else:
        raise Refused(_("This disposal is not waiting for an approval."))
    level = Area.objects.get(code=level_code)
    if not scope.area_in_scope(actor, level.path, "capture"):
        raise Refused(
            lazy_format(_("This step is taken by %(area)s: your area does not cover it."), area=level.name)
        )
    if actor.pk == found.requested_by_id:
        raise Refused(_("You asked for this disposal: another person approves it."))
    if found.state == DisposalState.TOWNSHIP_APPROVED and actor.pk == found.township_by_id:
        raise Refused(_("You gave the township's approval: another person gives the county's consent."))
    opinion = opinion.strip()
    errors: Errors = {}
    _text_problem(errors, "opinion", opinion, 300, required=not approve)
    if errors:
        raise InvalidInput(errors)
    today = clock.today()
    before = current.status
    township_step = found.state == DisposalState.REQUESTED
    if township_step:
        found.township_by, found.township_on, found.township_opinion = actor, today, opinion
    else:
        found.county_by, found.county_on, found.county_opinion = actor, today, opinion
    if not approve:
        found.state = DisposalState.REFUSED
        current.status = found.status_before
    elif township_step:
        found.state = DisposalState.TOWNSHIP_APPROVED
    else:
        found.state = DisposalState.APPROVED
        current.status = Status.DISPOSAL_APPROVED
    found.save()
    if current.status != before:
        current.version += 1
        current.save(update_fields=["status", "version", "updated_at"])
    step = "township" if township_step else "county"
    _event(current, actor, f"disposal_{step}_{'approve' if approve else 'refuse'}", before, opinion)
    _audit(
        actor,
        f"asset.disposal_{step}",
        current,
        f"disposal {'approved' if approve else 'refused'} by the {step}",
        disposal=found.pk,
        state=found.state,
    )
    return found


@dataclass(frozen=True)
class CompletionInput:
    disposed_on: dt.date
    proceeds_fen: int
    proceeds_use: str


@transaction.atomic
def complete_disposal(*, actor: Any, disposal: Disposal | int, data: CompletionInput) -> Disposal:
    """The approved disposal carried out; its proceeds go back into consolidating poverty alleviation."""
    require_capability(actor, Capability.MANAGE_ASSETS)
    pk = disposal.pk if isinstance(disposal, Disposal) else disposal
    found = Disposal.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise OutOfScope()
    current = _locked(actor, found.asset_id)
    found = Disposal.objects.get(pk=pk)
    if found.state != DisposalState.APPROVED:
        raise Refused(
            _("Only an approved disposal is carried out: it needs the township's and the county's approval.")
        )
    errors: Errors = {}
    if data.disposed_on > clock.today():
        add_error(errors, "disposed_on", _("The date cannot be in the future."))
    elif found.county_on and data.disposed_on < found.county_on:
        add_error(errors, "disposed_on", _("An asset is disposed of after the county's consent."))
    _fen_problem(errors, "proceeds", data.proceeds_fen, positive=False)
    _text_problem(errors, "proceeds_use", data.proceeds_use.strip(), 200, required=data.proceeds_fen > 0)
    if errors:
        raise InvalidInput(errors)
    found.state = DisposalState.COMPLETED
    found.disposed_on = data.disposed_on
    found.proceeds_fen = data.proceeds_fen
    found.proceeds_use = data.proceeds_use.strip()
    found.save()
    before = current.status
    current.status = Status.DISPOSED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _event(current, actor, "disposed", before, found.proceeds_use)
    _audit(
        actor,
        "asset.disposed",
        current,
        f"disposed on {data.disposed_on}, proceeds {fen_text(data.proceeds_fen)} yuan",
        proceeds_fen=data.proceeds_fen,
    )
    return found
