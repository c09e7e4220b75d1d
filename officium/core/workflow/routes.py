"""The generic workflow routes every module shares: the actions of the workflow panel (pages and JSON API),
the document's workflow page, 流程监控 and the 待办中心.

Each action runs the engine inside the request's transaction (the routing engine opens one per POST and
audits through the engine).  The engine's answers map to HTTP the same way everywhere:

* a user who may not see the document (not its drafter, never held an item on it, not a workflow
  administrator) gets **404**, as if it did not exist;
* :class:`~officium.core.workflow.engine.Conflict` — someone acted first, or the document moved on — is
  **409**: the Chinese conflict page, or JSON ``{"error": {"code": "conflict", ...}}``;
* any other :class:`~officium.core.workflow.engine.WorkflowError` is **400**: the page is shown again
  with the message beside the field and what was typed kept, or JSON ``invalid`` with ``fields``;
* success answers a page with a flash message and a redirect back to where the panel was shown
  (``next``), and the API with the document's new state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from peewee import PostgresqlDatabase
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium.core.identity.models import User
from officium.core.identity.people import parse_usernames, people_by_username
from officium.core.registry import AUTHENTICATED, Api, MenuItem, Page
from officium.core.web.api import ApiError
from officium.core.workflow import engine, panel, todo
from officium.core.workflow.definition import DRAFTER_STEP
from officium.core.workflow.engine import Conflict, WorkflowError
from officium.core.workflow.models import INSTANCE_STATES, Instance, WorkItem

MONITOR = panel.MONITOR
POST = ("POST",)
BOTH = ("GET", "POST")


# -------------------------------------------------------------------------------------------- inputs


class Inputs:
    """What an action was sent: the form of a page or the JSON body of an API call, read the same way."""

    def __init__(self, request: Request, is_api: bool) -> None:
        self.is_api = is_api
        if is_api:
            body = getattr(request.state, "json", None)
            if body is None and not getattr(request.state, "form", None):
                body = {}
            if body is not None and not isinstance(body, dict):
                raise ApiError(400, "invalid", "请求体应为 JSON 对象。")
            self.data: Mapping[str, Any] = body if body is not None else request.state.form
        else:
            self.data = request.state.form

    def text(self, key: str) -> str:
        """A text input, stripped ('' when absent)."""
        value = self.data.get(key, "")
        if isinstance(value, list):
            value = value[-1] if value else ""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # an id sent as a JSON number
        return value.strip() if isinstance(value, str) else ""

    def people(self, key: str) -> list[User]:
        """Active people named by username: a picker's comma-separated text, ticked boxes, or a JSON list.

        An unknown username is a 400 beside the field, never silently dropped.
        """
        value = self.data.get(key, "")
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str):
            raise WorkflowError("请用用户名指定人员。", field=key)
        if not parse_usernames(value):
            return []  # nobody named (an approval that chooses no one): no query
        found, unknown = people_by_username(value)
        if unknown:
            raise WorkflowError(f"找不到在岗人员：{'、'.join(unknown)}。", field=key)
        return found

    def person(self, key: str, missing: str) -> User:
        """Exactly one person (转办, 改派)."""
        found = self.people(key)
        if not found:
            raise WorkflowError(missing, field=key)
        if len(found) > 1:
            raise WorkflowError("这里只能选择一个人。", field=key)
        return found[0]

    def values(self) -> dict[str, str]:
        """What was typed, to keep in the form when it is shown again."""
        kept = {}
        for key, value in self.data.items():
            if key == "csrf_token":
                continue
            kept[key] = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        return kept


# ------------------------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Action:
    """One workflow action: where it is posted, what it acts on, and what it does.

    ``target`` is ``item`` (the path carries a work item id) or ``instance``.  ``run(ctx)`` calls the
    engine and returns the flash message.  ``text`` is the name of the free-text input the engine calls
    ``opinion`` in its errors (a reason, a message, a note).
    """

    key: str
    path: str
    target: str
    title: str
    run: Callable[[ActionContext], str]
    permission: str = AUTHENTICATED
    text: str = "opinion"


@dataclass
class ActionContext:
    request: Request
    instance: Instance
    item: WorkItem | None
    inputs: Inputs

    @property
    def app(self) -> Any:
        return self.request.state.app

    @property
    def user(self) -> User:
        return self.request.state.user


def _names(people: list[User]) -> str:
    return "、".join(u.name for u in people)


def _opinion(ctx: ActionContext) -> str:
    # A phrase picked from 常用意见 stands in for an empty opinion box (the page works without JavaScript).
    return ctx.inputs.text("opinion") or ctx.inputs.text("phrase")


def _approve(ctx: ActionContext) -> str:
    chosen = ctx.inputs.people("chosen")
    instance = engine.approve(ctx.app, ctx.item.id, ctx.user, _opinion(ctx), chosen, request=ctx.request)
    if ctx.item.step == DRAFTER_STEP:
        return "已重新提交。"
    return "已办结。" if instance.state == "done" else "已办理。"


def _return(ctx: ActionContext) -> str:
    to_step = ctx.inputs.text("to_step")
    if not to_step:
        raise WorkflowError("请选择退回到哪一步。", field="to_step")
    engine.return_(ctx.app, ctx.item.id, ctx.user, to_step, _opinion(ctx), request=ctx.request)
    return "已退回。"


def _transfer(ctx: ActionContext) -> str:
    to_user = ctx.inputs.person("to_user", "请选择转办给谁。")
    engine.transfer(ctx.app, ctx.item.id, ctx.user, to_user, _opinion(ctx), request=ctx.request)
    return f"已转办给{to_user.name}。"


def _add_signers(ctx: ActionContext) -> str:
    signers = ctx.inputs.people("signers")
    engine.add_signers(ctx.app, ctx.item.id, ctx.user, signers, _opinion(ctx), request=ctx.request)
    return f"已加签：{_names(signers)}。"


def _read(ctx: ActionContext) -> str:
    engine.mark_read(ctx.app, ctx.item.id, ctx.user, request=ctx.request)
    return "已阅。"


def _lock(ctx: ActionContext) -> Instance:
    # The same row lock the engine takes first, so that a check made here still holds when it acts.
    query = Instance.select().where(Instance.id == ctx.instance.id)
    if isinstance(ctx.app.db, PostgresqlDatabase):
        query = query.for_update()
    return query.get()


def _withdraw(ctx: ActionContext) -> str:
    instance = _lock(ctx)
    if not panel.can_withdraw(ctx.request, instance, ctx.user):
        if instance.state != "running":
            raise Conflict("该文件已不在办理中，不能撤回。")
        if not panel.made_last_submission(instance, ctx.user):
            raise WorkflowError("只有最近一步的办理人才能撤回。")
        raise Conflict("下一步已有人办理或文件已被退回、转办，不能撤回。")
    engine.withdraw(ctx.app, instance.id, ctx.user, request=ctx.request)
    return "已撤回。"


def _circulate(ctx: ActionContext) -> str:
    if not panel.can_circulate(ctx.request, ctx.instance):
        raise HTTPException(403, "只有拟稿人、当前办理人和流程管理员可以传阅。")
    readers = ctx.inputs.people("readers")
    created = engine.circulate(
        ctx.app, ctx.instance.id, ctx.user, readers, ctx.inputs.text("note"), request=ctx.request
    )
    if not created:
        return "所选人员已在传阅中，没有重复发送。"
    return f"已传阅给：{_names([i.principal or i.assignee for i in created])}。"


def _require_manage(ctx: ActionContext) -> None:
    if not panel.can_manage(ctx.request, ctx.instance):
        raise HTTPException(403, "只有拟稿人和流程管理员可以执行此操作。")


def _urge(ctx: ActionContext) -> str:
    _require_manage(ctx)
    holders = engine.urge(ctx.app, ctx.instance.id, ctx.user, ctx.inputs.text("message"), request=ctx.request)
    return f"已催办：{_names(holders)}。" if holders else "已催办。"


def _suspend(ctx: ActionContext) -> str:
    _require_manage(ctx)
    engine.suspend(ctx.app, ctx.instance.id, ctx.user, ctx.inputs.text("reason"), request=ctx.request)
    return "已挂起，办理期限暂停计算。"


def _resume(ctx: ActionContext) -> str:
    _require_manage(ctx)
    engine.resume(ctx.app, ctx.instance.id, ctx.user, request=ctx.request)
    return "已恢复办理。"


def _cancel(ctx: ActionContext) -> str:
    instance = _lock(ctx)
    if not panel.can_cancel(ctx.request, instance):
        if instance.drafter_id != ctx.user.id:
            raise HTTPException(403, "只有拟稿人可以撤销文件。")
        raise Conflict("文件不在拟稿人手中，不能撤销；可先撤回。")
    engine.close(ctx.app, instance.id, ctx.user, ctx.inputs.text("reason"), request=ctx.request)
    return "已撤销。"


def _reassign(ctx: ActionContext) -> str:
    raw = ctx.inputs.text("item")
    item = (
        WorkItem.get_or_none(
            (WorkItem.id == int(raw)) & (WorkItem.instance == ctx.instance.id) & (WorkItem.kind == "todo")
        )
        if raw.isdigit()
        else None
    )
    if item is None:
        raise WorkflowError("请选择本文件中要改派的事项。", field="item")
    to_user = ctx.inputs.person("to_user", "请选择改派给谁。")
    engine.reassign(ctx.app, item.id, ctx.user, to_user, ctx.inputs.text("reason"), request=ctx.request)
    return f"已改派给{to_user.name}。"


def _jump(ctx: ActionContext) -> str:
    to_step = ctx.inputs.text("to_step")
    chosen = ctx.inputs.people("chosen")
    engine.jump(
        ctx.app, ctx.instance.id, ctx.user, to_step, ctx.inputs.text("reason"), chosen, request=ctx.request
    )
    return "已跳转。"


def _close(ctx: ActionContext) -> str:
    engine.close(ctx.app, ctx.instance.id, ctx.user, ctx.inputs.text("reason"), request=ctx.request)
    return "已终止。"


ACTIONS = [
    Action("approve", "/workflow/items/{id:int}/approve", "item", "同意", _approve),
    Action("return", "/workflow/items/{id:int}/return", "item", "退回", _return),
    Action("transfer", "/workflow/items/{id:int}/transfer", "item", "转办", _transfer),
    Action("add_signers", "/workflow/items/{id:int}/add-signers", "item", "加签", _add_signers),
    Action("read", "/workflow/items/{id:int}/read", "item", "已阅", _read),
    Action("withdraw", "/workflow/{id:int}/withdraw", "instance", "撤回", _withdraw),
    Action("circulate", "/workflow/{id:int}/circulate", "instance", "传阅", _circulate, text="note"),
    Action("urge", "/workflow/{id:int}/urge", "instance", "催办", _urge, text="message"),
    Action("suspend", "/workflow/{id:int}/suspend", "instance", "挂起", _suspend, text="reason"),
    Action("resume", "/workflow/{id:int}/resume", "instance", "恢复", _resume),
    Action("cancel", "/workflow/{id:int}/cancel", "instance", "撤销", _cancel, text="reason"),
    Action(
        "reassign", "/workflow/monitor/{id:int}/reassign", "instance", "改派", _reassign, MONITOR, "reason"
    ),
    Action("jump", "/workflow/monitor/{id:int}/jump", "instance", "跳转", _jump, MONITOR, "reason"),
    Action("close", "/workflow/monitor/{id:int}/close", "instance", "终止", _close, MONITOR, "reason"),
]


def _target(request: Request, action: Action) -> tuple[Instance, WorkItem | None]:
    """The document (and work item) an action names, or 404 when it does not exist or is not visible."""
    key = request.path_params["id"]
    item = None
    if action.target == "item":
        item = engine.item_by_id(request.state.app, key)
        if item is None:
            raise HTTPException(404)
        instance = engine.instance_by_id(request.state.app, item.instance_id)
    else:
        instance = engine.instance_by_id(request.state.app, key)
    return panel.require_visible(request, instance), item


def _field(action: Action, field: str) -> str:
    return action.text if field == "opinion" else field


def _run(request: Request, action: Action, is_api: bool) -> tuple[Instance, str]:
    """Run an action in a savepoint: a refusal undoes whatever the engine wrote before it refused."""
    instance, item = _target(request, action)
    ctx = ActionContext(request, instance, item, Inputs(request, is_api))
    with request.state.app.db.atomic():
        message = action.run(ctx)
    return engine.instance_by_id(ctx.app, instance.id), message


def safe_next(target: str, fallback: str) -> str:
    """A local path to go back to after an action (never another site)."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else fallback


