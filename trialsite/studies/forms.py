from django import forms

from trialsite.core.views import ScopedModelForm
from trialsite.studies.models import Study, StudySite


class LinesField(forms.CharField):
    """A list of short strings, typed one per line."""

    widget = forms.Textarea

    def prepare_value(self, value):  # noqa: ANN001, ANN201
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):  # noqa: ANN001, ANN201
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class StudyForm(ScopedModelForm):
    conditions = LinesField(required=False, help_text="One condition per line")

    class Meta:
        model = Study
        fields = [
            "protocol_number",
            "short_name",
            "title",
            "sponsor",
            "cro",
            "phase",
            "therapeutic_area",
            "conditions",
            "registry_id",
            "status",
            "enrollment_target",
            "planned_start",
            "planned_end",
        ]
        widgets = {
            "planned_start": forms.DateInput(attrs={"type": "date"}),
            "planned_end": forms.DateInput(attrs={"type": "date"}),
        }


class StudySiteForm(ScopedModelForm):
    class Meta:
        model = StudySite
        fields = [
            "study",
            "site",
            "site_number",
            "principal_investigator",
            "irb",
            "enrollment_target",
            "first_participant_in_on",
        ]
        widgets = {"first_participant_in_on": forms.DateInput(attrs={"type": "date"})}


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=StudySite.Status.choices, label="New status")
    on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Effective date",
        help_text="Defaults to today at the site",
    )
    reason = forms.CharField(required=False, widget=forms.Textarea, help_text="Required when withdrawing")
    version = forms.IntegerField(widget=forms.HiddenInput)
