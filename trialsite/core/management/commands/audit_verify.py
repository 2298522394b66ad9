"""Replay the audit trail and compare it with the database (standards A3).

For every audited object, fold its entries in order (create sets the values, update changes
them, delete removes the object) and compare the result with the row as stored. A mismatch
means a write escaped the trail or an old value was obscured. Exits 1 on any mismatch.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import CommandError, CommandParser

from trialsite.core.management.base import AuditedCommand
from trialsite.core.models import AuditedModel, jsonable, tracked_attnames, typed_fields


def same(field: Any, recorded: Any, stored: Any) -> bool:
    """Equal as the field's type sees it: a trail value "75.00" and a stored Decimal("75") are one amount."""
    if jsonable(stored) == recorded:
        return True
    if field is None or recorded is None or stored is None:
        return False
    try:
        return field.to_python(recorded) == field.to_python(stored)
    except Exception:  # noqa: BLE001
        return False


def replay(model: type[AuditedModel]) -> tuple[int, int, list[str]]:
    """(objects rebuilt, objects, mismatch descriptions) for one model."""
    from django.contrib.contenttypes.models import ContentType

    from trialsite.audit.models import AuditEntry

    ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
    names = [n for n in tracked_attnames(model) if n not in set(getattr(model, "audit_redact", ()))]
    typed = typed_fields(model)
    states: dict[str, dict[str, Any]] = {}
    entries = (
        AuditEntry.objects.filter(content_type=ct)
        .order_by("id")
        .values_list("object_id", "action", "changes")
        .iterator(chunk_size=5000)
    )
    for object_id, action, changes in entries:
        if action == AuditEntry.Action.DELETE:
            states.pop(object_id, None)
            continue
        state = states.setdefault(object_id, {}) if action == AuditEntry.Action.UPDATE else {}
        if action == AuditEntry.Action.CREATE:
            states[object_id] = state
        for field, pair in changes.items():
            state[field] = pair[1] if isinstance(pair, list) and len(pair) == 2 else pair
    rebuilt, total, problems = 0, 0, []
    for row in model._base_manager.values("pk", *names).order_by("pk").iterator(chunk_size=5000):
        total += 1
        state = states.get(str(row["pk"]))
        if state is None:
            problems.append(f"{model._meta.label} #{row['pk']}: no audit entries")
            continue
        wrong = [n for n in names if not same(typed.get(n), state.get(n), row[n])]
        if wrong:
            detail = ", ".join(f"{n}: trail {state.get(n)!r} ≠ row {jsonable(row[n])!r}" for n in wrong[:5])
            problems.append(f"{model._meta.label} #{row['pk']}: {detail}")
        else:
            rebuilt += 1
    return rebuilt, total, problems


class Command(AuditedCommand):
    help = "Rebuild every audited object from its audit entries and compare with the database (exit 1 on mismatch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", action="append", help="Only this model (app_label.ModelName); repeatable.")
        parser.add_argument("--show", type=int, default=20, help="How many mismatches to print.")

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = {m.lower() for m in options.get("model") or []}
        models = [
            m
            for m in apps.get_models()
            if issubclass(m, AuditedModel) and (not wanted or m._meta.label_lower in wanted)
        ]
        if wanted and len(models) != len(wanted):
            raise CommandError(f"Unknown audited model in {sorted(wanted)}.")
        rebuilt = total = 0
        problems: list[str] = []
        for model in models:
            k, n, bad = replay(model)
            rebuilt, total = rebuilt + k, total + n
            problems += bad
            if options["verbosity"] > 1:
                self.stdout.write(f"{model._meta.label}: {k}/{n}")
        for line in problems[: options["show"]]:
            self.stderr.write(line)
        self.stdout.write(f"objects rebuilt {rebuilt}/{total}")
        if problems:
            raise CommandError(f"{len(problems)} object(s) do not match their audit trail.", returncode=1)
