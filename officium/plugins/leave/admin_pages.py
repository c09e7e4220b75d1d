"""HR's pages (leave.admin): types, approval rules, people (HR record, balances, adjustments), the yearly
roll-over and the statistics with their XLSX export."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium.core import audit, notifications
from officium.core.admin.queries import EXPORT_LIMIT, xlsx_bytes
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.web.views import current_user, flash, form_value, page_of, redirect, render
from officium.plugins.leave import admin, balances, entitlement, reports, requests
from officium.plugins.leave.models import (
    COUNTING,
    RANKS,
    STATUSES,
    STEPS,
    LeaveAdjustment,
    LeaveRequest,
    LeaveRule,
    LeaveType,
)
from officium.plugins.leave.pages import run, type_options, year_param
from officium.plugins.leave.requests import ADJUSTED, URL, LeaveError

ADMIN_URL = f"{URL}admin/"


def _form(request: Request) -> dict[str, Any]:
    return dict(request.state.form)


def home(request: Request) -> Response:
    """人事处休假管理: the types and the approval rules."""
    types = list(LeaveType.select().order_by(LeaveType.order, LeaveType.id))
    rules = list(LeaveRule.select().order_by(LeaveRule.rank, LeaveRule.min_days, LeaveRule.id))
    return render(
        request,
        "leave/admin/home.html",
        types=types,
        rules=[(r, admin.describe_rule(r)) for r in rules],
        counting=COUNTING,
    )


def type_edit(request: Request) -> Response:
    leave_type = LeaveType.get_or_none(LeaveType.id == request.path_params["id"])
    if leave_type is None:
        raise HTTPException(404)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = _form(request)
        try:
            run(request, lambda: admin.save_type(request.state.app, leave_type, values, request))
        except LeaveError as exc:
            errors = exc.fields or {"": exc.message}
            leave_type = LeaveType.get_by_id(leave_type.id)
        else:
            flash(request, f"已保存假别“{leave_type.name}”。")
            return redirect(ADMIN_URL)
    return render(
        request,
        "leave/admin/type.html",
        status_code=400 if errors else 200,
        t=leave_type,
        values=values,
        errors=errors,
        counting=list(COUNTING.items()),
    )


def rules_page(request: Request) -> Response:
    """Add a rule (POST) — the list is on the home page."""
    errors: dict[str, str] = {}
    values = _form(request)
    try:
        run(request, lambda: admin.add_rule(request.state.app, values, request))
    except LeaveError as exc:
        errors = exc.fields or {"": exc.message}
        return render(
            request,
            "leave/admin/rule.html",
            status_code=400,
            values=values,
            errors=errors,
            ranks=[(r, r or "所有职级") for r in RANKS],
            types=[("", "所有假别")]
            + [(str(t.id), t.name) for t in LeaveType.select().order_by(LeaveType.order)],
            steps=list(STEPS.items()),
        )
    flash(request, "已新增审批规则。")
    return redirect(ADMIN_URL + "#rules")


def rule_new(request: Request) -> Response:
    return render(
        request,
        "leave/admin/rule.html",
        values={"steps": ["unit", "hr"]},
        errors={},
        ranks=[(r, r or "所有职级") for r in RANKS],
        types=[("", "所有假别")]
        + [(str(t.id), t.name) for t in LeaveType.select().order_by(LeaveType.order)],
        steps=list(STEPS.items()),
    )


def _rule_form(
    request: Request, values: dict[str, Any], errors: dict[str, str], rule: Any = None
) -> Response:
    return render(
        request,
        "leave/admin/rule.html",
        status_code=400 if errors else 200,
        rule=rule,
        values=values,
        errors=errors,
        ranks=[(r, r or "所有职级") for r in RANKS],
        types=[("", "所有假别")]
        + [(str(t.id), t.name) for t in LeaveType.select().order_by(LeaveType.order)],
        steps=list(STEPS.items()),
    )


def rule_edit(request: Request) -> Response:
    """Change a rule (GET shows it, POST saves it)."""
    rule = LeaveRule.get_or_none(LeaveRule.id == request.path_params["id"])
    if rule is None:
        raise HTTPException(404)
    if request.method == "POST":
        values = _form(request)
        try:
            run(request, lambda: admin.update_rule(request.state.app, rule, values, request))
        except LeaveError as exc:
            return _rule_form(request, values, exc.fields or {"": exc.message}, rule)
        flash(request, "已修改审批规则。")
        return redirect(ADMIN_URL + "#rules")
    values = {
        "rank": rule.rank,
        "leave_type": str(rule.leave_type_id or ""),
        "min_days": f"{rule.min_days:g}",
        "steps": rule.step_list,
        "note": rule.note,
    }
    return _rule_form(request, values, {}, rule)


def requests_page(request: Request) -> Response:
    """请假记录: every request, filtered by person, unit, type, status and year; ``?format=xlsx`` exports."""
    app = request.state.app
    year = year_param(request, app)
    params = request.query_params
    query = (
        LeaveRequest.select(LeaveRequest, User)
        .join(User, on=(LeaveRequest.user == User.id))
        .where(LeaveRequest.year == year)
    )
    q = params.get("q", "").strip()[:64]
    if q:
        query = query.where(User.name.contains(q) | User.username.contains(q))
    unit = Unit.get_or_none(Unit.code == params.get("unit", "")) if params.get("unit") else None
    if unit is not None:
        query = query.where(LeaveRequest.unit == unit)
    leave_type = (
        LeaveType.get_or_none(LeaveType.code == params.get("type", "")) if params.get("type") else None
    )
    if leave_type is not None:
        query = query.where(LeaveRequest.leave_type == leave_type)
    wanted = params.get("status", "")
    if wanted in STATUSES:
        query = query.where(LeaveRequest.status == wanted)
    query = query.order_by(LeaveRequest.start_date.desc(), LeaveRequest.id.desc())
    if params.get("format") == "xlsx":
        header = ["姓名", "单位", "假别", "开始", "结束", "天数", "实际天数", "状态", "事由"]
        rows = (
            [
                r.user.name,
                r.unit.name if r.unit_id else "",
                r.leave_type.name,
                f"{r.start_date} {'下午' if r.start_half == 'pm' else '上午'}",
                f"{r.end_date} {'上午' if r.end_half == 'am' else '下午'}",
                r.days,
                r.actual_days if r.actual_days is not None else "",
                r.status_title,
                r.reason,
            ]
            for r in query.limit(EXPORT_LIMIT)
        )
        return Response(
            xlsx_bytes(header, rows, f"{year}年请假记录"),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename=leave-requests-{year}.xlsx"},
        )
    listing = page_of(request, query)
    return render(
        request,
        "leave/admin/requests.html",
        listing=listing,
        rows=[(r, requests.status(r)) for r in listing.items],
        year=year,
        q=q,
        unit=unit,
        leave_type=leave_type,
        status=wanted,
        statuses=list(STATUSES.items()),
        units=[(u.code, u.name) for u in Unit.select().where(Unit.active).order_by(Unit.order, Unit.id)],
        types=type_options(),
        period=requests.period_label,
        query=str(request.query_params),
    )


def rule_delete(request: Request) -> Response:
    rule = LeaveRule.get_or_none(LeaveRule.id == request.path_params["id"])
    if rule is None:
        raise HTTPException(404)
    admin.delete_rule(request.state.app, rule, request)
    flash(request, "已删除审批规则。")
    return redirect(ADMIN_URL + "#rules")


def people(request: Request) -> Response:
    """人员休假信息: people with their HR record and this year's 年休假, searchable by name or unit."""
    app = request.state.app
    year = year_param(request, app)
    q = request.query_params.get("q", "").strip()[:64]
    query = User.select().where(User.status == "active").order_by(User.unit, User.name, User.id)
    # the 三员 are system accounts, not staff: they take no leave and have no HR record
    admin_roles = [name for name, role in app.registry.roles.items() if role.admin]
    admins = RoleGrant.select(RoleGrant.user).where(RoleGrant.role.in_(admin_roles))
    query = query.where(User.id.not_in(admins))
    if q:
        query = query.join(Unit, on=(User.unit == Unit.id)).where(
            User.name.contains(q) | User.username.contains(q) | Unit.name.contains(q)
        )
    listing = page_of(request, query)
    rows = [(u, admin.record_of(u), entitlement.compute(u, year)) for u in listing.items]
    return render(request, "leave/admin/people.html", listing=listing, rows=rows, q=q, year=year)


