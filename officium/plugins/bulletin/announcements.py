"""An announcement's life: drafting and checking it, submitting it for approval, publishing it, editing it
(keeping the earlier texts), withdrawing it.

Everything runs in the caller's transaction.  Functions that refuse raise :class:`BulletinError` before
changing anything, or the engine's ``WorkflowError``; callers run them in a savepoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from officium.core import audit, notifications
from officium.core.richtext import html_to_text, sanitize_html
from officium.core.workflow import engine
from officium.core.workflow.definition import DRAFTER_STEP
from officium.core.workflow.models import Instance
from officium.plugins.bulletin import access, columns, schedule, scopes
from officium.plugins.bulletin.models import IMPORTANCES, Announcement, Column, Version
from officium.plugins.bulletin.workflow import KEY, OBJECT_TYPE, WORKFLOW

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp
    from officium.core.identity.models import User

TITLE_MAX = 200
BODY_MAX = 200_000
NOTE_MAX = 300
PUBLISHED = "bulletin.published"
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


class BulletinError(ValueError):
    """A request that cannot be done as it stands; ``fields`` say where, in Chinese."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


# ------------------------------------------------------------------------------------------- checking


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return value is True


def parse_time(raw: str) -> datetime | None:
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    raise ValueError(raw)


def _time(data: Mapping[str, Any], key: str, errors: dict[str, str], label: str) -> datetime | None:
    raw = _text(data, key)
    if not raw:
        return None
    try:
        return parse_time(raw)
    except ValueError:
        errors[key] = f"{label}的格式应为 2026-03-02 09:00。"
        return None


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def check(
    app: OfficiumApp, who: scopes.Viewer, data: Mapping[str, Any], announcement: Announcement | None = None
) -> dict[str, Any]:
    """Validate an announcement as written by ``who``; return the values to store or raise BulletinError.

    ``data``: ``column`` (id), ``title``, ``body`` (HTML, sanitised here), ``importance``, ``pinned``,
    ``must_read``, ``publish_at`` and ``expires_at`` (``YYYY-MM-DD HH:MM``, empty for 立即/不过期) and
    ``scope``: None for the column's readers, or ``{"all": bool, "units": [codes], "roles": [names]}``.
    """
    errors: dict[str, str] = {}
    now = app.clock()
    column: Column | None = None
    if announcement is not None and announcement.status != "draft":
        column = announcement.column  # fixed once submitted
    else:
        raw = data.get("column", "")
        column_id = (
            int(raw)
            if isinstance(raw, int) or (isinstance(raw, str) and raw.isascii() and raw.isdigit())
            else 0
        )
        column = Column.get_or_none((Column.id == column_id) & Column.active) if column_id else None
        if column is None:
            errors["column"] = "请选择栏目。"
        elif not columns.may_publish(who, column):
            errors["column"] = f"您没有在“{column.name}”栏目发布公告的权限。"
    title = _text(data, "title")
    if not title:
        errors["title"] = "请填写标题。"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"标题不能超过 {TITLE_MAX} 个字。"
    raw_body = data.get("body", "")
    raw_body = raw_body if isinstance(raw_body, str) else ""
    body = sanitize_html(raw_body) if raw_body.strip() else ""
    body_text = html_to_text(body) if body else ""
    if not body_text.strip() and "<img" not in body:
        errors["body"] = "请填写正文。"
    elif len(body) > BODY_MAX:
        errors["body"] = "正文过长。"
    importance = _text(data, "importance") or "normal"
    if importance not in IMPORTANCES:
        errors["importance"] = "请选择重要程度。"
    publish_at = _time(data, "publish_at", errors, "发布时间")
    expires_at = _time(data, "expires_at", errors, "过期时间")
    already_live = announcement is not None and access.live(announcement, now)
    if already_live:
        publish_at = announcement.publish_at  # cannot be moved once readers saw it
    elif publish_at is not None and publish_at < now and "publish_at" not in errors:
        errors["publish_at"] = "定时发布时间不能早于现在；立即发布请留空。"
    if expires_at is not None and "expires_at" not in errors:
        if expires_at <= (publish_at or now):
            errors["expires_at"] = "过期时间应晚于发布时间。"
    scope_entries: list[scopes.Entry] | None = None
    scope = data.get("scope")
    if isinstance(scope, Mapping):
        scope_entries, problem = scopes.parse(
            _flag(scope, "all"), _list(scope.get("units")), _list(scope.get("roles"))
        )
        if problem:
            errors["scope"] = problem
    elif scope not in (None, "", False):
        errors["scope"] = "阅读范围的格式不正确。"
    if who.user.unit_id is None:
        errors["column"] = "您的账号没有所属单位，不能发布公告。"
    if errors:
        raise BulletinError("提交的内容不正确。", errors)
    return {
        "column": column,
        "title": title,
        "body": body,
        "body_text": body_text,
        "importance": importance,
        "pinned": _flag(data, "pinned"),
        "must_read": _flag(data, "must_read"),
        "publish_at": publish_at,
        "expires_at": expires_at,
        "scope": scope_entries,
    }


