"""API conventions shared by every endpoint: scoping, versioned writes, clear errors.

- Scope: every queryset goes through `visible_to`; out of scope is a 404 like a missing row.
- Concurrency (standards F1): writes name the version they were based on, in the body
  (`version`, stale → 409) or as `If-Match: "<version>"` (stale → 412); detail responses
  carry the version as `ETag`.
- Bad input (standards F3): every refusal is a 4xx naming the field; never a 500.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import exceptions, filters, permissions, serializers, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from trialsite.accounts.scoping import grants_for
from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError
from trialsite.core.filtering import scope_filterset
from trialsite.core.models import AuditedModel
from trialsite.core.services import can_write, save_record, validation_messages


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since the version named in If-Match. Reload it and apply your change again."
    default_code = "precondition_failed"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn service errors into the API's answers: 409 conflict, 400 per field, 403, 404."""
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.message, "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_messages(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and set(response.data) == {"detail"}:
        response.data["code"] = str(getattr(exc.detail, "code", None) or getattr(exc, "default_code", "error"))
    return response


# -- optimistic concurrency over HTTP ------------------------------------------------------------
def etag_for(instance: AuditedModel) -> str:
    """The strong entity tag of a record: its version (what If-Match must name to change it)."""
    return f'"{instance.version}"'


def if_match_version(request: Request, current: int) -> int | None:
    """The version an `If-Match` header vouches for, or None without the header.

    Raises 412 when no tag in the header is the record's current version (RFC 9110 13.1.1:
    strong comparison, so weak tags never match; "*" matches any existing record).
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if "*" in tags or f'"{current}"' in tags:
        return current
    raise PreconditionFailed()


def with_version(data: Any, version: int | None) -> Any:
    """The request body with the If-Match version filled in where the body names none."""
    if version is None or not hasattr(data, "keys") or "version" in data:
        return data
    if hasattr(data, "copy") and hasattr(data, "getlist"):  # a form-encoded QueryDict
        merged = data.copy()
        merged["version"] = str(version)
        return merged
    return {**data, "version": version}


# -- fields and serializers ----------------------------------------------------------------------
class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key whose choices are only the rows the requesting user may see.

    An id outside the user's scope gets the same answer as an id that does not exist.
    """

    default_error_messages = {
        "does_not_exist": 'Invalid pk "{pk_value}" - object does not exist.',
        "incorrect_type": "Incorrect type. Expected pk value, received {data_type}.",
    }

    def get_queryset(self) -> models.QuerySet:
        qs = super().get_queryset()
        request = self.context.get("request")
        if request is not None and issubclass(qs.model, AuditedModel):
            return qs.visible_to(request.user, "view")
        return qs

    def to_internal_value(self, data: Any) -> Any:
        # Booleans are ints to Python; a primary key is never true/false.
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class FieldNamedUnique:
    """DRF's unique-together check, reporting the clash on a field instead of non_field_errors.

    The clash is named on the last field of the set (the one a client usually edits), like
    core.services.name_unique_fields does for the model's own validation.
    """

    requires_context = True

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, attrs: dict[str, Any], serializer: Any) -> None:
        try:
            self.inner(attrs, serializer)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, list) else [exc.detail]
            raise serializers.ValidationError({list(self.inner.fields)[-1]: detail}, code="unique") from exc

    def __repr__(self) -> str:
        return f"FieldNamedUnique({self.inner!r})"


