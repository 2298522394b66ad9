"""Deactivate a login: never deleted, so its id is never reused (standards P4); sessions and tokens end (U2)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from trialsite.core.management.base import AuditedCommand


class Command(AuditedCommand):
    help = "Deactivate a user account (with a reason, recorded in the audit trail) and end its sessions and tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why the account is deactivated (audited).")

    def handle(self, *args: Any, **options: Any) -> None:
        from trialsite.accounts.models import User

        reason = options["reason"].strip()
        if not reason:
            raise CommandError("Give a --reason: deactivations are audited with their reason.")
        with transaction.atomic():
            user = User.objects.select_for_update().filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No user named '{options['username']}'.")
            if not user.is_active:
                self.stdout.write(f"{user.username} is already inactive; nothing changed.")
                return
            user.is_active = False
            # accounts' post_save signal ends the user's sessions and API tokens in the same transaction.
            user.save_with_reason(reason, event="user.deactivate")
        self.stdout.write(f"Deactivated {user.username}; their sessions and API tokens are ended.")
