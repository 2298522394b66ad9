"""API: funnel metrics (read-only JSON) and prospect imports (upload, validate, commit)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from trialsite.accounts.scoping import grants_for
from trialsite.core.api import AuditedAPIMixin
from trialsite.recruitment import metrics, services
from trialsite.recruitment.importing import MAX_UPLOAD_BYTES
from trialsite.recruitment.models import ImportBatch
from trialsite.studies.models import StudySite


class FunnelMetricsViewSet(AuditedAPIMixin, viewsets.ViewSet):
    """Recruitment funnel over the participants in your scope; filter by study or study site."""

    @extend_schema(
        parameters=[
            OpenApiParameter("study", OpenApiTypes.INT, required=False),
            OpenApiParameter("study_site", OpenApiTypes.INT, required=False),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request: Request) -> Response:
        if grants_for(request.user).scope().empty:
            raise PermissionDenied("You have no role that gives access to recruitment metrics.")
        result = metrics.funnel_metrics(
            request.user, request.query_params.get("study"), request.query_params.get("study_site")
        )
        return Response(result.as_json())


class ImportBatchSerializer(serializers.ModelSerializer):
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "version",
            "study_site",
            "uploaded_by",
            "uploaded_at",
            "file_name",
            "kind",
            "size",
            "sha256",
            "headers",
            "mapping",
            "defaults",
            "status",
            "row_count",
            "valid_row_count",
            "error_count",
            "duplicate_count",
            "imported_count",
            "skipped_duplicates",
            "report",
            "validated_at",
            "committed_at",
            "committed_by",
            "report_url",
        ]
        read_only_fields = fields

    def get_report_url(self, obj: ImportBatch) -> str:
        return obj.get_absolute_url()


class UploadSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(min_value=1, max_value=2**62)
    file = serializers.FileField(max_length=255, allow_empty_file=False)


class ValidateSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31, required=False)
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    defaults = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)


class CommitSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31)
    skip_duplicates = serializers.BooleanField(default=False)


class ImportBatchViewSet(AuditedAPIMixin, viewsets.GenericViewSet):
    """Prospect imports into a study site: upload (multipart), validate with a mapping, commit.

    Only the site team (site manager, site staff) of the study site may use it: files carry identity.
    """

    queryset = ImportBatch.objects.select_related("study_site")
    serializer_class = ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ["study_site", "status"]
    ordering_fields = ["uploaded_at"]
    search_fields: list[str] = []

    def get_queryset(self):  # noqa: ANN201
        if not ImportBatch.can_create(grants_for(self.request.user)):
            raise PermissionDenied("Only the site team may work with prospect imports: files carry identity.")
        return super().get_queryset().defer("content").visible_to(self.request.user, "view")

    def list(self, request: Request) -> Response:
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses=ImportBatchSerializer)
    def create(self, request: Request) -> Response:
        self.get_queryset()  # refuses roles without identity scope
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        study_site = get_object_or_404(
            StudySite.objects.visible_to(request.user, "view").select_related("site"),
            pk=data.validated_data["study_site"],
        )
        if upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError({"file": [f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB."]})
        batch = services.upload_batch(
            actor=request.user, study_site=study_site, file_name=upload.name, data=upload.read()
        )
        batch = services.validate_batch(batch, actor=request.user)
        return Response(self.get_serializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ValidateSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk: str | None = None) -> Response:
        """Set the column mapping (field → column) and defaults, validate, return the report."""
        batch = self.get_object()
        data = ValidateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        batch = services.validate_batch(
            batch,
            actor=request.user,
            mapping=v.get("mapping"),
            defaults=v.get("defaults"),
            expected_version=v.get("version"),
        )
        return Response(self.get_serializer(batch).data)

    @extend_schema(request=CommitSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        """Import every row of a ready batch, all or nothing."""
        batch = self.get_object()
        data = CommitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.commit_batch(
            batch,
            actor=request.user,
            expected_version=data.validated_data["version"],
            skip_duplicates=data.validated_data["skip_duplicates"],
        )
        return Response(self.get_serializer(batch).data)


def register(router: BaseRouter) -> None:
    router.register("funnel-metrics", FunnelMetricsViewSet, basename="funnel-metrics")
    router.register("prospect-imports", ImportBatchViewSet, basename="prospect-imports")
