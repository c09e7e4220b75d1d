"""首页 panel of 公告板: the 必读 announcements not confirmed yet, then the latest ones.

Two statements: the same filter as the board (:func:`board.board`), reading only the columns the panel
shows (not the bodies), with the publisher's unit joined for the 必读 list.  The reader's roles come from
the request, which has already read them.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request

from officium.core.identity.access import STAFF_ROLE
from officium.core.identity.models import Unit
from officium.core.registry import Widget
from officium.core.web.views import current_user
from officium.plugins.bulletin import access, board, scopes
from officium.plugins.bulletin.models import IMPORTANCES, Announcement
from officium.plugins.bulletin.pages import IMPORTANCE_TONES, URL

#: What the panel shows of an announcement (and of the reader's receipt).
SHOWN = (
    Announcement.id,
    Announcement.title,
    Announcement.pinned,
    Announcement.publish_at,
    board.Mine.id,
    board.Mine.confirmed_at,
)


def _shown(query: Any) -> Any:
    """``query`` (from :mod:`board`) reading only :data:`SHOWN`."""
    return query.select(*SHOWN)


def render_panel(request: Request) -> Markup:
    app = request.state.app
    ctx = request.state.ctx
    # Scopes never name ``staff`` (it is everybody: their kind is ``all``), so the implicit one is left out.
    who = scopes.viewer(current_user(request), ctx.permissions, ctx.roles - {STAFF_ROLE})
    now = app.clock()
    pending = list(
        _shown(board.must_read_pending(who, now))
        .select_extend(Unit.id, Unit.name)
        .join_from(Announcement, Unit, on=(Announcement.unit == Unit.id), attr="unit")
        .limit(5)
    )
    latest = list(_shown(board.board(who, now, {})).limit(6))
    template = app.jinja_env.get_template("bulletin/widget.html")
    return Markup(
        template.render(
            pending=pending, latest=latest, url=URL, tones=IMPORTANCE_TONES, importances=IMPORTANCES
        )
    )


def widget() -> Widget:
    """The panel, for readers of the board."""
    return Widget("bulletin", "公告板", render_panel, access.READ, order=15)
