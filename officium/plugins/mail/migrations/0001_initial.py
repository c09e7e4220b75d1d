# The mail plugin's tables: messages stored once, per-mailbox copies, folders, labels, personal groups.
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

    class Message(Model):
        sender = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        subject = CharField(max_length=200, default="")
        body_html = TextField(default="")
        body_text = TextField(default="")
        importance = CharField(max_length=8, default="normal")
        read_receipt = BooleanField(default=False)
        state = CharField(max_length=8, default="draft")
        to_tokens = TextField(default="")
        cc_tokens = TextField(default="")
        bcc_tokens = TextField(default="")
        attachment_names = TextField(default="")
        origin = ForeignKeyField("self", null=True, backref="+", on_delete="SET NULL")
        origin_kind = CharField(max_length=8, default="")
        carried = TextField(default="")
        created_at = DateTimeField()
        updated_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        recalled_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "mail_message"

    class Copy(Model):
        message = ForeignKeyField(Message, backref="copies", on_delete="CASCADE")
        user = ForeignKeyField(User, null=True, backref="+", on_delete="CASCADE", index=False)
        unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="CASCADE", index=False)
        kind = CharField(max_length=4)
        folder = CharField(max_length=16)
        prev_folder = CharField(max_length=16, default="")
        at = DateTimeField()
        read_at = DateTimeField(null=True)
        trashed_at = DateTimeField(null=True)
        deleted = BooleanField(default=False)
        recalled_at = DateTimeField(null=True)
        labels = CharField(max_length=255, default="")
        via = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        via_unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "mail_copy"
            indexes = (
                (("user", "folder", "deleted", "at"), False),
                (("unit", "folder", "deleted", "at"), False),
                (("folder", "trashed_at"), False),
            )

    class Folder(Model):
        owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        name = CharField(max_length=50)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "mail_folder"

    class Label(Model):
        owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        name = CharField(max_length=30)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "mail_label"

    class Group(Model):
        owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        name = CharField(max_length=50)
        members = TextField(default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "mail_group"

    db.create_tables([Message, Copy, Folder, Label, Group])


def down(migrator, db):
    for table in ("mail_copy", "mail_group", "mail_label", "mail_folder", "mail_message"):
        migrator.migrate(migrator.drop_table(table))
