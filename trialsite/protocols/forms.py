"""Forms of the protocol pages; they only collect input, the services validate and write."""

from __future__ import annotations

from django import forms

from trialsite.core.views import ScopedModelForm
from trialsite.protocols.models import EligibilityCriterion, Procedure, ProtocolVersion, VisitDefinition

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProtocolVersionForm(ScopedModelForm):
    reason = forms.CharField(required=False, max_length=500, help_text="Why (kept in the audit trail)")

    class Meta:
        model = ProtocolVersion
        fields = ["study", "label", "effective_on", "notes"]
        widgets = {"effective_on": DATE, "notes": forms.Textarea(attrs={"rows": 3})}


class ProtocolVersionEditForm(ProtocolVersionForm):
    class Meta(ProtocolVersionForm.Meta):
        fields = ["label", "effective_on", "notes"]


class AmendmentForm(forms.Form):
    label = forms.CharField(max_length=40, help_text="e.g. Amendment 2")
    effective_on = forms.DateField(widget=DATE, help_text="The new schedule applies to visits from this date")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(required=False, max_length=500, help_text="Why (kept in the audit trail)")


class VisitDefinitionForm(ScopedModelForm):
    order = forms.IntegerField(min_value=1, required=False, help_text="Position in the schedule; empty = last")
    reason = forms.CharField(required=False, max_length=500, help_text="Why (kept in the audit trail)")

    class Meta:
        model = VisitDefinition
        fields = [
            "code",
            "name",
            "order",
            "visit_type",
            "anchor",
            "day_offset",
            "window_before",
            "window_after",
            "stipend_amount",
            "stipend_currency",
        ]


class ProcedureForm(ScopedModelForm):
    class Meta:
        model = Procedure
        fields = ["code", "name", "category"]


class CriterionForm(ScopedModelForm):
    number = forms.IntegerField(min_value=1, required=False, help_text="Empty = next free number")
    reason = forms.CharField(required=False, max_length=500, help_text="Why (kept in the audit trail)")

    class Meta:
        model = EligibilityCriterion
        fields = ["kind", "number", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class RemoveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, help_text="Why it is removed (kept in the audit trail)")
