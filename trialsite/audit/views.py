"""The history tab of every record (with CSV/JSON/printable exports) and the network-wide audit log.

History: anyone who may see the record sees its history; out of scope is a 404, like a missing
record. Log: administrators and QA, each within their audit scope; everyone else gets a 404.
Identity fields are masked for roles without identity access (standards P2) everywhere.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import generic

from trialsite.accounts.roles import AUDIT_ROLES
from trialsite.accounts.scoping import Grants, grants_for
from trialsite.audit.filters import AuditFilter
from trialsite.audit.models import AuditEntry
from trialsite.audit.presenting import (
    HIDDEN,
    EntryRow,
    field_labels,
    identity_fields,
    identity_hidden,
    present,
    site_time_zones,
)
from trialsite.core.models import AuditedModel, jsonable, tracked_attnames

EXPORT_FORMATS = ("csv", "json", "html")
CSV_HEADER = [
    "entry_id",
    "at_utc",
    "at_local",
    "time_zone",
    "actor",
    "action",
    "event",
    "record_type",
    "record_id",
    "record",
    "field",
    "old",
    "new",
    "reason",
    "request_id",
]


def audit_log_scope(grants: Grants) -> Q:
    """Entries an auditor may read: network-wide, or those of their sites / studies at sites."""
    scope = grants.scope(AUDIT_ROLES)
    if scope.network:
        return Q()
    return Q(site_id__in=scope.sites) | Q(study_site_id__in=scope.study_sites) | Q(pk__in=[])


# -- one record's history -----------------------------------------------------------------------------


class RecordHistory:
    """A record the user may see, its entries as rows, and its current values (masked as needed)."""

    def __init__(self, request: HttpRequest, model_label: str, pk: int) -> None:
        try:
            model = apps.get_model(model_label)
        except (LookupError, ValueError):
            raise Http404 from None
        if not issubclass(model, AuditedModel):
            raise Http404
        obj = model.objects.visible_to(request.user, "view").filter(pk=pk).first()
        if obj is None:
            raise Http404
        self.model, self.object, self.user = model, obj, request.user
        self.grants = grants_for(request.user)
        site_id, study_site_id = obj.audit_scope()
        self.hidden = identity_hidden(self.grants, model, site_id, study_site_id)
        self.zones = site_time_zones()
        self.time_zone = self.zones.get(site_id, "") if site_id else ""
        ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
        entries = AuditEntry.objects.filter(content_type=ct, object_id=str(pk)).select_related("content_type")
        self.rows = present(entries, self.grants, self.zones)
        self.title = f"{model._meta.verbose_name} {pk}" if self.hidden else str(obj)

    def current_values(self) -> list[tuple[str, Any]]:
        labels = field_labels(self.model)
        hide = identity_fields(self.model) if self.hidden else frozenset()
        redact = set(getattr(self.model, "audit_redact", ()))
        values = [("id", self.object.pk), ("version", self.object.version)]
        for name in tracked_attnames(self.model):
            if name in redact:
                continue
            values.append((labels.get(name, name), HIDDEN if name in hide else jsonable(getattr(self.object, name))))
        return values

    def context(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "title": f"History of {self.title}",
            "record_title": self.title,
            "rows": self.rows,
            "time_zone": self.time_zone,
            "model_label": self.model._meta.label_lower,
            "pk": self.object.pk,
        }


@login_required
def history(request: HttpRequest, model_label: str, pk: int) -> HttpResponse:
    """Audit entries of one record, to anyone who may see the record (404 otherwise)."""
    record = RecordHistory(request, model_label, pk)
    return render(request, "audit/history.html", record.context())


@login_required
def history_export(request: HttpRequest, model_label: str, pk: int, fmt: str) -> HttpResponse:
    """One record and its history as CSV, JSON or a printable page (standards A5)."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    record = RecordHistory(request, model_label, pk)
    rows = list(reversed(record.rows))  # exports read in order: oldest first
    stem = f"{record.model._meta.model_name}-{pk}-history"
    if fmt == "html":
        ctx = record.context() | {
            "rows": rows,
            "current": record.current_values(),
            "exported_at": timezone.now(),
            "exported_by": request.user.get_username(),
        }
        return render(request, "audit/history_print.html", ctx)
    if fmt == "json":
        body = {
            "record": {
                "type": record.model._meta.label,
                "id": pk,
                "title": record.title,
                "time_zone": record.time_zone or None,
                "current": dict(record.current_values()),
            },
            "exported_at": timezone.now().isoformat(),
            "exported_by": request.user.get_username(),
            "entries": [r.as_dict() for r in rows],
        }
        response = HttpResponse(
            json.dumps(body, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False), content_type="application/json"
        )
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow(CSV_HEADER)
        for row in rows:
            writer.writerows(csv_lines(row))
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def csv_lines(row: EntryRow) -> list[list[Any]]:
    """One line per changed field, so a spreadsheet can filter by field."""
    e = row.entry
    head = [
        e.pk,
        row.at_utc.isoformat(),
        row.at_local.isoformat() if row.at_local else "",
        row.time_zone,
        e.actor_label,
        e.action,
        e.event,
        row.record_type,
        e.object_id,
        row.record_repr,
    ]
    tail = [e.reason, e.request_id]
    if not row.changes:
        return [[*head, "", "", "", *tail]]
    return [[*head, c.field, _cell(c.old), _cell(c.new), *tail] for c in row.changes]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# -- the network-wide log -----------------------------------------------------------------------------


class AuditLogView(LoginRequiredMixin, generic.ListView):
    template_name = "audit/log.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[AuditEntry]:
        self.grants = grants_for(self.request.user)
        if not self.grants.can_read_audit_log:
            raise Http404
        qs = AuditEntry.objects.filter(audit_log_scope(self.grants)).select_related("content_type")
        self.filterset = AuditFilter(self.request.GET or None, queryset=qs, request=self.request)
        return self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else qs

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("format") == "csv":
            return self.export_csv()
        return super().get(request, *args, **kwargs)

    def export_csv(self) -> StreamingHttpResponse:
        qs = self.get_queryset()
        grants = self.grants

        class Echo:
            def write(self, value: str) -> str:
                return value

        writer = csv.writer(Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(CSV_HEADER)
            zones = site_time_zones()
            batch: list[AuditEntry] = []
            for entry in qs.iterator(chunk_size=2000):
                batch.append(entry)
                if len(batch) == 2000:
                    yield from _csv_batch(writer, batch, grants, zones)
                    batch = []
            yield from _csv_batch(writer, batch, grants, zones)

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        params.pop("format", None)
        ctx.update(
            filterset=self.filterset,
            rows=present(ctx["object_list"], self.grants),
            title="Audit log",
            page_query=params.urlencode(),
            csv_url="?" + (params.urlencode() + "&" if params else "") + "format=csv",
        )
        return ctx


def _csv_batch(writer: Any, batch: list[AuditEntry], grants: Grants, zones: dict[int, str]) -> Iterator[str]:
    for row in present(batch, grants, zones):
        for line in csv_lines(row):
            yield writer.writerow(line)
