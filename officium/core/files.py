"""Attachments: uploads checked by size, extension and content, stored once per content hash.

Blobs live under ``<files_dir>/<first two hex digits>/<sha256>`` (``files_dir`` of officium.toml, by
default ``<site>/data/files``) — outside every served folder, under names nobody chose — and are shared by every :class:`Attachment` row with the same content (a forwarded
document does not copy its files).  Rows refer to their owner by ``(plugin, owner_type, owner_id)``, never by
a foreign key, like every core table that points at plugin records.

There is no generic download route: a plugin's own route decides who may see the record the attachment
belongs to, then returns :func:`download_response`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote
from xml.etree import ElementTree

from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response

from officium.core.db import BaseModel
from officium.core.identity.models import User

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

Owner = tuple[str, str, Any]

CHUNK = 1024 * 1024


class FileRejected(Exception):
    """An upload was refused; ``message`` (Chinese) is shown beside the upload field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Attachment(BaseModel):
    """One file attached to one record of a plugin.  Several rows may share one blob (same ``sha256``)."""

    plugin = CharField(max_length=64)
    owner_type = CharField(max_length=64)
    owner_id = CharField(max_length=64)
    filename = CharField(max_length=255)
    content_type = CharField(max_length=128)
    size = BigIntegerField()
    sha256 = CharField(max_length=64, index=True)
    uploaded_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    uploaded_at = DateTimeField()
    deleted_at = DateTimeField(null=True)

    class Meta:
        table_name = "core_attachment"
        indexes = ((("plugin", "owner_type", "owner_id"), False),)

    @property
    def extension(self) -> str:
        return _extension(self.filename)

    @property
    def previewable(self) -> bool:
        """Whether :func:`download_response` may show it inline (PDF and images)."""
        return self.content_type in INLINE_TYPES


MODELS = [Attachment]

# ------------------------------------------------------------------------------------------ the types

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

#: extension → (content type, Chinese name used in messages)
TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF 文档"),
    "ofd": ("application/ofd", "OFD 版式文档"),
    "doc": ("application/msword", "Word 97-2003 文档"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档"),
    "xls": ("application/vnd.ms-excel", "Excel 97-2003 工作簿"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 工作簿"),
    "ppt": ("application/vnd.ms-powerpoint", "PowerPoint 97-2003 演示文稿"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint 演示文稿",
    ),
    "wps": ("application/vnd.ms-works", "WPS 文字文档"),
    "et": ("application/vnd.ms-excel", "WPS 表格"),
    "txt": ("text/plain; charset=utf-8", "文本文件"),
    "csv": ("text/csv; charset=utf-8", "CSV 文件"),
    "zip": ("application/zip", "ZIP 压缩包"),
    "png": ("image/png", "PNG 图片"),
    "jpg": ("image/jpeg", "JPEG 图片"),
    "jpeg": ("image/jpeg", "JPEG 图片"),
    "gif": ("image/gif", "GIF 图片"),
}

#: The extensions accepted when a plugin names none.
DEFAULT_EXTENSIONS = frozenset(TYPES)
#: Office documents and pictures, for modules that take ordinary 公文 attachments.
DOCUMENT_EXTENSIONS = frozenset(
    {"pdf", "ofd", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "txt"}
)
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif"})

INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif"})

#: Members an Office Open XML / OFD package must contain.
_ZIP_MEMBERS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
    "ofd": "OFD.xml",
}


def _extension(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def _normalise_extensions(extensions: Iterable[str] | None) -> frozenset[str]:
    if extensions is None:
        return DEFAULT_EXTENSIONS
    names = frozenset(ext.lower().lstrip(".") for ext in extensions)
    unknown = names - DEFAULT_EXTENSIONS
    if unknown:
        raise ValueError(
            f"files.save_upload 不认识这些扩展名：{', '.join(sorted(unknown))}（可用：{', '.join(sorted(TYPES))}）"
        )
    return names


def clean_filename(raw: str) -> str:
    """The name a user gave, without folders, control characters or surrounding blanks; at most 200 chars."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def _content_matches(ext: str, path: Path, head: bytes) -> bool:
    if ext == "pdf":
        return b"%PDF-" in head[:1024]
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if ext in ("doc", "xls", "ppt", "wps", "et"):
        return head.startswith(OLE)
    if ext in ("txt", "csv"):
        return _is_text(path)
    if ext in ("zip", *_ZIP_MEMBERS):
        if not head.startswith(ZIP_MAGIC):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        member = _ZIP_MEMBERS.get(ext)
        return member is None or member in names
    return False


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _is_text(path: Path) -> bool:
    """Valid UTF-8 (BOM allowed) or GB18030 throughout, with no control characters besides tab and newlines."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    if _CONTROL.search(decoder.decode(chunk)):
                        return False
                if _CONTROL.search(decoder.decode(b"", final=True)):
                    return False
            return True
        except UnicodeDecodeError:
            continue
    return False


def decode_text(data: bytes) -> str:
    """Text of a .txt/.csv file: UTF-8 (with or without BOM), else GB18030 (the Chinese Windows encoding)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


# ------------------------------------------------------------------------------------------ the store


def files_dir(app: OfficiumApp) -> Path:
    """Where the blobs are: ``files_dir`` of officium.toml, by default ``<site>/data/files`` (back it up with
    the database).  Every web node of a site must see the same folder."""
    return app.config.files_path


def blob_path(app: OfficiumApp, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256 digest")
    return files_dir(app) / sha256[:2] / sha256


def _source(upload: Any) -> tuple[str, IO[bytes]]:
    """(file name, binary stream) of an UploadFile, a ``(filename, bytes)`` tuple or a file-like pair."""
    if isinstance(upload, tuple):
        name, data = upload
        stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        return str(name or ""), stream
    if hasattr(upload, "filename") and hasattr(upload, "file"):
        upload.file.seek(0)
        return str(upload.filename or ""), upload.file
    raise FileRejected("请选择要上传的文件。")


def _too_big(limit: int) -> FileRejected:
    if limit >= 1024 * 1024:
        shown = f"{limit / (1024 * 1024):g} MB"
    else:
        shown = f"{max(1, limit // 1024)} KB"
    return FileRejected(f"文件太大：单个文件不能超过 {shown}。")


def save_upload(
    app: OfficiumApp,
    upload: Any,
    *,
    owner: Owner,
    user: User,
    allowed_extensions: Iterable[str] | None = None,
    max_bytes: int | None = None,
) -> Attachment:
    """Check and store one uploaded file for ``owner`` = ``(plugin, owner_type, owner_id)``.

    ``upload`` is a Starlette ``UploadFile`` (from ``request.state.form``) or a ``(filename, bytes)`` tuple.
    Raises :class:`FileRejected` — and stores nothing — when the file is empty, larger than ``max_bytes``
    (default: the site's ``max_upload_mb``), of an extension not in ``allowed_extensions`` (default: every
    type in :data:`TYPES`), or when its content is not what the extension says.  The row is created in the
    caller's transaction; the blob is written first (an orphan blob left by a rolled-back request is
    harmless, and ``officium files gc`` removes it).
    """
    allowed = _normalise_extensions(allowed_extensions)
    limit = max_bytes if max_bytes is not None else app.config.max_upload_mb * 1024 * 1024
    raw_name, stream = _source(upload)
    filename = clean_filename(raw_name)
    if not filename:
        raise FileRejected("请选择要上传的文件。")
    ext = _extension(filename)
    if ext not in allowed:
        kinds = "、".join(sorted(allowed))
        raise FileRejected(
            f"不支持“.{ext}”类型的文件，只能上传：{kinds}。"
            if ext
            else f"文件缺少扩展名，只能上传：{kinds}。"
        )
    root = files_dir(app)
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temp_name = tempfile.mkstemp(dir=root / "tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            head = b""
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_big(limit)
                if len(head) < 1024:
                    head += chunk[: 1024 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise FileRejected("文件是空的（0 字节），请检查后重新上传。")
        if not _content_matches(ext, temp, head):
            raise FileRejected(
                f"文件内容与扩展名不符：“{filename}”不是有效的{TYPES[ext][1]}。请确认文件未损坏，且没有改过扩展名。"
            )
        sha = digest.hexdigest()
        target = blob_path(app, sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Same content, same name: replacing an existing blob changes nothing but its time, which keeps
        # collect_garbage (files older than a day, no row) away from a blob a new row is about to use.
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return Attachment.create(
        plugin=owner[0],
        owner_type=owner[1],
        owner_id=str(owner[2]),
        filename=filename,
        content_type=TYPES[ext][0],
        size=size,
        sha256=sha,
        uploaded_by=user,
        uploaded_at=app.clock(),
    )


def attachments_of(plugin: str, owner_type: str, owner_id: Any) -> list[Attachment]:
    """The owner's attachments that are not deleted, oldest first."""
    return list(
        Attachment.select()
        .where(
            (Attachment.plugin == plugin)
            & (Attachment.owner_type == owner_type)
            & (Attachment.owner_id == str(owner_id))
            & Attachment.deleted_at.is_null()
        )
        .order_by(Attachment.id)
    )


