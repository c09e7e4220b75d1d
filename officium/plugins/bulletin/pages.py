"""公告板 pages: the board, an announcement, writing and editing one, the publisher's management page with
the read report and versions, and the office's column settings.

An announcement the user may not see answers 404, never 403, so that ids reveal nothing.  Every change runs
in a savepoint of the request's transaction, so that a refusal (a bad field, a refused file) leaves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium.core.admin.queries import xlsx_bytes
from officium.core.db import write_transaction
from officium.core.files import FileRejected, content_disposition, download_response
from officium.core.identity.models import Unit
from officium.core.richtext import sanitize_html
from officium.core.web.views import current_user, flash, form_value, page_of, redirect, render
from officium.core.workflow import panel
from officium.core.workflow.engine import Conflict, WorkflowError
from officium.plugins.bulletin import (
    access,
    announcements,
    attachments,
    board,
    columns,
    guard,
    receipts,
    scopes,
)
from officium.plugins.bulletin.announcements import STATE_TITLES, BulletinError
from officium.plugins.bulletin.columns import ColumnError
from officium.plugins.bulletin.models import APPROVALS, IMPORTANCES, Announcement, Column, Version

URL = access.URL
STATE_TONES = {
    "draft": "muted",
    "returned": "warn",
    "reviewing": "info",
    "scheduled": "info",
    "published": "ok",
    "expired": "muted",
    "withdrawn": "bad",
}
IMPORTANCE_TONES = {"normal": "muted", "important": "warn", "urgent": "bad"}


def who_is(request: Request) -> scopes.Viewer:
    return scopes.viewer(current_user(request), request.state.ctx.permissions)


def role_titles(app: Any) -> dict[str, str]:
    return {name: role.title for name, role in app.registry.roles.items()}


def visible_or_404(request: Request, who: scopes.Viewer) -> Announcement:
    announcement = Announcement.get_or_none(Announcement.id == request.path_params["id"])
    if announcement is None or not access.can_see(who, announcement, request.state.app.clock()):
        raise HTTPException(404)
    return announcement


def editable_or_404(request: Request, who: scopes.Viewer) -> Announcement:
    """An announcement the user may manage (its author, the office); others get 404 as if it did not exist."""
    announcement = visible_or_404(request, who)
    if announcement.author_id != who.user.id and not access.is_manager(who):
        raise HTTPException(404)
    return announcement


def run(request: Request, action: Callable[[], Any]) -> Any:
    with write_transaction(request.state.app.db):
        return action()


def many(form: dict[str, Any], key: str) -> list[str]:
    value = form.get(key, [])
    values = value if isinstance(value, list) else [value]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


# --------------------------------------------------------------------------------------------- board


def index(request: Request) -> Response:
    """The board: columns as tabs, search and filters, unread markers."""
    app = request.state.app
    who = who_is(request)
    params = dict(request.query_params)
    listing = page_of(request, board.board(who, app.clock(), params))
    readable = columns.readable(who)
    return render(
        request,
        "bulletin/index.html",
        listing=listing,
        columns=readable,
        column=next((c for c in readable if str(c.id) == params.get("column")), None),
        params=params,
        importances=list(IMPORTANCES.items()),
        importance_tones=IMPORTANCE_TONES,
        may_publish=bool(columns.publishable(who)),
        manager=access.is_manager(who),
        pending_count=board.must_read_pending(who, app.clock()).count(),
        breadcrumbs=[("公告板", "")],
    )


def _state(announcement: Announcement, now: Any) -> tuple[str, str, str]:
    code = announcements.state(announcement, now)
    return code, STATE_TITLES[code], STATE_TONES[code]


def detail(request: Request, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """One announcement; a reader's first view is recorded.  ``errors`` are shown beside the withdraw form's
    fields when it is shown again."""
    app = request.state.app
    who = who_is(request)
    announcement = visible_or_404(request, who)
    now = app.clock()
    live = access.live(announcement, now)
    reader = live and scopes.is_reader(who, announcement)
    receipt = receipts.mark_read(app, announcement, who.user) if reader else None
    instance = announcements.instance_of(announcement)
    workflow_panel = (
        panel.panel_context(request, instance)
        if instance is not None and panel.can_see(request, instance)
        else None
    )
    manages = announcement.author_id == who.user.id or access.is_manager(who)
    return render(
        request,
        "bulletin/detail.html",
        status_code=status_code,
        errors=errors or {},
        values={"reason": form_value(request, "reason")} if errors else {},
        a=announcement,
        body=Markup(announcement.body),  # sanitised when it was saved
        state=_state(announcement, now),
        importance_tones=IMPORTANCE_TONES,
        importances=IMPORTANCES,
        files=attachments.of(announcement),
        receipt=receipt,
        reader=reader,
        live=live,
        manages=manages,
        editable=manages
        and access.can_edit(who, announcement)
        and announcements.state(announcement, now) != "reviewing",
        readers_text=scopes.describe(scopes.reader_entries(announcement), role_titles(app)),
        panel=workflow_panel,
        has_versions=announcement.version > 1,
        breadcrumbs=[("公告板", URL), (announcement.title, "")],
    )


def confirm(request: Request) -> Response:
    """确认已阅 of a 必读 announcement."""
    app = request.state.app
    who = who_is(request)
    announcement = visible_or_404(request, who)
    if not (
        announcement.must_read
        and access.live(announcement, app.clock())
        and scopes.is_reader(who, announcement)
    ):
        raise HTTPException(404)
    receipts.confirm(app, announcement, who.user, request)
    flash(request, "已确认阅读。")
    return redirect(f"{URL}{announcement.id}")


def download(request: Request) -> Response:
    """An attachment, to those who may see the announcement (``?inline=1`` previews a PDF or image)."""
    who = who_is(request)
    announcement = visible_or_404(request, who)
    attachment = attachments.one(announcement, request.path_params["file_id"])
    if attachment is None:
        raise HTTPException(404)
    return download_response(request.state.app, attachment, inline=request.query_params.get("inline") == "1")


# ------------------------------------------------------------------------------------- write and edit


def _data_from_form(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: form.get(key, "")
        for key in (
            "column",
            "title",
            "body",
            "importance",
            "publish_at",
            "expires_at",
            "pinned",
            "must_read",
        )
    }
    if form.get("scope_mode") == "own":
        data["scope"] = {
            "all": form.get("scope_all", ""),
            "units": many(form, "scope_units"),
            "roles": many(form, "scope_roles"),
        }
    return data


def _form_context(request: Request, who: scopes.Viewer) -> dict[str, Any]:
    app = request.state.app
    return {
        "column_options": [(c.id, f"{c.name}（{c.approval_title}）") for c in columns.publishable(who)],
        "importance_options": list(IMPORTANCES.items()),
        "unit_options": [
            (u.code, u.name) for u in Unit.select().where(Unit.active).order_by(Unit.order, Unit.id)
        ],
        "role_options": [(r, role_titles(app).get(r, r)) for r in scopes.SCOPE_ROLES],
    }


def _values_of(announcement: Announcement) -> dict[str, Any]:
    own = scopes.as_data(scopes.entries(scopes.OWN, announcement.id)) if announcement.own_scope else None
    return {
        "column": str(announcement.column_id),
        "title": announcement.title,
        "body": announcement.body,
        "importance": announcement.importance,
        "pinned": announcement.pinned,
        "must_read": announcement.must_read,
        "publish_at": announcement.publish_at.strftime("%Y-%m-%dT%H:%M") if announcement.publish_at else "",
        "expires_at": announcement.expires_at.strftime("%Y-%m-%dT%H:%M") if announcement.expires_at else "",
        "scope_mode": "own" if own else "column",
        "scope_all": bool(own and own["all"]),
        "scope_units": own["units"] if own else [],
        "scope_roles": own["roles"] if own else [],
    }


def _values_from_form(form: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    # what was typed comes back cleaned: the editor would otherwise load unsanitised markup
    values["body"] = sanitize_html(values.get("body", ""))
    values["scope_units"] = many(form, "scope_units")
    values["scope_roles"] = many(form, "scope_roles")
    values["pinned"] = bool(form.get("pinned"))
    values["must_read"] = bool(form.get("must_read"))
    values["scope_all"] = bool(form.get("scope_all"))
    return values


DONE = {
    "saved": "已保存草稿。",
    "published": "公告已发布。",
    "reviewing": "已提交审核。",
    "edited": "已保存修改。",
}


def _save(request: Request, who: scopes.Viewer, announcement: Announcement | None) -> Response:
    app = request.state.app
    form: dict[str, Any] = dict(request.state.form)
    errors: dict[str, str] = {}
    data = _data_from_form(form)
    sending = form_value(request, "action") == "submit"

    def work() -> tuple[Announcement, str]:
        values = announcements.check(app, who, data, announcement)
        if announcement is None:
            saved = announcements.create(app, who, values, request)
            outcome = "saved"
        else:
            saved = announcements.update(app, who, announcement, values, form_value(request, "note"), request)
            outcome = "edited"
        attachments.remove(app, saved, many(form, "remove_files"), who.user)
        attachments.add(app, saved, attachments.uploads(form.get("files")), who.user)
        if sending:
            outcome = announcements.send_on(app, who, saved, request)
        return saved, outcome

    refused = (
        guard.refusal(request, data, attachments.uploads(form.get("files")))
        if request.method == "POST"
        else {}
    )
    if refused:
        errors = refused
    elif request.method == "POST":
        try:
            saved, outcome = run(request, work)
        except BulletinError as exc:
            errors = exc.fields or {"": exc.message}
        except FileRejected as exc:
            errors = {"files": exc.message}
        except WorkflowError as exc:
            errors = {"": exc.message}
        else:
            flash(request, DONE[outcome])
            return redirect(f"{URL}{saved.id}")
    values = (
        _values_from_form(form)
        if request.method == "POST"
        else (
            _values_of(announcement)
            if announcement is not None
            else {"scope_mode": "column", "importance": "normal"}
        )
    )
    return render(
        request,
        "bulletin/form.html",
        status_code=422 if refused else 400 if errors else 200,
        a=announcement,
        state=_state(announcement, app.clock()) if announcement is not None else None,
        values=values,
        errors=errors,
        files=attachments.of(announcement) if announcement is not None else [],
        max_mb=app.config.max_upload_mb,
        breadcrumbs=[("公告板", URL), ("修改公告" if announcement else "发布公告", "")],
        **_form_context(request, who),
    )


def new(request: Request) -> Response:
    who = who_is(request)
    if not columns.publishable(who):
        raise HTTPException(403, "您没有在任何栏目发布公告的权限。")
    return _save(request, who, None)


def edit(request: Request) -> Response:
    who = who_is(request)
    announcement = editable_or_404(request, who)
    if not access.can_edit(who, announcement):
        raise HTTPException(404)
    if announcements.state(announcement, request.state.app.clock()) == "reviewing":
        flash(request, "公告正在审核中，不能修改。", "warn")
        return redirect(f"{URL}{announcement.id}")
    return _save(request, who, announcement)


def _act(request: Request, action: Callable[[Announcement, scopes.Viewer], str]) -> Response:
    who = who_is(request)
    announcement = editable_or_404(request, who)
    try:
        message = run(request, lambda: action(announcement, who))
    except BulletinError as exc:
        flash(request, next(iter(exc.fields.values()), exc.message) if exc.fields else exc.message, "bad")
        return redirect(f"{URL}{announcement.id}")
    except Conflict as exc:
        flash(request, exc.message, "bad")
        return redirect(f"{URL}{announcement.id}")
    except WorkflowError as exc:
        flash(request, exc.message, "bad")
        return redirect(f"{URL}{announcement.id}")
    flash(request, message)
    return redirect(f"{URL}mine" if message == "已删除草稿。" else f"{URL}{announcement.id}")


def submit(request: Request) -> Response:
    app = request.state.app
    return _act(request, lambda a, who: DONE[announcements.send_on(app, who, a, request)])


def withdraw(request: Request) -> Response:
    app = request.state.app
    reason = form_value(request, "reason")
    who = who_is(request)
    announcement = editable_or_404(request, who)
    try:
        run(request, lambda: announcements.withdraw(app, who, announcement, reason, request))
    except BulletinError as exc:
        if not exc.fields:
            flash(request, exc.message, "bad")
            return redirect(f"{URL}{announcement.id}")
        return detail(request, exc.fields, 400)  # the reason's problem beside the field
    flash(request, "公告已撤回，读者不再看到它。")
    return redirect(f"{URL}{announcement.id}")


def delete(request: Request) -> Response:
    app = request.state.app
    return _act(request, lambda a, who: announcements.delete_draft(app, who, a, request) or "已删除草稿。")


def remind(request: Request) -> Response:
    app = request.state.app

    def action(announcement: Announcement, who: scopes.Viewer) -> str:
        if not access.live(announcement, app.clock()):
            raise BulletinError("只能提醒已发布且未过期的公告。")
        told = receipts.remind(app, announcement, who.user, request)
        return f"已提醒 {told} 人。" if told else "所有读者都已阅读，无需提醒。"

    return _act(request, action)


# ------------------------------------------------------------------------------------ the publisher's


def mine(request: Request) -> Response:
    """公告管理: the publisher's announcements (the office: everybody's with ``all=1``)."""
    app = request.state.app
    who = who_is(request)
    now = app.clock()
    params = dict(request.query_params)
    listing = page_of(request, board.managed(who, now, params))
    rows = [(a, _state(a, now)) for a in listing.items]
    return render(
        request,
        "bulletin/mine.html",
        listing=listing,
        rows=rows,
        params=params,
        manager=access.is_manager(who),
        states=[(k, STATE_TITLES[k]) for k in board.STATE_FILTERS],
        column_options=[(c.id, c.name) for c in columns.everything()],
        may_publish=bool(columns.publishable(who)),
        breadcrumbs=[("公告板", URL), ("公告管理", "")],
    )


def readers_page(request: Request) -> Response:
    """The read report: per unit, who read (and confirmed) it and who did not."""
    who = who_is(request)
    announcement = editable_or_404(request, who)
    app = request.state.app
    rows = receipts.report(app, announcement)
    if request.query_params.get("export") == "xlsx":
        return _report_xlsx(announcement, rows)
    unit = request.query_params.get("unit", "")
    return render(
        request,
        "bulletin/readers.html",
        a=announcement,
        rows=rows,
        unit=unit,
        total=sum(r.total for r in rows),
        read=sum(r.read for r in rows),
        confirmed=sum(r.confirmed for r in rows),
        live=access.live(announcement, app.clock()),
        breadcrumbs=[("公告板", URL), (announcement.title, f"{URL}{announcement.id}"), ("阅读情况", "")],
    )


REPORT_HEADER = ["单位", "姓名", "用户名", "首次阅读", "确认时间"]


def _report_xlsx(announcement: Announcement, rows: list[receipts.UnitRow]) -> Response:
    """The read report as an Excel workbook, one line per reader."""

    def when(value: Any) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else ""

    lines = (
        [
            r.unit.name if r.unit else "",
            p["name"],
            p["username"],
            when(p["read_at"]) or "未读",
            when(p["confirmed_at"]) or ("未确认" if announcement.must_read else ""),
        ]
        for r in rows
        for p in r.people
    )
    return Response(
        xlsx_bytes(REPORT_HEADER, lines, title="阅读情况"),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": content_disposition("attachment", f"阅读情况-{announcement.id}.xlsx")
        },
    )


def versions_page(request: Request) -> Response:
    who = who_is(request)
    announcement = editable_or_404(request, who)
    return render(
        request,
        "bulletin/versions.html",
        a=announcement,
        versions=announcements.versions(announcement),
        breadcrumbs=[("公告板", URL), (announcement.title, f"{URL}{announcement.id}"), ("修改记录", "")],
    )


def version_page(request: Request) -> Response:
    who = who_is(request)
    announcement = editable_or_404(request, who)
    version = Version.get_or_none(
        (Version.announcement == announcement) & (Version.number == request.path_params["number"])
    )
    if version is None:
        raise HTTPException(404)
    return render(
        request,
        "bulletin/version.html",
        a=announcement,
        v=version,
        body=Markup(version.body),
        breadcrumbs=[
            ("公告板", URL),
            (announcement.title, f"{URL}{announcement.id}"),
            ("修改记录", f"{URL}{announcement.id}/versions"),
            (f"第 {version.number} 版", ""),
        ],
    )


# ------------------------------------------------------------------------------------------- columns


def columns_page(request: Request) -> Response:
    app = request.state.app
    titles = role_titles(app)
    rows = [columns.serialize(c, titles) for c in columns.everything()]
    return render(
        request, "bulletin/columns.html", rows=rows, breadcrumbs=[("公告板", URL), ("栏目设置", "")]
    )


def _column_data(form: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "order": form.get("order", "0"),
        "approval": form.get("approval", ""),
        "active": form.get("active", ""),
        "readers": {
            "all": form.get("readers_all", ""),
            "units": many(form, "readers_units"),
            "roles": many(form, "readers_roles"),
        },
        "publishers": {
            "all": form.get("publishers_all", ""),
            "units": many(form, "publishers_units"),
            "roles": many(form, "publishers_roles"),
        },
    }


def _column_form(request: Request, column: Column | None) -> Response:
    app = request.state.app
    form: dict[str, Any] = dict(request.state.form)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            saved = run(
                request, lambda: columns.save(app, columns.check(_column_data(form), column), column, request)
            )
        except ColumnError as exc:
            errors = exc.fields or {"": exc.message}
        else:
            flash(request, f"已保存栏目“{saved.name}”。")
            return redirect(f"{URL}columns")
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        for key in ("readers_units", "readers_roles", "publishers_units", "publishers_roles"):
            values[key] = many(form, key)
        for key in ("readers_all", "publishers_all", "active"):
            values[key] = bool(form.get(key))
    elif column is not None:
        data = columns.serialize(column, role_titles(app))
        values = {
            "name": column.name,
            "description": column.description,
            "order": str(column.order),
            "approval": column.approval,
            "active": column.active,
            "readers_all": data["readers"]["all"],
            "readers_units": data["readers"]["units"],
            "readers_roles": data["readers"]["roles"],
            "publishers_all": data["publishers"]["all"],
            "publishers_units": data["publishers"]["units"],
            "publishers_roles": data["publishers"]["roles"],
        }
    else:
        values = {"approval": "leader", "active": True, "readers_all": True, "publishers_roles": ["clerk"]}
    context = _form_context(request, who_is(request))
    return render(
        request,
        "bulletin/column_form.html",
        status_code=400 if errors else 200,
        column=column,
        values=values,
        errors=errors,
        approval_options=list(APPROVALS.items()),
        unit_options=context["unit_options"],
        role_options=context["role_options"],
        breadcrumbs=[
            ("公告板", URL),
            ("栏目设置", f"{URL}columns"),
            (column.name if column else "新建栏目", ""),
        ],
    )


def column_new(request: Request) -> Response:
    return _column_form(request, None)


def column_edit(request: Request) -> Response:
    column = Column.get_or_none(Column.id == request.path_params["id"])
    if column is None:
        raise HTTPException(404)
    return _column_form(request, column)