def action_page(action: Action) -> Callable[[Request], Response]:
    """The page view of an action: redirect back with a flash message, the form again on a 400, 409 page."""

    def view(request: Request) -> Response:
        from officium.core.web.views import flash, redirect

        try:
            instance, message = _run(request, action, is_api=False)
        except Conflict as exc:
            raise HTTPException(409, exc.message) from exc
        except WorkflowError as exc:
            return _refused(request, action, exc)
        flash(request, message)
        back = request.state.form.get("next", "")
        return redirect(safe_next(back if isinstance(back, str) else "", instance.url))

    view.__name__ = f"wf_{action.key}"
    view.__doc__ = f"流程办理：{action.title}"
    return view


def _refused(request: Request, action: Action, exc: WorkflowError) -> Response:
    """The document's workflow page again (400) with the message beside the field and the input kept."""
    instance, _ = _target(request, action)
    inputs = Inputs(request, is_api=False)
    field = _field(action, exc.field) if exc.field else ""
    back = inputs.text("next")
    return instance_page_response(
        request,
        instance,
        status_code=400,
        errors={field: exc.message},
        values=inputs.values(),
        form=action.key,
        form_title=action.title,
        next_url=safe_next(back, instance.url),  # not this POST's own URL
    )


def action_api(action: Action) -> Callable[[Request], dict[str, Any]]:
    """The API view of an action: the document's new state, or the standard JSON error."""

    def view(request: Request) -> dict[str, Any]:
        try:
            instance, message = _run(request, action, is_api=True)
        except Conflict as exc:
            raise ApiError(409, "conflict", exc.message) from exc
        except WorkflowError as exc:
            fields = {_field(action, exc.field): exc.message} if exc.field else None
            raise ApiError(400, "invalid", exc.message, fields) from exc
        return {"message": message, "instance": instance_state(request, instance)}

    view.__name__ = f"api_wf_{action.key}"
    view.__doc__ = f"流程办理：{action.title}"
    return view


