"""An announcement's attachments, stored by ``officium.core.files``; served only to those who may see it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from officium.core import files
from officium.core.files import Attachment, FileRejected
from officium.plugins.bulletin.access import PLUGIN
from officium.plugins.bulletin.models import Announcement

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp
    from officium.core.identity.models import User

OWNER_TYPE = "announcement"
MAX_FILES = 20


def owner(announcement: Announcement) -> tuple[str, str, int]:
    return (PLUGIN, OWNER_TYPE, announcement.id)


def of(announcement: Announcement) -> list[Attachment]:
    return files.attachments_of(PLUGIN, OWNER_TYPE, announcement.id)


def one(announcement: Announcement, attachment_id: Any) -> Attachment | None:
    return files.get_attachment(PLUGIN, OWNER_TYPE, announcement.id, attachment_id)


def uploads(value: Any) -> list[Any]:
    """The files of a form field (one or several), leaving out empty file inputs."""
    items = value if isinstance(value, list) else [value]
    return [i for i in items if hasattr(i, "filename") and i.filename]


def add(app: OfficiumApp, announcement: Announcement, items: Iterable[Any], user: User) -> list[Attachment]:
    """Store the uploads; FileRejected (with the file's name) stops at the first refused one."""
    items = list(items)
    if len(of(announcement)) + len(items) > MAX_FILES:
        raise FileRejected(f"一条公告最多 {MAX_FILES} 个附件。")
    saved = []
    for item in items:
        try:
            saved.append(files.save_upload(app, item, owner=owner(announcement), user=user))
        except FileRejected as exc:
            name = getattr(item, "filename", None) or (item[0] if isinstance(item, tuple) else "")
            raise FileRejected(f"{name}：{exc.message}" if name else exc.message) from exc
    return saved


def remove(app: OfficiumApp, announcement: Announcement, ids: Iterable[Any], user: User) -> list[str]:
    """Delete the announcement's attachments with these ids; returns their names."""
    names = []
    for attachment_id in ids:
        attachment = one(announcement, attachment_id)
        if attachment is not None:
            files.delete(attachment, user, app=app)
            names.append(attachment.filename)
    return names


def drop_all(app: OfficiumApp, announcement: Announcement, user: User) -> None:
    for attachment in of(announcement):
        files.delete(attachment, user, app=app)


def serialize(announcement: Announcement, attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": f"/bulletin/{announcement.id}/files/{attachment.id}",
    }
