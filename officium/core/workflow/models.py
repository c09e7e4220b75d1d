"""The engine's tables: one row per routed document, one per work item, and the immutable action log.

Documents are referred to by ``(plugin, object_type, object_id)``, never by a foreign key, so disabling a
plugin leaves the engine's rows intact.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from officium.core.db import BaseModel
from officium.core.identity.models import Unit, User

URGENCIES = {"normal": "平件", "urgent": "加急", "very_urgent": "特急"}
INSTANCE_STATES = {"running": "办理中", "suspended": "已挂起", "done": "已办结", "closed": "已终止"}


class Instance(BaseModel):
    """A document travelling through a workflow."""

    plugin = CharField(max_length=64)
    workflow = CharField(max_length=64)
    object_type = CharField(max_length=64)
    object_id = CharField(max_length=64)
    title = CharField(max_length=300)
    url = CharField(max_length=300)
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    drafter = ForeignKeyField(User, on_delete="RESTRICT", backref="+")
    urgency = CharField(max_length=16, default="normal")
    state = CharField(max_length=16, default="running")
    step = CharField(max_length=64, default="")
    fields = TextField(default="{}")
    started_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    suspended_at = DateTimeField(null=True)
    #: Raised by every transition; a transition that finds another version lost a race.
    version = IntegerField(default=0)

    class Meta:
        table_name = "core_wf_instance"
        indexes = (
            (("plugin", "object_type", "object_id"), True),
            (("drafter", "started_at"), False),
        )


ITEM_KINDS = {"todo": "待办", "read": "待阅"}
ITEM_STATES = {
    "open": "待处理",
    "waiting": "等待前一人",
    "done": "已办",
    "taken": "已由他人办理",
    "cancelled": "已收回",
    "transferred": "已转办",
}


class WorkItem(BaseModel):
    """Something one person must do (待办) or read (待阅).

    ``assignee`` is who sees it; ``principal`` is whom it belongs to when a delegate (外出授权) holds it.
    The list queries of every user's boxes across all plugins use the index on (assignee, kind, state); the
    principal's 已办/已阅 (what a delegate did for them) use the one on (principal, kind, state).
    """

    # the composite indexes below start with instance, assignee and principal: no single-column ones
    instance = ForeignKeyField(Instance, backref="items", on_delete="CASCADE", index=False)
    plugin = CharField(max_length=64)
    kind = CharField(max_length=8, default="todo")
    step = CharField(max_length=64)
    assignee = ForeignKeyField(User, backref="+", on_delete="RESTRICT", index=False)
    principal = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT", index=False)
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
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    reminded_at = DateTimeField(null=True)
    escalated_at = DateTimeField(null=True)

    class Meta:
        table_name = "core_work_item"
        indexes = (
            (("assignee", "kind", "state", "created_at"), False),
            (("principal", "kind", "state", "created_at"), False),
            (("instance", "state"), False),
            (("state", "due_at"), False),
        )


ACTIONS = {
    "submit": "提交",
    "approve": "同意",
    "return": "退回",
    "withdraw": "撤回",
    "transfer": "转办",
    "add_signer": "加签",
    "urge": "催办",
    "circulate": "传阅",
    "read": "已阅",
    "suspend": "挂起",
    "resume": "恢复",
    "reassign": "改派",
    "jump": "跳转",
    "close": "终止",
    "finish": "办结",
    "recall": "收回传阅",
}


class ActionLog(BaseModel):
    """One action on a document (流转记录); never updated or deleted."""

    instance = ForeignKeyField(Instance, backref="log", on_delete="CASCADE")
    step = CharField(max_length=64, default="")
    action = CharField(max_length=32)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    on_behalf_of = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    opinion = TextField(default="")
    detail = TextField(default="")
    ip = CharField(max_length=64, default="")
    at = DateTimeField()

    class Meta:
        table_name = "core_wf_log"
        indexes = ((("instance", "at"), False),)


MODELS = [Instance, WorkItem, ActionLog]
