"""Management commands that write regulated records name themselves as the actor (standards A1).

Subclass `AuditedCommand` instead of Django's `BaseCommand`: `handle` then runs inside
`acting_as(process="command:<name>")`, so every audited write it makes is attributed to the
command (and to `--reason` when the command defines one).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trialsite.core.context import acting_as


class AuditedCommand(BaseCommand):
    """A management command whose writes are attributed to `command:<name>`."""

    def command_name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    def execute(self, *args: Any, **options: Any) -> str | None:
        with acting_as(process=f"command:{self.command_name()}", reason=options.get("reason") or ""):
            return super().execute(*args, **options)