# ----------------------------------------------------------------------------- the document's workflow


def instance_state(request: Request, instance: Instance) -> dict[str, Any]:
    """The API form of the workflow panel: state, step, handlers, what the user may do, the timeline."""
    data = panel.panel_context(request, instance, for_api=True)
    actions = data["actions"]
    available = [k for k, v in actions.items() if v and k != "return"]
    if actions["return"]:
        available.append("return")
    approve = actions["approve"]
    nxt = approve["next"] if approve else None
    return {
        "id": instance.id,
        "plugin": instance.plugin,
        "module": data["module"],
        "workflow": data["workflow"],
        "title": instance.title,
        "url": instance.url,
        "state": instance.state,
        "urgency": instance.urgency,
        "drafter": {"username": instance.drafter.username, "name": instance.drafter.name},
        "started_at": instance.started_at.isoformat(),
        "finished_at": instance.finished_at.isoformat() if instance.finished_at else None,
        "step": {k: data["step"][k] for k in ("name", "title", "mode", "days")} if data["step"] else None,
        "handlers": [
            {
                "item_id": h["item_id"],
                "username": h["username"],
                "name": h["name"],
                "on_behalf_of": h["on_behalf_of"] or None,
                "state": h["state"],
                "due_at": h["due_at"].isoformat() if h["due_at"] else None,
                "light": h["light"],
            }
            for h in data["handlers"]
        ],
        "item_id": data["item"].id if data["item"] else None,
        "read_item_id": data["read_item"].id if data["read_item"] else None,
        "actions": sorted(available),
        "return_to": [{"step": name, "title": title} for name, title in actions["return"]],
        "next": None
        if nxt is None
        else {
            "title": nxt["title"],
            "finishes": nxt["finishes"],
            "choose": nxt["choose"],
            "candidates": None
            if nxt.get("candidates") is None
            else [{"username": u.username, "name": u.name} for u in nxt["candidates"]],
        },
        "timeline": [
            {
                "at": e["at"].isoformat(),
                "step": e["step"],
                "step_title": e["step_title"],
                "action": e["action"],
                "actor": e["actor_username"],
                "who": e["who"],
                "opinion": e["opinion"],
                "detail": e["detail"],
            }
            for e in data["timeline"]
        ],
    }


