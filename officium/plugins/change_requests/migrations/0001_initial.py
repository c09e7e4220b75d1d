# Generated from a schema diff on 2026-11-26 07:00.
from peewee import *


def up(migrator, db):
    class Unit(Model):
        class Meta:
            database = db
            table_name = "core_unit"

    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class ChangeRequest(Model):
        kind = CharField(max_length=16)
        unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
        requested_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        reason = TextField(default="")
        person = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
        name = CharField(max_length=64, default="")
        username = CharField(max_length=64, default="")
        position = CharField(max_length=64, default="")
        target_unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="RESTRICT")
        move_roles = CharField(max_length=255, default="")
        role = CharField(max_length=64, default="")
        role_action = CharField(max_length=8, default="")
        carried_out_at = DateTimeField(null=True)
        carried_out_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
        result = TextField(default="")

        class Meta:
            database = db
            table_name = "change_requests_request"
            indexes = ((("unit", "created_at"), False),)

    db.create_tables([ChangeRequest])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("change_requests_request"))
