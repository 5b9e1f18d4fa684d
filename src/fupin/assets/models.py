"""Project assets (帮扶项目资产, 国办函〔2021〕51号): what projects leave behind, and what it earns.

An asset has a class (经营性 operating, 公益性 public-welfare, 到户类 household), a sub-type, the project
that formed it (none for assets formed before the system), its original value by funding source (fen),
its place, its owner (level and entity; a registry household for household assets), operator and
contract with the guaranteed return (保底收益), who maintains it, and a status along the national
sequence 在建 → 已验收 → 已确权 → 已移交 → 在用 → 闲置/低效 → 处置申请 → 已批准 → 已处置.

Its yearly income is recorded (``IncomeRecord``) and distributed (``Distribution``) to uses in the
order of domain-wave2.md §2 and to households (``DistributionShare``); a disposal (``Disposal``) needs
the village meeting, the township's approval and the county's consent, by two people other than the
one who asked. See docs/assets.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.projects.models import FundSource


class AssetClass(models.TextChoices):
    OPERATING = "operating", _("Operating asset (经营性)")
    PUBLIC_WELFARE = "public_welfare", _("Public-welfare asset (公益性)")
    HOUSEHOLD = "household", _("Household asset (到户类)")


class SubType(models.TextChoices):
    ROAD = "road", _("Road or bridge")
    WATER = "water", _("Water supply or irrigation")
    SOLAR = "solar", _("Solar power station")
    WORKSHOP = "workshop", _("Workshop or plant building")
    EQUIPMENT = "equipment", _("Equipment")
    LIVESTOCK = "livestock", _("Livestock")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    UNDER_CONSTRUCTION = "under_construction", _("Under construction (在建)")
    ACCEPTED = "accepted", _("Accepted (已验收)")
    RIGHTS_REGISTERED = "rights_registered", _("Rights registered (已确权)")
    HANDED_OVER = "handed_over", _("Handed over (已移交)")
    IN_USE = "in_use", _("In use (在用)")
    IDLE = "idle", _("Idle (闲置)")
    INEFFICIENT = "inefficient", _("Inefficient (低效)")
    DISPOSAL_REQUESTED = "disposal_requested", _("Disposal requested (处置申请)")
    DISPOSAL_APPROVED = "disposal_approved", _("Disposal approved (已批准)")
    DISPOSED = "disposed", _("Disposed (已处置)")


# Assets still on the books (a disposed asset stays in the ledger, marked).
ACTIVE_STATUSES = tuple(s for s in Status.values if s != Status.DISPOSED)
# Assets that can earn and whose income can be distributed.
EARNING_STATUSES = (Status.HANDED_OVER, Status.IN_USE, Status.IDLE, Status.INEFFICIENT)


class OwnerLevel(models.TextChoices):
    VILLAGE = "village", _("Village collective")
    TOWNSHIP = "township", _("Township")
    COUNTY = "county", _("County")
    HOUSEHOLD = "household", _("Household")


class Asset(models.Model):
    code = models.CharField(_("asset code"), max_length=30, unique=True)
    name = models.CharField(_("asset name"), max_length=120)
    asset_class = models.CharField(_("asset class"), max_length=20, choices=AssetClass.choices)
    sub_type = models.CharField(_("sub-type"), max_length=20, choices=SubType.choices)
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("source project"),
    )
    year_formed = models.PositiveSmallIntegerField(_("year formed"))
    original_value_fen = models.BigIntegerField(_("original value (fen)"))
    # Where it is (village, township or county) and the county whose master ledger holds it.
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("place")
    )
    county = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    owner_level = models.CharField(_("owner level"), max_length=10, choices=OwnerLevel.choices)
    owner_entity = models.CharField(_("owner"), max_length=100)
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owning household"),
    )
    operator = models.CharField(_("operator"), max_length=100, blank=True)
    contract_from = models.DateField(_("contract from"), null=True, blank=True)
    contract_to = models.DateField(_("contract to"), null=True, blank=True)
    # 保底收益: the operator's yearly guaranteed return, as a share of the original value (0.0600 = 6%).
    guaranteed_rate = models.DecimalField(
        _("guaranteed return rate"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    maintenance_body = models.CharField(_("maintenance body"), max_length=100, blank=True)
    maintenance_person = models.CharField(_("person responsible for maintenance"), max_length=40, blank=True)
    beneficiaries = models.PositiveIntegerField(_("households benefiting"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["county", "area__path", "code"]
        indexes = [models.Index(fields=["county", "asset_class", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Funding(models.Model):
    """The original value by funding source (fen); the parts add up to the original value exactly."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="funding")
    source = models.CharField(_("funding source"), max_length=20, choices=FundSource.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        ordering = ["asset", "id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "source"], name="asset_funding_one_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.source} {self.amount_fen}"


class Handover(models.Model):
    """The handover (移交) of the asset to its owner or operator, with the document that records it."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="handovers")
    handed_on = models.DateField(_("handed over on"))
    from_party = models.CharField(_("handed over by"), max_length=100)
    to_party = models.CharField(_("received by"), max_length=100)
    document = models.CharField(_("handover document"), max_length=100)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "handed_on", "id"]

    def __str__(self) -> str:
        return f"handover of {self.asset_id} on {self.handed_on}"


class IncomeSource(models.TextChoices):
    RENT = "rent", _("Rent")
    DIVIDEND = "dividend", _("Dividend")
    SALES = "sales", _("Sales (e.g. electricity)")
    GUARANTEED = "guaranteed", _("Guaranteed return")
    OTHER = "other", _("Other income")


class IncomeRecord(models.Model):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="incomes")
    year = models.PositiveSmallIntegerField(_("year"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    source = models.CharField(_("income source"), max_length=12, choices=IncomeSource.choices)
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "-year", "received_on", "id"]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.year} {self.amount_fen}"


class Use(models.TextChoices):
    """What asset income may pay for, in the order of use (domain-wave2.md §2)."""

    NO_LABOUR = "no_labour", _("① Support for people without labour capacity")
    POST_WAGES = "post_wages", _("② Wages of village public-welfare posts")
    PROJECTS = "projects", _("③ Linkage projects and asset upkeep")
    INDUSTRY_AWARDS = "industry_awards", _("④ Awards for developing industry")
    COLLECTIVE = "collective", _("⑤ Village collective economy")


USE_ORDER = {use: index for index, use in enumerate(Use.values, start=1)}
# Uses paid out to households one by one (the others are spent by the village).
HOUSEHOLD_USES = (Use.NO_LABOUR, Use.POST_WAGES, Use.INDUSTRY_AWARDS)


class ForbiddenUse(models.TextChoices):
    """What asset income may never pay for (domain-wave2.md §2): refused with the reason."""

    RUNNING_COSTS = "running_costs", _("Village committee running costs")
    VEHICLES = "vehicles", _("Vehicles or phones")
    ALLOWANCES = "allowances", _("Allowances or bonuses for cadres")
    DEBTS = "debts", _("Losses or debts")
    BUILDINGS = "buildings", _("Office buildings (楼堂馆所)")
    LARGE_INFRASTRUCTURE = "large_infrastructure", _("Large infrastructure")


class Distribution(models.Model):
    """One distribution of an asset's income of a year: the amounts by use add up to ``total_fen``."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="distributions")
    year = models.PositiveSmallIntegerField(_("income year"))
    total_fen = models.BigIntegerField(_("amount distributed (fen)"))
    # The share of the total paid to lifted-out and monitored households, in millionths, as checked.
    household_share_ppm = models.PositiveIntegerField(default=0)
    decided_on = models.DateField(_("decided on"))
    decision = models.CharField(_("decision (meeting, document)"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "-year", "id"]

    def __str__(self) -> str:
        return f"distribution of {self.asset_id} {self.year}"


class DistributionLine(models.Model):
    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="lines")
    use = models.CharField(_("use"), max_length=20, choices=Use.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["distribution", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "use"], name="asset_distribution_one_line_per_use"
            )
        ]

    def __str__(self) -> str:
        return f"{self.use} {self.amount_fen}"


