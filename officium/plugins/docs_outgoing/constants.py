"""The fixed vocabularies of 局发文: 文种, 行文方向, 紧急程度 and the labels of the 18 公文要素 (条例 第八、九条).

All Chinese strings of the module that are not in templates live here or in :mod:`.service`.
"""

from __future__ import annotations

from officium.core.workflow.models import URGENCIES as ENGINE_URGENCIES
from officium.plugins.docs_incoming.constants import DOC_TYPES as INCOMING_DOC_TYPES

#: 第八条: the 15 公文种类 — the one list, kept by 收文管理 (a module, not the plugin: importing it does not
#: need docs_incoming enabled).
DOC_TYPES: tuple[str, ...] = INCOMING_DOC_TYPES

#: The words a 标题 may end with for each 文种 (命令(令) is written 命令 or 令 in a title).
TITLE_ENDINGS: dict[str, tuple[str, ...]] = {t: (t,) for t in DOC_TYPES}
TITLE_ENDINGS["命令(令)"] = ("命令", "令")

#: 行文方向.
DIRECTIONS: dict[str, str] = {"up": "上行文", "level": "平行文", "down": "下行文"}

#: 紧急程度 (条例 第九条: 特急 / 加急), keyed as the workflow engine's (so the 待办中心 shows them).
URGENCIES: dict[str, str] = dict(ENGINE_URGENCIES)
#: The urgencies whose documents must carry a 办理时限.
URGENT = ("urgent", "very_urgent")

#: 会签 modes the drafter chooses from.
COUNTERSIGN_MODES: dict[str, str] = {"none": "不需会签", "all": "并行会签", "sequence": "顺序会签"}

#: 第九条: the 18 公文要素 and where each lives in this module.  密级和保密期限 is listed for completeness
#: only: classified documents never enter the system (the 涉密 guard refuses them).
ELEMENTS: tuple[tuple[str, str], ...] = (
    ("copy_no", "份号"),
    ("secrecy", "密级和保密期限"),
    ("urgency", "紧急程度"),
    ("issuer_mark", "发文机关标志"),
    ("doc_number", "发文字号"),
    ("signer_name", "签发人"),
    ("title", "标题"),
    ("main_to", "主送机关"),
    ("body", "正文"),
    ("attachment_note", "附件说明"),
    ("issuer_name", "发文机关署名"),
    ("written_date", "成文日期"),
    ("seal", "印章"),
    ("remark", "附注"),
    ("attachments", "附件"),
    ("cc", "抄送机关"),
    ("printer", "印发机关和印发日期"),
    ("page_numbers", "页码"),
)
LABELS: dict[str, str] = dict(ELEMENTS) | {
    "doc_type": "文种",
    "direction": "行文方向",
    "time_limit": "办理时限",
    "print_date": "印发日期",
    "prefix": "机关代字",
    "countersign_units": "会签单位",
    "countersign_mode": "会签方式",
    "signer": "签发领导",
    "reason": "修改理由",
    "body_file": "正文文件",
}

#: The fields whose change after 签发 is substantive: the document goes back to the signer.
KEY_FIELDS: tuple[str, ...] = (
    "doc_type",
    "direction",
    "title",
    "main_to",
    "body",
    "attachment_note",
    "issuer_name",
    "cc",
    "urgency",
)

#: Document states kept on the record (the workflow engine holds where a running document is).
STATES: dict[str, str] = {
    "draft": "草稿",
    "running": "办理中",
    "issued": "已核发",
    "archived": "已归档",
    "closed": "已终止",
}
