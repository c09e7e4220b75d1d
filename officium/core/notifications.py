"""Notifications: the in-app centre (消息通知), optional e-mail through the site's SMTP server, and the
notification types plugins declare (``register_notification_types``).

``notify(app, user, kind, title, url=..., body=...)`` runs inside the caller's transaction: the message is
stored, and an e-mail queued in ``core_email_outbox``, only if the caller's change commits.  E-mails are
never sent inside a request: the periodic job ``core.send_email`` sends what is queued.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING, Any

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from officium.core.db import BaseModel, write_transaction
from officium.core.errors import StartupError
from officium.core.identity.models import User
from officium.core.registry import NOTIFICATION_CHANNELS, NotificationType

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp
    from officium.core.config import SmtpConfig
    from officium.core.workflow.models import Instance, WorkItem

log = logging.getLogger("officium.notifications")

#: How often sending one e-mail is tried before it is given up (the jobs page shows the failures).
MAX_ATTEMPTS = 5
#: E-mails taken from the outbox per run of ``core.send_email``.
EMAIL_BATCH = 200
#: Read notifications older than this are deleted by ``core.notification_cleanup``.
KEEP_READ_DAYS = 180
KEEP_SENT_DAYS = 30
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UnknownNotificationType(ValueError):
    """``notify`` was called with a kind no enabled plugin registered."""


# -------------------------------------------------------------------------------------------- tables


class Notification(BaseModel):
    """One message in a user's notification centre."""

    # no index of its own: the composite index below starts with it
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    kind = CharField(max_length=64)
    title = CharField(max_length=300)
    body = TextField(default="")
    url = CharField(max_length=300, default="")
    created_at = DateTimeField()
    read_at = DateTimeField(null=True)

    class Meta:
        table_name = "core_notification"
        # the bell's unread count and the list (unread first, newest first) are both served by it
        indexes = ((("user", "read_at", "created_at"), False),)


class NotificationPreference(BaseModel):
    """A user's channels for one notification type; without a row the type's defaults apply."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    kind = CharField(max_length=64)
    inbox = BooleanField(default=True)
    email = BooleanField(default=False)

    class Meta:
        table_name = "core_notification_pref"
        indexes = ((("user", "kind"), True),)


class NotificationAddress(BaseModel):
    """The (work) e-mail address a user receives notifications at."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE", unique=True)
    email = CharField(max_length=254)

    class Meta:
        table_name = "core_notification_address"