def get_attachment(plugin: str, owner_type: str, owner_id: Any, attachment_id: Any) -> Attachment | None:
    """One live attachment of this owner, or None — what a plugin's download route looks up."""
    try:
        number = int(attachment_id)
    except (TypeError, ValueError):
        return None
    return Attachment.get_or_none(
        (Attachment.id == number)
        & (Attachment.plugin == plugin)
        & (Attachment.owner_type == owner_type)
        & (Attachment.owner_id == str(owner_id))
        & Attachment.deleted_at.is_null()
    )


def read_bytes(app: OfficiumApp, attachment: Attachment) -> bytes:
    """The file's content (deleted or not)."""
    return blob_path(app, attachment.sha256).read_bytes()


def _now(app: OfficiumApp | None) -> datetime:
    return app.clock() if app is not None else datetime.now()


def copy_to(
    attachment: Attachment, owner: Owner, user: User, *, app: OfficiumApp | None = None
) -> Attachment:
    """Attach the same file to another record (转发, 分发); the blob is shared, not copied.

    Pass ``app=`` so that the copy's time comes from the site's clock (tests use a FakeClock).
    """
    return Attachment.create(
        plugin=owner[0],
        owner_type=owner[1],
        owner_id=str(owner[2]),
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        uploaded_by=user,
        uploaded_at=_now(app),
    )


def delete(attachment: Attachment, user: User, *, app: OfficiumApp | None = None) -> None:
    """Soft delete: the row stays (with ``deleted_at``) and so does the blob; lists no longer show it.

    ``user`` is who deleted it — audit the deletion in the calling route (the routing layer's generic entry
    does, when the route records nothing more specific).
    """
    if attachment.deleted_at is None:
        attachment.deleted_at = _now(app)
        Attachment.update(deleted_at=attachment.deleted_at).where(Attachment.id == attachment.id).execute()


# ------------------------------------------------------------------------------------------ serving


