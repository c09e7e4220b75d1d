"""Moving documents through their workflows.

Every function runs inside the caller's transaction (the routing engine opens one per unsafe request)
and locks the document's instance row first, so that concurrent actions on one document are applied one
after another: the first wins, the others find their work item no longer open and get a clean
:class:`Conflict`.  Each action appends to the immutable action log and the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peewee import PostgresqlDatabase

from officium.core import audit, notifications
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.prepared import prepared
from officium.core.workcalendar import add_working_days
from officium.core.workflow.definition import DRAFTER_STEP, Handlers, Step, Workflow
from officium.core.workflow.models import ACTIONS, ActionLog, Instance, WorkItem

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp


class WorkflowError(Exception):
    """An action that cannot be done as asked; the message says why, in Chinese (HTTP 400)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class OpinionRefused(WorkflowError):
    """An opinion (意见, reason, note) carries a 密级 marking: the 涉密 guard refuses it; nothing is recorded."""

    def __init__(self, findings: Sequence[Any]) -> None:
        from officium.core import secrecy

        super().__init__(secrecy.refusal_message(findings), field="opinion")
        self.findings = list(findings)


class Conflict(WorkflowError):
    """Someone else acted first, or the document moved on (HTTP 409)."""


@dataclass
class FlowContext:
    """What a workflow callback receives: the app, the document's instance, the step and who acted."""

    app: OfficiumApp
    instance: Instance
    step: Step | None
    actor: User | None
    fields: dict[str, Any]


# ------------------------------------------------------------------------------------------ helpers


def workflow_of(app: OfficiumApp, instance: Instance) -> Workflow:
    """The definition an instance follows."""
    return app.registry.workflows[f"{instance.plugin}.{instance.workflow}"]


def item_by_id(app: OfficiumApp, item_id: int) -> WorkItem | None:
    """A work item by id, with a statement prepared once per process (every action reads its item)."""
    return prepared(app, "workflow.item", lambda key: WorkItem.select().where(WorkItem.id == key)).first(
        int(item_id)
    )


def instance_by_id(app: OfficiumApp, instance_id: int, *, lock: bool = False) -> Instance | None:
    """A document's instance by id (prepared once per process); ``lock``: FOR UPDATE on PostgreSQL."""
    if lock and isinstance(app.db, PostgresqlDatabase):
        statement = prepared(
            app,
            "workflow.instance_locked",
            lambda key: Instance.select().where(Instance.id == key).for_update(),
        )
    else:
        statement = prepared(
            app, "workflow.instance", lambda key: Instance.select().where(Instance.id == key)
        )
    return statement.first(int(instance_id))


def _lock(app: OfficiumApp, instance_id: int) -> Instance:
    instance = instance_by_id(app, instance_id, lock=True)
    if instance is None:
        raise WorkflowError("找不到该文件的流程。")
    return instance


def _guard_opinion(instance: Instance, opinion: str, request: Request | None) -> None:
    """The 涉密 guard over every opinion the log records (it is part of the document's record)."""
    from officium.core import secrecy

    findings = secrecy.scan({"意见": opinion})
    if findings:
        if request is not None:
            secrecy.record_refusal(request, instance.plugin, findings)
        raise OpinionRefused(findings)


def _log(
    app: OfficiumApp,
    instance: Instance,
    action: str,
    actor: User | None,
    *,
    step: str = "",
    opinion: str = "",
    on_behalf_of: User | None = None,
    detail: Mapping[str, Any] | None = None,
    request: Request | None = None,
) -> None:
    from officium.core.web.context import client_ip

    if opinion:
        _guard_opinion(instance, opinion, request)
    ActionLog.create(
        instance=instance,
        step=step or instance.step,
        action=action,
        actor=actor,
        on_behalf_of=on_behalf_of,
        opinion=opinion,
        detail=json.dumps(detail, ensure_ascii=False) if detail else "",
        ip=client_ip(request) if request is not None else "",
        at=app.clock(),
    )
    who = actor.name if actor is not None else "系统"
    if on_behalf_of is not None:
        who = f"{who} 代 {on_behalf_of.name}"
    audit.record(
        app,
        f"{instance.plugin}.workflow.{action}",
        actor=actor,
        request=request,
        on_behalf_of=on_behalf_of,
        object_type=instance.object_type,
        object_id=instance.object_id,
        summary=f"{who}：{ACTIONS.get(action, action)}《{instance.title}》",
    )


