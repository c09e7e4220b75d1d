"""The workflow panel a module's document page shows: where the document is, what the user may do, and its
流转记录 (timeline).

A plugin's view builds the panel's data with :func:`panel_context` and its template shows it with the
``workflow_panel`` macro::

    from officium.core.workflow.panel import panel_context, require_visible

    def show(request):
        instance = engine.instance_for("leave", "request", request.path_params["id"])
        require_visible(request, instance)           # 404 for people who have nothing to do with it
        return render(request, "leave/show.html", panel=panel_context(request, instance))

    {% from "core/workflow_panel.html" import workflow_panel %}{{ workflow_panel(panel) }}

The forms in the panel post to the core's generic action routes (:mod:`officium.core.workflow.routes`),
which come back to the page the panel was shown on.  The rules here mirror the engine's, so that the panel
offers exactly the actions the engine will accept from this user.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape
from peewee import JOIN
from starlette.exceptions import HTTPException
from starlette.requests import Request

from officium.core.identity.models import User
from officium.core.workflow import engine
from officium.core.workflow.definition import DRAFTER_STEP, MODES, Step, Workflow
from officium.core.workflow.models import (
    ACTIONS,
    INSTANCE_STATES,
    ITEM_STATES,
    URGENCIES,
    ActionLog,
    Instance,
    WorkItem,
)
from officium.core.workflow.todo import Lights, drafter_title, module_title, step_title, workflow_title

#: The permission of the workflow administrators (流程监控).
MONITOR = "core.workflow.monitor"
#: Log entries that move work from one person to another.  Withdrawing is offered only while the
#: user's own submission or approval is the latest of them (see :func:`can_withdraw`).
TRANSITIONS = (
    "submit",
    "approve",
    "return",
    "withdraw",
    "transfer",
    "add_signer",
    "reassign",
    "jump",
    "close",
    "finish",
)


# ------------------------------------------------------------------------------------------- who sees


def is_monitor(request: Request) -> bool:
    """Whether the signed-in user holds 流程监控 (``core.workflow.monitor``)."""
    return MONITOR in request.state.ctx.permissions


def can_see(request: Request, instance: Instance) -> bool:
    """Whether the user may see a document's workflow: its drafter, anyone who has or had an item on it
    (as the holder or the person a delegate holds it for), and the workflow administrators."""
    user = request.state.user
    if user is None:
        return False
    if instance.drafter_id == user.id or is_monitor(request):
        return True
    return (
        WorkItem.select(WorkItem.id)
        .where(
            (WorkItem.instance == instance.id)
            & ((WorkItem.assignee == user.id) | (WorkItem.principal == user.id))
        )
        .exists()
    )


def require_visible(request: Request, instance: Instance | None) -> Instance:
    """The instance, or 404 when it does not exist or the user may not see it (never 403: a document
    one has nothing to do with is not revealed to exist)."""
    if instance is None or not can_see(request, instance):
        raise HTTPException(404)
    return instance


# ---------------------------------------------------------------------------------------- the rules


def _workflow(request: Request, instance: Instance) -> Workflow | None:
    return request.state.app.registry.workflows.get(f"{instance.plugin}.{instance.workflow}")


def _step(workflow: Workflow | None, name: str) -> Step | None:
    if workflow is None or name not in workflow.step_index:
        return None
    return workflow.step(name)


def _pending(instance: Instance, step: str) -> list[WorkItem]:
    return list(
        WorkItem.select()
        .where(
            (WorkItem.instance == instance.id)
            & (WorkItem.kind == "todo")
            & (WorkItem.step == step)
            & WorkItem.state.in_(("open", "waiting"))
        )
        .order_by(WorkItem.seq, WorkItem.id)
    )


def completes_step(workflow: Workflow, instance: Instance, item: WorkItem) -> bool:
    """Whether approving ``item`` would complete its step (as the engine's ``approve`` decides)."""
    if item.step == DRAFTER_STEP:
        return True
    step = workflow.step(item.step)
    others = [i for i in _pending(instance, item.step) if i.id != item.id]
    if step.mode == "any" and not item.added:
        others = [i for i in others if i.added]
    return not others


def next_step(request: Request, instance: Instance, item: WorkItem) -> dict[str, Any] | None:
    """What approving ``item`` leads to: ``None`` while others in the step still have to act, else
    ``{"title", "handlers", "finishes", "choose", "candidates", "multiple"}`` — ``choose`` when the user
    must pick the next handlers, from ``candidates`` (a list of users), or anyone when that is None."""
    workflow = _workflow(request, instance)
    if workflow is None or not completes_step(workflow, instance, item):
        return None
    start = 0 if item.step == DRAFTER_STEP else workflow.step_index[item.step] + 1
    fields = json.loads(instance.fields or "{}")
    for index in range(start, len(workflow.steps)):
        step = workflow.steps[index]
        if step.when is None or step.when(fields):
            break
    else:
        return {"title": "办结", "handlers": "", "finishes": True, "choose": False, "candidates": None}
    choose = step.handlers.kind == "chosen"
    candidates = None
    if choose and step.handlers.candidates is not None:
        candidates = engine.resolve(request.state.app, instance, step.handlers.candidates)
    return {
        "name": step.name,
        "title": step.title,
        "handlers": step.handlers.describe(
            {name: role.title for name, role in request.state.app.registry.roles.items()}
        ),
        "finishes": False,
        "choose": choose,
        "candidates": candidates,
        "multiple": True,
    }


def return_targets(request: Request, instance: Instance, item: WorkItem) -> list[tuple[str, str]]:
    """Where ``item``'s holder may send the document back (the engine's rule): the earlier steps it passed,
    then the drafter.  Empty for the drafter's own item."""
    workflow = _workflow(request, instance)
    if workflow is None or item.step == DRAFTER_STEP or item.step not in workflow.step_index:
        return []
    current = workflow.step_index[item.step]
    passed = {
        row.step
        for row in WorkItem.select(WorkItem.step)
        .where((WorkItem.instance == instance.id) & (WorkItem.state == "done"))
        .distinct()
    }
    earlier = [(s.name, s.title) for s in workflow.steps[:current] if s.name in passed]
    return [*earlier, (DRAFTER_STEP, workflow.drafter_title)]


def can_withdraw(request: Request, instance: Instance, user: User) -> bool:
    """Whether ``user`` may take back their last submission or approval (撤回).

    The engine's rule: the document is running, the user made the latest submission or approval, and —
    when that moved the document to another step — nobody in that step has completed an item since.
    The panel is stricter in two cases the engine does not handle yet (reported to the engine's owner):
    something else must not have moved the document since (a return, transfer, jump, another withdrawal),
    and a signature in a sequential 会签 is not taken back once the next signer's turn came.
    """
    if instance.state != "running" or user is None:
        return False
    latest = (
        ActionLog.select()
        .where((ActionLog.instance == instance.id) & ActionLog.action.in_(TRANSITIONS))
        .order_by(ActionLog.id.desc())
        .first()
    )
    if latest is None or latest.action not in ("submit", "approve") or latest.actor_id != user.id:
        return False
    if latest.step == instance.step:
        step = _step(_workflow(request, instance), latest.step)
        return step is not None and step.mode != "sequence"
    return not (
        WorkItem.select(WorkItem.id)
        .where(
            (WorkItem.instance == instance.id)
            & (WorkItem.step == instance.step)
            & (WorkItem.state == "done")
            & (WorkItem.created_at >= latest.at)
            & (WorkItem.kind == "todo")
        )
        .exists()
    )


def made_last_submission(instance: Instance, user: User) -> bool:
    """Whether the latest submission or approval on the document is the user's."""
    last = (
        ActionLog.select(ActionLog.actor)
        .where((ActionLog.instance == instance.id) & ActionLog.action.in_(("submit", "approve")))
        .order_by(ActionLog.id.desc())
        .first()
    )
    return last is not None and last.actor_id == user.id


def can_manage(request: Request, instance: Instance) -> bool:
    """The drafter and the workflow administrators may suspend, resume and urge a document."""
    user = request.state.user
    return user is not None and (instance.drafter_id == user.id or is_monitor(request))


def can_circulate(request: Request, instance: Instance) -> bool:
    """传阅 is for the drafter, whoever holds an open item on the document, and the administrators."""
    user = request.state.user
    if user is None or instance.state not in ("running", "suspended"):
        return False
    if can_manage(request, instance):
        return True
    return engine.my_open_item(instance, user) is not None


def can_cancel(request: Request, instance: Instance) -> bool:
    """撤销: the drafter may end a document that is back with them (returned or withdrawn)."""
    user = request.state.user
    return (
        user is not None
        and instance.drafter_id == user.id
        and instance.state == "running"
        and instance.step == DRAFTER_STEP
    )


def my_read_item(instance: Instance, user: User) -> WorkItem | None:
    """The user's open 待阅 item on this document, if any."""
    return (
        WorkItem.select()
        .where(
            (WorkItem.instance == instance.id)
            & (WorkItem.assignee == user.id)
            & (WorkItem.kind == "read")
            & (WorkItem.state == "open")
        )
        .first()
    )


# -------------------------------------------------------------------------------------------- timeline


def _names(usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    return {
        u.username: u.name for u in User.select(User.username, User.name).where(User.username.in_(usernames))
    }


def timeline_entries(request: Request, instance: Instance) -> list[dict[str, Any]]:
    """The 流转记录, oldest first: time, step, who ("B 代 A" for a delegate), action, opinion, detail."""
    app = request.state.app
    logs = engine.timeline(instance)
    people = {
        u.id: u
        for u in User.select(User.id, User.name, User.username).where(
            User.id.in_({log.actor_id for log in logs} | {log.on_behalf_of_id for log in logs} - {None})
        )
    }
    details = [json.loads(log.detail) if log.detail else {} for log in logs]
    mentioned: set[str] = set()
    for log, detail in zip(logs, details, strict=True):
        if log.action in ("transfer", "reassign"):
            mentioned |= {detail.get("to", ""), detail.get("from", "")} - {""}
        mentioned |= set(detail.get("signers", [])) | set(detail.get("readers", []))
    names = _names(mentioned)
    entries = []
    for log, detail in zip(logs, details, strict=True):
        actor = people.get(log.actor_id)
        principal = people.get(log.on_behalf_of_id)
        who = actor.name if actor is not None else "系统"
        if principal is not None:
            who = f"{who} 代 {principal.name}"
        entries.append(
            {
                "id": log.id,
                "at": log.at,
                "step": log.step,
                "step_title": drafter_title(app, instance).removesuffix("人")
                if log.step == DRAFTER_STEP
                else step_title(app, instance, log.step),
                "action": log.action,
                "action_label": ACTIONS.get(log.action, log.action),
                "actor": actor.name if actor is not None else "系统",
                "actor_username": actor.username if actor is not None else None,
                "on_behalf_of": principal.name if principal is not None else "",
                "who": who,
                "opinion": log.opinion,
                "detail": _describe(app, instance, log.action, detail, names),
            }
        )
    return entries


def _describe(
    app: Any, instance: Instance, action: str, detail: Mapping[str, Any], names: Mapping[str, str]
) -> str:
    def person(username: str) -> str:
        return names.get(username, username)

    if action == "return":
        to = detail.get("to", "")
        if to == DRAFTER_STEP:
            return f"退回至：{drafter_title(app, instance)}"
        return f"退回至：{step_title(app, instance, to)}"
    if action == "jump":
        return f"跳转至：{step_title(app, instance, detail.get('to', ''))}"
    if action == "transfer":
        return f"转办给：{person(detail.get('to', ''))}"
    if action == "reassign":
        return f"改派：{person(detail.get('from', ''))} → {person(detail.get('to', ''))}"
    if action == "add_signer":
        return "加签：" + "、".join(person(u) for u in detail.get("signers", []))
    if action == "circulate":
        return "传阅：" + "、".join(person(u) for u in detail.get("readers", []))
    return ""


# ----------------------------------------------------------------------------------------------- panel


def _csrf_field(request: Request) -> Markup:
    from officium.core.web.routing import CSRF_FIELD
    from officium.core.web.views import csrf_token

    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token(request))
    )


