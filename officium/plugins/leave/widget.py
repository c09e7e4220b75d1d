"""首页 panel of 休假管理: this year's 年休假 left, my next or current leave (with a reminder to register the
return), and who of my unit is away today.  The personal part is cached per person and day
(``balance_cache``): on most requests the panel runs two statements."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request

from officium import Widget
from officium.core.identity.models import User
from officium.core.web.views import current_user
from officium.plugins.leave import balance_cache
from officium.plugins.leave.models import LeaveRequest
from officium.plugins.leave.requests import REQUEST, URL, period_label


def render_panel(request: Request) -> Markup:
    app = request.state.app
    user = current_user(request)
    today = app.clock().date()
    mine = balance_cache.personal(app, user, today)
    away: list[str] = []
    if user.unit_id:
        away = [
            name
            for (name,) in LeaveRequest.select(User.name)
            .join(User, on=(LeaveRequest.user == User.id))
            .where(
                (LeaveRequest.unit == user.unit_id)
                & LeaveRequest.status.in_(("approved", "ended"))
                & (LeaveRequest.start_date <= today)
                & (LeaveRequest.end_date >= today)
                & (LeaveRequest.user != user)
            )
            .limit(20)
            .tuples()
        ]
    template = app.jinja_env.get_template("leave/widget.html")
    return Markup(
        template.render(
            annual=mine.annual,
            upcoming=mine.upcoming,
            overdue_return=mine.overdue_return,
            away=away,
            period=period_label,
            url=URL,
        )
    )


def widget() -> Widget:
    return Widget("leave", "休假", render_panel, REQUEST, order=40)