def instance_page_response(
    request: Request, instance: Instance, status_code: int = 200, **panel_args: Any
) -> Response:
    """The core's page of one document's workflow: a link to the document, the panel and the timeline."""
    from officium.core.web.views import render

    context = panel.panel_context(request, instance, **panel_args)
    crumbs = [("流程监控", "/workflow/monitor/")] if panel.is_monitor(request) else [("待办中心", "/todo/")]
    return render(
        request,
        "core/workflow/instance.html",
        status_code=status_code,
        panel=context,
        breadcrumbs=[*crumbs, (instance.title, "")],
    )


def instance_page(request: Request) -> Response:
    """流程详情: where a document is and what the user may do with it (also the monitor's page for it)."""
    instance = panel.require_visible(request, Instance.get_or_none(Instance.id == request.path_params["id"]))
    return instance_page_response(request, instance)


def api_instance(request: Request) -> dict[str, Any]:
    """A document's workflow: state, current step and handlers, the user's possible actions, 流转记录."""
    instance = panel.require_visible(request, Instance.get_or_none(Instance.id == request.path_params["id"]))
    return instance_state(request, instance)


# ---------------------------------------------------------------------------------------- 流程监控


def monitor_query(app: Any, params: Mapping[str, str]) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """Running and suspended documents for 流程监控, filtered by module, step, overdue and drafter."""
    from officium.core.identity.models import User as UserModel

    errors: dict[str, str] = {}
    plugin = params.get("plugin", "").strip()
    step = params.get("step", "").strip()
    drafter = params.get("drafter", "").strip()
    state = params.get("state", "").strip()
    overdue = params.get("overdue", "") in ("1", "on", "true", "yes")
    if plugin and plugin not in {p.name for p in app.plugins}:
        errors["plugin"] = "没有这个模块。"
    if state and state not in ("running", "suspended"):
        errors["state"] = "状态应为办理中或已挂起。"
    wanted = (state,) if state and "state" not in errors else ("running", "suspended")
    query = (
        Instance.select(Instance, todo.Drafter)
        .join(todo.Drafter, on=(Instance.drafter == todo.Drafter.id))
        .where(Instance.state.in_(wanted))
    )
    if plugin and not errors.get("plugin"):
        query = query.where(Instance.plugin == plugin)
    if step:
        query = query.where(Instance.step == step)
    if drafter:
        people = UserModel.select(UserModel.id).where(
            (UserModel.username == drafter) | UserModel.name.contains(drafter)
        )
        query = query.where(Instance.drafter.in_(people))
    if overdue:
        late = WorkItem.select(WorkItem.instance).where(
            (WorkItem.state == "open") & WorkItem.due_at.is_null(False) & (WorkItem.due_at < app.clock())
        )
        query = query.where((Instance.state == "running") & Instance.id.in_(late))
    kept = {"plugin": plugin, "step": step, "drafter": drafter, "state": state, "overdue": overdue}
    return query, errors, kept


