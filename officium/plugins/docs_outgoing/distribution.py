"""核发/分发: to the bureau's own units (into their 收文 queue) and to external recipients (an exchange
package another Officium site imports into its 收文).

The exchange package is a ZIP:

- ``document.pdf`` — the sealed 套红 PDF (or the unsealed rendering when the site has no seals module);
- ``metadata.json`` — format ``officium-outgoing/1``: the 公文要素, the body paragraphs, the sender, the
  recipient, and the SHA-256 and size of every other member;
- ``attachments/<name>`` — the document's 附件;
- ``signature.json`` — the seal's signature record (GB/T 38540 shaped, from the seals module) and the hash
  of ``document.pdf``; ``{"sealed": false}`` when not sealed.

:func:`import_package` checks a package (format, member names, hashes, the seal when the seals module is
enabled) and registers it in a unit's 收文 through ``docs_incoming.service.register``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from officium.core import audit
from officium.core.identity.models import Unit, User
from officium.plugins.docs_outgoing import body as body_text
from officium.plugins.docs_outgoing import sealing
from officium.plugins.docs_outgoing.constants import DIRECTIONS
from officium.plugins.docs_outgoing.models import Distribution, Document

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

FORMAT = "officium-outgoing/1"
PACKAGE = "package"  # owner_type of stored exchange packages
MAX_PACKAGE = 100 * 1024 * 1024
MAX_MEMBERS = 200


class DistributionError(ValueError):
    """分发 or import refused; the message says why, in Chinese."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def incoming_enabled(app: OfficiumApp) -> bool:
    return any(p.name == "docs_incoming" for p in app.plugins)


def _ready(app: OfficiumApp, doc: Document) -> None:
    if doc.signed_version is None:
        raise DistributionError("文件尚未签发（或签发后有实质性修改），不能分发。")
    if not doc.doc_number:
        raise DistributionError("文件尚未编号登记，不能分发。")
    if sealing.seals_enabled(app) and doc.sealed_at is None:
        raise DistributionError("文件尚未用印，不能分发。")


def _holding_a_copy(doc: Document, units: list[Unit]) -> list[Unit]:
    """The chosen units whose 收文 already holds a live copy of ``doc`` (one not returned to us or closed):
    distributing again would register the same document twice in their register."""
    from officium.plugins.docs_incoming.service import incoming_for_source

    live = {
        copy.unit_id
        for copy in incoming_for_source("docs_outgoing", "document", doc.id)
        if copy.status not in ("returned", "closed")
    }
    return [unit for unit in units if unit.id in live]


def _files_of(doc: Document) -> list[Any]:
    from officium.core import files
    from officium.plugins.docs_outgoing.service import ATTACHMENT, BODY_FILE, PLUGIN, SEALED

    found = []
    for owner in (SEALED, BODY_FILE, ATTACHMENT):
        found.extend(files.attachments_of(PLUGIN, owner, doc.id))
    return found


def distribute_internal(
    app: OfficiumApp, doc: Document, units: Iterable[Unit], user: User, request: Request | None = None
) -> list[Distribution]:
    """Send the issued document to each unit's 收文 (registered, 待初审, linked to this original)."""
    if not incoming_enabled(app):
        raise DistributionError("本站点未启用收文管理模块，不能向内部单位分发。")
    from officium.plugins.docs_incoming.service import IntakeError, receive_internal

    _ready(app, doc)
    units = list(units)
    if not units:
        raise DistributionError("请选择要分发的单位。", field="units")
    already = _holding_a_copy(doc, units)
    if already:
        raise DistributionError(
            f"已分发至{'、'.join(u.name for u in already)}的收文，不能重复分发"
            "（对方退回或终止办理后可以再次分发）。",
            field="units",
        )
    attachments = _files_of(doc)
    made = []
    for unit in units:
        try:
            incoming = receive_internal(
                app,
                unit=unit,
                title=doc.title,
                from_unit=doc.issuer_name or doc.unit.name,
                doc_number=doc.doc_number,
                doc_type=doc.doc_type,
                urgency=doc.urgency,
                attachments=attachments,
                source=("docs_outgoing", "document", doc.id),
                actor=user,
                due_date=doc.time_limit,
                request=request,
            )
        except IntakeError as exc:
            raise DistributionError(f"分发到{unit.name}失败：{exc.message}") from exc
        made.append(
            Distribution.create(
                document=doc,
                kind="internal",
                unit=unit,
                recipient=unit.name,
                incoming_ref=str(incoming.id),
                by=user,
                at=app.clock(),
            )
        )
    audit.record(
        app,
        "docs_outgoing.distribute",
        actor=user,
        request=request,
        object_type="document",
        object_id=doc.id,
        summary=f"分发《{doc.title}》（{doc.doc_number}）至{'、'.join(u.name for u in units)}",
    )
    return made


