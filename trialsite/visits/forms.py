"""Forms of the visit actions: plain forms, the services do the rules."""

from __future__ import annotations

from typing import Any

from django import forms

DATE = forms.DateInput(attrs={"type": "date"})


class CompleteForm(forms.Form):
    """Actual date plus one done / not-done answer per procedure of the visit's schedule entry."""

    actual_on = forms.DateField(widget=DATE, label="Date of the visit")
    reason = forms.CharField(required=False, max_length=300, label="Note (optional)")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647)

    def __init__(self, *args: Any, procedures: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure_codes = [code for code, _name in procedures]
        for code, name in procedures:
            self.fields[f"proc_{code}"] = forms.TypedChoiceField(
                label=f"{code} {name}",
                choices=[("1", "Done"), ("0", "Not done")],
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )

    def procedures(self) -> dict[str, bool]:
        return {code: self.cleaned_data[f"proc_{code}"] for code in self.procedure_codes}


class MissForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why was the visit missed?")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647)


class RescheduleForm(forms.Form):
    planned_on = forms.DateField(widget=DATE, label="New date")
    reason = forms.CharField(required=False, max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647)


class UnscheduledForm(forms.Form):
    participant = forms.ModelChoiceField(queryset=None)
    planned_on = forms.DateField(widget=DATE, label="Date")
    name = forms.CharField(max_length=120, initial="Unscheduled visit")
    reason = forms.CharField(required=False, max_length=300)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from trialsite.participants.models import Participant

        self.fields["participant"].queryset = (
            Participant.objects.visible_to(user, "change")
            .filter(stage__in=["screening", "enrolled"])
            .select_related("study_site__study", "study_site__site")
        )
        self.fields["participant"].label_from_instance = lambda p: f"{p.study_label} · {p.study_site}"


class ApplyAmendmentForm(forms.Form):
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(required=False, max_length=300)


class FeedForm(forms.Form):
    site = forms.ModelChoiceField(queryset=None, required=False)
    coordinator = forms.ModelChoiceField(queryset=None, required=False, help_text="Or a coordinator's own visits")
    label = forms.CharField(required=False, max_length=120)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from trialsite.network.models import Site
        from trialsite.staff.models import Person

        self.fields["site"].queryset = Site.objects.visible_to(user)
        self.fields["coordinator"].queryset = Person.objects.visible_to(user).filter(is_active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("site")) == bool(data.get("coordinator")):
            raise forms.ValidationError("Choose either a site or a coordinator.")
        return data
