"""首页 panel of 外出授权: my delegation in force (or next), and how many items I hold for others.

Two statements, prepared once per process: the ids of my delegations not yet over, and the count of items
I hold for others; a third reads those delegations with their delegates when there are any.
It does not bring delegations up to date itself: the plugin's middleware has done so before the request
(``service.sync_if_due``), and which of mine is in force is read from the clock (``service.state_of``).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from peewee import fn
from starlette.requests import Request

from officium import Widget
from officium.core.identity.models import User
from officium.core.prepared import prepared
from officium.core.web.views import current_user
from officium.core.workflow.models import WorkItem
from officium.plugins.delegation import service
from officium.plugins.delegation.models import Delegation
from officium.plugins.delegation.routes import URL, USE


def _live_ids_query(principal: Any, now: Any) -> Any:
    """Ids of the principal's delegations not over by ``now``, not revoked (SQL built once per process)."""
    return Delegation.select(Delegation.id).where(
        (Delegation.principal == principal)
        & (Delegation.status != "ended")
        & Delegation.revoked_at.is_null()
        & (Delegation.end_at > now)
    )


def _holding_query(assignee: Any) -> Any:
    """How many open items the assignee holds for others."""
    return WorkItem.select(fn.COUNT(WorkItem.id)).where(
        (WorkItem.assignee == assignee)
        & WorkItem.principal.is_null(False)
        & WorkItem.state.in_(service.OPEN_STATES)
    )


def render_panel(request: Request) -> Markup:
    app = request.state.app
    user = current_user(request)
    now = app.clock()
    ids = [
        i for (i,) in prepared(app, "delegation.widget.live", _live_ids_query, arity=2).cursor(user.id, now)
    ]
    live: list[dict[str, Any]] = []
    if ids:  # most people have none: then this one statement is all
        mine = (
            Delegation.select(Delegation, User.id, User.name)
            .join(User, on=(Delegation.delegate == User.id), attr="delegate")
            .where(Delegation.id.in_(ids))
            .order_by(Delegation.start_at, Delegation.id)
        )
        for d in mine:
            state = service.state_of(d, now)
            if state in ("active", "pending"):
                live.append({"d": d, "state": state, "scope": service.scope_label(app, d)})
    (holding,) = prepared(app, "delegation.widget.holding", _holding_query).cursor(user.id).fetchone()
    template = app.jinja_env.get_template("delegation/widget.html")
    return Markup(template.render(live=live, holding=holding, url=URL))


def widget() -> Widget:
    """The panel, for those who may delegate."""
    return Widget("delegation", "外出授权", render_panel, USE, order=30)