# --------------------------------------------------------------------------------------------- state


def instance_of(announcement: Announcement) -> Instance | None:
    """The workflow instance of the announcement's latest submission."""
    if not announcement.round:
        return None
    return engine.instance_for(access.PLUGIN, OBJECT_TYPE, f"{announcement.id}.{announcement.round}")


STATE_TITLES = {
    "draft": "草稿",
    "returned": "已退回",
    "reviewing": "审核中",
    "scheduled": "待发布",
    "published": "已发布",
    "expired": "已过期",
    "withdrawn": "已撤回",
}


def state(announcement: Announcement, now: datetime, instance: Instance | None = None) -> str:
    """draft, returned, reviewing, scheduled, published, expired or withdrawn."""
    if announcement.status == "published":
        if announcement.expires_at is not None and announcement.expires_at <= now:
            return "expired"
        if announcement.publish_at is not None and announcement.publish_at > now:
            return "scheduled"
        return "published"
    if announcement.status == "submitted":
        instance = instance or instance_of(announcement)
        if instance is not None and instance.state == "running" and instance.step == DRAFTER_STEP:
            return "returned"
        return "reviewing"
    return announcement.status


def _url(announcement: Announcement) -> str:
    return f"{access.URL}{announcement.id}"


# ------------------------------------------------------------------------------------------ changing


def _apply(announcement: Announcement, values: Mapping[str, Any]) -> None:
    for key in (
        "title",
        "body",
        "body_text",
        "importance",
        "pinned",
        "must_read",
        "publish_at",
        "expires_at",
    ):
        setattr(announcement, key, values[key])
    if values.get("column") is not None:
        announcement.column = values["column"]
    announcement.own_scope = values["scope"] is not None


def create(
    app: OfficiumApp, who: scopes.Viewer, values: Mapping[str, Any], request: Request | None
) -> Announcement:
    """Save a new draft."""
    now = app.clock()
    announcement = Announcement(author=who.user, unit=who.user.unit_id, created_at=now, updated_at=now)
    _apply(announcement, values)
    announcement.save()
    if values["scope"] is not None:
        scopes.store(scopes.OWN, announcement.id, values["scope"])
    audit.record(
        app,
        "bulletin.draft",
        request=request,
        actor=who.user,
        object_type=OBJECT_TYPE,
        object_id=announcement.id,
        summary=f"起草公告《{announcement.title}》",
    )
    return announcement


def update(
    app: OfficiumApp,
    who: scopes.Viewer,
    announcement: Announcement,
    values: Mapping[str, Any],
    note: str,
    request: Request | None,
) -> Announcement:
    """Change the text.  A published announcement keeps its earlier text as a version; one under review
    can be changed only once it came back to its author."""
    if not access.can_edit(who, announcement):
        raise BulletinError("您不能修改这条公告。")
    now = app.clock()
    current = state(announcement, now)
    if current == "reviewing":
        raise BulletinError("公告正在审核中，不能修改；如需修改，请撤回或等待退回。")
    if len(note) > NOTE_MAX:
        raise BulletinError("提交的内容不正确。", {"note": f"修改说明不能超过 {NOTE_MAX} 个字。"})
    published = announcement.status == "published"
    if published:
        Version.create(
            announcement=announcement,
            number=announcement.version,
            title=announcement.title,
            body=announcement.body,
            replaced_by=who.user,
            replaced_at=now,
            note=note,
        )
        announcement.version += 1
    old_title = announcement.title
    _apply(announcement, values)
    announcement.updated_at = now
    announcement.save()
    scopes.store(scopes.OWN, announcement.id, values["scope"] or [])
    if current == "returned":  # the 待办中心 shows the revised title
        instance = instance_of(announcement)
        if instance is not None:
            engine.set_fields(app, instance, _fields(announcement), title=_work_title(announcement))
    audit.record(
        app,
        "bulletin.edit",
        request=request,
        actor=who.user,
        object_type=OBJECT_TYPE,
        object_id=announcement.id,
        summary=f"修改公告《{old_title}》"
        + (f"（第 {announcement.version - 1} 版存为历史版本）" if published else ""),
        detail={"note": note} if note else None,
    )
    if published:
        schedule.refresh(app, announcement)
    return announcement


