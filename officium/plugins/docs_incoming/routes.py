"""收文管理 pages and JSON API.

Views are plain functions; the core checks the route's permission and the CSRF token and runs POSTs in one
transaction.  Each action runs in a savepoint of its own, so that a refusal leaves nothing behind before the
page shows why.  A document the user may not see answers 404, never 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import Api, Page
from officium.core import files, secrecy
from officium.core.db import write_transaction
from officium.core.identity.models import Unit, User
from officium.core.identity.people import people_by_username
from officium.core.web.api import ApiError, base64_files, json_object, paginate
from officium.core.web.views import current_user, flash, form_value, page_of, redirect, render, require
from officium.core.workflow.engine import Conflict, WorkflowError
from officium.core.workflow.panel import panel_context
from officium.core.workflow.todo import Lights
from officium.plugins.docs_incoming import export, listing, service
from officium.plugins.docs_incoming.constants import (
    DOC_TYPES,
    HANDLING,
    NOT_CLASSIFIED,
    OBJECT_TYPE,
    PLUGIN_NAME,
    STATUSES,
    URGENCY_TITLES,
)
from officium.plugins.docs_incoming.models import IncomingDocument
from officium.plugins.docs_incoming.service import MANAGE, REGISTER, URL, VIEW, IncomingError
from officium.plugins.docs_incoming.workflow import ASSIGN_STEP, HANDLE_STEP

FORM_FIELDS = (
    "title",
    "from_unit",
    "doc_number",
    "doc_type",
    "urgency",
    "copies",
    "received_on",
    "due_date",
    "limit_days",
    "classification",
    "secrecy_period",
    "note",
)


def _perms(request: Request) -> frozenset[str]:
    return request.state.ctx.permissions


def _document_or_404(request: Request) -> IncomingDocument:
    document = IncomingDocument.get_or_none(IncomingDocument.id == request.path_params["id"])
    if document is None or not service.visible(current_user(request), _perms(request), document):
        raise HTTPException(404)
    return document


def _run(request: Request, action: Callable[[], Any]) -> Any:
    """Run ``action`` in a savepoint of the view's transaction: everything it did is undone when it raises."""
    with write_transaction(request.state.app.db):
        return action()


def _uploads(value: Any) -> list[tuple[str, bytes]]:
    """The files of a multipart field (one UploadFile or a list), read into (name, bytes); empty choosers
    are skipped."""
    items = value if isinstance(value, list) else [value] if value is not None else []
    result = []
    for upload in items:
        if isinstance(upload, UploadFile) and upload.filename:
            upload.file.seek(0)
            result.append((upload.filename, upload.file.read()))
    return result


def _register_unit(request: Request, raw: Any) -> tuple[Unit | None, list[Unit]]:
    units = service.register_units(current_user(request))
    if not units:
        return None, units
    if raw in (None, ""):
        return units[0], units
    chosen = next((u for u in units if str(u.id) == str(raw) or u.code == str(raw)), None)
    return chosen, units


# --------------------------------------------------------------------------------------- 登记簿 (list)


def index(request: Request) -> Response:
    """收文登记簿: the documents the user may see, filtered and paginated."""
    user = current_user(request)
    app = request.state.app
    filters, errors = listing.parse_filters(request.query_params)
    query = listing.filtered(service.visible_query(user, _perms(request)), filters, app.clock().date())
    query, sorting = listing.sorted_query(request, query)
    page = page_of(request, query)
    lights = Lights.for_app(app)
    rows = [(d, *service.light(lights, d)) for d in page.items]
    return render(
        request,
        "docs_incoming/index.html",
        listing=page,
        rows=rows,
        sorting=sorting,
        filters=filters,
        errors=errors,
        years=listing.years(),
        units=service.unit_choices(),
        doc_types=DOC_TYPES,
        statuses=STATUSES,
        can_register=REGISTER in _perms(request) and bool(service.register_units(user)),
        export_query=request.url.query,
        breadcrumbs=[("收文管理", "")],
    )


def export_xlsx(request: Request) -> Response:
    """The 登记簿 as it is filtered, as an XLSX workbook."""
    user = current_user(request)
    app = request.state.app
    filters, _ = listing.parse_filters(request.query_params)
    query = listing.filtered(service.visible_query(user, _perms(request)), filters, app.clock().date())
    query = query.order_by(IncomingDocument.year.desc(), IncomingDocument.seq.desc())
    data = export.workbook(app, query)
    name = f"收文登记簿-{app.clock():%Y%m%d}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": files.content_disposition("attachment", name),
            "X-Content-Type-Options": "nosniff",
        },
    )


