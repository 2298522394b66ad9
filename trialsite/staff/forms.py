from django import forms

from trialsite.core.views import ScopedModelForm
from trialsite.staff.models import Assignment, Person


class PersonForm(ScopedModelForm):
    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "credentials",
            "job_role",
            "email",
            "phone",
            "home_site",
            "user",
            "is_active",
        ]


class AssignmentForm(ScopedModelForm):
    class Meta:
        model = Assignment
        fields = ["person", "study_site", "study_role", "starts_on", "ends_on", "effort_percent"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }
