"""Base model for every regulated record: audit trail, optimistic version, scope.

Every write path is covered, not only `save()`: `objects.create()`, `get_or_create`,
`update_or_create`, `QuerySet.update()` (F() expressions included), `bulk_update`, `bulk_create`,
`delete()`, cascades and raw fixture loads all write one audit entry per row in the same
transaction (standards A1). The version column refuses stale edits (standards F1).
Many-to-many fields are refused on audited models by a system check (their changes bypass save()).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from django.core import checks
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, models, transaction
from django.db.models import F, Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from trialsite.core import context
from trialsite.core.exceptions import ConflictError

UNTRACKED_FIELDS = {"version", "updated_at", "created_at"}
# Rows per statement for the audit insert and the pk-list chunks of bulk paths (SQLite caps parameters).
AUDIT_BATCH = 1000
PK_CHUNK = 5000


def jsonable(value: Any) -> Any:
    """Audit values as plain JSON: old values must never be obscured (standards A3)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        # One spelling per number, however it was typed or stored ("10.5" and "10.50" are equal).
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


_TRACKED_CACHE: dict[type, list[str]] = {}


def tracked_attnames(model: type[models.Model]) -> list[str]:
    """Column names an audit entry records for this model (cached: called once per written row)."""
    names = _TRACKED_CACHE.get(model)
    if names is None:
        skip = UNTRACKED_FIELDS | set(getattr(model, "audit_exclude", ()))
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in skip and not f.primary_key]
        _TRACKED_CACHE[model] = names
    return names


REDACTED = "(redacted)"


TYPED_FIELDS = (
    models.DecimalField,
    models.DateField,
    models.TimeField,
    models.UUIDField,
)  # DateTimeField is a DateField
_TYPED_CACHE: dict[type, dict[str, models.Field]] = {}


def typed_fields(model: type[models.Model]) -> dict[str, models.Field]:
    """Fields whose value may be typed in as text ("75.00") but is read back typed (Decimal("75.00"))."""
    found = _TYPED_CACHE.get(model)
    if found is None:
        found = {f.attname: f for f in model._meta.concrete_fields if isinstance(f, TYPED_FIELDS)}
        _TYPED_CACHE[model] = found
    return found


def field_value(obj: models.Model, name: str, typed: dict[str, models.Field]) -> Any:
    """The attribute as the database will hold it, so the trail shows what was stored (standards A3)."""
    value = getattr(obj, name)
    if isinstance(value, str) and name in typed:
        try:
            value = typed[name].to_python(value)
        except Exception:  # noqa: BLE001  invalid input is refused by validation, not here
            return value
    return jsonable(value)


def snapshot(obj: models.Model, names: Iterable[str] | None = None) -> dict[str, Any]:
    typed = typed_fields(type(obj))
    return {name: field_value(obj, name, typed) for name in (tracked_attnames(type(obj)) if names is None else names)}


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
    try:
        for hop in hops:
            target = getattr(target, hop, None)
            if target is None:
                return None
        field = type(target)._meta.get_field(last)
        return getattr(target, field.attname if field.is_relation else last, None)
    except ObjectDoesNotExist:  # a parent already gone within a cascade
        return None


def relation_paths(model: type[models.Model]) -> list[str]:
    """Relations to load with a batch of rows, so repr and scope cost no query per row."""
    paths = [f.name for f in model._meta.concrete_fields if f.is_relation]
    for path in (getattr(model, "scope_site", None), getattr(model, "scope_study_site", None)):
        if path and path != "pk" and "__" in path and not getattr(model, "scope_multi", False):
            paths.append(path.rsplit("__", 1)[0])
    return sorted(set(paths))


def _content_type_id(model: type[models.Model], using: str) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.db_manager(using).get_for_model(model, for_concrete_model=False).pk


_delete_buffer: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("audit_delete_buffer", default=None)


@contextlib.contextmanager
def _buffered_deletes(using: str) -> Iterator[None]:
    """Collect the delete entries of one delete (cascades included) and insert them in one batch."""
    if _delete_buffer.get() is not None:  # nested: the outer delete flushes
        yield
        return
    buffer: list[Any] = []
    token = _delete_buffer.set(buffer)
    pending = _pending_deletes.set([])
    try:
        yield
    finally:
        _delete_buffer.reset(token)
        _pending_deletes.reset(pending)
    _insert(buffer, using)


