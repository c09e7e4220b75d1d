"""局发文 pages and JSON API.

The core checks each route's permission and the CSRF token and runs POSTs in one transaction.  Actions run
in a savepoint so that a refusal leaves nothing behind before the page shows why.  A document the user may
not see answers 404.  Workflow actions (同意, 退回, 加签, 撤回 ...) are the core's panel and API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import Api, Page
from officium.core import audit
from officium.core.admin.queries import xlsx_bytes
from officium.core.db import write_transaction
from officium.core.identity.models import Unit, User
from officium.core.web.api import ApiError, paginate
from officium.core.web.views import current_user, flash, form_value, page_of, redirect, render, sort_query
from officium.core.workflow import engine, panel
from officium.core.workflow.engine import Conflict, WorkflowError
from officium.plugins.docs_outgoing import body as body_text
from officium.plugins.docs_outgoing import distribution, numbering, rules, sealing, service
from officium.plugins.docs_outgoing.constants import (
    COUNTERSIGN_MODES,
    DIRECTIONS,
    DOC_TYPES,
    LABELS,
    STATES,
    URGENCIES,
)
from officium.plugins.docs_outgoing.models import Document, Number, Prefix, Signature, Version
from officium.plugins.docs_outgoing.numbering import NumberError
from officium.plugins.docs_outgoing.service import DRAFT, MANAGE, URL, VIEW, OutgoingError, SecrecyRefused
from officium.plugins.docs_outgoing.workflow import ISSUE, NUMBER, SEAL, STEP_TITLES

NUMBERS_URL = f"{URL}numbers"
PREFIXES_URL = f"{URL}prefixes"
REGISTER_URL = f"{URL}register"


def _perms(request: Request) -> frozenset[str]:
    return request.state.ctx.permissions


def _doc_or_404(request: Request) -> Document:
    doc = Document.get_or_none(Document.id == request.path_params["id"])
    if doc is None or not service.can_see(current_user(request), _perms(request), doc):
        raise HTTPException(404)
    return doc


def _run(request: Request, action: Callable[[], Any]) -> Any:
    with write_transaction(request.state.app.db):
        return action()


def _uploads(request: Request) -> dict[str, list[Any]]:
    form = request.state.form or {}
    found: dict[str, list[Any]] = {}
    for key, owner in (("body_file", service.BODY_FILE), ("attachments", service.ATTACHMENT)):
        raw = form.get(key)
        items = raw if isinstance(raw, list) else [raw]
        found[owner] = [u for u in items if isinstance(u, UploadFile) and u.filename]
    return found


def _upload_contents(uploads: dict[str, list[Any]]) -> list[tuple[str, bytes]]:
    contents = []
    for items in uploads.values():
        for upload in items:
            upload.file.seek(0)
            contents.append((upload.filename, upload.file.read()))
            upload.file.seek(0)
    return contents


def _refuse_secrecy(request: Request, exc: SecrecyRefused) -> None:
    from officium.core import secrecy

    secrecy.record_refusal(request, service.PLUGIN, exc.findings)


def _active_units() -> list[Unit]:
    return list(Unit.select().where(Unit.active == True).order_by(Unit.order, Unit.id))  # noqa: E712


def _form_context(request: Request, values: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    units = list(Unit.select().where(Unit.active == True).order_by(Unit.order, Unit.id))  # noqa: E712
    return {
        "values": values or {},
        "doc_types": [(t, t) for t in DOC_TYPES],
        "directions": list(DIRECTIONS.items()),
        "urgencies": list(URGENCIES.items()),
        "modes": list(COUNTERSIGN_MODES.items()),
        "units": [(str(u.id), u.name) for u in units if u.id != current_user(request).unit_id],
        "labels": LABELS,
        **extra,
    }


def _values_of(doc: Document) -> dict[str, Any]:
    values = {k: getattr(doc, k) for k in service.TEXT_LIMITS}
    values.update(
        doc_type=doc.doc_type,
        direction=doc.direction,
        urgency=doc.urgency,
        time_limit=doc.time_limit,
        written_date=doc.written_date,
        print_date=doc.print_date,
        body=doc.body,
        countersign_mode=doc.countersign_mode,
        countersign_units=[str(u) for u in doc.countersign_unit_ids()],
        signer=doc.signer.username if doc.signer_id else "",
    )
    return values


def _kept(request: Request) -> dict[str, Any]:
    form = request.state.form or {}
    kept = {k: v for k, v in form.items() if isinstance(v, str)}
    units = form.get("countersign_units", [])
    kept["countersign_units"] = units if isinstance(units, list) else [units]
    return kept


# ------------------------------------------------------------------------------------------- pages


def index(request: Request) -> Response:
    user = current_user(request)
    query = service.listing(user, _perms(request))
    q = request.query_params.get("q", "").strip()
    state = request.query_params.get("state", "")
    doc_type = request.query_params.get("doc_type", "")
    if q:
        query = query.where(Document.title.contains(q) | Document.doc_number.contains(q))
    if state in STATES:
        query = query.where(Document.state == state)
    if doc_type in DOC_TYPES:
        query = query.where(Document.doc_type == doc_type)
    query, sorting = sort_query(
        request,
        query,
        {"created": Document.created_at, "title": Document.title, "number": Document.doc_number},
        default="created",
        direction="desc",
    )
    return render(
        request,
        "docs_outgoing/index.html",
        listing=page_of(request, query),
        sorting=sorting,
        q=q,
        state=state,
        doc_type=doc_type,
        states=list(STATES.items()),
        doc_types=[(t, t) for t in DOC_TYPES],
        office=service.is_office(_perms(request)),
        breadcrumbs=[("局发文", "")],
    )


def new(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    if request.method == "GET":
        mark, name = service.default_issuer(app)
        values = {"issuer_mark": mark, "issuer_name": name, "direction": "down", "urgency": "normal"}
        return render(
            request,
            "docs_outgoing/form.html",
            **_form_context(request, values),
            errors={},
            doc=None,
            breadcrumbs=[("局发文", URL), ("拟稿", "")],
        )
    values, errors = service.parse_form(app, request.state.form, user)
    uploads = _uploads(request)
    status = 400
    if not errors:
        try:
            service.guard(values, _upload_contents(uploads))
            doc = _run(request, lambda: service.create(app, user, values, uploads, request))
        except SecrecyRefused as exc:
            _refuse_secrecy(request, exc)
            errors, status = exc.fields, 422
        except OutgoingError as exc:
            errors = exc.fields or {"": exc.message}
        else:
            flash(request, "草稿已保存（第 1 稿）。")
            return redirect(f"{URL}{doc.id}")
    return render(
        request,
        "docs_outgoing/form.html",
        status_code=status,
        **_form_context(request, _kept(request)),
        errors=errors,
        doc=None,
        breadcrumbs=[("局发文", URL), ("拟稿", "")],
    )


def edit(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    doc = _doc_or_404(request)
    allowed, _item = service.edit_item(doc, user)
    if not allowed:
        raise HTTPException(403)
    crumbs = [("局发文", URL), (doc.title, f"{URL}{doc.id}"), ("修改", "")]
    if request.method == "GET":
        return render(
            request,
            "docs_outgoing/form.html",
            **_form_context(request, _values_of(doc)),
            errors={},
            doc=doc,
            breadcrumbs=crumbs,
        )
    values, errors = service.parse_form(app, request.state.form, doc.drafter)
    uploads = _uploads(request)
    reason = form_value(request, "reason")
    status = 400
    if not errors:
        try:
            service.guard(values, _upload_contents(uploads))
            fresh = Document.get_by_id(doc.id)
            _fresh, substantive = _run(
                request, lambda: service.update(app, user, fresh, values, reason, uploads, request)
            )
        except SecrecyRefused as exc:
            _refuse_secrecy(request, exc)
            errors, status = exc.fields, 422
        except (OutgoingError, WorkflowError) as exc:
            errors = getattr(exc, "fields", None) or {"": exc.message}
        else:
            fresh = Document.get_by_id(doc.id)
            if substantive:
                flash(request, "已保存。签发后作了实质性修改，文件须重新签发。", "warn")
            else:
                flash(request, f"已保存（第 {fresh.version} 稿）。")
            return redirect(f"{URL}{doc.id}")
    return render(
        request,
        "docs_outgoing/form.html",
        status_code=status,
        **_form_context(request, _kept(request)),
        errors=errors,
        doc=doc,
        breadcrumbs=crumbs,
    )


def show(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    doc = _doc_or_404(request)
    instance = service.instance_of(doc)
    can_edit, item = service.edit_item(doc, user)
    contents = service.file_contents(app, doc)
    problems = {
        stage: rules.check(doc, stage, organ_names=service.organ_names(app), files=contents)
        for stage in ("review", "issue")
    }
    return render(
        request,
        "docs_outgoing/show.html",
        doc=doc,
        body_html=body_text.to_html(doc.body),
        panel=panel.panel_context(request, instance) if instance is not None else None,
        can_edit=can_edit,
        may_delete=service.may_delete(doc, user),
        item=item,
        step=instance.step if instance is not None and instance.state == "running" else "",
        step_title=STEP_TITLES.get(instance.step, "") if instance is not None else "",
        problems=problems,
        signatures=list(doc.signatures.order_by(Signature.id)),
        versions=list(doc.versions.order_by(Version.number.desc())),
        body_files=service.body_files(doc),
        attachments=service.attachment_files(doc),
        sealed=service.sealed_files(doc),
        prefixes=[
            p
            for p in Prefix.select().where(Prefix.active == True).order_by(Prefix.code)  # noqa: E712
            if not p.direction or p.direction == doc.direction
        ],
        may_number=item is not None and item.step == NUMBER and MANAGE in _perms(request),
        may_seal=item is not None and item.step == SEAL,
        may_distribute=item is not None and item.step == ISSUE and MANAGE in _perms(request),
        all_units=[(str(u.id), u.name) for u in _active_units()],
        receipts=distribution.receipts(doc),
        packages=distribution.packages(doc),
        incoming_enabled=distribution.incoming_enabled(app),
        seals_enabled=sealing.seals_enabled(app),
        usable_seals=sealing.usable_seals(app, doc),
        seal=sealing.seal_of(doc) if sealing.seals_enabled(app) else None,
        use_request=sealing.use_request_of(doc) if sealing.seals_enabled(app) else None,
        distributions=list(doc.distributions),
        labels=LABELS,
        directions=DIRECTIONS,
        urgencies=URGENCIES,
        states=STATES,
        modes=COUNTERSIGN_MODES,
        countersign_units=[Unit.get_by_id(u).name for u in doc.countersign_unit_ids()],
        breadcrumbs=[("局发文", URL), (doc.title, "")],
    )


def submit(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    doc = _doc_or_404(request)
    try:
        _run(request, lambda: service.submit(app, user, doc, request))
    except SecrecyRefused as exc:
        _refuse_secrecy(request, exc)
        flash(request, exc.message, "bad")
        return redirect(f"{URL}{doc.id}")
    except (OutgoingError, WorkflowError) as exc:
        flash(request, exc.message, "bad")
        return redirect(f"{URL}{doc.id}")
    flash(request, "已送核稿。")
    return redirect(f"{URL}{doc.id}")


def delete(request: Request) -> Response:
    """删除草稿 (the drafter, before 送核稿); anyone else gets 404."""
    app, user = request.state.app, current_user(request)
    doc = Document.get_or_none(Document.id == request.path_params["id"])
    if doc is None or doc.drafter_id != user.id:
        raise HTTPException(404)
    title = doc.title
    try:
        _run(request, lambda: service.delete_draft(app, user, doc, request))
    except OutgoingError as exc:
        flash(request, exc.message, "bad")
        return redirect(f"{URL}{doc.id}")
    flash(request, f"草稿《{title}》已删除。")
    return redirect(URL)


def versions(request: Request) -> Response:
    doc = _doc_or_404(request)
    all_versions = list(doc.versions.order_by(Version.number))
    numbers = [v.number for v in all_versions]
    a = _int(request.query_params.get("a"), numbers[-2] if len(numbers) > 1 else numbers[0] if numbers else 0)
    b = _int(request.query_params.get("b"), numbers[-1] if numbers else 0)
    by_number = {v.number: v for v in all_versions}
    old, new_ = by_number.get(a), by_number.get(b)
    field_changes = []
    if old is not None and new_ is not None:
        import json

        f_old, f_new = json.loads(old.fields), json.loads(new_.fields)
        field_changes = [
            (LABELS.get(k, k), f_old.get(k, ""), f_new.get(k, ""))
            for k in dict.fromkeys(list(f_old) + list(f_new))
            if f_old.get(k, "") != f_new.get(k, "")
        ]
    return render(
        request,
        "docs_outgoing/versions.html",
        doc=doc,
        versions=all_versions,
        a=a,
        b=b,
        old=old,
        new=new_,
        diff=body_text.diff_html(old.body, new_.body) if old is not None and new_ is not None else None,
        field_changes=field_changes,
        breadcrumbs=[("局发文", URL), (doc.title, f"{URL}{doc.id}"), ("修改痕迹", "")],
    )


def _int(raw: Any, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def assign_number(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    doc = _doc_or_404(request)
    item = service.open_item(doc, user)
    if item is None or item.step != NUMBER:
        flash(request, "只有编号登记步骤的办理人才能取号。", "bad")
        return redirect(f"{URL}{doc.id}")
    prefix = form_value(request, "prefix")
    try:
        number = _run(
            request, lambda: numbering.assign(app, Document.get_by_id(doc.id), prefix, user, request)
        )
    except NumberError as exc:
        flash(request, exc.message, "bad")
        return redirect(f"{URL}{doc.id}")
    flash(request, f"已登记文号：{number.number}。")
    return redirect(f"{URL}{doc.id}")


def _sealing_errors() -> tuple[type[Exception], ...]:
    """The refusals of 用印 (this module's and the seals plugin's), shown to the user rather than raised."""
    try:
        from officium.plugins.seals.service import SealError
    except ImportError:  # pragma: no cover - the seals plugin is part of the distribution
        return (sealing.SealingError,)
    return (sealing.SealingError, SealError)


def _seal_step(
    request: Request,
    step: str,
    refused: str,
    action: Callable[[Document, Any], Any],
    done: str,
    also: tuple[type[Exception], ...] = (),
) -> Response:
    """Run a 用印 action for the open item at ``step``; flash its refusal or ``done``; back to the document."""
    user = current_user(request)
    doc = _doc_or_404(request)
    item = service.open_item(doc, user)
    if item is None or item.step != step:
        flash(request, refused, "bad")
        return redirect(f"{URL}{doc.id}")
    try:
        _run(request, lambda: action(Document.get_by_id(doc.id), item))
    except (*_sealing_errors(), *also) as exc:
        flash(request, getattr(exc, "message", str(exc)), "bad")
    else:
        flash(request, done)
    return redirect(f"{URL}{doc.id}")


def seal_request(request: Request) -> Response:
    """申请用印 (the 编号登记 clerk, once the number is taken)."""
    app, user = request.state.app, current_user(request)
    return _seal_step(
        request,
        NUMBER,
        "只有编号登记步骤的办理人才能申请用印。",
        lambda doc, _item: sealing.request(
            app, doc, form_value(request, "seal"), user, form_value(request, "reason"), request
        ),
        "已提交用印申请，完成编号登记后转印章保管人用印。",
    )


def apply_seal(request: Request) -> Response:
    """用印 by the custodian: approve the request and seal the PDF."""
    app, user = request.state.app, current_user(request)
    return _seal_step(
        request,
        SEAL,
        "只有用印步骤的印章保管人才能用印。",
        lambda doc, _item: sealing.apply(app, doc, user, request),
        "已加盖电子印章，盖章文件已保存。请在流转面板中点击“同意”完成用印。",
    )


def reject_seal(request: Request) -> Response:
    """The custodian refuses the 用印申请: the document goes back to 编号登记 with the reason."""
    app, user = request.state.app, current_user(request)
    note = form_value(request, "note")

    def act(doc: Document, item: Any) -> None:
        if not note:
            raise sealing.SealingError("驳回用印申请时请写明理由。", "note")
        sealing.reject(app, doc, user, note, request)
        engine.return_(app, item.id, user, NUMBER, f"驳回用印申请：{note}", request)

    return _seal_step(
        request,
        SEAL,
        "只有用印步骤的印章保管人才能驳回用印申请。",
        act,
        "已驳回用印申请，文件退回编号登记。",
        also=(WorkflowError,),
    )


def pdf(request: Request) -> Response:
    """The 套红 PDF: the sealed file once sealed, else a preview rendered from the current version."""
    app = request.state.app
    doc = _doc_or_404(request)
    data = sealing.sealed_pdf(app, doc)
    if data is None:
        try:
            data = sealing.render(doc)
        except sealing.SealingError as exc:
            flash(request, exc.message, "bad")
            return redirect(f"{URL}{doc.id}")
    disposition = "inline" if request.query_params.get("download") != "1" else "attachment"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(sealing.pdf_name(doc))}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


def distribute(request: Request) -> Response:
    """分发 to internal units (the 核发/分发 step's handler)."""
    app, user = request.state.app, current_user(request)
    doc = _doc_or_404(request)
    item = service.open_item(doc, user)
    if item is None or item.step != ISSUE:
        flash(request, "只有核发/分发步骤的办理人才能分发。", "bad")
        return redirect(f"{URL}{doc.id}")
    raw = (request.state.form or {}).get("units", [])
    ids = [int(x) for x in (raw if isinstance(raw, list) else [raw]) if str(x).isdigit()]
    units = list(Unit.select().where(Unit.id.in_(ids or [0]) & (Unit.active == True)))  # noqa: E712
    try:
        made = _run(request, lambda: distribution.distribute_internal(app, doc, units, user, request))
    except distribution.DistributionError as exc:
        flash(request, exc.message, "bad")
    else:
        flash(request, f"已分发至{'、'.join(d.recipient for d in made)}的收文。")
    return redirect(f"{URL}{doc.id}")


def export(request: Request) -> Response:
    """对外分发: build and keep the exchange package for an external recipient."""
    app, user = request.state.app, current_user(request)
    doc = _doc_or_404(request)
    item = service.open_item(doc, user)
    if item is None or item.step != ISSUE:
        flash(request, "只有核发/分发步骤的办理人才能导出对外分发包。", "bad")
        return redirect(f"{URL}{doc.id}")
    try:
        _made, attachment = _run(
            request,
            lambda: distribution.export_external(app, doc, form_value(request, "recipient"), user, request),
        )
    except (distribution.DistributionError, sealing.SealingError) as exc:
        flash(request, exc.message, "bad")
        return redirect(f"{URL}{doc.id}")
    flash(request, f"已生成对外分发包“{attachment.filename}”，可在分发记录中下载。")
    return redirect(f"{URL}{doc.id}")


def import_page(request: Request) -> Response:
    """Import an external exchange package into a unit's 收文 (the office)."""
    app, user = request.state.app, current_user(request)
    errors: dict[str, str] = {}
    status = 200
    units = list(Unit.select().where(Unit.active == True).order_by(Unit.order, Unit.id))  # noqa: E712
    if request.method == "POST":
        upload = (request.state.form or {}).get("package")
        unit = Unit.get_or_none(Unit.id == _int(form_value(request, "unit"), 0))
        if unit is None:
            errors["unit"] = "请选择接收单位。"
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors["package"] = "请选择分发包（ZIP）。"
        if not errors:
            upload.file.seek(0)
            data = upload.file.read()
            try:
                incoming = _run(
                    request,
                    lambda: distribution.import_package(app, data, unit=unit, actor=user, request=request),
                )
            except distribution.DistributionError as exc:
                errors, status = {"package": exc.message}, 400
            except ValueError as exc:  # docs_incoming's IncomingError / SecrecyRefused
                if type(exc).__name__ == "SecrecyRefused":
                    from officium.core import secrecy

                    secrecy.record_refusal(request, service.PLUGIN, exc.findings)
                    status = 422
                else:
                    status = 400
                fields = getattr(exc, "fields", {}) or {}
                errors = {"package": "；".join(fields.values()) or getattr(exc, "message", str(exc))}
            else:
                flash(request, f"已导入{unit.name}收文，收文编号 {incoming.number}。")
                return redirect(incoming.url)
        else:
            status = 400
    return render(
        request,
        "docs_outgoing/import.html",
        status_code=status,
        errors=errors,
        units=[(str(u.id), u.name) for u in units],
        values=_kept(request) if request.method == "POST" else {},
        enabled=distribution.incoming_enabled(app),
        breadcrumbs=[("局发文", URL), ("导入外单位分发包", "")],
    )


def print_view(request: Request) -> Response:
    doc = _doc_or_404(request)
    return render(
        request,
        "docs_outgoing/print.html",
        doc=doc,
        paragraphs=body_text.parse(doc.body),
        attachments=body_text.attachment_names(doc.attachment_note),
        signatures=list(doc.signatures.order_by(Signature.id)),
        breadcrumbs=[("局发文", URL), (doc.title, f"{URL}{doc.id}"), ("打印", "")],
    )


def download(request: Request) -> Response:
    from officium.core import files

    doc = _doc_or_404(request)
    attachment = None
    for owner in (service.BODY_FILE, service.ATTACHMENT, service.SEALED, distribution.PACKAGE):
        attachment = files.get_attachment(service.PLUGIN, owner, doc.id, request.path_params["aid"])
        if attachment is not None:
            break
    if attachment is None:
        raise HTTPException(404)
    return files.download_response(
        request.state.app, attachment, inline=request.query_params.get("inline") == "1"
    )


# ------------------------------------------------------------------------------- office: 代字, numbers


def prefixes(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            _run(request, lambda: create_prefix(app, user, request.state.form, request))
        except NumberError as exc:
            errors, status = {exc.field or "": exc.message}, 400
        else:
            flash(request, "已添加机关代字。")
            return redirect(PREFIXES_URL)
    return render(
        request,
        "docs_outgoing/prefixes.html",
        status_code=status,
        items=list(Prefix.select().order_by(Prefix.active.desc(), Prefix.code)),
        errors=errors,
        values=_kept(request) if request.method == "POST" else {},
        directions=[("", "不限"), *list(DIRECTIONS.items())],
        direction_titles=DIRECTIONS,
        breadcrumbs=[("局发文", URL), ("机关代字", "")],
    )


def create_prefix(app: Any, user: User, data: dict[str, Any], request: Request | None = None) -> Prefix:
    code = str(data.get("code", "") or "").strip()
    message = numbering.check_prefix(code)
    if message:
        raise NumberError(message, field="code")
    if Prefix.select().where(Prefix.code == code).exists():
        raise NumberError("该机关代字已存在。", field="code")
    direction = str(data.get("direction", "") or "")
    if direction and direction not in DIRECTIONS:
        raise NumberError("行文方向不正确。", field="direction")
    description = str(data.get("description", "") or "").strip()[:200]
    prefix = Prefix.create(code=code, description=description, direction=direction, created_at=app.clock())
    audit.record(
        app,
        "docs_outgoing.prefix_add",
        actor=user,
        request=request,
        object_type="prefix",
        object_id=prefix.id,
        summary=f"添加机关代字 {code}",
    )
    return prefix


def toggle_prefix(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    prefix = Prefix.get_or_none(Prefix.id == request.path_params["id"])
    if prefix is None:
        raise HTTPException(404)
    prefix.active = not prefix.active
    prefix.save()
    verb = "启用" if prefix.active else "停用"
    audit.record(
        app,
        "docs_outgoing.prefix_toggle",
        actor=user,
        request=request,
        object_type="prefix",
        object_id=prefix.id,
        summary=f"{verb}机关代字 {prefix.code}",
    )
    flash(request, f"已{verb}机关代字 {prefix.code}。")
    return redirect(PREFIXES_URL)


def _numbers_query(request: Request) -> Any:
    query = Number.select()
    year = _int(request.query_params.get("year"), 0)
    if year:
        query = query.where(Number.year == year)
    prefix = request.query_params.get("prefix", "")
    if prefix:
        query = query.where(Number.prefix == prefix)
    if request.query_params.get("voided") == "1":
        query = query.where(Number.voided == True)  # noqa: E712
    return query.order_by(Number.year.desc(), Number.prefix, Number.seq.desc())


def numbers(request: Request, status_code: int = 200, **extra: Any) -> Response:
    return render(
        request,
        "docs_outgoing/numbers.html",
        status_code=status_code,
        listing=page_of(request, _numbers_query(request)),
        year=request.query_params.get("year", ""),
        prefix=request.query_params.get("prefix", ""),
        voided=request.query_params.get("voided", ""),
        prefixes=[(p.code, p.code) for p in Prefix.select().order_by(Prefix.code)],
        breadcrumbs=[("局发文", URL), ("文号登记与作废", "")],
        void_errors=extra.get("void_errors", {}),
        void_values=extra.get("void_values", {}),
    )


def void_number(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    number = Number.get_or_none(Number.id == request.path_params["id"])
    if number is None:
        raise HTTPException(404)
    try:
        _run(request, lambda: numbering.void(app, number, form_value(request, "reason"), user, request))
    except numbering.VoidReasonRefused as exc:
        from officium.core import secrecy

        secrecy.record_refusal(request, service.PLUGIN, exc.findings)
        return numbers(
            request,
            status_code=422,
            void_errors={number.id: exc.message},
            void_values={number.id: form_value(request, "reason")},
        )
    except NumberError as exc:
        flash(request, exc.message, "bad")
    else:
        flash(request, f"文号 {number.number} 已作废。")
    return redirect(NUMBERS_URL)


# ------------------------------------------------------------------------------------ 发文登记簿


REGISTER_HEADER = [
    "发文字号",
    "标题",
    "文种",
    "行文方向",
    "紧急程度",
    "拟稿单位",
    "拟稿人",
    "签发人",
    "成文日期",
    "主送机关",
    "抄送机关",
    "状态",
    "核发时间",
]


def _register_query(request: Request) -> tuple[Any, dict[str, str], dict[str, str]]:
    params = request.query_params
    filters = {k: params.get(k, "").strip() for k in ("q", "year", "doc_type", "unit", "state", "from", "to")}
    errors: dict[str, str] = {}
    query = Document.select().where(Document.state != "draft")
    if filters["q"]:
        query = query.where(
            Document.title.contains(filters["q"]) | Document.doc_number.contains(filters["q"])
        )
    if filters["year"]:
        if filters["year"].isdigit():
            query = query.where(Document.number_year == int(filters["year"]))
        else:
            errors["year"] = "年份应为四位数字。"
    if filters["doc_type"] in DOC_TYPES:
        query = query.where(Document.doc_type == filters["doc_type"])
    if filters["unit"].isdigit():
        query = query.where(Document.unit == int(filters["unit"]))
    if filters["state"] in STATES:
        query = query.where(Document.state == filters["state"])
    for key, op in (("from", "__ge__"), ("to", "__le__")):
        if filters[key]:
            try:
                day = date.fromisoformat(filters[key])
            except ValueError:
                errors[key] = "日期格式应为 YYYY-MM-DD。"
            else:
                query = query.where(getattr(Document.written_date, op)(day))
    return (
        query.order_by(
            Document.number_year.desc(), Document.prefix, Document.number_seq.desc(), Document.id.desc()
        ),
        filters,
        errors,
    )


def register_row(doc: Document) -> list[Any]:
    return [
        doc.doc_number,
        doc.title,
        doc.doc_type,
        DIRECTIONS.get(doc.direction, ""),
        URGENCIES.get(doc.urgency, ""),
        doc.unit.name,
        doc.drafter.name,
        doc.signer_name,
        doc.written_date.isoformat() if doc.written_date else "",
        doc.main_to,
        doc.cc,
        STATES.get(doc.state, doc.state),
        doc.issued_at.strftime("%Y-%m-%d %H:%M") if doc.issued_at else "",
    ]


def register(request: Request) -> Response:
    query, filters, errors = _register_query(request)
    if request.query_params.get("export") == "xlsx" and not errors:
        data = xlsx_bytes(REGISTER_HEADER, (register_row(d) for d in query), title="发文登记簿")
        audit.record(
            request.state.app,
            "docs_outgoing.register_export",
            actor=current_user(request),
            request=request,
            summary="导出发文登记簿",
        )
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": "attachment; filename*=UTF-8''%E5%8F%91%E6%96%87%E7%99%BB%E8%AE%B0%E7%B0%BF.xlsx"
            },
        )
    units = list(Unit.select().where(Unit.active == True).order_by(Unit.order, Unit.id))  # noqa: E712
    return render(
        request,
        "docs_outgoing/register.html",
        status_code=400 if errors else 200,
        listing=page_of(request, query),
        filters=filters,
        errors=errors,
        doc_types=[(t, t) for t in DOC_TYPES],
        states=[(k, v) for k, v in STATES.items() if k != "draft"],
        units=[(str(u.id), u.name) for u in units],
        directions=DIRECTIONS,
        state_titles=STATES,
        breadcrumbs=[("局发文", URL), ("发文登记簿", "")],
    )


# --------------------------------------------------------------------------------------------- API


def _api_doc(request: Request) -> Document:
    doc = Document.get_or_none(Document.id == request.path_params["id"])
    if doc is None or not service.can_see(current_user(request), _perms(request), doc):
        raise ApiError(404, "not_found", "找不到该发文。")
    return doc


def _api_data(request: Request) -> dict[str, Any]:
    data = request.state.json
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "请提交 JSON 对象。")
    return data


def _api_refuse(request: Request, exc: Exception) -> ApiError:
    if isinstance(exc, SecrecyRefused):
        _refuse_secrecy(request, exc)
        return ApiError(422, "secrecy_refused", exc.message, fields=exc.fields)
    if isinstance(exc, Conflict):
        return ApiError(409, "conflict", exc.message)
    if isinstance(exc, OutgoingError):
        return ApiError(400, "invalid", exc.message, fields=exc.fields or None)
    if isinstance(exc, NumberError):
        return ApiError(400, "invalid", exc.message, fields={exc.field: exc.message} if exc.field else None)
    return ApiError(400, "invalid", getattr(exc, "message", str(exc)))


def api_list(request: Request) -> Any:
    """Documents the caller may see, newest first (``?state=``, ``?q=``)."""
    query = service.listing(current_user(request), _perms(request))
    state = request.query_params.get("state", "")
    if state in STATES:
        query = query.where(Document.state == state)
    q = request.query_params.get("q", "").strip()
    if q:
        query = query.where(Document.title.contains(q) | Document.doc_number.contains(q))
    return paginate(request, query.order_by(Document.id.desc()), service.serialize)


def api_create(request: Request) -> Any:
    """拟稿: create a draft (version 1)."""
    app, user = request.state.app, current_user(request)
    values, errors = service.parse_form(app, _api_data(request), user)
    if errors:
        raise ApiError(400, "invalid", "提交的内容不正确。", fields=errors)
    try:
        service.guard(values)
        doc = service.create(app, user, values, None, request)
    except (OutgoingError, NumberError) as exc:
        raise _api_refuse(request, exc) from exc
    return JSONResponse(service.serialize(doc, full=True), status_code=201)


def api_show(request: Request) -> Any:
    """One document with all its 公文要素, paragraphs and signatures."""
    return service.serialize(_api_doc(request), full=True)


def api_update(request: Request) -> Any:
    """Revise: a new version (``reason`` required once submitted); substantive changes after 签发 go back to
    the signer."""
    app, user = request.state.app, current_user(request)
    doc = _api_doc(request)
    data = _api_data(request)
    merged = _values_of(doc) | {k: v for k, v in data.items() if k != "reason"}
    merged = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in merged.items()}
    values, errors = service.parse_form(app, merged, doc.drafter)
    if errors:
        raise ApiError(400, "invalid", "提交的内容不正确。", fields=errors)
    try:
        service.guard(values)
        doc, substantive = service.update(app, user, doc, values, str(data.get("reason", "")), None, request)
    except (OutgoingError, WorkflowError) as exc:
        raise _api_refuse(request, exc) from exc
    return service.serialize(Document.get_by_id(doc.id), full=True) | {"resign_required": substantive}