class DistributionShare(models.Model):
    """What one household receives from one use of a distribution (largest-remainder split of the line)."""

    line = models.ForeignKey(DistributionLine, on_delete=models.CASCADE, related_name="shares")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveIntegerField(_("shares"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    # Lifted-out or monitored when the distribution was made (counts towards the household share).
    priority = models.BooleanField(default=False)

    class Meta:
        ordering = ["line", "id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "household"], name="asset_share_once_per_line")
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.amount_fen}"


class DisposalGround(models.TextChoices):
    DISASTER = "disaster", _("Destroyed by a disaster")
    PLANNING = "planning", _("Demolished for planning or policy")
    END_OF_LIFE = "end_of_life", _("End of its life or technical fault")
    IDLE_LOSS = "idle_loss", _("Idle or loss-making operating asset")
    EQUITY_ENDED = "equity_ended", _("Equity agreement ended")
    REPLACED = "replaced", _("Replaced by a new project")


class DisposalMethod(models.TextChoices):
    AUCTION = "auction", _("Auction (拍卖)")
    TRANSFER = "transfer", _("Transfer (转让)")
    CHANGE_OF_USE = "change_of_use", _("Change of use (转产)")
    SUSPEND = "suspend", _("Suspension (报停)")
    WRITE_OFF = "write_off", _("Write-off (报损)")
    SCRAP = "scrap", _("Scrapping (报废)")


class DisposalState(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the township's approval")
    TOWNSHIP_APPROVED = "township_approved", _("Waiting for the county's consent")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    COMPLETED = "completed", _("Disposed")


class Disposal(models.Model):
    """A disposal: the village meeting's resolution, the township's approval, the county's consent."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="disposals")
    ground = models.CharField(_("ground"), max_length=15, choices=DisposalGround.choices)
    method = models.CharField(_("method"), max_length=15, choices=DisposalMethod.choices)
    reason = models.TextField(_("reason"), max_length=1000)
    meeting_on = models.DateField(_("village meeting held on"))
    meeting_resolution = models.CharField(_("village meeting resolution"), max_length=300)
    state = models.CharField(_("state"), max_length=20, choices=DisposalState.choices)
    status_before = models.CharField(max_length=20, choices=Status.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    township_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    township_on = models.DateField(null=True, blank=True)
    township_opinion = models.CharField(_("township opinion"), max_length=300, blank=True)
    county_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    county_on = models.DateField(null=True, blank=True)
    county_opinion = models.CharField(_("county opinion"), max_length=300, blank=True)
    disposed_on = models.DateField(_("disposed on"), null=True, blank=True)
    proceeds_fen = models.BigIntegerField(_("proceeds (fen)"), null=True, blank=True)
    proceeds_use = models.CharField(_("where the proceeds go"), max_length=200, blank=True)

    class Meta:
        ordering = ["asset", "-requested_at", "-id"]

    def __str__(self) -> str:
        return f"disposal of {self.asset_id} ({self.state})"


EVENT_ACTIONS = {
    "register": _("Registered"),
    "status": _("Status changed"),
    "handover": _("Handed over"),
    "disposal_request": _("Disposal requested"),
    "disposal_township_approve": _("Disposal approved by the township"),
    "disposal_township_refuse": _("Disposal refused by the township"),
    "disposal_county_approve": _("Disposal consented to by the county"),
    "disposal_county_refuse": _("Disposal refused by the county"),
    "disposed": _("Disposed"),
}


class Event(models.Model):
    """One change of an asset's status, with its reason: the asset's history (the audit log has it too)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on {self.asset_id}"

    @property
    def action_label(self) -> str:
        return str(EVENT_ACTIONS.get(self.action, self.action))

    @property
    def from_label(self) -> str:
        return str(Status(self.from_status).label) if self.from_status in Status.values else "—"

    @property
    def to_label(self) -> str:
        return str(Status(self.to_status).label) if self.to_status in Status.values else self.to_status


scope.register(Asset, "area__path")
for _model in (Funding, Handover, IncomeRecord, Distribution, Disposal, Event):
    scope.register(_model, "asset__area__path")
scope.register(DistributionLine, "distribution__asset__area__path")
scope.register(DistributionShare, "line__distribution__asset__area__path")
