"""What the mail module does: who may open a copy, checking and saving a message (draft or sent), and the
actions on copies (read, trash, restore, delete, move, labels, recall, hand on inside a unit).

Everything runs inside the caller's transaction.  :func:`check` reads only, so a refusal (a bad
recipient, a 涉密 mark, an attachment over the limit) stores nothing; :func:`save` then writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from peewee import JOIN

from officium.core import audit, files, notifications, richtext, secrecy
from officium.core.db import write_transaction
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.notifications import Notification
from officium.core.registry import NotificationType, Permission, Setting
from officium.plugins.mail import recipients
from officium.plugins.mail.models import IMPORTANCE, Copy, Folder, Label, Message
from officium.plugins.mail.recipients import AddressError

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

PLUGIN = "mail"
URL = "/mail/"
USE = "mail.use"
OWNER_TYPE = "message"
NEW = "mail.new"
RECEIPT = "mail.receipt"
SUBJECT_MAX = 200
BODY_MAX = 200_000
DEFAULT_EXTENSIONS = [
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "txt",
    "wps",
    "ofd",
    "jpg",
    "png",
    "zip",
]

PERMISSIONS = [Permission(USE, "使用电子邮件", default_roles=("staff",))]
SETTINGS = [
    Setting("max_attachment_mb", "单个附件上限（MB）", int, 20),
    Setting("max_attachments", "每封邮件附件个数上限", int, 20),
    Setting("allowed_extensions", "允许的附件类型（扩展名）", list, DEFAULT_EXTENSIONS),
    Setting("trash_days", "已删除邮件保留天数", int, 30, description="超过后由后台任务彻底删除。"),
    Setting(
        "relay_users",
        "可向外部地址发信的用户名",
        list,
        [],
        description="站点配置了 [smtp] 时，这些用户可发信到外部地址（仅正文，不含附件）。",
    ),
]
NOTIFICATION_TYPES = [
    NotificationType(NEW, "新邮件", ("inbox",), "有人给您或您所在单位的部门邮箱发来邮件。"),
    NotificationType(RECEIPT, "邮件已读回执", ("inbox",), "您要求回执的邮件已被收件人阅读。"),
]


class MailError(ValueError):
    """A message or action that cannot go ahead; ``fields`` say where (form field → Chinese message)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class SecrecyRefused(Exception):
    """The 涉密 guard found classification marks; nothing may be stored."""

    def __init__(self, findings: list[secrecy.Finding]) -> None:
        super().__init__(secrecy.refusal_message(findings))
        self.findings = findings
        self.message = secrecy.refusal_message(findings)


def settings(app: OfficiumApp) -> dict[str, Any]:
    return app.settings(PLUGIN)


# -------------------------------------------------------------------------------------- who sees what


def clerk_unit_ids(user: User) -> list[int]:
    """The units whose mailbox the user reads: those they are 综合人员 of."""
    return [
        g.unit_id
        for g in RoleGrant.select(RoleGrant.unit).where(
            (RoleGrant.user == user) & (RoleGrant.role == "clerk") & RoleGrant.unit.is_null(False)
        )
    ]


def clerk_units(user: User) -> list[Unit]:
    ids = clerk_unit_ids(user)
    return list(Unit.select().where(Unit.id.in_(ids or [0]) & Unit.active).order_by(Unit.order, Unit.id))


def copy_of(user: User, copy_id: Any) -> Copy | None:
    """The user's own copy (or their unit mailbox's), not deleted or recalled; None for anyone else's."""
    try:
        number = int(copy_id)
    except (TypeError, ValueError):
        return None
    copy = Copy.get_or_none((Copy.id == number) & (Copy.deleted == False))  # noqa: E712
    if copy is None:
        return None
    if copy.user_id == user.id or (copy.unit_id is not None and copy.unit_id in clerk_unit_ids(user)):
        return copy
    return None


def attachments(message: Message) -> list[files.Attachment]:
    return files.attachments_of(PLUGIN, OWNER_TYPE, message.id)


