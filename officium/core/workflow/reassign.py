"""Handing a person's open work on when they leave, move to another unit or lose a role.

The core's implementation of the ``user_changed`` hook calls :func:`reassign_open_work`.  The rules:

* 离岗 (``left``): every open or waiting 待办 the person holds goes to the leader of their (old) unit, looking
  up the unit tree as the engine does and skipping people who are not active.  An item the person held
  only as someone's delegate (外出授权) goes back to its owner instead.
* 调动 (``transfer``) and a revoked role (``roles``): only items the person holds because of a role in a
  unit (steps whose handlers are ``role(...)``, e.g. ``role("clerk")``, ``unit_leader()``) move, and only
  when the person no longer holds that role for the document.  They go to the role's holder for the
  document now (the new 综合人员 of the old unit), else to the leader of the old unit.  Work the person was
  named for personally (拟稿人, fixed people, chosen by the previous handler) stays with them, and so does
  work they hold as someone else's delegate.
* 待阅 (reading) items stay where they are: they hold nothing up.

The new holder is routed like new work (to their delegate when one is active, with them as principal) and
told like new work (``core.work_new``).  Every affected document gets one ``reassign`` entry in its 流转记录,
by 系统 (no actor), with the reason (``人员离岗``, ``人员调动``, ``角色变更``).  Items for which nobody can be
found stay where they were; the workflow administrator can move them (流程监控).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from officium.core import notifications
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.registry import UserChange
from officium.core.workflow.definition import Handlers
from officium.core.workflow.engine import _lock, _log, _route, _units_up
from officium.core.workflow.models import WorkItem

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: The reason written into the 流转记录 for each kind of change.
REASONS = {"left": "人员离岗", "transfer": "人员调动", "roles": "角色变更"}
OPEN_STATES = ("open", "waiting")


def holders(role: str, unit: Unit | None, exclude: Iterable[int] = ()) -> list[User]:
    """Active holders of ``role`` for ``unit``, or for its nearest parent unit that has an active one."""
    skip = set(exclude)
    for level in _units_up(unit):
        found = [
            u
            for u in User.select()
            .join(RoleGrant, on=(RoleGrant.user == User.id))
            .where((RoleGrant.role == role) & (RoleGrant.unit == level))
            .order_by(User.id)
            if u.is_active and u.id not in skip
        ]
        if found:
            return found
    return []


def open_work(user: User) -> list[WorkItem]:
    """The person's open or waiting 待办 items: held by them, or held for them by a delegate."""
    return list(
        WorkItem.select()
        .where(
            ((WorkItem.assignee == user) | (WorkItem.principal == user))
            & (WorkItem.kind == "todo")
            & WorkItem.state.in_(OPEN_STATES)
        )
        .order_by(WorkItem.instance, WorkItem.id)
    )


def _handlers(app: OfficiumApp, item: WorkItem) -> Handlers | None:
    workflow = app.registry.workflows.get(f"{item.plugin}.{item.instance.workflow}")
    if workflow is None or item.step not in workflow.step_index:
        return None  # the 拟稿人 step, or a plugin that is no longer enabled
    return workflow.step(item.step).handlers


def _unit(unit_id: int | None) -> Unit | None:
    return Unit.get_or_none(Unit.id == unit_id) if unit_id is not None else None


def _target(app: OfficiumApp, user: User, change: UserChange, item: WorkItem) -> User | None:
    """Who should hold ``item`` now, or None to leave it where it is."""
    as_delegate = item.assignee_id == user.id and item.principal_id not in (None, user.id)
    if change.kind == "left":
        if as_delegate and item.principal.is_active:
            return item.principal  # the work was the owner's all along
        leaders = holders("leader", _unit(change.old_unit_id), exclude=[user.id])
        return leaders[0] if leaders else None
    if as_delegate:
        return None  # someone else's work, held on their behalf: a transfer does not touch it
    handlers = _handlers(app, item)
    if handlers is None or handlers.kind != "role":
        return None
    now = holders(handlers.role, item.instance.unit)
    if any(h.id == user.id for h in now):
        return None  # still holds the role for this document (e.g. granted higher up the tree)
    if now:
        busy = {
            i.principal_id or i.assignee_id
            for i in WorkItem.select().where(
                (WorkItem.instance == item.instance_id)
                & (WorkItem.step == item.step)
                & WorkItem.state.in_(OPEN_STATES)
            )
        }
        return next((h for h in now if h.id not in busy), now[0])
    fallback = change.old_unit_id
    if change.kind == "roles":
        revoked = [unit_id for role, unit_id in change.revoked if role == handlers.role]
        fallback = revoked[0] if revoked and revoked[0] is not None else item.instance.unit_id
    leaders = holders("leader", _unit(fallback), exclude=[user.id])
    return leaders[0] if leaders else None


def reassign_open_work(app: OfficiumApp, user: User, change: UserChange) -> list[WorkItem]:
    """Move the person's open work as the rules above say; return the items that moved (as they are now).

    Runs inside the caller's transaction; each document is locked as the engine's actions lock it.
    """
    if change.kind == "roles" and not change.revoked:
        return []
    planned: dict[int, list[tuple[WorkItem, User]]] = {}
    for item in open_work(user):
        target = _target(app, user, change, item)
        if target is not None and target.id != user.id:
            planned.setdefault(item.instance_id, []).append((item, target))
    moved: list[WorkItem] = []
    for instance_id in sorted(planned):
        instance = _lock(app, instance_id)
        names: list[str] = []
        for item, target in planned[instance_id]:
            current = WorkItem.get_by_id(item.id)
            if current.state not in OPEN_STATES or (current.assignee_id, current.principal_id) != (
                item.assignee_id,
                item.principal_id,
            ):
                continue  # acted on meanwhile
            assignee, principal = _route(app, target, instance, item.step)
            WorkItem.update(assignee=assignee, principal=principal).where(WorkItem.id == item.id).execute()
            moved.append(WorkItem.get_by_id(item.id))
            notifications.on_new_item(app, moved[-1])  # new work for its holder: 新的待办
            if target.username not in names:
                names.append(target.username)
        if names:
            _log(
                app,
                instance,
                "reassign",
                None,
                opinion=REASONS[change.kind],
                detail={"from": user.username, "to": ",".join(names), "reason": change.kind},
            )
    return moved
