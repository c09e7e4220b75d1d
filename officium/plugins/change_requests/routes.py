"""事项变更申请 pages and JSON API.

Views are plain functions; the core checks the route's permission and the CSRF token and runs POSTs in
one transaction.  Each action runs in a savepoint of its own, so that a refusal (a checking error, a
conflict with someone who acted first) leaves nothing behind before the page shows why.  A request the
user may not see answers 404, never 403, so that ids of other units' requests reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import AUTHENTICATED, Api, Page
from officium.core import audit
from officium.core.db import write_transaction
from officium.core.identity.models import Unit, User
from officium.core.web.api import ApiError, json_object, paginate
from officium.core.web.views import current_user, form_value, page_of, redirect, render
from officium.core.workflow import engine, panel
from officium.core.workflow.definition import DRAFTER_STEP
from officium.core.workflow.engine import Conflict, WorkflowError
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.change_requests import service
from officium.plugins.change_requests.models import KINDS, ROLE_ACTIONS, ChangeRequest
from officium.plugins.change_requests.service import CARRY_OUT, REQUEST, URL, ChangeError
from officium.plugins.change_requests.workflow import CARRY_OUT_STEP, LEADER_STEP

QUEUE_URL = f"{URL}queue"

#: The form's field names per kind (kind-specific fields are prefixed, so that every kind's fieldset can be
#: on the page at once without JavaScript) → the API's names.
FORM_FIELDS = {
    "new_account": {"new_name": "name", "new_username": "username", "new_position": "position"},
    "transfer": {
        "transfer_person": "person",
        "transfer_target_unit": "target_unit",
        "transfer_position": "position",
        "transfer_move_roles": "move_roles",
    },
    "role_change": {"role_person": "person", "role_role": "role", "role_action": "role_action"},
    "departure": {"departure_person": "person"},
}
NOTICES = {
    "filed": "申请已提交，等待单位负责人审批。",
    "approved": "已同意，申请已转信息化处办理。",
    "returned": "已退回申请人。",
    "resubmitted": "已重新提交，等待单位负责人审批。",
    "withdrawn": "申请已撤销。",
    "read": "已阅。",
}


def _perms(request: Request) -> frozenset[str]:
    return request.state.ctx.permissions


def _visible_or_404(request: Request) -> ChangeRequest:
    change = ChangeRequest.get_or_none(ChangeRequest.id == request.path_params["id"])
    if change is None or not service.visible(current_user(request), _perms(request), change):
        raise HTTPException(404)
    return change


def _run(request: Request, action: Callable[[], Any]) -> Any:
    """Run ``action`` in a savepoint of the view's transaction: everything it did is undone when it raises."""
    with write_transaction(request.state.app.db):
        return action()


def _flow(change: ChangeRequest) -> Instance | None:
    """The instance joined by ``service.listing``/``service.queue`` (None when the join found nothing)."""
    flow = getattr(change, "flow", None)
    return flow if flow is not None and flow.id is not None else None


# ------------------------------------------------------------------------------------------ timeline


def timeline(request: Request, instance: Instance | None) -> list[dict[str, Any]]:
    """The 流转记录 as the core's workflow panel describes it (oldest first), for the page and the API."""
    return panel.timeline_entries(request, instance) if instance is not None else []


def current_handlers(instance: Instance | None) -> list[str]:
    """Who holds the document now (待办 open), e.g. ``["王五", "赵六 代 钱七"]``."""
    if instance is None or instance.state not in ("running", "suspended"):
        return []
    items = WorkItem.select().where(
        (WorkItem.instance == instance) & (WorkItem.kind == "todo") & (WorkItem.state == "open")
    )
    return [f"{i.assignee.name} 代 {i.principal.name}" if i.principal_id else i.assignee.name for i in items]