def own_folder(user: User, folder: str) -> Folder | None:
    if not folder.startswith("f") or not folder[1:].isdigit():
        return None
    return Folder.get_or_none((Folder.id == int(folder[1:])) & (Folder.owner == user))


def own_label(user: User, label_id: Any) -> Label | None:
    try:
        number = int(label_id)
    except (TypeError, ValueError):
        return None
    return Label.get_or_none((Label.id == number) & (Label.owner == user))


# ------------------------------------------------------------------------------------------- compose


@dataclass
class Draft:
    """What a compose form or API call asks for (raw, before :func:`check`)."""

    to: str | list[str] = ""
    cc: str | list[str] = ""
    bcc: str | list[str] = ""
    subject: str = ""
    body: str = ""
    importance: str = "normal"
    read_receipt: bool = False
    draft_id: int | None = None
    origin_id: int | None = None  # the viewer's copy id of the message replied to / forwarded
    origin_kind: str = ""
    carry: list[int] = field(default_factory=list)  # attachment ids of the origin to carry
    remove: list[int] = field(default_factory=list)  # attachment ids of the draft to drop
    uploads: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Checked:
    draft: Draft
    subject: str
    body_html: str
    body_text: str
    resolved: recipients.Resolved
    message: Message | None  # the draft being edited
    origin: Message | None
    carry: list[files.Attachment]
    keep: list[files.Attachment]  # the draft's own attachments that stay


def _sanitize(html: str) -> tuple[str, str]:
    html = html or ""
    if "<" not in html:  # plain text (the page without JavaScript): keep its paragraphs and line breaks
        html = "".join(
            f"<p>{escape(p).replace(chr(10), '<br>')}</p>"
            for p in html.replace("\r", "").split("\n\n")
            if p.strip()
        )
    clean = richtext.sanitize_html(html)
    return clean, richtext.html_to_text(clean)


def may_relay(app: OfficiumApp, user: User) -> bool:
    return app.config.smtp is not None and user.username in (settings(app)["relay_users"] or [])


def check(app: OfficiumApp, user: User, draft: Draft, *, send: bool) -> Checked:
    """Check a draft or a message to send; raise :class:`MailError` or :class:`SecrecyRefused`."""
    errors: dict[str, str] = {}
    conf = settings(app)
    subject = " ".join(str(draft.subject or "").split())
    if len(subject) > SUBJECT_MAX:
        errors["subject"] = f"主题不能超过 {SUBJECT_MAX} 个字。"
    elif send and not subject:
        errors["subject"] = "请填写主题。"
    if len(draft.body or "") > BODY_MAX:
        errors["body"] = "正文太长。"
    if draft.importance not in IMPORTANCE:
        errors["importance"] = "请选择重要程度。"
    resolved = recipients.Resolved()
    for kind in ("to", "cc", "bcc"):
        if not send:  # a draft keeps what was typed so far; the recipients are checked when it is sent
            resolved.tokens[kind] = recipients.split(getattr(draft, kind))
            continue
        try:
            part = recipients.resolve(app, user, {kind: getattr(draft, kind)}, may_relay=may_relay(app, user))
        except AddressError as exc:
            errors[kind] = exc.message
            continue
        resolved.tokens[kind] = part.tokens[kind]
        for pid, entry in part.people.items():
            resolved.people.setdefault(pid, entry)
        for uid, entry in part.units.items():
            resolved.units.setdefault(uid, entry)
        resolved.external += [a for a in part.external if a not in resolved.external]
    if send and "to" not in errors and resolved.empty and not errors.keys() & {"cc", "bcc"}:
        errors["to"] = "请选择收件人。"
    message = None
    if draft.draft_id:
        message = Message.get_or_none(
            (Message.id == draft.draft_id) & (Message.sender == user) & (Message.state == "draft")
        )
        if message is None:
            raise MailError("找不到这份草稿。", {"": "找不到这份草稿，可能已经发送或删除。"})
    origin = None
    carry: list[files.Attachment] = []
    if draft.origin_id:
        origin_copy = copy_of(user, draft.origin_id)
        if origin_copy is None:
            raise MailError("找不到要回复或转发的邮件。", {"": "找不到要回复或转发的邮件。"})
        origin = origin_copy.message
        by_id = {a.id: a for a in attachments(origin)}
        carry = [by_id[i] for i in draft.carry if i in by_id]
    keep = [a for a in (attachments(message) if message else []) if a.id not in draft.remove]
    kept_carried = set(_carried(message).values()) if message else set()
    keep_own = [a for a in keep if a.id not in kept_carried] if origin is not None else keep
    allowed = {e.lower().lstrip(".") for e in conf["allowed_extensions"]}
    limit = conf["max_attachment_mb"] * 1024 * 1024
    for name, data in draft.uploads:
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in allowed:
            errors["attachments"] = f"不支持“{name}”的文件类型，只能上传：{'、'.join(sorted(allowed))}。"
        elif len(data) > limit:
            errors["attachments"] = f"附件“{name}”太大：单个附件不能超过 {conf['max_attachment_mb']} MB。"
    if len(keep_own) + len(carry) + len(draft.uploads) > conf["max_attachments"]:
        errors["attachments"] = f"每封邮件最多 {conf['max_attachments']} 个附件。"
    if send and resolved.external and (keep or carry or draft.uploads):
        errors.setdefault("to", "带附件的邮件不能发往外部地址：外发只发送正文。")
    if errors:
        raise MailError(next(iter(errors.values())), errors)
    body_html, body_text = _sanitize(draft.body)
    # attachments already stored (a draft's, or carried from a message) passed this guard when they came in
    files_to_scan = list(draft.uploads)
    findings = secrecy.scan({"主题": subject, "正文": body_text}, files_to_scan)
    if findings:
        raise SecrecyRefused(findings)
    return Checked(draft, subject, body_html, body_text, resolved, message, origin, carry, keep)


