"""Workflow engine: instances, work items (待办/待阅), the action log, and the working-day calendar overrides."""

# Generated from a schema diff on 2026-11-26 06:26.
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

    class Instance(Model):
        plugin = CharField(max_length=64)
        workflow = CharField(max_length=64)
        object_type = CharField(max_length=64)
        object_id = CharField(max_length=64)
        title = CharField(max_length=300)
        url = CharField(max_length=300)
        unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
        drafter = ForeignKeyField(User, on_delete="RESTRICT")
        urgency = CharField(max_length=16, default="normal")
        state = CharField(max_length=16, default="running")
        step = CharField(max_length=64, default="")
        fields = TextField(default="{}")
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        suspended_at = DateTimeField(null=True)
        version = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "core_wf_instance"
            indexes = ((("plugin", "object_type", "object_id"), True), (("drafter", "started_at"), False))

    db.create_tables([Instance])

    class ActionLog(Model):
        instance = ForeignKeyField(Instance, on_delete="CASCADE")
        step = CharField(max_length=64, default="")
        action = CharField(max_length=32)
        actor = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        on_behalf_of = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        opinion = TextField(default="")
        detail = TextField(default="")
        ip = CharField(max_length=64, default="")
        at = DateTimeField()

        class Meta:
            database = db
            table_name = "core_wf_log"
            indexes = ((("instance", "at"), False),)

    db.create_tables([ActionLog])

    class CalendarOverride(Model):
        day = DateField(unique=True)
        workday = BooleanField()
        note = CharField(max_length=100, default="")

        class Meta:
            database = db
            table_name = "core_calendar_override"

    db.create_tables([CalendarOverride])

    class WorkItem(Model):
        instance = ForeignKeyField(Instance, on_delete="CASCADE")
        plugin = CharField(max_length=64)
        kind = CharField(max_length=8, default="todo")
        step = CharField(max_length=64)
        assignee = ForeignKeyField(User, on_delete="RESTRICT")
        principal = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        state = CharField(max_length=16, default="open")
        seq = IntegerField(default=0)
        added = IntegerField(default=0)
        title = CharField(max_length=300)
        url = CharField(max_length=300)
        urgency = CharField(max_length=16, default="normal")
        created_at = DateTimeField()
        due_at = DateTimeField(null=True)
        done_at = DateTimeField(null=True)
        action = CharField(max_length=32, default="")
        opinion = TextField(default="")
        actor = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        reminded_at = DateTimeField(null=True)
        escalated_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "core_work_item"
            indexes = (
                (("assignee", "kind", "state", "created_at"), False),
                (("instance", "state"), False),
                (("state", "due_at"), False),
            )

    db.create_tables([WorkItem])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("core_work_item"))
    migrator.migrate(migrator.drop_table("core_calendar_override"))
    migrator.migrate(migrator.drop_table("core_wf_log"))
    migrator.migrate(migrator.drop_table("core_wf_instance"))
