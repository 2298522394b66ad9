"""REST API of the protocol: versions (with the SoA grid and amendments), procedures, visits, criteria."""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from trialsite.core.api import ScopedViewSet
from trialsite.core.services import can_write
from trialsite.protocols import services
from trialsite.protocols.models import EligibilityCriterion, Procedure, ProtocolVersion, VisitDefinition
from trialsite.protocols.schedule import build_grid
from trialsite.protocols.serializers import (
    AmendmentSerializer,
    CriterionSerializer,
    ProcedureSerializer,
    ProtocolVersionSerializer,
    ScheduleWriteSerializer,
    VisitDefinitionSerializer,
)


class ProtocolVersionViewSet(ScopedViewSet):
    """Protocol versions and amendments of the studies in scope; the SoA grid at `schedule/`."""

    queryset = ProtocolVersion.objects.select_related("study")
    serializer_class = ProtocolVersionSerializer
    filterset_fields = ["study"]
    search_fields = ["label", "study__protocol_number"]
    ordering_fields = ["effective_on", "label"]
    ordering = ["study__protocol_number", "effective_on"]

    def _writable(self, request: Request, pv: ProtocolVersion) -> None:
        if not can_write(request.user, pv):
            raise exceptions.PermissionDenied("You may read this protocol but not change it.")

    @extend_schema(methods=["GET"], responses=dict)
    @extend_schema(methods=["PUT"], request=ScheduleWriteSerializer, responses=dict)
    @action(detail=True, methods=["get", "put"])
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        """The grid: visits (columns), procedures (rows), ticks. PUT replaces all ticks at once."""
        pv = self.get_object()
        if request.method == "PUT":
            self._writable(request, pv)
            data = ScheduleWriteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            pv = services.save_schedule(
                pv,
                actor=request.user,
                ticks=[(t["visit"], t["procedure"]) for t in v["ticks"]],
                expected_version=v["version"],
                reason=v["reason"],
            )
        return Response(build_grid(pv).as_data())

    @extend_schema(request=AmendmentSerializer, responses=ProtocolVersionSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str | None = None) -> Response:
        """A new version copied from this one (visits, ticks, criteria) with its own effective date."""
        source = self.get_object()
        self._writable(request, source)
        data = AmendmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        pv = services.create_amendment(
            source,
            actor=request.user,
            label=v["label"],
            effective_on=v["effective_on"],
            notes=v["notes"],
            reason=v["reason"],
        )
        return Response(
            ProtocolVersionSerializer(pv, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class ProcedureViewSet(ScopedViewSet):
    """Procedures of a study: the rows of its SoA grids."""

    queryset = Procedure.objects.all()
    serializer_class = ProcedureSerializer
    filterset_fields = ["study", "category"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "category"]
    ordering = ["study", "category", "code"]


class RemovableMixin:
    """DELETE goes through the app's remove service (which refuses records in use)."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    remove = staticmethod(lambda obj, **kw: None)

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        obj = self.get_object()
        if not can_write(request.user, obj):
            raise exceptions.PermissionDenied("You may read this record but not change it.")
        expected = request.query_params.get("version")
        self.remove(
            obj,
            actor=request.user,
            expected_version=int(expected) if expected and expected.isdigit() else None,
            reason=request.query_params.get("reason", "")[:500],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VisitDefinitionViewSet(RemovableMixin, ScopedViewSet):
    """Visits of a version's schedule, each with the codes of the procedures done at it."""

    queryset = VisitDefinition.objects.prefetch_related(
        models.Prefetch("visit_procedures__procedure", queryset=Procedure.objects.only("id", "code"))
    )
    serializer_class = VisitDefinitionSerializer
    filterset_fields = ["protocol_version", "visit_type", "anchor"]
    search_fields = ["code", "name"]
    ordering_fields = ["order", "code", "day_offset"]
    ordering = ["protocol_version", "order"]
    remove = staticmethod(services.remove_visit_definition)


class CriterionViewSet(RemovableMixin, ScopedViewSet):
    """Inclusion and exclusion criteria of a protocol version."""

    queryset = EligibilityCriterion.objects.all()
    serializer_class = CriterionSerializer
    filterset_fields = ["protocol_version", "kind"]
    search_fields = ["text"]
    ordering_fields = ["kind", "number"]
    ordering = ["protocol_version", "kind", "number"]
    remove = staticmethod(services.remove_criterion)


def register(router: BaseRouter) -> None:
    """Viewsets of this app are registered here."""
    router.register("protocol-versions", ProtocolVersionViewSet)
    router.register("procedures", ProcedureViewSet)
    router.register("visit-definitions", VisitDefinitionViewSet)
    router.register("eligibility-criteria", CriterionViewSet)
