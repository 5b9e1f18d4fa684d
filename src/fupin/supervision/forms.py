"""Forms of the supervision pages. They shape the input; the services decide what is acceptable."""

from __future__ import annotations

from typing import Any

from django import forms
from django import forms as django_forms
from django.utils.translation import gettext_lazy as _

from fupin.supervision.models import Kind, Severity, SituationKind, Source
from fupin.web.forms import DateInput


class ProblemForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    area = forms.ChoiceField(label=_("Area"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is wrong, without ID numbers or phone numbers."),
    )
    found_on = forms.DateField(label=_("Found on"), widget=DateInput(), required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    lead_unit = forms.CharField(label=_("Lead unit"), max_length=100, required=False)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ChoiceField)
        area_field.choices = [(a.code, a.name) for a in areas]


class InspectionForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Source.INSPECTION, Source.INSPECTION.label),
            (Source.UNANNOUNCED_VISIT, Source.UNANNOUNCED_VISIT.label),
            (Source.ASSESSMENT, Source.ASSESSMENT.label),
        ],
    )
    # Not required here: the service says everything that is missing or wrong at once.
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    area = forms.ChoiceField(label=_("Area to inspect"))
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    ends_on = forms.DateField(label=_("To"), widget=DateInput(), required=False)
    team = forms.CharField(
        label=_("Team"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The leader and members with their units."),
    )
    sample_size = forms.IntegerField(
        label=_("Households to visit"),
        required=False,
        min_value=1,
        max_value=500,
        help_text=_("Drawn at random, in proportion to each category, at least one from each."),
    )
    seed = forms.IntegerField(
        label=_("Seed (optional)"),
        required=False,
        min_value=0,
        help_text=_("Leave empty for a fresh draw; give an earlier inspection's seed to repeat its draw."),
    )

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ChoiceField)
        area_field.choices = [(a.code, a.name) for a in areas]


class TaskForm(forms.Form):
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=100)
    responsible_person = forms.CharField(label=_("Person responsible"), max_length=50)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    measures = forms.CharField(label=_("Rectification measures"), widget=forms.Textarea(attrs={"rows": 2}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name. A plain FileField sees the widget's list as "no file submitted";
    each file is checked here for being a file, its content by ``fupin.core.uploads`` in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class RectificationForm(forms.Form):
    description = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    # Not "files": that name is the form's own dict of uploads.
    evidence = MultipleFileField(
        label=_("Evidence files"),
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        required=False,
        help_text=_("PDF, JPEG or PNG, at most 10 MB each, at most 10 files."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class SituationForm(forms.Form):
    # Shapes only: the service says everything that is missing or wrong at once.
    kind = forms.ChoiceField(label=_("Kind"), choices=SituationKind.choices)
    area = forms.ChoiceField(label=_("Where"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    occurred_on = forms.DateField(label=_("Happened on"), widget=DateInput(), required=False)
    households_affected = forms.IntegerField(label=_("Households affected"), required=False)
    people_affected = forms.IntegerField(label=_("People affected"), required=False)
    description = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Without ID numbers or phone numbers."),
    )
    measures = forms.CharField(
        label=_("Measures taken"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ChoiceField)
        area_field.choices = [(a.code, a.name) for a in areas]


class FollowUpForm(forms.Form):
    text = forms.CharField(label=_("Follow-up"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class RoundForm(forms.Form):
    form_code = forms.ChoiceField(label=_("Report form"))
    issuer = forms.ChoiceField(label=_("Issued by"))
    filler_level = forms.ChoiceField(label=_("Filled in by the level"))
    period = forms.CharField(
        label=_("Month of the figures"),
        max_length=7,
        required=False,
        help_text=_("As YYYY-MM, e.g. 2026-11."),
    )
    deadline = forms.DateField(label=_("Submit by"), widget=DateInput(), required=False)
    title = forms.CharField(label=_("Title (optional)"), max_length=100, required=False)
    note = forms.CharField(
        label=_("Note to the areas"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, forms: list[Any], areas: list[Any], levels: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (("form_code", forms), ("issuer", areas), ("filler_level", levels)):
            field = self.fields[name]
            assert isinstance(field, django_forms.ChoiceField)
            field.choices = choices
