"""Supporting documents of a request (e.g. the 病假 certificate), kept by the core's attachments
(``officium.core.files``) under the owner ``("leave", "request", id)``.  While a site's core has no
attachments yet, documents are simply not asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.responses import Response

from officium.plugins.leave.requests import OBJECT_TYPE, PLUGIN, LeaveError

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp
    from officium.core.identity.models import User
    from officium.plugins.leave.models import LeaveRequest

EXTENSIONS = ("pdf", "jpg", "jpeg", "png")
MISSING = "该假别须上传证明材料（如医院诊断证明），支持 PDF、JPG、PNG。"


def available() -> bool:
    """Whether the core's attachments are there (module and table)."""
    try:
        from officium.core import files
    except ImportError:
        return False
    return files.Attachment.table_exists()


def attach(app: OfficiumApp, leave: LeaveRequest, upload: Any, user: User) -> Any:
    """Store one document (``(filename, bytes)`` or an ``UploadFile``) for the request; a rejected file
    raises :class:`LeaveError` beside ``document``."""
    from officium.core import files

    try:
        return files.save_upload(
            app, upload, owner=(PLUGIN, OBJECT_TYPE, str(leave.id)), user=user, allowed_extensions=EXTENSIONS
        )
    except files.FileRejected as exc:
        raise LeaveError(exc.message, {"document": exc.message}) from exc


def of(leave: LeaveRequest) -> list[Any]:
    if not available():
        return []
    from officium.core import files

    return files.attachments_of(PLUGIN, OBJECT_TYPE, leave.id)


def download(app: OfficiumApp, leave: LeaveRequest, attachment_id: int) -> Response:
    """The document (the caller checked that the user may see the request); PDF and images preview."""
    if not available():
        raise HTTPException(404)
    from officium.core import files

    found = files.get_attachment(PLUGIN, OBJECT_TYPE, leave.id, attachment_id)
    if found is None:
        raise HTTPException(404)
    return files.download_response(app, found, inline=True)