def _fields(instance: Instance) -> dict[str, Any]:
    return json.loads(instance.fields or "{}")


def _units_up(unit: Unit | None) -> list[Unit]:
    chain = []
    seen = set()
    while unit is not None and unit.id not in seen:
        chain.append(unit)
        seen.add(unit.id)
        unit = unit.parent
    return chain


def resolve(
    app: OfficiumApp, instance: Instance, handlers: Handlers, chosen: Sequence[User] = ()
) -> list[User]:
    """The active users who handle a step with ``handlers`` for this document."""
    if handlers.kind == "drafter":
        found = [instance.drafter]
    elif handlers.kind == "users":
        found = list(User.select().where(User.username.in_(handlers.usernames)))
    elif handlers.kind == "computed":
        found = list(handlers.resolver(app, instance)) if handlers.resolver is not None else []
    elif handlers.kind == "site_role":
        found = list(
            User.select()
            .join(RoleGrant, on=(RoleGrant.user == User.id))
            .where(RoleGrant.role == handlers.role)
            .order_by(User.id)
            .distinct()
        )
    elif handlers.kind == "role":
        found = []
        for unit in _units_up(instance.unit):
            found = list(
                User.select()
                .join(RoleGrant, on=(RoleGrant.user == User.id))
                .where(
                    (RoleGrant.role == handlers.role) & (RoleGrant.unit == unit) & (User.status == "active")
                )
                .order_by(User.id)
            )
            if found:  # a unit whose only holder has left does not stop the walk up the tree
                break
    else:  # chosen
        if not chosen:
            raise WorkflowError("请选择下一步的办理人。", field="chosen")
        if handlers.candidates is not None:
            pool = {u.id for u in resolve(app, instance, handlers.candidates)}
            outside = [u.name for u in chosen if u.id not in pool]
            if outside:
                raise WorkflowError(f"{'、'.join(outside)} 不在可选的办理人范围内。", field="chosen")
        found = list(chosen)
    return [u for u in dict.fromkeys(found) if u.is_active]


def _route(app: OfficiumApp, user: User, instance: Instance, step: str) -> tuple[User, User | None]:
    """Who holds new work of ``user`` at ``step``: a delegate (外出授权) when one is active, else the user.

    A step declared ``delegable=False`` (用印: seal custody) always stays with the person it names.
    """
    workflow = workflow_of(app, instance)
    if step in workflow.step_index and not workflow.step(step).delegable:
        return user, None
    delegate = app.hook.workflow_assignee(app=app, user=user, plugin=instance.plugin)
    if delegate is not None and delegate.id != user.id and delegate.is_active:
        return delegate, user
    return user, None


def _new_item(
    app: OfficiumApp,
    instance: Instance,
    step: str,
    user: User,
    *,
    kind: str = "todo",
    state: str = "open",
    seq: int = 0,
    added: int = 0,
    days: int | None = None,
) -> WorkItem:
    now = app.clock()
    assignee, principal = _route(app, user, instance, step)
    item = WorkItem.create(
        instance=instance,
        plugin=instance.plugin,
        kind=kind,
        step=step,
        assignee=assignee,
        principal=principal,
        state=state,
        seq=seq,
        added=added,
        title=instance.title,
        url=instance.url,
        urgency=instance.urgency,
        created_at=now,
        due_at=add_working_days(now, days) if days else None,
    )
    notifications.on_new_item(app, item)  # tell the holder (a delegate is told as "代 principal")
    return item


def _open_items(instance: Instance, step: str | None = None) -> list[WorkItem]:
    query = WorkItem.select().where(
        (WorkItem.instance == instance) & (WorkItem.kind == "todo") & WorkItem.state.in_(("open", "waiting"))
    )
    if step is not None:
        query = query.where(WorkItem.step == step)
    return list(query.order_by(WorkItem.seq, WorkItem.id))