def _fields(announcement: Announcement) -> dict[str, Any]:
    return {"approval": announcement.column.approval, "column": announcement.column.name}


def _work_title(announcement: Announcement) -> str:
    return f"公告发布审核：{announcement.title}"


def submit(app: OfficiumApp, who: scopes.Viewer, announcement: Announcement, request: Request | None) -> str:
    """Send a draft on: for approval when its column asks for it (``"reviewing"``), else publish it."""
    if announcement.author_id != who.user.id:
        raise BulletinError("只有起草人可以提交这条公告。")
    if announcement.status != "draft":
        raise BulletinError("只有草稿可以提交。")
    column = announcement.column
    if not column.active or not columns.may_publish(who, column):
        raise BulletinError(f"您没有在“{column.name}”栏目发布公告的权限。")
    now = app.clock()
    if announcement.publish_at is not None and announcement.publish_at < now:
        raise BulletinError(
            "定时发布时间已过，请修改发布时间后再提交。", {"publish_at": "定时发布时间已过。"}
        )
    if column.approval == "none":
        publish(app, announcement, who.user, request)
        return "published"
    announcement.round += 1
    announcement.status = "submitted"
    announcement.updated_at = now
    announcement.save()
    engine.start(
        app,
        KEY,
        object_type=OBJECT_TYPE,
        object_id=f"{announcement.id}.{announcement.round}",
        title=_work_title(announcement),
        url=_url(announcement),
        drafter=who.user,
        unit=announcement.unit,
        urgency="urgent" if announcement.importance == "urgent" else "normal",
        fields=_fields(announcement),
        request=request,
    )
    return "reviewing"


def publish(
    app: OfficiumApp, announcement: Announcement, actor: User | None, request: Request | None = None
) -> None:
    """Publish now, or at its publish time when that is still to come."""
    now = app.clock()
    announcement.status = "published"
    if announcement.publish_at is None or announcement.publish_at < now:
        announcement.publish_at = now
    announcement.updated_at = now
    announcement.save()
    scheduled = announcement.publish_at > now
    audit.record(
        app,
        "bulletin.publish",
        request=request,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=announcement.id,
        summary=f"发布公告《{announcement.title}》"
        + (f"（定时 {announcement.publish_at:%Y-%m-%d %H:%M}）" if scheduled else ""),
    )
    if actor is None or actor.id != announcement.author_id:
        notifications.notify(
            app,
            announcement.author,
            PUBLISHED,
            f"您的公告已通过审核：{announcement.title}",
            url=_url(announcement),
            body=f"将于 {announcement.publish_at:%Y-%m-%d %H:%M} 发布。" if scheduled else "已发布。",
        )
    if not scheduled:
        schedule.go_live(app, announcement)


def on_approved(app: OfficiumApp, announcement_id: int, actor: User | None) -> None:
    """The last approval step was done: publish."""
    announcement = Announcement.get_by_id(announcement_id)
    if announcement.status == "submitted":
        publish(app, announcement, actor)


def on_cancelled(app: OfficiumApp, announcement_id: int) -> None:
    """The submission was cancelled (by its author) or ended by the workflow administrator: a draft again."""
    Announcement.update(status="draft", updated_at=app.clock()).where(
        (Announcement.id == announcement_id) & (Announcement.status == "submitted")
    ).execute()