def _carried(message: Message | None) -> dict[str, int]:
    if message is None or not message.carried:
        return {}
    try:
        return {str(k): int(v) for k, v in json.loads(message.carried).items()}
    except (ValueError, AttributeError):
        return {}


def save(app: OfficiumApp, user: User, checked: Checked, *, send: bool, request: Request | None) -> Message:
    """Store the checked draft, and send it when ``send``; returns the message."""
    now = app.clock()
    conf = settings(app)
    draft = checked.draft
    message = checked.message
    values = {
        "subject": checked.subject,
        "body_html": checked.body_html,
        "body_text": checked.body_text,
        "importance": draft.importance,
        "read_receipt": bool(draft.read_receipt),
        "to_tokens": ",".join(checked.resolved.tokens.get("to", [])),
        "cc_tokens": ",".join(checked.resolved.tokens.get("cc", [])),
        "bcc_tokens": ",".join(checked.resolved.tokens.get("bcc", [])),
        "updated_at": now,
    }
    if message is None:
        message = Message.create(
            sender=user,
            created_at=now,
            origin=checked.origin,
            origin_kind=draft.origin_kind if checked.origin is not None else "",
            **values,
        )
        Copy.create(message=message, user=user, kind="from", folder="drafts", at=now, read_at=now)
    else:
        for key, value in values.items():
            setattr(message, key, value)
    owner = (PLUGIN, OWNER_TYPE, message.id)
    # the draft's attachments: drop those asked, carry the origin's chosen ones once, store the uploads
    carried = _carried(message)
    if checked.origin is not None:
        wanted = {str(a.id) for a in checked.carry}
        for source, copied in list(carried.items()):
            if source not in wanted:
                gone = files.Attachment.get_or_none(files.Attachment.id == copied)
                if gone is not None:
                    files.delete(gone, user, app=app)
                del carried[source]
    for attachment in attachments(message):
        if attachment.id in draft.remove:
            files.delete(attachment, user, app=app)
            carried = {k: v for k, v in carried.items() if v != attachment.id}
    for source in checked.carry:
        if str(source.id) not in carried:
            carried[str(source.id)] = files.copy_to(source, owner, user, app=app).id
    for name, data in draft.uploads:
        try:
            files.save_upload(
                app,
                (name, data),
                owner=owner,
                user=user,
                allowed_extensions=conf["allowed_extensions"],
                max_bytes=conf["max_attachment_mb"] * 1024 * 1024,
            )
        except files.FileRejected as exc:
            raise MailError(exc.message, {"attachments": exc.message}) from exc
    message.carried = json.dumps(carried) if carried else ""
    message.attachment_names = "\n".join(a.filename for a in attachments(message))
    message.save()
    Copy.update(at=now).where((Copy.message == message) & (Copy.kind == "from")).execute()
    if send:
        deliver(app, user, message, checked.resolved, request)
    return message


