"""Read-only API of the audit trail: /api/v1/audit-entries/ (administrators and QA, within their scope).

Same scope, filters and identity masking as the audit log page; nothing can be written.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from rest_framework import serializers, viewsets
from rest_framework.routers import BaseRouter

from trialsite.accounts.scoping import grants_for
from trialsite.audit.filters import AuditFilter
from trialsite.audit.models import AuditEntry
from trialsite.audit.presenting import present, site_time_zones
from trialsite.audit.views import audit_log_scope


class AuditEntrySerializer(serializers.Serializer):
    """One entry as people read it; identity fields of participants masked for non-identity roles."""

    id = serializers.IntegerField(read_only=True)
    at_utc = serializers.DateTimeField(read_only=True, help_text="Server time of the write, UTC")
    at_local = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Same instant, site-local")
    time_zone = serializers.CharField(read_only=True, allow_null=True)
    actor = serializers.CharField(read_only=True, help_text="User name, or command:/process name")
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)
    action = serializers.ChoiceField(choices=AuditEntry.Action.choices, read_only=True)
    event = serializers.CharField(read_only=True)
    record_type = serializers.CharField(read_only=True)
    record_id = serializers.CharField(read_only=True)
    record = serializers.CharField(read_only=True)
    changes = serializers.DictField(read_only=True, help_text="field: [old, new]")
    reason = serializers.CharField(read_only=True)
    request_id = serializers.CharField(read_only=True)
    site_id = serializers.IntegerField(read_only=True, allow_null=True)
    study_site_id = serializers.IntegerField(read_only=True, allow_null=True)

    def to_representation(self, instance: AuditEntry) -> dict[str, Any]:
        if "zones" not in self.context:
            self.context["zones"] = site_time_zones()
        grants = grants_for(self.context["request"].user)
        return present([instance], grants, self.context["zones"])[0].as_dict()


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, newest first. Filters: actor, action, record_type, object_id, since, until, site."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter
    search_fields: list[str] = []
    ordering_fields = ["at", "id"]
    ordering = ["-at", "-id"]
    queryset = AuditEntry.objects.select_related("content_type")

    def get_queryset(self) -> QuerySet[AuditEntry]:
        grants = grants_for(self.request.user)
        if not grants.can_read_audit_log:
            raise Http404
        return super().get_queryset().filter(audit_log_scope(grants))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "zones": site_time_zones()}


def register(router: BaseRouter) -> None:
    router.register("audit-entries", AuditEntryViewSet, basename="auditentry")
