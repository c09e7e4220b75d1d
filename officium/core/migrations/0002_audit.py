"""Audit log: the hash-chained core_audit table, its head row, and triggers that make it append-only."""

from peewee import *


def up(migrator, db):
    class AuditEntry(Model):
        at = DateTimeField(index=True)
        actor = IntegerField(index=True, null=True)
        actor_name = CharField(max_length=128, default="")
        on_behalf_of = IntegerField(null=True)
        unit = IntegerField(index=True, null=True)
        plugin = CharField(index=True, max_length=64)
        action = CharField(index=True, max_length=128)
        object_type = CharField(max_length=64, default="")
        object_id = CharField(max_length=64, default="")
        result = CharField(max_length=16, default="ok")
        ip = CharField(max_length=64, default="")
        summary = TextField(default="")
        detail = TextField(default="")
        prev_hash = CharField(max_length=64)
        hash = CharField(max_length=64)

        class Meta:
            database = db
            table_name = "core_audit"

    db.create_tables([AuditEntry])

    class AuditHead(Model):
        last_hash = CharField(max_length=64)
        last_id = IntegerField()
        count = IntegerField()

        class Meta:
            database = db
            table_name = "core_audit_head"

    db.create_tables([AuditHead])

    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(
            "CREATE FUNCTION core_audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'core_audit is append-only'; END; $$ LANGUAGE plpgsql"
        )
        for op in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER core_audit_no_{op.lower()} BEFORE {op} ON core_audit "
                "FOR EACH ROW EXECUTE FUNCTION core_audit_append_only()"
            )
    else:
        for op in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER core_audit_no_{op.lower()} BEFORE {op} ON core_audit "
                "BEGIN SELECT RAISE(ABORT, 'core_audit is append-only'); END"
            )


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP TABLE core_audit CASCADE")
        db.execute_sql("DROP FUNCTION core_audit_append_only()")
    else:
        db.execute_sql("DROP TABLE core_audit")
    migrator.migrate(migrator.drop_table("core_audit_head"))
