"""外出授权 pages and API.  A user sees and changes only the delegations they made, sees the ones naming
them as delegate, and what delegates did on their behalf.  The three administrators hold no
``delegation.use`` and so never reach these routes (and the service refuses them anyway).

Views are plain functions; the core checks the permission and the CSRF token, runs POSTs in one
transaction and audits every change (the service adds the specific entries).
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import Api, Page, Permission
from officium.core.identity.models import User
from officium.core.web.api import ApiError, json_object, paginate
from officium.core.web.views import current_user, flash, form_value, page_of, redirect, render
from officium.core.workflow.models import ACTIONS, ITEM_KINDS, ITEM_STATES, WorkItem
from officium.plugins.delegation import service
from officium.plugins.delegation.models import END_REASONS, REASON_MAX, Delegation

URL = "/delegation/"
USE = "delegation.use"
PERMISSIONS = [Permission(USE, "外出授权：授权他人代办、查看代办记录", default_roles=("staff",))]

#: Ended delegations shown on the 代办 page besides the live ones.
RECENT_RECEIVED = 10
INPUT_TIME = "%Y-%m-%dT%H:%M"


def _row(request: Request, delegation: Delegation) -> dict[str, Any]:
    """What a list shows of one delegation."""
    app = request.state.app
    state = service.state_of(delegation, app.clock())
    return {
        "d": delegation,
        "state": state,
        "state_label": service.STATE_LABELS[state],
        "tone": service.STATE_TONES[state],
        "scope": service.scope_label(app, delegation),
        "period": service.period_label(delegation),
        "held": service.held_count(delegation) if state == "active" else 0,
        "end_reason": END_REASONS.get(delegation.end_reason, "") if state == "revoked" else "",
    }


def _draft_from_form(request: Request) -> service.Draft:
    raw = request.state.form.get("modules", [])
    modules = [raw] if isinstance(raw, str) else [m for m in raw if isinstance(m, str)]
    return service.Draft(
        delegate=form_value(request, "delegate"),
        start=form_value(request, "start"),
        end=form_value(request, "end"),
        all_modules=form_value(request, "scope", "all") != "some",
        modules=modules,
        reason=form_value(request, "reason"),
    )


def _mine_or_404(request: Request) -> Delegation:
    delegation = Delegation.get_or_none(
        (Delegation.id == request.path_params["id"]) & (Delegation.principal == current_user(request))
    )
    if delegation is None:  # somebody else's delegation is as invisible as one that does not exist
        raise HTTPException(404)
    return delegation


# ------------------------------------------------------------------------------------------- pages


def index(request: Request) -> Response:
    """我的外出授权: the form to delegate, and the list of one's delegations with their state.  POST: create."""
    app = request.state.app
    user = current_user(request)
    values: dict[str, Any] = {
        "delegate": request.query_params.get("delegate", ""),
        "start": app.clock().strftime(INPUT_TIME),
        "end": "",
        "scope": "all",
        "modules": [],
        "reason": "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        draft = _draft_from_form(request)
        values = {
            "delegate": draft.delegate,
            "start": draft.start,
            "end": draft.end,
            "scope": "all" if draft.all_modules else "some",
            "modules": draft.modules,
            "reason": draft.reason,
        }
        try:
            created = service.create(app, user, draft, request=request)
        except service.DelegationError as exc:
            errors = exc.fields or {"delegate": exc.message}
        else:
            when = "已生效" if service.state_of(created, app.clock()) == "active" else "到开始时间自动生效"
            flash(request, f"已授权 {created.delegate.name} 代办（{service.scope_label(app, created)}），{when}。")
            return redirect(URL)
    listing = page_of(request, service.mine(user))
    labels = {}
    if values["delegate"]:
        found = User.get_or_none(User.username == values["delegate"])
        if found is not None:
            labels[found.username] = found.name
    return render(
        request,
        "delegation/index.html",
        status_code=400 if errors else 200,
        current="index",
        listing=listing,
        rows=[_row(request, d) for d in listing.items],
        values=values,
        errors=errors,
        labels=labels,
        modules=service.module_choices(app),
        excluded=sorted(service.EXCLUDED_PLUGINS),
        reason_max=REASON_MAX,
        max_days=service.max_days(app),
        breadcrumbs=[("个人事务", ""), ("外出授权", "")],
    )


def revoke(request: Request) -> Response:
    """我已返回 (or cancel one not yet in force): end the delegation now; unfinished items come back."""
    app = request.state.app
    delegation = _mine_or_404(request)
    pending = service.state_of(delegation, app.clock()) == "pending"
    try:
        returned = service.revoke(app, delegation, current_user(request), request=request)
    except service.DelegationError as exc:
        flash(request, exc.message, "warn")
        return redirect(URL)
    if pending:
        flash(request, f"已取消对 {delegation.delegate.name} 的授权（尚未生效）。")
    else:
        flash(request, f"已收回对 {delegation.delegate.name} 的授权，{returned} 项未办完的待办已交回给您。")
    return redirect(URL)


def received_page(request: Request) -> Response:
    """代办事项: the delegations naming me as delegate, and the open items I hold for others."""
    app = request.state.app
    user = current_user(request)
    now = app.clock()
    delegations = list(service.received(user).where(Delegation.status != "ended"))
    delegations += list(service.received(user).where(Delegation.status == "ended").limit(RECENT_RECEIVED))
    listing = page_of(request, service.held(user))
    return render(
        request,
        "delegation/received.html",
        current="received",
        rows=[_row(request, d) for d in delegations],
        listing=listing,
        items=[_item_row(app, item) for item in listing.items],
        now=now,
        breadcrumbs=[("个人事务", ""), ("外出授权", URL), ("代办事项", "")],
    )


def _chosen_delegation(request: Request, user: User) -> Delegation | None:
    raw = request.query_params.get("delegation", "")
    if not raw:
        return None
    delegation = (
        Delegation.get_or_none((Delegation.id == int(raw)) & (Delegation.principal == user))
        if raw.isdigit()
        else None
    )
    if delegation is None:
        raise HTTPException(404)
    return delegation


def history_page(request: Request) -> Response:
    """代办记录: what delegates did on my behalf (all, or during one delegation)."""
    app = request.state.app
    user = current_user(request)
    chosen = _chosen_delegation(request, user)
    listing = page_of(request, service.handled_for(user, chosen))
    return render(
        request,
        "delegation/history.html",
        current="history",
        chosen=_row(request, chosen) if chosen is not None else None,
        choices=[_row(request, d) for d in service.mine(user).limit(50)],
        listing=listing,
        items=[_item_row(app, item) for item in listing.items],
        breadcrumbs=[("个人事务", ""), ("外出授权", URL), ("代办记录", "")],
    )


def _item_row(app: Any, item: WorkItem) -> dict[str, Any]:
    return {
        "item": item,
        "module": service.module_title(app, item.plugin),
        "kind": ITEM_KINDS.get(item.kind, item.kind),
        "state": ITEM_STATES.get(item.state, item.state),
        "action": ACTIONS.get(item.action, item.action),
    }


# --------------------------------------------------------------------------------------------- API


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "name": user.name}