def _next_index(workflow: Workflow, start: int, fields: Mapping[str, Any]) -> int | None:
    for index in range(start, len(workflow.steps)):
        step = workflow.steps[index]
        if step.when is None or step.when(fields):
            return index
    return None


def _enter(
    app: OfficiumApp,
    instance: Instance,
    index: int | None,
    actor: User | None,
    chosen: Sequence[User],
    request: Request | None,
) -> None:
    """Put the document into step ``index`` (or the next applicable one), or finish it."""
    workflow = workflow_of(app, instance)
    fields = _fields(instance)
    index = None if index is None else _next_index(workflow, index, fields)
    if index is None:
        instance.state = "done"
        instance.step = ""
        instance.finished_at = app.clock()
        instance.save()
        _log(app, instance, "finish", actor, request=request)
        if workflow.on_finish is not None:
            workflow.on_finish(FlowContext(app, instance, None, actor, fields))
        return
    step = workflow.steps[index]
    handlers = resolve(app, instance, step.handlers, chosen)
    if not handlers:
        raise WorkflowError(f"找不到“{step.title}”的办理人，请联系系统管理员配置角色。")
    _create_step_items(app, instance, step, handlers)


def _create_step_items(app: OfficiumApp, instance: Instance, step: Step, handlers: Sequence[User]) -> None:
    """Make ``step`` current with one item per handler (later ones waiting in a sequential step)."""
    instance.step = step.name
    instance.save()
    for position, user in enumerate(handlers):
        waiting = step.mode == "sequence" and position > 0
        state = "waiting" if waiting else "open"
        _new_item(app, instance, step.name, user, state=state, seq=position, days=step.days)


def _advance(
    app: OfficiumApp, instance: Instance, actor: User, chosen: Sequence[User], request: Request | None
) -> None:
    workflow = workflow_of(app, instance)
    step = workflow.step(instance.step)
    if step.on_complete is not None:
        step.on_complete(FlowContext(app, instance, step, actor, _fields(instance)))
    _enter(app, instance, workflow.step_index[step.name] + 1, actor, chosen, request)


def _users(ids: Sequence[int | User]) -> list[User]:
    wanted = [i.id if isinstance(i, User) else int(i) for i in ids]
    if not wanted:
        return []
    found = {u.id: u for u in User.select().where(User.id.in_(wanted))}
    return [found[i] for i in wanted if i in found]


def _take(app: OfficiumApp, item_id: int, actor: User) -> tuple[Instance, WorkItem]:
    """Lock the document and claim the actor's open item, or raise Conflict."""
    item = item_by_id(app, item_id)
    if item is None:
        raise WorkflowError("找不到该待办事项。")
    instance = _lock(app, item.instance_id)
    if isinstance(app.db, PostgresqlDatabase):
        # read again under the row lock; on SQLite the transaction has held the write lock since it began
        # (BEGIN IMMEDIATE), so the row read above is already the current one
        item = item_by_id(app, item_id)
    if item.assignee_id != actor.id:
        raise WorkflowError("这不是您的待办事项。")
    if instance.state == "suspended":
        raise Conflict("该文件已挂起，恢复后才能办理。")
    if item.state == "waiting" and instance.state == "running":
        raise Conflict("顺序会签尚未轮到您，请等前一位会签人办理后再办理。")
    if item.state != "open" or instance.state != "running":
        raise Conflict("该事项已被处理（可能他人已先办理或已撤回），请刷新后查看最新状态。")
    return instance, item


def _close_item(
    app: OfficiumApp, item: WorkItem, actor: User, action: str, opinion: str, state: str = "done"
) -> None:
    changed = (
        WorkItem.update(state=state, done_at=app.clock(), action=action, opinion=opinion, actor=actor)
        # the assignee too: a delegation that started or ended meanwhile moved the item to someone else
        .where(
            (WorkItem.id == item.id) & (WorkItem.state == "open") & (WorkItem.assignee == item.assignee_id)
        )
        .execute()
    )
    if not changed:
        raise Conflict("该事项已被处理或已转给他人，请刷新后查看最新状态。")


