"""电子印章 pages and JSON API.

Who sees what: the office's 印章管理员 (``seals.manage``) every seal and the whole 用印登记簿; a custodian
the seals they keep and the requests for them; a clerk (``seals.use``) the usable seals and their own
requests.  A seal or request the user may not see answers 404.  Only the custodian approves, rejects and
applies a seal.  Anyone signed in may check a sealed PDF on the 验章 page.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import AUTHENTICATED, Api, Page
from officium.core import secrecy
from officium.core.identity.models import Unit, User
from officium.core.web.api import ApiError, paginate
from officium.core.web.views import flash, form_value, page_of, redirect, render
from officium.plugins.seals import crypto, service
from officium.plugins.seals.models import KINDS, STATES, Seal, UseRequest
from officium.plugins.seals.service import MANAGE, URL, USE, SealError, SealInput

MAX_PDF_MB = 20
MAX_IMAGE_MB = 2


# ------------------------------------------------------------------------------------------ access


def _perms(request: Request) -> frozenset[str]:
    return request.state.ctx.permissions


def _user(request: Request) -> User:
    return request.state.user


def can_see_seal(request: Request, seal: Seal) -> bool:
    perms, user = _perms(request), _user(request)
    if MANAGE in perms or seal.custodian_id == user.id:
        return True
    return USE in perms and seal.revoked_at is None


def can_see_use(request: Request, use: UseRequest) -> bool:
    user = _user(request)
    return MANAGE in _perms(request) or use.requester_id == user.id or use.seal.custodian_id == user.id


def _seal(request: Request) -> Seal:
    seal = Seal.get_or_none(Seal.id == request.path_params["id"])
    if seal is None or not can_see_seal(request, seal):
        raise HTTPException(404)
    return seal


def _use(request: Request) -> UseRequest:
    use = UseRequest.get_or_none(UseRequest.id == request.path_params["id"])
    if use is None or not can_see_use(request, use):
        raise HTTPException(404)
    return use


def _api_seal(request: Request) -> Seal:
    seal = Seal.get_or_none(Seal.id == request.path_params["id"])
    if seal is None or not can_see_seal(request, seal):
        raise ApiError(404, "not_found", "找不到该印章。")
    return seal


def _api_use(request: Request) -> UseRequest:
    use = UseRequest.get_or_none(UseRequest.id == request.path_params["id"])
    if use is None or not can_see_use(request, use):
        raise ApiError(404, "not_found", "找不到该用印申请。")
    return use


def _api_error(exc: SealError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.fields or None)


# ------------------------------------------------------------------------------------------ input


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _upload(request: Request, name: str, max_mb: int) -> tuple[str, bytes] | None:
    upload = request.state.form.get(name)
    if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
        return None
    data = upload.file.read(max_mb * 1024 * 1024 + 1)
    return upload.filename, data


def _seal_input(values: dict[str, Any], image: bytes | None, *, unit_required: bool = True) -> SealInput:
    """SealInput from form or JSON values (text), with the errors of unreadable values."""
    data = SealInput(
        name=str(values.get("name") or "").strip(),
        kind=str(values.get("kind") or "").strip(),
        image=image,
    )
    unit_value = str(values.get("unit") or "").strip()
    if unit_required:
        unit = Unit.get_or_none(Unit.id == int(unit_value)) if unit_value.isdigit() else None
        if unit is None:
            data.errors["unit"] = "请选择印章所属单位。"
        data.unit = unit
    username = str(values.get("custodian") or "").strip()
    if username:
        custodian = User.get_or_none(User.username == username)
        if custodian is None:
            data.errors["custodian"] = f"找不到用户 {username}。"
        data.custodian = custodian
    for key in ("valid_from", "valid_until"):
        text = str(values.get(key) or "").strip()
        parsed = _date(text)
        if text and parsed is None:
            data.errors[key] = "日期格式应为 YYYY-MM-DD。"
        setattr(data, key, parsed)
    return data


def _classified(request: Request, fields: dict[str, str], files: list[tuple[str, bytes]]) -> str:
    """The 涉密 guard: the refusal message (and an audit entry that survives) when marks are found."""
    findings = secrecy.scan(fields, files)
    if not findings:
        return ""
    secrecy.record_refusal(request, "seals", findings)
    return secrecy.refusal_message(findings)


def _units() -> list[tuple[str, str]]:
    return [(str(u.id), u.name) for u in Unit.select().order_by(Unit.id)]


def _visible_seals(request: Request) -> Any:
    query = Seal.select(Seal, Unit).join(Unit).switch(Seal)
    perms, user = _perms(request), _user(request)
    if MANAGE not in perms:
        condition = Seal.custodian == user
        if USE in perms:
            condition = condition | Seal.revoked_at.is_null()
        query = query.where(condition)
    return query


# ------------------------------------------------------------------------------------------ pages


def index(request: Request) -> Response:
    """印章列表 with filters."""
    app = request.state.app
    query = _visible_seals(request)
    unit = request.query_params.get("unit", "")
    kind = request.query_params.get("kind", "")
    q = request.query_params.get("q", "").strip()
    if unit.isdigit():
        query = query.where(Seal.unit == int(unit))
    if kind in KINDS:
        query = query.where(Seal.kind == kind)
    if q:
        query = query.where(Seal.name.contains(q) | Unit.name.contains(q))
    listing = page_of(request, query.order_by(Unit.id, Seal.id))
    states = {s.id: service.state_of(app, s) for s in listing.items}
    pending = service.pending_for(_user(request), app).count()
    return render(
        request,
        "seals/index.html",
        listing=listing,
        states=states,
        state_titles=service.SEAL_STATES,
        units=_units(),
        kinds=[(k, k) for k in KINDS],
        filters={"unit": unit, "kind": kind, "q": q},
        can_manage=MANAGE in _perms(request),
        pending=pending,
        breadcrumbs=[("电子印章", "")],
    )


def new(request: Request) -> Response:
    """登记印章."""
    app, user = request.state.app, _user(request)
    values: dict[str, Any] = {"valid_from": app.clock().date().isoformat()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            k: form_value(request, k)
            for k in ("unit", "name", "kind", "custodian", "valid_from", "valid_until")
        }
        upload = _upload(request, "image", MAX_IMAGE_MB)
        data = _seal_input(values, upload[1] if upload else None)
        try:
            with app.db.atomic():
                seal = service.create_seal(app, data, user, request=request)
        except SealError as exc:
            errors = exc.fields or {"": exc.message}
        else:
            flash(request, f"已登记印章“{seal.name}”。")
            return redirect(f"{URL}{seal.id}")
    return render(
        request,
        "seals/form.html",
        status_code=400 if errors else 200,
        seal=None,
        values=values,
        errors=errors,
        units=_units(),
        kinds=[(k, k) for k in KINDS],
        breadcrumbs=[("电子印章", URL), ("登记印章", "")],
    )


def detail(request: Request) -> Response:
    app = request.state.app
    seal = _seal(request)
    uses = (
        UseRequest.select().where(UseRequest.seal == seal).order_by(UseRequest.created_at.desc()).limit(10)
        if MANAGE in _perms(request) or seal.custodian_id == _user(request).id
        else []
    )
    return render(
        request,
        "seals/detail.html",
        seal=seal,
        state=service.state_of(app, seal),
        state_titles=service.SEAL_STATES,
        uses=list(uses),
        can_manage=MANAGE in _perms(request),
        can_request=USE in _perms(request) and service.state_of(app, seal) == "valid",
        breadcrumbs=[("电子印章", URL), (seal.name, "")],
    )


def edit(request: Request) -> Response:
    """变更印章: name, kind, custodian, validity, image."""
    app, user = request.state.app, _user(request)
    seal = _seal(request)
    values = {
        "name": seal.name,
        "kind": seal.kind,
        "custodian": seal.custodian.username,
        "valid_from": seal.valid_from.isoformat(),
        "valid_until": seal.valid_until.isoformat(),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            k: form_value(request, k) for k in ("name", "kind", "custodian", "valid_from", "valid_until")
        }
        upload = _upload(request, "image", MAX_IMAGE_MB)
        data = _seal_input(values, upload[1] if upload else None, unit_required=False)
        try:
            with app.db.atomic():
                changed = service.update_seal(app, seal, data, user, request=request)
        except SealError as exc:
            errors = exc.fields or {"": exc.message}
        else:
            flash(request, f"已变更：{'、'.join(changed)}。" if changed else "没有变化。")
            return redirect(f"{URL}{seal.id}")
    return render(
        request,
        "seals/form.html",
        status_code=400 if errors else 200,
        seal=seal,
        values=values,
        errors=errors,
        units=_units(),
        kinds=[(k, k) for k in KINDS],
        breadcrumbs=[("电子印章", URL), (seal.name, f"{URL}{seal.id}"), ("变更", "")],
    )


def revoke(request: Request) -> Response:
    app = request.state.app
    seal = _seal(request)
    try:
        with app.db.atomic():
            service.revoke_seal(app, seal, _user(request), form_value(request, "reason"), request=request)
    except SealError as exc:
        flash(request, exc.message, "bad")
    else:
        flash(request, f"印章“{seal.name}”已注销。")
    return redirect(f"{URL}{seal.id}")


def image(request: Request) -> Response:
    seal = _seal(request)
    return Response(
        service.seal_image_png(seal),
        media_type="image/png",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def new_request(request: Request) -> Response:
    """申请用印: upload the PDF to seal, with the reason."""
    app, user = request.state.app, _user(request)
    seal = _seal(request)
    values = {"title": "", "reason": "", "copies": "1"}
    errors: dict[str, str] = {}
    status = 400
    if request.method == "POST":
        values = {k: form_value(request, k) for k in values}
        upload = _upload(request, "document", MAX_PDF_MB)
        if upload is None:
            errors["document"] = "请选择要用印的 PDF 文件。"
        elif len(upload[1]) > MAX_PDF_MB * 1024 * 1024:
            errors["document"] = f"文件不能超过 {MAX_PDF_MB} MB。"
        elif not upload[0].lower().endswith(".pdf") or not upload[1].startswith(b"%PDF-"):
            errors["document"] = "只能对 PDF 文件用印。"
        copies = int(values["copies"]) if values["copies"].isdigit() else 0
        if not errors:
            refusal = _classified(
                request, {"文件标题": values["title"], "用印事由": values["reason"]}, [upload]
            )
            if refusal:
                errors["document"] = refusal
                status = 422
        if not errors:
            name, data = upload
            try:
                with app.db.atomic():
                    use = service.request_use(
                        app,
                        seal,
                        owner=("seals", "file", crypto.sha256_hex(data)[:16]),
                        version="1",
                        sha256=crypto.sha256_hex(data),
                        requester=user,
                        reason=values["reason"],
                        title=values["title"] or name,
                        file_name=name[:255],
                        copies=copies,
                        document=data,
                        request=request,
                    )
            except SealError as exc:
                errors = exc.fields or {"": exc.message}
            else:
                flash(request, f"已提交用印申请，等待保管人 {seal.custodian.name} 审批。")
                return redirect(f"{URL}requests/{use.id}")
    return render(
        request,
        "seals/request_form.html",
        status_code=status if errors else 200,
        seal=seal,
        values=values,
        errors=errors,
        max_mb=MAX_PDF_MB,
        breadcrumbs=[("电子印章", URL), (seal.name, f"{URL}{seal.id}"), ("申请用印", "")],
    )


def requests_page(request: Request) -> Response:
    """My requests and the requests waiting for me as custodian."""
    user = _user(request)
    todo = service.pending_for(user, request.state.app)
    mine = page_of(
        request,
        UseRequest.select().where(UseRequest.requester == user).order_by(UseRequest.created_at.desc()),
    )
    return render(
        request,
        "seals/requests.html",
        todo=list(todo),
        listing=mine,
        breadcrumbs=[("电子印章", URL), ("用印申请", "")],
    )


def request_detail(request: Request) -> Response:
    use = _use(request)
    user = _user(request)
    app = request.state.app
    return render(
        request,
        "seals/request_detail.html",
        use=use,
        handled_elsewhere=service.owner_module(app, use) is not None,
        owner_title=service.owner_title(app, use),
        owner_url=service.owner_url(use),
        is_custodian=use.seal.custodian_id == user.id,
        is_requester=use.requester_id == user.id,
        breadcrumbs=[("电子印章", URL), ("用印申请", f"{URL}requests/"), (f"第 {use.id} 号", "")],
    )


def _act(request: Request, action: str) -> Response:
    app, user = request.state.app, _user(request)
    use = _use(request)
    note = form_value(request, "note")
    refusal = _classified(request, {"审批意见": note}, []) if action in ("approve", "reject") else ""
    if refusal:
        flash(request, refusal, "bad")
        return redirect(f"{URL}requests/{use.id}")
    try:
        with app.db.atomic():
            service.require_standalone(app, use)
            if action == "approve":
                service.approve_use(app, use, user, note, request=request)
                message = "已批准。"
            elif action == "reject":
                service.reject_use(app, use, user, note, request=request)
                message = "已驳回。"
            elif action == "cancel":
                service.cancel_use(app, use, user, request=request)
                message = "已撤销申请。"
            else:
                if use.document is None:
                    raise SealError("该申请的文件由其来源模块保存，请在该模块中用印。", "conflict")
                service.apply_seal(app, use, bytes(use.document), user, request=request)
                message = "已用印，盖章后的文件可以下载。"
    except SealError as exc:
        if exc.status == 403 and action in ("approve", "reject", "apply"):
            raise HTTPException(403, exc.message) from exc
        flash(request, exc.message, "bad")
    else:
        flash(request, message)
    return redirect(f"{URL}requests/{use.id}")


def approve(request: Request) -> Response:
    return _act(request, "approve")


def reject(request: Request) -> Response:
    return _act(request, "reject")


def cancel(request: Request) -> Response:
    return _act(request, "cancel")


def apply(request: Request) -> Response:
    return _act(request, "apply")


def _pdf_response(data: bytes, name: str) -> Response:
    from urllib.parse import quote

    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename=\"seal.pdf\"; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def document(request: Request) -> Response:
    use = _use(request)
    if use.document is None:
        raise HTTPException(404)
    return _pdf_response(bytes(use.document), use.file_name or "document.pdf")


def sealed(request: Request) -> Response:
    use = _use(request)
    if use.sealed_document is None:
        raise HTTPException(404)
    stem = (use.file_name or "document.pdf").rsplit(".", 1)[0]
    return _pdf_response(bytes(use.sealed_document), f"{stem}（已盖章）.pdf")


def _register_filters(request: Request) -> tuple[service.RegisterFilters, dict[str, str]]:
    params = request.query_params
    values = {k: params.get(k, "").strip() for k in ("seal", "unit", "state", "q", "start", "end")}
    filters = service.RegisterFilters(
        seal=int(values["seal"]) if values["seal"].isdigit() else None,
        unit=int(values["unit"]) if values["unit"].isdigit() else None,
        state=values["state"] if values["state"] in STATES else "",
        q=values["q"][:100],
        start=_date(values["start"]) if values["start"] else None,
        end=_date(values["end"]) if values["end"] else None,
    )
    return filters, values


def register(request: Request) -> Response:
    """用印登记簿: every request and its outcome, with filters and an XLSX export."""
    filters, values = _register_filters(request)
    listing = page_of(request, service.register_query(filters))
    return render(
        request,
        "seals/register.html",
        listing=listing,
        values=values,
        seals=[(str(s.id), f"{s.name}（{s.unit.name}）") for s in Seal.select().order_by(Seal.id)],
        units=_units(),
        states=list(STATES.items()),
        export_query=str(request.query_params),
        breadcrumbs=[("电子印章", URL), ("用印登记簿", "")],
    )


def register_export(request: Request) -> Response:
    from officium.core import audit

    filters, _ = _register_filters(request)
    rows = list(service.register_query(filters))
    audit.record(
        request.state.app, "seals.register_export", request=request, summary=f"导出用印登记簿 {len(rows)} 条"
    )
    return Response(
        service.register_xlsx(request.state.app, rows),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": "attachment; filename=\"seal-register.xlsx\"; filename*=UTF-8''"
            "%E7%94%A8%E5%8D%B0%E7%99%BB%E8%AE%B0%E7%B0%BF.xlsx",
            "X-Content-Type-Options": "nosniff",
        },
    )


def verify_page(request: Request) -> Response:
    """验章: upload a PDF, see whether it is authentic and unchanged."""
    result = None
    errors: dict[str, str] = {}
    status = 400
    name = ""
    if request.method == "POST":
        upload = _upload(request, "document", MAX_PDF_MB)
        if upload is None:
            errors["document"] = "请选择要验证的 PDF 文件。"
        elif len(upload[1]) > MAX_PDF_MB * 1024 * 1024:
            errors["document"] = f"文件不能超过 {MAX_PDF_MB} MB。"
        else:
            refusal = _classified(request, {}, [upload])
            if refusal:
                errors["document"] = refusal
                status = 422
            else:
                name = upload[0]
                result = service.verify_pdf(request.state.app, upload[1])
    return render(
        request,
        "seals/verify.html",
        status_code=status if errors else 200,
        result=result,
        errors=errors,
        name=name,
        max_mb=MAX_PDF_MB,
        breadcrumbs=[("电子印章", URL), ("验章", "")],
    )


# ------------------------------------------------------------------------------------------ API


def seal_json(app: Any, seal: Seal) -> dict[str, Any]:
    return {
        "id": seal.id,
        "name": seal.name,
        "kind": seal.kind,
        "unit": {"id": seal.unit_id, "name": seal.unit.name},
        "custodian": {"username": seal.custodian.username, "name": seal.custodian.name},
        "valid_from": seal.valid_from.isoformat(),
        "valid_until": seal.valid_until.isoformat(),
        "state": service.state_of(app, seal),
        "algorithm": seal.algorithm,
        "non_gm": True,
        "key_id": seal.key_id,
        "es_id": seal.es_id,
        "uploaded_image": seal.image is not None,
        "revoked_at": seal.revoked_at.isoformat() if seal.revoked_at else None,
        "revoke_reason": seal.revoke_reason,
    }


def use_json(use: UseRequest) -> dict[str, Any]:
    return {
        "id": use.id,
        "seal": {"id": use.seal_id, "name": use.seal.name},
        "owner": {"plugin": use.plugin, "type": use.owner_type, "id": use.owner_id},
        "version": use.version,
        "sha256": use.sha256,
        "title": use.title,
        "file_name": use.file_name,
        "copies": use.copies,
        "requester": use.requester.username,
        "reason": use.reason,
        "state": use.state,
        "state_title": use.state_title,
        "created_at": use.created_at.isoformat(),
        "decided_by": use.decided_by.username if use.decided_by else None,
        "decided_at": use.decided_at.isoformat() if use.decided_at else None,
        "decision_note": use.decision_note,
        "used_by": use.used_by.username if use.used_by else None,
        "used_at": use.used_at.isoformat() if use.used_at else None,
        "sealed_sha256": use.sealed_sha256,
    }


def _json(request: Request) -> dict[str, Any]:
    data = getattr(request.state, "json", None)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "请以 JSON 对象提交。")
    return data


def _b64_field(data: dict[str, Any], key: str, label: str, max_mb: int) -> bytes | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > max_mb * 1024 * 1024 * 4 // 3 + 8:
        raise ApiError(
            400, "invalid", f"{label}不正确或过大。", {key: f"{label}应为不超过 {max_mb} MB 的 base64。"}
        )
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "invalid", f"{label}不是合法的 base64。", {key: "不是合法的 base64。"}) from exc


def api_seals(request: Request) -> Any:
    """印章列表（按可见范围）。"""
    app = request.state.app
    return paginate(request, _visible_seals(request).order_by(Seal.id), lambda s: seal_json(app, s))


def api_create_seal(request: Request) -> Any:
    """登记印章（需要 seals.manage）。"""
    app = request.state.app
    data = _json(request)
    image_bytes = _b64_field(data, "image_png", "印章图片", MAX_IMAGE_MB)
    try:
        seal = service.create_seal(app, _seal_input(data, image_bytes), _user(request), request=request)
    except SealError as exc:
        raise _api_error(exc) from exc
    return JSONResponse(seal_json(app, seal), status_code=201)


def api_seal(request: Request) -> Any:
    """一枚印章。"""
    return seal_json(request.state.app, _api_seal(request))


def api_update_seal(request: Request) -> Any:
    """变更印章（名称、类型、保管人、有效期、图片；需要 seals.manage）。"""
    app = request.state.app
    seal = _api_seal(request)
    data = _json(request)
    current = {
        "name": seal.name,
        "kind": seal.kind,
        "custodian": seal.custodian.username,
        "valid_from": seal.valid_from.isoformat(),
        "valid_until": seal.valid_until.isoformat(),
    }
    current.update({k: v for k, v in data.items() if k in current})
    image_bytes = _b64_field(data, "image_png", "印章图片", MAX_IMAGE_MB)
    try:
        changed = service.update_seal(
            app, seal, _seal_input(current, image_bytes, unit_required=False), _user(request), request=request
        )
    except SealError as exc:
        raise _api_error(exc) from exc
    return {"changed": changed, "seal": seal_json(app, seal)}


def api_revoke_seal(request: Request) -> Any:
    """注销印章（需要 seals.manage）。"""
    app = request.state.app
    seal = _api_seal(request)
    try:
        service.revoke_seal(
            app, seal, _user(request), str(_json(request).get("reason") or ""), request=request
        )
    except SealError as exc:
        raise _api_error(exc) from exc
    return seal_json(app, seal)


def api_seal_image(request: Request) -> Response:
    """印章图片（PNG）。"""
    return Response(service.seal_image_png(_api_seal(request)), media_type="image/png")


def api_requests(request: Request) -> Any:
    """本人提出的和待本人（保管人）处理的用印申请。"""
    user = _user(request)
    query = (
        UseRequest.select()
        .join(Seal)
        .where((UseRequest.requester == user) | (Seal.custodian == user))
        .order_by(UseRequest.created_at.desc())
    )
    if request.query_params.get("state") in STATES:
        query = query.where(UseRequest.state == request.query_params["state"])
    return paginate(request, query, use_json)


def api_create_request(request: Request) -> Any:
    """申请用印：``seal``、``reason``、``pdf``（base64）；其他模块的文件由该模块在其流程中申请。"""
    app = request.state.app
    data = _json(request)
    seal_id = data.get("seal")
    seal = Seal.get_or_none(Seal.id == seal_id) if isinstance(seal_id, int) else None
    if seal is None or seal.revoked_at is not None:
        raise ApiError(400, "invalid", "请选择有效的印章。", {"seal": "请选择有效的印章。"})
    pdf = _b64_field(data, "pdf", "PDF 文件", MAX_PDF_MB)
    copies = data.get("copies", 1)
    if not isinstance(copies, int):
        raise ApiError(400, "invalid", "份数应为整数。", {"copies": "份数应为整数。"})
    refusal = _classified(
        request,
        {"文件标题": str(data.get("title") or ""), "用印事由": str(data.get("reason") or "")},
        [(str(data.get("file_name") or "document.pdf"), pdf)] if pdf is not None else [],
    )
    if refusal:
        raise ApiError(422, "classified", refusal)
    if pdf is None:
        # Another module's file (a 局发文) is sealed only through that module's own step, which calls
        # service.request_use in-process; a client naming another module's document here could file a
        # request that module never made.
        raise ApiError(400, "invalid", "请提交要用印的 PDF 文件。", {"pdf": "请提交要用印的 PDF 文件。"})
    if not pdf.startswith(b"%PDF-"):
        raise ApiError(400, "invalid", "只能对 PDF 文件用印。", {"pdf": "只能对 PDF 文件用印。"})
    digest = crypto.sha256_hex(pdf)
    owner = ("seals", "file", digest[:16])
    version = "1"
    try:
        use = service.request_use(
            app,
            seal,
            owner=owner,
            version=version,
            sha256=digest,
            requester=_user(request),
            reason=str(data.get("reason") or ""),
            title=str(data.get("title") or ""),
            file_name=str(data.get("file_name") or "")[:255],
            copies=copies,
            document=pdf,
            request=request,
        )
    except SealError as exc:
        raise _api_error(exc) from exc
    return JSONResponse(use_json(use), status_code=201)


def api_request(request: Request) -> Any:
    """一份用印申请。"""
    return use_json(_api_use(request))


def _api_act(request: Request, action: str) -> Any:
    app, user = request.state.app, _user(request)
    use = _api_use(request)
    data = _json(request)
    note = str(data.get("note") or "")
    refusal = _classified(request, {"审批意见": note}, []) if action in ("approve", "reject") else ""
    if refusal:
        raise ApiError(422, "classified", refusal, {"note": refusal})
    try:
        service.require_standalone(app, use)
        if action == "approve":
            service.approve_use(app, use, user, note, request=request)
        elif action == "reject":
            service.reject_use(app, use, user, note, request=request)
        elif action == "cancel":
            service.cancel_use(app, use, user, request=request)
        else:
            pdf = _b64_field(data, "pdf", "PDF 文件", MAX_PDF_MB)
            if pdf is None:
                if use.document is None:
                    raise ApiError(
                        400, "invalid", "请提交要用印的 PDF 文件。", {"pdf": "请提交要用印的 PDF 文件。"}
                    )
                pdf = bytes(use.document)
            sealed_pdf = service.apply_seal(app, use, pdf, user, request=request)
            result = use_json(UseRequest.get_by_id(use.id))
            result["sealed_pdf"] = base64.b64encode(sealed_pdf).decode("ascii")
            return result
    except SealError as exc:
        raise _api_error(exc) from exc
    return use_json(UseRequest.get_by_id(use.id))


def api_approve(request: Request) -> Any:
    """保管人批准用印申请。"""
    return _api_act(request, "approve")


def api_reject(request: Request) -> Any:
    """保管人驳回用印申请（``note`` 必填）。"""
    return _api_act(request, "reject")


def api_cancel(request: Request) -> Any:
    """申请人撤销用印申请。"""
    return _api_act(request, "cancel")


def api_apply(request: Request) -> Any:
    """保管人用印；返回盖章后的 PDF（base64）。"""
    return _api_act(request, "apply")


def api_register(request: Request) -> Any:
    """用印登记簿（需要 seals.manage），筛选参数同页面。"""
    filters, _ = _register_filters(request)
    return paginate(request, service.register_query(filters), use_json)


def api_verify(request: Request) -> Any:
    """验章：``pdf``（base64）→ 结果。"""
    pdf = _b64_field(_json(request), "pdf", "PDF 文件", MAX_PDF_MB)
    if pdf is None:
        raise ApiError(400, "invalid", "请提交要验证的 PDF 文件。", {"pdf": "请提交要验证的 PDF 文件。"})
    refusal = _classified(request, {}, [("document.pdf", pdf)])
    if refusal:
        raise ApiError(422, "classified", refusal)
    return service.verify_pdf(request.state.app, pdf).as_dict()


ROUTES = [
    Page("/", index, "index", AUTHENTICATED),
    Page("/new", new, "new", MANAGE, methods=("GET", "POST")),
    Page("/{id:int}", detail, "detail", AUTHENTICATED),
    Page("/{id:int}/edit", edit, "edit", MANAGE, methods=("GET", "POST")),
    Page("/{id:int}/revoke", revoke, "revoke", MANAGE, methods=("POST",)),
    Page("/{id:int}/image.png", image, "image", AUTHENTICATED),
    Page("/{id:int}/request", new_request, "new_request", USE, methods=("GET", "POST")),
    Page("/requests/", requests_page, "requests", AUTHENTICATED),
    Page("/requests/{id:int}", request_detail, "request", AUTHENTICATED),
    Page("/requests/{id:int}/approve", approve, "approve", AUTHENTICATED, methods=("POST",)),
    Page("/requests/{id:int}/reject", reject, "reject", AUTHENTICATED, methods=("POST",)),
    Page("/requests/{id:int}/cancel", cancel, "cancel", AUTHENTICATED, methods=("POST",)),
    Page("/requests/{id:int}/apply", apply, "apply", AUTHENTICATED, methods=("POST",)),
    Page("/requests/{id:int}/document.pdf", document, "document", AUTHENTICATED),
    Page("/requests/{id:int}/sealed.pdf", sealed, "sealed", AUTHENTICATED),
    Page("/register", register, "register", MANAGE),
    Page("/register.xlsx", register_export, "register_export", MANAGE),
    Page("/verify", verify_page, "verify", AUTHENTICATED, methods=("GET", "POST")),
    Api("/seals", api_seals, "seals", AUTHENTICATED),
    Api("/seals", api_create_seal, "create_seal", MANAGE, methods=("POST",)),
    Api("/seals/{id:int}", api_seal, "seal", AUTHENTICATED),
    Api("/seals/{id:int}", api_update_seal, "update_seal", MANAGE, methods=("POST",)),
    Api("/seals/{id:int}/revoke", api_revoke_seal, "revoke_seal", MANAGE, methods=("POST",)),
    Api("/seals/{id:int}/image", api_seal_image, "seal_image", AUTHENTICATED),
    Api("/requests", api_requests, "requests", AUTHENTICATED),
    Api("/requests", api_create_request, "create_request", USE, methods=("POST",)),
    Api("/requests/{id:int}", api_request, "request", AUTHENTICATED),
    Api("/requests/{id:int}/approve", api_approve, "approve", AUTHENTICATED, methods=("POST",)),
    Api("/requests/{id:int}/reject", api_reject, "reject", AUTHENTICATED, methods=("POST",)),
    Api("/requests/{id:int}/cancel", api_cancel, "cancel", AUTHENTICATED, methods=("POST",)),
    Api("/requests/{id:int}/apply", api_apply, "apply", AUTHENTICATED, methods=("POST",)),
    Api("/register", api_register, "register", MANAGE),
    Api("/verify", api_verify, "verify", AUTHENTICATED, methods=("POST",)),
]
