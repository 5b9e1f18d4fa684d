"""Forms of the monitoring pages: they parse and type what a user typed; the services judge it.

Fields are mostly optional here so that the services' own messages (the same for the pages and the
API) say what is missing; a form only refuses what it cannot even read (a date that is no date).
Each action form gives the keyword arguments of its service call (``arguments``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.cases.models import OPEN_STATES, Case, CaseKind, EliminationKind, FastTrackReason, State
from fupin.cases.selectors import CaseFilters
from fupin.core import clock
from fupin.registry.choices import MonitoringCategory, RiskType
from fupin.web.forms import DateInput

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
ALL_STATES = "all"


def _today() -> dt.date:
    return clock.today()


def _category_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Monitoring category"), required=False, choices=[("", "—"), *MonitoringCategory.choices]
    )


def _risk_types_field(choices: Any = None) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Risk types"),
        required=False,
        choices=choices if choices is not None else RiskType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One to five."),
    )


def _text_field(
    label: Any, *, rows: int = 3, max_length: int = 500, required: bool = False
) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows})
    )


def _date_field(label: Any, *, initial: Any = _today) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput(), initial=initial)


def _count_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )


# ---------------------------------------------------------------- lists


class CaseFilterForm(forms.Form):
    """The filters of "My tasks" (open steps only) and of the search of every case (``every_state``)."""

    state = forms.ChoiceField(label=_("Step"), required=False)
    kind = forms.ChoiceField(
        label=_("Procedure"), required=False, choices=[("", _("All")), *CaseKind.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    due_by = forms.DateField(label=_("Step due by"), required=False, widget=DateInput())

    def __init__(self, *args: Any, every_state: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.every_state = every_state
        state = cast(forms.ChoiceField, self.fields["state"])
        if every_state:
            state.choices = [
                ("", _("Every open step")),
                (ALL_STATES, _("Any step, closed cases too")),
                *State.choices,
            ]
            self.fields["area"] = forms.CharField(
                label=_("Area code"),
                required=False,
                max_length=12,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
            self.fields["number"] = forms.CharField(
                label=_("Household number"), required=False, max_length=30
            )
        else:
            open_states = [(code, label) for code, label in State.choices if code in OPEN_STATES]
            state.choices = [("", _("All")), *open_states]

    def filters(self) -> CaseFilters:
        """The valid filters; a tampered value is ignored rather than shown as an error."""
        self.is_valid()
        data = self.cleaned_data
        state = data.get("state", "")
        return CaseFilters(
            state="" if state == ALL_STATES else state,
            kind=data.get("kind", ""),
            overdue=bool(data.get("overdue")),
            due_by=data.get("due_by"),
            area_code=(data.get("area") or "").strip(),
            household_number=(data.get("number") or "").strip(),
            open_only=state != ALL_STATES,
        )

    def is_filtered(self) -> bool:
        """Whether any filter is set (after ``filters``): the empty state then says "no match"."""
        return any(getattr(self, "cleaned_data", {}).get(name) for name in self.fields)


# ---------------------------------------------------------------- actions on a case


class ActionForm(forms.Form):
    """A form for one action on one case; its ids carry the action so that several fit on one page."""

    # Service error keys that are not the form's field names.
    aliases: dict[str, str] = {}
    multipart = False

    def __init__(self, *args: Any, case: Case, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.case = case
        self.action = action

    def arguments(self) -> dict[str, Any]:
        return {}

    def _text(self, name: str) -> str:
        return str(self.cleaned_data.get(name) or "")


class VisitForm(ActionForm):
    aliases = {"authorization": "authorization_signed"}
    multipart = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case = self.case
        identification = case.kind == CaseKind.IDENTIFICATION
        fields: dict[str, forms.Field] = {
            "visited_on": _date_field(_("Visited on")),
            "findings": _text_field(_("What the visit found"), rows=4, max_length=2000),
            "proceed": forms.ChoiceField(
                label=_("Outcome of the visit"),
                choices=[
                    ("yes", _("Risk confirmed: go on to the village appraisal"))
                    if identification
                    else ("yes", _("Risk gone: go on to the village appraisal")),
                    ("no", _("No risk found: close the case"))
                    if identification
                    else ("no", _("Risk not gone yet: close the case")),
                ],
                initial="yes",
                widget=forms.RadioSelect,
            ),
        }
        if identification:
            fields["category"] = _category_field()
            fields["risk_types"] = _risk_types_field()
            fields["authorization_signed"] = forms.BooleanField(
                label=_("The household signed the authorization for data checks"), required=False
            )
            fields["authorization_file"] = forms.FileField(
                label=_("Photo or scan of the signed authorization"),
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
            )
            self.initial.setdefault("category", case.proposed_category)
            self.initial.setdefault("risk_types", case.proposed_risk_list)
        else:
            fields["income_per_capita"] = forms.DecimalField(
                label=_("Verified per-capita income (yuan)"),
                required=False,
                min_value=0,
                decimal_places=2,
                max_digits=12,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            )
            fields["income_stable_since"] = _date_field(_("Income stable since"), initial=None)
            fields["rigid_spending_resolved"] = forms.BooleanField(
                label=_("Large rigid spending is resolved"), required=False
            )
        self.fields.update(fields)

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments: dict[str, Any] = {
            "visited_on": data.get("visited_on"),
            "findings": self._text("findings"),
            "proceed": data.get("proceed") == "yes",
        }
        if self.case.kind == CaseKind.IDENTIFICATION:
            arguments.update(
                category=data.get("category", ""),
                risk_types=list(data.get("risk_types") or []),
                authorization_signed=bool(data.get("authorization_signed")),
                authorization_file=data.get("authorization_file") or None,
            )
        else:
            income = data.get("income_per_capita")
            arguments.update(
                income_per_capita=None if income is None else str(income),
                income_stable_since=data.get("income_stable_since"),
                rigid_spending_resolved=bool(data.get("rigid_spending_resolved")),
            )
        return arguments


class AppraisalForm(ActionForm):
    held_on = _date_field(_("Held on"))
    attendees = _count_field(_("People who took part"))
    votes_for = _count_field(_("Votes for"))
    votes_against = _count_field(_("Votes against"))
    agreed = forms.ChoiceField(
        label=_("Did the appraisal agree?"), choices=YES_NO, initial="yes", widget=forms.RadioSelect
    )
    notes = _text_field(_("Notes (say why when it did not agree)"))

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "held_on": data.get("held_on"),
            "attendees": data.get("attendees") or 0,
            "votes_for": data.get("votes_for") or 0,
            "votes_against": data.get("votes_against") or 0,
            "agreed": data.get("agreed") == "yes",
            "notes": self._text("notes"),
        }


class ObjectionForm(ActionForm):
    received_on = _date_field(_("Received on"))
    summary = _text_field(_("What the objection says"))

    def arguments(self) -> dict[str, Any]:
        return {"received_on": self.cleaned_data.get("received_on"), "summary": self._text("summary")}


class SettleObjectionForm(ActionForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        open_objections = [o for o in self.case.objections.all() if o.resolved_on is None]
        self.fields["objection"] = forms.TypedChoiceField(
            label=_("Objection"),
            coerce=int,
            choices=[(o.pk, f"{o.received_on:%Y-%m-%d} · {o.summary[:60]}") for o in open_objections],
        )
        self.fields["upheld"] = forms.ChoiceField(
            label=_("Result of the check"),
            choices=[
                ("no", _("Not upheld: the case goes on")),
                ("yes", _("Upheld: the case ends at the village")),
            ],
            initial="no",
            widget=forms.RadioSelect,
        )
        self.fields["resolution"] = _text_field(_("How it was checked and settled"))

    def arguments(self) -> dict[str, Any]:
        return {
            "objection_id": self.cleaned_data["objection"],
            "upheld": self.cleaned_data.get("upheld") == "yes",
            "resolution": self._text("resolution"),
        }


class ConfirmForm(ActionForm):
    """An action without values (submission to the township)."""


class NoteForm(ActionForm):
    reason = _text_field(_("Note (optional)"), rows=2)

    def arguments(self) -> dict[str, Any]:
        return {"reason": self._text("reason")}


class ReasonForm(ActionForm):
    reason = _text_field(_("Reason (the previous step reads it)"))

    def arguments(self) -> dict[str, Any]:
        return {"reason": self._text("reason")}


class CountyApproveForm(ActionForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case = self.case
        if case.kind == CaseKind.IDENTIFICATION:
            self.fields["category"] = _category_field()
            self.fields["risk_types"] = _risk_types_field()
            self.initial.setdefault("category", case.proposed_category)
            self.initial.setdefault("risk_types", case.proposed_risk_list)
        else:
            self.fields["elimination_kind"] = forms.ChoiceField(
                label=_("How the risk was eliminated"),
                required=False,
                choices=EliminationKind.choices,
                initial=EliminationKind.ASSISTED,
                widget=forms.RadioSelect,
            )
        self.fields["reason"] = _text_field(_("Note (optional)"), rows=2)

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments: dict[str, Any] = {"reason": self._text("reason")}
        if self.case.kind == CaseKind.IDENTIFICATION:
            arguments.update(category=data.get("category", ""), risk_types=list(data.get("risk_types") or []))
        else:
            arguments["elimination_kind"] = data.get("elimination_kind", "")
        return arguments


class FastTrackForm(ActionForm):
    reason_kind = forms.ChoiceField(
        label=_("What happened"), required=False, choices=[("", "—"), *FastTrackReason.choices]
    )
    category = _category_field()
    risk_types = _risk_types_field()
    reason = _text_field(_("Say what happened to the household"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The category the case proposes (a visit or screening found it); sudden difficulty when none.
        self.initial.setdefault(
            "category", self.case.proposed_category or MonitoringCategory.SUDDEN_DIFFICULTY
        )
        self.initial.setdefault("risk_types", self.case.proposed_risk_list)

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "reason_kind": data.get("reason_kind", ""),
            "category": data.get("category", ""),
            "risk_types": list(data.get("risk_types") or []),
            "reason": self._text("reason"),
        }


# Which form each action of ``fupin.cases.workflow`` takes on the case page ("post_notice" has its page).
ACTION_FORMS: dict[str, type[ActionForm]] = {
    "visit": VisitForm,
    "appraise": AppraisalForm,
    "record_objection": ObjectionForm,
    "settle_objection": SettleObjectionForm,
    "submit": ConfirmForm,
    "township_approve": NoteForm,
    "township_return": ReasonForm,
    "county_approve": CountyApproveForm,
    "county_return": ReasonForm,
    "county_reject": ReasonForm,
    "fast_track": FastTrackForm,
}


# ---------------------------------------------------------------- pages of their own


class NoticeForm(forms.Form):
    cases = forms.TypedMultipleChoiceField(
        label=_("Households on the notice"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    posted_on = forms.DateField(label=_("Posted on"), required=False, widget=DateInput())
    days = forms.IntegerField(
        label=_("Days on the notice"),
        min_value=1,
        max_value=60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, cases: list[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["cases"])
        field.choices = [(case.pk, case.household.number) for case in cases]


class RaiseClueForm(forms.Form):
    category = _category_field()
    risk_types = _risk_types_field()
    description = _text_field(_("What you found"), rows=4, max_length=2000)


class EliminationForm(forms.Form):
    reason = _text_field(_("Why the risk is gone"), rows=4)


class MatchDeclarationForm(forms.Form):
    household = forms.TypedChoiceField(
        label=_("Registered household"),
        coerce=int,
        error_messages={"required": _("Choose the registered household the declaration is about.")},
    )
    category = _category_field()
    risk_types = _risk_types_field()

    def __init__(self, *args: Any, households: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["household"])
        field.choices = [("", "—"), *households]


class DismissDeclarationForm(forms.Form):
    reason = _text_field(_("Why no case is needed"))
