"""The mail plugin's tables.

A message is stored once (``mail_message``); each person or unit mailbox that holds it has one row in
``mail_copy`` with its own state (folder, read, trash, labels), so deleting for one never deletes for
others.  The sender's own row (``kind="from"``) is the 已发送/草稿 entry.  Attachments are core attachments
owned by ``("mail", "message", id)``.  After changing a model, write a migration
(``officium db generate --plugin mail NAME``), review it, then ``officium db upgrade``.
"""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from officium.core.db import BaseModel
from officium.core.identity.models import Unit, User

IMPORTANCE = {"normal": "普通", "high": "重要", "low": "一般"}
KINDS = {"from": "发件人", "to": "收件人", "cc": "抄送", "bcc": "密送"}
#: The system folders; a custom folder is ``f<id>`` of :class:`Folder`.
SYSTEM_FOLDERS = {"inbox": "收件箱", "sent": "已发送", "drafts": "草稿箱", "trash": "已删除"}


class Message(BaseModel):
    """One message (or draft), stored once whatever the number of recipients."""

    sender = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    subject = CharField(max_length=200, default="")
    body_html = TextField(default="")
    #: Plain text of the body, for search and previews.
    body_text = TextField(default="")
    importance = CharField(max_length=8, default="normal")
    read_receipt = BooleanField(default=False)
    #: ``draft`` or ``sent``.
    state = CharField(max_length=8, default="draft")
    #: The addressing as chosen (picker tokens, comma-separated; personal groups expanded when sent).
    to_tokens = TextField(default="")
    cc_tokens = TextField(default="")
    bcc_tokens = TextField(default="")
    #: File names of the attachments, one a line, for search.
    attachment_names = TextField(default="")
    #: The message replied to or forwarded, and which (``reply`` or ``forward``).
    origin = ForeignKeyField("self", null=True, backref="+", on_delete="SET NULL")
    origin_kind = CharField(max_length=8, default="")
    #: JSON ``{source attachment id: copied attachment id}`` of attachments carried from ``origin``.
    carried = TextField(default="")
    created_at = DateTimeField()
    updated_at = DateTimeField()
    sent_at = DateTimeField(null=True)
    recalled_at = DateTimeField(null=True)

    class Meta:
        table_name = "mail_message"


class Copy(BaseModel):
    """One mailbox's copy of a message: a person's (``user``) or a unit mailbox's (``unit``)."""

    message = ForeignKeyField(Message, backref="copies", on_delete="CASCADE")
    # no index of their own: the composite indexes below start with them
    user = ForeignKeyField(User, null=True, backref="+", on_delete="CASCADE", index=False)
    unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="CASCADE", index=False)
    #: ``from`` (the sender's own), ``to``, ``cc`` or ``bcc``.
    kind = CharField(max_length=4)
    folder = CharField(max_length=16)
    #: Where a copy in the trash came from (restored there).
    prev_folder = CharField(max_length=16, default="")
    #: Sort key of the lists: when the message was sent (a draft: last saved).
    at = DateTimeField()
    read_at = DateTimeField(null=True)
    trashed_at = DateTimeField(null=True)
    #: Gone for this mailbox (deleted from the trash, or recalled); kept for the sender's tracking.
    deleted = BooleanField(default=False)
    recalled_at = DateTimeField(null=True)
    #: Label ids of the owner's labels, as ``,3,7,``.
    labels = CharField(max_length=255, default="")
    #: Handed on inside a unit from its unit mailbox: by whom, from which unit.
    via = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    via_unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "mail_copy"
        indexes = (
            (("user", "folder", "deleted", "at"), False),
            (("unit", "folder", "deleted", "at"), False),
            (("folder", "trashed_at"), False),
        )


class Folder(BaseModel):
    """A person's own folder."""

    owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    name = CharField(max_length=50)
    created_at = DateTimeField()

    class Meta:
        table_name = "mail_folder"


class Label(BaseModel):
    """A person's own label (标签)."""

    owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    name = CharField(max_length=30)
    created_at = DateTimeField()

    class Meta:
        table_name = "mail_label"


class Group(BaseModel):
    """A person's own group of recipients (个人通讯组): usernames, comma-separated."""

    owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    name = CharField(max_length=50)
    members = TextField(default="")
    created_at = DateTimeField()

    class Meta:
        table_name = "mail_group"


MODELS = [Message, Copy, Folder, Label, Group]
