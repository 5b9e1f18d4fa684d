"""Employment (就业帮扶, 务工监测): what each labour-capable member of a lifted-out or monitored household
works at, month by month, and the yearly targets of persons in work per area.

An ``EmploymentRecord`` says what a member does from its start month on: working (where, for whom or in
which kind of job, for what monthly income), not working (and why), in school, or unable to work. Records
are never changed or deleted: a new record supersedes the member's current one (``supersedes``, unique, so
two cadres saving at once cannot both supersede the same record), and the current record is the one no
other record supersedes. What a member did in a past month is the latest record starting on or before it.

A ``Target`` is the number of persons in work an area is to reach in a year; a province sets it per county,
a county per township. Targets are appended too: a changed target is a new row, the latest one counts, and
each row keeps who set it and when.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts import scope

# A monthly wage above this is a typing error (an annual figure, or fen typed as yuan), not a wage.
MAX_MONTHLY_INCOME = Decimal(100_000)


class Status(models.TextChoices):
    WORKING = "working", _("Working")
    NOT_WORKING = "not_working", _("Not working")
    IN_SCHOOL = "in_school", _("In school")
    UNABLE = "unable", _("Unable to work")


class Place(models.TextChoices):
    """Where the work is, from the household's point of view (务工所在地)."""

    TOWNSHIP = "township", _("In the township")
    COUNTY = "county", _("In the county, outside the township")
    PROVINCE = "province", _("In the province, outside the county")
    OTHER_PROVINCE = "other_province", _("In another province")


class Kind(models.TextChoices):
    """The employer or kind of work (就业渠道)."""

    ENTERPRISE = "enterprise", _("Enterprise")
    WORKSHOP = "workshop", _("Help workshop")
    PUBLIC_WELFARE_POST = "public_welfare_post", _("Public-welfare post")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    FLEXIBLE = "flexible", _("Flexible work")


class Reason(models.TextChoices):
    """Why a labour-capable person is not working: what the follow-up needs to know."""

    SEEKING = "seeking", _("Looking for work")
    FAMILY_CARE = "family_care", _("Caring for the family")
    ILLNESS = "illness", _("Illness or injury")
    SEASONAL = "seasonal", _("Between seasonal jobs")
    RETURNED = "returned", _("Returned from migrant work")
    OTHER = "other", _("Other")


