"""Forms for user administration: the action forms only collect input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from trialsite.accounts.models import RoleAssignment, User
from trialsite.core.views import ScopedModelForm


class UserForm(ScopedModelForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "display_name", "email", "is_active"]
        help_texts = {"is_active": "Untick to deactivate: the user's sessions and API token end at once."}


class RoleAssignmentForm(ScopedModelForm):
    reason = forms.CharField(required=False, max_length=500, help_text="Why this access is granted")

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "site", "study_site"]
        help_texts = {
            "site": "Leave site and study at site empty for a network-wide role.",
            "study_site": "For a role on one study at a site only (external monitors).",
        }


class RoleActiveForm(forms.Form):
    is_active = forms.BooleanField(required=False, label="Active", help_text="Untick to revoke the role")
    reason = forms.CharField(required=False, widget=forms.Textarea, max_length=2000, help_text="Required to revoke")
    version = forms.IntegerField(widget=forms.HiddenInput)


class TemporaryPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="Temporary password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Repeat it", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )
    reason = forms.CharField(required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data
