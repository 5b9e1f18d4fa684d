"""The project library (项目库): a project from a village's proposal to the assets it leaves behind.

"村申报、乡审核、县审定" with "三公示一公告" (domain-wave2.md §1): the village proposes and posts a
notice, the township reviews and posts its notice, the county appraises (论证) and approves (审定)
with the library notice; an approved project enters the library, is planned for a year, gets a notice
before it starts, is carried out, accepted on completion (with the completion announcement) and hands
over its assets (``fupin.assets``). The steps, who takes them and the no-self-review rule are the table
in ``fupin.projects.workflow``; the money of the year's plan is ``fupin.funds``.

A project cannot leave the village without a link to farmers (联农带农) and performance targets
(绩效目标, the national three-level table): see ``services.completeness``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope


class Category(models.TextChoices):
    """The first-level project types of the county forms (domain-wave2.md §1, 类型)."""

    INDUSTRY = "industry", _("Industry development")
    EMPLOYMENT = "employment", _("Employment")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    RURAL_CONSTRUCTION = "rural_construction", _("Rural construction")
    PUBLIC_SERVICES = "public_services", _("Public services")
    FINANCE = "finance", _("Financial support")
    MANAGEMENT_FEE = "management_fee", _("Project management fee")
    OTHER = "other", _("Other")


class Nature(models.TextChoices):
    NEW = "new", _("New construction")
    CONTINUED = "continued", _("Continued construction")


class FundSource(models.TextChoices):
    """Where a project's money comes from (资金来源). Linkage funds are 衔接资金."""

    CENTRAL = "central", _("Central linkage funds")
    PROVINCIAL = "provincial", _("Provincial linkage funds")
    MUNICIPAL = "municipal", _("Municipal linkage funds")
    COUNTY = "county", _("County linkage funds")
    INTEGRATED = "integrated", _("Integrated agriculture-related funds")
    EAST_WEST = "east_west", _("East-West cooperation funds")
    DESIGNATED = "designated", _("Designated help funds")
    SELF_RAISED = "self_raised", _("Self-raised and other funds")


class LinkKind(models.TextChoices):
    """How the project drives farmers' income (联农带农 mechanisms)."""

    EMPLOYMENT = "employment", _("Jobs for local workers")
    DIVIDENDS = "dividends", _("Dividends or shares")
    ASSET_INCOME = "asset_income", _("Income from collective assets")
    PURCHASE = "purchase", _("Purchase of farmers' products")
    LAND_RENT = "land_rent", _("Land rent")
    HOUSEHOLD_SUPPORT = "household_support", _("Direct support to households")
    PUBLIC_BENEFIT = "public_benefit", _("Better living and production conditions")


class State(models.TextChoices):
    DRAFT = "draft", _("Being prepared by the village")
    VILLAGE_NOTICE = "village_notice", _("Village notice posted")
    TOWNSHIP_REVIEW = "township_review", _("Township review")
    TOWNSHIP_NOTICE = "township_notice", _("Township notice posted")
    COUNTY_APPRAISAL = "county_appraisal", _("County appraisal")
    COUNTY_DECISION = "county_decision", _("County decision")
    COUNTY_NOTICE = "county_notice", _("County library notice posted")
    IN_LIBRARY = "in_library", _("In the project library")
    PLANNED = "planned", _("In the year's plan")
    PRE_START_NOTICE = "pre_start_notice", _("Notice before construction posted")
    UNDER_WAY = "under_way", _("Under way")
    COMPLETED = "completed", _("Completed and accepted")
    ASSETS_REGISTERED = "assets_registered", _("Assets registered")
    REJECTED = "rejected", _("Not admitted")
    TERMINATED = "terminated", _("Terminated")


# Approved projects: what the library and the year's plan count.
APPROVED_STATES = (
    State.IN_LIBRARY,
    State.PLANNED,
    State.PRE_START_NOTICE,
    State.UNDER_WAY,
    State.COMPLETED,
    State.ASSETS_REGISTERED,
)
# Projects whose money is being or has been spent (funds may be disbursed to them).
SPENDING_STATES = (
    State.PLANNED,
    State.PRE_START_NOTICE,
    State.UNDER_WAY,
    State.COMPLETED,
    State.ASSETS_REGISTERED,
)