# ----------------------------------------------------------------------------------------- actions


def start(
    app: OfficiumApp,
    key: str,
    *,
    object_type: str,
    object_id: object,
    title: str,
    url: str,
    drafter: User,
    unit: Unit | None = None,
    urgency: str = "normal",
    fields: Mapping[str, Any] | None = None,
    chosen: Sequence[User | int] = (),
    opinion: str = "",
    request: Request | None = None,
) -> Instance:
    """Submit a document into workflow ``key`` (``<plugin>.<name>``) and create the first step's items."""
    if key not in app.registry.workflows:
        raise WorkflowError(f"流程 {key} 不存在。")
    plugin, name = key.split(".", 1)
    if (
        Instance.select()
        .where(
            (Instance.plugin == plugin)
            & (Instance.object_type == object_type)
            & (Instance.object_id == str(object_id))
        )
        .exists()
    ):
        raise Conflict("该文件已经提交过。")
    instance = Instance.create(
        plugin=plugin,
        workflow=name,
        object_type=object_type,
        object_id=str(object_id),
        title=title[:300],
        url=url,
        unit=unit if unit is not None else drafter.unit,
        drafter=drafter,
        urgency=urgency,
        fields=json.dumps(dict(fields or {}), ensure_ascii=False, default=str),
        started_at=app.clock(),
    )
    _log(app, instance, "submit", drafter, step=DRAFTER_STEP, opinion=opinion, request=request)
    _enter(app, instance, 0, drafter, _users(chosen), request)
    return instance


def set_fields(app: OfficiumApp, instance: Instance, fields: Mapping[str, Any], title: str = "") -> None:
    """Replace what step conditions (``when``) see, e.g. after the drafter revised a returned document;
    a new ``title`` also renames the document's open items in the 待办中心."""
    instance.fields = json.dumps(dict(fields), ensure_ascii=False, default=str)
    if title:
        instance.title = title[:300]
        WorkItem.update(title=instance.title).where(WorkItem.instance == instance).execute()
    instance.save()


def approve(
    app: OfficiumApp,
    item_id: int,
    actor: User,
    opinion: str = "",
    chosen: Sequence[User | int] = (),
    request: Request | None = None,
) -> Instance:
    """Complete the actor's item with an opinion (同意/已办); the step advances when its mode is satisfied.

    A returned document's drafter uses this to resubmit it.
    """
    instance, item = _take(app, item_id, actor)
    _close_item(app, item, actor, "approve", opinion)
    _log(
        app,
        instance,
        "approve" if item.step != DRAFTER_STEP else "submit",
        actor,
        step=item.step,
        opinion=opinion,
        on_behalf_of=item.principal,
        request=request,
    )
    picked = _users(chosen)
    if item.step == DRAFTER_STEP:
        _enter(app, instance, 0, actor, picked, request)
        return instance
    step = workflow_of(app, instance).step(item.step)
    remaining = _open_items(instance, item.step)
    if step.mode == "any" and not item.added:
        for other in remaining:
            if not other.added:
                WorkItem.update(state="taken").where(WorkItem.id == other.id).execute()
        remaining = [r for r in remaining if r.added]
    elif step.mode == "sequence":
        waiting = [r for r in remaining if r.state == "waiting"]
        if waiting and not any(r.state == "open" for r in remaining):
            # the next signer's turn starts now, and so does their time limit
            now = app.clock()
            due = add_working_days(now, step.days) if step.days else None
            WorkItem.update(state="open", created_at=now, due_at=due).where(
                WorkItem.id == waiting[0].id
            ).execute()
            notifications.on_new_item(app, WorkItem.get_by_id(waiting[0].id))
    instance.version += 1
    if not remaining:
        _advance(app, instance, actor, picked, request)  # saves the instance with its new step or state
    if instance.is_dirty():  # not advanced, or a callback changed it after it was saved
        instance.save()
    return instance


