"""A tiny plugin for the attachment and 涉密 tests: each user has a "box" of files only they may open.

Pages under ``/filebox/``: ``upload`` (multipart form, CSRF in a form field), ``small`` (1 KB limit, PDF
only), ``notice`` (scans a title, a body and a file with the 涉密 guard before storing anything), ``copy``,
``delete``, ``files/{id}`` (download, ``?inline=1`` previews).  API ``/api/v1/filebox/notice`` refuses by
raising ``ApiError`` after recording the refusal, so the request's transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from officium import Api, Page, Permission, hookimpl
from officium.core import audit, files, secrecy
from officium.core.app import OfficiumApp
from officium.core.web.api import ApiError
from officium.core.web.views import csrf_token, current_user, form_value
from officium.testing import add_user, close_site, make_plugin, make_site

PLUGIN = "filebox"
USE = "filebox.use"


def owner_of(user: Any) -> tuple[str, str, str]:
    return (PLUGIN, "box", str(user.id))


def _form(request) -> str:
    return (
        '<form method="post" enctype="multipart/form-data">'
        f'<input type="hidden" name="csrf_token" value="{csrf_token(request)}"></form>'
    )


def _upload(request, **limits: Any) -> Response:
    if request.method == "GET":
        return HTMLResponse(_form(request))
    upload = request.state.form.get("file")
    if not isinstance(upload, UploadFile):
        return HTMLResponse("请选择要上传的文件。", status_code=400)
    app = request.state.app
    try:
        attachment = files.save_upload(
            app, upload, owner=owner_of(current_user(request)), user=current_user(request), **limits
        )
    except files.FileRejected as exc:
        return HTMLResponse(f'<p class="field-error">{exc.message}</p>', status_code=400)
    return JSONResponse({"id": attachment.id, "sha256": attachment.sha256, "size": attachment.size})


def upload_page(request) -> Response:
    return _upload(request)


def small_page(request) -> Response:
    return _upload(request, allowed_extensions={"pdf"}, max_bytes=1024)


def _own(request, attachment_id: Any) -> files.Attachment | None:
    return files.get_attachment(*owner_of(current_user(request)), attachment_id)


def download_page(request) -> Response:
    attachment = _own(request, request.path_params["id"])
    if attachment is None:  # the plugin decides who may see the record: not the owner → 404
        raise _not_found()
    return files.download_response(
        request.state.app, attachment, inline=request.query_params.get("inline") == "1"
    )


def _not_found() -> Exception:
    return HTTPException(404)


def copy_page(request) -> Response:
    """Copy one of my files into another user's box (what 转发 does)."""
    from officium.core.identity.models import User

    attachment = _own(request, form_value(request, "id"))
    target = User.get_or_none(User.username == form_value(request, "to"))
    if attachment is None or target is None:
        raise _not_found()
    copy = files.copy_to(attachment, owner_of(target), current_user(request), app=request.state.app)
    return JSONResponse({"id": copy.id, "sha256": copy.sha256})


def delete_page(request) -> Response:
    attachment = _own(request, form_value(request, "id"))
    if attachment is None:
        raise _not_found()
    files.delete(attachment, current_user(request), app=request.state.app)
    return JSONResponse({"deleted": attachment.id})


def _notice_findings(request) -> tuple[list[secrecy.Finding], UploadFile | None]:
    upload = request.state.form.get("file")
    upload = upload if isinstance(upload, UploadFile) and upload.filename else None
    attached = []
    if upload is not None:
        upload.file.seek(0)
        attached.append((upload.filename, upload.file.read()))
    fields = {"标题": form_value(request, "title"), "正文": form_value(request, "body")}
    return secrecy.scan(fields, attached), upload


def notice_page(request) -> Response:
    if request.method == "GET":
        return HTMLResponse(_form(request))
    findings, upload = _notice_findings(request)
    if findings:
        secrecy.record_refusal(request, PLUGIN, findings)
        return HTMLResponse(
            f'<p class="field-error">{secrecy.refusal_message(findings)}</p>', status_code=422
        )
    user = current_user(request)
    if upload is not None:
        files.save_upload(request.state.app, upload, owner=owner_of(user), user=user)
    audit.record(request.state.app, "filebox.notice", request=request, summary=form_value(request, "title"))
    return HTMLResponse("已保存")


def notice_api(request) -> Any:
    body = request.state.json or {}
    user = current_user(request)
    # Written before the check on purpose: the refusal below rolls it back, the refusal record survives.
    files.save_upload(
        request.state.app, ("draft.txt", str(body.get("body", "x")).encode()), owner=owner_of(user), user=user
    )
    findings = secrecy.scan({"标题": str(body.get("title", "")), "正文": str(body.get("body", ""))})
    if findings:
        secrecy.record_refusal(request, PLUGIN, findings)
        raise ApiError(
            422, "classified", secrecy.refusal_message(findings), {"title": secrecy.refusal_message(findings)}
        )
    return {"ok": True}


class Hooks:
    @hookimpl
    def register_permissions(self, app):
        return [Permission(USE, "使用文件箱", default_roles=("staff",))]

    @hookimpl
    def register_routes(self, app):
        both = ("GET", "POST")
        return [
            Page("/upload", upload_page, "upload", USE, methods=both),
            Page("/small", small_page, "small", USE, methods=both),
            Page("/notice", notice_page, "notice", USE, methods=both),
            Page("/copy", copy_page, "copy", USE, methods=("POST",)),
            Page("/delete", delete_page, "delete", USE, methods=("POST",)),
            Page("/files/{id:int}", download_page, "download", USE),
            Api("/notice", notice_api, "notice", USE, methods=("POST",)),
        ]


def make_box_site(tmp: Path, **kwargs: Any) -> OfficiumApp:
    app = make_site(tmp, extra_plugins=[make_plugin(PLUGIN, Hooks())], **kwargs)
    add_user(app, "wang", name="王文书")
    add_user(app, "li", name="李科员")
    return app


@pytest.fixture(scope="module")
def box_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficiumApp]:
    with pytest.MonkeyPatch.context() as mp:
        from argon2 import PasswordHasher

        mp.setattr(
            "officium.core.identity.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
        )
        app = make_box_site(tmp_path_factory.mktemp("filebox"))
        yield app
        close_site(app)
