"""Forms parse and type what a user typed; the registry services decide whether it is acceptable.

Each form turns its cleaned data into the arguments of one service call, and ``apply_errors`` puts
the service's ``InvalidInput.field_errors`` back onto the form's fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area
from fupin.core.errors import InvalidInput
from fupin.registry.choices import (
    HouseholdStatus,
    HouseholdType,
    MonitoringCategory,
    RiskType,
)
from fupin.registry.models import Household, IncomeRecord, Member
from fupin.registry.selectors import HouseholdFilters
from fupin.registry.services import HOUSEHOLD_EDITABLE, INCOME_EDITABLE, MEMBER_EDITABLE, id_number_problem

MONITORED_ANY = "any"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.DateField):
        kwargs["widget"] = DateInput()
    field = db_field.formfield(**kwargs)
    if field is not None and isinstance(db_field, models.DecimalField) and db_field.has_default():
        field.required = False  # blank means the default (0)
    if isinstance(field, forms.ChoiceField):
        choices: list[Any] = list(field.choices)  # type: ignore[arg-type]
        field.choices = [("", "—") if key == "" else (key, label) for key, label in choices]
    return field


def model_fields(model: type[models.Model], names: Sequence[str]) -> dict[str, forms.Field]:
    callback = cast(Callable[[models.Field], forms.Field], _formfield)
    return dict(forms.fields_for_model(model, fields=list(names), formfield_callback=callback))


def model_values(form: forms.Form, model: type[models.Model], names: Iterable[str]) -> dict[str, Any]:
    """Cleaned values for the model fields, with blank numbers turned into the field's default."""
    values: dict[str, Any] = {}
    for name in names:
        value = form.cleaned_data.get(name)
        db_field = model._meta.get_field(name)
        if value is None and isinstance(db_field, models.DecimalField) and db_field.has_default():
            value = Decimal(db_field.get_default())
        if value is None and isinstance(db_field, models.CharField):
            value = ""
        values[name] = value
    return values


def apply_errors(form: forms.Form, error: InvalidInput, aliases: dict[str, str] | None = None) -> None:
    """Put each service message on its field; messages about fields the form lacks go on top."""
    for key, messages in error.field_errors.items():
        name = (aliases or {}).get(key, key)
        for message in messages:
            form.add_error(name if name in form.fields else None, str(message))