def return_(
    app: OfficiumApp, item_id: int, actor: User, to_step: str, opinion: str, request: Request | None = None
) -> Instance:
    """退回: send the document back to an earlier step it passed, or to its drafter (``"drafter"``)."""
    if not opinion.strip():
        raise WorkflowError("退回时请填写退回理由。", field="opinion")
    instance, item = _take(app, item_id, actor)
    workflow = workflow_of(app, instance)
    if item.step == DRAFTER_STEP:
        raise WorkflowError("拟稿人不能退回，可以修改后重新提交或撤销。")
    current = workflow.step_index[item.step]
    if to_step != DRAFTER_STEP and (
        to_step not in workflow.step_index or workflow.step_index[to_step] >= current
    ):
        raise WorkflowError("只能退回到之前办理过的步骤或拟稿人。", field="to_step")
    passed = {
        i.step
        for i in WorkItem.select(WorkItem.step).where(
            (WorkItem.instance == instance) & (WorkItem.state == "done")
        )
    }
    if to_step != DRAFTER_STEP and to_step not in passed:
        raise WorkflowError("该步骤没有办理过，不能退回到那里。", field="to_step")
    _close_item(app, item, actor, "return", opinion)
    for other in _open_items(instance):
        WorkItem.update(state="cancelled").where(WorkItem.id == other.id).execute()
    _log(
        app,
        instance,
        "return",
        actor,
        step=item.step,
        opinion=opinion,
        on_behalf_of=item.principal,
        detail={"to": to_step},
        request=request,
    )
    if to_step == DRAFTER_STEP:
        instance.step = DRAFTER_STEP
        instance.save()
        _new_item(app, instance, DRAFTER_STEP, instance.drafter)
        if workflow.on_return is not None:
            workflow.on_return(FlowContext(app, instance, None, actor, _fields(instance)))
    else:
        # back to the people who handled that step before, not to everyone the step would name
        done = (
            WorkItem.select()
            .where((WorkItem.instance == instance) & (WorkItem.step == to_step) & (WorkItem.state == "done"))
            .order_by(WorkItem.seq, WorkItem.id)
        )
        earlier = list(dict.fromkeys(i.principal or i.actor for i in done if i.actor is not None))
        _create_step_items(app, instance, workflow.step(to_step), [u for u in earlier if u.is_active])
    instance.version += 1
    instance.save()
    return instance


def transfer(
    app: OfficiumApp,
    item_id: int,
    actor: User,
    to_user: User,
    opinion: str = "",
    request: Request | None = None,
) -> Instance:
    """转办: hand one's own item to another person, who takes the same place in the step."""
    instance, item = _take(app, item_id, actor)
    if to_user.id == actor.id or not to_user.is_active:
        raise WorkflowError("请选择另一位在岗人员。", field="to_user")
    _close_item(app, item, actor, "transfer", opinion, state="transferred")
    step = workflow_of(app, instance).step(item.step) if item.step != DRAFTER_STEP else None
    _new_item(
        app, instance, item.step, to_user, seq=item.seq, added=item.added, days=step.days if step else None
    )
    _log(
        app,
        instance,
        "transfer",
        actor,
        step=item.step,
        opinion=opinion,
        on_behalf_of=item.principal,
        detail={"to": to_user.username},
        request=request,
    )
    return instance


def add_signers(
    app: OfficiumApp,
    item_id: int,
    actor: User,
    signers: Sequence[User | int],
    opinion: str = "",
    request: Request | None = None,
) -> Instance:
    """加签: ask more people to sign this step; it completes only when they have signed too."""
    instance, item = _take(app, item_id, actor)
    people = [u for u in _users(signers) if u.is_active]
    if not people:
        raise WorkflowError("请选择要加签的人员。", field="signers")
    step = workflow_of(app, instance).step(item.step) if item.step != DRAFTER_STEP else None
    if step is None:
        raise WorkflowError("拟稿人不能加签。")
    holders = {i.assignee_id for i in _open_items(instance, item.step)} | {
        i.principal_id for i in _open_items(instance, item.step)
    }
    for user in people:
        if user.id in holders:
            raise WorkflowError(f"{user.name} 已在本步骤中。", field="signers")
    if step.mode == "sequence":
        # in a sequential 会签 the added signers take their turns right after the one who added them, before
        # the signers still waiting: make room in the order, then queue them
        WorkItem.update(seq=WorkItem.seq + len(people)).where(
            (WorkItem.instance == instance)
            & (WorkItem.step == item.step)
            & (WorkItem.state == "waiting")
            & (WorkItem.seq > item.seq)
        ).execute()
        for offset, user in enumerate(people, start=1):
            _new_item(app, instance, item.step, user, state="waiting", seq=item.seq + offset, added=1)
    else:
        for user in people:
            _new_item(app, instance, item.step, user, added=1, days=step.days)
    _log(
        app,
        instance,
        "add_signer",
        actor,
        step=item.step,
        opinion=opinion,
        on_behalf_of=item.principal,
        detail={"signers": [u.username for u in people]},
        request=request,
    )
    return instance


