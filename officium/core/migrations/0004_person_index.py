"""Person picker and flash messages: the core_person_index table (filled for existing accounts) and core_session.flash."""

from peewee import *


def up(migrator, db):
    class User(Model):
        name = CharField(max_length=64)

        class Meta:
            database = db
            table_name = "core_user"

    class PersonIndex(Model):
        user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        initials = CharField(max_length=255, default="")
        full_pinyin = CharField(max_length=255, default="")

        class Meta:
            database = db
            table_name = "core_person_index"

    db.create_tables([PersonIndex])

    # Backfill: accounts created before this migration get their pinyin now.
    from officium.core.identity.people import name_readings

    rows = []
    for user in User.select(User.id, User.name):
        initials, full = name_readings(user.name)
        rows.append({"user": user.id, "initials": initials, "full_pinyin": full})
    for start in range(0, len(rows), 500):
        PersonIndex.insert_many(rows[start : start + 500]).execute()

    # One-time messages shown on the next page after a redirect (JSON list), then cleared.
    migrator.migrate(migrator.add_column("core_session", "flash", TextField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("core_session", "flash"))
    migrator.migrate(migrator.drop_table("core_person_index"))
