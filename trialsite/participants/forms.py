"""One small form per funnel step; the service does the checking, the form only parses input."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from trialsite.core.views import ScopedModelForm
from trialsite.participants import services
from trialsite.participants.models import (
    ConsentFormVersion,
    ContactAttempt,
    EligibilityAssessment,
    Participant,
)
from trialsite.staff.models import Person

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SiteLocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the site's local time; stored in UTC."""

    widget = DATETIME

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.tz = kwargs.pop("tz", None)
        kwargs.setdefault("help_text", "Local time at the site")
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> datetime.datetime | None:
        result = super().to_python(value)
        if result is None or self.tz is None:
            return result
        wall = timezone.make_naive(result) if timezone.is_aware(result) else result
        return timezone.make_aware(wall, self.tz)


class ProspectForm(ScopedModelForm):
    """A new prospect or corrected identity/referral details."""

    reason = forms.CharField(required=False, max_length=300, help_text="Why the change (when editing)")

    class Meta:
        model = Participant
        fields = ["study_site", *services.PROSPECT_FIELDS]
        widgets = {"birth_date": DATE, "referred_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["study_site"].queryset = self.fields["study_site"].queryset.select_related("study", "site")
        if self.instance.pk:
            del self.fields["study_site"]


class StepForm(forms.Form):
    """Base of the step forms: knows the participant, carries the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, participant: Participant, **kwargs: Any) -> None:
        self.participant = participant
        kwargs.setdefault("initial", {})["version"] = participant.version
        super().__init__(*args, **kwargs)

    @property
    def tz(self):  # noqa: ANN201
        return self.participant.study_site.site.tz


class ContactAttemptForm(StepForm):
    at = SiteLocalDateTimeField(label="When")
    method = forms.ChoiceField(choices=ContactAttempt.Method.choices)
    outcome = forms.ChoiceField(choices=ContactAttempt.Outcome.choices)
    notes = forms.CharField(required=False, widget=forms.Textarea, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"].tz = self.tz


class PreScreenForm(StepForm):
    outcome = forms.ChoiceField(choices=[("passed", "Passed"), ("failed", "Failed")], widget=forms.RadioSelect)
    reason = forms.CharField(required=False, max_length=300, help_text="Required when the pre-screen fails")
    on = forms.DateField(required=False, widget=DATE, help_text="Defaults to today at the site")


def assigned_people(participant: Participant, user: Any) -> Any:
    """People on the study team of the participant's study site (the only ones who may do study tasks)."""
    return (
        Person.objects.visible_to(user, "view")
        .filter(assignments__study_site=participant.study_site)
        .distinct()
        .order_by("last_name", "first_name")
    )


class ConsentForm(StepForm):
    form_version = forms.ModelChoiceField(queryset=ConsentFormVersion.objects.none(), label="ICF version")
    consented_at = SiteLocalDateTimeField(label="Signed at")
    obtained_by = forms.ModelChoiceField(queryset=Person.objects.none(), label="Consent obtained by")
    screening_number = forms.CharField(required=False, max_length=40, help_text="Issued at first consent")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.participant
        self.fields["form_version"].queryset = ConsentFormVersion.objects.visible_to(user).filter(
            study_site=p.study_site
        )
        self.fields["obtained_by"].queryset = assigned_people(p, user)
        self.fields["consented_at"].tz = self.tz
        if p.stage in services.STEP_FROM["reconsent"]:
            del self.fields["screening_number"]
        else:
            self.fields["screening_number"].required = True


class EligibilityForm(StepForm):
    assessed_by = forms.ModelChoiceField(queryset=Person.objects.none())
    assessed_at = SiteLocalDateTimeField(required=False, help_text="Local time at the site; defaults to now")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.participant
        self.fields["assessed_by"].queryset = assigned_people(p, user)
        self.fields["assessed_at"].tz = self.tz
        existing = {a.criterion_id: a.answer for a in EligibilityAssessment.objects.filter(participant=p)}
        self.criteria = services.checklist(p)
        for c in self.criteria:
            self.fields[f"c{c.pk}"] = forms.ChoiceField(
                choices=[("", "— not answered —"), *EligibilityAssessment.Answer.choices],
                required=False,
                label=f"{c} ({c.get_kind_display()}): {c.text}",
                initial=existing.get(c.pk, ""),
            )

    def answers(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.criteria if self.cleaned_data.get(f"c{c.pk}")}


class ReasonForm(StepForm):
    reason = forms.CharField(max_length=300, required=True)
    on = forms.DateField(required=False, widget=DATE, help_text="Defaults to today at the site")


class OptionalReasonForm(StepForm):
    reason = forms.CharField(max_length=300, required=False)
    on = forms.DateField(required=False, widget=DATE, help_text="Defaults to today at the site")


class DateOnlyForm(StepForm):
    on = forms.DateField(required=False, widget=DATE, help_text="Defaults to today at the site")


class EnrollForm(StepForm):
    subject_id = forms.CharField(max_length=40, label="Subject ID")
    enrolled_on = forms.DateField(widget=DATE, label="Enrollment / randomization date")
    arm = forms.CharField(max_length=80, required=False, help_text="Where the study has arms")


class DayOneForm(StepForm):
    on = forms.DateField(widget=DATE, label="Day 1 (first dose)")


class ConsentFormVersionForm(ScopedModelForm):
    class Meta:
        model = ConsentFormVersion
        fields = ["study_site", "label", "language", "irb_approved_on", "effective_on"]
        widgets = {"irb_approved_on": DATE, "effective_on": DATE}


class RetireForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    on = forms.DateField(widget=DATE, label="Not in force from")
    reason = forms.CharField(max_length=300)
