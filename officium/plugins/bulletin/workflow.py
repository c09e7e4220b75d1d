"""The publishing approval of an announcement: its unit's leader, the office, or both, as its column says.

Each submission is an instance of its own, ``object_id`` = ``"<announcement id>.<round>"``: an author who
cancelled a submission can submit again.  The outcome comes back through the callbacks.
"""

from __future__ import annotations

from typing import Any

from officium.core.workflow.definition import Step, Workflow, site_role, unit_leader
from officium.plugins.bulletin.access import OFFICE_ROLE

NAME = "publish"
KEY = f"bulletin.{NAME}"
OBJECT_TYPE = "announcement"


def announcement_id(instance: Any) -> int:
    return int(str(instance.object_id).split(".", 1)[0])


def _approved(ctx: Any) -> None:
    from officium.plugins.bulletin import announcements

    announcements.on_approved(ctx.app, announcement_id(ctx.instance), ctx.actor)


def _cancelled(ctx: Any) -> None:
    from officium.plugins.bulletin import announcements

    announcements.on_cancelled(ctx.app, announcement_id(ctx.instance))


WORKFLOW = Workflow(
    NAME,
    "公告发布审核",
    steps=(
        Step(
            "leader",
            "单位负责人审核",
            unit_leader(),
            days=1,
            when=lambda f: f.get("approval") in ("leader", "leader_office"),
        ),
        Step(
            "office",
            "办公室审核",
            site_role(OFFICE_ROLE),
            days=1,
            when=lambda f: f.get("approval") in ("office", "leader_office"),
        ),
    ),
    on_finish=_approved,
    on_close=_cancelled,
)
