"""The mailbox lists: which copies a box holds, the search filters, and how a copy is shown.

Every list is one query on ``mail_copy`` served by the index (owner, folder, deleted, at), joined to
the message and its sender for the columns and the search.  Search is a substring match (Chinese
included) over the sender's name, the subject, the body text and the attachment names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from peewee import ModelSelect, fn

from officium.core.identity.models import Unit, User
from officium.plugins.mail import recipients, service
from officium.plugins.mail.models import IMPORTANCE, KINDS, SYSTEM_FOLDERS, Copy, Folder, Label, Message

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

Q_MAX = 100
#: ``unit<id>`` is a unit mailbox's inbox, ``unit<id>-trash`` its trash.
UNIT_BOX = re.compile(r"^unit(\d+)(-trash)?$")


class BoxError(ValueError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Box:
    """A mailbox list: ``key`` as in ``?box=`` (inbox, sent, drafts, trash, f<id>, unit<id>)."""

    key: str
    title: str
    folder: str
    unit: Unit | None = None


@dataclass
class Filters:
    q: str = ""
    sender: str = ""
    date_from: date | None = None
    date_to: date | None = None
    unread: bool = False
    label: Label | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.sender or self.date_from or self.date_to or self.unread or self.label)


def box_of(user: User, key: str) -> Box:
    """The box the user asked for; raise :class:`BoxError` for one that is not theirs."""
    key = key or "inbox"
    if key in SYSTEM_FOLDERS:
        return Box(key, SYSTEM_FOLDERS[key], key)
    if key.startswith("f"):
        folder = service.own_folder(user, key)
        if folder is not None:
            return Box(key, folder.name, key)
    found = UNIT_BOX.match(key)
    if found and int(found.group(1)) in service.clerk_unit_ids(user):
        unit = Unit.get_by_id(int(found.group(1)))
        if found.group(2):
            return Box(key, f"{unit.name}部门邮箱 · 已删除", "trash", unit)
        return Box(key, f"{unit.name}部门邮箱", "inbox", unit)
    raise BoxError("找不到这个邮箱。", "box")


def _day(text: str, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BoxError("日期格式应为 YYYY-MM-DD。", field) from None


def filters_of(user: User, params: Any) -> Filters:
    q = str(params.get("q", "")).strip()
    sender = str(params.get("sender", "")).strip()
    if len(q) > Q_MAX or len(sender) > Q_MAX:
        raise BoxError(f"查询内容不能超过 {Q_MAX} 个字。", "q")
    label = None
    if params.get("label"):
        label = service.own_label(user, params.get("label"))
        if label is None:
            raise BoxError("找不到这个标签。", "label")
    found = Filters(
        q=q,
        sender=sender,
        date_from=_day(str(params.get("from", "")), "from"),
        date_to=_day(str(params.get("to", "")), "to"),
        unread=str(params.get("unread", "")) in ("1", "true", "on"),
        label=label,
    )
    if found.date_from and found.date_to and found.date_from > found.date_to:
        raise BoxError("开始日期不能晚于结束日期。", "to")
    return found


def box_query(user: User, box: Box, filters: Filters | None = None) -> ModelSelect:
    """The copies of one box, newest first, with their message and sender (``copy.message.sender``)."""
    owner = Copy.unit == box.unit if box.unit is not None else Copy.user == user
    query = (
        Copy.select(Copy, Message, User)
        .join(Message, on=(Copy.message == Message.id))
        .join(User, on=(Message.sender == User.id))
        .where(owner & (Copy.folder == box.folder) & (Copy.deleted == False))  # noqa: E712
    )
    f = filters or Filters()
    if f.q:
        query = query.where(
            Message.subject.contains(f.q)
            | Message.body_text.contains(f.q)
            | Message.attachment_names.contains(f.q)
            | User.name.contains(f.q)
        )
    if f.sender:
        query = query.where(User.name.contains(f.sender) | (User.username == f.sender.lower()))
    if f.date_from:
        query = query.where(Copy.at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        query = query.where(Copy.at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    if f.unread:
        query = query.where(Copy.read_at.is_null())
    if f.label is not None:
        query = query.where(Copy.labels.contains(f",{f.label.id},"))
    return query.order_by(Copy.at.desc(), Copy.id.desc())


def sidebar(user: User) -> dict[str, Any]:
    """The boxes, folders, labels and unit mailboxes for the side list, with unread counts."""
    unread = dict(
        Copy.select(Copy.folder, fn.COUNT(Copy.id))
        .where((Copy.user == user) & (Copy.deleted == False) & Copy.read_at.is_null())  # noqa: E712
        .group_by(Copy.folder)
        .tuples()
    )
    units = service.clerk_units(user)
    unit_unread = dict(
        Copy.select(Copy.unit, fn.COUNT(Copy.id))
        .where(
            Copy.unit.in_([u.id for u in units] or [0])
            & (Copy.folder == "inbox")
            & (Copy.deleted == False)  # noqa: E712
            & Copy.read_at.is_null()
        )
        .group_by(Copy.unit)
        .tuples()
    )
    return {
        "system": [(k, t, unread.get(k, 0) if k == "inbox" else 0) for k, t in SYSTEM_FOLDERS.items()],
        "folders": [
            (f"f{f.id}", f.name, unread.get(f"f{f.id}", 0))
            for f in Folder.select().where(Folder.owner == user).order_by(Folder.name)
        ],
        "units": [
            entry
            for u in units
            for entry in (
                (f"unit{u.id}", f"{u.name}部门邮箱", unit_unread.get(u.id, 0)),
                (f"unit{u.id}-trash", f"{u.name} · 已删除", 0),
            )
        ],
        "labels": list(Label.select().where(Label.owner == user).order_by(Label.name)),
    }


# ------------------------------------------------------------------------------------------ showing


def label_names(user: User, copy: Copy) -> list[str]:
    ids = [int(x) for x in copy.labels.strip(",").split(",") if x.isdigit()]
    if not ids:
        return []
    return [lab.name for lab in Label.select().where(Label.id.in_(ids) & (Label.owner == user))]


def summary(copy: Copy) -> dict[str, Any]:
    """A list row for the API."""
    message = copy.message
    return {
        "id": copy.id,
        "subject": message.subject,
        "sender": {"username": message.sender.username, "name": message.sender.name},
        "at": copy.at.isoformat(),
        "folder": copy.folder,
        "kind": copy.kind,
        "unit": copy.unit_id,
        "read": copy.read_at is not None,
        "importance": message.importance,
        "has_attachments": bool(message.attachment_names),
        "state": message.state,
        "recalled": message.recalled_at is not None,
        "preview": message.body_text[:80],
    }


def addressing(app: OfficiumApp, viewer: User, copy: Copy) -> dict[str, list[dict[str, str]]]:
    """To and cc as chosen; bcc only for the sender's own copy (recipients never see it)."""
    message = copy.message
    fields = ["to", "cc"] + (["bcc"] if copy.kind == "from" else [])
    tokens = {k: recipients.split(getattr(message, f"{k}_tokens")) for k in fields}
    labels = recipients.labels_for(app, [t for ts in tokens.values() for t in ts], viewer)
    return {k: [{"token": t, "label": labels.get(t, t)} for t in ts] for k, ts in tokens.items()}


