"""Filters of the audit log, shared by the page, its CSV export and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from trialsite.audit.models import AuditEntry
from trialsite.audit.presenting import audited_models


def record_types(request: Any = None) -> QuerySet[ContentType]:
    types = ContentType.objects.get_for_models(*audited_models(), for_concrete_models=False)
    return ContentType.objects.filter(pk__in=[ct.pk for ct in types.values()]).order_by("app_label", "model")


def visible_sites(request: Any) -> QuerySet:
    site = apps.get_model("network", "Site")
    user = getattr(request, "user", None)
    return site.objects.visible_to(user, "view").order_by("code")


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_label", lookup_expr="icontains", label="Actor")
    action = django_filters.ChoiceFilter(choices=AuditEntry.Action.choices)
    record_type = django_filters.ModelChoiceFilter(
        field_name="content_type", queryset=record_types, label="Record type"
    )
    object_id = django_filters.CharFilter(label="Record id")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="From (UTC date)")
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label="To (UTC date)")
    site = django_filters.ModelChoiceFilter(queryset=visible_sites, method="filter_site", label="Site")
    event = django_filters.CharFilter(label="Event")
    request_id = django_filters.CharFilter(label="Request id")

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_site(self, queryset: QuerySet[AuditEntry], name: str, value: Any) -> QuerySet[AuditEntry]:
        return queryset.filter(site_id=value.pk) if value else queryset
