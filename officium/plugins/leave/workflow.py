"""The approval workflow of a leave request.  Which steps apply was decided from HR's rules when the
request was filed and travels in the instance's fields as ``chain``; a step not in it is skipped.

The HR step goes to every active holder of the plugin's ``hr_officer`` role wherever granted (HR officers
sit in 人事处, not in the requester's unit tree), except the requester themselves when another one exists.
"""

from __future__ import annotations

from typing import Any

from officium.core.identity.models import RoleGrant, User
from officium.core.workflow.definition import Step, Workflow, computed, supervising_leader, unit_leader

NAME = "request"
KEY = f"leave.{NAME}"
HR_ROLE = "hr_officer"


def _in_chain(step: str):
    def when(fields: Any) -> bool:
        return step in fields.get("chain", [])

    return when


def hr_officers(app: Any, instance: Any) -> list[User]:
    """Who records a request for 人事处."""
    from officium.plugins.leave.models import LeaveRequest

    leave = LeaveRequest.get_or_none(LeaveRequest.id == int(instance.object_id))
    found = list(
        User.select()
        .join(RoleGrant, on=(RoleGrant.user == User.id))
        .where((RoleGrant.role == HR_ROLE) & (User.status == "active"))
        .order_by(User.id)
        .distinct()
    )
    others = [u for u in found if leave is None or u.id != leave.user_id]
    return others or found


def _finished(ctx: Any) -> None:
    from officium.plugins.leave import requests

    requests.approved(ctx.app, int(ctx.instance.object_id))


def _closed(ctx: Any) -> None:
    from officium.plugins.leave import requests

    requests.closed(ctx.app, int(ctx.instance.object_id))


WORKFLOW = Workflow(
    NAME,
    "休假审批",
    steps=(
        Step("unit", "单位负责人审批", unit_leader(), days=1, when=_in_chain("unit")),
        Step("supervising", "分管局领导审批", supervising_leader(), days=2, when=_in_chain("supervising")),
        Step("hr", "人事处备案", computed(hr_officers, "人事处人事干部"), days=2, when=_in_chain("hr")),
    ),
    on_finish=_finished,
    on_close=_closed,
)