def api_submit(request: Request) -> Any:
    """送核稿: put the draft on the workflow."""
    app, user = request.state.app, current_user(request)
    doc = _api_doc(request)
    try:
        service.submit(app, user, doc, request)
    except (OutgoingError, WorkflowError) as exc:
        raise _api_refuse(request, exc) from exc
    return service.serialize(Document.get_by_id(doc.id))


def api_delete(request: Request) -> Any:
    """删除草稿: only the drafter, only before 送核稿 (409 after)."""
    app, user = request.state.app, current_user(request)
    doc = Document.get_or_none(Document.id == request.path_params["id"])
    if doc is None or doc.drafter_id != user.id:
        raise ApiError(404, "not_found", "找不到该发文。")
    try:
        service.delete_draft(app, user, doc, request)
    except OutgoingError as exc:
        raise ApiError(409, "conflict", exc.message) from exc
    return {"deleted": doc.id}


def api_versions(request: Request) -> Any:
    """Every saved version: number, author, time, reason."""
    doc = _api_doc(request)
    return {
        "items": [
            {
                "number": v.number,
                "author": v.author.username,
                "author_name": v.author.name,
                "at": v.at.isoformat(),
                "reason": v.reason,
            }
            for v in doc.versions.order_by(Version.number)
        ]
    }


