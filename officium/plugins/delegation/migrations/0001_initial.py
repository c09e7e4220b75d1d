"""Initial schema of the delegation plugin: one row per 外出授权 (principal, delegate, period, scope)."""

# Generated from a schema diff on 2026-11-26 06:40.
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class Delegation(Model):
        principal = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        delegate = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        all_modules = BooleanField(default=True)
        modules = CharField(max_length=500, default="")
        reason = CharField(max_length=200)
        start_at = DateTimeField()
        end_at = DateTimeField()
        status = CharField(max_length=16, default="scheduled")
        revoked_at = DateTimeField(null=True)
        end_reason = CharField(max_length=16, default="")
        activated_at = DateTimeField(null=True)
        ended_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "delegation_delegation"
            indexes = (
                (("principal", "end_at"), False),
                (("delegate", "end_at"), False),
                (("status", "start_at"), False),
                (("status", "end_at"), False),
            )

    db.create_tables([Delegation])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("delegation_delegation"))
