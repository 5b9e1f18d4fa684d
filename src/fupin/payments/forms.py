"""Forms of the payment pages. They only shape the input; the services decide what is acceptable."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.web.forms import DateInput


def fen(amount: Decimal | None) -> int | None:
    """Yuan as typed (two decimals at most, checked by the field) to integer fen."""
    return None if amount is None else int(amount * 100)


class EnvelopeForm(forms.Form):
    cycle = forms.CharField(
        label=_("Cycle"),
        max_length=40,
        help_text=_("How finance calls this payment round: 2026 first batch, say."),
    )
    control_count = forms.IntegerField(label=_("Beneficiaries"), min_value=1, required=False)
    control_amount = forms.DecimalField(
        label=_("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2, required=False
    )
    scheduled_on = forms.DateField(label=_("Payment date planned"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, default_help: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if default_help:
            self.fields["control_count"].help_text = default_help


class TotalsForm(forms.Form):
    control_count = forms.IntegerField(label=_("Beneficiaries"), min_value=1)
    control_amount = forms.DecimalField(
        label=_("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )


class ReturnFileForm(forms.Form):
    file = forms.FileField(
        label=_("The bank's return file (CSV or Excel)"),
        help_text=_(
            "Columns: payment reference, result (paid or failed, 成功 or 失败), failure reason, date paid; "
            "the amount too if the bank gives it."
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
