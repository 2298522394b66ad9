import django_filters

from trialsite.network.vocab import TherapeuticArea
from trialsite.studies.models import Study, StudySite


class StudyFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Study.Status.choices)
    phase = django_filters.ChoiceFilter(choices=Study.Phase.choices)
    therapeutic_area = django_filters.ChoiceFilter(choices=TherapeuticArea.choices)

    class Meta:
        model = Study
        fields = ["status", "phase", "therapeutic_area", "sponsor"]


class StudySiteFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=StudySite.Status.choices)

    class Meta:
        model = StudySite
        fields = ["status", "study", "site"]
