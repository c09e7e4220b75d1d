# Written from the models on 2026-11-26 (frozen copies: later model edits never change this file).
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

    class IncomingDocument(Model):
        unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
        year = IntegerField()
        seq = IntegerField()
        number = CharField(max_length=64)
        from_unit = CharField(max_length=200)
        doc_number = CharField(max_length=100, default="")
        title = CharField(max_length=300)
        doc_type = CharField(max_length=16)
        urgency = CharField(max_length=16, default="normal")
        classification = CharField(max_length=16)
        copies = IntegerField(default=1)
        received_on = DateField()
        due_date = DateField(null=True)
        note = TextField(default="")
        registered_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        registered_at = DateTimeField()
        status = CharField(max_length=16, default="registered")
        handling = CharField(max_length=8, default="")
        reviewed_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
        reviewed_at = DateTimeField(null=True)
        return_reason = TextField(default="")
        result = TextField(default="")
        concluded_at = DateTimeField(null=True)
        reply = TextField(default="")
        replied_at = DateTimeField(null=True)
        archived_at = DateTimeField(null=True)
        source_plugin = CharField(max_length=64, default="")
        source_type = CharField(max_length=64, default="")
        source_id = CharField(max_length=64, default="")

        class Meta:
            database = db
            table_name = "docs_incoming_document"
            indexes = (
                (("unit", "year", "seq"), True),
                (("from_unit", "doc_number"), False),
                (("status", "due_date"), False),
                (("source_plugin", "source_type", "source_id"), False),
            )

    class Assignment(Model):
        document = ForeignKeyField(IncomingDocument, backref="assignments", on_delete="CASCADE")
        unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
        role = CharField(max_length=8)

        class Meta:
            database = db
            table_name = "docs_incoming_assignment"
            indexes = ((("document", "unit"), True),)

    class Counter(Model):
        unit = ForeignKeyField(Unit, backref="+", on_delete="CASCADE")
        year = IntegerField()
        last = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "docs_incoming_counter"
            indexes = ((("unit", "year"), True),)

    db.create_tables([IncomingDocument, Assignment, Counter])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("docs_incoming_counter"))
    migrator.migrate(migrator.drop_table("docs_incoming_assignment"))
    migrator.migrate(migrator.drop_table("docs_incoming_document"))
