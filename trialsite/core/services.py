"""Generic record writes: the one path every create and edit takes (UI, API, admin, imports).

Domain actions with rules of their own (a status transition, a consent) get their own
service function in their app; they reuse `check_can_write` and `acting_as`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from trialsite.accounts.scoping import grants_for
from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError
from trialsite.core.models import AuditedModel

M = TypeVar("M", bound=AuditedModel)


def can_write(user: Any, instance: AuditedModel) -> bool:
    """True when the record (as it would be saved) lies in the user's write scope."""
    model = type(instance)
    grants = grants_for(user)
    if hasattr(model, "can_write"):
        return model.can_write(grants, instance)
    scope = grants.scope(model.scope_write_roles)
    if scope.network:
        return True
    if model.scope_multi or not (model.scope_site or model.scope_study_site):
        return False
    if model.scope_site == "pk" and instance.pk is None:
        return False
    site_id, study_site_id = instance.audit_scope()
    return scope.covers(site_id, study_site_id)


def check_can_write(user: Any, instance: AuditedModel) -> None:
    if not can_write(user, instance):
        raise PermissionDenied("You may not change records in this scope.")


def save_record(instance: M, *, actor: Any, reason: str = "", exclude: list[str] | None = None) -> M:
    """Validate and save one record as `actor`, atomically, with its audit entry.

    Unique and constraint violations come back as a ValidationError naming the field (a 400),
    found by validation before the database is written; a racing insert the database still
    refuses is translated the same way, so no caller ever sees an IntegrityError.
    """
    with transaction.atomic(), acting_as(actor, reason=reason):
        check_can_write(actor, instance)
        if instance.pk is not None:
            # The record as stored must be in scope too: no moving a record out of someone else's site.
            stored = type(instance)._base_manager.filter(pk=instance.pk).first()
            if stored is None:
                raise ConflictError("This record no longer exists.")
            check_can_write(actor, stored)
        try:
            instance.full_clean(exclude=exclude)
        except ValidationError as exc:
            raise name_unique_fields(exc) from exc
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError as exc:
            raise integrity_as_validation(instance, exclude) from exc
    return instance


def name_unique_fields(exc: ValidationError) -> ValidationError:
    """Attach multi-field unique/constraint errors to a field, so the client knows what to change.

    Django reports a (kind, name) uniqueness clash as a non-field error; the API promises
    errors per field, so it is reported on the last field of the set (the one usually edited).
    """
    if not hasattr(exc, "error_dict") or NON_FIELD_ERRORS not in exc.error_dict:
        return exc
    errors = dict(exc.error_dict)
    remaining = []
    for error in errors.pop(NON_FIELD_ERRORS):
        fields = (error.params or {}).get("unique_check") if error.code == "unique_together" else None
        if fields:
            errors.setdefault(fields[-1], []).append(error)
        else:
            remaining.append(error)
    if remaining:
        errors[NON_FIELD_ERRORS] = remaining
    return ValidationError(errors)


def integrity_as_validation(instance: AuditedModel, exclude: list[str] | None) -> ValidationError:
    """A constraint the database refused (a concurrent insert won the race): explain it by field."""
    try:
        instance.validate_unique(exclude=exclude)
        instance.validate_constraints(exclude=exclude)
    except ValidationError as exc:
        return name_unique_fields(exc)
    return ValidationError("The record conflicts with another one; reload and try again.", code="integrity")


def validation_messages(exc: ValidationError) -> dict[str, list[str]]:
    """Messages per field, with model-wide ones under DRF's `non_field_errors` key."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}
