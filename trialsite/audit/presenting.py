"""Audit entries as people read them: site-local times, field labels, identity masked (standards P2, A5).

Shared by the history tab, the audit log, their exports and the API, so masking is decided once.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

from trialsite.accounts.scoping import Grants
from trialsite.audit.models import AuditEntry

HIDDEN = "(hidden)"


@dataclass
class Change:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class EntryRow:
    entry: AuditEntry
    at_utc: datetime.datetime
    at_local: datetime.datetime | None
    time_zone: str
    record_type: str
    record_repr: str
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        e = self.entry
        return {
            "id": e.pk,
            "at_utc": self.at_utc.isoformat(),
            "at_local": self.at_local.isoformat() if self.at_local else None,
            "time_zone": self.time_zone or None,
            "actor": e.actor_label,
            "actor_id": e.actor_id,
            "action": e.action,
            "event": e.event,
            "record_type": self.record_type,
            "record_id": e.object_id,
            "record": self.record_repr,
            "changes": {c.field: [c.old, c.new] for c in self.changes},
            "reason": e.reason,
            "request_id": e.request_id,
            "site_id": e.site_id,
            "study_site_id": e.study_site_id,
        }


def site_time_zones() -> dict[int, str]:
    """Every site's time zone, in one query (sites are few; entries are many)."""
    site = apps.get_model("network", "Site")
    return dict(site._base_manager.values_list("pk", "time_zone"))


def field_labels(model: type[models.Model] | None) -> dict[str, str]:
    if model is None:
        return {}
    return {f.attname: str(f.verbose_name) for f in model._meta.concrete_fields}


def identity_fields(model: type[models.Model] | None) -> frozenset[str]:
    names = set(getattr(model, "identity_fields", ()) or ())
    if model is not None:  # the column names too (a foreign key's "_id")
        names |= {model._meta.get_field(n).attname for n in list(names) if _has_field(model, n)}
    return frozenset(names)


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001
        return False
    return True


def identity_hidden(grants: Grants, model: type[models.Model] | None, site_id: Any, study_site_id: Any) -> bool:
    """True when this entry's record has identity fields the user may not see (standards P2)."""
    return bool(identity_fields(model)) and not grants.can_see_identity(site_id, study_site_id)


def present(entries: Iterable[AuditEntry], grants: Grants, zones: dict[int, str] | None = None) -> list[EntryRow]:
    """Rows for display and export; costs no query beyond `zones` (pass it in for many rows)."""
    zones = site_time_zones() if zones is None else zones
    rows = []
    cache: dict[int, tuple[Any, dict[str, str], frozenset[str]]] = {}
    for e in entries:
        if e.content_type_id not in cache:
            model = e.content_type.model_class()
            cache[e.content_type_id] = (model, field_labels(model), identity_fields(model))
        model, labels, ident = cache[e.content_type_id]
        hide = bool(ident) and not grants.can_see_identity(e.site_id, e.study_site_id)
        tz_name = zones.get(e.site_id, "") if e.site_id else ""
        local = e.at.astimezone(zoneinfo.ZoneInfo(tz_name)) if tz_name else None
        changes = [
            Change(
                name,
                labels.get(name, name.replace("_", " ")),
                *((HIDDEN, HIDDEN) if hide and name in ident else _pair(pair)),
            )
            for name, pair in (e.changes or {}).items()
        ]
        record_type = model._meta.verbose_name if model else e.content_type.model
        rows.append(
            EntryRow(
                entry=e,
                at_utc=e.at.astimezone(datetime.UTC),
                at_local=local,
                time_zone=tz_name,
                record_type=str(record_type),
                record_repr=f"{record_type} {e.object_id}" if hide else e.object_repr,
                changes=changes,
            )
        )
    return rows


def _pair(pair: Any) -> tuple[Any, Any]:
    if isinstance(pair, list | tuple) and len(pair) == 2:
        return pair[0], pair[1]
    return None, pair


def audited_models() -> list[type[models.Model]]:
    from trialsite.core.models import AuditedModel

    return [m for m in apps.get_models() if issubclass(m, AuditedModel)]
