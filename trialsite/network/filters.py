import django_filters

from trialsite.network.models import Organization, Site
from trialsite.network.vocab import Capability, TherapeuticArea


class JSONContainsFilter(django_filters.ChoiceFilter):
    """Filter a JSON list field for one value, portably (SQLite and PostgreSQL)."""

    def filter(self, qs, value):  # noqa: ANN001, ANN201
        if value in (None, ""):
            return qs
        return qs.filter(**{f"{self.field_name}__icontains": f'"{value}"'})


class SiteFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Site.Status.choices)
    country = django_filters.CharFilter(lookup_expr="iexact", max_length=2)
    capability = JSONContainsFilter(field_name="capabilities", choices=Capability.choices, label="Capability")
    therapeutic_area = JSONContainsFilter(
        field_name="therapeutic_areas", choices=TherapeuticArea.choices, label="Therapeutic area"
    )

    class Meta:
        model = Site
        fields = ["status", "country"]


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Organization.Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Organization
        fields = ["kind", "is_active"]
