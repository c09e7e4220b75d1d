"""用印 and 套红: the bridge to the seals plugin and the 套红 renderer (officium.plugins.docs_outgoing.redhead).

The 编号登记 clerk files a 用印申请 for the exact PDF that will be sealed (``render_pdf`` of the numbered
document with the seal's picture over the 署名/成文日期; deterministic, so its SHA-256 is known in advance).
The seal's custodian — the handler of the 用印 step, never a delegate — approves it and applies the seal;
the sealed PDF is stored as an attachment of the document (owner type ``sealed``).  Any change to the
document after the request makes the hashes differ, and the seals service refuses to seal it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from officium.core import audit
from officium.core.identity.models import RoleGrant, Unit, User
from officium.plugins.docs_outgoing import body as body_text

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp
    from officium.plugins.docs_outgoing.models import Document

URGENCY_WORDS = {"urgent": "加急", "very_urgent": "特急"}


class SealingError(ValueError):
    """用印 cannot be done as asked; the message says why, in Chinese."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def seals_enabled(app: OfficiumApp) -> bool:
    return any(p.name == "seals" for p in app.plugins)


def _seals() -> Any:
    from officium.plugins.seals import service

    return service


def _units_up(unit: Unit | None) -> list[Unit]:
    chain, seen = [], set()
    while unit is not None and unit.id not in seen:
        chain.append(unit)
        seen.add(unit.id)
        unit = unit.parent
    return chain


def usable_seals(app: OfficiumApp, doc: Document) -> list[Any]:
    """Valid seals of the drafting unit and of the units above it (the bureau's 公章), nearest first."""
    if not seals_enabled(app):
        return []
    today = app.clock().date()
    found = []
    for unit in _units_up(doc.unit):
        found.extend(_seals().seals_for_unit(unit, on=today))
    return found


def seal_of(doc: Document) -> Any:
    if doc.seal_id is None:
        return None
    from officium.plugins.seals.models import Seal

    return Seal.get_or_none(Seal.id == doc.seal_id)


def use_request_of(doc: Document) -> Any:
    if doc.use_request_id is None:
        return None
    from officium.plugins.seals.models import UseRequest

    return UseRequest.get_or_none(UseRequest.id == doc.use_request_id)


def custodians(app: OfficiumApp, doc: Document) -> list[User]:
    """Who handles 用印: the custodian of the seal asked for; the office when no seal is chosen yet."""
    seal = seal_of(doc) if seals_enabled(app) else None
    if seal is not None:
        return [_seals().custodian_of(seal)]
    from officium.plugins.docs_outgoing.workflow import OFFICE_ROLE

    return list(
        User.select()
        .join(RoleGrant, on=(RoleGrant.user == User.id))
        .where((RoleGrant.role == OFFICE_ROLE) & (User.status == "active"))
        .order_by(User.id)
        .distinct()
    )


# --------------------------------------------------------------------------------------------- 套红


def redhead_document(doc: Document) -> Any:
    """The document in the renderer's terms."""
    from officium.plugins.docs_outgoing.redhead import Paragraph, RedheadDocument

    levels = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "p": 0}
    return RedheadDocument(
        copy_no=doc.copy_no,
        urgency=URGENCY_WORDS.get(doc.urgency, ""),
        issuer_mark=doc.issuer_mark,
        doc_number=doc.doc_number,
        signer=doc.signer_name,
        upward=doc.direction == "up",
        title=doc.title,
        main_recipients=doc.main_to,
        body=[Paragraph(p.text, levels[p.kind]) for p in body_text.parse(doc.body)],
        attachments=body_text.attachment_names(doc.attachment_note),
        issuer_name=doc.issuer_name,
        date_written=doc.written_date,
        note=doc.remark,
        cc=doc.cc,
        printer=doc.printer,
        print_date=doc.print_date,
    )


#: Recent renderings by content: the renderer is deterministic and takes seconds (CJK font subsetting),
#: and the same PDF is rendered for the 用印申请's hash, for sealing and for the preview.
_RENDERED: OrderedDict[str, bytes] = OrderedDict()
_RENDERED_MAX = 16