def _reopen(app: OfficiumApp, instance: Instance, item: WorkItem) -> None:
    """Put a withdrawn item back in play, with whoever holds its owner's work now (a delegation may have
    started or ended since it was done)."""
    assignee, principal = _route(app, item.principal or item.assignee, instance, item.step)
    WorkItem.update(
        state="open", done_at=None, action="", opinion="", actor=None, assignee=assignee, principal=principal
    ).where(WorkItem.id == item.id).execute()


def withdraw(app: OfficiumApp, instance_id: int, actor: User, request: Request | None = None) -> Instance:
    """撤回: take back one's last submission or approval while the next handlers have not acted on it."""
    instance = _lock(app, instance_id)
    if instance.state != "running":
        raise Conflict("该文件已不在办理中，不能撤回。")
    last = (
        ActionLog.select()
        .where((ActionLog.instance == instance) & ActionLog.action.in_(("submit", "approve")))
        .order_by(ActionLog.id.desc())
        .first()
    )
    if last is None or last.actor_id != actor.id:
        raise WorkflowError("只有最近一步的办理人才能撤回。")
    moved_since = ActionLog.select().where(
        (ActionLog.instance == instance)
        & (ActionLog.id > last.id)
        & ActionLog.action.in_(("return", "transfer", "jump", "reassign", "withdraw", "close"))
    )
    if moved_since.exists():
        # the document was sent back, handed on or already withdrawn since: nothing of this actor's to undo
        raise Conflict("该文件在您办理后已被退回、转办或撤回过，不能再撤回。")
    if last.step != DRAFTER_STEP and workflow_of(app, instance).step(last.step).mode == "sequence":
        raise WorkflowError("顺序会签中不能撤回已签的意见。")
    acted_since = (
        WorkItem.select()
        .where(
            (WorkItem.instance == instance)
            & (WorkItem.step == instance.step)
            & (WorkItem.state == "done")
            & (WorkItem.created_at >= last.at)
            & (WorkItem.kind == "todo")
        )
        .exists()
    )
    if last.step == instance.step:
        # one signer of a step that is still waiting for others takes back their own signature
        mine = (
            WorkItem.select()
            .where(
                (WorkItem.instance == instance)
                & (WorkItem.step == last.step)
                & (WorkItem.actor == actor)
                & (WorkItem.state == "done")
            )
            .order_by(WorkItem.id.desc())
            .first()
        )
        _reopen(app, instance, mine)
    else:
        if acted_since:
            raise Conflict("下一步已有人办理，不能撤回。")
        for other in _open_items(instance):
            WorkItem.update(state="cancelled").where(WorkItem.id == other.id).execute()
        instance.step = last.step
        if last.step == DRAFTER_STEP:
            _new_item(app, instance, DRAFTER_STEP, instance.drafter)
        else:
            mine = (
                WorkItem.select()
                .where(
                    (WorkItem.instance == instance)
                    & (WorkItem.step == last.step)
                    & (WorkItem.actor == actor)
                    & (WorkItem.state == "done")
                )
                .order_by(WorkItem.id.desc())
                .first()
            )
            _reopen(app, instance, mine)
            # in an "any one of several" step the others had the item taken from them: give it back
            WorkItem.update(state="open").where(
                (WorkItem.instance == instance)
                & (WorkItem.step == last.step)
                & (WorkItem.state == "taken")
                & (WorkItem.created_at >= mine.created_at)
            ).execute()
    instance.version += 1
    instance.save()
    # a delegate takes back what they did for the principal: the log says "B 代 A" again
    on_behalf_of = last.on_behalf_of if last.on_behalf_of_id else None
    _log(app, instance, "withdraw", actor, step=last.step, on_behalf_of=on_behalf_of, request=request)
    return instance