class EmploymentRecord(models.Model):
    member = models.ForeignKey(
        "registry.Member",
        on_delete=models.PROTECT,
        related_name="employment_records",
        verbose_name=_("member"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    place = models.CharField(_("place of work"), max_length=20, choices=Place.choices, blank=True)
    province_code = models.CharField(_("province of work"), max_length=2, blank=True)
    kind = models.CharField(_("kind of work"), max_length=30, choices=Kind.choices, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    start_month = models.DateField(_("start month"))  # always the first of the month
    end_month = models.DateField(_("end month"), null=True, blank=True)
    monthly_income = models.DecimalField(
        _("monthly income (yuan)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal(0), message=_("Amounts cannot be negative.")),
            MaxValueValidator(MAX_MONTHLY_INCOME),
        ],
    )
    reason = models.CharField(_("reason not working"), max_length=20, choices=Reason.choices, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member_id", "id"]
        indexes = [
            models.Index(fields=["member", "start_month"]),
            models.Index(fields=["status", "start_month"]),
        ]
        verbose_name = _("employment record")
        verbose_name_plural = _("employment records")

    def __str__(self) -> str:
        return f"{self.member_id} {self.status} {self.start_month:%Y-%m}"


class Target(models.Model):
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    year = models.PositiveSmallIntegerField(_("year"))
    persons = models.PositiveIntegerField(_("persons in work"), validators=[MaxValueValidator(100_000_000)])
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area_id", "year", "id"]
        indexes = [models.Index(fields=["year", "area"])]
        verbose_name = _("employment target")
        verbose_name_plural = _("employment targets")

    def __str__(self) -> str:
        return f"{self.area_id} {self.year}: {self.persons}"


# ---------------------------------------------------------------- public-welfare posts (乡村公益性岗位)


class PostKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary post (cleaning, patrols, road upkeep)")
    SKILLED = "skilled", _("Technical or skilled post")
    SPECIAL = "special", _("Special post")


class Post(models.Model):
    """A rural public-welfare post of a village (or township): what it pays each month and for how long.

    A temporary post (临时公益性岗位, seed 002 measure 9) is held for a few months at most: the pack's
    ``temporary_post_max_months`` a year for each person.
    """

    code = models.CharField(_("post number"), max_length=40, unique=True)
    title = models.CharField(_("post"), max_length=100)
    kind = models.CharField(_("kind of post"), max_length=20, choices=PostKind.choices)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village or township")
    )
    monthly_subsidy_fen = models.BigIntegerField(_("monthly subsidy (fen)"))
    temporary = models.BooleanField(_("temporary post"), default=False)
    term_start = models.DateField(_("term from (month)"))
    term_end = models.DateField(_("term until (month)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area_id", "code"]
        verbose_name = _("public-welfare post")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class PostHolding(models.Model):
    """A member holds a post from a month to a month (the end is open until they leave it)."""

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="holdings")
    member = models.ForeignKey(
        "registry.Member", on_delete=models.PROTECT, related_name="post_holdings", verbose_name=_("member")
    )
    start_month = models.DateField(_("from (month)"))
    end_month = models.DateField(_("until (month)"), null=True, blank=True)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post_id", "start_month", "id"]
        verbose_name = _("post holder")

    def __str__(self) -> str:
        return f"{self.post_id} {self.member_id} {self.start_month:%Y-%m}"


class PostMonth(models.Model):
    """A month a holder worked the post and its subsidy: what is paid (through a benefit programme when
    the county has one open for posts)."""

    holding = models.ForeignKey(PostHolding, on_delete=models.PROTECT, related_name="months")
    month = models.DateField(_("month"))
    subsidy_fen = models.BigIntegerField(_("subsidy (fen)"))
    application = models.OneToOneField(
        "benefits.Application", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["holding_id", "month"]
        constraints = [models.UniqueConstraint(fields=["holding", "month"], name="one_post_month")]
        verbose_name = _("post month")

    def __str__(self) -> str:
        return f"{self.holding_id} {self.month:%Y-%m}"


# ---------------------------------------------------------------- help workshops (就业帮扶车间)


class WorkshopType(models.TextChoices):
    FACTORY = "factory", _("Factory building")
    HOME = "home", _("Home-based work")
    FARMING = "farming", _("Planting or breeding")
    TRADE = "trade", _("Trade and distribution")
    TOURISM = "tourism", _("Culture and tourism")


class WorkshopStatus(models.TextChoices):
    PENDING = "pending", _("Applying for recognition")
    RECOGNISED = "recognised", _("Recognised")
    OPERATING = "operating", _("Operating")
    STOPPED = "stopped", _("Stopped")
    DELISTED = "delisted", _("Delisted")


class Workshop(models.Model):
    name = models.CharField(_("workshop"), max_length=100)
    workshop_type = models.CharField(_("type"), max_length=20, choices=WorkshopType.choices)
    operator = models.CharField(_("operator (enterprise or cooperative)"), max_length=100)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    status = models.CharField(
        _("status"), max_length=20, choices=WorkshopStatus.choices, default=WorkshopStatus.PENDING
    )
    recognised_on = models.DateField(_("recognised on"), null=True, blank=True)
    status_changed_on = models.DateField(_("status since"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area_id", "name"]
        verbose_name = _("help workshop")

    def __str__(self) -> str:
        return self.name


class WorkshopWorker(models.Model):
    """A member on a workshop's roster: the months worked there and the monthly pay."""

    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="workers")
    member = models.ForeignKey(
        "registry.Member", on_delete=models.PROTECT, related_name="workshop_jobs", verbose_name=_("member")
    )
    start_month = models.DateField(_("from (month)"))
    end_month = models.DateField(_("until (month)"), null=True, blank=True)
    monthly_pay_fen = models.BigIntegerField(_("monthly pay (fen)"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workshop_id", "start_month", "id"]
        verbose_name = _("workshop worker")

    def __str__(self) -> str:
        return f"{self.workshop_id} {self.member_id}"


class WorkshopAward(models.Model):
    """A one-off award (一次性奖补) to a workshop."""

    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="awards")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    awarded_on = models.DateField(_("awarded on"))
    reason = models.CharField(_("reason"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workshop_id", "awarded_on", "id"]
        verbose_name = _("workshop award")

    def __str__(self) -> str:
        return f"{self.workshop_id} {self.amount_fen}"


# ---------------------------------------------------------------- returned migrant workers (返乡人员)


class ReturnSource(models.TextChoices):
    BY_HAND = "by_hand", _("Entered by a cadre")
    FEED = "feed", _("Human-resources list")


class HelpKind(models.TextChoices):
    JOB_INFORMATION = "job_information", _("Job information")
    POST = "post", _("A public-welfare post")
    TRAINING = "training", _("Training")
    BUSINESS_START = "business_start", _("Help to start a business")
    NEW_JOB = "new_job", _("Found new work")


class ReturnedWorker(models.Model):
    """A migrant worker back home: the village follows them up by the deadline (``due_on``)."""

    member = models.ForeignKey(
        "registry.Member", on_delete=models.PROTECT, related_name="returns", verbose_name=_("member")
    )
    returned_on = models.DateField(_("returned on"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=ReturnSource.choices)
    feed_record = models.OneToOneField(
        "feeds.FeedRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("follow up by"))
    followed_up_on = models.DateField(_("followed up on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("returned migrant worker")

    def __str__(self) -> str:
        return f"{self.member_id} {self.returned_on}"


class FollowUp(models.Model):
    """Help given to a returned worker (several may be recorded; the first closes the task)."""

    returned = models.ForeignKey(ReturnedWorker, on_delete=models.PROTECT, related_name="follow_ups")
    help_kind = models.CharField(_("help given"), max_length=20, choices=HelpKind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    done_on = models.DateField(_("date"))
    employment_record = models.OneToOneField(
        EmploymentRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["returned_id", "done_on", "id"]
        verbose_name = _("follow-up")

    def __str__(self) -> str:
        return f"{self.returned_id} {self.help_kind}"


# ---------------------------------------------------------------- training and 雨露计划


class Course(models.Model):
    title = models.CharField(_("course"), max_length=100)
    trade = models.CharField(_("trade"), max_length=100)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    hours = models.PositiveIntegerField(_("hours"))
    provider = models.CharField(_("provider"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("training course")

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="participants")
    member = models.ForeignKey(
        "registry.Member", on_delete=models.PROTECT, related_name="courses", verbose_name=_("member")
    )
    completed = models.BooleanField(_("completed"), null=True)  # None: not yet known
    certificate = models.CharField(_("certificate"), max_length=100, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course_id", "id"]
        constraints = [models.UniqueConstraint(fields=["course", "member"], name="one_enrolment")]
        verbose_name = _("participant")

    def __str__(self) -> str:
        return f"{self.course_id} {self.member_id}"


class SchoolLevel(models.TextChoices):
    SECONDARY = "secondary", _("Secondary vocational school (中职)")
    HIGHER = "higher", _("Higher vocational college (高职)")


class GrantStatus(models.TextChoices):
    STUDYING = "studying", _("Studying")
    SUSPENDED = "suspended", _("Suspended (休学)")
    LEFT = "left", _("Left school (退学)")


class VocationalGrant(models.Model):
    """雨露计划: a student of a lifted-out or monitored family at a vocational school, per school year."""

    member = models.ForeignKey(
        "registry.Member",
        on_delete=models.PROTECT,
        related_name="vocational_grants",
        verbose_name=_("student"),
    )
    school = models.CharField(_("school"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=SchoolLevel.choices)
    school_year = models.PositiveSmallIntegerField(_("school year (starting)"))
    amount_fen = models.BigIntegerField(_("grant (fen)"))
    status = models.CharField(
        _("status"), max_length=20, choices=GrantStatus.choices, default=GrantStatus.STUDYING
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-school_year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "school_year"], name="one_grant_per_school_year")
        ]
        verbose_name = _("vocational grant (雨露计划)")

    def __str__(self) -> str:
        return f"{self.member_id} {self.school_year}"


scope.register(EmploymentRecord, "member__household__village__path")
scope.register(Target, "area__path")
scope.register(Post, "area__path")
scope.register(PostHolding, "member__household__village__path")
scope.register(Workshop, "area__path")
scope.register(ReturnedWorker, "member__household__village__path")
scope.register(Course, "area__path")
scope.register(VocationalGrant, "member__household__village__path")
scope.register(WorkshopWorker, "member__household__village__path")
scope.register(Participant, "member__household__village__path")
