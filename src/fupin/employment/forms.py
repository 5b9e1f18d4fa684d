"""The phone-sized form a village cadre fills in for one labourer, and the targets form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fupin.employment.models import HelpKind, Kind, Place, PostKind, Reason, SchoolLevel, Status, WorkshopType
from fupin.employment.posts import PostInput
from fupin.employment.selectors import province_names
from fupin.employment.services import RecordInput
from fupin.employment.training import CourseInput, GrantInput
from fupin.employment.workshops import WorkshopInput


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return super().format_value(value)


class MonthField(forms.Field):
    """A month as YYYY-MM (what <input type="month"> sends); the first day of it."""

    widget = MonthInput

    def to_python(self, value: Any) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value.replace(day=1)
        try:
            return dt.datetime.strptime(str(value).strip()[:7], "%Y-%m").date()
        except ValueError:
            raise ValidationError(_("Give the month as year and month, e.g. 2026-03.")) from None


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class RecordForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=forms.RadioSelect)
    start_month = MonthField(label=_("From (month)"))
    place = forms.ChoiceField(label=_("Place of work"), choices=_blank(Place.choices), required=False)
    province_code = forms.ChoiceField(label=_("Province of work"), required=False)
    kind = forms.ChoiceField(label=_("Kind of work"), choices=_blank(Kind.choices), required=False)
    employer = forms.CharField(label=_("Employer"), max_length=100, required=False)
    monthly_income = forms.DecimalField(
        label=_("Monthly income (yuan)"), required=False, max_digits=9, decimal_places=2
    )
    end_month = MonthField(label=_("Until (month, if known)"), required=False)
    reason = forms.ChoiceField(label=_("Reason not working"), choices=_blank(Reason.choices), required=False)
    current = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province = self.fields["province_code"]
        assert isinstance(province, forms.ChoiceField)
        province.choices = _blank(sorted(province_names().items()))
        self.fields["monthly_income"].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})

    def data_input(self) -> RecordInput:
        c = self.cleaned_data
        return RecordInput(
            status=c["status"],
            start_month=c["start_month"],
            place=c["place"] or "",
            province_code=c["province_code"] or "",
            kind=c["kind"] or "",
            employer=c["employer"] or "",
            end_month=c["end_month"],
            monthly_income=c["monthly_income"],
            reason=c["reason"] or "",
        )


class TargetsForm(forms.Form):
    """One number per area below: the persons in work each is to reach in the year."""

    def __init__(self, *args: Any, areas: list[Any], current: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for area in areas:
            self.fields[f"t_{area.code}"] = forms.IntegerField(
                label=area.name, required=False, min_value=0, initial=current.get(area.code)
            )
            self.fields[f"t_{area.code}"].widget.attrs["inputmode"] = "numeric"

    def values(self) -> dict[str, int | None]:
        return {name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("t_")}


# ---------------------------------------------------------------- posts, workshops, returned workers


def to_fen(yuan: Decimal | None) -> int | None:
    """Yuan as typed (two decimals at most) to integer fen."""
    if yuan is None:
        return None
    return int((yuan * 100).to_integral_value())


def yuan_field(label: Any) -> forms.DecimalField:
    field = forms.DecimalField(label=label, max_digits=12, decimal_places=2, required=False)
    field.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
    return field


class MemberChoiceField(forms.ModelChoiceField):
    """A labour-capable member of the area the user may edit: household number and name, no ID."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.household.village.name} · {obj.household.number} · {obj.name}"


def member_field(members: list[Any], label: Any = None) -> MemberChoiceField:
    from fupin.registry.models import Member

    field = MemberChoiceField(
        label=label or _("Person"),
        queryset=Member.objects.filter(pk__in=[m.pk for m in members]).select_related("household__village"),
        required=False,
    )
    return field


