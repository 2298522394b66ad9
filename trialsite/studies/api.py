from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from trialsite.core.api import ScopedViewSet, etag_for, if_match_version, with_version
from trialsite.studies import services
from trialsite.studies.filters import StudyFilter, StudySiteFilter
from trialsite.studies.models import Study, StudySite
from trialsite.studies.serializers import StudySerializer, StudySiteSerializer, TransitionSerializer


class StudyViewSet(ScopedViewSet):
    """Studies (protocols). Close a study by its status; studies are never deleted."""

    queryset = Study.objects.select_related("sponsor", "cro")
    serializer_class = StudySerializer
    filterset_class = StudyFilter
    search_fields = ["protocol_number", "short_name", "title", "registry_id"]
    ordering_fields = ["protocol_number", "short_name", "phase", "status", "enrollment_target"]
    ordering = ["protocol_number"]


class StudySiteViewSet(ScopedViewSet):
    """A study at a site. Its status changes only through the `transition` action."""

    queryset = StudySite.objects.select_related("study", "site", "principal_investigator", "irb")
    serializer_class = StudySiteSerializer
    filterset_class = StudySiteFilter
    search_fields = ["study__protocol_number", "site__code", "site_number"]
    ordering_fields = ["status", "enrollment_target", "activated_on"]
    ordering = ["study__protocol_number", "site__code"]
    if_match_actions = ("transition",)

    @extend_schema(request=TransitionSerializer, responses=StudySiteSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        study_site = self.get_object()
        data = TransitionSerializer(data=with_version(request.data, if_match_version(request, study_site.version)))
        data.is_valid(raise_exception=True)
        v = data.validated_data
        updated = services.transition_study_site(
            study_site,
            to=v["status"],
            actor=request.user,
            on=v.get("on"),
            reason=v.get("reason", ""),
            expected_version=v["version"],
        )
        return Response(
            StudySiteSerializer(updated, context=self.get_serializer_context()).data,
            headers={"ETag": etag_for(updated)},
        )


def register(router: BaseRouter) -> None:
    router.register("studies", StudyViewSet)
    router.register("study-sites", StudySiteViewSet)
