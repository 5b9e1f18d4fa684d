"""Forms of the benefits pages. The checks that matter are the services'; these only shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.benefits import programmes as programme_info
from fupin.benefits.models import EvidenceKind
from fupin.engine.checker import CheckedPack
from fupin.engine.programmes import Programme
from fupin.entities.models import EntityKind

_BOOLEAN = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


class OpeningForm(forms.Form):
    programme = forms.ChoiceField(label=_("Programme"))
    county = forms.ChoiceField(label=_("County"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    public_notice = forms.BooleanField(
        label=_("Announce the beneficiaries before payment"), required=False, initial=True
    )

    def __init__(
        self, *args: Any, programmes: list[tuple[str, str]], counties: list[tuple[str, str]], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = programmes  # type: ignore[attr-defined]
        self.fields["county"].choices = counties  # type: ignore[attr-defined]


class ApplicationForm(forms.Form):
    """The fields a programme asks for: who applies, when, and the facts its rules read."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, checked: CheckedPack, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["applied_on"] = forms.DateField(
            label=_("Applied on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        )
        if programme_info.needs_person(programme):
            label = _("Worker's ID number") if programme.applicant == "enterprise" else _("ID number")
            self.fields["id_number"] = forms.CharField(label=label, max_length=30)
        if programme_info.needs_entity(programme):
            self.fields["credit_code"] = forms.CharField(label=_("Unified social credit code"), max_length=30)
            self.fields["entity_name"] = forms.CharField(
                label=_("Entity name (when new)"), max_length=100, required=False
            )
            self.fields["entity_kind"] = forms.ChoiceField(
                label=_("Kind of entity (when new)"), choices=[("", "—"), *EntityKind.choices], required=False
            )
        if programme.applicant == "post":
            self.fields["post_code"] = forms.CharField(label=_("Post (number or name)"), max_length=40)
        if programme_info.needs_period(programme):
            self.fields["period"] = forms.DateField(
                label=_("Month claimed (any day of it)"),
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
        self.fact_names = []
        for fact in programme_info.facts_asked(checked, programme):
            name = f"fact_{fact.name}"
            fact_label: Any = fact.label
            self.fact_names.append((fact.name, name))
            if fact.kind == "boolean":
                self.fields[name] = forms.ChoiceField(label=fact_label, choices=_BOOLEAN, required=False)
            elif fact.kind == "date":
                self.fields[name] = forms.CharField(
                    label=fact_label,
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                )
            else:
                attrs = {"inputmode": "decimal" if fact.kind == "number" else "numeric"}
                self.fields[name] = forms.CharField(
                    label=fact_label, required=False, widget=forms.TextInput(attrs)
                )
        if programme.amount is not None:
            self.fields["bank_name"] = forms.CharField(label=_("Bank"), max_length=100, required=False)
            self.fields["bank_holder"] = forms.CharField(
                label=_("Account holder"), max_length=100, required=False
            )
            self.fields["bank_account"] = forms.CharField(
                label=_("Account number (leave blank to keep the one recorded)"),
                max_length=40,
                required=False,
            )

    def facts(self) -> dict[str, Any]:
        return {fact: self.cleaned_data.get(field) for fact, field in self.fact_names}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("return", _("Return for correction")), ("refuse", _("Refuse"))])
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=EvidenceKind.choices)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG, at most 10 MB)"))
