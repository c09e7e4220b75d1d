"""电子邮件 pages.  The JSON API is in :mod:`officium.plugins.mail.api`.

Mail is addressed by the id of the viewer's copy (``/mail/<id>``); a copy that is not the user's own
(or their unit mailbox's) answers 404, whatever its id.
"""

from __future__ import annotations

from html import escape
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium import Page
from officium.core import files, richtext, secrecy
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.web.views import flash, page_of, redirect, render
from officium.plugins.mail import boxes, forms, recipients, service
from officium.plugins.mail.models import IMPORTANCE, KINDS, Copy, Folder, Group, Label
from officium.plugins.mail.service import URL, USE, MailError, SecrecyRefused

BULK_ACTIONS = {
    "read": "标为已读",
    "unread": "标为未读",
    "trash": "删除",
    "restore": "恢复",
    "delete": "彻底删除",
    "move": "移动到文件夹",
    "label_add": "加标签",
    "label_remove": "去掉标签",
}
NAME_MAX = 50


def _user(request: Request) -> User:
    return request.state.user


def _copy_or_404(request: Request) -> Copy:
    copy = service.copy_of(_user(request), request.path_params["id"])
    if copy is None:
        raise HTTPException(404)
    return copy


def _run(request: Request, action: Any) -> Any:
    with write_transaction(request.state.app.db):
        return action()


def _flash(request: Request, message: str, kind: str = "ok") -> None:
    flash(request, message, kind)


def _back(request: Request, default: str) -> Response:
    target = str(request.state.form.get("next", "")) if request.state.form else ""
    ok = target.startswith(URL) and not target.startswith("//") and "\\" not in target
    return redirect(target if ok else default)


# ------------------------------------------------------------------------------------------- lists


def index(request: Request) -> Response:
    """A mailbox: 收件箱 (default), 已发送, 草稿箱, 已删除, a folder or a unit mailbox, with search."""
    user = _user(request)
    errors: dict[str, str] = {}
    try:
        box = boxes.box_of(user, request.query_params.get("box", "inbox"))
    except boxes.BoxError:
        raise HTTPException(404) from None
    try:
        filters = boxes.filters_of(user, request.query_params)
    except boxes.BoxError as exc:
        errors[exc.field] = exc.message
        filters = boxes.Filters()
    listing = page_of(request, boxes.box_query(user, box, filters))
    side = boxes.sidebar(user)
    addressed = {c.id: recipients.split(c.message.to_tokens) for c in listing.items if c.kind == "from"}
    token_labels = recipients.labels_for(
        request.state.app, [t for ts in addressed.values() for t in ts], user
    )
    return render(
        request,
        "mail/index.html",
        status_code=400 if errors else 200,
        box=box,
        filters=filters,
        listing=listing,
        side=side,
        errors=errors,
        values=dict(request.query_params),
        bulk_actions=BULK_ACTIONS,
        importance=IMPORTANCE,
        addressed={cid: "、".join(token_labels.get(t, t) for t in ts) for cid, ts in addressed.items()},
        breadcrumbs=[("电子邮件", URL), (box.title, "")],
    )


# ----------------------------------------------------------------------------------------- compose


def _quote(copy: Copy) -> str:
    message = copy.message
    head = (
        f"在 {message.sent_at:%Y-%m-%d %H:%M}，{escape(message.sender.name)} 写道："
        if message.sent_at
        else ""
    )
    return f"<p></p><p>{head}</p><blockquote>{message.body_html}</blockquote>"


def _prefix(prefix: str, subject: str) -> str:
    return subject if subject.startswith(prefix) else f"{prefix}{subject}"[: service.SUBJECT_MAX]


def _start_values(request: Request, user: User) -> dict[str, Any]:
    """What a new compose form starts with: empty, a draft, or a reply / reply-all / forward."""
    params = request.query_params
    values: dict[str, Any] = {"importance": "normal", "carry": [], "to": params.get("to", "")}
    if params.get("draft"):
        message = forms.draft_message(user, forms._int(params.get("draft")))
        if message is None:
            raise HTTPException(404)
        values.update(
            draft=params.get("draft"),
            to=message.to_tokens,
            cc=message.cc_tokens,
            bcc=message.bcc_tokens,
            subject=message.subject,
            body=message.body_html,
            importance=message.importance,
            read_receipt=message.read_receipt,
            origin_kind=message.origin_kind,
            carry=[int(k) for k in service._carried(message)],
        )
        if message.origin_id is not None:
            origin = (
                Copy.select()
                .where((Copy.message == message.origin_id) & (Copy.user == user) & (Copy.deleted == False))  # noqa: E712
                .first()
            )
            values["origin"] = origin.id if origin is not None else ""
        return values
    for kind in ("reply", "reply_all", "forward"):
        if params.get(kind):
            copy = service.copy_of(user, params.get(kind))
            if copy is None:
                raise HTTPException(404)
            message = copy.message
            values.update(origin=copy.id, body=_quote(copy))
            if kind == "forward":
                values.update(
                    origin_kind="forward",
                    subject=_prefix("转发：", message.subject),
                    carry=[a.id for a in service.attachments(message)],
                )
            else:
                to = [message.sender.username]
                cc: list[str] = []
                if kind == "reply_all":
                    to += [t for t in recipients.split(message.to_tokens) if t != user.username]
                    cc = [t for t in recipients.split(message.cc_tokens) if t != user.username]
                if copy.kind == "from":  # replying to one's own sent message: to its recipients
                    to = recipients.split(message.to_tokens)
                values.update(
                    origin_kind="reply",
                    subject=_prefix("回复：", message.subject),
                    to=",".join(dict.fromkeys(t for t in to if t)),
                    cc=",".join(cc),
                )
    return values


