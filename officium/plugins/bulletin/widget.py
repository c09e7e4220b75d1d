"""首页 panel of 公告板: the 必读 announcements not confirmed yet, then the latest ones.

Three statements: the reader's unit with those above it (:func:`scopes.unit_chain_query`, prepared), then
the two lists.
The lists are the board's own queries (:func:`board.must_read_pending`, :func:`board.board`), reading only
the columns the panel shows.  Peewee took about 1.6 ms to build each one's SQL, against some 20 µs for the
database to answer it, and the dashboard is the page opened most; so each list's SQL is built once per
process (per number of units and roles), with markers where the reader's values go, and kept in
``app.process_state``.  The text depends only on the code and the database's dialect, never on data.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from markupsafe import Markup
from peewee import Value
from starlette.requests import Request

from officium.core.identity.access import STAFF_ROLE
from officium.core.identity.models import Unit
from officium.core.prepared import prepared
from officium.core.registry import Widget
from officium.core.web.views import current_user
from officium.plugins.bulletin import access, board, scopes
from officium.plugins.bulletin.models import IMPORTANCES, Announcement
from officium.plugins.bulletin.pages import IMPORTANCE_TONES, URL

STATE_KEY = "bulletin.widget"
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


class _Slot:
    """Where the value called ``name`` goes among the parameters of a statement built once."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _marker(name: str) -> Value:
    # converter=False: the marker itself lands in the parameters; values are given as the columns store them.
    return Value(_Slot(name), converter=False)


class _Statement:
    """A query's SQL and parameters, built once, run with the reader's values."""

    def __init__(self, query: Any) -> None:
        self.query = query
        self.sql, self.params = query.sql()

    def rows(self, app: Any, values: dict[str, Any]) -> list[Any]:
        params = [values[p.name] if isinstance(p, _Slot) else p for p in self.params]
        cursor = app.db.execute_sql(self.sql, params)
        # The query's own cursor wrapper makes the rows into its models, joins included, as execute() would.
        return list(self.query._get_cursor_wrapper(cursor))


def _build(kind: str, units: int, roles: int) -> Any:
    """The panel's ``kind`` list (``pending`` or ``latest``) for a reader with that many units and roles."""
    who = scopes.Viewer(
        SimpleNamespace(id=_marker("user")),  # type: ignore[arg-type]  # board() reads only user.id
        tuple(_marker(f"unit{i}") for i in range(units)),
        tuple(_marker(f"role{i}") for i in range(roles)),  # type: ignore[arg-type]
        frozenset(),
    )
    now = _marker("now")
    if kind == "pending":
        return (
            board.must_read_pending(who, now)  # type: ignore[arg-type]
            .select(*SHOWN, Unit.id, Unit.name)
            .join_from(Announcement, Unit, on=(Announcement.unit == Unit.id), attr="unit")
            .limit(PENDING_MAX)
        )
    return board.board(who, now, {}).select(*SHOWN).limit(LATEST_MAX)  # type: ignore[arg-type]


def _statement(app: Any, kind: str, units: int, roles: int) -> _Statement:
    cache: dict[tuple[str, int, int], _Statement] = app.process_state.setdefault(STATE_KEY, {})
    found = cache.get((kind, units, roles))
    if found is None:
        found = cache[(kind, units, roles)] = _Statement(_build(kind, units, roles))
    return found


def lists(app: Any, who: scopes.Viewer, now: datetime) -> tuple[list[Any], list[Any]]:
    """The 必读 announcements ``who`` has not confirmed (oldest first) and the latest ones, as the board
    orders them; each has ``.mine`` (the receipt, or one with ``id`` None), the 必读 ones ``.unit.name``."""
    roles = sorted(who.roles)
    values: dict[str, Any] = {"user": who.user.id, "now": now}
    values.update({f"unit{i}": unit for i, unit in enumerate(who.units)})
    values.update({f"role{i}": role for i, role in enumerate(roles)})
    shape = (len(who.units), len(roles))
    pending = _statement(app, "pending", *shape).rows(app, values)
    latest = _statement(app, "latest", *shape).rows(app, values)
    return pending, latest


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
