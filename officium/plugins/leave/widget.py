"""首页 panel of 休假管理: this year's 年休假 left, my next or current leave (with a reminder to register the
return), and who of my unit is away today.  The personal part is cached per person and day
(``balance_cache``): on most requests the panel runs two statements, both prepared once per process."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request

from officium import Widget
from officium.core.identity.models import User
from officium.core.prepared import prepared
from officium.core.web.views import current_user
from officium.plugins.leave import balance_cache
from officium.plugins.leave.models import LeaveRequest
from officium.plugins.leave.requests import REQUEST, URL, period_label


def _away_query(unit: Any, first: Any, last: Any, user: Any) -> Any:
    """Names of the people of ``unit`` on leave from ``first`` to ``last``, but ``user``."""
    return (
        LeaveRequest.select(User.name)
        .join(User, on=(LeaveRequest.user == User.id))
        .where(
            (LeaveRequest.unit == unit)
            & LeaveRequest.status.in_(("approved", "ended"))
            & (LeaveRequest.start_date <= first)
            & (LeaveRequest.end_date >= last)
            & (LeaveRequest.user != user)
        )
        .limit(20)
    )


def render_panel(request: Request) -> Markup:
    app = request.state.app
    user = current_user(request)
    today = app.clock().date()
    mine = balance_cache.personal(app, user, today)
    away: list[str] = []
    if user.unit_id:
        statement = prepared(app, "leave.widget.away", _away_query, arity=4)
        away = [name for (name,) in statement.cursor(user.unit_id, today, today, user.id)]
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
