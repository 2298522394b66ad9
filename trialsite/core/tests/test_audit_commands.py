"""Management commands write as `command:<name>` (A1) and deactivate accounts without deleting them (P4)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from trialsite.accounts.models import User
from trialsite.audit.models import AuditEntry
from trialsite.core.context import current
from trialsite.core.management.base import AuditedCommand

pytestmark = pytest.mark.django_db


def test_deactivate_user_ends_sessions_and_is_audited(net, web) -> None:  # noqa: ANN001
    client = web(net.user("staff_a"))
    assert client.get("/network/sites/").status_code == 200
    before = AuditEntry.objects.count()
    out = StringIO()
    call_command("deactivate_user", "staff_a", "--reason", "Contract ended", stdout=out)
    user = User.objects.get(username="staff_a")
    assert not user.is_active and user.pk == net.user("staff_a").pk  # deactivated, never deleted
    entry = AuditEntry.objects.filter(event="user.deactivate").get()
    assert (entry.actor_label, entry.reason, entry.changes) == (
        "command:deactivate_user",
        "Contract ended",
        {"is_active": [True, False]},
    )
    assert AuditEntry.objects.count() == before + 1
    assert client.get("/network/sites/").status_code == 302  # the session is gone


def test_deactivate_user_refuses_bad_input(net) -> None:  # noqa: ANN001
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="No user named"):
        call_command("deactivate_user", "ghost", reason="x")
    with pytest.raises(CommandError, match="reason"):
        call_command("deactivate_user", "staff_a", reason="   ")
    out = StringIO()
    call_command("deactivate_user", "staff_a", reason="first", stdout=StringIO())
    call_command("deactivate_user", "staff_a", reason="again", stdout=out)
    assert "already inactive" in out.getvalue()
    assert AuditEntry.objects.count() == before + 1


def test_audited_command_names_itself() -> None:
    seen = {}

    class Command(AuditedCommand):
        def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
            seen["label"] = current().label
            seen["reason"] = current().reason

    Command.__module__ = "trialsite.something.management.commands.import_things"
    Command().run_from_argv(["trialsite", "import_things"])
    assert seen == {"label": "command:import_things", "reason": ""}
