"""The approval workflow of a leave request.  Which steps apply was decided from HR's rules when the
request was filed and travels in the instance's fields as ``chain``; a step not in it is skipped.

The HR step goes to every holder of the plugin's ``hr_officer`` role wherever granted (``site_role``):
HR officers sit in 人事处, not in the requester's unit tree.
"""

from __future__ import annotations

from typing import Any

from officium.core.workflow.definition import Step, Workflow, site_role, supervising_leader, unit_leader

NAME = "request"
KEY = f"leave.{NAME}"
HR_ROLE = "hr_officer"


def _in_chain(step: str):
    def when(fields: Any) -> bool:
        return step in fields.get("chain", [])

    return when


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
        Step("hr", "人事处备案", site_role(HR_ROLE), days=2, when=_in_chain("hr")),
    ),
    on_finish=_finished,
    on_close=_closed,
)