def receipts(doc: Document) -> list[dict[str, Any]]:
    """Where each internal copy stands in the recipient's 收文 (for the 分发 view)."""
    rows = []
    for d in doc.distributions.where(Distribution.kind == "internal"):
        status = ""
        try:
            from officium.plugins.docs_incoming.constants import STATUSES
            from officium.plugins.docs_incoming.models import IncomingDocument

            incoming = IncomingDocument.get_or_none(IncomingDocument.id == int(d.incoming_ref or 0))
            status = STATUSES.get(incoming.status, incoming.status) if incoming is not None else ""
        except Exception:  # the 收文 module may have been disabled since: its tables are not ours
            status = ""
        rows.append({"unit": d.recipient, "at": d.at, "status": status})
    return rows


def packages(doc: Document) -> list[Any]:
    """The stored exchange packages of the document (for download from the 分发 records)."""
    from officium.core import files
    from officium.plugins.docs_outgoing.service import PLUGIN

    return files.attachments_of(PLUGIN, PACKAGE, doc.id)


# ------------------------------------------------------------------------------------ external package


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe_name(name: str) -> str:
    return name.replace("/", "_").replace("\\", "_").strip() or "附件"


def build_package(app: OfficiumApp, doc: Document, recipient: str) -> bytes:
    """The exchange package (ZIP bytes) of an issued document for ``recipient``."""
    from officium.core import files
    from officium.plugins.docs_outgoing.service import ATTACHMENT, PLUGIN

    pdf = sealing.sealed_pdf(app, doc)
    sealed = pdf is not None
    if pdf is None:
        pdf = sealing.render(doc)
    members: dict[str, bytes] = {"document.pdf": pdf}
    for attachment in files.attachments_of(PLUGIN, ATTACHMENT, doc.id):
        name = f"attachments/{_safe_name(attachment.filename)}"
        while name in members:
            name = name.replace("attachments/", "attachments/_", 1)
        members[name] = files.read_bytes(app, attachment)
    signature: dict[str, Any] = {"sealed": sealed, "document_sha256": _sha(pdf)}
    use = sealing.use_request_of(doc) if sealed else None
    if use is not None:
        signature["record"] = json.loads(use.signature) if use.signature else None
        signature["seal"] = use.seal.name
    members["signature.json"] = json.dumps(signature, ensure_ascii=False, indent=2).encode()
    metadata = {
        "format": FORMAT,
        "site": app.config.site_name,
        "recipient": recipient,
        "exported_at": app.clock().isoformat(timespec="seconds"),
        "title": doc.title,
        "doc_number": doc.doc_number,
        "doc_type": doc.doc_type,
        "direction": DIRECTIONS.get(doc.direction, ""),
        "urgency": doc.urgency,
        "time_limit": doc.time_limit.isoformat() if doc.time_limit else "",
        "issuer_mark": doc.issuer_mark,
        "issuer_name": doc.issuer_name,
        "signer_name": doc.signer_name,
        "main_to": doc.main_to,
        "cc": doc.cc,
        "attachment_note": doc.attachment_note,
        "written_date": doc.written_date.isoformat() if doc.written_date else "",
        "paragraphs": [p.as_dict() for p in body_text.parse(doc.body)],
        "files": {name: {"sha256": _sha(data), "size": len(data)} for name, data in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata, ensure_ascii=False, indent=2))
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def export_external(
    app: OfficiumApp, doc: Document, recipient: str, user: User, request: Request | None = None
) -> tuple[Distribution, Any]:
    """Record an external 分发 and keep its package as an attachment; returns (distribution, attachment)."""
    from officium.core import files
    from officium.plugins.docs_outgoing.service import PLUGIN

    recipient = recipient.strip()
    if not recipient:
        raise DistributionError("请填写对外分发的收文单位。", field="recipient")
    if len(recipient) > 200:
        raise DistributionError("收文单位名称不超过 200 字。", field="recipient")
    _ready(app, doc)
    data = build_package(app, doc, recipient)
    attachment = files.save_upload(
        app,
        (f"{doc.doc_number}-{_safe_name(recipient)[:40]}.zip", data),
        owner=(PLUGIN, PACKAGE, doc.id),
        user=user,
        allowed_extensions=("zip",),
        max_bytes=MAX_PACKAGE,
    )
    made = Distribution.create(
        document=doc,
        kind="external",
        recipient=recipient,
        package_sha256=_sha(data),
        incoming_ref=str(attachment.id),
        by=user,
        at=app.clock(),
    )
    audit.record(
        app,
        "docs_outgoing.export",
        actor=user,
        request=request,
        object_type="document",
        object_id=doc.id,
        summary=f"导出《{doc.title}》（{doc.doc_number}）对外分发包：{recipient}",
    )
    return made, attachment


