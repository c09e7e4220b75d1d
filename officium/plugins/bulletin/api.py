"""公告板 JSON API under ``/api/v1/bulletin/``: everything the pages do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium.core.files import FileRejected, download_response
from officium.core.web.api import ApiError, json_object, paginate
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
from officium.plugins.bulletin.announcements import BulletinError
from officium.plugins.bulletin.columns import ColumnError
from officium.plugins.bulletin.models import Announcement, Column, Version
from officium.plugins.bulletin.pages import role_titles, run, who_is


def _errors(request: Request, action: Callable[[], Any]) -> Any:
    try:
        return run(request, action)
    except (BulletinError, ColumnError) as exc:
        raise ApiError(400, "invalid", exc.message, exc.fields or None) from exc
    except FileRejected as exc:
        raise ApiError(400, "invalid", exc.message, {"files": exc.message}) from exc
    except Conflict as exc:
        raise ApiError(409, "conflict", exc.message) from exc
    except WorkflowError as exc:
        raise ApiError(400, "invalid", exc.message, {exc.field: exc.message} if exc.field else None) from exc


def _visible(request: Request, who: scopes.Viewer) -> Announcement:
    announcement = Announcement.get_or_none(Announcement.id == request.path_params["id"])
    if announcement is None or not access.can_see(who, announcement, request.state.app.clock()):
        raise ApiError(404, "not_found", "找不到该公告。")
    return announcement


def _managed(request: Request, who: scopes.Viewer) -> Announcement:
    announcement = _visible(request, who)
    if announcement.author_id != who.user.id and not access.is_manager(who):
        raise ApiError(404, "not_found", "找不到该公告。")
    return announcement


def _full(request: Request, announcement: Announcement, who: scopes.Viewer) -> dict[str, Any]:
    app = request.state.app
    body = announcements.serialize(app, announcement, role_titles(app))
    body["attachments"] = [attachments.serialize(announcement, f) for f in attachments.of(announcement)]
    receipt = receipts.receipt_of(announcement, who.user)
    body["read_at"] = receipt.read_at.isoformat() if receipt else None
    body["confirmed_at"] = receipt.confirmed_at.isoformat() if receipt and receipt.confirmed_at else None
    instance = announcements.instance_of(announcement)
    body["workflow_id"] = instance.id if instance is not None else None
    return body


def _row(request: Request, announcement: Announcement) -> dict[str, Any]:
    app = request.state.app
    body = announcements.serialize(app, announcement, role_titles(app))
    del body["body"]
    mine = getattr(announcement, "mine", None)
    body["read"] = mine is not None and mine.id is not None
    body["confirmed"] = body["read"] and mine.confirmed_at is not None
    return body


# --------------------------------------------------------------------------------------------- reading


def api_board(request: Request) -> dict[str, Any]:
    """公告板：我可阅读的已发布公告（置顶在前，新的在前）；``column``、``q``、``importance``、``unit``、
    ``unread=1``、``must=1`` 筛选。"""
    who = who_is(request)
    query = board.board(who, request.state.app.clock(), dict(request.query_params))
    return paginate(request, query, lambda a: _row(request, a))


def api_detail(request: Request) -> dict[str, Any]:
    """一条公告（读者首次打开即记为已读）。"""
    app = request.state.app
    who = who_is(request)
    announcement = _visible(request, who)
    if access.live(announcement, app.clock()) and scopes.is_reader(who, announcement):
        run(request, lambda: receipts.mark_read(app, announcement, who.user))
    return _full(request, announcement, who)


def api_confirm(request: Request) -> dict[str, Any]:
    """确认已阅必读公告。"""
    app = request.state.app
    who = who_is(request)
    announcement = _visible(request, who)
    if not (
        announcement.must_read
        and access.live(announcement, app.clock())
        and scopes.is_reader(who, announcement)
    ):
        raise ApiError(404, "not_found", "找不到需要您确认的必读公告。")
    run(request, lambda: receipts.confirm(app, announcement, who.user, request))
    return _full(request, announcement, who)


# --------------------------------------------------------------------------------------------- writing


def _data(request: Request) -> dict[str, Any]:
    data = json_object(request, required=False)
    refused = guard.refusal(request, data)
    if refused:
        raise ApiError(422, "secrecy_refused", next(iter(refused.values())), refused)
    return data


def api_create(request: Request) -> Response:
    """起草公告：``column``、``title``、``body``（HTML）、``importance``、``pinned``、``must_read``、
    ``publish_at``、``expires_at``、``scope``；``"submit": true`` 同时提交（无需审核的栏目直接发布）。"""
    app = request.state.app
    who = who_is(request)
    data = _data(request)

    def work() -> Announcement:
        saved = announcements.create(app, who, announcements.check(app, who, data), request)
        if data.get("submit") is True:
            announcements.send_on(app, who, saved, request)
        return saved

    saved = _errors(request, work)
    return JSONResponse(_full(request, Announcement.get_by_id(saved.id), who), status_code=201)


def api_update(request: Request) -> dict[str, Any]:
    """修改公告（已发布的保留原版本）：字段同起草，另可填 ``note``（修改说明）。"""
    app = request.state.app
    who = who_is(request)
    announcement = _managed(request, who)
    data = _data(request)
    note = str(data.get("note", "")).strip()
    _errors(
        request,
        lambda: announcements.update(
            app, who, announcement, announcements.check(app, who, data, announcement), note, request
        ),
    )
    return _full(request, Announcement.get_by_id(announcement.id), who)


def api_submit(request: Request) -> dict[str, Any]:
    """提交审核（或重新提交退回的公告）；无需审核的栏目直接发布。"""
    app = request.state.app
    who = who_is(request)
    announcement = _managed(request, who)
    _errors(request, lambda: announcements.send_on(app, who, announcement, request))
    return _full(request, Announcement.get_by_id(announcement.id), who)


def api_withdraw(request: Request) -> dict[str, Any]:
    """撤回已发布的公告（需填写 ``reason``）。"""
    app = request.state.app
    who = who_is(request)
    announcement = _managed(request, who)
    reason = str(json_object(request, required=False).get("reason", "")).strip()
    _errors(request, lambda: announcements.withdraw(app, who, announcement, reason, request))
    return _full(request, Announcement.get_by_id(announcement.id), who)


def api_delete(request: Request) -> dict[str, Any]:
    """删除自己的草稿。"""
    app = request.state.app
    who = who_is(request)
    announcement = _managed(request, who)
    _errors(request, lambda: announcements.delete_draft(app, who, announcement, request))
    return {"deleted": announcement.id}


def api_remind(request: Request) -> dict[str, Any]:
    """提醒未读（必读公告：未确认）的读者。"""
    app = request.state.app
    who = who_is(request)
    announcement = _managed(request, who)
    if not access.live(announcement, app.clock()):
        raise ApiError(400, "invalid", "只能提醒已发布且未过期的公告。")
    told = _errors(request, lambda: receipts.remind(app, announcement, who.user, request))
    return {"reminded": told}


def api_upload(request: Request) -> Response:
    """上传附件（multipart 表单字段 ``files``，可多个）。"""
    app = request.state.app
    who = who_is(request)
    announcement = _managed(request, who)
    if not access.can_edit(who, announcement):
        raise ApiError(400, "invalid", "已撤回的公告不能再添加附件。")
    items = attachments.uploads(request.state.form.get("files"))
    if not items:
        raise ApiError(400, "invalid", "请选择文件。", {"files": "请选择文件。"})
    refused = guard.refusal(request, {}, items)
    if refused:
        raise ApiError(422, "secrecy_refused", refused["files"], refused)
    saved = _errors(request, lambda: attachments.add(app, announcement, items, who.user))
    return JSONResponse([attachments.serialize(announcement, f) for f in saved], status_code=201)


def api_download(request: Request) -> Response:
    """下载附件（有权查看该公告的人员）。"""
    who = who_is(request)
    announcement = _visible(request, who)
    attachment = attachments.one(announcement, request.path_params["file_id"])
    if attachment is None:
        raise ApiError(404, "not_found", "找不到该附件。")
    return download_response(request.state.app, attachment)


def api_remove_file(request: Request) -> dict[str, Any]:
    """删除一个附件。"""
    app = request.state.app
    who = who_is(request)
    announcement = _managed(request, who)
    if attachments.one(announcement, request.path_params["file_id"]) is None:
        raise ApiError(404, "not_found", "找不到该附件。")
    run(request, lambda: attachments.remove(app, announcement, [request.path_params["file_id"]], who.user))
    return {"deleted": request.path_params["file_id"]}


# ------------------------------------------------------------------------------------- the publisher's


def api_mine(request: Request) -> dict[str, Any]:
    """我发布的公告（办公室 ``all=1``：全部）；``state``、``column``、``q`` 筛选。"""
    who = who_is(request)
    query = board.managed(who, request.state.app.clock(), dict(request.query_params))
    return paginate(request, query, lambda a: _row(request, a))


def api_readers(request: Request) -> dict[str, Any]:
    """阅读情况：各单位已读、已确认和未读人员。"""
    who = who_is(request)
    announcement = _managed(request, who)
    return receipts.report_data(announcement, receipts.report(request.state.app, announcement))


def _version(v: Version) -> dict[str, Any]:
    return {
        "number": v.number,
        "title": v.title,
        "body": v.body,
        "replaced_by": v.replaced_by.username,
        "replaced_at": v.replaced_at.isoformat(),
        "note": v.note,
    }


def api_versions(request: Request) -> dict[str, Any]:
    """修改记录：公告发布后每次修改前的版本，新的在前。"""
    who = who_is(request)
    announcement = _managed(request, who)
    return {
        "current": announcement.version,
        "versions": [_version(v) for v in announcements.versions(announcement)],
    }


# ------------------------------------------------------------------------------------------- columns


def api_columns(request: Request) -> list[dict[str, Any]]:
    """栏目：我可阅读的（办公室：全部）及我能否在其中发布。"""
    who = who_is(request)
    titles = role_titles(request.state.app)
    shown = columns.everything() if access.is_manager(who) else columns.readable(who)
    publishable = {c.id for c in columns.publishable(who)}
    return [{**columns.serialize(c, titles), "may_publish": c.id in publishable} for c in shown]


def api_column_create(request: Request) -> Response:
    """新建栏目（办公室）：``name``、``description``、``order``、``approval``、``readers``、``publishers``。"""
    app = request.state.app
    data = json_object(request, required=False)
    column = _errors(request, lambda: columns.save(app, columns.check(data), None, request))
    return JSONResponse(columns.serialize(column, role_titles(app)), status_code=201)


def api_column_update(request: Request) -> dict[str, Any]:
    """修改栏目（办公室）。"""
    app = request.state.app
    column = Column.get_or_none(Column.id == request.path_params["id"])
    if column is None:
        raise ApiError(404, "not_found", "找不到该栏目。")
    data = json_object(request, required=False)
    column = _errors(request, lambda: columns.save(app, columns.check(data, column), column, request))
    return columns.serialize(column, role_titles(app))
