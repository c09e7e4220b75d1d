"""The two workflows of 收文管理 on the core engine.

``docs_incoming.handle`` (批办件, 条例第二十四条): 拟办 by the leader of the receiving unit (办公室主任) →
领导批示 by the leaders the 拟办 handler picks (会签: every chosen leader instructs) → 分办 by the unit's
综合人员, on the document page, naming one 主办 and any 协办 units → 承办 by the clerks of those units (each
may 转办/加签 inside the unit) → 归档 by the receiving unit's clerk, after an optional 答复.

``docs_incoming.circulate`` (阅知件): one step held by the receiving unit's clerk while the document is out
for 传阅 (the engine's 待阅 items); the clerk archives it when the readers are done.

The callbacks keep the document's row (status, result) in step with the engine and refresh its search
entry; they run in the action's transaction.
"""

from __future__ import annotations

from typing import Any

from officium.core.workflow.definition import Step, Workflow, chosen, role, unit_leader
from officium.core.workflow.engine import WorkflowError

HANDLE = "handle"
CIRCULATE = "circulate"
HANDLE_KEY = f"docs_incoming.{HANDLE}"
CIRCULATE_KEY = f"docs_incoming.{CIRCULATE}"

PROPOSE_STEP = "propose"
INSTRUCT_STEP = "instruct"
ASSIGN_STEP = "assign"
HANDLE_STEP = "handle"
ARCHIVE_STEP = "archive"
TRACK_STEP = "track"

NOT_ASSIGNED = "请在收文页面“分办”：选择主办单位（和协办单位）后才能完成分办。"


def _document(ctx: Any) -> Any:
    from officium.plugins.docs_incoming.models import IncomingDocument

    return IncomingDocument.get_by_id(int(ctx.instance.object_id))


def _refresh(ctx: Any, document: Any = None) -> None:
    from officium.plugins.docs_incoming import feed

    feed.update(ctx.app, document if document is not None else _document(ctx), ctx.instance)


def _instructed(ctx: Any) -> None:
    """Every chosen leader has instructed: tell whoever accepted the document (领导批示提示)."""
    from officium.plugins.docs_incoming import service

    document = _document(ctx)
    service.tell_instructed(ctx.app, document, ctx.instance)
    _refresh(ctx, document)


def _must_be_assigned(ctx: Any) -> None:
    """分办 completes only through the document page's form, which records the 主办/协办 units first."""
    from officium.plugins.docs_incoming.models import Assignment

    if not Assignment.select().where(Assignment.document == int(ctx.instance.object_id)).exists():
        raise WorkflowError(NOT_ASSIGNED)
    _refresh(ctx)


def _handled(ctx: Any) -> None:
    """承办 done by every unit: the document is 办结 (its result is the 主办 unit's, recorded on 办结)."""
    from officium.plugins.docs_incoming import service

    service.mark_concluded(ctx.app, _document(ctx), ctx.instance)


def _finished(ctx: Any) -> None:
    from officium.plugins.docs_incoming import service

    service.mark_archived(ctx.app, _document(ctx), ctx.instance)


def _closed(ctx: Any) -> None:
    """终止 by the workflow administrator (流程监控): the document stops here."""
    from officium.plugins.docs_incoming import service

    service.mark_closed(ctx.app, _document(ctx))


def _returned(ctx: Any) -> None:
    _refresh(ctx)


HANDLE_WORKFLOW = Workflow(
    HANDLE,
    "收文办理",
    steps=(
        Step(PROPOSE_STEP, "拟办", unit_leader(), days=1, on_complete=_refresh),
        Step(INSTRUCT_STEP, "领导批示", chosen(), mode="all", days=2, on_complete=_instructed),
        Step(ASSIGN_STEP, "分办", role("clerk"), days=1, on_complete=_must_be_assigned),
        Step(HANDLE_STEP, "承办", chosen(), mode="all", days=5, on_complete=_handled),
        Step(ARCHIVE_STEP, "答复与归档", role("clerk"), days=5),
    ),
    on_finish=_finished,
    on_return=_returned,
    on_close=_closed,
    drafter_title="登记人",
)

CIRCULATE_WORKFLOW = Workflow(
    CIRCULATE,
    "收文传阅",
    steps=(Step(TRACK_STEP, "传阅与归档", role("clerk")),),
    on_finish=_finished,
    on_close=_closed,
    drafter_title="登记人",
)

WORKFLOWS = [HANDLE_WORKFLOW, CIRCULATE_WORKFLOW]