# ------------------------------------------------------------------------------------- registration


def _form_context(
    request: Request, values: dict[str, Any], errors: dict[str, str], units: list[Unit]
) -> dict:
    return {
        "values": values,
        "errors": errors,
        "units": units,
        "unit_options": [(u.id, u.name) for u in units],
        "doc_type_options": [(t, t) for t in DOC_TYPES],
        "urgencies": list(URGENCY_TITLES.items()),
        "not_classified": NOT_CLASSIFIED,
        "duplicate": errors.get("_duplicate", ""),
        "breadcrumbs": [("收文管理", URL), ("收文登记", "")],
    }


def new(request: Request) -> Response:
    """收文登记 form; POST registers (refusing 涉密 material and warning about duplicates)."""
    app = request.state.app
    user = current_user(request)
    unit, units = _register_unit(request, form_value(request, "unit") if request.method == "POST" else None)
    if not units:
        raise HTTPException(403, "您不是任何单位的综合人员，不能登记收文。")
    if request.method == "GET":
        values = {"received_on": app.clock().date(), "urgency": "normal", "copies": "1", "unit": units[0].id}
        return render(request, "docs_incoming/new.html", **_form_context(request, values, {}, units))
    form = request.state.form
    values = {name: form_value(request, name) for name in FORM_FIELDS}
    values["unit"] = form_value(request, "unit")
    uploads = _uploads(form.get("attachments"))
    confirm = form_value(request, "confirm_duplicate") == "1"
    if unit is None:
        errors = {"unit": "请选择您登记收文的单位。"}
        return render(
            request,
            "docs_incoming/new.html",
            status_code=400,
            **_form_context(request, values, errors, units),
        )
    try:
        document = _run(
            request,
            lambda: service.register(
                app,
                unit=unit,
                actor=user,
                data=values,
                uploads=uploads,
                confirm_duplicate=confirm,
                request=request,
            ),
        )
    except service.SecrecyRefused as exc:
        secrecy.record_refusal(request, PLUGIN_NAME, exc.findings)
        errors = dict(exc.fields)
        errors[""] = exc.message
        return render(
            request,
            "docs_incoming/new.html",
            status_code=422,
            **_form_context(request, values, errors, units),
        )
    except service.DuplicateFound as exc:
        errors = dict(exc.fields)
        errors["_duplicate"] = exc.message
        context = _form_context(request, values, errors, units)
        context["existing"] = exc.existing
        return render(request, "docs_incoming/new.html", status_code=409, **context)
    except IncomingError as exc:
        errors = dict(exc.fields) or {"": exc.message}
        return render(
            request,
            "docs_incoming/new.html",
            status_code=400,
            **_form_context(request, values, errors, units),
        )
    flash(request, f"已登记，收文编号 {document.number}。请进行初审。")
    return redirect(document.url)


# ------------------------------------------------------------------------------------- document page


def _show_context(request: Request, document: IncomingDocument, errors: dict[str, str] | None = None) -> dict:
    app = request.state.app
    user = current_user(request)
    perms = _perms(request)
    instance = service.instance_of(document)
    panel = None
    if instance is not None:
        panel = panel_context(request, instance, next_url=document.url)
        # 分办 and the 主办's 办结 go through this page's own forms (they record units and the result)
        item = panel["item"]
        if item is not None and (
            item.step == ASSIGN_STEP or (item.step == HANDLE_STEP and service.is_lead_handler(document, item))
        ):
            panel["actions"]["approve"] = None
        # 承办 is forwarded inside the unit with this page's form (a list of the unit's people)
        if item is not None and item.step == HANDLE_STEP:
            panel["actions"]["transfer"] = panel["actions"]["add_signers"] = False
    lights = Lights.for_app(app)
    light, light_label = service.light(lights, document)
    opinions = service.opinions(document)
    allowed = service.allowed(document, user, perms)
    forward_unit = allowed["forward"]
    return {
        "document": document,
        "panel": panel,
        "attachments": files.attachments_of(PLUGIN_NAME, OBJECT_TYPE, document.id),
        "opinions": opinions,
        "instructions": [o for o in opinions if o["step"] == "instruct"],
        "proposals": [o for o in opinions if o["step"] == "propose"],
        "assignments": service.assignments(document),
        "readers": service.read_status(document),
        "allowed": allowed,
        "colleague_options": [
            (u.username, f"{u.name}（{u.unit.name}）") for u in service.colleagues(forward_unit, user)
        ]
        if forward_unit is not None
        else [],
        "light": light,
        "light_label": light_label,
        "unit_options": [(u.id, u.name) for u in service.unit_choices()],
        "handling": list(HANDLING.items()),
        "errors": errors or {},
        "breadcrumbs": [("收文管理", URL), (document.number, "")],
    }