def serialize(request: Request, delegation: Delegation) -> dict[str, Any]:
    """A delegation as the API shows it."""
    row = _row(request, delegation)
    return {
        "id": delegation.id,
        "principal": _person(delegation.principal),
        "delegate": _person(delegation.delegate),
        "start": delegation.start_at.isoformat(),
        "end": delegation.end_at.isoformat(),
        "modules": "all" if delegation.all_modules else delegation.module_names,
        "scope": row["scope"],
        "reason": delegation.reason,
        "state": row["state"],
        "state_label": row["state_label"],
        "held": row["held"],
        "created_at": delegation.created_at.isoformat(),
        "revoked_at": delegation.revoked_at.isoformat() if delegation.revoked_at else None,
        "end_reason": delegation.end_reason or None,
    }


def serialize_item(request: Request, item: WorkItem) -> dict[str, Any]:
    """A work item as the delegation API shows it."""
    app = request.state.app
    return {
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "plugin": item.plugin,
        "module": service.module_title(app, item.plugin),
        "kind": item.kind,
        "step": item.step,
        "state": item.state,
        "principal": _person(item.principal),
        "assignee": _person(item.assignee),
        "actor": _person(item.actor),
        "action": item.action or None,
        "action_label": ACTIONS.get(item.action, item.action) or None,
        "opinion": item.opinion,
        "created_at": item.created_at.isoformat(),
        "done_at": item.done_at.isoformat() if item.done_at else None,
    }


def _api_error(exc: service.DelegationError) -> ApiError:
    code = {403: "forbidden", 409: "conflict"}.get(exc.status, "invalid")
    return ApiError(exc.status, code, exc.message, exc.fields or None)


def api_list(request: Request) -> dict[str, Any]:
    """The delegations I made, newest first."""
    return paginate(request, service.mine(current_user(request)), lambda d: serialize(request, d))


