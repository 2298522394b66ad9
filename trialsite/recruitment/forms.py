"""Forms for the metrics filter and the prospect import steps."""

from __future__ import annotations

from typing import Any

from django import forms

from trialsite.participants.models import Participant
from trialsite.recruitment.importing import FIELDS, MAX_UPLOAD_BYTES, REQUIRED
from trialsite.studies.models import StudySite

FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "birth_date": "Birth date",
    "sex": "Sex",
    "phone": "Phone",
    "email": "E-mail",
    "medical_record_number": "Medical record number",
    "referral_channel": "Referral channel",
    "referral_source": "Referral source",
    "campaign": "Campaign",
    "referred_on": "Referred on",
}


class UploadForm(forms.Form):
    study_site = forms.ModelChoiceField(queryset=StudySite.objects.none(), label="Study at site")
    file = forms.FileField(
        help_text=f"CSV (UTF-8) or Excel .xlsx, first row naming the columns, at most {MAX_UPLOAD_BYTES // 2**20} MB."
    )

    def __init__(self, *args: Any, study_sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["study_site"].queryset = study_sites

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
        return upload


class MappingForm(forms.Form):
    """One select per participant field listing the file's columns, plus batch-wide defaults."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    default_referral_channel = forms.ChoiceField(
        choices=[("", "—")] + list(Participant.Channel.choices), required=False, label="Default referral channel"
    )
    default_referral_source = forms.CharField(max_length=200, required=False, label="Default referral source")
    default_campaign = forms.CharField(max_length=120, required=False, label="Default campaign")
    default_referred_on = forms.DateField(
        required=False, label="Default referral date", help_text="Empty: today at the site."
    )

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not in file —")] + [(h, h) for h in headers if h]
        mapped = {}
        for name in FIELDS:
            mapped[f"map_{name}"] = forms.ChoiceField(
                choices=choices, required=name in REQUIRED, label=FIELD_LABELS[name]
            )
        self.fields = {**mapped, **self.fields}

    def mapping(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"map_{name}") or "" for name in FIELDS}

    def defaults(self) -> dict[str, str]:
        out = {}
        for name in ("referral_channel", "referral_source", "campaign", "referred_on"):
            value = self.cleaned_data.get(f"default_{name}")
            if value:
                out[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return out


class CommitForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    skip_duplicates = forms.BooleanField(required=False, label="Skip the duplicate rows and import the rest")
