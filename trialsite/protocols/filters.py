import django_filters
from django.http import HttpRequest

from trialsite.protocols.models import ProtocolVersion
from trialsite.studies.models import Study


def visible_studies(request: HttpRequest | None):  # noqa: ANN201
    """Study choices limited to the user's scope: an out-of-scope study is not even offered."""
    user = getattr(request, "user", None)
    return Study.objects.visible_to(user, "view").order_by("protocol_number")


class ProtocolVersionFilter(django_filters.FilterSet):
    study = django_filters.ModelChoiceFilter(queryset=visible_studies)
    effective_from = django_filters.DateFilter(field_name="effective_on", lookup_expr="gte", label="Effective from")

    class Meta:
        model = ProtocolVersion
        fields = ["study", "effective_from"]
