"""首页 panel of 外出授权: my delegation in force (or next), and how many items I hold for others.

Two statements: my delegations not yet over with their delegates joined, and the count of items I hold.
It does not bring delegations up to date itself: the plugin's middleware has done so before the request
(``service.sync_if_due``), and which of mine is in force is read from the clock (``service.state_of``).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request

from officium import Widget
from officium.core.identity.models import User
from officium.core.web.views import current_user
from officium.core.workflow.models import WorkItem
from officium.plugins.delegation import service
from officium.plugins.delegation.models import Delegation
from officium.plugins.delegation.routes import URL, USE


def render_panel(request: Request) -> Markup:
    app = request.state.app
    user = current_user(request)
    now = app.clock()
    mine = (
        Delegation.select(Delegation, User.id, User.name)
        .join(User, on=(Delegation.delegate == User.id), attr="delegate")
        .where(
            (Delegation.principal == user)
            & (Delegation.status != "ended")
            & Delegation.revoked_at.is_null()
            & (Delegation.end_at > now)
        )
        .order_by(Delegation.start_at, Delegation.id)
    )
    live: list[dict[str, Any]] = []
    for d in mine:
        state = service.state_of(d, now)
        if state in ("active", "pending"):
            live.append({"d": d, "state": state, "scope": service.scope_label(app, d)})
    holding = (
        WorkItem.select(WorkItem.id)
        .where(
            (WorkItem.assignee == user)
            & WorkItem.principal.is_null(False)
            & WorkItem.state.in_(service.OPEN_STATES)
        )
        .count()
    )
    template = app.jinja_env.get_template("delegation/widget.html")
    return Markup(template.render(live=live, holding=holding, url=URL))


def widget() -> Widget:
    """The panel, for those who may delegate."""
    return Widget("delegation", "外出授权", render_panel, USE, order=30)