def _text(data: dict[str, Any], key: str, wrong: dict[str, str], default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        wrong[key] = "应为字符串。"
        return default
    return value


def api_create(request: Request) -> Response:
    """Delegate my work: ``{"delegate": username, "start"?: ISO time, "end": ISO time, "modules": "all" or
    [plugin names], "reason"}``; answers 201.  A missing ``start`` means now."""
    data = json_object(request)
    wrong: dict[str, str] = {}
    values = {key: _text(data, key, wrong) for key in ("delegate", "start", "end", "reason")}
    modules = data.get("modules", "all")
    if modules == "all":
        all_modules, chosen = True, []
    elif isinstance(modules, list) and all(isinstance(m, str) for m in modules):
        all_modules, chosen = False, modules
    else:
        wrong["modules"] = '应为 "all" 或插件名的列表。'
        all_modules, chosen = True, []
    if wrong:
        raise ApiError(400, "invalid", "提交的内容不正确。", fields=wrong)
    draft = service.Draft(all_modules=all_modules, modules=chosen, **values)
    try:
        delegation = service.create(request.state.app, current_user(request), draft, request=request)
    except service.DelegationError as exc:
        raise _api_error(exc) from exc
    return JSONResponse(serialize(request, delegation), status_code=201)


def _visible_or_404(request: Request) -> Delegation:
    user = current_user(request)
    delegation = Delegation.get_or_none(
        (Delegation.id == request.path_params["id"])
        & ((Delegation.principal == user) | (Delegation.delegate == user))
    )
    if delegation is None:
        raise ApiError(404, "not_found", "找不到该授权。")
    return delegation


def api_get(request: Request) -> dict[str, Any]:
    """One delegation I made or that names me as delegate."""
    return serialize(request, _visible_or_404(request))


def api_revoke(request: Request) -> dict[str, Any]:
    """我已返回: end my delegation now; answers the delegation and how many items came back."""
    delegation = _visible_or_404(request)
    user = current_user(request)
    if delegation.principal_id != user.id:
        raise ApiError(403, "forbidden", "只有授权人本人可以收回授权。")
    try:
        returned = service.revoke(request.state.app, delegation, user, request=request)
    except service.DelegationError as exc:
        raise _api_error(exc) from exc
    return {"delegation": serialize(request, Delegation.get_by_id(delegation.id)), "returned": returned}


def api_received(request: Request) -> dict[str, Any]:
    """Delegations naming me as delegate, newest first."""
    return paginate(request, service.received(current_user(request)), lambda d: serialize(request, d))


def api_held(request: Request) -> dict[str, Any]:
    """Open work items I hold for others (代办)."""
    return paginate(request, service.held(current_user(request)), lambda i: serialize_item(request, i))


def api_history(request: Request) -> dict[str, Any]:
    """Items delegates handled on my behalf; ``?delegation=ID`` limits it to one of my delegations."""
    user = current_user(request)
    raw = request.query_params.get("delegation", "")
    chosen = None
    if raw:
        if not raw.isdigit():
            raise ApiError(400, "invalid_query", "查询参数不正确。", {"delegation": "应为授权编号。"})
        chosen = Delegation.get_or_none((Delegation.id == int(raw)) & (Delegation.principal == user))
        if chosen is None:
            raise ApiError(404, "not_found", "找不到该授权。")
    return paginate(request, service.handled_for(user, chosen), lambda i: serialize_item(request, i))


def api_modules(request: Request) -> list[dict[str, str]]:
    """The modules a delegation may cover (those with workflows; seal custody never)."""
    return [{"name": name, "title": title} for name, title in service.module_choices(request.state.app)]


ROUTES = [
    Page("/", index, "index", USE, methods=("GET", "POST")),
    Page("/{id:int}/revoke", revoke, "revoke", USE, methods=("POST",)),
    Page("/received", received_page, "received", USE),
    Page("/history", history_page, "history", USE),
    Api("/delegations", api_list, "delegations", USE, summary="我设置的外出授权"),
    Api("/delegations", api_create, "create", USE, methods=("POST",), summary="设置外出授权"),
    Api("/delegations/{id:int}", api_get, "delegation", USE, summary="一项外出授权"),
    Api(
        "/delegations/{id:int}/revoke",
        api_revoke,
        "revoke",
        USE,
        methods=("POST",),
        summary="我已返回：收回授权",
    ),
    Api("/received", api_received, "received", USE, summary="授权我代办的"),
    Api("/held", api_held, "held", USE, summary="我代他人办理的待办"),
    Api("/history", api_history, "history", USE, summary="他人代我办理的记录"),
    Api("/modules", api_modules, "modules", USE, summary="可授权的模块"),
]
