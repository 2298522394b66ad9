"""A bulk import of prospects: the uploaded file, its column mapping and its validation report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from trialsite.accounts.roles import IDENTITY_ROLES
from trialsite.core.models import AuditedModel


class ImportBatch(AuditedModel):
    """One uploaded prospect file for a study site, from upload through validation to commit.

    The file carries identity (names, birth dates, contacts), so only the site team (identity
    roles) may see or write a batch. The raw bytes stay in the database beside their SHA-256 so
    the commit reads exactly what was validated; the audit trail records the hash, not the bytes.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded (map the columns)"
        INVALID = "invalid", "Problems found"
        READY = "ready", "Ready to import"
        COMMITTED = "committed", "Imported"

    class Kind(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    study_site = models.ForeignKey("studies.StudySite", on_delete=models.PROTECT, related_name="import_batches")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    file_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    headers = models.JSONField(default=list)
    headers_key = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="SHA-256 of the header row, to remember its mapping"
    )
    mapping = models.JSONField(default=dict, help_text="Participant field → file column")
    defaults = models.JSONField(default=dict, help_text="Values for fields no column provides")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    row_count = models.PositiveIntegerField(default=0)
    valid_row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    skipped_duplicates = models.BooleanField(default=False)
    report = models.JSONField(default=list, help_text="[{row, column, field, problem, kind}]")
    validated_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_site = "study_site__site"
    scope_study_site = "study_site"
    scope_view_roles = IDENTITY_ROLES
    scope_write_roles = IDENTITY_ROLES
    audit_exclude = ("content",)
    # The report quotes cell values (birth dates, e-mails) and a file name may name a person:
    # the audit log masks these for roles without identity access, as it does participants' names.
    identity_fields = ("file_name", "report")

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = "prospect import"
        verbose_name_plural = "prospect imports"

    def __str__(self) -> str:
        return f"Prospect import #{self.pk}"  # no file name: it may name a person (audit object_repr)

    def get_absolute_url(self) -> str:
        return reverse("recruitment:import_detail", args=[self.pk])

    @classmethod
    def can_create(cls, grants) -> bool:  # noqa: ANN001
        """Imports are for the site team only: prospects carry identity."""
        return not grants.scope(cls.scope_write_roles).empty