def action_urls(instance: Instance, item: WorkItem | None, read_item: WorkItem | None) -> dict[str, str]:
    """The URLs the panel's forms post to (the JSON API takes the same paths under /api/v1/core)."""
    base = f"/workflow/{instance.id}"
    urls = {
        "page": f"{base}/",
        "withdraw": f"{base}/withdraw",
        "circulate": f"{base}/circulate",
        "urge": f"{base}/urge",
        "suspend": f"{base}/suspend",
        "resume": f"{base}/resume",
        "cancel": f"{base}/cancel",
        "jump": f"/workflow/monitor/{instance.id}/jump",
        "close": f"/workflow/monitor/{instance.id}/close",
        "reassign": f"/workflow/monitor/{instance.id}/reassign",
    }
    if item is not None:
        for key, suffix in (
            ("approve", "approve"),
            ("return", "return"),
            ("transfer", "transfer"),
            ("add_signers", "add-signers"),
        ):
            urls[key] = f"/workflow/items/{item.id}/{suffix}"
    if read_item is not None:
        urls["read"] = f"/workflow/items/{read_item.id}/read"
    return urls


def panel_context(
    request: Request,
    instance: Instance,
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    form: str = "",
    form_title: str = "",
    next_url: str | None = None,
    for_api: bool = False,
) -> dict[str, Any]:
    """Everything the ``workflow_panel`` macro shows for the signed-in user.

    ``for_api``: for the JSON answer, which shows no forms: the 常用意见 and the CSRF field are left out.

    ``errors`` (field → message; ``""`` for a message about the whole form), ``values`` (what was typed),
    ``form`` (which action's form they belong to) and ``form_title`` (its name) are set when an action was
    refused and the page is shown again.  ``next_url`` is where the forms return after an action: by
    default the page being shown.
    """
    app = request.state.app
    user = request.state.user
    workflow = _workflow(request, instance)
    lights = Lights.for_app(app)
    running = instance.state == "running"
    step = _step(workflow, instance.step)

    # current handlers, with their principals, in one query
    Assignee = User.alias("assignee")
    Principal = User.alias("principal")
    pending = list(
        WorkItem.select(WorkItem, Assignee, Principal)
        .join(Assignee, on=(WorkItem.assignee == Assignee.id))
        .switch(WorkItem)
        .join(Principal, JOIN.LEFT_OUTER, on=(WorkItem.principal == Principal.id))
        .where(
            (WorkItem.instance == instance.id)
            & (WorkItem.kind == "todo")
            & WorkItem.state.in_(("open", "waiting"))
        )
        .order_by(WorkItem.seq, WorkItem.id)
    )
    handlers = [
        {
            "item_id": i.id,
            "name": i.assignee.name,
            "username": i.assignee.username,
            "on_behalf_of": i.principal.name if i.principal is not None else "",
            "state": i.state,
            "state_label": ITEM_STATES.get(i.state, i.state),
            "added": bool(i.added),
            "due_at": i.due_at,
            "light": lights.of(i.due_at) if running and i.state == "open" else None,
            "light_label": lights.label(i.due_at) if running and i.state == "open" else "",
        }
        for i in pending
    ]

    item = next((i for i in pending if i.assignee_id == user.id and i.state == "open"), None)
    read_item = my_read_item(instance, user)
    monitor = is_monitor(request)
    manage = can_manage(request, instance)
    actions: dict[str, Any] = {
        "approve": None,
        "return": [],
        "transfer": False,
        "add_signers": False,
        "withdraw": can_withdraw(request, instance, user),
        "circulate": can_circulate(request, instance),
        "urge": manage and running and any(h["state"] == "open" for h in handlers),
        "suspend": manage and running,
        "resume": manage and instance.state == "suspended",
        "read": read_item is not None,
        "cancel": can_cancel(request, instance),
    }
    if item is not None and running:
        actions["approve"] = {
            "label": "重新提交" if item.step == DRAFTER_STEP else "同意",
            "next": next_step(request, instance, item),
        }
        actions["return"] = return_targets(request, instance, item)
        actions["transfer"] = item.step != DRAFTER_STEP
        actions["add_signers"] = item.step != DRAFTER_STEP
    monitor_block = None
    if monitor and instance.state in ("running", "suspended"):
        monitor_block = {
            "items": handlers,
            "steps": [
                (s.name, s.title, s.handlers.kind == "chosen") for s in (workflow.steps if workflow else ())
            ],
        }
    phrases: list[str] = []
    if not for_api and (
        item is not None or read_item is not None or actions["circulate"] or manage or monitor
    ):
        phrases = opinion_phrases(app, user)
    return {
        "instance": instance,
        "id": instance.id,
        "title": instance.title,
        "url": instance.url,
        "module": module_title(app, instance.plugin),
        "workflow": workflow_title(app, instance),
        "state": instance.state,
        "state_label": INSTANCE_STATES.get(instance.state, instance.state),
        "urgency": instance.urgency,
        "urgency_label": URGENCIES.get(instance.urgency, instance.urgency),
        "drafter": instance.drafter,
        "drafter_title": drafter_title(app, instance),
        "started_at": instance.started_at,
        "finished_at": instance.finished_at,
        "step": {
            "name": instance.step,
            "title": step_title(app, instance, instance.step),
            "mode": step.mode if step else "",
            "mode_label": MODES.get(step.mode, "") if step else "",
            "days": step.days if step else None,
        }
        if instance.state in ("running", "suspended")
        else None,
        "handlers": handlers,
        "item": item,
        "read_item": read_item,
        "actions": actions,
        "monitor": monitor_block,
        "phrases": phrases,
        "timeline": timeline_entries(request, instance),
        "urls": action_urls(instance, item, read_item),
        "next": next_url if next_url is not None else request.url.path,
        "csrf_field": Markup("") if for_api else _csrf_field(request),
        "errors": dict(errors or {}),
        "kept": dict(values or {}),
        "form": form,
        "form_title": form_title,
    }


def opinion_phrases(app: Any, user: User) -> list[str]:
    """The user's 常用意见 from every plugin implementing ``opinion_phrases``, concatenated, repeats dropped."""
    phrases: list[str] = []
    for group in app.hook.opinion_phrases(app=app, user=user):
        for phrase in group or []:
            if isinstance(phrase, str) and phrase.strip() and phrase not in phrases:
                phrases.append(phrase)
    return phrases
