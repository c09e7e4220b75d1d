"""首页 panel of 公告板: the 必读 announcements not confirmed yet, then the latest ones.

Three statements: the reader's unit with those above it (:func:`scopes.unit_chain_query`, prepared), then
the two lists.
The lists are the board's own queries (:func:`board.must_read_pending`, :func:`board.board`), reading only
the columns the panel shows.  Peewee took about 1.6 ms to build each one's SQL, against some 20 µs for the
database to answer it, and the dashboard is the page opened most; so each list's SQL is built once per
process (per number of units and roles) with :func:`officium.core.prepared.prepared`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from markupsafe import Markup
from starlette.requests import Request

from officium.core.identity.access import STAFF_ROLE
from officium.core.identity.models import Unit
from officium.core.prepared import prepared
from officium.core.registry import Widget
from officium.core.web.views import current_user
from officium.plugins.bulletin import access, board, scopes
from officium.plugins.bulletin.models import IMPORTANCES, Announcement
from officium.plugins.bulletin.pages import IMPORTANCE_TONES, URL

PENDING_MAX = 5
LATEST_MAX = 6
#: What the panel shows of an announcement (and of the reader's receipt).
SHOWN = (
    Announcement.id,
    Announcement.title,
    Announcement.pinned,
    Announcement.publish_at,
    board.Mine.id,
    board.Mine.confirmed_at,
)


def _builder(kind: str, units: int, roles: int) -> Callable[..., Any]:
    """Builds the panel's ``kind`` list (``pending`` or ``latest``) for a reader with that many units and
    roles, from markers in the order user, now, units…, roles…"""

    def build(user: Any, now: Any, *rest: Any) -> Any:
        who = scopes.Viewer(
            SimpleNamespace(id=user),  # type: ignore[arg-type]  # board() reads only user.id
            tuple(rest[:units]),
            tuple(rest[units:]),  # type: ignore[arg-type]
            frozenset(),
        )
        if kind == "pending":
            return (
                board.must_read_pending(who, now)
                .select(*SHOWN, Unit.id, Unit.name)
                .join_from(Announcement, Unit, on=(Announcement.unit == Unit.id), attr="unit")
                .limit(PENDING_MAX)
            )
        return board.board(who, now, {}).select(*SHOWN).limit(LATEST_MAX)

    return build


def lists(app: Any, who: scopes.Viewer, now: datetime) -> tuple[list[Any], list[Any]]:
    """The 必读 announcements ``who`` has not confirmed (oldest first) and the latest ones, as the board
    orders them; each has ``.mine`` (the receipt, or one with ``id`` None), the 必读 ones ``.unit.name``."""
    roles = sorted(who.roles)
    values = (who.user.id, now, *who.units, *roles)
    found = []
    for kind in ("pending", "latest"):
        shape = (kind, len(who.units), len(roles))
        statement = prepared(app, "bulletin.widget.{}.{}.{}".format(*shape), _builder(*shape), len(values))
        found.append(statement.rows(*values))
    return found[0], found[1]


def render_panel(request: Request) -> Markup:
    app = request.state.app
    ctx = request.state.ctx
    user = current_user(request)
    units: tuple[int, ...] = ()
    if user.unit_id:
        chain = prepared(app, "bulletin.widget.units", scopes.unit_chain_query).cursor(user.unit_id)
        units = tuple(sorted(unit for (unit,) in chain))
    # Scopes never name ``staff`` (it is everybody: their kind is ``all``), so the implicit one is left out.
    who = scopes.viewer(user, ctx.permissions, ctx.roles - {STAFF_ROLE}, units)
    pending, latest = lists(app, who, app.clock())
    template = app.jinja_env.get_template("bulletin/widget.html")
    return Markup(
        template.render(
            pending=pending, latest=latest, url=URL, tones=IMPORTANCE_TONES, importances=IMPORTANCES
        )
    )


def widget() -> Widget:
    """The panel, for readers of the board."""
    return Widget("bulletin", "公告板", render_panel, access.READ, order=15)
