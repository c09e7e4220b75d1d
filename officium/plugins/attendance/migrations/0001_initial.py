# Generated from a schema diff on 2026-11-26 06:31.
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class Presence(Model):
        # No index of its own: the unique (user, day, slot) index below starts with it.
        user = ForeignKeyField(User, on_delete="CASCADE", index=False)
        day = DateField()
        slot = SmallIntegerField()

        class Meta:
            database = db
            table_name = "attendance_presence"
            indexes = ((("user", "day", "slot"), True),)

    db.create_tables([Presence])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("attendance_presence"))