def content_disposition(kind: str, filename: str) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''...`` (RFC 6266 / RFC 5987)."""
    ext = _extension(filename)
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in filename)
    if not fallback.strip("_. ") or fallback.strip("_.").lower() == ext:
        fallback = f"download.{ext}" if ext else "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(app: OfficiumApp, attachment: Attachment, *, inline: bool = False) -> Response:
    """Send the file: a download (``attachment``) or, for PDF and images with ``inline=True``, a preview.

    Call it only after the plugin's route has checked that the user may see the attachment's record.  A
    deleted attachment or a missing blob answers 404.  The preview is sandboxed (``Content-Security-Policy:
    sandbox``: no scripts, no forms, no same-origin access even if a PDF viewer runs active content).
    """
    if attachment.deleted_at is not None:
        raise HTTPException(404)
    path = blob_path(app, attachment.sha256)
    if not path.is_file():
        raise HTTPException(404, "附件文件缺失，请联系系统管理员。")
    show_inline = inline and attachment.content_type in INLINE_TYPES
    headers = {
        "Content-Disposition": content_disposition(
            "inline" if show_inline else "attachment", attachment.filename
        ),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache",
    }
    if show_inline:
        headers["Content-Security-Policy"] = (
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
        )
    return FileResponse(path, media_type=attachment.content_type, headers=headers)


# ------------------------------------------------------------------------------------------ text


def extract_text(app: OfficiumApp, attachment: Attachment) -> str:
    """Plain text of a .txt/.csv, .pdf or .docx attachment (for search and the 涉密 check); "" otherwise."""
    if _extension(attachment.filename) not in TEXT_EXTENSIONS:
        return ""
    try:
        data = read_bytes(app, attachment)
    except OSError:
        return ""
    return text_of(attachment.filename, data)


TEXT_EXTENSIONS = frozenset({"txt", "csv", "pdf", "docx"})


def text_of(filename: str, data: bytes) -> str:
    """Plain text of file content given its name; "" for other types or content that cannot be read."""
    ext = _extension(filename)
    try:
        if ext in ("txt", "csv"):
            return decode_text(data)
        if ext == "pdf":
            return _pdf_text(data)
        if ext == "docx":
            return _docx_text(data)
    except Exception:  # a damaged file has no text; never fail the caller over it
        return ""
    return ""


def _pdf_text(data: bytes) -> str:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception:
            return ""
    text = "\n".join((page.extract_text() or "") for page in reader.pages)
    # Some producers' ToUnicode maps make pypdf yield UTF-16 code units with NULs between characters.
    return text.replace("\x00", "")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


#: Symbol-font glyphs (``<w:sym w:font="Wingdings" w:char="F0AB"/>``) that matter as text: the star of a
#: classification mark inserted from Word's 符号 dialog (Wingdings 0xAB is ★).
_SYMBOLS = {"AB": "★"}


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("word/document.xml")
        if info.file_size > 200 * 1024 * 1024:
            return ""
        root = ElementTree.fromstring(archive.read(info))
    paragraphs = []
    for para in root.iter(f"{_W}p"):
        parts = []
        for node in para.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            elif node.tag == f"{_W}sym":
                parts.append(_SYMBOLS.get(node.get(f"{_W}char", "").upper()[-2:], ""))
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


# ------------------------------------------------------------------------------------------ upkeep


@dataclass(frozen=True)
class StoreReport:
    """What :func:`check_store` found: blobs checked, and the digests missing or not matching their content."""

    checked: int
    missing: list[str]
    corrupt: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt


def check_store(app: OfficiumApp) -> StoreReport:
    """Re-hash every blob a row refers to (deleted rows included) — after a restore, or from time to time."""
    missing: list[str] = []
    corrupt: list[str] = []
    digests = [
        sha for (sha,) in Attachment.select(Attachment.sha256).distinct().order_by(Attachment.sha256).tuples()
    ]
    for sha in digests:
        path = blob_path(app, sha)
        if not path.is_file():
            missing.append(sha)
            continue
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != sha:
            corrupt.append(sha)
    return StoreReport(len(digests), missing, corrupt)


#: Blobs and temporary files younger than this are never collected: their row may not be committed yet.
GARBAGE_GRACE = timedelta(days=1)


def collect_garbage(app: OfficiumApp, *, dry_run: bool = False) -> list[Path]:
    """Remove blobs no row refers to (left by refused or rolled-back requests) and stale temporary files.

    Only files older than :data:`GARBAGE_GRACE` go, so an upload in progress is never touched.  Returns the
    paths removed (or that would be, with ``dry_run``).
    """
    root = files_dir(app)
    if not root.is_dir():
        return []
    cutoff = datetime.now().timestamp() - GARBAGE_GRACE.total_seconds()
    used = {sha for (sha,) in Attachment.select(Attachment.sha256).distinct().tuples()}
    candidates = [p for p in root.glob("??/*") if p.is_file() and p.name not in used]
    candidates += [p for p in (root / "tmp").glob("*") if p.is_file()]
    removed = sorted(p for p in candidates if p.stat().st_mtime < cutoff)
    if not dry_run:
        for path in removed:
            path.unlink(missing_ok=True)
    return removed