class VersionedModelSerializer(serializers.ModelSerializer):
    """Model serializer with optimistic concurrency and model validation.

    Updates must send the `version` they were based on (or an If-Match header); a stale one
    answers 409. An optional write-only `change_reason` is recorded in the audit trail (a field
    of its own, since some records have a `reason` of their own).
    Uniqueness over several fields is reported on the last field of the set (FieldNamedUnique).
    """

    serializer_related_field = ScopedRelatedField
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        help_text="Send back the version you read (or use If-Match); a stale version is refused with 409.",
    )
    change_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why you make this change; recorded in the audit trail.",
    )

    def get_field_names(self, declared_fields: dict[str, Any], info: Any) -> list[str]:
        names = list(super().get_field_names(declared_fields, info))
        return names if "change_reason" in names else [*names, "change_reason"]

    def get_unique_together_validators(self) -> list[Any]:
        return [FieldNamedUnique(v) for v in super().get_unique_together_validators()]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "version" not in attrs:
            raise exceptions.ValidationError({"version": ["Send the version of the record you are changing."]})
        return attrs

    def save(self, **kwargs: Any) -> Any:
        # `change_reason` is for the audit trail, never a model field: take it out before any
        # create()/update() (also a subclass's own) sees the validated data.
        data = dict(self.validated_data)
        self.audit_reason = str(data.pop("change_reason", "") or "")
        self._validated_data = data
        return super().save(**kwargs)

    def _save(self, instance: AuditedModel) -> AuditedModel:
        request = self.context["request"]
        return save_record(instance, actor=request.user, reason=getattr(self, "audit_reason", ""))

    def create(self, validated_data: dict[str, Any]) -> AuditedModel:
        validated_data.pop("version", None)
        instance = self.Meta.model(**validated_data)
        return self._save(instance)

    def update(self, instance: AuditedModel, validated_data: dict[str, Any]) -> AuditedModel:
        instance.version = validated_data.pop("version")
        for key, value in validated_data.items():
            setattr(instance, key, value)
        return self._save(instance)


class ErrorSerializer(serializers.Serializer):
    """What a refused request answers (403, 404, 409, 412)."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class FieldErrorsSerializer(serializers.Serializer):
    """A 400: messages per field name (and `non_field_errors` for the record as a whole)."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


# -- schema --------------------------------------------------------------------------------------
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='Optional alternative to the `version` field: the ETag you read, e.g. "3". '
    "A stale one answers 412 Precondition Failed and nothing is changed.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description='The record\'s version as an entity tag, e.g. "3"; send it back in If-Match.',
)


class VersionedAutoSchema(AutoSchema):
    """Documents the concurrency contract and the error answers on every scoped endpoint."""

    def _is_versioned_write(self) -> bool:
        action = getattr(self.view, "action", None)
        return self.method in ("PUT", "PATCH") or (
            self.method == "POST" and action in getattr(self.view, "if_match_actions", ())
        )

    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if self._is_versioned_write():
            params.append(IF_MATCH)
        action = getattr(self.view, "action", None)
        if (
            self._is_versioned_write()
            or (self.method == "POST" and action == "create")
            or (self.method == "GET" and action == "retrieve")
        ):
            params.append(ETAG)
        return params

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors: dict[str, Any] = {}
        if self.method in ("POST", "PUT", "PATCH"):
            errors["400"] = FieldErrorsSerializer
            errors["403"] = ErrorSerializer
        if self.method in ("GET", "PUT", "PATCH") and not self._is_list_view() or self._is_versioned_write():
            errors["404"] = ErrorSerializer
        if self._is_versioned_write():
            errors["409"] = ErrorSerializer
            errors["412"] = ErrorSerializer
        for code, serializer in errors.items():
            responses.setdefault(code, self._get_response_for_code(serializer, code, direction=direction))
        return responses