def _compose_context(request: Request, user: User, values: dict[str, Any]) -> dict[str, Any]:
    app = request.state.app
    conf = service.settings(app)
    origin = service.copy_of(user, values.get("origin")) if values.get("origin") else None
    message = forms.draft_message(user, forms._int(values.get("draft")))
    carried_ids = set(service._carried(message).values()) if message else set()
    own = [a for a in service.attachments(message) if a.id not in carried_ids] if message else []
    tokens = [t for k in ("to", "cc", "bcc") for t in recipients.split(values.get(k, "") or "")]
    return {
        "values": values,
        "origin": origin,
        "origin_files": service.attachments(origin.message) if origin else [],
        "carry": {int(c) for c in forms.ints(values.get("carry"))},
        "own_files": own,
        "labels": recipients.labels_for(app, tokens, user),
        "importance": IMPORTANCE,
        "max_mb": conf["max_attachment_mb"],
        "accept": ",".join(f".{e}" for e in conf["allowed_extensions"]),
    }


def compose(request: Request) -> Response:
    """写邮件: new, from a draft, or replying / forwarding; 发送 or 存草稿."""
    app, user = request.state.app, _user(request)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "GET":
        values = _start_values(request, user)
    else:
        form = request.state.form
        values = {k: v for k, v in form.items() if k != "attachments"}
        if "<" in str(values.get("body", "")):
            # shown again on a refusal: mail.js loads the textarea's HTML into the live editor
            values["body"] = richtext.sanitize_html(str(values["body"]))
        send = form.get("action") != "save"
        try:
            draft = forms.draft_of(request)
            checked = service.check(app, user, draft, send=send)
            message = _run(request, lambda: service.save(app, user, checked, send=send, request=request))
        except SecrecyRefused as exc:
            secrecy.record_refusal(request, service.PLUGIN, exc.findings)
            where = {f.where for f in exc.findings}
            field = "subject" if "主题" in where else "body" if "正文" in where else "attachments"
            errors, status = {field: exc.message}, 422
        except MailError as exc:
            errors, status = (exc.fields or {"": exc.message}), 400
        else:
            if send:
                _flash(request, f"邮件“{message.subject}”已发送。")
                return redirect(f"{URL}{forms.sender_copy(message).id}")
            _flash(request, "草稿已保存。")
            return redirect(f"{URL}compose?draft={forms.sender_copy(message).id}")
    return render(
        request,
        "mail/compose.html",
        status_code=status,
        errors=errors,
        breadcrumbs=[("电子邮件", URL), ("写邮件", "")],
        **_compose_context(request, user, values),
    )


# ----------------------------------------------------------------------------------------- reading


def show(request: Request) -> Response:
    """One message: body, attachments, actions; the sender also sees who read it (and recall)."""
    app, user = request.state.app, _user(request)
    copy = _copy_or_404(request)
    if copy.kind == "from" and copy.message.state == "draft":
        return redirect(f"{URL}compose?draft={copy.id}")
    with write_transaction(app.db):
        service.mark_read(app, user, copy)
    message = copy.message
    unit_members = []
    if copy.unit_id is not None:
        unit_members = recipients.unit_people(copy.unit_id)
    return render(
        request,
        "mail/show.html",
        copy=copy,
        message=message,
        addressing=boxes.addressing(app, user, copy),
        files=service.attachments(message),
        tracking=boxes.tracking(copy),
        labels=list(Label.select().where(Label.owner == user).order_by(Label.name)),
        my_labels=boxes.label_names(user, copy),
        folders=list(Folder.select().where(Folder.owner == user).order_by(Folder.name)),
        unit_members=unit_members,
        kinds=KINDS,
        importance=IMPORTANCE,
        errors={},
        breadcrumbs=[("电子邮件", URL), (message.subject or "（无主题）", "")],
    )


