"""The 涉密 guard of registration: classified material must never enter this system.

The form's 密级 is only a declaration that the document is 非涉密.  Any other 密级, any 保密期限, or a
classification mark (秘密★, 机密★10年, 密级：秘密, ...) in a field, a file name or the text of an attached
text/PDF/DOCX file refuses the registration.  The marks are found by the core's :mod:`officium.core.secrecy`;
this module adds the two declarations of the form and names the field each finding belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from officium.core import secrecy
from officium.plugins.docs_incoming.constants import NOT_CLASSIFIED

#: Form/API field name → the Chinese label findings are reported under.
LABELS = {
    "title": "标题",
    "from_unit": "来文单位",
    "doc_number": "来文字号",
    "note": "备注",
    "classification": "密级",
    "secrecy_period": "保密期限",
    "attachments": "附件",
    "result": "办理结果",
    "reply": "答复内容",
    "reason": "退回理由",
}
FIELD_OF_LABEL = {label: name for name, label in LABELS.items()}


def findings(data: Mapping[str, str], files: Iterable[tuple[str, bytes]] = ()) -> list[secrecy.Finding]:
    """What makes this registration 涉密: the declarations, then the marks in fields, file names and text."""
    found: list[secrecy.Finding] = []
    classification = str(data.get("classification", "")).strip()
    if classification and classification != NOT_CLASSIFIED:
        found.append(secrecy.Finding(LABELS["classification"], classification))
    period = str(data.get("secrecy_period", "")).strip()
    if period:
        found.append(secrecy.Finding(LABELS["secrecy_period"], period))
    texts = {LABELS[name]: str(data.get(name, "")) for name in ("title", "from_unit", "doc_number", "note")}
    found += secrecy.scan(texts, list(files))
    return found


def text_findings(name: str, text: str) -> list[secrecy.Finding]:
    """The marks in one text written on a registered document (办理结果, 答复)."""
    return secrecy.scan({LABELS[name]: text})


def field_of(finding: secrecy.Finding) -> str:
    """The form field a finding is shown beside (file names and file contents: the upload field)."""
    return FIELD_OF_LABEL.get(finding.where, "attachments")
