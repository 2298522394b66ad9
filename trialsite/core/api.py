"""API conventions shared by every endpoint: scoping, versioned writes, clear errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from trialsite.accounts.scoping import grants_for
from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError
from trialsite.core.models import AuditedModel
from trialsite.core.services import can_write, save_record, validation_messages


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.message, "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_messages(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key whose choices are only the rows the requesting user may see.

    An id outside the user's scope gets the same answer as an id that does not exist.
    """

    def get_queryset(self) -> models.QuerySet:
        qs = super().get_queryset()
        request = self.context.get("request")
        if request is not None and issubclass(qs.model, AuditedModel):
            return qs.visible_to(request.user, "view")
        return qs


class VersionedModelSerializer(serializers.ModelSerializer):
    """Model serializer with optimistic concurrency and model validation.

    Updates must send the `version` they were based on; a stale one answers 409.
    """

    serializer_related_field = ScopedRelatedField
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Send back the version you read; a stale version is refused with 409."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "version" not in attrs:
            raise exceptions.ValidationError({"version": ["Send the version of the record you are changing."]})
        return attrs

    def _save(self, instance: AuditedModel) -> AuditedModel:
        request = self.context["request"]
        return save_record(
            instance,
            actor=request.user,
            reason=request.data.get("reason", "") if isinstance(request.data, dict) else "",
        )

    def create(self, validated_data: dict[str, Any]) -> AuditedModel:
        validated_data.pop("version", None)
        instance = self.Meta.model(**validated_data)
        return self._save(instance)

    def update(self, instance: AuditedModel, validated_data: dict[str, Any]) -> AuditedModel:
        instance.version = validated_data.pop("version")
        for key, value in validated_data.items():
            setattr(instance, key, value)
        return self._save(instance)


class AuditedAPIMixin:
    """Attribute writes to the DRF-authenticated user (token or session)."""

    def initial(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        super().initial(request, *args, **kwargs)
        self._acting = acting_as(
            request.user if request.user.is_authenticated else None,
            process="api:anonymous",
            request_id=getattr(request._request, "request_id", ""),
        )
        self._acting.__enter__()

    def finalize_response(self, request, response, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        acting = getattr(self, "_acting", None)
        if acting is not None:
            acting.__exit__(None, None, None)
            self._acting = None
        return super().finalize_response(request, response, *args, **kwargs)


class ScopedViewSet(AuditedAPIMixin, viewsets.ModelViewSet):
    """List, retrieve, create, update over the user's scope; no hard delete (close/deactivate instead).

    Subclasses set `queryset` (with its select_related/prefetch), `serializer_class`,
    `filterset_fields`, `search_fields` and `ordering_fields`.
    """

    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().visible_to(self.request.user, "view")

    def check_object_permissions(self, request, obj) -> None:  # noqa: ANN001
        super().check_object_permissions(request, obj)
        if request.method not in permissions.SAFE_METHODS and not can_write(request.user, obj):
            raise exceptions.PermissionDenied("You may read this record but not change it.")

    def create(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        model = self.get_queryset().model
        grants = grants_for(request.user)
        creatable = (
            model.can_create(grants)
            if hasattr(model, "can_create")
            else not grants.scope(model.scope_write_roles).empty
        )
        if not creatable:
            raise exceptions.PermissionDenied("Your roles do not allow creating this kind of record.")
        return super().create(request, *args, **kwargs)
