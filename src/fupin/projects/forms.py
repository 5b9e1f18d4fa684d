"""The project pages' forms: a proposal (with its budget by source and performance-target rows) and the
one form every step posts (reason, place of the notice, plan year, appraisal, acceptance)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area
from fupin.projects.models import Category, FundSource, LinkKind, Nature, TargetKind, TargetLevel, Verdict
from fupin.projects.services import AppraisalInput, ProjectInput, TargetInput

TARGET_ROWS = 6
_TARGET_PREFIXES = {f"t{row}" for row in range(1, TARGET_ROWS + 1)}
# Service field names that the form calls otherwise.
ALIASES = {"area_code": "area", "expected_income_fen": "expected_income"}


def money(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=13, decimal_places=2, min_value=Decimal(0), required=False
    )


def to_fen(yuan: Decimal | None) -> int:
    return int((yuan or Decimal(0)) * 100)


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("project name"), max_length=120)
    area = forms.ChoiceField(label=_("place"))
    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    subcategory = forms.CharField(label=_("sub-type"), max_length=60, required=False)
    nature = forms.ChoiceField(label=_("nature of construction"), choices=Nature.choices)
    year = forms.IntegerField(label=_("year"))
    content = forms.CharField(
        label=_("construction content and scale"), widget=forms.Textarea(attrs={"rows": 3})
    )
    implementing_unit = forms.CharField(label=_("implementing unit"), max_length=100)
    unit_person = forms.CharField(label=_("person responsible (implementing unit)"), max_length=40)
    department = forms.CharField(label=_("competent department"), max_length=100, required=False)
    months = forms.IntegerField(label=_("implementation period (months)"), min_value=1, max_value=120)
    starts_on = forms.DateField(
        label=_("planned start"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("planned end"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    link_kind = forms.ChoiceField(
        label=_("link to farmers: kind"), choices=[("", "—"), *LinkKind.choices], required=False
    )
    link_description = forms.CharField(
        label=_("link to farmers"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )
    households_driven = forms.IntegerField(label=_("households driven"), min_value=0, initial=0)
    persons_driven = forms.IntegerField(label=_("persons driven"), min_value=0, initial=0)
    expected_income = money(_("expected yearly income per household (yuan)"))
    household_project = forms.BooleanField(label=_("household project (到户)"), required=False)

    def __init__(self, *args: Any, areas: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ChoiceField)
        area_field.choices = [(a.code, f"{a.name} ({a.code})") for a in areas]
        for source, label in FundSource.choices:
            self.fields[f"budget_{source}"] = money(label)
        levels = [("", "—"), *TargetLevel.choices]
        kinds = [("", "—"), *TargetKind.choices]
        for row in range(1, TARGET_ROWS + 1):
            self.fields[f"t{row}_level"] = forms.ChoiceField(
                label=_("first-level indicator"), choices=levels, required=False
            )
            self.fields[f"t{row}_kind"] = forms.ChoiceField(
                label=_("second-level indicator"), choices=kinds, required=False
            )
            self.fields[f"t{row}_indicator"] = forms.CharField(
                label=_("indicator"), max_length=100, required=False
            )
            self.fields[f"t{row}_comparator"] = forms.ChoiceField(
                label=_("comparator"), choices=[(c, c) for c in ("≥", "≤", "=", ">", "<")], required=False
            )
            self.fields[f"t{row}_value"] = forms.CharField(label=_("value"), max_length=30, required=False)
            self.fields[f"t{row}_unit"] = forms.CharField(label=_("unit"), max_length=20, required=False)

    def main_fields(self) -> list[Any]:
        return [
            self[name]
            for name in self.fields
            if not name.startswith("budget_") and name[:2] not in _TARGET_PREFIXES
        ]

    def budget_fields(self) -> list[Any]:
        return [self[f"budget_{source}"] for source in FundSource.values]

    def target_rows(self) -> list[list[Any]]:
        names = ("level", "kind", "indicator", "comparator", "value", "unit")
        return [[self[f"t{row}_{name}"] for name in names] for row in range(1, TARGET_ROWS + 1)]

    def to_input(self, beneficiary_ids: list[int] | None = None) -> ProjectInput:
        data = self.cleaned_data
        targets = [
            TargetInput(
                level=data[f"t{row}_level"],
                kind=data[f"t{row}_kind"],
                indicator=data[f"t{row}_indicator"],
                comparator=data[f"t{row}_comparator"],
                value=data[f"t{row}_value"],
                unit=data[f"t{row}_unit"],
            )
            for row in range(1, TARGET_ROWS + 1)
            if data[f"t{row}_level"] or data[f"t{row}_indicator"]
        ]
        return ProjectInput(
            name=data["name"],
            category=data["category"],
            subcategory=data["subcategory"],
            nature=data["nature"],
            area_code=data["area"],
            content=data["content"],
            implementing_unit=data["implementing_unit"],
            unit_person=data["unit_person"],
            department=data["department"],
            months=data["months"],
            year=data["year"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            link_kind=data["link_kind"],
            link_description=data["link_description"],
            households_driven=data["households_driven"],
            persons_driven=data["persons_driven"],
            expected_income_fen=to_fen(data["expected_income"]),
            household_project=data["household_project"],
            budget={s: to_fen(data[f"budget_{s}"]) for s in FundSource.values if data[f"budget_{s}"]},
            targets=targets,
            beneficiary_ids=beneficiary_ids or [],
        )


def initial_from(project: Any) -> dict[str, Any]:
    """A form's initial values from a stored project (to correct it after a return)."""
    initial: dict[str, Any] = {
        name: getattr(project, name)
        for name in (
            "name",
            "category",
            "subcategory",
            "nature",
            "year",
            "content",
            "implementing_unit",
            "unit_person",
            "department",
            "months",
            "starts_on",
            "ends_on",
            "link_kind",
            "link_description",
            "households_driven",
            "persons_driven",
            "household_project",
        )
    }
    initial["area"] = project.area.code
    initial["expected_income"] = Decimal(project.expected_income_fen) / 100
    for budget in project.budget.all():
        initial[f"budget_{budget.source}"] = Decimal(budget.amount_fen) / 100
    for row, target in enumerate(project.targets.all()[:TARGET_ROWS], start=1):
        for name in ("level", "kind", "indicator", "comparator", "value", "unit"):
            initial[f"t{row}_{name}"] = getattr(target, name)
    return initial


