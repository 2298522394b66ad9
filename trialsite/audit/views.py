"""The history tab of every record, and the network-wide audit log (admins and QA)."""

from __future__ import annotations

import csv
from typing import Any

import django_filters
from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views import generic

from trialsite.accounts.roles import AUDIT_ROLES
from trialsite.accounts.scoping import Grants, grants_for
from trialsite.audit.models import AuditEntry
from trialsite.core.models import AuditedModel


def audit_log_scope(grants: Grants) -> Q:
    """Entries an auditor may read: network-wide, or those of their sites / studies at sites."""
    scope = grants.scope(AUDIT_ROLES)
    if scope.network:
        return Q()
    return Q(site_id__in=scope.sites) | Q(study_site_id__in=scope.study_sites) | Q(pk__in=[])


def history(request: HttpRequest, model_label: str, pk: int) -> HttpResponse:
    """Audit entries of one record, to anyone who may see the record (404 otherwise)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise Http404 from None
    if not issubclass(model, AuditedModel):
        raise Http404
    obj = model.objects.visible_to(request.user, "view").filter(pk=pk).first()
    if obj is None:
        raise Http404
    ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
    entries = AuditEntry.objects.filter(content_type=ct, object_id=str(pk)).select_related("actor")
    if not _identity_visible(request.user, obj):
        entries = [_mask(e, model) for e in entries]
    return render(request, "audit/history.html", {"object": obj, "entries": entries, "title": f"History of {obj}"})


def _identity_visible(user: Any, obj: AuditedModel) -> bool:
    if not getattr(obj, "identity_fields", None):
        return True
    site_id, study_site_id = obj.audit_scope()
    return grants_for(user).can_see_identity(site_id, study_site_id)


def _mask(entry: AuditEntry, model: type[AuditedModel]) -> AuditEntry:
    hidden = set(getattr(model, "identity_fields", ()))
    entry.changes = {k: (["(hidden)", "(hidden)"] if k in hidden else v) for k, v in entry.changes.items()}
    entry.object_repr = f"{model._meta.verbose_name} {entry.object_id}"
    return entry


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_label", lookup_expr="icontains", label="Actor")
    action = django_filters.ChoiceFilter(choices=AuditEntry.Action.choices)
    record_type = django_filters.ModelChoiceFilter(
        field_name="content_type",
        queryset=ContentType.objects.filter(
            app_label__in=[
                "accounts",
                "network",
                "studies",
                "staff",
                "participants",
                "protocols",
            ]
        ).order_by("app_label", "model"),
        label="Record type",
    )
    object_id = django_filters.CharFilter(label="Record id")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="From (UTC date)")
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label="To (UTC date)")
    request_id = django_filters.CharFilter(label="Request id")
    site_id = django_filters.NumberFilter(label="Site id")

    class Meta:
        model = AuditEntry
        fields: list[str] = []


class AuditLogView(LoginRequiredMixin, generic.ListView):
    template_name = "audit/log.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[AuditEntry]:
        grants = grants_for(self.request.user)
        if not grants.can_read_audit_log:
            raise Http404
        qs = AuditEntry.objects.filter(audit_log_scope(grants)).select_related("content_type")
        self.filterset = AuditFilter(self.request.GET or None, queryset=qs)
        return self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else qs

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("format") == "csv":
            return self.export_csv()
        return super().get(request, *args, **kwargs)

    def export_csv(self) -> HttpResponse:
        qs = self.get_queryset()

        class Echo:
            def write(self, value: str) -> str:
                return value

        writer = csv.writer(Echo())

        def rows():  # noqa: ANN202
            yield writer.writerow(
                [
                    "at_utc",
                    "actor",
                    "action",
                    "event",
                    "record_type",
                    "record_id",
                    "record",
                    "changes",
                    "reason",
                    "request_id",
                ]
            )
            for e in qs.iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        e.at.isoformat(),
                        e.actor_label,
                        e.action,
                        e.event,
                        e.content_type.model,
                        e.object_id,
                        e.object_repr,
                        e.changes,
                        e.reason,
                        e.request_id,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx.update(
            filterset=self.filterset,
            title="Audit log",
            page_query=params.urlencode(),
            csv_url="?" + (params.urlencode() + "&" if params else "") + "format=csv",
        )
        return ctx