class Project(models.Model):
    code = models.CharField(_("project code"), max_length=30, unique=True)
    name = models.CharField(_("project name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    subcategory = models.CharField(_("sub-type"), max_length=60, blank=True)
    nature = models.CharField(
        _("nature of construction"), max_length=10, choices=Nature.choices, default=Nature.NEW
    )
    # Where it is: the proposing village (or the township or county for projects of several villages);
    # ``villages`` lists every village it is built in or serves.
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("place")
    )
    county = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    villages = models.ManyToManyField("areas.Area", related_name="+", blank=True, verbose_name=_("villages"))
    content = models.TextField(_("construction content and scale"), max_length=2000)
    implementing_unit = models.CharField(_("implementing unit"), max_length=100)
    unit_person = models.CharField(_("person responsible (implementing unit)"), max_length=40)
    department = models.CharField(_("competent department"), max_length=100, blank=True)
    contractor = models.CharField(_("contractor"), max_length=100, blank=True)
    contractor_person = models.CharField(_("person responsible (contractor)"), max_length=40, blank=True)
    procurement = models.CharField(_("procurement and tendering"), max_length=200, blank=True)
    months = models.PositiveSmallIntegerField(_("implementation period (months)"))
    starts_on = models.DateField(_("planned start"), null=True, blank=True)
    ends_on = models.DateField(_("planned end"), null=True, blank=True)
    unit_subsidy = models.CharField(_("subsidy standard"), max_length=100, blank=True)
    # 联农带农: the link to farmers. A project without it never leaves the village.
    link_kind = models.CharField(
        _("link to farmers: kind"), max_length=20, choices=LinkKind.choices, blank=True
    )
    link_description = models.TextField(_("link to farmers"), max_length=1000, blank=True)
    households_driven = models.PositiveIntegerField(_("households driven"), default=0)
    persons_driven = models.PositiveIntegerField(_("persons driven"), default=0)
    expected_income_fen = models.BigIntegerField(_("expected yearly income per household (fen)"), default=0)
    household_project = models.BooleanField(_("household project (到户)"), default=False)

    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    # The year the county means to fund it; moves on when an approved project is not funded in it (结转).
    year = models.PositiveSmallIntegerField(_("year"))
    library_year = models.PositiveSmallIntegerField(_("year admitted to the library"), null=True, blank=True)
    settled_fen = models.BigIntegerField(_("settled amount (fen)"), null=True, blank=True)
    audited_fen = models.BigIntegerField(_("audited final amount (fen)"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    acceptance_note = models.TextField(_("acceptance result"), max_length=1000, blank=True)
    # The people of each step: nobody reviews a step they took (fupin.projects.workflow).
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    township_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year", "code"]
        indexes = [models.Index(fields=["county", "year", "state"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Budget(models.Model):
    """The project's budget by funding source (fen), as proposed and approved."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget")
    source = models.CharField(_("funding source"), max_length=20, choices=FundSource.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "source"], name="project_budget_one_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.source} {self.amount_fen}"


class TargetLevel(models.TextChoices):
    """The three first-level indicators of the national performance-target table."""

    OUTPUT = "output", _("Output")
    EFFECT = "effect", _("Effect")
    SATISFACTION = "satisfaction", _("Satisfaction")


class TargetKind(models.TextChoices):
    """Second-level indicators (财办农〔2019〕68号 format)."""

    QUANTITY = "quantity", _("Quantity")
    QUALITY = "quality", _("Quality")
    TIMELINESS = "timeliness", _("Timeliness")
    COST = "cost", _("Cost")
    ECONOMIC = "economic", _("Economic benefit")
    SOCIAL = "social", _("Social benefit")
    ECOLOGICAL = "ecological", _("Ecological benefit")
    SUSTAINABILITY = "sustainability", _("Sustainability")
    BENEFICIARIES = "beneficiaries", _("Beneficiaries' satisfaction")


TARGET_KINDS_BY_LEVEL = {
    TargetLevel.OUTPUT: (TargetKind.QUANTITY, TargetKind.QUALITY, TargetKind.TIMELINESS, TargetKind.COST),
    TargetLevel.EFFECT: (
        TargetKind.ECONOMIC,
        TargetKind.SOCIAL,
        TargetKind.ECOLOGICAL,
        TargetKind.SUSTAINABILITY,
    ),
    TargetLevel.SATISFACTION: (TargetKind.BENEFICIARIES,),
}


class PerformanceTarget(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets")
    level = models.CharField(_("first-level indicator"), max_length=15, choices=TargetLevel.choices)
    kind = models.CharField(_("second-level indicator"), max_length=15, choices=TargetKind.choices)
    indicator = models.CharField(_("indicator"), max_length=100)
    comparator = models.CharField(_("comparator"), max_length=2)  # ≥ ≤ = > <
    value = models.CharField(_("value"), max_length=30)
    unit = models.CharField(_("unit"), max_length=20, blank=True)

    class Meta:
        ordering = ["project", "id"]

    def __str__(self) -> str:
        return f"{self.indicator} {self.comparator} {self.value} {self.unit}"


class Beneficiary(models.Model):
    """A registry household the project benefits (到户 projects list them all on their notices)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="beneficiaries")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    how = models.CharField(_("how it benefits"), max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "household"], name="project_beneficiary_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} → {self.household_id}"


class Verdict(models.TextChoices):
    PASS = "pass", _("Passes")
    FAIL = "fail", _("Does not pass")


class Appraisal(models.Model):
    """The county's appraisal (论证): each point judged, with the reasons."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="appraisal")
    necessity = models.CharField(_("necessity"), max_length=4, choices=Verdict.choices)
    feasibility = models.CharField(_("feasibility"), max_length=4, choices=Verdict.choices)
    budget = models.CharField(_("budget estimate"), max_length=4, choices=Verdict.choices)
    link_to_farmers = models.CharField(_("link to farmers"), max_length=4, choices=Verdict.choices)
    targets = models.CharField(_("performance targets"), max_length=4, choices=Verdict.choices)
    compliance = models.CharField(_("compliance and land use"), max_length=4, choices=Verdict.choices)
    opinion = models.TextField(_("opinion"), max_length=1000)
    appraised_on = models.DateField(_("appraised on"))
    appraised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    POINTS = ("necessity", "feasibility", "budget", "link_to_farmers", "targets", "compliance")

    def __str__(self) -> str:
        return f"appraisal of {self.project_id}"

    def passes(self) -> bool:
        return all(getattr(self, point) == Verdict.PASS for point in self.POINTS)


class NoticeKind(models.TextChoices):
    PROPOSAL = "proposal", _("Village notice of the proposal")
    REVIEW = "review", _("Township notice of the review")
    LIBRARY = "library", _("County notice of the library")
    PRE_START = "pre_start", _("Notice before construction")
    COMPLETION = "completion", _("Announcement after completion")


class Notice(models.Model):
    """A public notice of one project at one step, with its period (minimum days from the policy pack)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("notice"), max_length=12, choices=NoticeKind.choices)
    posted_on = models.DateField(_("posted on"))
    ends_on = models.DateField(_("notice ends on"))
    place = models.CharField(_("posted at"), max_length=100)
    objections = models.TextField(_("objections received"), max_length=1000, blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["project", "posted_on", "id"]

    def __str__(self) -> str:
        return f"{self.kind} notice of {self.project_id} from {self.posted_on}"


class Event(models.Model):
    """One step of a project with its reason: the project's history page (the audit log has it too)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    reason = models.TextField(max_length=1000, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on {self.project_id}"


scope.register(Project, "area__path")
scope.register(Budget, "project__area__path")
scope.register(PerformanceTarget, "project__area__path")
scope.register(Beneficiary, "project__area__path")
scope.register(Notice, "project__area__path")
scope.register(Event, "project__area__path")