def deliver(
    app: OfficiumApp, user: User, message: Message, resolved: recipients.Resolved, request: Request | None
) -> None:
    """Send a saved draft: one copy per recipient person and unit mailbox, notifications, relay, audit."""
    now = app.clock()
    message.state = "sent"
    message.sent_at = now
    message.save()
    Copy.update(folder="sent", at=now).where((Copy.message == message) & (Copy.kind == "from")).execute()
    rows = [
        {"message": message.id, "user": person.id, "unit": None, "kind": kind, "folder": "inbox", "at": now}
        for person, kind in resolved.people.values()
    ] + [
        {"message": message.id, "user": None, "unit": unit.id, "kind": kind, "folder": "inbox", "at": now}
        for unit, kind in resolved.units.values()
    ]
    for start in range(0, len(rows), 500):
        Copy.insert_many(rows[start : start + 500]).execute()
    title = f"{user.name}：{message.subject}"[:300]
    for copy in Copy.select().where((Copy.message == message) & (Copy.kind != "from")):
        if copy.user_id is not None:
            notifications.notify(app, copy.user, NEW, f"新邮件　{title}", url=f"{URL}{copy.id}")
        else:
            clerks = (
                User.select()
                .join(RoleGrant, on=(RoleGrant.user == User.id))
                .where((RoleGrant.role == "clerk") & (RoleGrant.unit == copy.unit_id))
            )
            notifications.notify_many(app, clerks, NEW, f"部门邮箱新邮件　{title}", url=f"{URL}{copy.id}")
    for address in resolved.external:
        notifications.EmailOutbox.create(
            user=user,
            to_addr=address,
            subject=message.subject,
            body=f"{message.body_text}\n\n—— {user.name}（{app.config.site_name}）",
            created_at=now,
            next_try_at=now,
        )
    audit.record(
        app,
        "mail.send",
        actor=user,
        request=request,
        object_type=OWNER_TYPE,
        object_id=message.id,
        summary=f"发送邮件“{message.subject}”",
        detail={
            "people": len(resolved.people),
            "units": [unit.code for unit, _ in resolved.units.values()],
            "external": resolved.external,
            "attachments": len(attachments(message)),
        },
    )


# ------------------------------------------------------------------------------------------- actions


def mark_read(app: OfficiumApp, user: User, copy: Copy) -> None:
    """Mark the copy read (the first time: a read receipt to the sender when asked for)."""
    if copy.read_at is not None:
        return
    copy.read_at = app.clock()
    Copy.update(read_at=copy.read_at).where(Copy.id == copy.id).execute()
    message = copy.message
    if message.read_receipt and copy.kind != "from" and message.sender_id != user.id:
        sender_copy = Copy.get_or_none((Copy.message == message) & (Copy.kind == "from"))
        reader = user.name if copy.unit_id is None else f"{user.name}（{copy.unit.name}部门邮箱）"
        notifications.notify(
            app,
            message.sender,
            RECEIPT,
            f"{reader}已阅读您的邮件“{message.subject}”",
            url=f"{URL}{sender_copy.id}" if sender_copy is not None else URL,
        )


def mark_unread(copy: Copy) -> None:
    Copy.update(read_at=None).where(Copy.id == copy.id).execute()


def trash(app: OfficiumApp, copy: Copy) -> None:
    if copy.folder == "trash":
        return
    Copy.update(prev_folder=copy.folder, folder="trash", trashed_at=app.clock()).where(
        Copy.id == copy.id
    ).execute()