def allowed_actions(
    change: ChangeRequest, instance: Instance | None, user: User, perms: frozenset[str]
) -> list[str]:
    """What the user can do on the request now: approve, return, carry_out, resubmit, withdraw, read."""
    actions: list[str] = []
    item = engine.my_open_item(instance, user) if instance is not None else None
    if item is not None and instance.state == "running":
        if item.step == LEADER_STEP:
            actions += ["approve", "return"]
        elif item.step == CARRY_OUT_STEP and CARRY_OUT in perms:
            actions += ["carry_out", "return"]
        elif item.step == DRAFTER_STEP:
            actions.append("resubmit")
    if service.can_withdraw(change, instance, user, perms):
        actions.append("withdraw")
    if instance is not None and _my_read_item(instance, user) is not None:
        actions.append("read")
    return actions


def _my_read_item(instance: Instance, user: User) -> WorkItem | None:
    return (
        WorkItem.select()
        .where(
            (WorkItem.instance == instance)
            & (WorkItem.assignee == user)
            & (WorkItem.kind == "read")
            & (WorkItem.state == "open")
        )
        .first()
    )


# ---------------------------------------------------------------------------------------------- pages


def index(request: Request) -> Response:
    """我的申请: the requests of the units the 综合人员 files for, newest first."""
    user = current_user(request)
    listing = page_of(request, service.listing(user, frozenset({REQUEST})))
    app = request.state.app
    rows = [(c, service.status(_flow(c)), service.summary(app, c)) for c in listing.items]
    return render(
        request,
        "change_requests/index.html",
        listing=listing,
        rows=rows,
        units=service.clerk_units(user),
        notice=NOTICES.get(request.query_params.get("done", ""), ""),
    )


def queue_page(request: Request) -> Response:
    """信息化处待办: requests waiting to be carried out, and the latest ones carried out."""
    waiting = page_of(request, service.queue())
    done = list(
        ChangeRequest.select()
        .where(ChangeRequest.carried_out_at.is_null(False))
        .order_by(ChangeRequest.carried_out_at.desc())
        .limit(20)
    )
    app = request.state.app
    return render(
        request,
        "change_requests/queue.html",
        listing=waiting,
        done=done,
        describe=lambda change: service.summary(app, change),
    )


def _form_options(request: Request) -> dict[str, Any]:
    app = request.state.app
    units = service.clerk_units(current_user(request))
    members = [
        m
        for m in User.select()
        .where(User.unit.in_([u.id for u in units] or [0]) & (User.status == "active"))
        .order_by(User.unit, User.name, User.id)
        if not service.is_admin_account(app, m)
    ]
    names = {u.id: u.name for u in units}
    return {
        "units": units,
        "unit_options": [(u.code, u.name) for u in units],
        "people": [(m.username, f"{m.name}（{m.username}，{names[m.unit_id]}）") for m in members],
        "target_units": [
            (u.code, u.name) for u in Unit.select().where(Unit.active).order_by(Unit.order, Unit.id)
        ],
        "roles": service.requestable_roles(app),
        "kinds": list(KINDS.items()),
        "role_actions": list(ROLE_ACTIONS.items()),
    }


def _data_from_form(form: dict[str, Any]) -> dict[str, Any]:
    kind = str(form.get("kind", "")).strip()
    data: dict[str, Any] = {
        "kind": kind,
        "unit": form.get("unit", ""),
        "reason": form.get("reason", ""),
    }
    for form_name, api_name in FORM_FIELDS.get(kind, {}).items():
        value = form.get(form_name, [] if api_name == "move_roles" else "")
        data[api_name] = value
    return data


def _form_errors(kind: str, errors: dict[str, str]) -> dict[str, str]:
    back = {api: form for form, api in FORM_FIELDS.get(kind, {}).items()}
    return {back.get(key, key): message for key, message in errors.items()}


