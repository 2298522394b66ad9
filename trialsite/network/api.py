from rest_framework.routers import BaseRouter

from trialsite.core.api import ScopedViewSet
from trialsite.network.filters import OrganizationFilter, SiteFilter
from trialsite.network.models import Organization, Site, SiteClosure
from trialsite.network.serializers import OrganizationSerializer, SiteClosureSerializer, SiteSerializer


class SiteViewSet(ScopedViewSet):
    """Sites of the network. Sites are never deleted: set status to inactive."""

    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    search_fields = ["code", "name", "city", "legal_entity"]
    ordering_fields = ["code", "name", "city", "country", "status"]
    ordering = ["code"]


class SiteClosureViewSet(ScopedViewSet):
    queryset = SiteClosure.objects.select_related("site")
    serializer_class = SiteClosureSerializer
    filterset_fields = ["site"]
    search_fields = ["reason"]
    ordering_fields = ["starts_on", "ends_on"]
    ordering = ["starts_on"]


class OrganizationViewSet(ScopedViewSet):
    """Sponsors, CROs and IRBs. Deactivate with is_active=false; never deleted."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    search_fields = ["name", "short_name"]
    ordering_fields = ["name", "kind", "country"]
    ordering = ["name"]


def register(router: BaseRouter) -> None:
    router.register("sites", SiteViewSet)
    router.register("site-closures", SiteClosureViewSet)
    router.register("organizations", OrganizationViewSet)