class EmailOutbox(BaseModel):
    """An e-mail waiting to be sent by the ``core.send_email`` job (kept a while after sending)."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    to_addr = CharField(max_length=254)
    subject = CharField(max_length=300)
    body = TextField(default="")
    created_at = DateTimeField()
    next_try_at = DateTimeField()
    sent_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    last_error = TextField(default="")

    class Meta:
        table_name = "core_email_outbox"
        indexes = ((("sent_at", "next_try_at"), False),)


MODELS = [Notification, NotificationPreference, NotificationAddress, EmailOutbox]


# -------------------------------------------------------------------------------------------- types

#: Workflow notifications the core sends (``register_notification_types`` of the core).
TYPES = [
    NotificationType("core.work_new", "新的待办事项", ("inbox",), "有文件需要您办理。"),
    NotificationType("core.work_read", "新的待阅文件", ("inbox",), "有文件传阅给您。"),
    NotificationType("core.work_returned", "文件被退回", ("inbox", "email"), "您提交的文件被退回修改。"),
    NotificationType("core.work_urge", "催办", ("inbox", "email"), "有人催您办理某个文件。"),
    NotificationType("core.work_due", "办理期限提醒", ("inbox", "email"), "待办事项即将到期或已经超期。"),
    NotificationType(
        "core.work_escalated",
        "超期上报",
        ("inbox", "email"),
        "本单位人员的待办事项超期未办，报告单位负责人。",
    ),
]


def collect_types(app: OfficiumApp) -> None:
    """Fill ``app.registry.notification_types`` from ``register_notification_types``; refuse bad ones."""
    from officium.core.registry_collect import _expect, per_plugin

    owner: dict[str, str] = {}
    for plugin, declared in per_plugin(app, "register_notification_types", app=app):
        for spec in declared:
            _expect(plugin, "register_notification_types", spec, NotificationType)
            if not spec.key.startswith(f"{plugin}."):
                raise StartupError(f"插件 {plugin} 的通知类型 {spec.key} 必须以 {plugin}. 开头。")
            if spec.key in owner:
                raise StartupError(
                    f"通知类型 {spec.key} 重复注册：插件 {owner[spec.key]} 和 {plugin} 都声明了它。"
                )
            bad = [c for c in spec.default_channels if c not in NOTIFICATION_CHANNELS]
            if bad or isinstance(spec.default_channels, str):
                raise StartupError(
                    f"插件 {plugin} 的通知类型 {spec.key} 的默认渠道 {spec.default_channels!r} 不合法，"
                    f"应为 {'、'.join(NOTIFICATION_CHANNELS)} 组成的元组。"
                )
            owner[spec.key] = plugin
            app.registry.notification_types[spec.key] = spec


# ---------------------------------------------------------------------------------------- channels


def email_address(user: User) -> str:
    """The address the user receives notification e-mails at, or ''."""
    row = NotificationAddress.get_or_none(NotificationAddress.user == user)
    return row.email if row is not None else ""


def chosen_channels(app: OfficiumApp, user: User, kind: str) -> dict[str, bool]:
    """The user's choice for ``kind`` (``{"inbox": bool, "email": bool}``), or the type's defaults."""
    spec = app.registry.notification_types[kind]
    row = NotificationPreference.get_or_none(
        (NotificationPreference.user == user) & (NotificationPreference.kind == kind)
    )
    if row is not None:
        return {"inbox": row.inbox, "email": row.email}
    return {channel: channel in spec.default_channels for channel in NOTIFICATION_CHANNELS}


def _local(url: str) -> bool:
    return url == "" or (url.startswith("/") and not url.startswith("//") and "\\" not in url)


def notify(
    app: OfficiumApp, user: User, kind: str, title: str, url: str = "", body: str = ""
) -> Notification | None:
    """Tell ``user`` about something, on the channels they chose for ``kind``.

    Runs in the caller's transaction.  Returns the in-app notification, or None when the user turned the
    centre off for this type (an e-mail may still be queued) or the account is not active.  ``kind`` must
    be registered (``register_notification_types``); ``url`` must be a path on this site.
    """
    if kind not in app.registry.notification_types:
        raise UnknownNotificationType(
            f"通知类型 {kind} 没有注册。修复：在插件的 register_notification_types 中声明它。"
        )
    if not _local(url):
        raise ValueError(f"通知链接必须是本站路径（以 / 开头）：{url!r}")
    if not user.is_active:
        return None
    channels = chosen_channels(app, user, kind)
    now = app.clock()
    title = title[:300]
    note = None
    if channels["inbox"]:
        note = Notification.create(user=user, kind=kind, title=title, body=body, url=url, created_at=now)
    if channels["email"] and app.config.smtp is not None:
        address = email_address(user)
        if address:
            EmailOutbox.create(
                user=user,
                to_addr=address,
                subject=title,
                body=_email_body(app, title, body, url),
                created_at=now,
                next_try_at=now,
            )
    return note


def notify_many(
    app: OfficiumApp, users: Iterable[User], kind: str, title: str, url: str = "", body: str = ""
) -> int:
    """``notify`` each distinct user once; returns how many were told (on any channel)."""
    seen: set[int] = set()
    for user in users:
        if user.id not in seen:
            seen.add(user.id)
            notify(app, user, kind, title, url=url, body=body)
    return len(seen)


def _email_body(app: OfficiumApp, title: str, body: str, url: str) -> str:
    smtp = app.config.smtp
    lines = [title, ""]
    if body:
        lines += [body, ""]
    if url:
        where = f"{smtp.site_url}{url}" if smtp is not None and smtp.site_url else f"登录系统后打开 {url}"
        lines.append(f"查看：{where}")
    lines += [
        "",
        f"—— {app.config.site_name}（系统自动发送，请勿回复。可在“个人设置 → 消息通知”中修改提醒方式。）",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------- the centre


def unread_count(user: User | None) -> int:
    """The number on the bell: one indexed COUNT."""
    if user is None:
        return 0
    return Notification.select().where((Notification.user == user) & Notification.read_at.is_null()).count()


def listing(user: User, unread_only: bool = False) -> Any:
    """The user's notifications, unread first, then newest first."""
    query = Notification.select().where(Notification.user == user)
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    unread_first = Notification.read_at.is_null()
    return query.order_by(unread_first.desc(), Notification.created_at.desc(), Notification.id.desc())


