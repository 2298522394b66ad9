import django_filters

from trialsite.network.models import Site
from trialsite.participants.models import Participant
from trialsite.studies.models import StudySite
from trialsite.visits.models import Visit


class VisitFilter(django_filters.FilterSet):
    site = django_filters.ModelChoiceFilter(field_name="study_site__site", queryset=Site.objects.all(), label="Site")
    study_site = django_filters.ModelChoiceFilter(queryset=StudySite.objects.select_related("study", "site"))
    participant = django_filters.ModelChoiceFilter(
        queryset=Participant.objects.all(), widget=django_filters.widgets.forms.HiddenInput
    )
    status = django_filters.ChoiceFilter(choices=Visit.Status.choices)
    date_from = django_filters.DateFilter(field_name="planned_on", lookup_expr="gte", label="Planned from")
    date_to = django_filters.DateFilter(field_name="planned_on", lookup_expr="lte", label="Planned to")
    deviation_candidate = django_filters.BooleanFilter(label="Deviation candidate")

    class Meta:
        model = Visit
        fields = ["site", "study_site", "participant", "status", "date_from", "date_to", "deviation_candidate"]

    def __init__(self, *args, request=None, **kwargs):  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:  # choices limited to what the user may see (UI); the API backend does the same
            self.filters["site"].queryset = Site.objects.visible_to(user)
            self.filters["study_site"].queryset = StudySite.objects.visible_to(user).select_related("study", "site")
            self.filters["participant"].queryset = Participant.objects.visible_to(user)
