"""Forms parse what a user typed (yuan → fen, rates in %); the services decide whether it is acceptable."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area
from fupin.assets.models import (
    AssetClass,
    DisposalGround,
    DisposalMethod,
    ForbiddenUse,
    IncomeSource,
    OwnerLevel,
    Status,
    SubType,
    Use,
)
from fupin.assets.services import INITIAL_STATUSES
from fupin.projects.models import FundSource
from fupin.web.forms import DateInput, indented_area_choices


def money(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=15, decimal_places=2, min_value=Decimal(0), required=required
    )


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *list(choices)]


class AssetForm(forms.Form):
    code = forms.CharField(label=_("asset code"), max_length=30)
    name = forms.CharField(label=_("asset name"), max_length=120)
    asset_class = forms.ChoiceField(label=_("asset class"), choices=_blank(AssetClass.choices))
    sub_type = forms.ChoiceField(label=_("sub-type"), choices=_blank(SubType.choices))
    project = forms.TypedChoiceField(label=_("source project"), coerce=int, required=False, empty_value=None)
    year_formed = forms.IntegerField(label=_("year formed"), min_value=1900, max_value=2100)
    area = forms.ChoiceField(label=_("place"))
    owner_level = forms.ChoiceField(label=_("owner level"), choices=_blank(OwnerLevel.choices))
    owner_entity = forms.CharField(label=_("owner"), max_length=100)
    household_number = forms.CharField(label=_("owning household (number)"), max_length=30, required=False)
    status = forms.ChoiceField(
        label=_("status"), choices=[(s, Status(s).label) for s in INITIAL_STATUSES], required=False
    )
    operator = forms.CharField(label=_("operator"), max_length=100, required=False)
    contract_from = forms.DateField(label=_("contract from"), widget=DateInput(), required=False)
    contract_to = forms.DateField(label=_("contract to"), widget=DateInput(), required=False)
    guaranteed_percent = forms.DecimalField(
        label=_("guaranteed return (% of the value a year)"), max_digits=6, decimal_places=2, required=False
    )
    maintenance_body = forms.CharField(label=_("maintenance body"), max_length=100, required=False)
    maintenance_person = forms.CharField(
        label=_("person responsible for maintenance"), max_length=40, required=False
    )
    beneficiaries = forms.IntegerField(label=_("households benefiting"), min_value=0, required=False)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(
        self, *args: Any, areas: list[Area], projects: list[Any], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = indented_area_choices(areas)
        cast(forms.ChoiceField, self.fields["project"]).choices = [
            ("", _("None (formed before the system)"))
        ] + [(p.pk, f"{p.code} {p.name}") for p in projects]
        for source, label in FundSource.choices:
            self.fields[f"fund_{source}"] = money(
                _("funded by: %(source)s (yuan)") % {"source": label}, required=False
            )
        self.fields["original_value"] = money(_("original value (yuan)"))
        if editing:
            del self.fields["status"]
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("new status"), choices=Status.choices)
    reason = forms.CharField(label=_("reason"), max_length=300, required=False)


class HandoverForm(forms.Form):
    handed_on = forms.DateField(label=_("handed over on"), widget=DateInput())
    from_party = forms.CharField(label=_("handed over by"), max_length=100)
    to_party = forms.CharField(label=_("received by"), max_length=100)
    document = forms.CharField(label=_("handover document"), max_length=100)


class IncomeForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    amount = money(_("amount (yuan)"))
    source = forms.ChoiceField(label=_("income source"), choices=_blank(IncomeSource.choices))
    received_on = forms.DateField(label=_("received on"), widget=DateInput())
    note = forms.CharField(label=_("note"), max_length=200, required=False)


USE_CHOICES = [
    (_("Allowed uses, in their order"), Use.choices),
    (_("Not allowed (refused)"), ForbiddenUse.choices),
]
ROWS = 6


class DistributionForm(forms.Form):
    """The year, the total, the decision, and up to six uses with their amounts; a use paid to households
    lists them, one household number a line, optionally followed by its number of shares."""

    year = forms.IntegerField(label=_("income year"), min_value=2000, max_value=2100)
    total = money(_("amount distributed (yuan)"))
    decided_on = forms.DateField(label=_("decided on"), widget=DateInput())
    decision = forms.CharField(label=_("decision (meeting, document)"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index in range(ROWS):
            self.fields[f"use_{index}"] = forms.ChoiceField(
                label=_("use"), choices=[("", "—"), *USE_CHOICES], required=False
            )
            self.fields[f"amount_{index}"] = money(_("amount (yuan)"), required=False)
            self.fields[f"households_{index}"] = forms.CharField(
                label=_("households (number and shares, one a line)"),
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"use_{i}"], self[f"amount_{i}"], self[f"households_{i}"]) for i in range(ROWS)]


def parse_households(text: str) -> tuple[list[tuple[str, int]], str | None]:
    """'NUMBER [SHARES]' lines → [(number, shares)], or the first line that is not understood."""
    parsed = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = line.replace("\t", " ").split()
        if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
            return [], line
        parsed.append((parts[0], int(parts[1]) if len(parts) == 2 else 1))
    return parsed, None


class DisposalForm(forms.Form):
    ground = forms.ChoiceField(label=_("ground"), choices=_blank(DisposalGround.choices))
    method = forms.ChoiceField(label=_("method"), choices=_blank(DisposalMethod.choices))
    reason = forms.CharField(label=_("reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    meeting_on = forms.DateField(label=_("village meeting held on"), widget=DateInput())
    meeting_resolution = forms.CharField(label=_("village meeting resolution"), max_length=300)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"), choices=[("approve", _("Approve")), ("refuse", _("Refuse"))]
    )
    opinion = forms.CharField(label=_("opinion"), max_length=300, required=False)


class CompleteForm(forms.Form):
    disposed_on = forms.DateField(label=_("disposed on"), widget=DateInput())
    proceeds = money(_("proceeds (yuan)"))
    proceeds_use = forms.CharField(label=_("where the proceeds go"), max_length=200, required=False)
