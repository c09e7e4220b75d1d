"""Reading a compose request (page form, API JSON or multipart) into a :class:`service.Draft`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from officium.plugins.mail import service
from officium.plugins.mail.models import Copy, Message


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def ints(value: Any) -> list[int]:
    out = []
    for item in as_list(value):
        text = str(item).strip()
        if text.isascii() and text.isdigit():
            out.append(int(text))
    return out


def _int(value: Any) -> int | None:
    found = ints(value)
    return found[0] if found else None


def uploads(value: Any) -> list[tuple[str, bytes]]:
    """The uploaded files of a field as ``(filename, bytes)``; empty file inputs are skipped."""
    out = []
    for item in as_list(value):
        if hasattr(item, "filename") and hasattr(item, "file") and item.filename:
            item.file.seek(0)
            out.append((str(item.filename), item.file.read()))
    return out


def draft_message(user: Any, copy_id: int | None) -> Message | None:
    """The message of the user's draft copy ``copy_id``."""
    if copy_id is None:
        return None
    copy = service.copy_of(user, copy_id)
    if copy is None or copy.kind != "from" or copy.message.state != "draft":
        return None
    return copy.message


def draft_of(request: Request) -> service.Draft:
    """The compose fields of a form or JSON request (``draft`` and ``origin`` are copy ids)."""
    data: dict[str, Any] = request.state.form or {}
    if getattr(request.state, "json", None) is not None:
        if not isinstance(request.state.json, dict):
            raise service.MailError("请求体应为 JSON 对象。")
        data = request.state.json
    user = request.state.user
    draft_copy = _int(data.get("draft"))
    message = draft_message(user, draft_copy)
    if draft_copy is not None and message is None:
        raise service.MailError(
            "找不到这份草稿，可能已经发送或删除。", {"": "找不到这份草稿，可能已经发送或删除。"}
        )
    receipt = data.get("read_receipt", False)
    return service.Draft(
        to=data.get("to", ""),
        cc=data.get("cc", ""),
        bcc=data.get("bcc", ""),
        subject=str(data.get("subject", "")),
        body=str(data.get("body", "")),
        importance=str(data.get("importance", "normal") or "normal"),
        read_receipt=receipt is True or str(receipt).lower() in ("1", "true", "on"),
        draft_id=message.id if message is not None else None,
        origin_id=_int(data.get("origin")),
        origin_kind=str(data.get("origin_kind", ""))
        if str(data.get("origin_kind", "")) in ("reply", "forward")
        else "",
        carry=ints(data.get("carry")),
        remove=ints(data.get("remove")),
        uploads=uploads(data.get("attachments")),
    )


def sender_copy(message: Message) -> Copy:
    return Copy.get((Copy.message == message) & (Copy.kind == "from"))