def circulate(
    app: OfficiumApp,
    instance_id: int,
    actor: User,
    readers: Sequence[User | int],
    note: str = "",
    request: Request | None = None,
) -> list[WorkItem]:
    """传阅: give people a 待阅 item; it does not hold up the workflow."""
    instance = _lock(app, instance_id)
    people = [u for u in _users(readers) if u.is_active]
    if not people:
        raise WorkflowError("请选择传阅对象。", field="readers")
    already = {
        i.principal_id or i.assignee_id
        for i in WorkItem.select().where(
            (WorkItem.instance == instance) & (WorkItem.kind == "read") & (WorkItem.state == "open")
        )
    }
    created = [_new_item(app, instance, "circulate", u, kind="read") for u in people if u.id not in already]
    _log(
        app,
        instance,
        "circulate",
        actor,
        opinion=note,
        detail={"readers": [u.username for u in people]},
        request=request,
    )
    return created


def mark_read(app: OfficiumApp, item_id: int, actor: User, request: Request | None = None) -> None:
    """已阅: close one's own reading item."""
    item = WorkItem.get_or_none((WorkItem.id == item_id) & (WorkItem.kind == "read"))
    if item is None or item.assignee_id != actor.id:
        raise WorkflowError("找不到该待阅事项。")
    changed = (
        WorkItem.update(state="done", done_at=app.clock(), action="read", actor=actor)
        .where((WorkItem.id == item.id) & (WorkItem.state == "open"))
        .execute()
    )
    if changed:
        _log(
            app, item.instance, "read", actor, step="circulate", on_behalf_of=item.principal, request=request
        )


def suspend(
    app: OfficiumApp, instance_id: int, actor: User, reason: str, request: Request | None = None
) -> Instance:
    """挂起: stop the document and its clock (e.g. waiting for outside material)."""
    instance = _lock(app, instance_id)
    if instance.state != "running":
        raise Conflict("只有办理中的文件才能挂起。")
    if not reason.strip():
        raise WorkflowError("请填写挂起原因。", field="opinion")
    instance.state = "suspended"
    instance.suspended_at = app.clock()
    instance.save()
    _log(app, instance, "suspend", actor, opinion=reason, request=request)
    return instance


def resume(app: OfficiumApp, instance_id: int, actor: User, request: Request | None = None) -> Instance:
    """恢复: continue a suspended document; open items' deadlines move by the time it was suspended."""
    instance = _lock(app, instance_id)
    if instance.state != "suspended":
        raise Conflict("该文件没有挂起。")
    paused = app.clock() - instance.suspended_at
    for item in _open_items(instance):
        if item.due_at is not None:
            WorkItem.update(due_at=item.due_at + paused).where(WorkItem.id == item.id).execute()
    instance.state = "running"
    instance.suspended_at = None
    instance.save()
    _log(app, instance, "resume", actor, request=request)
    return instance


def urge(
    app: OfficiumApp, instance_id: int, actor: User, message: str, request: Request | None = None
) -> list[User]:
    """催办: remind the current handlers (recorded in the log); returns who was reminded."""
    instance = Instance.get_or_none(Instance.id == instance_id)
    if instance is None or instance.state != "running":
        raise WorkflowError("只能催办办理中的文件。")
    holders = [i.assignee for i in _open_items(instance) if i.state == "open"]
    _log(app, instance, "urge", actor, opinion=message or "请尽快办理。", request=request)
    return holders


# ------------------------------------------------------------------------------- 流程监控 (monitor)


