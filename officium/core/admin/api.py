"""The administrators' JSON API under ``/api/v1/core/``: the same operations as the pages, through
:mod:`.service`.  Errors use the standard shape; field errors come back in ``fields``; unknown ids are 404.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from officium.core import audit
from officium.core.admin import queries, service
from officium.core.admin.service import Invalid, NotFound
from officium.core.audit import AuditEntry, verify_chain
from officium.core.identity.models import USER_STATUSES, LoginRecord, RoleGrant, Unit, User
from officium.core.web.api import ApiError, json_object, paginate


def _call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound:
        raise ApiError(404, "not_found", "找不到该记录。") from None
    except Invalid as exc:
        raise ApiError(400, "invalid", exc.message, exc.fields) from None


def _unit_json(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "order": unit.order,
        "active": unit.active,
    }


def _user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "unit_id": user.unit_id,
        "unit": user.unit.name if user.unit_id else None,
        "position": user.position,
        "status": user.status,
        "must_change_password": user.must_change_password,
        "created_at": user.created_at.isoformat(timespec="seconds"),
    }


def _grant_json(grant: RoleGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "role": grant.role,
        "unit_id": grant.unit_id,
        "unit": grant.unit.name if grant.unit_id else None,
    }


# --------------------------------------------------------------------------------------------- units


def unit_create(request: Request) -> JSONResponse:
    """新建单位：code, name, kind, parent (单位 id), order."""
    unit = _call(service.create_unit, request.state.app, json_object(request), request)
    return JSONResponse(_unit_json(unit), status_code=201)


def unit_detail(request: Request) -> dict[str, Any]:
    """一个单位."""
    return _unit_json(_call(service.get_unit, request.path_params["id"]))


def unit_update(request: Request) -> dict[str, Any]:
    """修改单位；未给出的字段保持不变."""
    unit = _call(service.get_unit, request.path_params["id"])
    data = {k: v for k, v in _unit_json(unit).items() if k in ("code", "name", "kind", "order")}
    data["parent"] = unit.parent_id or ""
    data.update(json_object(request))
    return _unit_json(_call(service.update_unit, request.state.app, unit, data, request))


def unit_deactivate(request: Request) -> dict[str, Any]:
    """撤销单位（仍有在岗人员或启用的下级单位时拒绝）."""
    unit = _call(service.get_unit, request.path_params["id"])
    _call(service.set_unit_active, request.state.app, unit, False, request)
    return _unit_json(unit)


def unit_activate(request: Request) -> dict[str, Any]:
    """恢复单位."""
    unit = _call(service.get_unit, request.path_params["id"])
    _call(service.set_unit_active, request.state.app, unit, True, request)
    return _unit_json(unit)


# --------------------------------------------------------------------------------------------- users


def users_list(request: Request) -> dict[str, Any]:
    """账号列表：q（姓名或用户名）、unit（单位 id）、status 筛选，分页."""
    params = request.query_params
    unit = None
    if raw := params.get("unit", ""):
        unit = service.get_unit_or_none(raw)
        if unit is None:
            raise ApiError(400, "invalid_query", "查询参数不正确。", {"unit": "单位不存在。"})
    status = params.get("status", "")
    if status and status not in USER_STATUSES:
        raise ApiError(400, "invalid_query", "查询参数不正确。", {"status": "账号状态不正确。"})
    q = params.get("q", "").strip()
    if len(q) > queries.FILTER_MAX:
        raise ApiError(400, "invalid_query", "查询参数不正确。", {"q": f"最多 {queries.FILTER_MAX} 个字符。"})
    return paginate(request, service.user_query(q, unit, status), _user_json)


def user_create(request: Request) -> JSONResponse:
    """新建账号：username, name, unit, position；返回一次性密码（只返回这一次）."""
    user, password = _call(service.create_account, request.state.app, json_object(request), request)
    return JSONResponse({**_user_json(user), "one_time_password": password}, status_code=201)


def user_detail(request: Request) -> dict[str, Any]:
    """一个账号."""
    return _user_json(_call(service.get_user, request.path_params["id"]))


def user_update(request: Request) -> dict[str, Any]:
    """修改账号的 name、unit、position；未给出的字段保持不变."""
    user = _call(service.get_user, request.path_params["id"])
    data: dict[str, Any] = {"name": user.name, "unit": user.unit_id or "", "position": user.position}
    data.update(json_object(request))
    return _user_json(_call(service.update_account, request.state.app, user, data, request))


def user_status(request: Request) -> dict[str, Any]:
    """更改账号状态：{"status": "active" | "disabled" | "left"}."""
    user = _call(service.get_user, request.path_params["id"])
    status = service.text(json_object(request), "status")
    _call(service.change_status, request.state.app, user, status, request)
    return _user_json(user)


def user_reset(request: Request) -> dict[str, Any]:
    """重置密码：返回新的一次性密码（只返回这一次），该账号的会话全部结束."""
    user = _call(service.get_user, request.path_params["id"])
    password = _call(service.reset_account_password, request.state.app, user, request)
    return {**_user_json(user), "one_time_password": password}


# -------------------------------------------------------------------------------------- role grants


def grants_list(request: Request) -> dict[str, Any]:
    """一个账号的角色授权."""
    user = _call(service.get_user, request.path_params["id"])
    return {"user": _user_json(user), "grants": [_grant_json(g) for g in service.grants_of(user)]}


def grant_create(request: Request) -> JSONResponse:
    """授予角色：{"role": 名称, "unit": 单位 id 或空（全局）}."""
    user = _call(service.get_user, request.path_params["id"])
    grant = _call(service.grant, request.state.app, user, json_object(request), request)
    return JSONResponse(_grant_json(grant), status_code=201)


def grant_delete(request: Request) -> dict[str, Any]:
    """收回一项角色授权."""
    user = _call(service.get_user, request.path_params["id"])
    _call(service.revoke, request.state.app, user, request.path_params["grant_id"], request)
    return {"revoked": request.path_params["grant_id"]}


def roles_list(request: Request) -> list[dict[str, Any]]:
    """角色及其默认权限."""
    return service.role_table(request.state.app)


def policy_get(request: Request) -> dict[str, Any]:
    """当前安全策略及各项的取值范围."""
    return {
        "values": service.policy_values(),
        "limits": {
            key: {"title": title, "min": low, "max": high}
            for key, title, low, high in service.policy_fields()
        },
    }


def policy_put(request: Request) -> dict[str, Any]:
    """修改安全策略；未给出的项保持不变."""
    data: dict[str, Any] = service.policy_values()
    data.update(json_object(request))
    _call(service.update_policy, request.state.app, data, request)
    return policy_get(request)


# --------------------------------------------------------------------------------------------- audit


def _filters(request: Request, results: dict[str, str]) -> queries.Filters:
    filters, errors = queries.parse_filters(request.query_params, results)
    if errors:
        raise ApiError(400, "invalid_query", "查询参数不正确。", errors)
    return filters


def _audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(timespec="seconds"),
        "actor_id": entry.actor,
        "actor": entry.actor_name,
        "unit_id": entry.unit,
        "plugin": entry.plugin,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "result": entry.result,
        "ip": entry.ip,
        "summary": entry.summary,
        "detail": entry.detail,
    }


def audit_list(request: Request) -> dict[str, Any]:
    """审计日志，新的在前：user、unit、plugin、action、result、since、until 筛选."""
    return paginate(request, queries.audit_query(_filters(request, queries.AUDIT_RESULTS)), _audit_json)


def audit_verify(request: Request) -> dict[str, Any]:
    """校验审计日志的哈希链."""
    report = verify_chain(request.state.app)
    audit.record(
        request.state.app,
        "core.audit.verify",
        request=request,
        result="ok" if report.ok else "error",
        summary=f"校验审计日志哈希链：{report.message}",
    )
    return {
        "ok": report.ok,
        "checked": report.checked,
        "message": report.message,
        "first_bad_id": report.first_bad_id,
    }


def _login_json(record: LoginRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at.isoformat(timespec="seconds"),
        "username": record.username,
        "user_id": record.user_id,
        "ip": record.ip,
        "success": record.success,
        "reason": record.reason,
    }


def logins_list(request: Request) -> dict[str, Any]:
    """登录记录，新的在前：user、unit、result（success/failure）、since、until 筛选."""
    return paginate(request, queries.login_query(_filters(request, queries.LOGIN_RESULTS)), _login_json)
