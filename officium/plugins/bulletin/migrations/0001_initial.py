# Written from the models on 2026-11-26; the three usual columns are created with it.
import datetime

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

    class Column(Model):
        name = CharField(max_length=64, unique=True)
        description = CharField(max_length=300, default="")
        order = IntegerField(default=0)
        approval = CharField(max_length=16, default="leader")
        active = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "bulletin_column"

    class Scope(Model):
        owner = CharField(max_length=16)
        owner_id = IntegerField()
        kind = CharField(max_length=8)
        unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="CASCADE")
        role = CharField(max_length=64, default="")

        class Meta:
            database = db
            table_name = "bulletin_scope"
            indexes = ((("owner", "owner_id"), False),)

    class Announcement(Model):
        column = ForeignKeyField(Column, backref="+", on_delete="RESTRICT")
        title = CharField(max_length=200)
        body = TextField(default="")
        body_text = TextField(default="")
        author = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
        status = CharField(max_length=16, default="draft")
        importance = CharField(max_length=16, default="normal")
        pinned = BooleanField(default=False)
        must_read = BooleanField(default=False)
        own_scope = BooleanField(default=False)
        publish_at = DateTimeField(null=True, index=True)
        expires_at = DateTimeField(null=True)
        announced_at = DateTimeField(null=True)
        retired_at = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        round = IntegerField(default=0)
        version = IntegerField(default=1)
        withdrawn_at = DateTimeField(null=True)
        withdrawn_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
        withdraw_reason = CharField(max_length=300, default="")
        reminded_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "bulletin_announcement"
            indexes = ((("status", "column", "publish_at"), False), (("author", "created_at"), False))

    class Version(Model):
        announcement = ForeignKeyField(Announcement, backref="+", on_delete="CASCADE")
        number = IntegerField()
        title = CharField(max_length=200)
        body = TextField(default="")
        replaced_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        replaced_at = DateTimeField()
        note = CharField(max_length=300, default="")

        class Meta:
            database = db
            table_name = "bulletin_version"
            indexes = ((("announcement", "number"), True),)

    class Receipt(Model):
        announcement = ForeignKeyField(Announcement, backref="+", on_delete="CASCADE")
        user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        read_at = DateTimeField()
        confirmed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "bulletin_receipt"
            indexes = ((("announcement", "user"), True),)

    db.create_tables([Column, Scope, Announcement, Version, Receipt])

    # The usual columns: the whole bureau reads them; units' 综合人员 publish, approved by their leader
    # (规章制度 by the office).  The office changes them on 公告板 → 栏目设置.
    now = datetime.datetime.now().replace(microsecond=0)
    for order, (name, description, approval) in enumerate(
        (
            ("通知公告", "全局性通知、公告", "leader"),
            ("工作动态", "各单位工作动态", "leader"),
            ("规章制度", "局内规章制度", "office"),
        ),
        start=1,
    ):
        column = Column.create(
            name=name, description=description, order=order, approval=approval, created_at=now
        )
        Scope.create(owner="column_read", owner_id=column.id, kind="all")
        Scope.create(owner="column_publish", owner_id=column.id, kind="role", role="clerk")


def down(migrator, db):
    for table in (
        "bulletin_receipt",
        "bulletin_version",
        "bulletin_announcement",
        "bulletin_scope",
        "bulletin_column",
    ):
        migrator.migrate(migrator.drop_table(table))
