"""Forms of the plan and catalogue pages: they parse what was typed; the services decide the rest."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.assistance.models import Measure, MeasureCategory, MeasureStatus, MeasureType
from fupin.assistance.selectors import grouped_entries
from fupin.core import clock
from fupin.registry.choices import RiskType
from fupin.web.forms import DateInput


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


def _entry_label(entry: MeasureType) -> str:
    if entry.county_id:
        return str(_("%(name)s (county entry)") % {"name": entry.name})
    return entry.name


class MeasureForm(forms.Form):
    measure_type = forms.TypedChoiceField(
        label=_("Measure"),
        coerce=int,
        error_messages={"required": _("Choose the measure from the catalogue.")},
    )
    risk_types = forms.MultipleChoiceField(
        label=_("Against the risk types"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to count it against every recorded risk type it answers."),
    )
    responsible = forms.CharField(
        label=_("Responsible person or department"),
        max_length=100,
        required=False,
        help_text=_("For example the helper cadre, the township civil-affairs office or a county bureau."),
    )
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    status = forms.ChoiceField(label=_("Measure status"))
    started_on = forms.DateField(
        label=_("Starts or started on"),
        required=False,
        widget=DateInput(),
        help_text=_("Needed once the measure is in progress."),
    )
    ended_on = forms.DateField(
        label=_("Ends or ended on"),
        required=False,
        widget=DateInput(),
        help_text=_("Needed once the measure is done."),
    )
    description = forms.CharField(
        label=_("Details"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = _version_field()

    def __init__(
        self,
        *args: Any,
        entries: list[MeasureType],
        risk_types: list[str],
        measure: Measure | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.measure = measure
        if measure is not None and measure.measure_type and measure.measure_type not in entries:
            entries = [*entries, measure.measure_type]  # switched off since: the measure keeps it
        type_field = cast(forms.TypedChoiceField, self.fields["measure_type"])
        type_field.choices = [
            ("", "—"),
            *[
                (MeasureCategory(category).label, [(e.pk, _entry_label(e)) for e in items])
                for category, items in grouped_entries(entries)
            ],
        ]
        labels = dict(RiskType.choices)
        risk_field = cast(forms.MultipleChoiceField, self.fields["risk_types"])
        risk_field.choices = [(code, labels.get(code, code)) for code in risk_types]
        if not risk_types:
            del self.fields["risk_types"]
        statuses = [(code, label) for code, label in MeasureStatus.choices if code != MeasureStatus.STOPPED]
        if measure is not None and measure.status == MeasureStatus.STOPPED:
            statuses = list(MeasureStatus.choices)
        cast(forms.ChoiceField, self.fields["status"]).choices = statuses
        if measure is None:
            del self.fields["version"]
        else:
            self.fields["version"].required = True

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "measure_type": data["measure_type"],
            "risk_types": list(data.get("risk_types") or []),
            "responsible": data["responsible"],
            "amount": data["amount"],
            "status": data["status"],
            "started_on": data["started_on"],
            "ended_on": data["ended_on"],
            "description": data["description"],
        }


def measure_initial(measure: Measure) -> dict[str, Any]:
    return {
        "measure_type": measure.measure_type_id,
        "risk_types": measure.risk_type_list,
        "responsible": measure.responsible,
        "amount": measure.amount,
        "status": measure.status,
        "started_on": measure.started_on,
        "ended_on": measure.ended_on,
        "description": measure.description,
        "version": measure.version,
    }


class StopForm(forms.Form):
    ended_on = forms.DateField(label=_("Stopped on"), required=False, widget=DateInput(), initial=clock.today)
    reason = forms.CharField(
        label=_("Why the measure stops"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class EntryForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(
        label=_("Name (English)"), max_length=100, required=False, help_text=_("The Chinese name if empty.")
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", "—"), *MeasureCategory.choices],
        help_text=_(
            "Industry, employment, public-welfare posts and microcredit count as developmental measures; "
            "comprehensive security as social security."
        ),
    )
    answers = forms.MultipleChoiceField(
        label=_("Answers the risk types"),
        choices=RiskType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Say which risk types the measure answers.")},
    )
    version = _version_field()

    def __init__(self, *args: Any, entry: MeasureType | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if entry is None:
            del self.fields["version"]
        else:
            self.fields["version"].required = True

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name_zh": data["name_zh"],
            "name_en": data["name_en"],
            "category": data["category"],
            "answers": list(data["answers"]),
        }


def entry_initial(entry: MeasureType) -> dict[str, Any]:
    return {
        "name_zh": entry.name_zh,
        "name_en": entry.name_en,
        "category": entry.category,
        "answers": entry.answer_list,
        "version": entry.version,
    }
