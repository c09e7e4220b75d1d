"""Saved searches (我的查询)."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class SavedSearch(Model):
        user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        name = CharField(max_length=50)
        query = TextField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "search_saved"
            indexes = ((("user", "name"), True),)

    db.create_tables([SavedSearch])


def down(migrator, db):
    db.execute_sql("DROP TABLE IF EXISTS search_saved")