def api_diff(request: Request) -> Any:
    """Line differences of the body between versions ``a`` and ``b``."""
    doc = _api_doc(request)
    by_number = {v.number: v for v in doc.versions}
    old = by_number.get(_int(request.query_params.get("a"), -1))
    new_ = by_number.get(_int(request.query_params.get("b"), -1))
    if old is None or new_ is None:
        raise ApiError(400, "invalid_query", "请用 a 和 b 指定两个存在的版本号。")
    return {
        "a": old.number,
        "b": new_.number,
        "lines": [
            {"op": d.op, "text": d.text, "old": d.old_no, "new": d.new_no}
            for d in body_text.diff(old.body, new_.body)
        ],
    }


def api_check(request: Request) -> Any:
    """The rule checks for ``?stage=review`` (复核, default) or ``issue`` (核发)."""
    app = request.state.app
    doc = _api_doc(request)
    stage = request.query_params.get("stage", "review")
    if stage not in rules.STAGES:
        raise ApiError(400, "invalid_query", "stage 只能是 review 或 issue。")
    problems = rules.check(
        doc, stage, organ_names=service.organ_names(app), files=service.file_contents(app, doc)
    )
    return {"stage": stage, "ok": not problems, "problems": [{"field": f, "message": m} for f, m in problems]}