def _insert(entries: list[dict[str, Any]], using: str) -> None:
    """Insert audit rows with one prepared statement run many times.

    The ORM's bulk_create spends most of its time compiling SQL per row, and on SQLite it is capped
    at 999 parameters per statement (71 entries); executemany of one prepared INSERT is several
    times faster. Values are prepared by the model's own fields, so they are stored exactly as the ORM would.
    """
    if not entries:
        return
    from trialsite.audit.models import AuditEntry

    connection = connections[using]
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608  names from model metadata, values as parameters
        quote(AuditEntry._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    prepared = {f.attname for f in fields if isinstance(f, models.JSONField | models.DateTimeField)}
    cache: dict[tuple[str, int], Any] = {}  # the timestamp is one object for the whole batch

    def value(field: models.Field, entry: dict[str, Any]) -> Any:
        raw = entry.get(field.attname)
        if field.attname not in prepared or raw is None:
            return raw
        if isinstance(raw, datetime.datetime):
            key = (field.attname, id(raw))
            if key not in cache:
                cache[key] = field.get_db_prep_save(raw, connection)
            return cache[key]
        return field.get_db_prep_save(raw, connection)

    with connection.cursor() as cursor:
        for i in range(0, len(entries), AUDIT_BATCH):
            batch = entries[i : i + AUDIT_BATCH]
            cursor.executemany(sql, [[value(f, e) for f in fields] for e in batch])


def build_audit_entries(
    rows: Iterable[tuple[models.Model, str, dict[str, Any]]], event: str = "", using: str = "default"
) -> list[dict[str, Any]]:
    """Audit rows (column values by attname) for (object, action, changes), attributed to the current actor."""
    ctx = context.current()
    now = timezone.now()
    actor_id = ctx.user.pk if ctx.user is not None else None
    label = ctx.label
    ct_ids: dict[type, int] = {}
    entries = []
    for obj, action, changes in rows:
        if action == "update" and not changes:
            continue
        model = type(obj)
        for name in getattr(obj, "audit_redact", ()):
            if name in changes:  # record that a secret changed, never the secret (or its hash)
                changes[name] = [REDACTED, REDACTED]
        site_id, study_site_id = obj.audit_scope() if hasattr(obj, "audit_scope") else (None, None)
        ct_id = ct_ids.get(model)
        if ct_id is None:
            ct_id = ct_ids[model] = _content_type_id(model, using)
        entries.append(
            {
                "at": now,
                "actor_id": actor_id,
                "actor_label": label,
                "action": action,
                "event": event or getattr(obj, "_audit_event", ""),
                "content_type_id": ct_id,
                "object_id": str(obj.pk),
                "object_repr": str(obj)[:200],
                "changes": changes,
                "reason": getattr(obj, "_audit_reason", "") or ctx.reason,
                "request_id": ctx.request_id,
                "site_id": site_id,
                "study_site_id": study_site_id,
            }
        )
    return entries


def write_audit_entries(
    rows: Iterable[tuple[models.Model, str, dict[str, Any]]], event: str = "", using: str = "default"
) -> None:
    """Write audit entries for (object, action, changes) rows, attributed to the current actor."""
    _insert(build_audit_entries(rows, event, using), using)


def _chunks(items: list[Any], size: int = PK_CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class AuditedQuerySet(models.QuerySet):
    """Bulk writes that still leave one audit entry per row."""

    def update(self, **kwargs: Any) -> int:
        """Update the rows and record each row's old and new values (as computed by the database)."""
        if self.query.is_sliced:
            raise TypeError("Cannot update a query once a slice has been taken.")
        model = self.model
        self._for_write = True
        opts = model._meta
        tracked = set(tracked_attnames(model))
        names = list(dict.fromkeys(opts.get_field(k).attname for k in kwargs if k != "pk"))
        audited = [n for n in names if n in tracked]
        with transaction.atomic(using=self.db):
            base = models.QuerySet(model, using=self.db)
            # Lock the rows first, so nobody changes them between the old read and the new read.
            locked = base.filter(pk__in=self.values("pk")).select_for_update()
            before = {row["pk"]: row for row in locked.values("pk", *audited)}
            if not before:
                return 0
            if issubclass(model, AuditedModel) and "version" not in kwargs:
                kwargs["version"] = F("version") + 1
            kwargs.setdefault("updated_at", timezone.now())
            pks = list(before)
            count = 0
            for chunk in _chunks(pks):
                count += base.filter(pk__in=chunk).update(**kwargs)
            related = relation_paths(model)
            entries = []
            for chunk in _chunks(pks):
                rows = []
                for obj in base.filter(pk__in=chunk).select_related(*related):
                    old = {n: jsonable(before[obj.pk][n]) for n in audited}
                    rows.append((obj, "update", diff(old, snapshot(obj, audited))))
                entries.extend(build_audit_entries(rows, using=self.db))
            _insert(entries, self.db)
            self._result_cache = None
            return count

    update.alters_data = True

    def bulk_update(self, objs: Iterable[models.Model], fields: Iterable[str], batch_size: int | None = None) -> int:
        """bulk_update refuses stale objects like save() does, and keeps their version current."""
        objs = tuple(objs)
        with transaction.atomic(using=self.db):
            if issubclass(self.model, AuditedModel) and objs:
                pks = [o.pk for o in objs]
                stored: dict[Any, int] = {}
                for chunk in _chunks(pks):
                    locked = models.QuerySet(self.model, using=self.db).filter(pk__in=chunk).select_for_update()
                    stored.update(locked.values_list("pk", "version"))
                stale = [o.pk for o in objs if stored.get(o.pk) != o.version]
                if stale:
                    raise ConflictError(
                        f"{len(stale)} of the records changed since they were loaded (ids {stale[:5]})."
                    )
            count = super().bulk_update(objs, fields, batch_size=batch_size)
            now = timezone.now()
            for obj in objs:
                if isinstance(obj, AuditedModel):
                    obj.version += 1
                    obj.updated_at = now
            return count

    bulk_update.alters_data = True

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list[models.Model]:
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise ValueError("Audited records cannot be bulk-created with ignore_conflicts or update_conflicts.")
        objs = list(objs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            if created and created[0].pk is None:
                raise RuntimeError("bulk_create returned no primary keys; audited bulk inserts need them.")
            related = relation_paths(self.model)
            for chunk in _chunks(created):
                if related:
                    models.prefetch_related_objects(chunk, *related)
                write_audit_entries(((o, "create", diff({}, snapshot(o))) for o in chunk), using=self.db)
            return created

    bulk_create.alters_data = True

    def delete(self) -> tuple[int, dict[str, int]]:
        # post_delete (below) records each row, cascades included, inside Django's delete transaction.
        with transaction.atomic(using=self.db), _buffered_deletes(self.db):
            return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

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

    @classmethod
    def can_create(cls, grants: Any) -> bool:
        """Whether any of the user's roles may create this kind of record somewhere.

        Where exactly is checked when the record is saved (`core.services.check_can_write`).
        Models with a stricter rule (a site is registered network-wide) override this.
        """
        return not grants.scope(cls.scope_write_roles).empty

    def audit_scope(self) -> tuple[int | None, int | None]:
        site = None if self.scope_multi else _resolve(self, self.scope_site)
        study_site = None if self.scope_multi else _resolve(self, self.scope_study_site)
        return site, study_site

    # -- writes ------------------------------------------------------------------------------
    def save(self, *args: Any, **kwargs: Any) -> None:
        using = kwargs.get("using") or self._state.db or "default"
        context.current()  # no actor, no write: fail before touching the database
        with transaction.atomic(using=using):
            if self._state.adding or self.pk is None:
                if self.pk is not None and not kwargs.get("force_update"):
                    # A new object with an explicit id must not silently overwrite an existing row.
                    kwargs["force_insert"] = True
                super().save(*args, **kwargs)
                write_audit_entries([(self, "create", diff({}, snapshot(self)))], using=using)
                return
            tracked = tracked_attnames(type(self))
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                wanted = {type(self)._meta.get_field(n).attname for n in update_fields}
                names = [n for n in tracked if n in wanted]
            else:
                deferred = self.get_deferred_fields()  # Django saves only the loaded fields
                names = [n for n in tracked if n not in deferred]
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
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
            try:
                super().save(*args, **kwargs)
            except BaseException:
                self.version = old["version"]  # the write was rolled back; so is the version
                raise
            write_audit_entries(
                [(self, "update", diff({k: jsonable(old[k]) for k in names}, snapshot(self, names)))], using=using
            )

    save.alters_data = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        using = kwargs.get("using") or self._state.db or "default"
        with transaction.atomic(using=using), _buffered_deletes(using):
            return super().delete(*args, **kwargs)

    delete.alters_data = True

    def save_with_reason(self, reason: str, event: str = "") -> None:
        self._audit_reason = reason
        self._audit_event = event
        try:
            self.save()
        finally:
            self._audit_reason = ""
            self._audit_event = ""


_pending_deletes: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("audit_pending", default=None)


@receiver(pre_delete)
def _audit_pre_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """Django sends every pre_delete before deleting any row: note the rows, to load their relations at once."""
    pending = _pending_deletes.get()
    if pending is not None and isinstance(instance, AuditedModel):
        pending.append(instance)


def _load_relations(instances: list[Any]) -> None:
    """One query per relation for all rows being deleted (instead of one per row for repr and scope).

    Called at the first post_delete: only rows of the first model are gone by then, and Django deletes
    the rows that point to a row before the row itself, so every parent loaded here still exists.
    """
    by_model: dict[type, list[Any]] = {}
    for obj in instances:
        by_model.setdefault(type(obj), []).append(obj)
    for model, objs in by_model.items():
        related = relation_paths(model)
        if related:
            models.prefetch_related_objects(objs, *related)
    instances.clear()


@receiver(post_delete)
def _audit_delete(sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any) -> None:
    if isinstance(instance, AuditedModel):
        pending = _pending_deletes.get()
        if pending:
            _load_relations(pending)
        entries = build_audit_entries(
            [(instance, "delete", {k: [v, None] for k, v in snapshot(instance).items()})], using=using
        )
        buffer = _delete_buffer.get()
        if buffer is not None:
            buffer.extend(entries)
        else:  # a delete that did not pass through our delete() (e.g. a non-audited parent's cascade)
            _insert(entries, using)


@receiver(post_save)
def _audit_raw_save(
    sender: type[models.Model], instance: models.Model, raw: bool, created: bool, **kwargs: Any
) -> None:
    """Fixture loads (loaddata) call save_base(raw=True) and bypass save(): record them too."""
    if raw and isinstance(instance, AuditedModel):
        using = kwargs.get("using") or "default"
        action = "create" if created else "update"
        named = context.current_or_none()
        actor = (
            contextlib.nullcontext()
            if named and (named.user or named.process)
            else context.acting_as(process="command:loaddata")
        )
        with actor:
            write_audit_entries([(instance, action, diff({}, snapshot(instance)))], event="fixture.load", using=using)


@receiver(m2m_changed)
def _audit_m2m(sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kwargs: Any) -> None:
    """The only many-to-many on audited models are User's auth groups and permissions: audit them too.

    Recorded as an update of the audited side, {field: [ids before, ids after]}.
    """
    if not action.startswith(("pre_", "post_")):
        return
    using = kwargs.get("using") or "default"
    if not reverse and isinstance(instance, AuditedModel):
        owners, field = [instance], _m2m_field(type(instance), sender)
    elif reverse and isinstance(model, type) and issubclass(model, AuditedModel):
        field = _m2m_field(model, sender)
        if action.endswith("clear"):
            ids = getattr(instance, "_audit_m2m_clear", None) if action == "post_clear" else None
            if action == "pre_clear":
                instance._audit_m2m_clear = list(
                    model._base_manager.using(using).filter(**{field: instance}).values_list("pk", flat=True)
                )
                ids = instance._audit_m2m_clear
            owners = list(model._base_manager.using(using).filter(pk__in=ids or []))
        else:
            owners = list(model._base_manager.using(using).filter(pk__in=pk_set or []))
    else:
        return
    if field is None:
        return
    for owner in owners:
        current = sorted(getattr(owner, field).values_list("pk", flat=True))
        if action.startswith("pre_"):
            if not reverse:
                owner.__dict__.setdefault("_audit_m2m_before", {})[field] = current
            continue
        before = owner.__dict__.get("_audit_m2m_before", {}).pop(field, None)
        if reverse:  # the instance (e.g. a group) was added to or removed from each owner
            before = sorted(set(current) - {instance.pk} if action == "post_add" else set(current) | {instance.pk})
        if before != current:
            write_audit_entries([(owner, "update", {field: [before, current]})], using=using)


def _m2m_field(model: type[models.Model], through: Any) -> str | None:
    for f in model._meta.many_to_many:
        if f.remote_field.through is through:
            return f.name
    return None


@checks.register(checks.Tags.models)
def check_no_many_to_many(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Audited models may not declare many-to-many fields: their changes bypass save() and the audit trail."""
    from django.apps import apps
    from django.contrib.auth.models import PermissionsMixin

    inherited = {f.name for f in PermissionsMixin._meta.local_many_to_many}  # unused by TrialSite: roles instead
    errors = []
    for model in apps.get_models():
        if not issubclass(model, AuditedModel):
            continue
        for field in model._meta.local_many_to_many:
            if issubclass(model, PermissionsMixin) and field.name in inherited:
                continue
            errors.append(
                checks.Error(
                    f"{model._meta.label}.{field.name} is a ManyToManyField on an audited model.",
                    hint="Use an explicit AuditedModel for the link (like RoleAssignment), so every change is audited.",
                    obj=model,
                    id="trialsite.E001",
                )
            )
    return errors
