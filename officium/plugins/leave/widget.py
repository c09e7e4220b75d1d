"""首页 panel of 休假管理: this year's 年休假 left, my next or current leave (with a reminder to register the
return), and who of my unit is away today."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request

from officium import Widget
from officium.core.identity.models import User
from officium.core.web.views import current_user
from officium.plugins.leave import balances, entitlement
from officium.plugins.leave.models import LeaveRequest, LeaveType
from officium.plugins.leave.requests import REQUEST, URL, period_label


def render_panel(request: Request) -> Markup:
    app = request.state.app
    user = current_user(request)
    today = app.clock().date()
    annual_type = LeaveType.get_or_none(LeaveType.code == entitlement.ANNUAL)
    annual = balances.balance(user, annual_type, today.year) if annual_type is not None else None
    upcoming = (
        LeaveRequest.select()
        .where(
            (LeaveRequest.user == user)
            & LeaveRequest.status.in_(("pending", "approved"))
            & (LeaveRequest.end_date >= today)
        )
        .order_by(LeaveRequest.start_date)
        .first()
    )
    overdue_return = (
        LeaveRequest.select()
        .where(
            (LeaveRequest.user == user)
            & (LeaveRequest.status == "approved")
            & (LeaveRequest.end_date < today)
        )
        .order_by(LeaveRequest.start_date)
        .first()
    )
    away = []
    if user.unit_id:
        away = [
            r.user.name
            for r in LeaveRequest.select(LeaveRequest, User)
            .join(User, on=(LeaveRequest.user == User.id))
            .where(
                (LeaveRequest.unit == user.unit_id)
                & LeaveRequest.status.in_(("approved", "ended"))
                & (LeaveRequest.start_date <= today)
                & (LeaveRequest.end_date >= today)
                & (LeaveRequest.user != user)
            )
            .limit(20)
        ]
    template = app.jinja_env.get_template("leave/widget.html")
    return Markup(
        template.render(
            annual=annual,
            upcoming=upcoming,
            overdue_return=overdue_return,
            away=away,
            period=period_label,
            url=URL,
        )
    )


def widget() -> Widget:
    return Widget("leave", "休假", render_panel, REQUEST, order=40)
