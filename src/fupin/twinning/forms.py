"""Forms of the twinning pages: they read and type what a user typed; the services judge it.

Fields are mostly optional so that the services' messages (one wording for every caller) say what is
missing; a form refuses only what it cannot read (a date that is no date).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.areas.models import Area
from fupin.twinning.models import RankQuota, TaskForceRole
from fupin.twinning.selectors import HelperFilters, HelperRow, TaskForceRules
from fupin.web.forms import DateInput

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _date(label: Any, *, help_text: Any = "") -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput(), help_text=help_text)


def _text(label: Any, max_length: int, *, rows: int = 0, help_text: Any = "") -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(
        label=label, required=False, max_length=max_length, widget=widget, help_text=help_text
    )


def _version() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


def _area_label(area: Area) -> str:
    parent = getattr(area, "parent", None)
    return f"{parent.name} {area.name}" if parent and len(area.code) == 12 else area.name


def rank_choices(ranks: list[RankQuota]) -> list[tuple[str, str]]:
    return [(rank.code, f"{rank.label} ({rank.households})") for rank in ranks]


class HelperFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or work unit"), required=False, max_length=50)
    rank = forms.ChoiceField(label=_("Rank"), required=False)
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Helpers still helping")),
            ("all", _("Every helper, also those gone")),
            ("over", _("Helpers over quota")),
        ],
    )

    def __init__(self, *args: Any, ranks: list[RankQuota], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rank_field = self.fields["rank"]
        assert isinstance(rank_field, forms.ChoiceField)
        rank_field.choices = [("", "—"), *[(r.code, r.label) for r in ranks]]

    def filters(self) -> HelperFilters:
        if not self.is_valid():
            return HelperFilters()
        show = self.cleaned_data["show"]
        return HelperFilters(
            query=self.cleaned_data["q"],
            rank=self.cleaned_data["rank"],
            active_only=show == "",
            over_quota=show == "over",
        )

    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class HelperForm(forms.Form):
    name = _text(_("Name"), 50)
    unit = _text(_("Work unit"), 100, help_text=_("The department or enterprise the helper works for."))
    rank = forms.ChoiceField(label=_("Rank"), required=False)
    area = forms.ChoiceField(
        label=_("Kept by"),
        required=False,
        help_text=_("The county, or the township or village whose officers keep this helper's record."),
    )
    phone = _text(_("Phone"), 20, help_text=_("Stored encrypted; pages show it masked."))
    active = forms.BooleanField(label=_("Still helping households"), required=False, initial=True)
    version = _version()

    def __init__(
        self, *args: Any, ranks: list[RankQuota], areas: list[Area], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        rank_field, area_field = self.fields["rank"], self.fields["area"]
        assert isinstance(rank_field, forms.ChoiceField) and isinstance(area_field, forms.ChoiceField)
        rank_field.choices = [("", "—"), *rank_choices(ranks)]
        area_field.choices = [(a.code, _area_label(a)) for a in areas]
        if editing:
            self.fields["phone"].help_text = _(
                "Leave empty to keep the phone; type a new number to replace it."
            )
        else:
            del self.fields["active"]


class AssignForm(forms.Form):
    helper = forms.TypedChoiceField(label=_("Helper"), required=False, coerce=int, empty_value=None)
    started_on = _date(_("Twinned from"))

    def __init__(self, *args: Any, helpers: list[HelperRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["helper"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", "—"),
            *[
                (
                    row.helper.pk,
                    f"{row.helper.name} · {row.helper.unit} · {row.rank_label} "
                    f"({row.current}/{row.quota if row.quota is not None else '—'})",
                )
                for row in helpers
            ],
        ]
        field.help_text = _("In brackets: households the helper helps now / the quota of the rank.")


class EndAssignmentForm(forms.Form):
    ended_on = _date(_("Twinned until"))
    reason = _text(_("Reason"), 200, help_text=_("For example: the helper was transferred; risk eliminated."))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by the service, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [d for d in data if d]
        return [data] if data else []


class VisitForm(forms.Form):
    visited_on = _date(_("Visited on"))
    helper = forms.TypedChoiceField(label=_("Visited by"), required=False, coerce=int, empty_value=None)
    findings = _text(
        _("Findings"), 4000, rows=4, help_text=_("What you saw and heard: income, health, work.")
    )
    follow_up = _text(_("Follow-up actions"), 4000, rows=3)
    risk_present = forms.ChoiceField(
        label=_("Is the risk still present?"), required=False, choices=YES_NO, widget=forms.RadioSelect
    )
    photos = MultipleFileField(label=_("Photos"), required=False)

    def __init__(self, *args: Any, helpers: list[tuple[int, str]], me: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["helper"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Myself (%(name)s)") % {"name": me}), *helpers]

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        risk = data.get("risk_present")
        return {
            "visited_on": data.get("visited_on"),
            "helper_id": data.get("helper"),
            "findings": data.get("findings", ""),
            "follow_up": data.get("follow_up", ""),
            "risk_present": None if not risk else risk == "yes",
            "photos": data.get("photos") or [],
        }


class HelpingUnitForm(forms.Form):
    name = _text(_("Helping unit"), 100)
    started_on = _date(_("From"))
    ended_on = _date(_("Until"), help_text=_("Empty while the unit still helps the village."))
    notes = _text(_("Notes"), 300)
    version = _version()


class TaskForceMemberForm(forms.Form):
    name = _text(_("Name"), 50)
    unit = _text(_("Work unit"), 100)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", "—"), *TaskForceRole.choices])
    term_start = _date(_("Term starts"))
    term_end = _date(_("Term ends"))
    left_on = _date(_("Left early on"), help_text=_("Only when the member left before the term ended."))
    version = _version()

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["left_on"]


class CountySettingsForm(forms.Form):
    """The county's ranks (name, quota, remove) plus an empty row for a new rank, and the task-force rules."""

    min_members = forms.IntegerField(label=_("Minimum members of a village task force"), required=False)
    min_term_months = forms.IntegerField(label=_("Minimum term (months)"), required=False)
    require_first_secretary = forms.BooleanField(label=_("A first secretary is required"), required=False)
    version = _version()

    def __init__(self, *args: Any, ranks: list[RankQuota], rules: TaskForceRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ranks = ranks
        self.initial.setdefault("min_members", rules.min_members)
        self.initial.setdefault("min_term_months", rules.min_term_months)
        self.initial.setdefault("require_first_secretary", rules.require_first_secretary)
        self.initial.setdefault("version", rules.version)
        for rank in ranks:
            self.fields[f"rank_{rank.code}_name"] = forms.CharField(
                label=_("Rank"), required=False, max_length=50, initial=rank.label
            )
            self.fields[f"rank_{rank.code}_households"] = forms.IntegerField(
                label=_("Households per helper"), required=False, initial=rank.households
            )
            self.fields[f"rank_{rank.code}_remove"] = forms.BooleanField(label=_("Remove"), required=False)
        self.fields["rank_new_name"] = forms.CharField(label=_("New rank"), required=False, max_length=50)
        self.fields["rank_new_households"] = forms.IntegerField(
            label=_("Households per helper"), required=False
        )

    def rank_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField | None]]:
        rows: list[tuple[forms.BoundField, forms.BoundField, forms.BoundField | None]] = [
            (self[f"rank_{r.code}_name"], self[f"rank_{r.code}_households"], self[f"rank_{r.code}_remove"])
            for r in self.ranks
        ]
        rows.append((self["rank_new_name"], self["rank_new_households"], None))
        return rows
