"""Base model for every regulated record: audit trail, optimistic version, scope.

Every write path is covered, not only `save()`: `QuerySet.update()` (and so `bulk_update`),
`bulk_create`, `delete()` and cascades all write one audit entry per row in the same
transaction (standards A1). The version column refuses stale edits (standards F1).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from trialsite.core import context
from trialsite.core.exceptions import ConflictError

UNTRACKED_FIELDS = {"version", "updated_at", "created_at"}


def jsonable(value: Any) -> Any:
    """Audit values as plain JSON: old values must never be obscured (standards A3)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def tracked_attnames(model: type[models.Model]) -> list[str]:
    skip = UNTRACKED_FIELDS | set(getattr(model, "audit_exclude", ()))
    return [f.attname for f in model._meta.concrete_fields if f.attname not in skip and not f.primary_key]


REDACTED = "(redacted)"


def snapshot(obj: models.Model) -> dict[str, Any]:
    return {name: jsonable(getattr(obj, name)) for name in tracked_attnames(type(obj))}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


def _resolve(obj: models.Model, path: str | None) -> int | None:
    """Follow a scope path such as "study_site__site" to the id at its end."""
    if not path:
        return None
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    target: Any = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    field = type(target)._meta.get_field(last)
    return getattr(target, field.attname if field.is_relation else last, None)


def write_audit_entries(rows: Iterable[tuple[models.Model, str, dict[str, Any]]], event: str = "") -> None:
    """Write audit entries for (object, action, changes) rows, attributed to the current actor."""
    from django.contrib.contenttypes.models import ContentType

    from trialsite.audit.models import AuditEntry

    ctx = context.current()
    now = timezone.now()
    entries = []
    for obj, action, changes in rows:
        if action == "update" and not changes:
            continue
        for name in getattr(obj, "audit_redact", ()):
            if name in changes:  # record that a secret changed, never the secret (or its hash)
                changes[name] = [REDACTED, REDACTED]
        site_id, study_site_id = obj.audit_scope() if hasattr(obj, "audit_scope") else (None, None)
        entries.append(
            AuditEntry(
                at=now,
                actor=ctx.user,
                actor_label=ctx.label,
                action=action,
                event=event or getattr(obj, "_audit_event", ""),
                content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                changes=changes,
                reason=getattr(obj, "_audit_reason", "") or ctx.reason,
                request_id=ctx.request_id,
                site_id=site_id,
                study_site_id=study_site_id,
            )
        )
    if entries:
        AuditEntry.objects.bulk_create(entries, batch_size=2000)


class AuditedQuerySet(models.QuerySet):
    """Bulk writes that still leave one audit entry per row."""

    def update(self, **kwargs: Any) -> int:
        model = self.model
        with transaction.atomic(using=self.db):
            names = [model._meta.get_field(k).attname for k in kwargs]
            before = {row["pk"]: row for row in self.select_for_update().values("pk", *names)}
            if not before:
                return 0
            if issubclass(model, AuditedModel) and "version" not in kwargs:
                kwargs["version"] = F("version") + 1
            kwargs.setdefault("updated_at", timezone.now())
            count = models.QuerySet(model, using=self.db).filter(pk__in=before).update(**kwargs)
            rows = []
            for obj in models.QuerySet(model, using=self.db).filter(pk__in=before):
                old = {n: jsonable(before[obj.pk][n]) for n in names if n not in UNTRACKED_FIELDS}
                new = {n: jsonable(getattr(obj, n)) for n in old}
                rows.append((obj, "update", diff(old, new)))
            write_audit_entries(rows)
            return count

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list[models.Model]:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            if created and created[0].pk is None:
                raise RuntimeError("bulk_create returned no primary keys; audited bulk inserts need them.")
            write_audit_entries((o, "create", diff({}, snapshot(o))) for o in created)
            return created

    def delete(self) -> tuple[int, dict[str, int]]:
        # post_delete (below) records each row, cascades included, inside Django's delete transaction.
        with transaction.atomic(using=self.db):
            return super().delete()

    def visible_to(self, user: Any, action: str = "view") -> AuditedQuerySet:
        """The one scoping mechanism: rows this user may see (or change) and nothing else."""
        from trialsite.accounts.scoping import grants_for

        return self.filter(self.model.scope_q(grants_for(user), action))