def api_number(request: Request) -> Any:
    """编号登记: take the next 文号 of ``prefix`` (the handler of the 编号登记 step only)."""
    app, user = request.state.app, current_user(request)
    doc = _api_doc(request)
    item = service.open_item(doc, user)
    if item is None or item.step != NUMBER:
        raise ApiError(409, "conflict", "只有编号登记步骤的办理人才能取号。")
    try:
        number = numbering.assign(app, doc, str(_api_data(request).get("prefix", "")), user, request)
    except NumberError as exc:
        raise _api_refuse(request, exc) from exc
    return {"doc_number": number.number, "year": number.year, "seq": number.seq}


def number_dict(n: Number) -> dict[str, Any]:
    return {
        "id": n.id,
        "number": n.number,
        "prefix": n.prefix,
        "year": n.year,
        "seq": n.seq,
        "document_id": n.document_id,
        "assigned_at": n.assigned_at.isoformat(),
        "voided": n.voided,
        "void_reason": n.void_reason,
        "voided_at": n.voided_at.isoformat() if n.voided_at else None,
    }


def api_numbers(request: Request) -> Any:
    """Every 文号 given (``?year=``, ``?prefix=``, ``?voided=1`` for the register of voided numbers)."""
    return paginate(request, _numbers_query(request), number_dict)


