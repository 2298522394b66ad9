"""On PostgreSQL the database itself refuses UPDATE, DELETE and TRUNCATE of audit entries (standards A2)."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION trialsite_audit_forbid() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = 'audit_auditentry is append-only: ' || TG_OP || ' refused',
    ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_auditentry_no_update_delete ON audit_auditentry;
CREATE TRIGGER audit_auditentry_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION trialsite_audit_forbid();
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;
CREATE TRIGGER audit_auditentry_no_truncate BEFORE TRUNCATE ON audit_auditentry
  FOR EACH STATEMENT EXECUTE FUNCTION trialsite_audit_forbid();
"""
ALLOW = """
DROP TRIGGER IF EXISTS audit_auditentry_no_update_delete ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;
DROP FUNCTION IF EXISTS trialsite_audit_forbid();
"""
SQLITE_FORBID = [
    "CREATE TRIGGER IF NOT EXISTS audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only: UPDATE refused'); END;",
    "CREATE TRIGGER IF NOT EXISTS audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only: DELETE refused'); END;",
]
SQLITE_ALLOW = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete;",
]


def forbid(apps, schema_editor):  # noqa: ANN001, ANN201
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(FORBID)
    elif vendor == "sqlite":
        for sql in SQLITE_FORBID:
            schema_editor.execute(sql)


def allow(apps, schema_editor):  # noqa: ANN001, ANN201
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(ALLOW)
    elif vendor == "sqlite":
        for sql in SQLITE_ALLOW:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forbid, allow)]