def restore(copy: Copy) -> None:
    if copy.folder != "trash":
        raise MailError("只能恢复已删除的邮件。")
    back = copy.prev_folder or ("sent" if copy.kind == "from" else "inbox")
    if copy.kind == "from" and copy.message.state == "draft":
        back = "drafts"
    if back.startswith("f") and not Folder.get_or_none(Folder.id == int(back[1:] or 0)):
        back = "inbox"
    Copy.update(folder=back, prev_folder="", trashed_at=None).where(Copy.id == copy.id).execute()


def delete_for_good(app: OfficiumApp, user: User, copy: Copy) -> None:
    """Delete the copy for its mailbox only; a draft nobody else has goes away with its attachments."""
    if copy.folder != "trash":
        raise MailError("请先将邮件移到“已删除”，再彻底删除。")
    Copy.update(deleted=True).where(Copy.id == copy.id).execute()
    purge_if_orphaned(app, copy.message_id, user)


def purge_if_orphaned(app: OfficiumApp, message_id: int, user: User | None = None) -> bool:
    """Remove a message whose every copy is deleted (and, for a sent one, nobody can track it)."""
    if Copy.select().where((Copy.message == message_id) & (Copy.deleted == False)).exists():  # noqa: E712
        return False
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        return False
    for attachment in attachments(message):
        files.delete(attachment, user or message.sender, app=app)
    Message.update(origin=None).where(Message.origin == message).execute()
    message.delete_instance(recursive=False)
    return True


def move(user: User, copy: Copy, folder: str) -> None:
    if copy.unit_id is not None:
        raise MailError("部门邮箱的邮件不能移到个人文件夹。")
    if copy.kind == "from" and copy.message.state == "draft":
        raise MailError("草稿不能移到文件夹。")
    if folder == "inbox" and copy.kind == "from":
        folder = "sent"
    if folder not in ("inbox", "sent") and own_folder(user, folder) is None:
        raise MailError("找不到这个文件夹。", {"folder": "请选择文件夹。"})
    Copy.update(folder=folder, prev_folder="", trashed_at=None).where(Copy.id == copy.id).execute()


def set_label(user: User, copy: Copy, label_id: Any, on: bool) -> None:
    label = own_label(user, label_id)
    if label is None:
        raise MailError("找不到这个标签。", {"label": "请选择标签。"})
    ids = [x for x in copy.labels.strip(",").split(",") if x and x != str(label.id)]
    if on:
        ids.append(str(label.id))
    copy.labels = f",{','.join(ids)}," if ids else ""
    Copy.update(labels=copy.labels).where(Copy.id == copy.id).execute()


@dataclass
class Recall:
    recalled: list[str]
    already_read: list[str]


def _holder(copy: Copy) -> str:
    if copy.user_id is not None:
        return copy.user.name
    return f"{copy.unit.name}（部门邮箱）"


def recall(app: OfficiumApp, user: User, copy: Copy, request: Request | None) -> Recall:
    """撤回: take the message back from every recipient who has not read it yet."""
    message = copy.message
    if copy.kind != "from" or message.sender_id != user.id or message.state != "sent":
        raise MailError("只能撤回自己发出的邮件。")
    now = app.clock()
    result = Recall([], [])
    for other in Copy.select().where(
        (Copy.message == message) & (Copy.kind != "from") & Copy.recalled_at.is_null()
    ):
        if other.read_at is None:
            Copy.update(recalled_at=now, deleted=True).where(Copy.id == other.id).execute()
            Notification.delete().where(
                (Notification.kind == NEW) & (Notification.url == f"{URL}{other.id}")
            ).execute()
            result.recalled.append(_holder(other))
        else:
            result.already_read.append(_holder(other))
    if not result.recalled:
        raise MailError("收件人都已阅读，无法撤回。" if result.already_read else "这封邮件已经撤回。")
    Message.update(recalled_at=now).where(Message.id == message.id).execute()
    audit.record(
        app,
        "mail.recall",
        actor=user,
        request=request,
        object_type=OWNER_TYPE,
        object_id=message.id,
        summary=f"撤回邮件“{message.subject}”：{len(result.recalled)} 人撤回，{len(result.already_read)} 人已读",
        detail={"recalled": result.recalled, "already_read": result.already_read},
    )
    return result


