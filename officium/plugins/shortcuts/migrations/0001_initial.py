"""Initial schema of the shortcuts plugin: each user's pinned shortcuts and the defaults per role."""

# Generated from a schema diff on 2026-11-26 06:28.
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class DefaultShortcut(Model):
        role = CharField(index=True, max_length=64)
        title = CharField(max_length=40)
        url = CharField(max_length=500)
        kind = CharField(max_length=16, default="action")
        position = IntegerField(default=0)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "shortcuts_default"

    db.create_tables([DefaultShortcut])

    class Shortcut(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        title = CharField(max_length=40)
        url = CharField(max_length=500)
        kind = CharField(max_length=16, default="action")
        position = IntegerField(default=0)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "shortcuts_shortcut"
            indexes = ((("user", "position"), False),)

    db.create_tables([Shortcut])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("shortcuts_shortcut"))
    migrator.migrate(migrator.drop_table("shortcuts_default"))