def download(request: Request) -> Response:
    copy = _copy_or_404(request)
    attachment = files.get_attachment(
        service.PLUGIN, service.OWNER_TYPE, copy.message_id, request.path_params["file"]
    )
    if attachment is None:
        raise HTTPException(404)
    inline = request.query_params.get("inline") == "1" and attachment.previewable
    return files.download_response(request.state.app, attachment, inline=inline)


def _act(request: Request, action: Any, done: str, default: str | None = None) -> Response:
    copy = _copy_or_404(request)
    try:
        result = _run(request, lambda: action(copy))
    except MailError as exc:
        _flash(request, exc.message, "bad")
        return _back(request, f"{URL}{copy.id}")
    _flash(request, done if not callable(done) else done(result))
    return _back(request, default or f"{URL}{copy.id}")


def recall_page(request: Request) -> Response:
    app, user = request.state.app, _user(request)

    def said(result: service.Recall) -> str:
        text = f"已撤回：{'、'.join(result.recalled)}。"
        if result.already_read:
            text += f"已阅读、无法撤回：{'、'.join(result.already_read)}。"
        return text

    return _act(request, lambda c: service.recall(app, user, c, request), said)


def trash_page(request: Request) -> Response:
    app = request.state.app
    return _act(request, lambda c: service.trash(app, c), "已移到“已删除”。", URL)


def restore_page(request: Request) -> Response:
    return _act(request, service.restore, "已恢复。")


def delete_page(request: Request) -> Response:
    app, user = request.state.app, _user(request)
    return _act(request, lambda c: service.delete_for_good(app, user, c), "已彻底删除。", f"{URL}?box=trash")


def unread_page(request: Request) -> Response:
    request.state.audited = True  # reading is not audited
    return _act(request, service.mark_unread, "已标为未读。", URL)


def move_page(request: Request) -> Response:
    user = _user(request)
    folder = str(request.state.form.get("folder", ""))
    return _act(request, lambda c: service.move(user, c, folder), "已移动。")


def label_page(request: Request) -> Response:
    user = _user(request)
    label = request.state.form.get("label", "")
    on = request.state.form.get("on", "1") == "1"
    return _act(request, lambda c: service.set_label(user, c, label, on), "标签已更新。")


def distribute_page(request: Request) -> Response:
    app, user = request.state.app, _user(request)
    people = forms.as_list(request.state.form.get("people", ""))

    def said(handed: list[User]) -> str:
        return f"已分发给：{'、'.join(p.name for p in handed)}。" if handed else "所选人员都已收到这封邮件。"

    return _act(request, lambda c: service.distribute(app, user, c, people, request), said)


def bulk(request: Request) -> Response:
    """The list's 批量操作 on the checked copies."""
    app, user = request.state.app, _user(request)
    form = request.state.form
    action = str(form.get("action", ""))
    copies = [c for c in (service.copy_of(user, i) for i in forms.ints(form.get("ids"))) if c is not None]
    if action not in BULK_ACTIONS or not copies:
        _flash(request, "请先勾选邮件并选择操作。", "bad")
        return _back(request, URL)
    if action in ("read", "unread"):
        request.state.audited = True
    try:
        done = _run(request, lambda: apply_bulk(app, user, copies, action, form))
    except MailError as exc:
        _flash(request, exc.message, "bad")
        return _back(request, URL)
    _flash(request, f"已对 {done} 封邮件{BULK_ACTIONS[action]}。")
    return _back(request, URL)


def apply_bulk(app: Any, user: User, copies: list[Copy], action: str, data: Any) -> int:
    for copy in copies:
        if action == "read":
            service.mark_read(app, user, copy)
        elif action == "unread":
            service.mark_unread(copy)
        elif action == "trash":
            service.trash(app, copy)
        elif action == "restore":
            service.restore(copy)
        elif action == "delete":
            service.delete_for_good(app, user, copy)
        elif action == "move":
            service.move(user, copy, str(data.get("folder", "")))
        elif action in ("label_add", "label_remove"):
            service.set_label(user, copy, data.get("label", ""), action == "label_add")
    return len(copies)


# ------------------------------------------------------------------------------ folders, labels, groups


