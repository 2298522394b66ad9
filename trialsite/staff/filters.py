import django_filters

from trialsite.staff.models import Assignment, JobRole, Person


class PersonFilter(django_filters.FilterSet):
    job_role = django_filters.ChoiceFilter(choices=JobRole.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Person
        fields = ["job_role", "home_site", "is_active"]


class AssignmentFilter(django_filters.FilterSet):
    study_role = django_filters.ChoiceFilter(choices=Assignment.StudyRole.choices)

    class Meta:
        model = Assignment
        fields = ["study_role", "person", "study_site"]