def mark_read(app: OfficiumApp, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (``ids``, or all of them); returns how many changed."""
    query = Notification.update(read_at=app.clock()).where(
        (Notification.user == user) & Notification.read_at.is_null()
    )
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    return query.execute()


def save_preferences(user: User, choices: dict[str, dict[str, bool]], email: str) -> None:
    """Store the user's channels per type and their e-mail address ('' removes it)."""
    for kind, channels in choices.items():
        updated = (
            NotificationPreference.update(inbox=channels["inbox"], email=channels["email"])
            .where((NotificationPreference.user == user) & (NotificationPreference.kind == kind))
            .execute()
        )
        if not updated:
            NotificationPreference.create(
                user=user, kind=kind, inbox=channels["inbox"], email=channels["email"]
            )
    if email:
        if not NotificationAddress.update(email=email).where(NotificationAddress.user == user).execute():
            NotificationAddress.create(user=user, email=email)
    else:
        NotificationAddress.delete().where(NotificationAddress.user == user).execute()


# ------------------------------------------------------------------------------- workflow events


def on_new_item(app: OfficiumApp, item: WorkItem) -> None:
    """Tell the holder of a newly opened work item (called by the workflow engine for every new item).

    A 待办 gives ``core.work_new``, a 待阅 ``core.work_read``; an item that puts a document back with its
    drafter after 退回 gives ``core.work_returned`` with the reason.  Items still waiting for an earlier
    signer (顺序会签) say nothing until they open; the drafter's own 撤回 says nothing either.
    """
    from officium.core.workflow.definition import DRAFTER_STEP
    from officium.core.workflow.models import ActionLog

    if item.state != "open":
        return
    on_behalf = f"（代 {item.principal.name}）" if item.principal_id else ""
    if item.kind == "read":
        notify(app, item.assignee, "core.work_read", f"请阅：《{item.title}》{on_behalf}", url=item.url)
        return
    if item.step == DRAFTER_STEP:
        last = (
            ActionLog.select()
            .where(ActionLog.instance == item.instance_id)
            .order_by(ActionLog.id.desc())
            .first()
        )
        if last is None or last.action != "return":
            return
        who = last.actor.name if last.actor_id else "系统"
        notify(
            app,
            item.assignee,
            "core.work_returned",
            f"文件被退回：《{item.title}》{on_behalf}",
            url=item.url,
            body=f"{who} 退回了该文件，理由：{last.opinion}",
        )
        return
    due = f"，请于 {item.due_at:%Y-%m-%d} 前办理" if item.due_at is not None else ""
    notify(
        app,
        item.assignee,
        "core.work_new",
        f"新的待办：《{item.title}》{on_behalf}",
        url=item.url,
        body=f"有文件需要您办理{due}。",
    )


def on_urge(
    app: OfficiumApp, instance: Instance, users: Iterable[User], message: str, actor: User | None = None
) -> int:
    """催办: tell the current handlers (what ``engine.urge`` returned); returns how many were told."""
    who = f"{actor.name} " if actor is not None else ""
    return notify_many(
        app,
        users,
        "core.work_urge",
        f"催办：《{instance.title}》",
        url=instance.url,
        body=f"{who}催您尽快办理：{message or '请尽快办理。'}",
    )


# --------------------------------------------------------------------------------------- sending


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
    if smtp.username:
        client.login(smtp.username, smtp.password)
    return client


def _message(app: OfficiumApp, row: EmailOutbox) -> EmailMessage:
    smtp = app.config.smtp
    message = EmailMessage()
    message["From"] = formataddr((app.config.site_name, smtp.sender))
    message["To"] = row.to_addr
    message["Subject"] = row.subject
    message.set_content(row.body)
    return message


def _failed(app: OfficiumApp, row: EmailOutbox, error: str) -> None:
    attempts = row.attempts + 1
    with write_transaction(app.db):
        EmailOutbox.update(
            attempts=attempts,
            last_error=error[:1000],
            next_try_at=app.clock() + timedelta(minutes=2**attempts),
        ).where(EmailOutbox.id == row.id).execute()


def send_pending_emails(app: OfficiumApp) -> str:
    """The ``core.send_email`` job: send what the outbox holds, retrying failures with a growing delay."""
    smtp = app.config.smtp
    if smtp is None:
        return "未配置 SMTP，不发送邮件。"
    now = app.clock()
    batch = list(
        EmailOutbox.select()
        .where(
            EmailOutbox.sent_at.is_null()
            & (EmailOutbox.attempts < MAX_ATTEMPTS)
            & (EmailOutbox.next_try_at <= now)
        )
        .order_by(EmailOutbox.id)
        .limit(EMAIL_BATCH)
    )
    if not batch:
        return "没有待发送的邮件。"
    try:
        client = _connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        for row in batch:
            _failed(app, row, f"连接邮件服务器失败：{exc}")
        raise RuntimeError(f"连接邮件服务器 {smtp.host}:{smtp.port} 失败：{exc}") from exc
    sent = failed = 0
    try:
        for row in batch:
            try:
                client.send_message(_message(app, row))
            except (OSError, smtplib.SMTPException) as exc:
                failed += 1
                _failed(app, row, str(exc))
                continue
            sent += 1
            with write_transaction(app.db):
                EmailOutbox.update(sent_at=app.clock(), attempts=row.attempts + 1, last_error="").where(
                    EmailOutbox.id == row.id
                ).execute()
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    message = f"发送 {sent} 封邮件" + (f"，{failed} 封失败（稍后重试）" if failed else "") + "。"
    if failed and not sent:
        raise RuntimeError(message)
    return message


def cleanup(app: OfficiumApp) -> str:
    """The ``core.notification_cleanup`` job: drop old read notifications and old sent e-mails."""
    now = app.clock()
    with write_transaction(app.db):
        notes = (
            Notification.delete()
            .where(
                Notification.read_at.is_null(False)
                & (Notification.read_at < now - timedelta(days=KEEP_READ_DAYS))
            )
            .execute()
        )
        mails = (
            EmailOutbox.delete()
            .where(
                (
                    EmailOutbox.sent_at.is_null(False)
                    & (EmailOutbox.sent_at < now - timedelta(days=KEEP_SENT_DAYS))
                )
                | (
                    (EmailOutbox.attempts >= MAX_ATTEMPTS)
                    & (EmailOutbox.created_at < now - timedelta(days=KEEP_SENT_DAYS))
                )
            )
            .execute()
        )
    return f"删除 {notes} 条已读通知、{mails} 封旧邮件。"
