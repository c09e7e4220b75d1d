# Generated from a schema diff on 2026-11-26 06:25.
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class Opinion(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        text = CharField(max_length=200)
        position = IntegerField()
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "profile_opinion"
            indexes = ((("user", "text"), True),)

    db.create_tables([Opinion])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("profile_opinion"))