class FieldsetForm(forms.Form):
    """A form whose template shows its fields in titled groups."""

    fieldsets: list[tuple[Any, list[str]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # After a stale edit: field → the value saved meanwhile, shown next to the user's input.
        self.saved_now: dict[str, str] = {}

    def grouped(self) -> list[tuple[Any, list[forms.BoundField]]]:
        placed: set[str] = set()
        groups = []
        for title, names in self.fieldsets:
            present = [n for n in names if n in self.fields and not self.fields[n].widget.is_hidden]
            placed.update(present)
            if present:
                groups.append((title, [self[n] for n in present]))
        rest = [n for n in self.fields if n not in placed and not self.fields[n].widget.is_hidden]
        if rest:
            groups.append((_("Other"), [self[n] for n in rest]))
        return groups


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# ---------------------------------------------------------------- login and search


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


def village_choices(villages: list[Area]) -> list[Any]:
    """Villages grouped under their townships."""
    groups: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    for village in villages:
        key = village.code[:9]
        names.setdefault(key, village.parent.name if village.parent else key)
        groups.setdefault(key, []).append((village.code, village.name))
    return [(names[key], options) for key, options in sorted(groups.items())]


def indented_area_choices(areas: list[Area]) -> list[tuple[str, str]]:
    """A flat list in code order, each area indented under its parent (县 › 乡镇 › 村)."""
    if not areas:
        return []
    top = min(area.level for area in areas)
    return [(area.code, "\u3000" * (area.level - top) + area.name) for area in areas]


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, household number, village, or ID number (all 18 or the last 4 or 6)"),
                "type": "search",
            }
        ),
    )
    area = forms.ChoiceField(label=_("Area"), required=False)
    household_type = forms.ChoiceField(
        label=_("Household type"), required=False, choices=[("", _("All"))] + HouseholdType.choices
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + HouseholdStatus.choices
    )
    monitoring_category = forms.ChoiceField(
        label=_("Monitoring category"),
        required=False,
        choices=[("", _("All")), (MONITORED_ANY, _("Any monitoring object"))] + MonitoringCategory.choices,
    )
    risk_type = forms.ChoiceField(
        label=_("Risk type"), required=False, choices=[("", _("All"))] + RiskType.choices
    )

    def __init__(self, *args: Any, areas: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = cast(forms.ChoiceField, self.fields["area"])
        everything: list[tuple[str, Any]] = [("", _("All areas in my scope"))]
        area.choices = everything + indented_area_choices(areas)

    def filters(self) -> HouseholdFilters:
        """The valid filters; an invalid value (a tampered link) is ignored rather than an error."""
        self.is_valid()
        data = self.cleaned_data
        category = data.get("monitoring_category", "")
        return HouseholdFilters(
            query=data.get("q", ""),
            area_code=data.get("area", ""),
            household_type=data.get("household_type", ""),
            status=data.get("status", ""),
            monitoring_category="" if category == MONITORED_ANY else category,
            monitored_only=category == MONITORED_ANY,
            risk_type=data.get("risk_type", ""),
        )


# ---------------------------------------------------------------- households


class HouseholdForm(FieldsetForm):
    """Create (number, type, status and registration date too) or correct a household."""

    fieldsets = [
        (
            _("Household"),
            ["number", "village", "group_name", "address", "phone", "clear_phone"],
        ),
        (_("Type and status"), ["household_type", "status", "effective_from"]),
        (_("Poverty"), ["poverty_attribute", "main_cause", "secondary_cause"]),
        (
            _("Housing, water and electricity"),
            [
                "housing_area",
                "housing_safety",
                "water_difficult",
                "water_safe",
                "has_electricity",
                "distance_to_road_km",
            ],
        ),
        (
            _("Land (mu)"),
            ["cultivated_land_mu", "irrigated_land_mu", "forest_land_mu", "grassland_mu", "water_surface_mu"],
        ),
        (
            _("Cooperative and relocation"),
            ["in_cooperative", "is_relocated", "relocation_mode", "relocation_place"],
        ),
    ]

    def __init__(self, *args: Any, villages: list[Area], creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        fields: dict[str, forms.Field] = {}
        if creating:
            fields["number"] = forms.CharField(
                label=_("Household number"),
                max_length=30,
                required=False,
                help_text=_(
                    "The village code followed by a sequence. Leave blank for the village's next free number."
                ),
            )
        fields["village"] = forms.ChoiceField(
            label=_("Village"), choices=[("", "—")] + village_choices(villages)
        )
        if creating:
            fields["household_type"] = forms.ChoiceField(
                label=_("Household type"), choices=HouseholdType.choices
            )
            fields["status"] = forms.ChoiceField(label=_("Status"), choices=HouseholdStatus.choices)
            fields["effective_from"] = forms.DateField(
                label=_("Registered on"), widget=DateInput(), initial=timezone.localdate
            )
        fields["phone"] = forms.CharField(
            label=_("Phone"),
            required=False,
            max_length=30,
            help_text="" if creating else _("Leave blank to keep the saved number."),
            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
        )
        if not creating:
            fields["clear_phone"] = forms.BooleanField(
                label=_("Remove the saved phone number"), required=False
            )
        fields.update(model_fields(Household, HOUSEHOLD_EDITABLE))
        if not creating:
            fields["version"] = _version_field()
        self.fields.update(fields)

    def phone_argument(self) -> str | None:
        """What the service gets as ``phone_number``: None keeps the saved number on an edit."""
        if self.cleaned_data.get("clear_phone"):
            return ""
        typed = self.cleaned_data.get("phone", "")
        if not self.creating and not typed.strip():
            return None
        return typed

    def values(self) -> dict[str, Any]:
        return model_values(self, Household, HOUSEHOLD_EDITABLE)


def household_initial(household: Household) -> dict[str, Any]:
    initial = {name: getattr(household, name) for name in HOUSEHOLD_EDITABLE}
    initial.update(village=household.village.code, version=household.version)
    return initial


# ---------------------------------------------------------------- members


MEMBER_ORDER = [
    "name",
    "relation",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "schooling_status",
    "school_level",
    "health",
    "has_disability_certificate",
    "labour_capacity",
    "migrant_work_place",
    "migrant_work_months",
    "migrant_work_income",
    "basic_medical_insurance",
    "serious_illness_insurance",
    "pension_insurance",
    "receives_dibao",
    "receives_tekun",
    "exit_reason",
    "exit_date",
]
assert sorted(MEMBER_ORDER) == sorted(MEMBER_EDITABLE)


class MemberForm(FieldsetForm):
    fieldsets = [
        (
            _("Person"),
            ["name", "relation", "sex", "birth_date", "id_number", "phone", "clear_phone", "ethnicity"],
        ),
        (
            _("Education and health"),
            ["education", "schooling_status", "school_level", "health", "has_disability_certificate"],
        ),
        (_("Work"), ["labour_capacity", "migrant_work_place", "migrant_work_months", "migrant_work_income"]),
        (
            _("Insurance and social assistance"),
            [
                "basic_medical_insurance",
                "serious_illness_insurance",
                "pension_insurance",
                "receives_dibao",
                "receives_tekun",
            ],
        ),
        (_("Leaving the household"), ["exit_reason", "exit_date"]),
    ]

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        keep = "" if creating else _("Leave blank to keep the saved number.")
        self.fields.update(model_fields(Member, MEMBER_ORDER))
        self.fields["name"].label = _("Name")  # the model's "name" is shared with areas' names
        self.fields["id_number"] = forms.CharField(
            label=_("ID number"),
            required=False,
            max_length=30,
            help_text=keep,
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
        )
        self.fields["phone"] = forms.CharField(
            label=_("Phone"),
            required=False,
            max_length=30,
            help_text=keep,
            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
        )
        if not creating:
            self.fields["clear_phone"] = forms.BooleanField(
                label=_("Remove the saved phone number"), required=False
            )
            self.fields["version"] = _version_field()

    def clean_id_number(self) -> str:
        typed: str = self.cleaned_data.get("id_number", "")
        if problem := id_number_problem(typed):
            raise forms.ValidationError(str(problem))
        return typed

    def _typed(self, name: str) -> str | None:
        typed = self.cleaned_data.get(name, "")
        if not self.creating and not typed.strip():
            return None
        return typed

    def id_number_argument(self) -> str | None:
        return self._typed("id_number")

    def phone_argument(self) -> str | None:
        if self.cleaned_data.get("clear_phone"):
            return ""
        return self._typed("phone")

    def values(self) -> dict[str, Any]:
        return model_values(self, Member, MEMBER_EDITABLE)


def member_initial(member: Member) -> dict[str, Any]:
    initial = {name: getattr(member, name) for name in MEMBER_EDITABLE}
    initial["version"] = member.version
    return initial


# ---------------------------------------------------------------- incomes


class IncomeForm(FieldsetForm):
    fieldsets = [
        (_("Year"), ["year", "household_size"]),
        (_("Income (yuan)"), ["wage", "business", "property_income", "transfer", "excluded_transfer"]),
        (_("Expenditure (yuan)"), ["business_expenditure", "compliant_oop_spending"]),
    ]

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            self.fields["year"] = forms.IntegerField(
                label=_("Year"), min_value=2000, max_value=2100, initial=timezone.localdate().year - 1
            )
        self.fields.update(model_fields(IncomeRecord, INCOME_EDITABLE))
        self.fields["household_size"].required = False
        self.fields["household_size"].help_text = _("Leave blank to use the number of current members.")
        self.fields["excluded_transfer"].help_text = _(
            "Part of transfer income that this province leaves out of net income."
        )
        if not creating:
            self.fields["version"] = _version_field()

    def values(self) -> dict[str, Any]:
        values = model_values(self, IncomeRecord, INCOME_EDITABLE)
        if values.get("household_size") is None:
            values.pop("household_size")
        return values


def income_initial(record: IncomeRecord) -> dict[str, Any]:
    initial = {name: getattr(record, name) for name in INCOME_EDITABLE}
    initial["version"] = record.version
    return initial


# ---------------------------------------------------------------- dated changes


class TypeStatusForm(FieldsetForm):
    fieldsets = [
        (_("New type and status"), ["household_type", "status"]),
        (_("When and why"), ["effective_from", "reason"]),
    ]
    household_type = forms.ChoiceField(label=_("Household type"), choices=HouseholdType.choices)
    status = forms.ChoiceField(label=_("Status"), choices=HouseholdStatus.choices)
    effective_from = forms.DateField(
        label=_("Effective from"), widget=DateInput(), initial=timezone.localdate
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    version = _version_field()


class MonitoringForm(FieldsetForm):
    fieldsets = [
        (_("Monitoring"), ["category", "risk_types"]),
        (_("When and why"), ["effective_from", "reason"]),
    ]
    category = forms.ChoiceField(
        label=_("Monitoring category"),
        required=False,
        choices=[("", _("Not monitored (ends monitoring)"))] + MonitoringCategory.choices,
    )
    risk_types = forms.MultipleChoiceField(
        label=_("Risk types"),
        required=False,
        choices=RiskType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A monitored household has one to five risk types."),
    )
    effective_from = forms.DateField(
        label=_("Effective from"), widget=DateInput(), initial=timezone.localdate
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    version = _version_field()