def _step_options(app: Any, plugin: str) -> list[tuple[str, str]]:
    options: dict[str, str] = {}
    for key, workflow in app.registry.workflows.items():
        if plugin and not key.startswith(f"{plugin}."):
            continue
        for step in workflow.steps:
            options.setdefault(step.name, f"{step.title}（{step.name}）")
    options[DRAFTER_STEP] = "拟稿人修改（drafter）"
    return sorted(options.items())


def monitor_page(request: Request) -> Response:
    """流程监控: documents in progress across every module, for the workflow administrators."""
    from officium.core.web.views import page_of, render, sort_query

    app = request.state.app
    query, errors, kept = monitor_query(app, request.query_params)
    query, sorting = sort_query(request, query, {"started": Instance.started_at}, "started", "desc")
    listing = page_of(request, query)
    rows = todo.instance_rows(app, listing.items, todo.Lights.for_app(app))
    return render(
        request,
        "core/workflow/monitor.html",
        status_code=400 if errors else 200,
        listing=listing,
        rows=rows,
        sorting=sorting,
        errors=errors,
        kept=kept,
        plugins=todo.workflow_plugins(app),
        steps=_step_options(app, kept["plugin"]),
        states=[(k, INSTANCE_STATES[k]) for k in ("running", "suspended")],
        breadcrumbs=[("流程监控", "")],
    )