def api_void(request: Request) -> Any:
    """Void a number with a ``reason``; it is never given again."""
    app, user = request.state.app, current_user(request)
    number = Number.get_or_none(Number.id == request.path_params["id"])
    if number is None:
        raise ApiError(404, "not_found", "找不到该文号。")
    try:
        return number_dict(
            numbering.void(app, number, str(_api_data(request).get("reason", "")), user, request)
        )
    except numbering.VoidReasonRefused as exc:
        from officium.core import secrecy

        secrecy.record_refusal(request, service.PLUGIN, exc.findings)
        raise ApiError(422, "secrecy_refused", exc.message, fields={"reason": exc.message}) from exc
    except NumberError as exc:
        raise _api_refuse(request, exc) from exc


def api_prefixes(request: Request) -> Any:
    """The 机关代字 configured by the office."""
    return {
        "items": [
            {
                "id": p.id,
                "code": p.code,
                "description": p.description,
                "direction": p.direction,
                "active": p.active,
            }
            for p in Prefix.select().order_by(Prefix.code)
        ]
    }


def api_add_prefix(request: Request) -> Any:
    """Add a 机关代字 (``code``, ``description``, ``direction``)."""
    app, user = request.state.app, current_user(request)
    try:
        prefix = create_prefix(app, user, _api_data(request), request)
    except NumberError as exc:
        raise _api_refuse(request, exc) from exc
    return JSONResponse({"id": prefix.id, "code": prefix.code}, status_code=201)