def read_package(app: OfficiumApp, data: bytes) -> tuple[dict[str, Any], dict[str, bytes], dict[str, Any]]:
    """Open and check a package: (metadata, members, signature).  Raises DistributionError."""
    if len(data) > MAX_PACKAGE:
        raise DistributionError("分发包过大。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_PACKAGE:
            raise DistributionError("分发包内容过多或过大。")
        names = [i.filename for i in infos]
        if any(n.startswith("/") or ".." in n.split("/") or "\\" in n for n in names):
            raise DistributionError("分发包中有不安全的文件名。")
        if "metadata.json" not in names or "document.pdf" not in names:
            raise DistributionError("不是局发文分发包：缺少 metadata.json 或 document.pdf。")
        metadata = json.loads(archive.read("metadata.json"))
        members = {n: archive.read(n) for n in names if n != "metadata.json" and not n.endswith("/")}
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, KeyError) as exc:
        raise DistributionError("分发包已损坏，无法读取。") from exc
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise DistributionError(f"分发包格式不支持（应为 {FORMAT}）。")
    listed = metadata.get("files") or {}
    if set(listed) != set(members):
        raise DistributionError("分发包的文件清单与内容不一致，可能被改动过。")
    for name, content in members.items():
        if listed[name].get("sha256") != _sha(content):
            raise DistributionError(f"分发包中的“{name}”与清单的摘要不一致，可能被改动过。")
    signature = json.loads(members.get("signature.json", b"{}") or b"{}")
    if signature.get("document_sha256") and signature["document_sha256"] != _sha(members["document.pdf"]):
        raise DistributionError("正文 PDF 与签章记录的摘要不一致，可能被改动过。")
    if signature.get("sealed") and sealing.seals_enabled(app):
        result = sealing._seals().verify_pdf(app, members["document.pdf"])
        # Another site's seal is accepted when every check passed except that its seal maker is not on this
        # site's trusted list; any broken signature, key or hash is refused.
        if not result.ok and result.code != "untrusted_maker":
            raise DistributionError(f"电子印章验证未通过：{result.message}")
    return metadata, members, signature


def import_package(
    app: OfficiumApp,
    data: bytes,
    *,
    unit: Unit,
    actor: User,
    confirm_duplicate: bool = False,
    request: Request | None = None,
) -> Any:
    """Register an external exchange package in ``unit``'s 收文 (docs_incoming must be enabled); returns the
    incoming document.  Raises DistributionError, or docs_incoming's IncomingError / SecrecyRefused."""
    if not incoming_enabled(app):
        raise DistributionError("本站点未启用收文管理模块，不能导入分发包。")
    from officium.plugins.docs_incoming.constants import NOT_CLASSIFIED
    from officium.plugins.docs_incoming.service import register

    metadata, members, _signature = read_package(app, data)
    uploads = [
        ("正文.pdf" if n == "document.pdf" else n.split("/")[-1], c)
        for n, c in members.items()
        if n != "signature.json"
    ]
    fields = {
        "title": str(metadata.get("title", "")),
        "from_unit": str(metadata.get("issuer_name") or metadata.get("site") or ""),
        "doc_number": str(metadata.get("doc_number", "")),
        "doc_type": str(metadata.get("doc_type", "")),
        "urgency": str(metadata.get("urgency", "normal")),
        "classification": NOT_CLASSIFIED,
        "copies": "1",
        "due_date": str(metadata.get("time_limit", "")),
        "note": f"外单位分发包导入（{metadata.get('site', '')}，{metadata.get('exported_at', '')}）",
    }
    incoming = register(
        app,
        unit=unit,
        actor=actor,
        data=fields,
        uploads=uploads,
        confirm_duplicate=confirm_duplicate,
        request=request,
    )
    audit.record(
        app,
        "docs_outgoing.import",
        actor=actor,
        request=request,
        object_type="incoming",
        object_id=incoming.id,
        summary=f"导入分发包《{fields['title']}》（{fields['doc_number']}）至{unit.name}收文",
    )
    return incoming