def manage(request: Request, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """文件夹、标签和个人通讯组."""
    user = _user(request)
    groups = list(Group.select().where(Group.owner == user).order_by(Group.name))
    return render(
        request,
        "mail/manage.html",
        status_code=status_code,
        folders=list(Folder.select().where(Folder.owner == user).order_by(Folder.name)),
        labels=list(Label.select().where(Label.owner == user).order_by(Label.name)),
        groups=groups,
        group_labels=recipients.labels_for(
            request.state.app, [t for g in groups for t in recipients.split(g.members)], user
        ),
        errors=errors or {},
        values=dict(request.state.form or {}),
        breadcrumbs=[("电子邮件", URL), ("文件夹、标签和通讯组", "")],
    )


def create_named(user: User, app: Any, kind: str, name: str, members: Any = "") -> Any:
    """Create a folder, label or group; raise MailError with the field."""
    model = {"folder": Folder, "label": Label, "group": Group}[kind]
    limit = 30 if kind == "label" else NAME_MAX
    name = " ".join(str(name or "").split())
    if not name:
        raise MailError("请填写名称。", {f"{kind}_name": "请填写名称。"})
    if len(name) > limit:
        raise MailError(f"名称不能超过 {limit} 个字。", {f"{kind}_name": f"名称不能超过 {limit} 个字。"})
    if model.select().where((model.owner == user) & (model.name == name)).exists():
        raise MailError("已有同名的项目。", {f"{kind}_name": "已有同名的项目。"})
    extra = {}
    if kind == "group":
        people, unknown = forms_people(members)
        if unknown:
            message = f"找不到这些人员：{'、'.join(unknown)}。"
            raise MailError(message, {"group_members": message})
        if not people:
            raise MailError("请选择组员。", {"group_members": "请选择组员。"})
        extra["members"] = ",".join(p.username for p in people)
    return model.create(owner=user, name=name, created_at=app.clock(), **extra)


def forms_people(members: Any) -> tuple[list[User], list[str]]:
    from officium.core.identity.people import people_by_username

    return people_by_username(",".join(str(m) for m in forms.as_list(members)))


def manage_create(kind: str) -> Any:
    def view(request: Request) -> Response:
        app, user = request.state.app, _user(request)
        form = request.state.form
        try:
            _run(
                request,
                lambda: create_named(
                    user, app, kind, form.get(f"{kind}_name", ""), form.get("group_members")
                ),
            )
        except MailError as exc:
            return manage(request, exc.fields, 400)
        _flash(request, "已添加。")
        return redirect(f"{URL}manage")

    view.__name__ = f"create_{kind}"
    return view


def manage_delete(kind: str) -> Any:
    def view(request: Request) -> Response:
        user = _user(request)
        model = {"folder": Folder, "label": Label, "group": Group}[kind]
        row = model.get_or_none((model.id == request.path_params["id"]) & (model.owner == user))
        if row is None:
            raise HTTPException(404)
        delete_named(user, kind, row)
        _flash(request, f"已删除“{row.name}”。")
        return redirect(f"{URL}manage")

    view.__name__ = f"delete_{kind}"
    return view


def delete_named(user: User, kind: str, row: Any) -> None:
    """Delete a folder (its mail goes back to the inbox / sent), a label (taken off) or a group."""
    if kind == "folder":
        key = f"f{row.id}"
        Copy.update(folder="inbox").where(
            (Copy.user == user) & (Copy.folder == key) & (Copy.kind != "from")
        ).execute()
        Copy.update(folder="sent").where(
            (Copy.user == user) & (Copy.folder == key) & (Copy.kind == "from")
        ).execute()
        Copy.update(prev_folder="").where((Copy.user == user) & (Copy.prev_folder == key)).execute()
    elif kind == "label":
        for copy in Copy.select().where((Copy.user == user) & Copy.labels.contains(f",{row.id},")):
            service.set_label(user, copy, row.id, False)
    row.delete_instance()


ROUTES = [
    Page("/", index, "index", USE),
    Page("/compose", compose, "compose", USE, methods=("GET", "POST")),
    Page("/manage", manage, "manage", USE),
    Page("/bulk", bulk, "bulk", USE, methods=("POST",)),
    Page("/{id:int}", show, "show", USE),
    Page("/{id:int}/files/{file:int}", download, "download", USE),
    Page("/{id:int}/recall", recall_page, "recall", USE, methods=("POST",)),
    Page("/{id:int}/trash", trash_page, "trash", USE, methods=("POST",)),
    Page("/{id:int}/restore", restore_page, "restore", USE, methods=("POST",)),
    Page("/{id:int}/delete", delete_page, "delete", USE, methods=("POST",)),
    Page("/{id:int}/unread", unread_page, "unread", USE, methods=("POST",)),
    Page("/{id:int}/move", move_page, "move", USE, methods=("POST",)),
    Page("/{id:int}/label", label_page, "label", USE, methods=("POST",)),
    Page("/{id:int}/distribute", distribute_page, "distribute", USE, methods=("POST",)),
    *[
        route
        for kind in ("folder", "label", "group")
        for route in (
            Page(f"/manage/{kind}s", manage_create(kind), f"create_{kind}", USE, methods=("POST",)),
            Page(
                f"/manage/{kind}s/{{id:int}}/delete",
                manage_delete(kind),
                f"delete_{kind}",
                USE,
                methods=("POST",),
            ),
        )
    ],
]