def distribute(
    app: OfficiumApp, clerk: User, copy: Copy, usernames: Iterable[str], request: Request | None
) -> list[User]:
    """部门邮箱分发: hand a unit mailbox's message on to people of that unit (the message is not copied)."""
    if copy.unit_id is None:
        raise MailError("只有部门邮箱的邮件可以在单位内分发。")
    names = recipients.split(list(usernames))
    if not names:
        raise MailError("请选择本单位的人员。", {"people": "请选择本单位的人员。"})
    people = {u.username: u for u in recipients.unit_people(copy.unit_id) if u.username in names}
    outside = [n for n in names if n not in people]
    if outside:
        message = f"只能分发给{copy.unit.name}的人员：{'、'.join(outside)} 不是本单位的在岗人员。"
        raise MailError(message, {"people": message})
    now = app.clock()
    handed: list[User] = []
    for person in people.values():
        if (
            Copy.select()
            .where(
                (Copy.message == copy.message) & (Copy.user == person) & (Copy.deleted == False)  # noqa: E712
            )
            .exists()
        ):
            continue
        new = Copy.create(
            message=copy.message,
            user=person,
            kind="to",
            folder="inbox",
            at=now,
            via=clerk,
            via_unit=copy.unit,
        )
        notifications.notify(
            app,
            person,
            NEW,
            f"{copy.unit.name}部门邮箱转来邮件　{copy.message.subject}",
            url=f"{URL}{new.id}",
        )
        handed.append(person)
    mark_read(app, clerk, copy)
    audit.record(
        app,
        "mail.distribute",
        actor=clerk,
        request=request,
        object_type=OWNER_TYPE,
        object_id=copy.message_id,
        summary=f"部门邮箱（{copy.unit.name}）分发邮件给 {'、'.join(p.name for p in handed) or '（均已收到）'}",
    )
    return handed


# -------------------------------------------------------------------------------------------- counts


def unread_query(user: User) -> Any:
    """Unread mail in the user's inbox and their unit mailboxes, as one UNION ALL whose two halves each
    search an index ((user, …) and (unit, …)); an OR of the two would defeat both on PostgreSQL."""
    unread = (Copy.folder == "inbox") & (Copy.deleted == False) & Copy.read_at.is_null()  # noqa: E712
    mine = Copy.select(Copy.id).where((Copy.user == user) & unread)
    # From the user's clerk grants to their units' copies, in that order: SQLite keeps the tables of a CROSS
    # JOIN in the order written.  Left to choose without statistics (a site has none until ANALYZE), it
    # drove the join from the (folder, …) index and read every inbox copy of the site (1 s at 3.5 million).
    # PostgreSQL reads CROSS JOIN … WHERE as an inner join and plans it from its statistics.
    theirs = (
        RoleGrant.select(Copy.id)
        .join(Copy, JOIN.CROSS)
        .where((RoleGrant.user == user) & (RoleGrant.role == "clerk") & (Copy.unit == RoleGrant.unit) & unread)
    )
    return mine + theirs


def unread_count(user: User) -> int:
    """The number for the 待办 badge: one statement."""
    return unread_query(user).count()


# ---------------------------------------------------------------------------------------------- jobs


def empty_trash(app: OfficiumApp) -> str:
    """Delete for good what lay in the trash longer than ``trash_days``."""
    cutoff = app.clock() - timedelta(days=settings(app)["trash_days"])
    expired = list(
        Copy.select(Copy.id, Copy.message).where(
            (Copy.folder == "trash") & (Copy.trashed_at < cutoff) & (Copy.deleted == False)  # noqa: E712
        )
    )
    purged = 0
    for copy in expired:
        with write_transaction(app.db):
            Copy.update(deleted=True).where(Copy.id == copy.id).execute()
            purged += purge_if_orphaned(app, copy.message_id)
    return f"清空 {len(expired)} 封过期的已删除邮件，移除 {purged} 封无人保留的邮件"
