"""The tables of 收文管理.  After changing them, write a migration:
``officium db generate --plugin docs_incoming 名称``, review the file, then ``officium db upgrade``."""

from __future__ import annotations

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from officium.core.db import BaseModel
from officium.core.identity.models import Unit, User
from officium.plugins.docs_incoming.constants import HANDLING, STATUSES, URGENCY_TITLES


class IncomingDocument(BaseModel):
    """One 来文 registered by a unit's clerk: its 收文登记 fields and where it stands.

    The handling itself (拟办, 批示, 承办) lives in the workflow engine (``docs_incoming.handle``) or, for
    阅知件, in 传阅 items of ``docs_incoming.circulate``; this row keeps what the 收文登记簿 lists.
    """

    #: The receiving unit (its 收文 register) and its 收文编号: ``rule`` applied to ``year`` and ``seq``.
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
    #: 签收时间 (条例第二十四条: record the time of 签收).
    registered_at = DateTimeField()
    status = CharField(max_length=16, default="registered")
    handling = CharField(max_length=8, default="")
    #: 初审: who accepted or returned it, when, and the reason given to the sending unit.
    reviewed_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    reviewed_at = DateTimeField(null=True)
    return_reason = TextField(default="")
    #: 办结: the handling result the 主办 unit recorded.
    result = TextField(default="")
    concluded_at = DateTimeField(null=True)
    #: 答复 to the sender (optional).
    reply = TextField(default="")
    replied_at = DateTimeField(null=True)
    archived_at = DateTimeField(null=True)
    #: For a document distributed inside the bureau: the original (plugin, object_type, object_id).
    source_plugin = CharField(max_length=64, default="")
    source_type = CharField(max_length=64, default="")
    source_id = CharField(max_length=64, default="")

    class Meta:
        table_name = "docs_incoming_document"
        indexes = (
            (("unit", "year", "seq"), True),
            (("from_unit", "doc_number"), False),
            (("status", "due_date"), False),
            (("source_plugin", "source_type", "source_id"), False),
        )

    @property
    def url(self) -> str:
        return f"/docs_incoming/{self.id}"

    @property
    def status_title(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def urgency_title(self) -> str:
        return URGENCY_TITLES.get(self.urgency, self.urgency)

    @property
    def handling_title(self) -> str:
        return HANDLING.get(self.handling, "")


class Assignment(BaseModel):
    """分办: a unit that handles the document, as 主办 (exactly one) or 协办."""

    document = ForeignKeyField(IncomingDocument, backref="assignments", on_delete="CASCADE")
    unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
    role = CharField(max_length=8)

    class Meta:
        table_name = "docs_incoming_assignment"
        indexes = ((("document", "unit"), True),)


class Counter(BaseModel):
    """The last 收文 sequence number a unit gave out in a year (one row per unit and year)."""

    unit = ForeignKeyField(Unit, backref="+", on_delete="CASCADE")
    year = IntegerField()
    last = IntegerField(default=0)

    class Meta:
        table_name = "docs_incoming_counter"
        indexes = ((("unit", "year"), True),)


MODELS = [IncomingDocument, Assignment, Counter]
