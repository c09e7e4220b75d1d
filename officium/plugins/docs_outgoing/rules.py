"""Rule checks of a 局发文 before 复核 and before 核发 (条例 第九、二十五条; GB/T 9704), each with a message.

:func:`check` returns problems as ``(field, message)`` pairs; an empty list means the document passes.
The 涉密 guard is the core's (:mod:`officium.core.secrecy`): no classification mark in any field, the body
or an attached file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from officium.plugins.docs_outgoing import body as body_text
from officium.plugins.docs_outgoing.constants import DIRECTIONS, DOC_TYPES, LABELS, TITLE_ENDINGS, URGENT
from officium.plugins.docs_outgoing.numbering import check_number

if TYPE_CHECKING:
    from officium.plugins.docs_outgoing.models import Document

#: What an organ's name ends with (the 机关 part of a 标题 that does not start with 关于).
ORGAN_SUFFIXES = (
    "局",
    "厅",
    "部",
    "委",
    "办",
    "处",
    "室",
    "院",
    "会",
    "府",
    "署",
    "中心",
    "科",
    "所",
    "站",
    "组",
    "关",
    "司",
    "行",
    "团",
    "队",
)

STAGES = {"review": "复核", "issue": "核发"}


def check_title(title: str, doc_type: str, organ_names: Iterable[str] = ()) -> str:
    """The reason a 标题 does not have the shape 发文机关 + 事由 + 文种, or ""."""
    title = title.strip()
    if not title:
        return "请填写标题。"
    if doc_type not in TITLE_ENDINGS:
        return "请先选择文种。"
    ending = next((e for e in TITLE_ENDINGS[doc_type] if title.endswith(e)), None)
    if ending is None:
        return f"标题应以文种“{TITLE_ENDINGS[doc_type][0]}”结尾（发文机关 + 事由 + 文种）。"
    head = title[: -len(ending)]
    organs = [o for o in organ_names if o]
    if head.startswith("关于"):
        subject = head[2:]
    elif "关于" in head:
        organ, subject = head.split("关于", 1)
        if not (organ in organs or organ.endswith(ORGAN_SUFFIXES)):
            return f"标题开头的“{organ}”不是发文机关名称：应为“发文机关 + 关于 + 事由 + 文种”。"
    else:
        organ = next((o for o in sorted(organs, key=len, reverse=True) if head.startswith(o)), "")
        if not organ:
            return "标题应以发文机关名称或“关于”开头（发文机关 + 事由 + 文种）。"
        subject = head[len(organ) :]
    if len(subject.rstrip("的").strip()) < 2 and doc_type != "命令(令)":  # 某局令 carries no 事由
        return "标题缺少事由：应为“发文机关 + 事由 + 文种”。"
    return ""


def document_fields(doc: Document) -> dict[str, str]:
    """The document's text fields keyed by their Chinese labels (for the 涉密 guard)."""
    keys = (
        "copy_no",
        "issuer_mark",
        "doc_number",
        "signer_name",
        "title",
        "main_to",
        "attachment_note",
        "issuer_name",
        "remark",
        "cc",
        "printer",
    )
    values = {LABELS[k]: str(getattr(doc, k) or "") for k in keys}
    values[LABELS["body"]] = body_text.to_plain(doc.body)
    return values


def secrecy_findings(fields: Mapping[str, str], files: Iterable[tuple[str, bytes]] = ()) -> list[Any]:
    """The core 涉密 guard's findings for these fields and files."""
    from officium.core import secrecy

    return secrecy.scan(fields, files)


def check(
    doc: Document,
    stage: str,
    *,
    organ_names: Iterable[str] = (),
    files: Iterable[tuple[str, bytes]] = (),
) -> list[tuple[str, str]]:
    """Problems that stop ``doc`` at ``stage`` (``review`` = 复核, ``issue`` = 核发)."""
    problems: list[tuple[str, str]] = []
    if doc.doc_type not in DOC_TYPES:
        problems.append(("doc_type", "文种须为《党政机关公文处理工作条例》规定的 15 种之一。"))
    if doc.direction not in DIRECTIONS:
        problems.append(("direction", "请选择行文方向。"))
    if doc.direction == "up" and not doc.signer_name.strip():
        problems.append(("signer_name", "上行文应当标注签发人姓名。"))
    message = check_title(doc.title, doc.doc_type, organ_names)
    if message:
        problems.append(("title", message))
    if doc.urgency in URGENT and doc.time_limit is None:
        problems.append(("time_limit", "紧急公文应当明确办理时限。"))
    if doc.copy_no and not re.fullmatch(r"\d{6}", doc.copy_no):
        problems.append(("copy_no", "份号为 6 位阿拉伯数字，例如 000001。"))
    if not doc.main_to.strip() and doc.doc_type not in ("公告", "通告", "公报", "命令(令)", "纪要"):
        problems.append(("main_to", "请填写主送机关。"))
    if not body_text.parse(doc.body) and not list(files):
        problems.append(("body", "正文为空：请填写正文或上传正文文件。"))
    if stage == "issue" or doc.doc_number:
        message = check_number(doc.doc_number)
        if message:
            problems.append(("doc_number", message))
    if stage == "issue" and doc.signed_version is None:
        problems.append(("", "文件尚未签发，不能核发。"))
    findings = secrecy_findings(document_fields(doc), files)
    if findings:
        from officium.core import secrecy

        problems.append(("secrecy", secrecy.refusal_message(findings)))
    return problems
