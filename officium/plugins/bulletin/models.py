"""The bulletin plugin's tables.  After changing them, write a migration:
``officium db generate --plugin bulletin 名称``, review the file, then ``officium db upgrade``."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from officium.core.db import BaseModel
from officium.core.identity.models import Unit, User

#: Who must approve an announcement of a column before it is published.
APPROVALS = {
    "none": "无需审核，直接发布",
    "leader": "发布单位负责人审核",
    "office": "办公室审核",
    "leader_office": "单位负责人审核后报办公室审核",
}
IMPORTANCES = {"normal": "一般", "important": "重要", "urgent": "紧急"}
#: What a scope row says: everybody, the members of a unit (and of its sub-units), or holders of a role.
SCOPE_KINDS = {"all": "全局", "unit": "单位", "role": "角色"}
#: Whose scope a row belongs to.
SCOPE_OWNERS = ("column_read", "column_publish", "announcement")
#: The stored state of an announcement; whether a published one is live depends on the clock.
STATUSES = {
    "draft": "草稿",
    "submitted": "审核中",
    "published": "已发布",
    "withdrawn": "已撤回",
}


class Column(BaseModel):
    """A 栏目 of the board (通知公告, 工作动态, 规章制度), set up by the office."""

    name = CharField(max_length=64, unique=True)
    description = CharField(max_length=300, default="")
    order = IntegerField(default=0)
    approval = CharField(max_length=16, default="leader")
    active = BooleanField(default=True)
    created_at = DateTimeField()

    class Meta:
        table_name = "bulletin_column"

    @property
    def approval_title(self) -> str:
        return APPROVALS.get(self.approval, self.approval)


class Scope(BaseModel):
    """One entry of a scope: who may read or publish in a column, or read one announcement."""

    owner = CharField(max_length=16)
    owner_id = IntegerField()
    kind = CharField(max_length=8)
    unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="CASCADE")
    role = CharField(max_length=64, default="")

    class Meta:
        table_name = "bulletin_scope"
        indexes = ((("owner", "owner_id"), False),)


class Announcement(BaseModel):
    """A 公告.  Readers see it while it is published, its publish time has come and it has not expired."""

    column = ForeignKeyField(Column, backref="+", on_delete="RESTRICT")
    title = CharField(max_length=200)
    #: Sanitised HTML (``officium.core.richtext.sanitize_html``) and its plain text.
    body = TextField(default="")
    body_text = TextField(default="")
    author = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    #: The publishing unit (发布单位), shown to readers.
    unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
    status = CharField(max_length=16, default="draft")
    importance = CharField(max_length=16, default="normal")
    pinned = BooleanField(default=False)
    must_read = BooleanField(default=False)
    #: True when the announcement has its own readers (bulletin_scope rows) instead of the column's.
    own_scope = BooleanField(default=False)
    #: Asked-for publish time (None: on approval); once published, when it goes (or went) live.
    publish_at = DateTimeField(null=True, index=True)
    expires_at = DateTimeField(null=True)
    #: Set by the job once the announcement went live (readers told, search index fed).
    announced_at = DateTimeField(null=True)
    #: Set by the job once an expired announcement left the search index.
    retired_at = DateTimeField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()
    #: Submission round: each submission for approval is a workflow instance of its own.
    round = IntegerField(default=0)
    #: Number of the current text; earlier texts are in bulletin_version.
    version = IntegerField(default=1)
    withdrawn_at = DateTimeField(null=True)
    withdrawn_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    withdraw_reason = CharField(max_length=300, default="")
    reminded_at = DateTimeField(null=True)

    class Meta:
        table_name = "bulletin_announcement"
        indexes = ((("status", "column", "publish_at"), False), (("author", "created_at"), False))


class Version(BaseModel):
    """An earlier text of a published announcement, kept when it was edited."""

    announcement = ForeignKeyField(Announcement, backref="+", on_delete="CASCADE")
    number = IntegerField()
    title = CharField(max_length=200)
    body = TextField(default="")
    #: Who wrote this text and when it was replaced.
    replaced_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    replaced_at = DateTimeField()
    note = CharField(max_length=300, default="")

    class Meta:
        table_name = "bulletin_version"
        indexes = ((("announcement", "number"), True),)


class Receipt(BaseModel):
    """A reader's first read of an announcement, and their confirmation of a 必读 one."""

    announcement = ForeignKeyField(Announcement, backref="+", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    read_at = DateTimeField()
    confirmed_at = DateTimeField(null=True)

    class Meta:
        table_name = "bulletin_receipt"
        indexes = ((("announcement", "user"), True),)


MODELS = [Column, Scope, Announcement, Version, Receipt]
