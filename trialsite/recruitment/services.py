"""Bulk import of prospects: upload → column mapping → validation report → all-or-nothing commit.

One atomic service function per step, each as the acting user and scope-checked. Nothing
reaches the participant table until `commit_batch`, which writes every row (each audited) in
one transaction or none of them.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError, field_error
from trialsite.core.services import check_can_write
from trialsite.participants.models import Participant
from trialsite.recruitment import importing
from trialsite.recruitment.models import ImportBatch
from trialsite.studies.models import StudySite

B = ImportBatch.Status


def _site_today(study_site: StudySite) -> datetime.date:
    return timezone.localdate(timezone=study_site.site.tz)


def _check_identity_scope(actor: Any, batch: ImportBatch) -> None:
    try:
        check_can_write(actor, batch)
    except PermissionDenied:
        raise PermissionDenied(
            "Only the site team (site manager or site staff) of this study site may import prospects: "
            "prospect files carry identity."
        ) from None


@transaction.atomic
def upload_batch(*, actor: Any, study_site: StudySite, file_name: str, data: bytes) -> ImportBatch:
    """Store an uploaded file for a study site after sniffing its type; map columns automatically."""
    with acting_as(actor, reason="Prospect file uploaded for import"):
        batch = ImportBatch(study_site=study_site, uploaded_by=actor)
        _check_identity_scope(actor, batch)
        name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
        if not name:
            raise field_error("file", "The file has no name.")
        kind = importing.sniff_kind(name, data)
        table = importing.read_table(kind, data)
        batch.uploaded_at = timezone.now()
        batch.file_name = name
        batch.kind = kind
        batch.size = len(data)
        batch.sha256 = hashlib.sha256(data).hexdigest()
        batch.content = data
        batch.headers = table.headers
        batch.headers_key = importing.headers_key(table.headers)
        batch.mapping, batch.defaults = _remembered_mapping(study_site, batch.headers_key, table.headers)
        batch.row_count = sum(1 for r in table.rows if not all(importing._blank(c) for c in r))
        batch.save()
        return batch


def _remembered_mapping(study_site: StudySite, key: str, headers: list[str]) -> tuple[dict[str, str], dict[str, Any]]:
    """The mapping last used at this study site for a file with the same header row, else a guess by names."""
    prior = (
        ImportBatch.objects.filter(study_site=study_site, headers_key=key, status__in=[B.READY, B.COMMITTED])
        .order_by("-validated_at", "-pk")
        .values_list("mapping", "defaults")
        .first()
    )
    if prior is not None:
        try:
            return importing.clean_mapping(headers, prior[0]), {k: v for k, v in prior[1].items() if k != "referred_on"}
        except ValidationError:
            pass
    return importing.auto_mapping(headers), {}


def _existing_keys(study_site: StudySite) -> dict[tuple[str, ...], str]:
    """Duplicate keys of the participants already at the study site (one query, no identity leaves here)."""
    existing: dict[tuple[str, ...], str] = {}
    rows = Participant.objects.filter(study_site=study_site).values_list(
        "pk", "subject_id", "screening_number", "first_name", "last_name", "birth_date", "medical_record_number"
    )
    for pk, subject_id, screening_number, first, last, birth, mrn in rows.iterator(chunk_size=5000):
        label = subject_id or screening_number or f"P-{pk}"
        for key in importing.duplicate_keys(
            {"first_name": first, "last_name": last, "birth_date": birth, "medical_record_number": mrn}
        ):
            existing.setdefault(key, label)
    return existing


def _verified_content(batch: ImportBatch) -> bytes:
    data = bytes(batch.content)
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        raise field_error("file", "The stored file no longer matches its SHA-256; upload it again.")
    return data


def _check(batch: ImportBatch) -> tuple[list[importing.CheckedRow], list[importing.Problem], int]:
    today = _site_today(batch.study_site)
    table = importing.read_table(batch.kind, _verified_content(batch))
    mapping = importing.clean_mapping(table.headers, batch.mapping)
    defaults = importing.clean_defaults(batch.defaults, today)
    return importing.check_rows(table, mapping, defaults, _existing_keys(batch.study_site), today)


def _lock(batch: ImportBatch, expected_version: int | None) -> ImportBatch:
    locked = ImportBatch.objects.select_for_update().select_related("study_site__site").get(pk=batch.pk)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError()
    if locked.status == B.COMMITTED:
        raise field_error("status", "This file has already been imported.", code="committed")
    return locked


@transaction.atomic
def validate_batch(
    batch: ImportBatch,
    *,
    actor: Any,
    mapping: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> ImportBatch:
    """Apply a column mapping (and defaults), then validate every row and store the report."""
    with acting_as(actor, reason="Prospect import validated"):
        locked = _lock(batch, expected_version)
        _check_identity_scope(actor, locked)
        today = _site_today(locked.study_site)
        if mapping is not None:
            locked.mapping = importing.clean_mapping(locked.headers, mapping)
        if defaults is not None:
            importing.clean_defaults(defaults, today)
            locked.defaults = {k: v for k, v in defaults.items() if not importing._blank(v)}
        checked, problems, count = _check(locked)
        errors = [p for p in problems if p.kind == "error"]
        duplicates = [p for p in problems if p.kind == "duplicate"]
        locked.row_count = count
        locked.error_count = len(errors)
        locked.duplicate_count = len(duplicates)
        locked.valid_row_count = len(checked)
        locked.report = [asdict(p) for p in problems]
        locked.validated_at = timezone.now()
        locked.status = B.INVALID if errors or not count else B.READY
        locked.save()
        return locked


@transaction.atomic
def commit_batch(
    batch: ImportBatch, *, actor: Any, expected_version: int | None = None, skip_duplicates: bool = False
) -> ImportBatch:
    """Create every prospect of a validated batch in one transaction, or none.

    The file is validated again under the lock (someone may have added a participant since), so a
    report that is out of date can never let a bad or duplicate row through.
    """
    reason = f"Bulk import of prospects from {batch.file_name}"
    with acting_as(actor, reason=reason):
        locked = _lock(batch, expected_version)
        _check_identity_scope(actor, locked)
        if locked.status != B.READY:
            raise field_error("status", "Validate the file without problems before importing it.", code="not_ready")
        # Serialise imports into the same study site so two commits cannot both pass the duplicate check.
        StudySite.objects.select_for_update().filter(pk=locked.study_site_id).exists()
        checked, problems, count = _check(locked)
        errors = [p for p in problems if p.kind == "error"]
        duplicates = [p for p in problems if p.kind == "duplicate"]
        if errors:
            raise field_error("status", f"{len(errors)} row problems were found; validate the file again.")
        if duplicates and not skip_duplicates:
            raise field_error(
                "skip_duplicates",
                f"{len(duplicates)} rows duplicate a participant; fix them or import skipping duplicates.",
                code="duplicates",
            )
        rows = [r for r in checked if not r.duplicate_of]
        if not rows:
            raise field_error("status", "There is no row left to import.")
        prospects = [Participant(study_site=locked.study_site, **r.values) for r in rows]
        for prospect, row in zip(prospects, rows, strict=True):
            prospect._audit_event = "participant.import"
            try:
                prospect.full_clean(exclude=["study_site"], validate_unique=False, validate_constraints=False)
            except Exception as exc:  # noqa: BLE001 - a model rule the row check missed: refuse, name the row
                raise field_error("status", f"Row {row.row}: {exc}") from None
        Participant.objects.bulk_create(prospects, batch_size=1000)
        locked.status = B.COMMITTED
        locked.imported_count = len(prospects)
        locked.duplicate_count = len(duplicates)
        locked.skipped_duplicates = bool(duplicates)
        locked.report = [asdict(p) for p in problems]
        locked.committed_at = timezone.now()
        locked.committed_by = actor
        locked.save()
        return locked