def api_monitor(request: Request) -> dict[str, Any]:
    """流程监控: running and suspended documents (``plugin``, ``step``, ``drafter``, ``state``, ``overdue=1``)."""
    from officium.core.web.api import page_params

    app = request.state.app
    query, errors, _ = monitor_query(app, request.query_params)
    if errors:
        raise ApiError(400, "invalid_query", "查询参数不正确。", errors)
    page, per_page = page_params(request)
    query = query.order_by(Instance.started_at.desc(), Instance.id.desc())
    rows = todo.instance_rows(app, list(query.paginate(page, per_page)), todo.Lights.for_app(app))
    return {
        "items": [todo.instance_json(r) for r in rows],
        "page": page,
        "per_page": per_page,
        "total": query.count(),
    }


# ------------------------------------------------------------------------------------------ declared

PAGES = [
    *(
        Page(
            path,
            todo.box_page(box),
            f"todo_{box}",
            AUTHENTICATED,
            methods=BOTH if box == "read" else ("GET",),
        )
        for box, (_, path) in todo.BOXES.items()
    ),
    Page("/workflow/{id:int}/", instance_page, "wf_instance", AUTHENTICATED),
    Page("/workflow/monitor/", monitor_page, "wf_monitor", MONITOR),
    *(Page(a.path, action_page(a), f"wf_{a.key}", a.permission, methods=POST) for a in ACTIONS),
]

APIS = [
    Api("/todo", todo.api_todo, "todo", AUTHENTICATED, summary="待办中心：待办、已办、待阅、已阅、我发起的"),
    Api("/todo/read", todo.api_read, "todo_read", AUTHENTICATED, methods=POST, summary="批量标记已阅"),
    Api("/workflow/{id:int}", api_instance, "wf_instance", AUTHENTICATED, summary="文件的流程状态与流转记录"),
    Api("/workflow/monitor", api_monitor, "wf_monitor", MONITOR, summary="流程监控：办理中和已挂起的文件"),
    *(
        Api(a.path, action_api(a), f"wf_{a.key}", a.permission, methods=POST, summary=f"流程办理：{a.title}")
        for a in ACTIONS
    ),
]

ROUTES = [*PAGES, *APIS]

MENU = [
    # first of 快捷操作, before the user's own shortcuts (which count from 0)
    MenuItem("待办中心", "/todo/", "快捷操作", AUTHENTICATED, order=-10),
    MenuItem("流程监控", "/workflow/monitor/", "系统管理", MONITOR, order=50),
]
