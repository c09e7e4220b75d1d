"""The workflow of a change request: the unit's leader approves, then the IT division carries it out.

The second step is handled by every holder of ``sysadmin`` wherever granted (``site_role``): the system
administrators' grants carry no unit, so ``role("sysadmin")`` (which looks in the document's unit tree)
would find nobody.  Whichever administrator acts first takes it.
"""

from __future__ import annotations

from typing import Any

from officium.core.workflow.definition import Step, Workflow, site_role, unit_leader
from officium.core.workflow.engine import WorkflowError

NAME = "change"
KEY = f"change_requests.{NAME}"
LEADER_STEP = "leader"
CARRY_OUT_STEP = "carry_out"
NOT_CARRIED_OUT = "请在变更申请页面点击“办理”，由系统执行变更后才能办结。"


def _must_be_carried_out(ctx: Any) -> None:
    """The IT step completes only through the request page's button, which applies the change first."""
    from officium.plugins.change_requests.models import ChangeRequest

    request = ChangeRequest.get_by_id(int(ctx.instance.object_id))
    if request.carried_out_at is None:
        raise WorkflowError(NOT_CARRIED_OUT)


def _finished(ctx: Any) -> None:
    from officium.plugins.change_requests import service

    service.tell_requester(ctx.app, ctx.instance)


WORKFLOW = Workflow(
    NAME,
    "人员与权限变更申请",
    steps=(
        Step(LEADER_STEP, "单位负责人审批", unit_leader(), days=2),
        Step(CARRY_OUT_STEP, "信息化处办理", site_role("sysadmin"), days=3, on_complete=_must_be_carried_out),
    ),
    on_finish=_finished,
    drafter_title="申请人",
)

#: How a request's state reads, from its instance's state and step.
STATUS_TITLES = {
    LEADER_STEP: "待单位负责人审批",
    CARRY_OUT_STEP: "待信息化处办理",
    "returned": "已退回申请人",
    "suspended": "已挂起",
    "done": "已办结",
    "closed": "已撤销",
}
