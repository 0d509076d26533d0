"""Make audit events append-only in the database itself, not only in the ORM.

PostgreSQL (production) refuses UPDATE and DELETE of any row. TRUNCATE stays possible for the
table's owner only — the migration role, which the application should not run as — because
Django's test flush needs it. SQLite (the single-user embedded default) refuses UPDATE; a
DELETE trigger there would also stop Django's own test flush, which uses DELETE.
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER vendorsync_auditevent_no_update BEFORE UPDATE ON vendorsync_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS vendorsync_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS vendorsync_auditevent_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION vendorsync_auditevent_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER vendorsync_auditevent_no_change BEFORE UPDATE OR DELETE ON vendorsync_auditevent
       FOR EACH ROW EXECUTE FUNCTION vendorsync_auditevent_refuse();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS vendorsync_auditevent_no_change ON vendorsync_auditevent;",
    "DROP FUNCTION IF EXISTS vendorsync_auditevent_refuse();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("vendorsync", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