def tracking(copy: Copy) -> list[dict[str, Any]]:
    """The sender's view of who has the message, who read it and when, and what was recalled."""
    if copy.kind != "from" or copy.message.state != "sent":
        return []
    rows = []
    others = (
        Copy.select()
        .where((Copy.message == copy.message_id) & (Copy.kind != "from"))
        .order_by(Copy.kind.desc(), Copy.id)
    )
    for other in others:
        rows.append(
            {
                "recipient": other.user.name if other.user_id else f"{other.unit.name}（部门邮箱）",
                "username": other.user.username if other.user_id else None,
                "unit": other.unit.code if other.unit_id else None,
                "kind": other.kind,
                "kind_title": KINDS[other.kind],
                "read_at": other.read_at,
                "recalled_at": other.recalled_at,
                "via": f"经{other.via_unit.name}部门邮箱（{other.via.name}）分发"
                if other.via_id and other.via_unit_id
                else "",
            }
        )
    return rows


def detail(app: OfficiumApp, viewer: User, copy: Copy) -> dict[str, Any]:
    """One message as its holder sees it (for the API)."""
    message = copy.message
    body = summary(copy)
    body.update(
        {
            "body_html": message.body_html,
            "body_text": message.body_text,
            "importance_title": IMPORTANCE.get(message.importance, ""),
            "read_receipt": message.read_receipt,
            "labels": label_names(viewer, copy),
            "attachments": [
                {
                    "id": a.id,
                    "filename": a.filename,
                    "size": a.size,
                    "url": f"{service.URL}{copy.id}/files/{a.id}",
                }
                for a in service.attachments(message)
            ],
            **{k: v for k, v in addressing(app, viewer, copy).items()},
            "via": {"unit": copy.via_unit.name, "by": copy.via.name}
            if copy.via_id and copy.via_unit_id
            else None,
        }
    )
    if copy.kind == "from" and message.state == "sent":
        body["tracking"] = [
            {
                **row,
                "read_at": row["read_at"].isoformat() if row["read_at"] else None,
                "recalled_at": row["recalled_at"].isoformat() if row["recalled_at"] else None,
            }
            for row in tracking(copy)
        ]
    return body
