"""Helpers and their twinning with households, helping units and task forces of villages, and visits.

domain.md section 6 and seed 004: every monitored or lifted-out household has helper cadre(s), each
helper takes as many households as the county's quota for the helper's rank allows ("321": county
leaders 3, section level 2, general staff 1); every (poor) village has a helping unit and a village
task force with a first secretary. Quotas and task-force rules are the county's settings.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope
from fupin.core.errors import Message

# The ranks a county starts with, and their labels; a county renames them, changes their quotas and
# adds its own ranks on its settings page (RankQuota).
DEFAULT_RANK_LABELS: dict[str, Message] = {
    "county_leader": _("County leader (县级领导)"),
    "section": _("Section level (科级)"),
    "general": _("General staff (一般干部)"),
}


class RankQuota(models.Model):
    """One rank of helper in one county and how many households a helper of that rank takes."""

    county = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    code = models.CharField(_("code"), max_length=30)
    # Blank: the built-in label of ``code`` in the reader's language.
    name = models.CharField(_("rank"), max_length=50, blank=True)
    households = models.PositiveSmallIntegerField(_("households per helper"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["county_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["county", "code"], name="one_quota_per_county_rank")]
        verbose_name = _("rank quota")

    def __str__(self) -> str:
        return f"{self.county_id}/{self.code}={self.households}"

    @property
    def label(self) -> str:
        return self.name or str(DEFAULT_RANK_LABELS.get(self.code, self.code))


class CountyTwinningRules(models.Model):
    """A county's task-force rules; without a row, the defaults of the Django settings apply."""

    county = models.OneToOneField(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    task_force_min_members = models.PositiveSmallIntegerField(_("minimum members of a village task force"))
    task_force_min_term_months = models.PositiveSmallIntegerField(_("minimum term (months)"))
    require_first_secretary = models.BooleanField(_("a first secretary is required"))
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rules of {self.county_id}"


class Helper(models.Model):
    """A cadre who helps households (帮扶责任人). Kept by the county, or by a township or village."""

    name = models.CharField(_("name"), max_length=50, db_index=True)
    unit = models.CharField(_("work unit"), max_length=100)
    rank = models.CharField(_("rank"), max_length=30)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("kept by area")
    )
    phone_enc = models.TextField(blank=True)
    phone_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("still helping"), default=True)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("helper")
        verbose_name_plural = _("helpers")

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """A helper twinned with a household from a day on; current while it has no end date."""

    helper = models.ForeignKey(Helper, on_delete=models.PROTECT, related_name="assignments")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="twinning_assignments"
    )
    started_on = models.DateField(_("twinned from"))
    ended_on = models.DateField(_("twinned until"), null=True, blank=True)
    end_reason = models.CharField(_("reason the twinning ended"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["helper", "household"],
                condition=models.Q(ended_on__isnull=True),
                name="one_current_twinning_per_helper_and_household",
            )
        ]
        indexes = [
            models.Index(fields=["household", "ended_on"]),
            models.Index(fields=["helper", "ended_on"]),
        ]
        verbose_name = _("twinning")

    def __str__(self) -> str:
        return f"{self.helper_id}→{self.household_id} from {self.started_on}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class HelpingUnit(models.Model):
    """A unit (department, enterprise) that helps one village (帮扶单位) for a period."""

    village = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    name = models.CharField(_("helping unit"), max_length=100)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["village_id", "-started_on", "id"]
        verbose_name = _("helping unit")

    def __str__(self) -> str:
        return self.name


class TaskForceRole(models.TextChoices):
    FIRST_SECRETARY = "first_secretary", _("First secretary (第一书记)")
    CAPTAIN = "captain", _("Task force captain (工作队队长)")
    MEMBER = "member", _("Task force member (工作队队员)")


class TaskForceMember(models.Model):
    """A member of a village task force (驻村工作队) with the term they are sent for."""

    village = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=50)
    unit = models.CharField(_("work unit"), max_length=100)
    role = models.CharField(_("role in the task force"), max_length=20, choices=TaskForceRole.choices)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    left_on = models.DateField(_("left early on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["village_id", "role", "term_start", "id"]
        verbose_name = _("task force member")

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """A visit to a household: by one of its helpers, or by the cadre who records it."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("visited on"))
    helper = models.ForeignKey(
        Helper,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("helper"),
    )
    # Who went: the helper's name, or the recording cadre's, kept as it was on the day.
    visitor_name = models.CharField(_("visited by"), max_length=150)
    findings = models.TextField(_("findings"))
    follow_up = models.TextField(_("follow-up actions"), blank=True)
    risk_present = models.BooleanField(_("risk still present"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["household", "visited_on"])]
        verbose_name = _("visit")

    def __str__(self) -> str:
        return f"{self.household_id} visited {self.visited_on}"


class VisitPhoto(models.Model):
    """A photo taken on a visit: a JPEG or PNG under MEDIA_ROOT, served only by a scoped page."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(max_length=200)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit_id", "id"]

    def __str__(self) -> str:
        return self.file.name


scope.register(Helper, "area__path")
scope.register(Assignment, "household__village__path")
scope.register(HelpingUnit, "village__path")
scope.register(TaskForceMember, "village__path")
scope.register(Visit, "household__village__path")
scope.register(VisitPhoto, "visit__household__village__path")