def reassign(
    app: OfficiumApp, item_id: int, admin: User, to_user: User, reason: str, request: Request | None = None
) -> Instance:
    """改派 by the workflow administrator: move an open item to another person."""
    item = WorkItem.get_or_none(WorkItem.id == item_id)
    if item is None:
        raise WorkflowError("找不到该待办事项。")
    instance = _lock(app, item.instance_id)
    if WorkItem.get_by_id(item_id).state not in ("open", "waiting"):
        raise Conflict("该事项已被处理。")
    if not reason.strip():
        raise WorkflowError("请填写改派原因。", field="opinion")
    assignee, principal = _route(app, to_user, instance, item.step)
    WorkItem.update(assignee=assignee, principal=principal).where(WorkItem.id == item_id).execute()
    notifications.on_new_item(app, WorkItem.get_by_id(item_id))
    _log(
        app,
        instance,
        "reassign",
        admin,
        step=item.step,
        opinion=reason,
        detail={"from": item.assignee.username, "to": to_user.username},
        request=request,
    )
    return instance


def jump(
    app: OfficiumApp,
    instance_id: int,
    admin: User,
    to_step: str,
    reason: str,
    chosen: Sequence[User | int] = (),
    request: Request | None = None,
) -> Instance:
    """跳转 by the workflow administrator: put a running document into any step."""
    instance = _lock(app, instance_id)
    workflow = workflow_of(app, instance)
    if instance.state not in ("running", "suspended") or to_step not in workflow.step_index:
        raise WorkflowError("只能把办理中的文件跳转到本流程的某个步骤。", field="to_step")
    if not reason.strip():
        raise WorkflowError("请填写跳转原因。", field="opinion")
    for other in _open_items(instance):
        WorkItem.update(state="cancelled").where(WorkItem.id == other.id).execute()
    _log(app, instance, "jump", admin, opinion=reason, detail={"to": to_step}, request=request)
    step = workflow.step(to_step)
    handlers = resolve(app, instance, step.handlers, _users(chosen))
    if not handlers:
        raise WorkflowError(f"找不到“{step.title}”的办理人。")
    instance.version += 1
    _create_step_items(app, instance, step, handlers)
    return instance


def close(
    app: OfficiumApp, instance_id: int, actor: User, reason: str, request: Request | None = None
) -> Instance:
    """终止: end a document without finishing it (the drafter before anyone acted, or the administrator)."""
    instance = _lock(app, instance_id)
    if instance.state in ("done", "closed"):
        raise Conflict("该文件已办结或已终止。")
    if not reason.strip():
        raise WorkflowError("请填写终止原因。", field="opinion")
    for other in _open_items(instance):
        WorkItem.update(state="cancelled").where(WorkItem.id == other.id).execute()
    WorkItem.update(state="cancelled").where(
        (WorkItem.instance == instance) & (WorkItem.kind == "read") & (WorkItem.state == "open")
    ).execute()
    instance.state = "closed"
    instance.finished_at = app.clock()
    instance.version += 1
    instance.save()
    _log(app, instance, "close", actor, opinion=reason, request=request)
    workflow = workflow_of(app, instance)
    if workflow.on_close is not None:
        workflow.on_close(FlowContext(app, instance, None, actor, _fields(instance)))
    return instance


# ---------------------------------------------------------------------------------------- queries


def timeline(instance: Instance) -> list[ActionLog]:
    """The document's 流转记录, oldest first."""
    return list(ActionLog.select().where(ActionLog.instance == instance).order_by(ActionLog.at, ActionLog.id))


def instance_for(plugin: str, object_type: str, object_id: object) -> Instance | None:
    """The workflow instance of a plugin's record, if it was submitted."""
    return Instance.get_or_none(
        (Instance.plugin == plugin)
        & (Instance.object_type == object_type)
        & (Instance.object_id == str(object_id))
    )


def my_open_item(instance: Instance, user: User) -> WorkItem | None:
    """The user's open 待办 item on this document, if any."""
    return (
        WorkItem.select()
        .where(
            (WorkItem.instance == instance)
            & (WorkItem.assignee == user)
            & (WorkItem.state == "open")
            & (WorkItem.kind == "todo")
        )
        .first()
    )