def api_toggle_prefix(request: Request) -> Any:
    """启用或停用一个机关代字 (``active``: true/false)."""
    app, user = request.state.app, current_user(request)
    prefix = Prefix.get_or_none(Prefix.id == request.path_params["id"])
    if prefix is None:
        raise ApiError(404, "not_found", "找不到该机关代字。")
    active = _api_data(request).get("active")
    if not isinstance(active, bool):
        raise ApiError(
            400,
            "invalid",
            "请用 active（true 或 false）指明启用或停用。",
            fields={"active": "应为 true 或 false。"},
        )
    prefix.active = active
    prefix.save()
    verb = "启用" if active else "停用"
    audit.record(
        app,
        "docs_outgoing.prefix_toggle",
        actor=user,
        request=request,
        object_type="prefix",
        object_id=prefix.id,
        summary=f"{verb}机关代字 {prefix.code}",
    )
    return {"id": prefix.id, "code": prefix.code, "active": prefix.active}


def api_register(request: Request) -> Any:
    """发文登记簿 with the page's filters (``q``, ``year``, ``doc_type``, ``unit``, ``state``, ``from``, ``to``)."""
    query, _filters, errors = _register_query(request)
    if errors:
        raise ApiError(400, "invalid_query", "筛选条件不正确。", fields=errors)
    return paginate(
        request, query, lambda d: dict(zip(REGISTER_HEADER, register_row(d), strict=True)) | {"id": d.id}
    )


