"""Initial core schema: organisation, accounts, sessions, login records, API tokens."""

# Generated from a schema diff on 2026-11-26 05:48.
from peewee import *


def up(migrator, db):
    class Unit(Model):
        code = CharField(unique=True, max_length=32)
        name = CharField(max_length=100)
        parent = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        kind = CharField(max_length=16)
        order = IntegerField(default=0)
        active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = "core_unit"

    db.create_tables([Unit])

    class User(Model):
        username = CharField(unique=True, max_length=64)
        name = CharField(max_length=64)
        unit = ForeignKeyField(Unit, null=True, on_delete="RESTRICT")
        position = CharField(max_length=64, default="")
        status = CharField(index=True, max_length=16, default="active")
        password_hash = CharField(default="")
        password_changed_at = DateTimeField(null=True)
        must_change_password = BooleanField(default=False)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "core_user"

    db.create_tables([User])

    class ApiToken(Model):
        key = CharField(primary_key=True, max_length=64)
        user = ForeignKeyField(User, on_delete="CASCADE")
        name = CharField(max_length=64)
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "core_api_token"

    db.create_tables([ApiToken])

    class LoginRecord(Model):
        username = CharField(index=True, max_length=64)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        at = DateTimeField(index=True)
        ip = CharField(max_length=64, default="")
        success = BooleanField()
        reason = CharField(max_length=64, default="")

        class Meta:
            database = db
            table_name = "core_login_record"

    db.create_tables([LoginRecord])

    class RoleGrant(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        role = CharField(max_length=64)
        unit = ForeignKeyField(Unit, null=True, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "core_role_grant"
            indexes = ((("role", "unit", "user"), True),)

    db.create_tables([RoleGrant])

    class Session(Model):
        key = CharField(primary_key=True, max_length=64)
        user = ForeignKeyField(User, on_delete="CASCADE")
        csrf_token = CharField(max_length=64)
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        ip = CharField(max_length=64, default="")
        user_agent = CharField(default="")

        class Meta:
            database = db
            table_name = "core_session"

    db.create_tables([Session])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("core_session"))
    migrator.migrate(migrator.drop_table("core_role_grant"))
    migrator.migrate(migrator.drop_table("core_login_record"))
    migrator.migrate(migrator.drop_table("core_api_token"))
    migrator.migrate(migrator.drop_table("core_user"))
    migrator.migrate(migrator.drop_table("core_unit"))
