"""Notifications (centre, channel choices, e-mail outbox) and background jobs (locks, run records)."""

# Generated from a schema diff on 2026-11-26 06:38.
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class EmailOutbox(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        to_addr = CharField(max_length=254)
        subject = CharField(max_length=300)
        body = TextField(default="")
        created_at = DateTimeField()
        next_try_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        attempts = IntegerField(default=0)
        last_error = TextField(default="")

        class Meta:
            database = db
            table_name = "core_email_outbox"
            indexes = ((("sent_at", "next_try_at"), False),)

    db.create_tables([EmailOutbox])

    class JobLock(Model):
        name = CharField(primary_key=True, max_length=128)
        owner = CharField(max_length=128)
        expires_at = DateTimeField()

        class Meta:
            database = db
            table_name = "core_job_lock"

    db.create_tables([JobLock])

    class JobRun(Model):
        name = CharField(max_length=128)
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        ok = BooleanField(null=True)
        message = TextField(default="")

        class Meta:
            database = db
            table_name = "core_job_run"
            indexes = ((("name", "started_at"), False),)

    db.create_tables([JobRun])

    class Notification(Model):
        user = ForeignKeyField(User, on_delete="CASCADE", index=False)
        kind = CharField(max_length=64)
        title = CharField(max_length=300)
        body = TextField(default="")
        url = CharField(max_length=300, default="")
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "core_notification"
            indexes = ((("user", "read_at", "created_at"), False),)

    db.create_tables([Notification])

    class NotificationAddress(Model):
        user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        email = CharField(max_length=254)

        class Meta:
            database = db
            table_name = "core_notification_address"

    db.create_tables([NotificationAddress])

    class NotificationPreference(Model):
        user = ForeignKeyField(User, on_delete="CASCADE", index=False)
        kind = CharField(max_length=64)
        inbox = BooleanField(default=True)
        email = BooleanField(default=False)

        class Meta:
            database = db
            table_name = "core_notification_pref"
            indexes = ((("user", "kind"), True),)

    db.create_tables([NotificationPreference])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("core_notification_pref"))
    migrator.migrate(migrator.drop_table("core_notification_address"))
    migrator.migrate(migrator.drop_table("core_notification"))
    migrator.migrate(migrator.drop_table("core_job_run"))
    migrator.migrate(migrator.drop_table("core_job_lock"))
    migrator.migrate(migrator.drop_table("core_email_outbox"))
