# The seals plugin's first tables: the site's 制章者 key, the seals and the 用印申请 (用印登记簿).
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

    class MakerKey(Model):
        algorithm = CharField(max_length=32)
        key_id = CharField(max_length=64, unique=True)
        public_key = TextField()
        private_key = TextField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "seals_maker_key"

    class Seal(Model):
        unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
        name = CharField(max_length=100)
        kind = CharField(max_length=32)
        custodian = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        valid_from = DateField()
        valid_until = DateField()
        image = BlobField(null=True)
        es_id = CharField(max_length=64, unique=True)
        algorithm = CharField(max_length=32)
        key_id = CharField(max_length=64)
        public_key = TextField()
        private_key = TextField()
        record = TextField(default="")
        created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        revoked_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
        revoke_reason = TextField(default="")

        class Meta:
            database = db
            table_name = "seals_seal"
            indexes = ((("unit", "name"), False),)

    class UseRequest(Model):
        seal = ForeignKeyField(Seal, backref="+", on_delete="RESTRICT")
        plugin = CharField(max_length=64)
        owner_type = CharField(max_length=64)
        owner_id = CharField(max_length=64)
        version = CharField(max_length=32, default="")
        sha256 = CharField(max_length=64)
        title = CharField(max_length=300, default="")
        file_name = CharField(max_length=255, default="")
        requester = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        reason = TextField(default="")
        copies = IntegerField(default=1)
        state = CharField(max_length=16, default="pending", index=True)
        created_at = DateTimeField(index=True)
        decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
        decided_at = DateTimeField(null=True)
        decision_note = TextField(default="")
        used_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
        used_at = DateTimeField(null=True)
        sealed_sha256 = CharField(max_length=64, default="")
        signature = TextField(default="")
        document = BlobField(null=True)
        sealed_document = BlobField(null=True)

        class Meta:
            database = db
            table_name = "seals_use"
            indexes = ((("seal", "state"), False), (("plugin", "owner_type", "owner_id"), False))

    db.create_tables([MakerKey, Seal, UseRequest])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("seals_use"))
    migrator.migrate(migrator.drop_table("seals_seal"))
    migrator.migrate(migrator.drop_table("seals_maker_key"))
