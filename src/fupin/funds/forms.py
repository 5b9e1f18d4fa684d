from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.projects.models import FundSource


class YuanField(forms.DecimalField):
    """An amount typed in yuan (two decimals at most), cleaned to integer fen."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 13)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal(0))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        amount = super().clean(value)
        return None if amount is None else int(amount * 100)


class YearFundForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2016, max_value=2100)
    source = forms.ChoiceField(label=_("Funding source"), choices=FundSource.choices)
    amount_fen = YuanField(label=_("Amount (yuan)"))
    document_no = forms.CharField(label=_("Allocation document number"), max_length=60)
    document_date = forms.DateField(
        label=_("Allocation document date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AllocationForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2016, max_value=2100)
    source = forms.ChoiceField(label=_("Funding source"), choices=FundSource.choices)
    amount_fen = YuanField(label=_("Amount allocated (yuan)"))


class DisbursementForm(forms.Form):
    paid_on = forms.DateField(
        label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}), initial=dt.date.today
    )
    amount_fen = YuanField(label=_("Amount paid (yuan)"))
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=40)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
