"""Standards A2: the application offers no way to change or delete audit entries, and the database refuses it.

Figure: mutation attempts blocked k/k (application paths and raw SQL).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection, models, transaction

from trialsite.accounts.models import User
from trialsite.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def blocked(attempt: Callable[[], object]) -> bool:
    """Run one mutation attempt in a savepoint; True when it was refused."""
    try:
        with transaction.atomic():
            attempt()
    except (PermissionError, DatabaseError):
        return True
    return False


def report(name: str, results: dict[str, bool], capsys) -> None:  # noqa: ANN001
    k = sum(results.values())
    with capsys.disabled():
        print(f"\nA2 {name}: mutation attempts blocked {k}/{len(results)}")
    assert [n for n, ok in results.items() if not ok] == []


def _entry() -> AuditEntry:
    return AuditEntry.objects.order_by("id").first()


def test_application_refuses_every_mutation(net, capsys) -> None:  # noqa: ANN001
    entry = _entry()
    original = AuditEntry.objects.filter(pk=entry.pk).values().get()
    count = AuditEntry.objects.count()

    def resave() -> None:
        e = _entry()
        e.reason = "rewritten"
        e.save()

    def bulk_update() -> None:
        e = _entry()
        e.reason = "rewritten"
        AuditEntry.objects.bulk_update([e], ["reason"])

    attempts = {
        "instance save": resave,
        "instance delete": lambda: _entry().delete(),
        "queryset update": lambda: AuditEntry.objects.filter(pk=entry.pk).update(reason="x"),
        "queryset delete": lambda: AuditEntry.objects.all().delete(),
        "bulk_update": bulk_update,
        "update_or_create": lambda: AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"reason": "x"}),
        "plain QuerySet update (bypassing the manager)": lambda: (
            models.QuerySet(AuditEntry).filter(pk=entry.pk).update(reason="x")
        ),
        "plain QuerySet delete (bypassing the manager)": lambda: models.QuerySet(AuditEntry).all().delete(),
        "_raw_delete": lambda: models.QuerySet(AuditEntry).all()._raw_delete(connection.alias),
        "cascade from the actor": lambda: models.QuerySet(User).filter(pk=net.user("admin").pk).delete(),
    }
    # An entry whose actor is admin, so the cascade attempt has something to cascade to.
    from trialsite.core.context import acting_as

    with acting_as(net.user("admin")):
        net.site_b.phone = "555"
        net.site_b.save()
    count = AuditEntry.objects.count()
    results = {name: blocked(fn) for name, fn in attempts.items()}
    assert AuditEntry.objects.count() == count
    assert AuditEntry.objects.filter(pk=entry.pk).values().get() == original
    report("application", results, capsys)


def test_admin_is_read_only(net, web, capsys) -> None:  # noqa: ANN001
    root = User.objects.create_superuser("root", "root@example.org", "a long admin passphrase 77")
    c = web(root)
    entry = _entry()
    assert c.get("/admin/audit/auditentry/").status_code == 200
    assert c.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200  # view only
    results = {
        "admin add": c.post("/admin/audit/auditentry/add/", {"reason": "x"}).status_code == 403,
        "admin change": c.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"reason": "x"}).status_code == 403,
        "admin delete": c.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403,
        "admin bulk delete action": c.post(
            "/admin/audit/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
        ).status_code
        in (200, 302)
        and AuditEntry.objects.filter(pk=entry.pk).exists(),
    }
    assert AuditEntry.objects.get(pk=entry.pk).reason == entry.reason
    report("admin", results, capsys)


def raw(sql: str) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    return run


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite triggers; PostgreSQL has its own test")
def test_sqlite_triggers_refuse_raw_sql(net, capsys) -> None:  # noqa: ANN001
    entry = _entry()
    count = AuditEntry.objects.count()
    results = {
        "UPDATE": blocked(raw(f"UPDATE audit_auditentry SET reason = 'x' WHERE id = {entry.pk}")),
        "DELETE one": blocked(raw(f"DELETE FROM audit_auditentry WHERE id = {entry.pk}")),
        "DELETE all (SQLite's TRUNCATE)": blocked(raw("DELETE FROM audit_auditentry")),
    }
    assert AuditEntry.objects.count() == count
    assert AuditEntry.objects.get(pk=entry.pk).reason == entry.reason
    report("SQLite raw SQL", results, capsys)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="UPDATE/DELETE/TRUNCATE triggers are PostgreSQL's (run with DATABASE_URL=postgres://...)",
)
def test_postgresql_refuses_raw_sql(net, capsys) -> None:  # noqa: ANN001
    entry = _entry()
    count = AuditEntry.objects.count()
    results = {
        "UPDATE": blocked(raw(f"UPDATE audit_auditentry SET reason = 'x' WHERE id = {entry.pk}")),
        "DELETE": blocked(raw(f"DELETE FROM audit_auditentry WHERE id = {entry.pk}")),
        "DELETE all": blocked(raw("DELETE FROM audit_auditentry")),
        "TRUNCATE": blocked(raw("TRUNCATE audit_auditentry")),
        "TRUNCATE CASCADE": blocked(raw("TRUNCATE audit_auditentry CASCADE")),
    }
    assert AuditEntry.objects.count() == count
    assert AuditEntry.objects.get(pk=entry.pk).reason == entry.reason
    report("PostgreSQL raw SQL", results, capsys)


def test_inserts_still_work(net) -> None:  # noqa: ANN001
    """Append-only, not read-only: writes keep adding entries after the refused attempts."""
    before = AuditEntry.objects.count()
    assert blocked(lambda: AuditEntry.objects.all().delete())
    from trialsite.core.context import acting_as

    with acting_as(net.user("admin")):
        net.site_a.phone = "1"
        net.site_a.save()
    assert AuditEntry.objects.count() == before + 1