def render(doc: Document, seal: Any = None) -> bytes:
    """The 套红 PDF of the document, with ``seal``'s picture when given (raises SealingError without a font)."""
    from officium.plugins.docs_outgoing.redhead import FontMissing, render_pdf

    picture = _seals().seal_image_png(seal) if seal is not None else None
    content = redhead_document(doc)
    key = hashlib.sha256(repr(content).encode() + b"\0" + (picture or b"")).hexdigest()
    if key in _RENDERED:
        _RENDERED.move_to_end(key)
        return _RENDERED[key]
    try:
        data = render_pdf(content, picture)
    except FontMissing as exc:
        raise SealingError(exc.message) from exc
    _RENDERED[key] = data
    while len(_RENDERED) > _RENDERED_MAX:
        _RENDERED.popitem(last=False)
    return data


def pdf_name(doc: Document) -> str:
    return f"{doc.doc_number or '发文'}{doc.title[:40]}.pdf"


# --------------------------------------------------------------------------------------------- 用印


def request(
    app: OfficiumApp, doc: Document, seal_id: Any, user: User, reason: str = "", http: Request | None = None
) -> Any:
    """申请用印 for the numbered document with the chosen seal (the 编号登记 clerk)."""
    if not seals_enabled(app):
        raise SealingError("本站点未启用电子印章模块。")
    if not doc.doc_number:
        raise SealingError("请先编号登记，再申请用印。")
    if use_request_of(doc) is not None and use_request_of(doc).state in ("pending", "approved"):
        raise SealingError("该文件已有待处理的用印申请。")
    seal = next((s for s in usable_seals(app, doc) if str(s.id) == str(seal_id)), None)
    if seal is None:
        raise SealingError("请选择本单位或上级单位的有效印章。", field="seal")
    pdf = render(doc, seal)
    digest = hashlib.sha256(pdf).hexdigest()
    use = _seals().request_use(
        app,
        seal,
        owner=("docs_outgoing", "document", doc.id),
        version=doc.version,
        sha256=digest,
        requester=user,
        reason=reason.strip() or f"局发文 {doc.doc_number} 用印",
        title=doc.title,
        file_name=pdf_name(doc),
        request=http,
    )
    doc.seal_id, doc.use_request_id, doc.pdf_sha256 = seal.id, use.id, digest
    doc.save()
    return use


def withdraw_request(app: OfficiumApp, doc: Document, user: User) -> None:
    """The document changed: its 用印申请 no longer matches; cancel it when the user filed it."""
    use = use_request_of(doc)
    if use is not None and use.state in ("pending", "approved") and use.requester_id == user.id:
        _seals().cancel_use(app, use, user)
    doc.use_request_id, doc.pdf_sha256 = None, ""
    doc.save()


def apply(app: OfficiumApp, doc: Document, user: User, http: Request | None = None) -> Any:
    """The custodian approves (when still pending) and applies the seal; the sealed PDF becomes an
    attachment of the document.  Returns the attachment."""
    from officium.core import files
    from officium.plugins.docs_outgoing.service import PLUGIN, SEALED

    seals = _seals()
    use = use_request_of(doc)
    if use is None:
        raise SealingError("没有待用印的申请：请退回编号登记步骤申请用印。")
    if use.state == "pending":
        seals.approve_use(app, use, user, request=http)
        use = use_request_of(doc)
    sealed = seals.apply_seal(app, use, render(doc, seal_of(doc)), user, request=http)
    attachment = files.save_upload(
        app,
        (pdf_name(doc), sealed),
        owner=(PLUGIN, SEALED, doc.id),
        user=user,
        allowed_extensions=("pdf",),
        max_bytes=50 * 1024 * 1024,
    )
    doc.sealed_at = app.clock()
    doc.sealed_file_id = attachment.id
    doc.save()
    from officium.plugins.docs_outgoing import feed

    feed.update(app, doc)
    audit.record(
        app,
        "docs_outgoing.seal",
        actor=user,
        request=http,
        object_type="document",
        object_id=doc.id,
        summary=f"用印《{doc.title}》（{doc.doc_number}）",
    )
    return attachment


def reject(app: OfficiumApp, doc: Document, user: User, note: str, http: Request | None = None) -> None:
    use = use_request_of(doc)
    if use is None:
        raise SealingError("没有待处理的用印申请。")
    _seals().reject_use(app, use, user, note, request=http)
    doc.use_request_id, doc.pdf_sha256 = None, ""
    doc.save()


def sealed_pdf(app: OfficiumApp, doc: Document) -> bytes | None:
    from officium.core import files

    if doc.sealed_file_id is None:
        return None
    attachment = files.Attachment.get_or_none(files.Attachment.id == doc.sealed_file_id)
    return files.read_bytes(app, attachment) if attachment is not None else None
