"""The staff's pages: 我的休假 (balances, requests, history), the request form, a request's page with its
workflow panel, cancellation, 销假 and the 外出授权 offer, and the team calendar.

Views are plain functions; the core checks permissions and CSRF and runs a POST in one transaction.  Each
action runs in a savepoint, so a refusal leaves nothing behind.  A request the user may not see is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium.core.db import write_transaction
from officium.core.identity.models import Unit
from officium.core.web.views import current_user, flash, form_value, page_of, redirect, render
from officium.core.workflow.engine import Conflict, WorkflowError
from officium.core.workflow.panel import panel_context
from officium.plugins.leave import attachments, balances, entitlement, maternity, requests, teamcal
from officium.plugins.leave.models import LeaveRequest, LeaveType
from officium.plugins.leave.requests import URL, LeaveError

HALF_START = [("am", "上午（全天）"), ("pm", "下午（半天）")]
HALF_END = [("pm", "下午（全天）"), ("am", "上午（半天）")]


def perms(request: Request) -> frozenset[str]:
    return request.state.ctx.permissions


def run(request: Request, action: Callable[[], Any]) -> Any:
    """Run ``action`` in a savepoint of the view's transaction: a refusal undoes everything it did."""
    with write_transaction(request.state.app.db):
        return action()


def year_param(request: Request, app: Any) -> int:
    raw = request.query_params.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return app.clock().year


def visible_or_404(request: Request) -> LeaveRequest:
    leave = LeaveRequest.get_or_none(LeaveRequest.id == request.path_params["id"])
    if leave is None or not requests.visible(current_user(request), perms(request), leave):
        raise HTTPException(404)
    return leave


def type_options() -> list[tuple[str, str]]:
    return [
        (t.code, t.name)
        for t in LeaveType.select().where(LeaveType.active).order_by(LeaveType.order, LeaveType.id)
    ]


# --------------------------------------------------------------------------------------------- 我的休假


def index(request: Request) -> Response:
    """我的休假: this year's balances with the 年休假 reason, my requests, and those I filed for others."""
    app, user = request.state.app, current_user(request)
    year = year_param(request, app)
    mine = (
        LeaveRequest.select()
        .where(LeaveRequest.user == user)
        .order_by(LeaveRequest.start_date.desc(), LeaveRequest.id.desc())
    )
    status_filter = request.query_params.get("status", "")
    if status_filter in ("pending", "approved", "ended", "cancelled"):
        mine = mine.where(LeaveRequest.status == status_filter)
    listing = page_of(request, mine)
    filed = list(
        LeaveRequest.select()
        .where((LeaveRequest.filed_by == user) & (LeaveRequest.user != user))
        .order_by(LeaveRequest.created_at.desc())
        .limit(20)
    )
    return render(
        request,
        "leave/index.html",
        year=year,
        balances=balances.balances(user, year),
        annual=entitlement.compute(user, year),
        listing=listing,
        rows=[(r, requests.status(r)) for r in listing.items],
        filed=[(r, requests.status(r)) for r in filed],
        status_filter=status_filter,
        period=requests.period_label,
    )


# --------------------------------------------------------------------------------------------- new


def _people_options(user: Any) -> list[tuple[str, str]]:
    return [
        (p.username, "本人" if p.id == user.id else f"{p.name}（{p.username}）")
        for p in requests.people_for(user)
    ]


def new(request: Request) -> Response:
    """请假: the form (with a live day count when JavaScript runs); POST files the request."""
    app, user = request.state.app, current_user(request)
    errors: dict[str, str] = {}
    status = 400
    values = {k: v for k, v in request.state.form.items() if isinstance(v, str)}
    if request.method == "POST":
        upload = request.state.form.get("document")
        try:
            leave = run(request, lambda: _file_with_document(app, user, values, upload, request))
        except LeaveError as exc:
            errors = exc.fields or {"": exc.message}
            status = 422 if exc.status == 422 else 400
        except WorkflowError as exc:
            errors = {"": exc.message}
        else:
            flash(request, "请假申请已提交，等待审批。")
            return redirect(f"{URL}{leave.id}")
    else:
        values.setdefault("leave_type", request.query_params.get("type", ""))
    return render(
        request,
        "leave/new.html",
        status_code=status if errors else 200,
        values=values,
        errors=errors,
        people=_people_options(user),
        types=type_options(),
        document_types=[t.code for t in LeaveType.select().where(LeaveType.document_required)],
        files_available=attachments.available(),
        half_start=HALF_START,
        half_end=HALF_END,
        maternity_cases=list(maternity.CASES.items()),
    )