def withdraw(
    app: OfficiumApp, who: scopes.Viewer, announcement: Announcement, reason: str, request: Request | None
) -> None:
    """撤回 a published announcement: readers no longer see it."""
    if not access.can_edit(who, announcement) or announcement.status != "published":
        raise BulletinError("只有已发布的公告可以撤回。")
    if not reason:
        raise BulletinError("请填写撤回原因。", {"reason": "请填写撤回原因。"})
    if len(reason) > NOTE_MAX:
        raise BulletinError("提交的内容不正确。", {"reason": f"撤回原因不能超过 {NOTE_MAX} 个字。"})
    now = app.clock()
    announcement.status = "withdrawn"
    announcement.withdrawn_at = now
    announcement.withdrawn_by = who.user
    announcement.withdraw_reason = reason
    announcement.updated_at = now
    announcement.save()
    audit.record(
        app,
        "bulletin.withdraw",
        request=request,
        actor=who.user,
        object_type=OBJECT_TYPE,
        object_id=announcement.id,
        summary=f"撤回公告《{announcement.title}》：{reason}",
    )
    schedule.refresh(app, announcement)


def delete_draft(
    app: OfficiumApp, who: scopes.Viewer, announcement: Announcement, request: Request | None
) -> None:
    """Delete a draft that was never published (its author only)."""
    if announcement.author_id != who.user.id or announcement.status != "draft":
        raise BulletinError("只能删除自己的草稿。")
    title = announcement.title
    scopes.store(scopes.OWN, announcement.id, [])
    from officium.plugins.bulletin import attachments

    attachments.drop_all(app, announcement, who.user)
    announcement.delete_instance()
    audit.record(
        app,
        "bulletin.delete",
        request=request,
        actor=who.user,
        object_type=OBJECT_TYPE,
        object_id=announcement.id,
        summary=f"删除公告草稿《{title}》",
    )


def versions(announcement: Announcement) -> list[Version]:
    """Earlier texts, newest first."""
    return list(Version.select().where(Version.announcement == announcement).order_by(Version.number.desc()))


def step_titles() -> dict[str, str]:
    return {DRAFTER_STEP: "起草人", **{s.name: s.title for s in WORKFLOW.steps}}


def resubmit(
    app: OfficiumApp, who: scopes.Viewer, announcement: Announcement, request: Request | None
) -> str:
    """Send a returned announcement back for approval (its author, after revising it)."""
    instance = instance_of(announcement)
    item = engine.my_open_item(instance, who.user) if instance is not None else None
    if item is None or item.step != DRAFTER_STEP:
        raise BulletinError("这条公告不在待您修改后重新提交的状态。")
    engine.approve(app, item.id, who.user, opinion="已修改，重新提交。", request=request)
    return "reviewing"


def send_on(app: OfficiumApp, who: scopes.Viewer, announcement: Announcement, request: Request | None) -> str:
    """提交: a draft is submitted (or published), a returned one resubmitted."""
    if state(announcement, app.clock()) == "returned":
        return resubmit(app, who, announcement, request)
    return submit(app, who, announcement, request)


def serialize(app: OfficiumApp, announcement: Announcement, role_titles: dict[str, str]) -> dict[str, Any]:
    """An announcement for the JSON API (its text included)."""
    now = app.clock()
    readers = scopes.reader_entries(announcement)

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    current = state(announcement, now)
    return {
        "id": announcement.id,
        "column": announcement.column_id,
        "column_name": announcement.column.name,
        "title": announcement.title,
        "body": announcement.body,
        "author": announcement.author.username,
        "author_name": announcement.author.name,
        "unit": announcement.unit.code,
        "unit_name": announcement.unit.name,
        "state": current,
        "state_title": STATE_TITLES[current],
        "importance": announcement.importance,
        "pinned": announcement.pinned,
        "must_read": announcement.must_read,
        "publish_at": when(announcement.publish_at),
        "expires_at": when(announcement.expires_at),
        "scope": scopes.as_data(readers) if announcement.own_scope else None,
        "readers_text": scopes.describe(readers, role_titles),
        "version": announcement.version,
        "created_at": when(announcement.created_at),
        "updated_at": when(announcement.updated_at),
        "withdrawn_at": when(announcement.withdrawn_at),
        "withdraw_reason": announcement.withdraw_reason,
    }