def _api_item_at(request: Request, doc: Document, step: str, what: str) -> Any:
    item = service.open_item(doc, current_user(request))
    if item is None or item.step != step:
        raise ApiError(409, "conflict", f"只有{STEP_TITLES[step]}步骤的办理人才能{what}。")
    return item


def _api_sealing(exc: Exception) -> ApiError:
    status = getattr(exc, "status", 400)
    code = getattr(exc, "code", "invalid")
    return ApiError(status, code, getattr(exc, "message", str(exc)))


def api_seal_request(request: Request) -> Any:
    """申请用印 with ``seal`` (id) and ``reason`` (the 编号登记 handler, once numbered)."""
    app, user = request.state.app, current_user(request)
    doc = _api_doc(request)
    _api_item_at(request, doc, NUMBER, "申请用印")
    data = _api_data(request)
    try:
        use = sealing.request(app, doc, data.get("seal"), user, str(data.get("reason", "")), request)
    except _sealing_errors() as exc:
        raise _api_sealing(exc) from exc
    return {"use_request": use.id, "sha256": use.sha256, "state": use.state}


def api_seal(request: Request) -> Any:
    """用印 by the custodian: approve and apply the seal; the sealed PDF becomes an attachment."""
    app, user = request.state.app, current_user(request)
    doc = _api_doc(request)
    _api_item_at(request, doc, SEAL, "用印")
    try:
        attachment = sealing.apply(app, doc, user, request)
    except _sealing_errors() as exc:
        raise _api_sealing(exc) from exc
    return {
        "sealed_at": Document.get_by_id(doc.id).sealed_at.isoformat(),
        "file": attachment.id,
        "url": f"{URL}{doc.id}/pdf",
    }


def api_seal_reject(request: Request) -> Any:
    """The custodian refuses the 用印申请 (``note`` required): back to 编号登记."""
    app, user = request.state.app, current_user(request)
    doc = _api_doc(request)
    item = _api_item_at(request, doc, SEAL, "驳回用印申请")
    note = str(_api_data(request).get("note", "")).strip()
    if not note:
        raise ApiError(400, "invalid", "驳回用印申请时请写明理由。", fields={"note": "请写明理由。"})
    try:
        sealing.reject(app, doc, user, note, request)
        engine.return_(app, item.id, user, NUMBER, f"驳回用印申请：{note}", request)
    except _sealing_errors() as exc:
        raise _api_sealing(exc) from exc
    return service.serialize(Document.get_by_id(doc.id))


