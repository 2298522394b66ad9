"""List filters of the funnel: stage, channel, study site (choices limited to the user's scope)."""

import django_filters

from trialsite.participants.models import ConsentFormVersion, Participant
from trialsite.studies.models import StudySite


def visible_study_sites(request):  # noqa: ANN001, ANN201
    qs = StudySite.objects.select_related("study", "site")
    if request is None:
        return qs.none()
    return qs.visible_to(request.user, "view")


class ParticipantFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=Participant.Stage.choices)
    referral_channel = django_filters.ChoiceFilter(choices=Participant.Channel.choices, label="Channel")
    study_site = django_filters.ModelChoiceFilter(queryset=visible_study_sites, label="Study at site")

    class Meta:
        model = Participant
        fields = ["stage", "referral_channel", "study_site"]


class StudySiteOnlyFilter(django_filters.FilterSet):
    study_site = django_filters.ModelChoiceFilter(queryset=visible_study_sites, label="Study at site")

    class Meta:
        model = Participant
        fields = ["study_site"]


class ConsentFormVersionFilter(django_filters.FilterSet):
    study_site = django_filters.ModelChoiceFilter(queryset=visible_study_sites, label="Study at site")

    class Meta:
        model = ConsentFormVersion
        fields = ["study_site", "language"]
