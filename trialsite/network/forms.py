from django import forms

from trialsite.core.views import ScopedModelForm
from trialsite.network.models import Organization, Site, SiteClosure
from trialsite.network.vocab import Capability, TherapeuticArea, Weekday


class SiteForm(ScopedModelForm):
    capabilities = forms.MultipleChoiceField(
        choices=Capability.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    therapeutic_areas = forms.MultipleChoiceField(
        choices=TherapeuticArea.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    clinic_days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Site
        fields = [
            "code",
            "name",
            "legal_entity",
            "address_line",
            "city",
            "postal_code",
            "region",
            "country",
            "time_zone",
            "status",
            "capabilities",
            "therapeutic_areas",
            "clinic_days",
            "daily_visit_capacity",
            "phone",
            "email",
        ]


class SiteClosureForm(ScopedModelForm):
    class Meta:
        model = SiteClosure
        fields = ["site", "starts_on", "ends_on", "reason"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }


class OrganizationForm(ScopedModelForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Organization
        fields = [
            "kind",
            "name",
            "short_name",
            "country",
            "contact_name",
            "contact_email",
            "phone",
            "website",
            "is_active",
        ]