class AuditedModel(models.Model):
    """Abstract base of regulated records.

    Scope: set `scope_site` / `scope_study_site` to the lookup path from this model to its Site
    and StudySite (None when it has none); `scope_multi` when a path crosses a to-many relation.
    `scope_write_roles` lists the roles that may change it (within their scope).
    """

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    objects = AuditedQuerySet.as_manager()

    scope_site: ClassVar[str | None] = None
    scope_study_site: ClassVar[str | None] = None
    scope_multi: ClassVar[bool] = False
    scope_view_roles: ClassVar[frozenset[str] | None] = None  # None: every role
    scope_write_roles: ClassVar[frozenset[str]] = frozenset({"network_admin"})

    class Meta:
        abstract = True

    # -- scope -------------------------------------------------------------------------------
    @classmethod
    def scope_q(cls, grants: Any, action: str = "view") -> Q:
        """Q for the rows within the user's scope for `action` ("view" or "change")."""
        roles = cls.scope_write_roles if action == "change" else cls.scope_view_roles
        scope = grants.scope(roles)
        if scope.network:
            return Q()
        q = Q(pk__in=[])
        if cls.scope_site and scope.sites:
            q |= Q(**{f"{cls.scope_site}__in": scope.sites} if cls.scope_site != "pk" else {"pk__in": scope.sites})
        if cls.scope_study_site and scope.study_sites:
            q |= Q(**{f"{cls.scope_study_site}__in": scope.study_sites})
        elif cls.scope_site and not cls.scope_study_site and scope.study_site_sites and action == "view":
            # Site-level records are visible to someone who works on a study at that site.
            key = "pk__in" if cls.scope_site == "pk" else f"{cls.scope_site}__in"
            q |= Q(**{key: scope.study_site_sites})
        if cls.scope_multi:
            return Q(pk__in=models.QuerySet(cls).filter(q).values("pk"))
        return q

    def audit_scope(self) -> tuple[int | None, int | None]:
        site = None if self.scope_multi else _resolve(self, self.scope_site)
        study_site = None if self.scope_multi else _resolve(self, self.scope_study_site)
        return site, study_site

    # -- writes ------------------------------------------------------------------------------
    def save(self, *args: Any, **kwargs: Any) -> None:
        using = kwargs.get("using") or self._state.db or "default"
        with transaction.atomic(using=using):
            if self._state.adding or self.pk is None:
                super().save(*args, **kwargs)
                write_audit_entries([(self, "create", diff({}, snapshot(self)))])
                return
            names = tracked_attnames(type(self))
            old = (
                type(self)
                ._base_manager.using(using)
                .select_for_update()
                .filter(pk=self.pk)
                .values("version", *names)
                .first()
            )
            if old is None:
                raise ConflictError("This record no longer exists.")
            if old["version"] != self.version:
                raise ConflictError()
            self.version = old["version"] + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version", "updated_at"}
            super().save(*args, **kwargs)
            new = snapshot(self)
            write_audit_entries([(self, "update", diff({k: jsonable(old[k]) for k in names}, new))])

    def save_with_reason(self, reason: str, event: str = "") -> None:
        self._audit_reason = reason
        self._audit_event = event
        try:
            self.save()
        finally:
            self._audit_reason = ""
            self._audit_event = ""


@receiver(post_delete)
def _audit_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if isinstance(instance, AuditedModel):
        write_audit_entries([(instance, "delete", {k: [v, None] for k, v in snapshot(instance).items()})])
