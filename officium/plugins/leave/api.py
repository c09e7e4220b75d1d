"""The JSON API of the leave plugin (``/api/v1/leave/...``): everything the pages do.  Approval actions
are the core's workflow API (``/api/v1/core/workflow/items/{id}/approve`` ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from peewee import JOIN
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium.core.identity.models import Unit, User
from officium.core.web.api import ApiError, base64_files, json_object, paginate
from officium.core.web.views import current_user
from officium.core.workflow.engine import Conflict, WorkflowError
from officium.plugins.leave import (
    admin,
    admin_pages,
    attachments,
    balances,
    entitlement,
    maternity,
    reports,
    requests,
    rules,
    teamcal,
    travel,
)
from officium.plugins.leave.counting import fmt_days
from officium.plugins.leave.models import LeaveAdjustment, LeaveRequest, LeaveRule, LeaveType
from officium.plugins.leave.pages import month_param, perms, run, year_param
from officium.plugins.leave.requests import LeaveError


def errors_of(request: Request, action: Callable[[], Any]) -> Any:
    try:
        return run(request, action)
    except LeaveError as exc:
        code = {403: "forbidden", 404: "not_found", 409: "conflict"}.get(exc.status, "invalid")
        raise ApiError(exc.status, code, exc.message, exc.fields or None) from exc
    except Conflict as exc:
        raise ApiError(409, "conflict", exc.message) from exc
    except WorkflowError as exc:
        raise ApiError(400, "invalid", exc.message, {exc.field: exc.message} if exc.field else None) from exc


def visible_or_404(request: Request) -> LeaveRequest:
    leave = LeaveRequest.get_or_none(LeaveRequest.id == request.path_params["id"])
    if leave is None or not requests.visible(current_user(request), perms(request), leave):
        raise ApiError(404, "not_found", "找不到该请假申请。")
    return leave


def type_json(t: LeaveType) -> dict[str, Any]:
    return {
        "id": t.id,
        "code": t.code,
        "name": t.name,
        "counting": t.counting,
        "half_day": t.half_day,
        "balance_required": t.balance_required,
        "yearly_quota": t.yearly_quota,
        "max_days": t.max_days,
        "document_required": t.document_required,
        "paid": t.paid,
        "active": t.active,
        "note": t.note,
    }


def types(request: Request) -> dict[str, Any]:
    """Leave types (active ones; HR sees all)."""
    query = LeaveType.select().order_by(LeaveType.order, LeaveType.id)
    if not requests.is_admin(perms(request)):
        query = query.where(LeaveType.active)
    return {"items": [type_json(t) for t in query]}


def _person(request: Request) -> User:
    """``?user=`` (HR, or a 综合人员 for their unit's people), else the caller."""
    me = current_user(request)
    username = request.query_params.get("user", "")
    if not username or username == me.username:
        return me
    person = User.get_or_none(User.username == username)
    allowed = requests.is_admin(perms(request)) or (
        person is not None and person.id in {p.id for p in requests.people_for(me)}
    )
    if person is None or not allowed:
        raise ApiError(404, "not_found", "找不到该人员。")
    return person


def balance_list(request: Request) -> dict[str, Any]:
    """Balances of a year (``?year=``) per type, with the 年休假 entitlement and its reason."""
    person = _person(request)
    year = year_param(request, request.state.app)
    granted = entitlement.compute(person, year)
    return {
        "user": person.username,
        "year": year,
        "annual": {
            "days": granted.days,
            "band_days": granted.band_days,
            "service_years": granted.service_years,
            "continuous_years": granted.continuous_years,
            "forfeited": granted.forfeited,
            "reason": granted.reason,
        },
        "items": [b.as_dict() for b in balances.balances(person, year)],
    }


def count(request: Request) -> dict[str, Any]:
    """Live day count for the request form: ``?leave_type&start_date&start_half&end_date&end_half&user``."""
    params = dict(request.query_params)
    try:
        leave_type, start, start_half, end, end_half, days = requests.measure(params)
    except LeaveError as exc:
        return {"ok": False, "message": exc.message, "fields": exc.fields}
    person = _person(request) if params.get("user") else current_user(request)
    chain = rules.chain_for(rules.rank_of(person.id), leave_type, days)
    result: dict[str, Any] = {
        "ok": True,
        "days": days,
        "text": f"共 {fmt_days(days)} 天（按{'工作日' if leave_type.counting == 'working' else '自然日'}计算）",
        "chain": chain,
        "chain_title": rules.describe(chain),
        "available": None,
    }
    extra, problems = travel.travel_days(leave_type.code, params)
    if leave_type.max_days and leave_type.code != maternity.CODE and not problems:
        result["allowed"] = leave_type.max_days + extra
        if days > leave_type.max_days + extra:
            result["warning"] = f"超过每次最多 {fmt_days(leave_type.max_days + extra)} 天。"
    if leave_type.code == maternity.CODE:
        allowed, circumstance, problems = maternity.allowance(leave_type, params)
        if not problems:
            result["allowed"] = allowed
            result["text"] += f"；{circumstance}最多 {fmt_days(allowed)} 天"
            if days > allowed:
                result["warning"] = f"超过{circumstance}的产假天数。"
    if leave_type.balance_required:
        b = balances.balance(person, leave_type, start.year)
        result["available"] = b.available
        if b.available is not None and days > b.available:
            result["warning"] = f"余额不足：可用 {fmt_days(max(b.available, 0))} 天。"
    clash = requests.overlapping(person, start, start_half, end, end_half)
    if clash is not None:
        result["warning"] = f"与已有的请假重叠：{requests.period_label(clash)}。"
    return result


def request_list(request: Request) -> dict[str, Any]:
    """Requests: ``?scope=mine`` (default), ``filed`` (filed for others) or ``all`` (HR); filters ``?status=``,
    ``?year=``, ``?unit=`` (code), ``?type=`` (code)."""
    user = current_user(request)
    scope = request.query_params.get("scope", "mine")
    # The people, unit and type that serialize() shows come in the same statement (they were read lazily:
    # four statements per row).
    filer = User.alias()
    query = (
        LeaveRequest.select(LeaveRequest, User, Unit, LeaveType, filer)
        .join_from(LeaveRequest, User, on=(LeaveRequest.user == User.id), attr="user")
        .join_from(LeaveRequest, Unit, JOIN.LEFT_OUTER, on=(LeaveRequest.unit == Unit.id), attr="unit")
        .join_from(LeaveRequest, LeaveType, on=(LeaveRequest.leave_type == LeaveType.id), attr="leave_type")
        .join_from(LeaveRequest, filer, on=(LeaveRequest.filed_by == filer.id), attr="filed_by")
    )
    if scope == "mine":
        query = query.where(LeaveRequest.user == user)
    elif scope == "filed":
        query = query.where((LeaveRequest.filed_by == user) & (LeaveRequest.user != user))
    elif scope == "all" and requests.is_admin(perms(request)):
        pass
    else:
        raise ApiError(400, "invalid_query", "scope 应为 mine、filed 或 all（人事处）。")
    wanted = request.query_params.get("status", "")
    if wanted:
        if wanted not in ("pending", "approved", "ended", "cancelled"):
            raise ApiError(400, "invalid_query", "status 应为 pending、approved、ended、cancelled 之一。")
        query = query.where(LeaveRequest.status == wanted)
    for key, column, model in (
        ("unit", LeaveRequest.unit, Unit),
        ("type", LeaveRequest.leave_type, LeaveType),
    ):
        code = request.query_params.get(key, "")
        if code:
            found = model.get_or_none(model.code == code)
            if found is None:
                raise ApiError(400, "invalid_query", f"{key} 不存在：{code}。")
            query = query.where(column == found)
    year = request.query_params.get("year", "")
    if year:
        if not year.isdigit():
            raise ApiError(400, "invalid_query", "year 应为年份。")
        query = query.where(LeaveRequest.year == int(year))
    query = query.order_by(LeaveRequest.start_date.desc(), LeaveRequest.id.desc())
    return paginate(request, query, requests.serialize)


def create(request: Request) -> Response:
    """Request leave: ``{"user"?, "leave_type", "start_date", "start_half"?, "end_date", "end_half"?, "reason",
    "attachments"?: [{"filename", "content_base64"}]}`` — a type that requires documents (病假) needs at
    least one (PDF, JPG or PNG)."""
    app, user = request.state.app, current_user(request)
    body = json_object(request, required=False)
    uploads = base64_files(body)
    data = {
        k: (v if isinstance(v, str) else str(v))
        for k, v in body.items()
        if v is not None and k != "attachments"
    }
    leave = errors_of(request, lambda: requests.file(app, user, data, request, uploads))
    return JSONResponse(detail_json(leave), status_code=201)


def detail_json(leave: LeaveRequest) -> dict[str, Any]:
    return {
        **requests.serialize(leave),
        "documents": [
            {
                "id": doc.id,
                "filename": doc.filename,
                "size": doc.size,
                "content_type": doc.content_type,
                "url": f"/api/v1/leave/requests/{leave.id}/documents/{doc.id}",
            }
            for doc in attachments.of(leave)
        ],
    }


def document(request: Request) -> Response:
    """A supporting document of a request the caller may see."""
    leave = visible_or_404(request)
    return attachments.download(request.state.app, leave, int(request.path_params["doc"]))


def detail(request: Request) -> dict[str, Any]:
    """One request, with its supporting documents."""
    return detail_json(visible_or_404(request))


def cancel(request: Request) -> dict[str, Any]:
    """撤销 (``{"reason"}``): a pending request, or an approved one before it starts."""
    leave = visible_or_404(request)
    app, user = request.state.app, current_user(request)
    reason = str(json_object(request, required=False).get("reason", ""))
    errors_of(request, lambda: requests.cancel(app, leave, user, perms(request), reason, request))
    return requests.serialize(LeaveRequest.get_by_id(leave.id))


def end(request: Request) -> dict[str, Any]:
    """销假 (``{"actual_end_date", "actual_end_half"}``; default: the approved end)."""
    leave = visible_or_404(request)
    app, user = request.state.app, current_user(request)
    data = {k: str(v) for k, v in json_object(request, required=False).items() if v is not None}
    errors_of(request, lambda: requests.end(app, leave, user, perms(request), data, request))
    return requests.serialize(LeaveRequest.get_by_id(leave.id))


def delegate(request: Request) -> dict[str, Any]:
    """Register an 外出授权 for the approved leave's period (``{"delegate": username}``)."""
    leave = visible_or_404(request)
    app, user = request.state.app, current_user(request)
    username = str(json_object(request, required=False).get("delegate", ""))
    errors_of(request, lambda: requests.delegate(app, leave, user, username, request))
    return requests.serialize(LeaveRequest.get_by_id(leave.id))


def calendar(request: Request) -> dict[str, Any]:
    """Team calendar: ``?unit=CODE&month=YYYY-MM``; who is away on which day."""
    user = current_user(request)
    units = teamcal.visible_units(user, requests.is_admin(perms(request)))
    code = request.query_params.get("unit", "")
    unit = next((u for u in units if u.code == code), None) if code else None
    if unit is None and code:
        raise ApiError(404, "not_found", "找不到该单位，或您无权查看。")
    unit = unit or next((u for u in units if u.id == user.unit_id), None)
    if unit is None:
        raise ApiError(404, "not_found", "请指定单位。")
    year, month = month_param(request, request.state.app.clock().date())
    return {
        "unit": unit.code,
        "month": f"{year}-{month:02d}",
        "people": [
            {
                "user": line.user.username,
                "name": line.user.name,
                "days": {
                    str(day): [{"type": t, "status": s, "id": i} for t, s, i in cells]
                    for day, cells in sorted(line.cells.items())
                },
            }
            for line in teamcal.lines(unit, year, month)
        ],
    }


# --------------------------------------------------------------------------------------------- HR


def type_update(request: Request) -> dict[str, Any]:
    """Change a type (all fields of ``GET types``; booleans as true/false)."""
    leave_type = LeaveType.get_or_none(LeaveType.code == request.path_params["code"])
    if leave_type is None:
        raise ApiError(404, "not_found", "找不到该假别。")
    data = {**type_json(leave_type), **json_object(request, required=False)}
    errors_of(request, lambda: admin.save_type(request.state.app, leave_type, data, request))
    return type_json(LeaveType.get_by_id(leave_type.id))


def rule_json(rule: LeaveRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "rank": rule.rank,
        "leave_type": rule.leave_type.code if rule.leave_type_id else None,
        "min_days": rule.min_days,
        "steps": rule.step_list,
        "note": rule.note,
        "text": admin.describe_rule(rule),
    }


def rule_list(request: Request) -> dict[str, Any]:
    """Approval rules."""
    return {"items": [rule_json(r) for r in LeaveRule.select().order_by(LeaveRule.id)]}


def rule_create(request: Request) -> Response:
    """Add a rule: ``{"rank", "leave_type" (code or null), "min_days", "steps": [...], "note"}``."""
    data = dict(json_object(request, required=False))
    code = data.get("leave_type")
    if code:
        found = LeaveType.get_or_none(LeaveType.code == str(code))
        data["leave_type"] = str(found.id) if found else "x"
    rule = errors_of(request, lambda: admin.add_rule(request.state.app, data, request))
    return JSONResponse(rule_json(rule), status_code=201)


def rule_update(request: Request) -> dict[str, Any]:
    """Change a rule (same fields as creating one)."""
    rule = LeaveRule.get_or_none(LeaveRule.id == request.path_params["id"])
    if rule is None:
        raise ApiError(404, "not_found", "找不到该规则。")
    data = {**rule_json(rule), **json_object(request, required=False)}
    code = data.get("leave_type")
    if code:
        found = LeaveType.get_or_none(LeaveType.code == str(code))
        data["leave_type"] = str(found.id) if found else "x"
    errors_of(request, lambda: admin.update_rule(request.state.app, rule, data, request))
    return rule_json(LeaveRule.get_by_id(rule.id))


def rule_delete(request: Request) -> dict[str, Any]:
    """Delete a rule."""
    rule = LeaveRule.get_or_none(LeaveRule.id == request.path_params["id"])
    if rule is None:
        raise ApiError(404, "not_found", "找不到该规则。")
    admin.delete_rule(request.state.app, rule, request)
    return {"deleted": rule.id}


def _user_or_404(request: Request) -> User:
    user = User.get_or_none(User.username == request.path_params["username"])
    if user is None:
        raise ApiError(404, "not_found", "找不到该人员。")
    return user


def record_json(user: User) -> dict[str, Any]:
    record = admin.record_of(user)
    return {
        "user": user.username,
        "name": user.name,
        "work_start": record.work_start.isoformat() if record and record.work_start else None,
        "service_start": record.service_start.isoformat() if record and record.service_start else None,
        "rank": record.rank if record else "",
    }


def record_get(request: Request) -> dict[str, Any]:
    """A person's HR record."""
    return record_json(_user_or_404(request))


def record_put(request: Request) -> dict[str, Any]:
    """Set a person's HR record: ``{"work_start", "service_start", "rank"}``."""
    user = _user_or_404(request)
    data = {k: ("" if v is None else str(v)) for k, v in json_object(request, required=False).items()}
    errors_of(
        request, lambda: admin.save_record(request.state.app, user, data, current_user(request), request)
    )
    return record_json(user)


def adjustment_create(request: Request) -> Response:
    """Adjust a balance: ``{"leave_type", "year", "days", "reason"}``."""
    user = _user_or_404(request)
    data = json_object(request, required=False)
    row = errors_of(
        request, lambda: admin_pages.adjust(request.state.app, user, data, current_user(request), request)
    )
    return JSONResponse(adjustment_json(row), status_code=201)


def adjustment_json(row: LeaveAdjustment) -> dict[str, Any]:
    return {
        "id": row.id,
        "user": row.user.username,
        "type": row.leave_type.code,
        "year": row.year,
        "days": row.days,
        "kind": row.kind,
        "reason": row.reason,
        "created_at": row.created_at.isoformat(),
    }


def rollover(request: Request) -> dict[str, Any]:
    """年度结转 ``{"year"}``: carry unused 年休假 into the next year (running it again carries nothing)."""
    raw = json_object(request, required=False).get("year")
    if not isinstance(raw, int) or not 2000 <= raw <= 2100:
        raise ApiError(400, "invalid", "请填写年度。", {"year": "请填写年度，如 2025。"})
    carried = run(
        request, lambda: admin_pages.rollover(request.state.app, raw, current_user(request), request)
    )
    return {"year": raw, "carried": [{"user": u.username, "days": d} for u, d in carried]}


def report(request: Request) -> dict[str, Any]:
    """Statistics per unit, type and month: ``?year&unit&type&month``."""
    year, unit, leave_type, month = admin_pages.report_filters(request)
    found = reports.rows(year, unit, leave_type, month)
    return {
        "year": year,
        "items": [
            {"unit": r.unit, "type": r.leave_type, "month": r.month, "count": r.count, "days": r.days}
            for r in found
        ],
    }