class PostForm(forms.Form):
    code = forms.CharField(label=_("Post number"), max_length=40, required=False)
    title = forms.CharField(label=_("Post"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Kind of post"), choices=_blank(PostKind.choices), required=False)
    area = forms.ChoiceField(label=_("Village or township"), required=False)
    monthly_subsidy = yuan_field(_("Monthly subsidy (yuan)"))
    term_start = MonthField(label=_("Term from (month)"), required=False)
    term_end = MonthField(label=_("Term until (month)"), required=False)
    temporary = forms.BooleanField(
        label=_("Temporary post (at most the pack's months a year)"), required=False
    )

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ChoiceField)
        area.choices = _blank([(a.code, a.name) for a in areas])
        self._areas = {a.code: a for a in areas}

    def data_input(self) -> PostInput:
        c = self.cleaned_data
        return PostInput(
            code=c["code"] or "",
            title=c["title"] or "",
            kind=c["kind"] or "",
            area=self._areas.get(c["area"] or ""),
            monthly_subsidy_fen=to_fen(c["monthly_subsidy"]),
            term_start=c["term_start"],
            term_end=c["term_end"],
            temporary=bool(c["temporary"]),
        )


class AppointForm(forms.Form):
    start_month = MonthField(label=_("From (month)"), required=False)
    end_month = MonthField(label=_("Until (month, if known)"), required=False)

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"member": member_field(members), **self.fields}


class PostMonthForm(forms.Form):
    holding = forms.ChoiceField(label=_("Holder"))
    month = MonthField(label=_("Month worked"), required=False)

    def __init__(self, *args: Any, holdings: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        holding = self.fields["holding"]
        assert isinstance(holding, forms.ChoiceField)
        holding.choices = [(str(h.pk), f"{h.member.name} · {h.start_month:%Y-%m}") for h in holdings]


class WorkshopForm(forms.Form):
    name = forms.CharField(label=_("Workshop"), max_length=100, required=False)
    workshop_type = forms.ChoiceField(label=_("Type"), choices=_blank(WorkshopType.choices), required=False)
    operator = forms.CharField(
        label=_("Operator (enterprise or cooperative)"), max_length=100, required=False
    )
    area = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ChoiceField)
        area.choices = _blank([(a.code, a.name) for a in areas])
        self._areas = {a.code: a for a in areas}

    def data_input(self) -> WorkshopInput:
        c = self.cleaned_data
        return WorkshopInput(
            name=c["name"] or "",
            workshop_type=c["workshop_type"] or "",
            operator=c["operator"] or "",
            area=self._areas.get(c["area"] or ""),
        )


class WorkerForm(forms.Form):
    start_month = MonthField(label=_("From (month)"), required=False)
    end_month = MonthField(label=_("Until (month, if known)"), required=False)
    monthly_pay = yuan_field(_("Monthly pay (yuan)"))

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"member": member_field(members), **self.fields}


class AwardForm(forms.Form):
    amount = yuan_field(_("Award (yuan)"))
    reason = forms.CharField(label=_("For what"), max_length=200, required=False)


class ReturnForm(forms.Form):
    returned_on = forms.DateField(
        label=_("Returned on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Why they came back"), max_length=100, required=False)

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"member": member_field(members), **self.fields}


class FollowUpForm(RecordForm):
    """The help given; for new work found, the new work's record (the phone form's own fields)."""

    help_kind = forms.ChoiceField(label=_("Help given"), choices=HelpKind.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].required = False
        self.fields["start_month"].required = False
        order = ["help_kind", "note"]
        self.fields = {
            **{k: self.fields[k] for k in order},
            **{k: v for k, v in self.fields.items() if k not in order},
        }


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Course"), max_length=100, required=False)
    trade = forms.CharField(label=_("Trade"), max_length=100, required=False)
    provider = forms.CharField(label=_("Provider"), max_length=100, required=False)
    starts_on = forms.DateField(
        label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    hours = forms.IntegerField(label=_("Hours"), required=False, min_value=0)

    def data_input(self, area: Any) -> CourseInput:
        c = self.cleaned_data
        return CourseInput(
            title=c["title"] or "",
            trade=c["trade"] or "",
            area=area,
            starts_on=c["starts_on"],
            ends_on=c["ends_on"],
            hours=c["hours"],
            provider=c["provider"] or "",
        )


class EnrolForm(forms.Form):
    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"] = member_field(members)


class GrantForm(forms.Form):
    school = forms.CharField(label=_("School"), max_length=100, required=False)
    level = forms.ChoiceField(label=_("Level"), choices=_blank(SchoolLevel.choices), required=False)
    school_year = forms.IntegerField(label=_("School year (starting)"), required=False)
    amount = yuan_field(_("Grant (yuan)"))

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"member": member_field(members, _("Student")), **self.fields}

    def data_input(self) -> GrantInput:
        c = self.cleaned_data
        return GrantInput(
            school=c["school"] or "",
            level=c["level"] or "",
            school_year=c["school_year"],
            amount_fen=to_fen(c["amount"]),
        )