def _person_or_404(request: Request) -> User:
    user = User.get_or_none(User.username == request.path_params["username"])
    if user is None:
        raise HTTPException(404)
    return user


def person(request: Request, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """One person: HR record (editable), balances of the year with the 年休假 reason, adjustments."""
    app = request.state.app
    user = _person_or_404(request)
    year = year_param(request, app)
    record = admin.record_of(user)
    values = _form(request) if errors else {}
    return render(
        request,
        "leave/admin/person.html",
        status_code=status_code,
        person=user,
        record=record,
        year=year,
        balances=balances.balances(user, year),
        annual=entitlement.compute(user, year),
        adjustments=list(
            LeaveAdjustment.select()
            .where(LeaveAdjustment.user == user)
            .order_by(LeaveAdjustment.year.desc(), LeaveAdjustment.id.desc())
            .limit(50)
        ),
        ranks=[(r, r or "未填") for r in RANKS],
        balance_types=[(t.code, t.name) for t in LeaveType.select().where(LeaveType.balance_required)],
        values=values,
        errors=errors or {},
    )


def person_save(request: Request) -> Response:
    app, actor = request.state.app, current_user(request)
    user = _person_or_404(request)
    try:
        run(request, lambda: admin.save_record(app, user, _form(request), actor, request))
    except LeaveError as exc:
        return person(request, exc.fields or {"": exc.message}, 400)
    flash(request, f"已保存{user.name}的人事信息。")
    return redirect(f"{ADMIN_URL}people/{user.username}")


def adjust(
    app: Any, user: User, data: dict[str, Any], actor: User, request: Request | None
) -> LeaveAdjustment:
    """Check and store an adjustment, audit it and tell the person."""
    code = str(data.get("leave_type", "")).strip()
    leave_type = LeaveType.get_or_none(LeaveType.code == code)
    if leave_type is None:
        raise LeaveError("请选择假别。", {"leave_type": "请选择假别。"})
    try:
        days = float(str(data.get("days", "")).strip())
    except ValueError:
        raise LeaveError("调整天数应为数字。", {"days": "调整天数应为数字，如 2 或 -0.5。"}) from None
    try:
        year = int(str(data.get("year", app.clock().year)))
    except ValueError:
        year = 0
    try:
        row = balances.adjust(app, user, leave_type, year, days, str(data.get("reason", "")), actor)
    except balances.AdjustError as exc:
        raise LeaveError(exc.message, exc.fields) from exc
    audit.record(
        app,
        "leave.adjust",
        actor=actor,
        request=request,
        object_type="balance",
        object_id=user.username,
        summary=f"调整{user.name} {year}年{leave_type.name}额度 {days:+g} 天：{row.reason}",
    )
    notifications.notify(
        app,
        user,
        ADJUSTED,
        f"人事处调整了您{year}年的{leave_type.name}额度：{days:+g} 天",
        url=f"{URL}?year={year}",
        body=f"原因：{row.reason}",
    )
    return row


def person_adjust(request: Request) -> Response:
    app, actor = request.state.app, current_user(request)
    user = _person_or_404(request)
    try:
        run(request, lambda: adjust(app, user, _form(request), actor, request))
    except LeaveError as exc:
        return person(request, exc.fields or {"days": exc.message}, 400)
    flash(request, "已调整额度。")
    return redirect(f"{ADMIN_URL}people/{user.username}?year={form_value(request, 'year')}")


def rollover(app: Any, year: int, actor: User, request: Request | None) -> list[tuple[User, float]]:
    carried = balances.rollover(app, year, actor)
    audit.record(
        app,
        "leave.rollover",
        actor=actor,
        request=request,
        object_type="year",
        object_id=year,
        summary=f"{year}年度结转：{len(carried)} 人结转未休年休假共 {sum(d for _, d in carried):g} 天",
    )
    return carried


def rollover_page(request: Request) -> Response:
    """年度结转: carry unused 年休假 of a year into the next."""
    app, actor = request.state.app, current_user(request)
    errors: dict[str, str] = {}
    carried = None
    year = app.clock().year - 1
    if request.method == "POST":
        raw = form_value(request, "year")
        if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
            errors["year"] = "请填写年度，如 2025。"
        else:
            year = int(raw)
            carried = run(request, lambda: rollover(app, year, actor, request))
    return render(
        request,
        "leave/admin/rollover.html",
        status_code=400 if errors else 200,
        year=year,
        errors=errors,
        carried=carried,
        cap=balances.carry_over_max(app),
    )


def report_filters(request: Request) -> tuple[int, Unit | None, LeaveType | None, int]:
    app = request.state.app
    year = year_param(request, app)
    code = request.query_params.get("unit", "")
    unit = Unit.get_or_none(Unit.code == code) if code else None
    type_code = request.query_params.get("type", "")
    leave_type = LeaveType.get_or_none(LeaveType.code == type_code) if type_code else None
    raw_month = request.query_params.get("month", "")
    month = int(raw_month) if raw_month.isdigit() and 1 <= int(raw_month) <= 12 else 0
    return year, unit, leave_type, month


def reports_page(request: Request) -> Response:
    """休假统计 per unit, type and month; ``?format=xlsx`` downloads it."""
    year, unit, leave_type, month = report_filters(request)
    found = reports.rows(year, unit, leave_type, month)
    if request.query_params.get("format") == "xlsx":
        body = reports.workbook(found, year)
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename=leave-{year}.xlsx"},
        )
    count, days = reports.totals(found)
    return render(
        request,
        "leave/admin/reports.html",
        rows=found,
        count=count,
        days=days,
        year=year,
        unit=unit,
        leave_type=leave_type,
        month=month,
        months=[(m, f"{m}月") for m in range(1, 13)],
        units=[(u.code, u.name) for u in Unit.select().where(Unit.active).order_by(Unit.order, Unit.id)],
        types=type_options(),
        query=str(request.query_params),
    )
