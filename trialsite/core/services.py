"""Generic record writes: the one path every create and edit takes (UI, API, admin, imports).

Domain actions with rules of their own (a status transition, a consent) get their own
service function in their app; they reuse `check_can_write` and `acting_as`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
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
    """Validate and save one record as `actor`, atomically, with its audit entry."""
    with transaction.atomic(), acting_as(actor, reason=reason):
        check_can_write(actor, instance)
        if instance.pk is not None:
            # The record as stored must be in scope too: no moving a record out of someone else's site.
            stored = type(instance)._base_manager.get(pk=instance.pk)
            check_can_write(actor, stored)
        instance.full_clean(exclude=exclude)
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError as exc:
            raise ConflictError(f"The record conflicts with another one: {exc}") from exc
    return instance


def validation_messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"non_field_errors": list(exc.messages)}
