"""Funnel metrics page and the prospect import steps (upload, mapping, report, commit)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from trialsite.accounts.scoping import grants_for
from trialsite.core.exceptions import ConflictError
from trialsite.core.services import validation_messages
from trialsite.core.views import Column, RecordListView
from trialsite.recruitment import metrics, services
from trialsite.recruitment.chart import enrollment_chart
from trialsite.recruitment.forms import FIELD_LABELS, CommitForm, MappingForm, UploadForm
from trialsite.recruitment.models import ImportBatch
from trialsite.studies.models import Study, StudySite

REPORT_ROWS_SHOWN = 500


@login_required
def funnel_metrics(request: HttpRequest) -> HttpResponse:
    """Funnel per study site, study or the whole network in scope; filters are scoped (404 outside)."""
    if grants_for(request.user).scope().empty:
        raise PermissionDenied("You have no role that gives access to recruitment metrics.")
    study, study_site = request.GET.get("study", ""), request.GET.get("study_site", "")
    try:
        result = metrics.funnel_metrics(request.user, study, study_site)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in validation_messages(exc).values() for m in ms))
        return redirect("recruitment:metrics")
    studies = Study.objects.visible_to(request.user, "view").order_by("protocol_number")
    study_sites = (
        StudySite.objects.visible_to(request.user, "view")
        .select_related("study", "site")
        .order_by("study__protocol_number", "site__code")
    )
    return render(
        request,
        "recruitment/metrics.html",
        {
            "title": "Recruitment funnel",
            "m": result,
            "chart": enrollment_chart(result.enrollment_by_month, result.target),
            "studies": studies,
            "study_sites": study_sites,
            "selected_study": str(result.study_id or ""),
            "selected_study_site": str(result.study_site_id or ""),
            "max_stage": max([s.count for s in result.stages] + [1]),
        },
    )


def importable_study_sites(user: Any) -> Any:
    """Study sites where this user is on the site team (identity roles): where they may import."""
    scope = grants_for(user).scope(ImportBatch.scope_write_roles)
    qs = StudySite.objects.visible_to(user, "view").select_related("study", "site")
    if not scope.network:
        qs = qs.filter(Q(site__in=scope.sites) | Q(pk__in=scope.study_sites))
    return qs.order_by("study__protocol_number", "site__code")


def _require_importer(request: HttpRequest) -> None:
    if not ImportBatch.can_create(grants_for(request.user)):
        raise PermissionDenied("Only the site team (site manager, site staff) may import prospects.")


class ImportList(RecordListView):
    model = ImportBatch
    queryset = ImportBatch.objects.defer("content").select_related(
        "study_site__study", "study_site__site", "uploaded_by"
    )
    title = "Prospect imports"
    create_url_name = "recruitment:import_upload"
    default_ordering = "-uploaded_at"
    columns = [
        Column("Import", lambda b: f"#{b.pk}", link=True),
        Column("File", "file_name", sort="file_name"),
        Column("Study at site", "study_site"),
        Column("Uploaded", "uploaded_at", sort="uploaded_at"),
        Column("By", "uploaded_by"),
        Column("Status", "status", sort="status"),
        Column("Rows", "row_count"),
        Column("Problems", "error_count"),
        Column("Duplicates", "duplicate_count"),
        Column("Imported", "imported_count"),
    ]
    search_fields = ["file_name", "sha256"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            _require_importer(request)
        return super().dispatch(request, *args, **kwargs)


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    choices = importable_study_sites(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, study_sites=choices)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.upload_batch(
                actor=request.user,
                study_site=form.cleaned_data["study_site"],
                file_name=upload.name,
                data=upload.read(),
            )
            batch = services.validate_batch(batch, actor=request.user)
        except ValidationError as exc:
            for msgs in validation_messages(exc).values():
                form.add_error("file", msgs)
        else:
            messages.success(request, f"Uploaded {batch.file_name}: check the column mapping and the report.")
            return redirect(batch.get_absolute_url())
    return render(
        request,
        "recruitment/upload.html",
        {"title": "Import prospects", "form": form, "cancel_url": "/recruitment/imports/"},
    )


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    _require_importer(request)
    qs = ImportBatch.objects.defer("content").select_related("study_site__study", "study_site__site", "uploaded_by")
    return get_object_or_404(qs.visible_to(request.user, "view"), pk=pk)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    initial = {f"map_{name}": col for name, col in batch.mapping.items()}
    initial.update({f"default_{k}": v for k, v in batch.defaults.items()})
    initial["version"] = batch.version
    return _render_detail(request, batch, MappingForm(initial=initial, headers=batch.headers))


def _render_detail(request: HttpRequest, batch: ImportBatch, form: MappingForm, status: int = 200) -> HttpResponse:
    report = batch.report[:REPORT_ROWS_SHOWN]
    for item in report:
        item["field_label"] = FIELD_LABELS.get(item.get("field", ""), item.get("field", ""))
    return render(
        request,
        "recruitment/import_detail.html",
        {
            "title": str(batch),
            "batch": batch,
            "form": form,
            "commit_form": CommitForm(initial={"version": batch.version}),
            "report": report,
            "report_truncated": len(batch.report) > REPORT_ROWS_SHOWN,
            "committed": batch.status == ImportBatch.Status.COMMITTED,
        },
        status=status,
    )


@login_required
@require_POST
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    form = MappingForm(request.POST, headers=batch.headers)
    if not form.is_valid():
        return _render_detail(request, batch, form, status=400)
    try:
        batch = services.validate_batch(
            batch,
            actor=request.user,
            mapping=form.mapping(),
            defaults=form.defaults(),
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        for field, msgs in validation_messages(exc).items():
            key = field if field in form.fields else None
            form.add_error(key, msgs)
        return _render_detail(request, batch, form, status=400)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect(batch.get_absolute_url())
    if batch.status == ImportBatch.Status.READY:
        messages.success(request, f"All {batch.valid_row_count} rows are valid.")
    else:
        messages.warning(request, f"{batch.error_count} problems found; nothing has been imported.")
    return redirect(batch.get_absolute_url())


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    form = CommitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again.")
        return redirect(batch.get_absolute_url())
    try:
        batch = services.commit_batch(
            batch,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            skip_duplicates=form.cleaned_data["skip_duplicates"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in validation_messages(exc).values() for m in ms))
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Imported {batch.imported_count} prospects.")
    return redirect(batch.get_absolute_url())
