"""电子邮件 JSON API (``/api/v1/mail/…``): everything the pages do.

Ids are the caller's copy ids, as on the pages; anybody else's answers 404 ``not_found``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import Api
from officium.core import secrecy
from officium.core.db import write_transaction
from officium.core.web.api import ApiError, paginate
from officium.plugins.mail import boxes, forms, recipients, routes, service
from officium.plugins.mail.models import Copy, Folder, Group, Label
from officium.plugins.mail.service import USE, MailError, SecrecyRefused

VERBS = {
    "read": "标为已读",
    "unread": "标为未读",
    "trash": "移到“已删除”",
    "restore": "从“已删除”恢复",
    "delete": "彻底删除（仅自己的这一份）",
    "recall": "撤回（尚未阅读的收件人）",
    "move": '移到文件夹（``{"folder": "inbox" 或 "f<id>"}``）',
    "label": '加上或去掉标签（``{"label": id, "on": true}``）',
    "distribute": '部门邮箱分发给本单位人员（``{"people": ["username", ...]}``）',
}


def _body(request: Request) -> dict[str, Any]:
    data = getattr(request.state, "json", None)
    if data is None:
        return dict(request.state.form or {})
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "请求体应为 JSON 对象。")
    return data


def _copy(request: Request) -> Copy:
    copy = service.copy_of(request.state.user, request.path_params["id"])
    if copy is None:
        raise ApiError(404, "not_found", "找不到这封邮件。")
    return copy


def _errors(request: Request, action: Any) -> Any:
    try:
        with write_transaction(request.state.app.db):
            return action()
    except MailError as exc:
        raise ApiError(
            400, "invalid", exc.message, {k: v for k, v in exc.fields.items() if k} or None
        ) from exc


def api_list(request: Request) -> dict[str, Any]:
    """One mailbox (``?box=inbox|sent|drafts|trash|f<id>|unit<id>``), newest first; filters ``q`` (sender,
    subject, body, attachment names), ``sender``, ``from``/``to`` (dates), ``unread=1``, ``label``."""
    user = request.state.user
    try:
        box = boxes.box_of(user, request.query_params.get("box", "inbox"))
        filters = boxes.filters_of(user, request.query_params)
    except boxes.BoxError as exc:
        raise ApiError(400, "invalid_query", exc.message, {exc.field: exc.message}) from exc
    return paginate(request, boxes.box_query(user, box, filters), boxes.summary)


def api_detail(request: Request) -> dict[str, Any]:
    """One message; reading it marks it read.  The sender's copy adds ``bcc`` and ``tracking``."""
    app, user = request.state.app, request.state.user
    copy = _copy(request)
    with write_transaction(app.db):
        service.mark_read(app, user, copy)
    return boxes.detail(app, user, Copy.get_by_id(copy.id))


def _compose(request: Request, *, send: bool) -> Response:
    app, user = request.state.app, request.state.user
    try:
        draft = forms.draft_of(request)
        checked = service.check(app, user, draft, send=send)
    except SecrecyRefused as exc:
        secrecy.record_refusal(request, service.PLUGIN, exc.findings)
        raise ApiError(422, "secrecy_refused", exc.message) from exc
    except MailError as exc:
        raise ApiError(
            400, "invalid", exc.message, {k: v for k, v in exc.fields.items() if k} or None
        ) from exc
    message = _errors(request, lambda: service.save(app, user, checked, send=send, request=request))
    copy = forms.sender_copy(message)
    return JSONResponse(boxes.detail(app, user, copy), status_code=201 if send or not draft.draft_id else 200)


def api_send(request: Request) -> Response:
    """Send: ``to``, ``cc``, ``bcc`` (tokens), ``subject``, ``body`` (HTML), ``importance``, ``read_receipt``,
    optionally ``draft`` (a draft's id), ``origin`` + ``origin_kind`` + ``carry`` (reply/forward); files in
    ``attachments`` when sent as multipart.  Answers 201 with the sender's copy."""
    return _compose(request, send=True)


def api_save_draft(request: Request) -> Response:
    """Save a draft (new, or ``draft`` = its id): the same fields as sending; used by the page's autosave."""
    return _compose(request, send=False)


def api_action(verb: str) -> Any:
    def view(request: Request) -> dict[str, Any]:
        app, user = request.state.app, request.state.user
        copy = _copy(request)
        data = _body(request)
        if verb in ("read", "unread"):
            request.state.audited = True  # reading is not audited
        run = {
            "read": lambda: service.mark_read(app, user, copy),
            "unread": lambda: service.mark_unread(copy),
            "trash": lambda: service.trash(app, copy),
            "restore": lambda: service.restore(copy),
            "delete": lambda: service.delete_for_good(app, user, copy),
            "recall": lambda: service.recall(app, user, copy, request),
            "move": lambda: service.move(user, copy, str(data.get("folder", ""))),
            "label": lambda: service.set_label(
                user, copy, data.get("label"), data.get("on", True) not in (False, "0")
            ),
            "distribute": lambda: service.distribute(
                app, user, copy, forms.as_list(data.get("people")), request
            ),
        }[verb]
        result = _errors(request, run)
        answer: dict[str, Any] = {"ok": True}
        if verb == "recall":
            answer.update(recalled=result.recalled, already_read=result.already_read)
        elif verb == "distribute":
            answer.update(handed=[p.username for p in result])
        if verb != "delete":
            still = Copy.get_or_none((Copy.id == copy.id) & (Copy.deleted == False))  # noqa: E712
            if still is not None:
                answer["message"] = boxes.summary(still)
        return answer

    view.__name__ = f"api_{verb}"
    view.__doc__ = VERBS[verb]
    return view


