"""Defence in depth: the database itself refuses to rewrite audit events.

PostgreSQL: a BEFORE UPDATE OR DELETE trigger on each audit table raises. (TRUNCATE is not
caught by row triggers; the app role has no TRUNCATE grant — docs/postgresql-audit-role.md.)
SQLite: a BEFORE UPDATE trigger on each audit table aborts. DELETE is not blocked on SQLite,
because Django's test-database flush (`DELETE FROM` every table, used by transactional and
live-server tests) must keep working; the ORM refuses deletes, and `careloop audit verify`
names any row removed by hand.

An owner who can drop or disable the triggers can still tamper; the hash chain is what
detects that.
"""

from django.db import migrations

TABLES = ("audit_changeevent", "audit_accessevent", "audit_accesseventpatient")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)  # "%" is not a placeholder
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_rewrite()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE on {table} refused'); END"
            )


def _backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_refuse_rewrite()")
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_forwards, _backwards, elidable=False)]