def api_distribute(request: Request) -> Any:
    """分发 to internal units (``units``: ids); each gets a registered copy in its 收文."""
    app, user = request.state.app, current_user(request)
    doc = _api_doc(request)
    _api_item_at(request, doc, ISSUE, "分发")
    raw = _api_data(request).get("units") or []
    ids = [int(x) for x in raw if str(x).isdigit()] if isinstance(raw, list) else []
    units = list(Unit.select().where(Unit.id.in_(ids or [0]) & (Unit.active == True)))  # noqa: E712
    if len(units) != len(set(ids)):
        raise ApiError(
            400, "invalid", "分发单位不存在或已停用。", fields={"units": "分发单位不存在或已停用。"}
        )
    try:
        made = distribution.distribute_internal(app, doc, units, user, request)
    except distribution.DistributionError as exc:
        raise ApiError(
            400, "invalid", exc.message, fields={exc.field: exc.message} if exc.field else None
        ) from exc
    return {"items": [{"unit": d.unit_id, "incoming": int(d.incoming_ref)} for d in made]}


def api_export(request: Request) -> Any:
    """对外分发: build the exchange package for ``recipient``; returns its download URL."""
    app, user = request.state.app, current_user(request)
    doc = _api_doc(request)
    _api_item_at(request, doc, ISSUE, "导出对外分发包")
    try:
        made, attachment = distribution.export_external(
            app, doc, str(_api_data(request).get("recipient", "")), user, request
        )
    except (distribution.DistributionError, sealing.SealingError) as exc:
        field = getattr(exc, "field", "")
        raise ApiError(400, "invalid", exc.message, fields={field: exc.message} if field else None) from exc
    return {"sha256": made.package_sha256, "url": f"{URL}{doc.id}/files/{attachment.id}"}


ROUTES = [
    Page("/", index, "index", VIEW),
    Page("/new", new, "new", DRAFT, methods=("GET", "POST")),
    Page("/{id:int}", show, "show", VIEW),
    Page("/{id:int}/edit", edit, "edit", VIEW, methods=("GET", "POST")),
    Page("/{id:int}/submit", submit, "submit", DRAFT, methods=("POST",)),
    Page("/{id:int}/delete", delete, "delete", DRAFT, methods=("POST",)),
    Page("/{id:int}/versions", versions, "versions", VIEW),
    Page("/{id:int}/number", assign_number, "number", MANAGE, methods=("POST",)),
    Page("/{id:int}/print", print_view, "print", VIEW),
    Page("/{id:int}/pdf", pdf, "pdf", VIEW),
    Page("/{id:int}/seal-request", seal_request, "seal_request", MANAGE, methods=("POST",)),
    Page("/{id:int}/seal", apply_seal, "seal", VIEW, methods=("POST",)),
    Page("/{id:int}/seal-reject", reject_seal, "seal_reject", VIEW, methods=("POST",)),
    Page("/{id:int}/distribute", distribute, "distribute", MANAGE, methods=("POST",)),
    Page("/{id:int}/export", export, "export", MANAGE, methods=("POST",)),
    Page("/import", import_page, "import", MANAGE, methods=("GET", "POST")),
    Page("/{id:int}/files/{aid:int}", download, "download", VIEW),
    Page("/prefixes", prefixes, "prefixes", MANAGE, methods=("GET", "POST")),
    Page("/prefixes/{id:int}/toggle", toggle_prefix, "toggle_prefix", MANAGE, methods=("POST",)),
    Page("/numbers", numbers, "numbers", MANAGE),
    Page("/numbers/{id:int}/void", void_number, "void_number", MANAGE, methods=("POST",)),
    Page("/register", register, "register", MANAGE),
    Api("/documents", api_list, "documents", VIEW, summary="列出可见的发文"),
    Api("/documents", api_create, "create", DRAFT, methods=("POST",), summary="拟稿"),
    Api("/documents/{id:int}", api_show, "document", VIEW, summary="发文详情"),
    Api(
        "/documents/{id:int}", api_update, "update", VIEW, methods=("POST",), summary="修改发文（保存新版本）"
    ),
    Api("/documents/{id:int}/submit", api_submit, "submit", DRAFT, methods=("POST",), summary="送核稿"),
    Api(
        "/documents/{id:int}",
        api_delete,
        "delete",
        DRAFT,
        methods=("DELETE",),
        summary="删除草稿（送核稿前）",
    ),
    Api("/documents/{id:int}/versions", api_versions, "versions", VIEW, summary="正文版本"),
    Api("/documents/{id:int}/diff", api_diff, "diff", VIEW, summary="两个版本的正文差异"),
    Api("/documents/{id:int}/check", api_check, "check", VIEW, summary="复核、核发前的规则检查"),
    Api("/documents/{id:int}/number", api_number, "number", MANAGE, methods=("POST",), summary="编号登记"),
    Api(
        "/documents/{id:int}/seal-request",
        api_seal_request,
        "seal_request",
        MANAGE,
        methods=("POST",),
        summary="申请用印",
    ),
    Api("/documents/{id:int}/seal", api_seal, "seal", VIEW, methods=("POST",), summary="用印（印章保管人）"),
    Api(
        "/documents/{id:int}/seal-reject",
        api_seal_reject,
        "seal_reject",
        VIEW,
        methods=("POST",),
        summary="驳回用印申请（印章保管人）",
    ),
    Api(
        "/documents/{id:int}/distribute",
        api_distribute,
        "distribute",
        MANAGE,
        methods=("POST",),
        summary="分发至内部单位收文",
    ),
    Api(
        "/documents/{id:int}/export",
        api_export,
        "export",
        MANAGE,
        methods=("POST",),
        summary="导出对外分发包",
    ),
    Api("/numbers", api_numbers, "numbers", MANAGE, summary="文号登记（含作废）"),
    Api("/numbers/{id:int}/void", api_void, "void", MANAGE, methods=("POST",), summary="作废文号"),
    Api("/prefixes", api_prefixes, "prefixes", MANAGE, summary="机关代字"),
    Api("/prefixes", api_add_prefix, "add_prefix", MANAGE, methods=("POST",), summary="添加机关代字"),
    Api(
        "/prefixes/{id:int}",
        api_toggle_prefix,
        "toggle_prefix",
        MANAGE,
        methods=("POST",),
        summary="启用或停用机关代字",
    ),
    Api("/register", api_register, "register", MANAGE, summary="发文登记簿"),
]
