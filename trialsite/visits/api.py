"""Visits API: read visits, act on them through the services; create and revoke calendar feeds."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from trialsite.core.api import (
    AuditedAPIMixin,
    ScopedFilterBackend,
    SearchFilter,
    VersionedAutoSchema,
    etag_for,
    if_match_version,
    with_version,
)
from trialsite.core.services import can_write
from trialsite.visits import services
from trialsite.visits.filters import VisitFilter
from trialsite.visits.models import CalendarFeed, Visit
from trialsite.visits.serializers import (
    CalendarFeedCreateSerializer,
    CalendarFeedSerializer,
    CompleteSerializer,
    MissSerializer,
    RescheduleSerializer,
    UnscheduledSerializer,
    VisitSerializer,
)


class ScopedReadViewSet(AuditedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read-only over the user's scope; changes happen only through the actions below."""

    filter_backends = [ScopedFilterBackend, SearchFilter, filters.OrderingFilter]
    schema = VersionedAutoSchema()

    def get_queryset(self):  # noqa: ANN201
        return super().get_queryset().visible_to(self.request.user, "view")

    def retrieve(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": etag_for(instance)})


class VisitViewSet(ScopedReadViewSet):
    """Visits of participants. Filter by site, study_site, status, date_from/date_to (planned date)."""

    queryset = Visit.objects.select_related("participant", "study_site__site")
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    search_fields = ["code", "name", "participant__subject_id", "participant__screening_number"]
    ordering_fields = ["planned_on", "status", "code"]
    ordering = ["planned_on", "pk"]
    if_match_actions = ("complete", "miss", "reschedule")

    def _writable(self) -> Visit:
        visit = self.get_object()
        if not can_write(self.request.user, visit):
            raise exceptions.PermissionDenied("You may read this visit but not change it.")
        return visit

    def _answer(self, visit: Visit, code: int = status.HTTP_200_OK) -> Response:
        visit = Visit.objects.select_related("participant", "study_site__site").get(pk=visit.pk)
        return Response(
            VisitSerializer(visit, context=self.get_serializer_context()).data,
            status=code,
            headers={"ETag": etag_for(visit)},
        )

    @extend_schema(request=CompleteSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        visit = self._writable()
        data = CompleteSerializer(data=with_version(request.data, if_match_version(request, visit.version)))
        data.is_valid(raise_exception=True)
        v = data.validated_data
        done = services.complete_visit(
            visit,
            actual_on=v["actual_on"],
            procedures=v["procedures"],
            actor=request.user,
            expected_version=v["version"],
            reason=v["reason"],
        )
        return self._answer(done)

    @extend_schema(request=MissSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def miss(self, request: Request, pk: str | None = None) -> Response:
        visit = self._writable()
        data = MissSerializer(data=with_version(request.data, if_match_version(request, visit.version)))
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return self._answer(
            services.miss_visit(visit, reason=v["reason"], actor=request.user, expected_version=v["version"])
        )

    @extend_schema(request=RescheduleSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        visit = self._writable()
        data = RescheduleSerializer(data=with_version(request.data, if_match_version(request, visit.version)))
        data.is_valid(raise_exception=True)
        v = data.validated_data
        moved = services.reschedule_visit(
            visit, planned_on=v["planned_on"], actor=request.user, reason=v["reason"], expected_version=v["version"]
        )
        return self._answer(moved)

    @extend_schema(request=UnscheduledSerializer, responses={201: VisitSerializer})
    @action(detail=False, methods=["post"])
    def unscheduled(self, request: Request) -> Response:
        from trialsite.participants.models import Participant

        data = UnscheduledSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        participant = Participant.objects.visible_to(request.user).filter(pk=v["participant"]).first()
        if participant is None:
            raise exceptions.ValidationError({"participant": ["No such participant."]})
        visit = services.add_unscheduled_visit(
            participant, planned_on=v["planned_on"], name=v["name"], reason=v["reason"], actor=request.user
        )
        return self._answer(visit, status.HTTP_201_CREATED)


class CalendarFeedViewSet(ScopedReadViewSet):
    """Secret-token iCalendar feeds of a site's or a coordinator's visits. Create; revoke; never deleted."""

    queryset = CalendarFeed.objects.select_related("site", "coordinator")
    serializer_class = CalendarFeedSerializer
    filterset_fields = ["site", "coordinator"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-pk"]

    @extend_schema(request=CalendarFeedCreateSerializer, responses={201: CalendarFeedSerializer})
    def create(self, request: Request) -> Response:
        from trialsite.network.models import Site
        from trialsite.staff.models import Person

        data = CalendarFeedCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        site = coordinator = None
        if v.get("site"):
            site = Site.objects.visible_to(request.user).filter(pk=v["site"]).first()
            if site is None:
                raise exceptions.ValidationError({"site": ["No such site."]})
        else:
            coordinator = Person.objects.visible_to(request.user).filter(pk=v["coordinator"]).first()
            if coordinator is None:
                raise exceptions.ValidationError({"coordinator": ["No such person."]})
        feed = services.create_feed(actor=request.user, site=site, coordinator=coordinator, label=v["label"])
        return Response(
            CalendarFeedSerializer(feed, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(feed)},
        )

    @extend_schema(request=None, responses=CalendarFeedSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        feed = self.get_object()
        if feed.created_by_id != request.user.pk and not can_write(request.user, feed):
            raise exceptions.PermissionDenied("You may not revoke this feed.")
        try:
            feed = services.revoke_feed(feed, actor=request.user)
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(CalendarFeedSerializer(feed, context=self.get_serializer_context()).data)


def register(router: BaseRouter) -> None:
    router.register("visits", VisitViewSet)
    router.register("calendar-feeds", CalendarFeedViewSet)