def postprocess_schema_enums(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular's enum hook, with a stable name for every choice set of the project.

    Many models have a `status`; without names they collide (StatusC15Enum) and the schema
    fails `--fail-on-warn`. Each TextChoices/IntegerChoices class of trialsite is named after
    its qualified name (StudySite.Status → StudySiteStatusEnum); identical sets share a name.
    """
    from drf_spectacular import hooks
    from drf_spectacular.plumbing import _load_enum_name_overrides
    from drf_spectacular.settings import spectacular_settings

    overrides = dict(spectacular_settings.ENUM_NAME_OVERRIDES)
    overrides.update(project_enum_names(set(overrides)))
    _load_enum_name_overrides.cache_clear()
    spectacular_settings.apply_patches({"ENUM_NAME_OVERRIDES": overrides})
    try:
        return hooks.postprocess_schema_enums(result, generator, **kwargs)
    finally:
        spectacular_settings.clear_patches()
        _load_enum_name_overrides.cache_clear()


def project_enum_names(taken: set[str]) -> dict[str, str]:
    """{EnumName: "module.Qual.Name"} for the project's choice classes, one name per choice set."""
    seen: dict[str, str] = {}
    names: dict[str, str] = {}
    stack = [models.TextChoices, models.IntegerChoices]
    classes = []
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("trialsite.") and sub.__members__:
                classes.append(sub)
    for cls in sorted(classes, key=lambda c: (c.__qualname__.count("."), c.__module__, c.__qualname__)):
        key = hashlib.sha256(repr([(c.value, str(c.label)) for c in cls]).encode()).hexdigest()
        name = cls.__qualname__.replace(".", "") + "Enum"
        if key in seen or name in taken or name in names:
            continue
        seen[key] = name
        names[name] = f"{cls.__module__}.{cls.__qualname__}"
    return names


# -- views ---------------------------------------------------------------------------------------
class SearchFilter(filters.SearchFilter):
    """DRF's search, refusing NUL characters (PostgreSQL cannot compare them: it would be a 500)."""

    def get_search_terms(self, request: Request) -> list[str]:
        terms = super().get_search_terms(request)
        if any("\x00" in term for term in terms):
            raise exceptions.ValidationError({self.search_param: ["Null characters are not allowed."]})
        return terms


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter, with every foreign-key filter limited to the rows the user may see.

    So `?site=<id outside your scope>` is refused exactly like an id that does not exist.
    """

    def get_filterset(self, request: Request, queryset: models.QuerySet, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        return scope_filterset(filterset, request.user) if filterset is not None else None


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
    filter_backends = [ScopedFilterBackend, SearchFilter, filters.OrderingFilter]
    if_match_actions: tuple[str, ...] = ()  # detail POST actions that honour If-Match (see if_match_version)
    schema = VersionedAutoSchema()

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().visible_to(self.request.user, "view")

    def get_authenticate_header(self, request: Request) -> str | None:
        """A client that sent credentials which failed gets 401 + `WWW-Authenticate: Token`.

        Without credentials the answer stays 403 (session clients: the browser has no login prompt).
        """
        if request.META.get("HTTP_AUTHORIZATION"):
            return TokenAuthentication().authenticate_header(request)
        return super().get_authenticate_header(request)

    def check_object_permissions(self, request, obj) -> None:  # noqa: ANN001
        super().check_object_permissions(request, obj)
        if request.method not in permissions.SAFE_METHODS and not can_write(request.user, obj):
            raise exceptions.PermissionDenied("You may read this record but not change it.")

    def create(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        if not self.get_queryset().model.can_create(grants_for(request.user)):
            raise exceptions.PermissionDenied("Your roles do not allow creating this kind of record.")
        response = super().create(request, *args, **kwargs)
        instance = getattr(self, "_saved", None)
        if instance is not None:
            response["ETag"] = etag_for(instance)
        return response

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._saved = serializer.save()

    def retrieve(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        instance = self.get_object()
        serializer = self.get_serializer(instance)
        return Response(serializer.data, headers={"ETag": etag_for(instance)})

    def update(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        data = with_version(request.data, if_match_version(request, instance.version))
        serializer = self.get_serializer(instance, data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        saved = serializer.save()
        return Response(serializer.data, headers={"ETag": etag_for(saved)})


# -- documentation pages -------------------------------------------------------------------------
class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from local static files; its script is a separate same-origin file (strict CSP)."""

    template_name = "core/api_swagger.html"


class ApiRedocView(SpectacularRedocView):
    """ReDoc from local static files, without the web fonts drf-spectacular loads from Google."""

    template_name = "core/api_redoc.html"
