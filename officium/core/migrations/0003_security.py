"""Security baseline: password history, the security policy table, one-time and expiring passwords, TOTP, session limits."""

# Generated from a schema diff on 2026-11-26 06:15.
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class PasswordHistory(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        password_hash = CharField()
        changed_at = DateTimeField()

        class Meta:
            database = db
            table_name = "core_password_history"

    db.create_tables([PasswordHistory])

    class PolicySetting(Model):
        key = CharField(unique=True, max_length=64)
        value = TextField()

        class Meta:
            database = db
            table_name = "core_policy"

    db.create_tables([PolicySetting])

    migrator.migrate(migrator.add_column("core_user", "one_time_expires_at", DateTimeField(null=True)))
    migrator.migrate(migrator.add_column("core_user", "password_expires_at", DateTimeField(null=True)))
    migrator.migrate(migrator.add_column("core_user", "totp_secret", CharField(default="")))
    migrator.migrate(migrator.add_column("core_user", "totp_last_step", IntegerField(default=0)))
    migrator.migrate(migrator.add_column("core_session", "idle_seconds", IntegerField(default=1800)))
    migrator.migrate(migrator.add_column("core_session", "expires_at", DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("core_session", "expires_at"))
    migrator.migrate(migrator.drop_column("core_session", "idle_seconds"))
    migrator.migrate(migrator.drop_column("core_user", "totp_last_step"))
    migrator.migrate(migrator.drop_column("core_user", "totp_secret"))
    migrator.migrate(migrator.drop_column("core_user", "password_expires_at"))
    migrator.migrate(migrator.drop_column("core_user", "one_time_expires_at"))
    migrator.migrate(migrator.drop_table("core_policy"))
    migrator.migrate(migrator.drop_table("core_password_history"))