def _file_with_document(
    app: Any, user: Any, values: dict[str, str], upload: Any, request: Request
) -> LeaveRequest:
    files = []
    if upload is not None and not isinstance(upload, str) and getattr(upload, "filename", ""):
        files.append((upload.filename, upload.file.read()))
        upload.file.seek(0)
    return requests.file(app, user, values, request, files)


# --------------------------------------------------------------------------------------------- detail


def detail(request: Request, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """One request: its period, days, chain, state, the actions the user may take and the 流转 panel."""
    leave = visible_or_404(request)
    app, user = request.state.app, current_user(request)
    instance = requests.instance_of(leave)
    manage = requests.may_manage(user, perms(request), leave)
    today = app.clock().date()
    return render(
        request,
        "leave/detail.html",
        status_code=status_code,
        leave=leave,
        status=requests.status(leave, instance),
        period=requests.period_label(leave),
        chain=requests.rules.describe([s for s in leave.chain.split(",") if s]),
        panel=panel_context(request, instance) if instance is not None else None,
        can_cancel=manage
        and (leave.status == "pending" or (leave.status == "approved" and today < leave.start_date)),
        can_end=manage and leave.status == "approved" and today >= leave.start_date,
        can_delegate=user.id == leave.user_id
        and leave.status == "approved"
        and not leave.delegation_id
        and requests.delegation_enabled(app),
        documents=attachments.of(leave),
        balance=balances.balance(leave.user, leave.leave_type, leave.year)
        if leave.leave_type.balance_required
        else None,
        half_end=HALF_END,
        errors=errors or {},
        values={k: v for k, v in request.state.form.items() if isinstance(v, str)},
        back=leave.days - leave.actual_days if leave.actual_days is not None else 0,
    )


def _act(request: Request, action: Callable[[LeaveRequest], Any], done: str, field: str) -> Response:
    leave = visible_or_404(request)
    try:
        run(request, lambda: action(leave))
    except LeaveError as exc:
        if exc.status == 403:
            raise HTTPException(403) from exc
        return detail(request, exc.fields or {field: exc.message}, 409 if exc.status == 409 else 400)
    except Conflict as exc:
        return detail(request, {field: exc.message}, 409)
    except WorkflowError as exc:
        return detail(request, {field: exc.message}, 400)
    flash(request, done)
    return redirect(f"{URL}{leave.id}")


def cancel_page(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    reason = form_value(request, "reason")
    return _act(
        request,
        lambda leave: requests.cancel(app, leave, user, perms(request), reason, request),
        "请假申请已撤销，额度已恢复。",
        "reason",
    )


def end_page(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    data = {k: v for k, v in request.state.form.items() if isinstance(v, str)}
    return _act(
        request,
        lambda leave: requests.end(app, leave, user, perms(request), data, request),
        "已销假，按实际天数计算。",
        "actual_end_date",
    )


def delegate_page(request: Request) -> Response:
    app, user = request.state.app, current_user(request)
    username = form_value(request, "delegate")
    return _act(
        request,
        lambda leave: requests.delegate(app, leave, user, username, request),
        "已登记外出授权，休假期间您的待办由被授权人代办。",
        "delegate",
    )


def document_page(request: Request) -> Response:
    """Download (or preview) a supporting document of a request the user may see."""
    leave = visible_or_404(request)
    return attachments.download(request.state.app, leave, int(request.path_params["doc"]))


# --------------------------------------------------------------------------------------------- calendar


def month_param(request: Request, today: date) -> tuple[int, int]:
    raw = request.query_params.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def calendar_page(request: Request) -> Response:
    """休假日历: who of a unit is away on which day of a month."""
    app, user = request.state.app, current_user(request)
    units = teamcal.visible_units(user, requests.is_admin(perms(request)))
    code = request.query_params.get("unit", "")
    unit = next((u for u in units if u.code == code), None) if code else None
    if code and unit is None:
        raise HTTPException(404)
    if unit is None:
        unit = next((u for u in units if u.id == user.unit_id), units[0] if units else None)
    year, month = month_param(request, app.clock().date())
    prev_month = f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    next_month = f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"
    return render(
        request,
        "leave/calendar.html",
        unit=unit,
        units=[(u.code, u.name) for u in units],
        year=year,
        month=month,
        days=teamcal.month_days(year, month),
        lines=teamcal.lines(unit, year, month) if isinstance(unit, Unit) else [],
        prev_month=prev_month,
        next_month=next_month,
    )
