"""The 涉密 guard of the board: classified material must never be published here (the bureau's regulation).

Titles, bodies, file names and the text of uploaded files are scanned before anything is stored; a refusal
is audited (the entry survives the request's rollback) and the form says why beside the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request

from officium.core import secrecy
from officium.core.richtext import html_to_text
from officium.plugins.bulletin.access import PLUGIN

LABELS = {"title": "标题", "body": "正文", "note": "修改说明"}


def _bytes(upload: Any) -> tuple[str, bytes]:
    if isinstance(upload, tuple):
        return str(upload[0]), bytes(upload[1])
    data = upload.file.read()
    upload.file.seek(0)
    return upload.filename or "", data


def refusal(request: Request, data: Mapping[str, Any], uploads: Iterable[Any] = ()) -> dict[str, str]:
    """``{}`` when nothing is marked; else the message beside the offending field (already audited)."""
    fields = {}
    for key, label in LABELS.items():
        value = data.get(key, "")
        if isinstance(value, str) and value:
            fields[label] = html_to_text(value) if key == "body" else value
    findings = secrecy.scan(fields, [_bytes(u) for u in uploads])
    if not findings:
        return {}
    secrecy.record_refusal(request, PLUGIN, findings)
    where = findings[0].where
    key = next((k for k, label in LABELS.items() if label == where), "files")
    return {key: secrecy.refusal_message(findings)}
