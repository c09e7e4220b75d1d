"""The fixed vocabularies of 收文管理, kept in one place (a second locale replaces this module's strings)."""

from __future__ import annotations

from officium.core.workflow.models import URGENCIES

PLUGIN_NAME = "docs_incoming"
OBJECT_TYPE = "document"

#: 《党政机关公文处理工作条例》第八条: the 15 公文种类, in the order of the regulation.
DOC_TYPES: tuple[str, ...] = (
    "决议",
    "决定",
    "命令(令)",
    "公报",
    "公告",
    "通告",
    "意见",
    "通知",
    "通报",
    "报告",
    "请示",
    "批复",
    "议案",
    "函",
    "纪要",
)

#: 紧急程度: the engine's keys (so the 待办中心 shows them) → 平件 / 加急 / 特急.
URGENCY_TITLES: dict[str, str] = dict(URGENCIES)
#: The urgencies whose documents must carry a 办理时限 (条例第二十四条: 紧急公文应当明确办理时限).
URGENT = ("urgent", "very_urgent")

#: The only 密级 this system accepts: a declaration that the document is not classified.
NOT_CLASSIFIED = "非涉密"

#: How an accepted document is handled: 批办 (拟办 → 批示 → 分办 → 承办) or 阅知 (传阅).
HANDLING = {"handle": "批办件", "read": "阅知件"}

#: A document's status (登记簿 column and filter).
STATUSES: dict[str, str] = {
    "registered": "待初审",
    "returned": "已退回来文单位",
    "handling": "办理中",
    "circulating": "传阅中",
    "concluded": "已办结",
    "archived": "已归档",
    "closed": "已终止",
}
#: Statuses in which a time limit still runs (overdue lights are shown).
OPEN_STATUSES = ("registered", "handling", "circulating")

#: The roles the 分办 form gives a unit.
ASSIGN_ROLES = {"lead": "主办", "assist": "协办"}

#: The default 收文编号 rule: {year}, {seq} (optionally {seq:03d}) and {unit} (the unit's code).
DEFAULT_NUMBER_RULE = "收〔{year}〕{seq}号"