class StepForm(forms.Form):
    step = forms.CharField(max_length=30)
    reason = forms.CharField(label=_("reason"), required=False, max_length=1000)
    place = forms.CharField(label=_("posted at"), required=False, max_length=100)
    year = forms.IntegerField(label=_("year of the plan"), required=False)
    necessity = forms.ChoiceField(label=_("necessity"), choices=Verdict.choices, required=False)
    feasibility = forms.ChoiceField(label=_("feasibility"), choices=Verdict.choices, required=False)
    budget = forms.ChoiceField(label=_("budget estimate"), choices=Verdict.choices, required=False)
    link_to_farmers = forms.ChoiceField(label=_("link to farmers"), choices=Verdict.choices, required=False)
    targets = forms.ChoiceField(label=_("performance targets"), choices=Verdict.choices, required=False)
    compliance = forms.ChoiceField(
        label=_("compliance and land use"), choices=Verdict.choices, required=False
    )
    opinion = forms.CharField(label=_("opinion"), required=False, max_length=1000)
    accepted_on = forms.DateField(label=_("accepted on"), required=False)
    result = forms.CharField(label=_("acceptance result"), required=False, max_length=1000)
    settled = money(_("settled amount (yuan)"))

    def appraisal(self) -> AppraisalInput:
        data = self.cleaned_data
        return AppraisalInput(
            **{
                point: data[point]
                for point in (
                    "necessity",
                    "feasibility",
                    "budget",
                    "link_to_farmers",
                    "targets",
                    "compliance",
                )
            },
            opinion=data["opinion"],
        )
