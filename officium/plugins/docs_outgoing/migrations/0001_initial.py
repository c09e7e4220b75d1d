# Generated from a schema diff on 2026-11-26 08:51.
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

    class Document(Model):
        unit = ForeignKeyField(Unit, on_delete="RESTRICT")
        drafter = ForeignKeyField(User, on_delete="RESTRICT")
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()
        state = CharField(index=True, max_length=16, default="draft")
        doc_type = CharField(max_length=16)
        direction = CharField(max_length=8, default="down")
        copy_no = CharField(max_length=6, default="")
        urgency = CharField(max_length=16, default="normal")
        time_limit = DateField(null=True)
        issuer_mark = CharField(max_length=100, default="")
        prefix = CharField(max_length=32, default="")
        doc_number = CharField(index=True, max_length=64, default="")
        number_year = IntegerField(null=True)
        number_seq = IntegerField(null=True)
        signer_name = CharField(max_length=64, default="")
        title = CharField(max_length=300)
        main_to = TextField(default="")
        body = TextField(default="")
        attachment_note = TextField(default="")
        issuer_name = CharField(max_length=100, default="")
        written_date = DateField(null=True)
        remark = TextField(default="")
        cc = TextField(default="")
        printer = CharField(max_length=100, default="")
        print_date = DateField(null=True)
        countersign_units = CharField(max_length=500, default="")
        countersign_mode = CharField(max_length=8, default="none")
        signer = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        version = IntegerField(default=0)
        signed_version = IntegerField(null=True)
        sealed_at = DateTimeField(null=True)
        sealed_file_id = IntegerField(null=True)
        issued_at = DateTimeField(null=True)
        archived_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "docs_outgoing_document"
            indexes = ((("unit", "created_at"), False), (("number_year", "prefix"), False))

    db.create_tables([Document])

    class Distribution(Model):
        document = ForeignKeyField(Document, on_delete="CASCADE")
        kind = CharField(max_length=8)
        unit = ForeignKeyField(Unit, null=True, on_delete="RESTRICT")
        recipient = CharField(max_length=200, default="")
        incoming_ref = CharField(max_length=64, default="")
        package_sha256 = CharField(max_length=64, default="")
        by = ForeignKeyField(User, on_delete="RESTRICT")
        at = DateTimeField()

        class Meta:
            database = db
            table_name = "docs_outgoing_distribution"

    db.create_tables([Distribution])

    class Number(Model):
        prefix = CharField(max_length=32)
        year = IntegerField()
        seq = IntegerField()
        number = CharField(unique=True, max_length=64)
        document = ForeignKeyField(Document, null=True, on_delete="SET NULL")
        assigned_by = ForeignKeyField(User, on_delete="RESTRICT")
        assigned_at = DateTimeField()
        voided = BooleanField(default=False)
        void_reason = CharField(max_length=500, default="")
        voided_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        voided_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "docs_outgoing_number"
            indexes = ((("prefix", "year", "seq"), True),)

    db.create_tables([Number])

    class Prefix(Model):
        code = CharField(unique=True, max_length=32)
        description = CharField(max_length=200, default="")
        direction = CharField(max_length=8, default="")
        active = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "docs_outgoing_prefix"

    db.create_tables([Prefix])

    class Sequence(Model):
        prefix = CharField(max_length=32)
        year = IntegerField()
        last = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "docs_outgoing_sequence"
            indexes = ((("prefix", "year"), True),)

    db.create_tables([Sequence])

    class Signature(Model):
        document = ForeignKeyField(Document, on_delete="CASCADE")
        signer = ForeignKeyField(User, on_delete="RESTRICT")
        on_behalf_of = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        signer_name = CharField(max_length=64)
        opinion = TextField(default="")
        circled = BooleanField(default=False)
        signed_at = DateTimeField()
        version = IntegerField()

        class Meta:
            database = db
            table_name = "docs_outgoing_signature"

    db.create_tables([Signature])

    class Version(Model):
        document = ForeignKeyField(Document, on_delete="CASCADE")
        number = IntegerField()
        body = TextField(default="")
        fields = TextField(default="{}")
        author = ForeignKeyField(User, on_delete="RESTRICT")
        at = DateTimeField()
        reason = CharField(max_length=500, default="")

        class Meta:
            database = db
            table_name = "docs_outgoing_version"
            indexes = ((("document", "number"), True),)

    db.create_tables([Version])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("docs_outgoing_version"))
    migrator.migrate(migrator.drop_table("docs_outgoing_signature"))
    migrator.migrate(migrator.drop_table("docs_outgoing_sequence"))
    migrator.migrate(migrator.drop_table("docs_outgoing_prefix"))
    migrator.migrate(migrator.drop_table("docs_outgoing_number"))
    migrator.migrate(migrator.drop_table("docs_outgoing_distribution"))
    migrator.migrate(migrator.drop_table("docs_outgoing_document"))
