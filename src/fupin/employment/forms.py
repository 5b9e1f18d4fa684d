"""The phone-sized form a village cadre fills in for one labourer, and the targets form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fupin.employment.models import Kind, Place, Reason, Status
from fupin.employment.selectors import province_names
from fupin.employment.services import RecordInput


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
