"""The 系统管理 pages of the three administrators; every change goes through :mod:`.service`.

* 系统管理员 (``core.accounts.manage``): units and accounts.
* 安全保密管理员 (``core.security.manage``): role grants, roles and permissions, the security policy.
* 安全审计员 (``core.audit.read``): the audit log and the login records — read only, no unsafe route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium.core import audit
from officium.core.admin import queries, service
from officium.core.admin.service import Invalid, NotFound
from officium.core.audit import verify_chain
from officium.core.identity.models import UNIT_KINDS, USER_STATUSES, Unit, User
from officium.core.web.views import flash, page_of, redirect, render, sort_query

NO_STORE = {"Cache-Control": "no-store"}


def _form(request: Request) -> dict[str, Any]:
    return dict(getattr(request.state, "form", {}) or {})


def _get(finder: Callable[[object], Any], value: object) -> Any:
    try:
        return finder(value)
    except NotFound:
        raise HTTPException(404) from None


def _done(request: Request, url: str, message: str) -> Response:
    """After a change: a flash message for the next page, and a redirect there (post/redirect/get)."""
    flash(request, message)
    return redirect(url)


def _crumbs(*trail: tuple[str, str]) -> list[tuple[str, str]]:
    return [("系统管理", ""), *trail]


# --------------------------------------------------------------------------------------------- units


def units_page(request: Request) -> Response:
    """组织机构: the unit tree with codes, kinds, order and state."""
    return render(
        request,
        "core/admin/units.html",
        rows=service.unit_tree(),
        kinds=UNIT_KINDS,
        error="",
        breadcrumbs=_crumbs(("组织机构", "")),
    )


def _unit_form(
    request: Request, unit: Unit | None, values: dict[str, Any], errors: dict[str, str]
) -> Response:
    return render(
        request,
        "core/admin/unit_form.html",
        status_code=400 if errors else 200,
        unit=unit,
        values=values,
        errors=errors,
        kinds=list(UNIT_KINDS.items()),
        parents=[(i, label) for i, label in service.unit_choices() if unit is None or i != unit.id],
        breadcrumbs=_crumbs(("组织机构", "/admin/units"), ("编辑单位" if unit else "新建单位", "")),
    )


def unit_new(request: Request) -> Response:
    """新建单位."""
    if request.method == "GET":
        parent = request.query_params.get("parent", "")
        return _unit_form(request, None, {"kind": "department", "order": "0", "parent": parent}, {})
    data = _form(request)
    try:
        unit = service.create_unit(request.state.app, data, request)
    except Invalid as exc:
        return _unit_form(request, None, data, exc.fields)
    return _done(request, "/admin/units", f"已新建单位 {unit.name}（{unit.code}）。")


def unit_edit(request: Request) -> Response:
    """编辑单位: name, code, parent, kind, order."""
    unit = _get(service.get_unit, request.path_params["id"])
    if request.method == "GET":
        values = {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent": unit.parent_id or "",
            "order": unit.order,
        }
        return _unit_form(request, unit, values, {})
    data = _form(request)
    try:
        service.update_unit(request.state.app, unit, data, request)
    except Invalid as exc:
        return _unit_form(request, unit, data, exc.fields)
    return _done(request, "/admin/units", f"已保存单位 {unit.name}（{unit.code}）。")


def _unit_state(request: Request, active: bool) -> Response:
    unit = _get(service.get_unit, request.path_params["id"])
    try:
        service.set_unit_active(request.state.app, unit, active, request)
    except Invalid as exc:
        return render(
            request,
            "core/admin/units.html",
            status_code=400,
            rows=service.unit_tree(),
            kinds=UNIT_KINDS,
            error=exc.message,
            breadcrumbs=_crumbs(("组织机构", "")),
        )
    return _done(request, "/admin/units", f"已{'恢复' if active else '撤销'}单位 {unit.name}。")


def unit_deactivate(request: Request) -> Response:
    """撤销单位 (refused while it has active members or active child units)."""
    return _unit_state(request, False)


def unit_activate(request: Request) -> Response:
    """恢复单位."""
    return _unit_state(request, True)


# --------------------------------------------------------------------------------------------- users


def users_page(request: Request) -> Response:
    """用户账号: search by name or username, filter by unit and status, paginated."""
    q = request.query_params.get("q", "").strip()[:64]
    unit_raw = request.query_params.get("unit", "")
    unit = service.get_unit_or_none(unit_raw)
    status = request.query_params.get("status", "")
    query, sorting = sort_query(
        request,
        service.user_query(q, unit, status),
        {
            "username": User.username,
            "name": User.name,
            "unit": (Unit.order, Unit.name),
            "status": User.status,
        },
        default="username",
    )
    listing = page_of(request, query)
    return render(
        request,
        "core/admin/users.html",
        listing=listing,
        sorting=sorting,
        q=q,
        unit=unit.id if unit else "",
        status=status if status in USER_STATUSES else "",
        units=service.unit_choices(include_inactive=True),
        statuses=list(USER_STATUSES.items()),
        breadcrumbs=_crumbs(("用户账号", "")),
    )


def _user_form(request: Request, values: dict[str, Any], errors: dict[str, str]) -> Response:
    return render(
        request,
        "core/admin/user_new.html",
        status_code=400 if errors else 200,
        values=values,
        errors=errors,
        units=service.unit_choices(),
        breadcrumbs=_crumbs(("用户账号", "/admin/users"), ("新建账号", "")),
    )


def _one_time(request: Request, user: User, password: str, created: bool) -> Response:
    response = render(
        request,
        "core/admin/one_time.html",
        account=user,
        password=password,
        created=created,
        hours=service.policy_values()["one_time_hours"],
        breadcrumbs=_crumbs(("用户账号", "/admin/users"), (user.name, "")),
    )
    response.headers.update(NO_STORE)
    return response


def user_new(request: Request) -> Response:
    """新建账号; the result page shows the one-time password once."""
    if request.method == "GET":
        return _user_form(request, {"unit": request.query_params.get("unit", "")}, {})
    data = _form(request)
    try:
        user, password = service.create_account(request.state.app, data, request)
    except Invalid as exc:
        return _user_form(request, data, exc.fields)
    return _one_time(request, user, password, created=True)


def _user_page(
    request: Request, user: User, values: dict[str, Any], errors: dict[str, str], error: str = ""
) -> Response:
    return render(
        request,
        "core/admin/user_edit.html",
        status_code=400 if errors or error else 200,
        account=user,
        values=values,
        errors=errors,
        error=error,
        units=service.unit_choices(include_inactive=False)
        + ([(user.unit_id, user.unit.name + "（已撤销）")] if user.unit_id and not user.unit.active else []),
        statuses=USER_STATUSES,
        breadcrumbs=_crumbs(("用户账号", "/admin/users"), (user.name, "")),
    )


def _user_values(user: User) -> dict[str, Any]:
    return {"name": user.name, "unit": user.unit_id or "", "position": user.position}


def user_edit(request: Request) -> Response:
    """一个账号: edit name, unit and position; buttons for status changes and password reset."""
    user = _get(service.get_user, request.path_params["id"])
    if request.method == "GET":
        return _user_page(request, user, _user_values(user), {})
    data = _form(request)
    try:
        service.update_account(request.state.app, user, data, request)
    except Invalid as exc:
        return _user_page(request, user, data, exc.fields)
    return _done(request, f"/admin/users/{user.id}", f"已保存账号 {user.name}。")


def user_status(request: Request) -> Response:
    """停用 / 启用 / 标记离职 (confirmed in the browser); ending the active state ends the sessions."""
    user = _get(service.get_user, request.path_params["id"])
    status = str(_form(request).get("status", ""))
    try:
        service.change_status(request.state.app, user, status, request)
    except Invalid as exc:
        return _user_page(request, user, _user_values(user), {}, exc.fields.get("status") or exc.message)
    verb = service.STATUS_VERBS[status]
    return _done(request, f"/admin/users/{user.id}", f"已{verb}账号 {user.name}。")


def user_reset(request: Request) -> Response:
    """重置密码: a new one-time password, shown once; the administrator never chooses or sees a real one."""
    user = _get(service.get_user, request.path_params["id"])
    try:
        password = service.reset_account_password(request.state.app, user, request)
    except Invalid as exc:
        return _user_page(request, user, _user_values(user), {}, exc.message)
    return _one_time(request, user, password, created=False)


# -------------------------------------------------------------------------------------- role grants


def grants_page(request: Request) -> Response:
    """角色授权: find an account, see its roles."""
    q = request.query_params.get("q", "").strip()[:64]
    listing = page_of(request, service.user_query(q))
    grants: dict[int, list[Any]] = {}
    for user in listing.items:
        grants[user.id] = service.grants_of(user)
    return render(
        request,
        "core/admin/grants.html",
        listing=listing,
        grants=grants,
        q=q,
        roles=request.state.app.registry.roles,
        statuses=USER_STATUSES,
        breadcrumbs=_crumbs(("角色授权", "")),
    )


def _grant_page(
    request: Request, user: User, values: dict[str, Any], errors: dict[str, str], error: str = ""
) -> Response:
    return render(
        request,
        "core/admin/user_grants.html",
        status_code=400 if errors or error else 200,
        account=user,
        grants=service.grants_of(user),
        roles=request.state.app.registry.roles,
        role_options=service.grantable_roles(request.state.app),
        units=service.unit_choices(),
        values=values,
        errors=errors,
        error=error,
        breadcrumbs=_crumbs(("角色授权", "/admin/grants"), (user.name, "")),
    )


def user_grants(request: Request) -> Response:
    """一个账号的角色: list, grant a role in a unit (三员 exclusivity errors beside the field)."""
    user = _get(service.get_user, request.path_params["id"])
    if request.method == "GET":
        return _grant_page(request, user, {}, {})
    data = _form(request)
    try:
        service.grant(request.state.app, user, data, request)
    except Invalid as exc:
        return _grant_page(request, user, data, exc.fields)
    return _done(request, f"/admin/grants/{user.id}", f"已授予 {user.name} 角色。")


def grant_revoke(request: Request) -> Response:
    """收回角色 (confirmed in the browser)."""
    user = _get(service.get_user, request.path_params["id"])
    try:
        service.revoke(request.state.app, user, _form(request).get("grant", ""), request)
    except NotFound:
        raise HTTPException(404) from None
    except Invalid as exc:
        return _grant_page(request, user, {}, {}, exc.message)
    return _done(request, f"/admin/grants/{user.id}", f"已收回 {user.name} 的角色。")


def roles_page(request: Request) -> Response:
    """角色与权限 (read only): each role and the permissions it holds by default."""
    return render(
        request,
        "core/admin/roles.html",
        roles=service.role_table(request.state.app),
        breadcrumbs=_crumbs(("角色与权限", "")),
    )


def policy_page(request: Request) -> Response:
    """安全策略: password, lockout and session rules, each within its limits."""
    values: dict[str, Any] = service.policy_values()
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _form(request)
        try:
            service.update_policy(request.state.app, values, request)
        except Invalid as exc:
            errors = exc.fields
        else:
            return _done(request, "/admin/policy", "安全策略已保存，新的会话和密码按新策略执行。")
    return render(
        request,
        "core/admin/policy.html",
        status_code=400 if errors else 200,
        fields=service.policy_fields(),
        values=values,
        errors=errors,
        breadcrumbs=_crumbs(("安全策略", "")),
    )


# --------------------------------------------------------------------------------------------- audit


def _audit_filters(request: Request, results: dict[str, str]) -> tuple[queries.Filters, dict[str, str]]:
    return queries.parse_filters(request.query_params, results)


def audit_page(request: Request) -> Response:
    """审计日志: filter by user, unit, module, action, result and dates; newest first."""
    filters, errors = _audit_filters(request, queries.AUDIT_RESULTS)
    listing = page_of(request, queries.audit_query(filters), per_page=50)
    return render(
        request,
        "core/admin/audit.html",
        status_code=400 if errors else 200,
        listing=listing,
        params=request.query_params,
        errors=errors,
        units=service.unit_choices(include_inactive=True),
        unit_names=queries.unit_names(),
        plugins=[(p.name, f"{p.info.title}（{p.name}）") for p in request.state.app.plugins],
        results=list(queries.AUDIT_RESULTS.items()),
        result_names=queries.AUDIT_RESULTS,
        export_query=request.url.query,
        breadcrumbs=_crumbs(("审计日志", "")),
    )


def _csv_response(
    request: Request, header: list[str], query: Any, rows: Any, name: str, action: str
) -> Response:
    total = query.count()
    if total > queries.EXPORT_LIMIT:
        raise HTTPException(
            400,
            f"符合条件的记录有 {total} 条，超过网页导出上限 {queries.EXPORT_LIMIT} 条。"
            "请缩小筛选范围，或在服务器上使用 officium audit export。",
        )
    body = queries.csv_bytes(header, rows(query))
    audit.record(
        request.state.app,
        action,
        request=request,
        summary=f"导出 {total} 条记录（{name}）",
        detail={"filters": dict(request.query_params)},
    )
    stamp = request.state.app.clock().strftime("%Y%m%d-%H%M")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"', **NO_STORE},
    )


def audit_export(request: Request) -> Response:
    """The filtered audit entries as CSV (UTF-8 with BOM, formulas neutralised); the export is audited."""
    filters, errors = _audit_filters(request, queries.AUDIT_RESULTS)
    if errors:
        raise HTTPException(400, "筛选条件有误：" + "；".join(errors.values()))
    return _csv_response(
        request,
        queries.AUDIT_HEADER,
        queries.audit_query(filters),
        queries.audit_rows,
        "audit",
        "core.audit.export",
    )


def audit_verify(request: Request) -> Response:
    """校验哈希链: recompute the chain and show ``verify_chain``'s report (reading only)."""
    report = verify_chain(request.state.app)
    audit.record(
        request.state.app,
        "core.audit.verify",
        request=request,
        result="ok" if report.ok else "error",
        summary=f"校验审计日志哈希链：{report.message}",
    )
    return render(
        request,
        "core/admin/audit_verify.html",
        report=report,
        breadcrumbs=_crumbs(("审计日志", "/admin/audit"), ("校验哈希链", "")),
    )


def logins_page(request: Request) -> Response:
    """登录记录: filter by user, unit, result and dates; newest first."""
    filters, errors = _audit_filters(request, queries.LOGIN_RESULTS)
    listing = page_of(request, queries.login_query(filters), per_page=50)
    return render(
        request,
        "core/admin/logins.html",
        status_code=400 if errors else 200,
        listing=listing,
        params=request.query_params,
        errors=errors,
        units=service.unit_choices(include_inactive=True),
        unit_names=queries.unit_names(),
        results=list(queries.LOGIN_RESULTS.items()),
        reason=queries.login_reason,
        export_query=request.url.query,
        breadcrumbs=_crumbs(("登录记录", "")),
    )


def logins_export(request: Request) -> Response:
    """The filtered login records as CSV; the export is audited."""
    filters, errors = _audit_filters(request, queries.LOGIN_RESULTS)
    if errors:
        raise HTTPException(400, "筛选条件有误：" + "；".join(errors.values()))
    return _csv_response(
        request,
        queries.LOGIN_HEADER,
        queries.login_query(filters),
        queries.login_rows,
        "logins",
        "core.logins.export",
    )