def show(request: Request) -> Response:
    """The document: its fields, attachments, instructions, the workflow panel and the actions."""
    document = _document_or_404(request)
    return render(request, "docs_incoming/show.html", **_show_context(request, document))


def print_view(request: Request) -> Response:
    """收文处理笺 for printing."""
    document = _document_or_404(request)
    context = _show_context(request, document)
    return render(request, "docs_incoming/print.html", **context)


def attachment(request: Request) -> Response:
    """One attachment of a document the user may see; ``?inline=1`` previews a PDF or an image."""
    document = _document_or_404(request)
    found = files.get_attachment(PLUGIN_NAME, OBJECT_TYPE, document.id, request.path_params["att"])
    if found is None:
        raise HTTPException(404)
    return files.download_response(request.state.app, found, inline=request.query_params.get("inline") == "1")


def _act(request: Request, action: Callable[[IncomingDocument], Any], done: str) -> Response:
    """Run a page action on the document; a refusal shows the page again with the message."""
    document = _document_or_404(request)
    try:
        _run(request, lambda: action(document))
    except Conflict as exc:
        flash(request, exc.message, "bad")
        return redirect(document.url)
    except (IncomingError, WorkflowError) as exc:
        refused = isinstance(exc, service.SecrecyRefused)
        if refused:
            secrecy.record_refusal(request, PLUGIN_NAME, exc.findings)
        fields = getattr(exc, "fields", None) or (
            {exc.field: exc.message} if getattr(exc, "field", "") else {}
        )
        errors = dict(fields)
        errors.setdefault("", exc.message)
        context = _show_context(request, IncomingDocument.get_by_id(document.id), errors)
        return render(request, "docs_incoming/show.html", status_code=422 if refused else 400, **context)
    flash(request, done)
    return redirect(document.url)


def _readers(request: Request, raw_people: str, unit_ids: list[Any]) -> list[User]:
    people, unknown = people_by_username(raw_people)
    if unknown:
        raise IncomingError("有的人员不存在。", {"readers": f"找不到这些人员：{'、'.join(unknown)}。"})
    ids = []
    for raw in unit_ids:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            continue
    return service.readers_from(people, ids)


def _list_value(request: Request, name: str) -> list[Any]:
    value = request.state.form.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def review(request: Request) -> Response:
    """初审: 受理 (批办件 → 拟办, 阅知件 → 传阅) or 退回来文单位."""
    require(request, REGISTER)
    app, user = request.state.app, current_user(request)
    decision = form_value(request, "decision")

    def act(document: IncomingDocument) -> Any:
        if not service.is_unit_clerk(user, _perms(request), document):
            raise HTTPException(404)
        if decision == "return":
            return service.return_to_sender(
                app, document, user, form_value(request, "reason"), request=request
            )
        handling = form_value(request, "handling")
        readers = _readers(request, form_value(request, "readers"), _list_value(request, "reader_units"))
        return service.accept(
            app,
            document,
            user,
            handling=handling,
            readers=readers,
            opinion=form_value(request, "opinion"),
            request=request,
        )

    return _act(request, act, "已退回来文单位。" if decision == "return" else "初审通过。")


def _unit(raw: Any) -> Unit | None:
    try:
        return Unit.get_or_none(Unit.id == int(raw))
    except (TypeError, ValueError):
        return None


def assign(request: Request) -> Response:
    """分办: 主办 and 协办 units."""
    app, user = request.state.app, current_user(request)

    def act(document: IncomingDocument) -> Any:
        lead = _unit(form_value(request, "lead_unit"))
        assists = [u for u in (_unit(r) for r in _list_value(request, "assist_units")) if u is not None]
        return service.assign(
            app,
            document,
            user,
            lead=lead,
            assists=assists,
            opinion=form_value(request, "opinion"),
            request=request,
        )

    return _act(request, act, "已分办。")