def api_bulk(request: Request) -> dict[str, Any]:
    """``{"ids": [...], "action": read|unread|trash|restore|delete|move|label_add|label_remove, "folder", "label"}``."""
    app, user = request.state.app, request.state.user
    data = _body(request)
    action = str(data.get("action", ""))
    if action not in routes.BULK_ACTIONS:
        raise ApiError(400, "invalid", "不支持的操作。", {"action": "不支持的操作。"})
    ids = forms.ints(data.get("ids"))
    copies = [service.copy_of(user, i) for i in ids]
    if not ids or any(c is None for c in copies):
        raise ApiError(404, "not_found", "找不到其中的邮件。")
    if action in ("read", "unread"):
        request.state.audited = True
    done = _errors(request, lambda: routes.apply_bulk(app, user, copies, action, data))
    return {"ok": True, "count": done}


def api_recipients(request: Request) -> dict[str, Any]:
    """Recipients for the picker: people, unit mailboxes, whole units, roles, own groups (``?q=``)."""
    q = request.query_params.get("q", "")
    if len(q) > 64:
        raise ApiError(400, "invalid_query", "查询参数不正确。", {"q": "q 不能超过 64 个字符。"})
    items = recipients.search(request.state.app, request.state.user, q)
    return {"items": items, "page": 1, "per_page": len(items), "total": len(items)}


def api_unread(request: Request) -> dict[str, Any]:
    """Unread mail in the caller's inbox and unit mailboxes."""
    return {"unread": service.unread_count(request.state.user)}


def api_boxes(request: Request) -> dict[str, Any]:
    """The caller's boxes, folders, unit mailboxes (with unread counts) and labels."""
    side = boxes.sidebar(request.state.user)
    return {
        "boxes": [
            {"box": k, "title": t, "unread": n}
            for k, t, n in side["system"] + side["folders"] + side["units"]
        ],
        "labels": [{"id": lab.id, "name": lab.name} for lab in side["labels"]],
    }


def api_named(kind: str) -> Any:
    model = {"folder": Folder, "label": Label, "group": Group}[kind]

    def shape(row: Any) -> dict[str, Any]:
        out = {"id": row.id, "name": row.name}
        if kind == "group":
            out["members"] = recipients.split(row.members)
        if kind == "folder":
            out["box"] = f"f{row.id}"
        return out

    def listing(request: Request) -> dict[str, Any]:
        rows = model.select().where(model.owner == request.state.user).order_by(model.name)
        return {"items": [shape(r) for r in rows]}

    def create(request: Request) -> Response:
        app, user = request.state.app, request.state.user
        data = _body(request)
        row = _errors(
            request, lambda: routes.create_named(user, app, kind, data.get("name", ""), data.get("members"))
        )
        return JSONResponse(shape(row), status_code=201)

    def remove(request: Request) -> dict[str, Any]:
        user = request.state.user
        row = model.get_or_none((model.id == request.path_params["id"]) & (model.owner == user))
        if row is None:
            raise ApiError(404, "not_found", "找不到。")
        routes.delete_named(user, kind, row)
        return {"ok": True}

    listing.__name__, create.__name__, remove.__name__ = (
        f"api_{kind}s",
        f"api_create_{kind}",
        f"api_delete_{kind}",
    )
    return listing, create, remove


ROUTES = [
    Api(
        "/messages",
        api_list,
        "messages",
        USE,
        summary="邮箱列表（收件箱、已发送、草稿、已删除、文件夹、部门邮箱）",
    ),
    Api("/messages", api_send, "send", USE, methods=("POST",), summary="发送邮件"),
    Api("/drafts", api_save_draft, "save_draft", USE, methods=("POST",), summary="保存草稿（自动保存）"),
    Api("/messages/{id:int}", api_detail, "detail", USE, summary="邮件详情（发件人可见阅读情况）"),
    *[
        Api(f"/messages/{{id:int}}/{verb}", api_action(verb), verb, USE, methods=("POST",), summary=title)
        for verb, title in VERBS.items()
    ],
    Api("/bulk", api_bulk, "bulk", USE, methods=("POST",), summary="批量操作"),
    Api(
        "/recipients",
        api_recipients,
        "recipients",
        USE,
        summary="查找收件人（人员、部门邮箱、单位、角色、通讯组）",
    ),
    Api("/unread", api_unread, "unread_count", USE, summary="未读邮件数"),
    Api("/boxes", api_boxes, "boxes", USE, summary="邮箱、文件夹和标签"),
]
for _kind, _title in (("folder", "文件夹"), ("label", "标签"), ("group", "个人通讯组")):
    _list, _create, _remove = api_named(_kind)
    ROUTES += [
        Api(f"/{_kind}s", _list, f"{_kind}s", USE, summary=f"我的{_title}"),
        Api(f"/{_kind}s", _create, f"create_{_kind}", USE, methods=("POST",), summary=f"新建{_title}"),
        Api(
            f"/{_kind}s/{{id:int}}/delete",
            _remove,
            f"delete_{_kind}",
            USE,
            methods=("POST",),
            summary=f"删除{_title}",
        ),
    ]
