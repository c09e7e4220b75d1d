"""Attachments: one row per file attached to a plugin's record; blobs are stored by content hash."""

# Written from a schema diff on 2026-11-26 08:55.
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class Attachment(Model):
        plugin = CharField(max_length=64)
        owner_type = CharField(max_length=64)
        owner_id = CharField(max_length=64)
        filename = CharField(max_length=255)
        content_type = CharField(max_length=128)
        size = BigIntegerField()
        sha256 = CharField(max_length=64, index=True)
        uploaded_by = ForeignKeyField(User, on_delete="RESTRICT")
        uploaded_at = DateTimeField()
        deleted_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "core_attachment"
            indexes = ((("plugin", "owner_type", "owner_id"), False),)

    db.create_tables([Attachment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("core_attachment"))