def conclude(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    return _act(
        request,
        lambda d: service.conclude(app, d, user, form_value(request, "result"), request=request),
        "已办结。",
    )


def reply(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    return _act(
        request,
        lambda d: service.reply(app, d, user, form_value(request, "reply"), request=request),
        "已登记答复。",
    )


def archive(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    return _act(
        request,
        lambda d: service.archive(app, d, user, form_value(request, "opinion"), request=request),
        "已归档。",
    )


def forward(request: Request) -> Response:
    """承办 inside the unit: 转办 or 加签 to colleagues."""
    app, user = request.state.app, current_user(request)
    mode = form_value(request, "mode")

    def act(document: IncomingDocument) -> Any:
        people, unknown = people_by_username(",".join(str(v) for v in _list_value(request, "to")))
        if unknown:
            raise IncomingError("有的人员不存在。", {"to": f"找不到这些人员：{'、'.join(unknown)}。"})
        return service.forward(
            app, document, user, to=people, mode=mode, opinion=form_value(request, "opinion"), request=request
        )

    return _act(request, act, "已转办。" if mode == "transfer" else "已加签。")


def recall(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    return _act(
        request, lambda d: service.recall(app, d, user, _perms(request), request=request), "已收回传阅。"
    )


# ---------------------------------------------------------------------------------------------- API


def serialize(document: IncomingDocument, *, full: bool = False, app: Any = None) -> dict[str, Any]:
    data = {
        "id": document.id,
        "number": document.number,
        "year": document.year,
        "seq": document.seq,
        "unit": {"id": document.unit_id, "code": document.unit.code, "name": document.unit.name},
        "from_unit": document.from_unit,
        "doc_number": document.doc_number,
        "title": document.title,
        "doc_type": document.doc_type,
        "urgency": document.urgency,
        "urgency_title": document.urgency_title,
        "copies": document.copies,
        "classification": document.classification,
        "received_on": document.received_on.isoformat(),
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "registered_at": document.registered_at.isoformat(),
        "registered_by": document.registered_by.username,
        "status": document.status,
        "status_title": document.status_title,
        "handling": document.handling,
        "url": document.url,
    }
    if full:
        instance = service.instance_of(document)
        data.update(
            {
                "note": document.note,
                "return_reason": document.return_reason,
                "result": document.result,
                "reply": document.reply,
                "archived_at": document.archived_at.isoformat() if document.archived_at else None,
                "source": [document.source_plugin, document.source_type, document.source_id]
                if document.source_plugin
                else None,
                "workflow_id": instance.id if instance is not None else None,
                "assignments": {k: [u.name for u in v] for k, v in service.assignments(document).items()},
                "opinions": [
                    {**o, "at": o["at"].isoformat() if o["at"] else None} for o in service.opinions(document)
                ],
                "readers": [
                    {
                        **r,
                        "sent_at": r["sent_at"].isoformat(),
                        "read_at": r["read_at"].isoformat() if r["read_at"] else None,
                    }
                    for r in service.read_status(document)
                ],
                "attachments": [
                    {"id": a.id, "filename": a.filename, "size": a.size, "content_type": a.content_type}
                    for a in files.attachments_of(PLUGIN_NAME, OBJECT_TYPE, document.id)
                ],
            }
        )
    return data


def _api_document(request: Request) -> IncomingDocument:
    document = IncomingDocument.get_or_none(IncomingDocument.id == request.path_params["id"])
    if document is None or not service.visible(current_user(request), _perms(request), document):
        raise ApiError(404, "not_found", "找不到该收文。")
    return document


def _api_run(request: Request, action: Callable[[], Any]) -> Any:
    try:
        return _run(request, action)
    except Conflict as exc:
        raise ApiError(409, "conflict", exc.message) from exc
    except service.DuplicateFound as exc:
        raise ApiError(409, "duplicate", exc.message, fields=exc.fields) from exc
    except service.SecrecyRefused as exc:
        secrecy.record_refusal(request, PLUGIN_NAME, exc.findings)
        raise ApiError(422, "classified", exc.message, fields=exc.fields) from exc
    except IncomingError as exc:
        raise ApiError(400, "invalid", exc.message, fields=exc.fields or None) from exc
    except WorkflowError as exc:
        raise ApiError(
            400, "invalid", exc.message, fields={exc.field: exc.message} if exc.field else None
        ) from exc


def api_list(request: Request) -> Any:
    """收文登记簿（与页面相同的筛选：year, unit, doc_type, status, overdue, q）"""
    filters, errors = listing.parse_filters(request.query_params)
    if errors:
        raise ApiError(400, "invalid_query", "查询参数不正确。", fields=errors)
    query = listing.filtered(
        service.visible_query(current_user(request), _perms(request)),
        filters,
        request.state.app.clock().date(),
    ).order_by(IncomingDocument.id.desc())
    return paginate(request, query, serialize)


def api_register(request: Request) -> Response:
    """签收登记一份来文（附件：attachments = [{filename, content_base64}]；confirm_duplicate 确认重复登记）"""
    app, user = request.state.app, current_user(request)
    data = json_object(request, required=False)
    unit, _ = _register_unit(request, data.get("unit"))
    if unit is None:
        raise ApiError(
            400, "invalid", "您不是该单位的综合人员。", fields={"unit": "请选择您登记收文的单位。"}
        )
    uploads = base64_files(data)
    values = {k: ("" if data.get(k) is None else str(data.get(k))) for k in FORM_FIELDS}
    try:
        document = _run(
            request,
            lambda: service.register(
                app,
                unit=unit,
                actor=user,
                data=values,
                uploads=uploads,
                confirm_duplicate=bool(data.get("confirm_duplicate")),
                request=request,
            ),
        )
    except service.SecrecyRefused as exc:
        secrecy.record_refusal(request, PLUGIN_NAME, exc.findings)
        raise ApiError(422, "classified", exc.message, fields=exc.fields) from exc
    except service.DuplicateFound as exc:
        body = {
            "error": {
                "code": "duplicate",
                "message": exc.message,
                "fields": exc.fields,
                "existing": [serialize(d) for d in exc.existing],
            }
        }
        return JSONResponse(body, status_code=409)
    except IncomingError as exc:
        raise ApiError(400, "invalid", exc.message, fields=exc.fields or None) from exc
    return JSONResponse(serialize(document, full=True), status_code=201)


def api_show(request: Request) -> Any:
    """一份收文：字段、拟办意见和领导批示、分办、传阅情况、附件"""
    return serialize(_api_document(request), full=True)


def api_accept(request: Request) -> Any:
    """初审通过：handling = handle（批办件）或 read（阅知件，readers 用户名列表，reader_units 单位 id 列表）"""
    require(request, REGISTER)
    app, user = request.state.app, current_user(request)
    document = _api_document(request)
    data = json_object(request, required=False)
    if not service.is_unit_clerk(user, _perms(request), document):
        raise ApiError(404, "not_found", "找不到该收文。")

    def act() -> Any:
        readers = _readers(
            request, ",".join(str(x) for x in data.get("readers") or []), list(data.get("reader_units") or [])
        )
        return service.accept(
            app,
            document,
            user,
            handling=str(data.get("handling", "")),
            readers=readers,
            opinion=str(data.get("opinion", "")),
            request=request,
        )

    return serialize(_api_run(request, act), full=True)


def api_return(request: Request) -> Any:
    """初审退回来文单位（reason 必填）"""
    require(request, REGISTER)
    app, user = request.state.app, current_user(request)
    document = _api_document(request)
    if not service.is_unit_clerk(user, _perms(request), document):
        raise ApiError(404, "not_found", "找不到该收文。")
    reason = str(json_object(request, required=False).get("reason", ""))
    return serialize(
        _api_run(request, lambda: service.return_to_sender(app, document, user, reason, request=request)),
        full=True,
    )


def _api_unit(raw: Any) -> Unit | None:
    if raw in (None, ""):
        return None
    found = _unit(raw)
    return found if found is not None else Unit.get_or_none(Unit.code == str(raw))


def api_assign(request: Request) -> Any:
    """分办：lead_unit（主办单位 id 或代码），assist_units（协办单位列表），opinion"""
    app, user = request.state.app, current_user(request)
    document = _api_document(request)
    data = json_object(request, required=False)
    lead = _api_unit(data.get("lead_unit"))
    assists = [u for u in (_api_unit(r) for r in data.get("assist_units") or []) if u is not None]
    return serialize(
        _api_run(
            request,
            lambda: service.assign(
                app,
                document,
                user,
                lead=lead,
                assists=assists,
                opinion=str(data.get("opinion", "")),
                request=request,
            ),
        ),
        full=True,
    )


def _api_text_action(field: str, action: Callable[..., Any], doc: str) -> Callable[[Request], Any]:
    """An API view that runs ``action(app, document, user, <field>, request=…)`` with one text field."""

    def view(request: Request) -> Any:
        app, user = request.state.app, current_user(request)
        document = _api_document(request)
        text = str(json_object(request, required=False).get(field, ""))
        return serialize(
            _api_run(request, lambda: action(app, document, user, text, request=request)), full=True
        )

    view.__name__ = f"api_{action.__name__}"
    view.__doc__ = doc
    return view


api_conclude = _api_text_action("result", service.conclude, "主办单位办结（result 办理结果必填）")
api_reply = _api_text_action("reply", service.reply, "答复来文单位（reply 必填）")
api_archive = _api_text_action("opinion", service.archive, "归档（批办件办结后，或阅知件传阅后）")


def api_forward(request: Request) -> Any:
    """承办在本单位内转办（mode=transfer，to 一人）或加签（mode=add，to 多人，用户名列表）"""
    app, user = request.state.app, current_user(request)
    document = _api_document(request)
    data = json_object(request, required=False)

    def act() -> Any:
        people, unknown = people_by_username(",".join(str(v) for v in data.get("to") or []))
        if unknown:
            raise IncomingError("有的人员不存在。", {"to": f"找不到这些人员：{'、'.join(unknown)}。"})
        return service.forward(
            app,
            document,
            user,
            to=people,
            mode=str(data.get("mode", "")),
            opinion=str(data.get("opinion", "")),
            request=request,
        )

    return serialize(_api_run(request, act), full=True)


def api_recall(request: Request) -> Any:
    """收回传阅（尚未阅读的人员不再看到待阅）"""
    app, user = request.state.app, current_user(request)
    document = _api_document(request)
    count = _api_run(request, lambda: service.recall(app, document, user, _perms(request), request=request))
    return {"recalled": count, "document": serialize(IncomingDocument.get_by_id(document.id), full=True)}


def api_attachment(request: Request) -> Response:
    """下载一份收文的附件"""
    document = _api_document(request)
    found = files.get_attachment(PLUGIN_NAME, OBJECT_TYPE, document.id, request.path_params["att"])
    if found is None:
        raise ApiError(404, "not_found", "找不到该附件。")
    return files.download_response(request.state.app, found)


ROUTES = [
    Page("/", index, "index", VIEW),
    Page("/export.xlsx", export_xlsx, "export", VIEW),
    Page("/new", new, "new", REGISTER, methods=("GET", "POST")),
    Page("/{id:int}", show, "show", VIEW),
    Page("/{id:int}/print", print_view, "print", VIEW),
    Page("/{id:int}/files/{att:int}", attachment, "attachment", VIEW),
    Page("/{id:int}/review", review, "review", VIEW, methods=("POST",)),
    Page("/{id:int}/assign", assign, "assign", VIEW, methods=("POST",)),
    Page("/{id:int}/conclude", conclude, "conclude", VIEW, methods=("POST",)),
    Page("/{id:int}/reply", reply, "reply", VIEW, methods=("POST",)),
    Page("/{id:int}/archive", archive, "archive", VIEW, methods=("POST",)),
    Page("/{id:int}/recall", recall, "recall", VIEW, methods=("POST",)),
    Page("/{id:int}/forward", forward, "forward", VIEW, methods=("POST",)),
    Api("/documents", api_list, "documents", VIEW),
    Api("/documents", api_register, "register", REGISTER, methods=("POST",)),
    Api("/documents/{id:int}", api_show, "document", VIEW),
    Api("/documents/{id:int}/accept", api_accept, "accept", VIEW, methods=("POST",)),
    Api("/documents/{id:int}/return", api_return, "return", VIEW, methods=("POST",)),
    Api("/documents/{id:int}/assign", api_assign, "assign", VIEW, methods=("POST",)),
    Api("/documents/{id:int}/conclude", api_conclude, "conclude", VIEW, methods=("POST",)),
    Api("/documents/{id:int}/reply", api_reply, "reply", VIEW, methods=("POST",)),
    Api("/documents/{id:int}/archive", api_archive, "archive", VIEW, methods=("POST",)),
    Api("/documents/{id:int}/recall", api_recall, "recall", VIEW, methods=("POST",)),
    Api("/documents/{id:int}/forward", api_forward, "forward", VIEW, methods=("POST",)),
    Api("/documents/{id:int}/files/{att:int}", api_attachment, "attachment", VIEW),
]

__all__ = ["MANAGE", "ROUTES"]