def new(request: Request) -> Response:
    """新建申请: one form for every kind; the fields of the chosen kind are shown (all without JavaScript)."""
    errors: dict[str, str] = {}
    form: dict[str, Any] = dict(request.state.form)
    if request.method == "POST":
        app = request.state.app
        user = current_user(request)
        data = _data_from_form(form)
        try:
            change = _run(request, lambda: service.file(app, user, service.check(app, user, data), request))
        except ChangeError as exc:
            errors = _form_errors(data["kind"], exc.fields) or {"kind": exc.message}
        except WorkflowError as exc:
            errors = {"kind": exc.message}
        else:
            audit.record(
                app,
                "change_requests.file",
                request=request,
                object_type="request",
                object_id=change.id,
                summary=f"提出变更申请：{service.summary(app, change)}",
            )
            return redirect(f"{URL}{change.id}?done=filed")
    moving = form.get("transfer_move_roles", [])
    return render(
        request,
        "change_requests/new.html",
        status_code=400 if errors else 200,
        values={k: v for k, v in form.items() if isinstance(v, str)},
        moving=[moving] if isinstance(moving, str) else list(moving),
        errors=errors,
        **_form_options(request),
    )


def detail(request: Request, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """The request, its state, its 流转记录 and the buttons for what the user may do now."""
    change = _visible_or_404(request)
    instance = service.instance_of(change)
    user = current_user(request)
    app = request.state.app
    return render(
        request,
        "change_requests/detail.html",
        status_code=status_code,
        change=change,
        summary=service.summary(app, change),
        status=service.status(instance),
        instance=instance,
        timeline=timeline(request, instance),
        handlers=current_handlers(instance),
        actions=allowed_actions(change, instance, user, _perms(request)),
        role_title=app.registry.roles[change.role].title
        if change.role in app.registry.roles
        else change.role,
        move_titles="、".join(
            app.registry.roles[r].title if r in app.registry.roles else r for r in change.roles_to_move
        ),
        errors=errors or {},
        notice=NOTICES.get(request.query_params.get("done", ""), ""),
    )


def _act(request: Request, action: Callable[[ChangeRequest, str], None], done: str) -> Response:
    """Run a workflow action on the request from a detail-page form; show the page with the error if refused."""
    change = _visible_or_404(request)
    opinion = form_value(request, "opinion")
    try:
        _run(request, lambda: action(change, opinion))
    except ChangeError as exc:
        return detail(request, {"opinion": exc.message}, 400)
    except Conflict as exc:
        return detail(request, {"opinion": exc.message}, 409)
    except WorkflowError as exc:
        return detail(request, {"opinion": exc.message}, 400)
    return redirect(f"{URL}{change.id}?done={done}")


def approve_page(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    return _act(request, lambda c, o: service.approve(app, c, user, o, request), "approved")


def return_page(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    return _act(request, lambda c, o: service.send_back(app, c, user, o, request), "returned")


def resubmit_page(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    return _act(request, lambda c, o: service.resubmit(app, c, user, o, request), "resubmitted")


def withdraw_page(request: Request) -> Response:
    app, user, perms = request.state.app, current_user(request), _perms(request)
    return _act(request, lambda c, o: service.withdraw(app, c, user, perms, o, request), "withdrawn")


def read_page(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    return _act(request, lambda c, o: _mark_read(app, c, user, request), "read")


def _mark_read(app: Any, change: ChangeRequest, user: User, request: Request | None) -> None:
    instance = service.instance_of(change)
    item = _my_read_item(instance, user) if instance is not None else None
    if item is None:
        raise ChangeError("您没有这件申请的待阅事项。")
    engine.mark_read(app, item.id, user, request=request)


def carry_out_page(request: Request) -> Response:
    """The IT division's button: apply the change and show the result (a new account's one-time password
    appears on this page only, once)."""
    change = _visible_or_404(request)
    app, user = request.state.app, current_user(request)
    opinion = form_value(request, "opinion")
    try:
        outcome = _run(request, lambda: service.carry_out(app, change.id, user, opinion, request))
    except ChangeError as exc:
        return detail(request, {"carry_out": exc.message}, 400)
    except Conflict as exc:
        return detail(request, {"carry_out": exc.message}, 409)
    except WorkflowError as exc:
        return detail(request, {"carry_out": exc.message}, 400)
    change = ChangeRequest.get_by_id(change.id)
    response = render(
        request,
        "change_requests/result.html",
        change=change,
        outcome=outcome,
        summary=service.summary(app, change),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------------------------------------ api


def _api_visible_or_404(request: Request) -> ChangeRequest:
    change = ChangeRequest.get_or_none(ChangeRequest.id == request.path_params["id"])
    if change is None or not service.visible(current_user(request), _perms(request), change):
        raise ApiError(404, "not_found", "找不到该变更申请。")
    return change




def _api_errors(request: Request, action: Callable[[], Any]) -> Any:
    try:
        return _run(request, action)
    except ChangeError as exc:
        raise ApiError(400, "invalid", exc.message, exc.fields or None) from exc
    except Conflict as exc:
        raise ApiError(409, "conflict", exc.message) from exc
    except WorkflowError as exc:
        raise ApiError(400, "invalid", exc.message, {exc.field: exc.message} if exc.field else None) from exc


def _full(request: Request, change: ChangeRequest) -> dict[str, Any]:
    app = request.state.app
    instance = service.instance_of(change)
    body = service.serialize(app, change, instance)
    body["timeline"] = [{**row, "at": row["at"].isoformat()} for row in timeline(request, instance)]
    body["handlers"] = current_handlers(instance)
    body["actions"] = allowed_actions(change, instance, current_user(request), _perms(request))
    return body


def api_list(request: Request) -> dict[str, Any]:
    """Requests the caller may list (a 综合人员: their units'; the IT division: all), newest first.

    ``?status=`` keeps one state: leader, carry_out, returned, done, closed."""
    app = request.state.app
    query = service.listing(current_user(request), _perms(request))
    wanted = request.query_params.get("status", "")
    if wanted:
        conditions = {
            "leader": (Instance.state == "running") & (Instance.step == LEADER_STEP),
            "carry_out": (Instance.state == "running") & (Instance.step == CARRY_OUT_STEP),
            "returned": (Instance.state == "running") & (Instance.step == DRAFTER_STEP),
            "done": Instance.state == "done",
            "closed": Instance.state == "closed",
        }
        if wanted not in conditions:
            raise ApiError(
                400, "invalid_query", "status 应为 leader、carry_out、returned、done、closed 之一。"
            )
        query = query.where(conditions[wanted])
    return paginate(request, query, lambda c: service.serialize(app, c, _flow(c)))


def api_queue(request: Request) -> dict[str, Any]:
    """Requests waiting for the IT division to carry them out, oldest first."""
    app = request.state.app
    return paginate(request, service.queue(), lambda c: service.serialize(app, c, _flow(c)))


def api_options(request: Request) -> dict[str, Any]:
    """What a 综合人员 may fill in: their units with their people, units to transfer to, roles, kinds."""
    options = _form_options(request)
    user_units = options["units"]
    members: dict[int, list[dict[str, str]]] = {u.id: [] for u in user_units}
    for person in (
        User.select()
        .where(User.unit.in_([u.id for u in user_units] or [0]) & (User.status == "active"))
        .order_by(User.name, User.id)
    ):
        if service.is_admin_account(request.state.app, person):
            continue
        members[person.unit_id].append(
            {"username": person.username, "name": person.name, "position": person.position}
        )
    return {
        "units": [{"code": u.code, "name": u.name, "people": members[u.id]} for u in user_units],
        "target_units": [{"code": c, "name": n} for c, n in options["target_units"]],
        "roles": [{"name": n, "title": t} for n, t in options["roles"]],
        "kinds": [{"kind": k, "title": t} for k, t in options["kinds"]],
    }


def api_create(request: Request) -> Response:
    """File a request: ``{"kind", "unit", "reason", ...}`` (see ``options``); answers 201 with it."""
    app, user = request.state.app, current_user(request)
    data = json_object(request, required=False)
    change = _api_errors(request, lambda: service.file(app, user, service.check(app, user, data), request))
    audit.record(
        app,
        "change_requests.file",
        request=request,
        object_type="request",
        object_id=change.id,
        summary=f"提出变更申请：{service.summary(app, change)}",
    )
    return JSONResponse(_full(request, change), status_code=201)


def api_detail(request: Request) -> dict[str, Any]:
    """One request with its 流转记录 (``timeline``), current handlers and the caller's possible ``actions``."""
    return _full(request, _api_visible_or_404(request))


def _api_action(verb: str) -> Callable[[Request], dict[str, Any]]:
    def view(request: Request) -> dict[str, Any]:
        change = _api_visible_or_404(request)
        app, user, perms = request.state.app, current_user(request), _perms(request)
        opinion = str(json_object(request, required=False).get("opinion", "")).strip()
        run = {
            "approve": lambda: service.approve(app, change, user, opinion, request),
            "return": lambda: service.send_back(app, change, user, opinion, request),
            "resubmit": lambda: service.resubmit(app, change, user, opinion, request),
            "withdraw": lambda: service.withdraw(app, change, user, perms, opinion, request),
            "read": lambda: _mark_read(app, change, user, request),
        }[verb]
        _api_errors(request, run)
        return _full(request, ChangeRequest.get_by_id(change.id))

    view.__name__ = f"api_{verb}"
    view.__doc__ = {
        "approve": '单位负责人同意（``{"opinion": ...}``），转信息化处办理。',
        "return": "退回申请人（需填写 ``opinion``），由单位负责人或信息化处。",
        "resubmit": "申请人重新提交已退回的申请。",
        "withdraw": "申请人撤销尚未审批或已退回的申请。",
        "read": "已阅（办公室收到的传阅）。",
    }[verb]
    return view


def api_carry_out(request: Request) -> dict[str, Any]:
    """信息化处办理: apply the change; a new account's ``one_time_password`` is in this answer only."""
    change = _api_visible_or_404(request)
    app, user = request.state.app, current_user(request)
    opinion = str(json_object(request, required=False).get("opinion", "")).strip()
    outcome = _api_errors(request, lambda: service.carry_out(app, change.id, user, opinion, request))
    body = _full(request, ChangeRequest.get_by_id(change.id))
    body["one_time_password"] = outcome.password
    body["moved_items"] = outcome.moved
    body["informed"] = [u.username for u in outcome.informed]
    return body


ROUTES = [
    Page("/", index, "index", REQUEST),
    Page("/new", new, "new", REQUEST, methods=("GET", "POST")),
    Page("/queue", queue_page, "queue", CARRY_OUT),
    Page("/{id:int}", detail, "detail", AUTHENTICATED),
    Page("/{id:int}/approve", approve_page, "approve", AUTHENTICATED, methods=("POST",)),
    Page("/{id:int}/return", return_page, "return", AUTHENTICATED, methods=("POST",)),
    Page("/{id:int}/resubmit", resubmit_page, "resubmit", REQUEST, methods=("POST",)),
    Page("/{id:int}/withdraw", withdraw_page, "withdraw", REQUEST, methods=("POST",)),
    Page("/{id:int}/read", read_page, "read", AUTHENTICATED, methods=("POST",)),
    Page("/{id:int}/carry-out", carry_out_page, "carry_out", CARRY_OUT, methods=("POST",)),
    Api("/requests", api_list, "requests", AUTHENTICATED, summary="变更申请列表"),
    Api("/requests", api_create, "create", REQUEST, methods=("POST",), summary="提出变更申请"),
    Api("/options", api_options, "options", REQUEST, summary="填写申请可选的单位、人员、角色"),
    Api("/queue", api_queue, "queue", CARRY_OUT, summary="信息化处待办理的申请"),
    Api("/requests/{id:int}", api_detail, "detail", AUTHENTICATED, summary="变更申请详情和流转记录"),
    *[
        Api(
            f"/requests/{{id:int}}/{verb}",
            _api_action(verb),
            verb,
            REQUEST if verb in ("resubmit", "withdraw") else AUTHENTICATED,
            methods=("POST",),
        )
        for verb in ("approve", "return", "resubmit", "withdraw", "read")
    ],
    Api(
        "/requests/{id:int}/carry-out",
        api_carry_out,
        "carry_out",
        CARRY_OUT,
        methods=("POST",),
        summary="信息化处办理（执行变更）",
    ),
]
