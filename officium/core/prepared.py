"""Queries every request runs, with their SQL text built once per process rather than on every call.

Peewee builds a query's SQL anew each time it runs.  For the statements of the request base (the session
and its user, the user's roles) that took far longer than the database took to answer: the session
lookup cost about 1 ms, of which SQLite needed 20 µs (docs/performance.md, finding 1).  A prepared query
is built once, with markers where the values go, and then run with the values; its rows come back as the
query's models, made by Peewee exactly as if the query had run itself.

The SQL text is kept in ``app.process_state``: it depends only on the query and the database's dialect,
never on data, so it can live as long as the process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from peewee import Value

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

STATE_KEY = "core.prepared"


class _Slot:
    """Where the ``index``-th value goes in the parameters of a prepared statement."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"<value {self.index}>"


class Prepared:
    """A query's SQL and parameters, with slots for the values given when it runs."""

    def __init__(self, app: OfficiumApp, query: Any) -> None:
        self.app = app
        self.query = query
        self.sql, self.params = query.sql()
        self._wrapper: Any = None

    def cursor(self, *values: Any) -> Any:
        """Run the statement with ``values`` (as the database stores them); the DB-API cursor (tuples)."""
        params = [values[p.index] if isinstance(p, _Slot) else p for p in self.params]
        return self.app.db.execute_sql(self.sql, params)  # type: ignore[union-attr]

    def rows(self, *values: Any) -> list[Any]:
        """Every row as the query's models (joined models included), as running the query would give."""
        cursor = self.cursor(*values)
        try:
            return list(self.query._get_cursor_wrapper(cursor))
        finally:
            cursor.close()

    def first(self, *values: Any) -> Any:
        """The first row as the query's model (joined models included, as Peewee makes them), or None."""
        cursor = self.cursor(*values)
        try:
            row = cursor.fetchone()
            if row is None:
                return None
            if self._wrapper is None:
                # Peewee's own cursor wrapper, set up once from this statement's columns; it makes each row
                # into models exactly as the query would have (conversions, joins, nothing marked dirty).
                wrapper = self.query._get_cursor_wrapper(cursor)
                wrapper.initialize()
                self._wrapper = wrapper
            return self._wrapper.process_row(row)
        finally:
            cursor.close()


def prepared(app: OfficiumApp, name: str, build: Callable[..., Any], arity: int = 1) -> Prepared:
    """The prepared form of the query ``build(*markers)`` makes, built on the first call for this process.

    ``build`` takes ``arity`` markers and uses them where values go (``Session.key == key``); a marker may
    be used more than once (a query that compares the same value twice).  Values are given to
    :meth:`Prepared.cursor`, :meth:`Prepared.rows` or :meth:`Prepared.first` in the markers' order,
    converted as the column stores them.  ``name`` must differ for every distinct query shape (e.g. include
    the number of markers when it varies).
    """
    cache: dict[str, Prepared] = app.process_state.setdefault(STATE_KEY, {})
    found = cache.get(name)
    if found is None:
        query = build(*[Value(_Slot(i), converter=False) for i in range(arity)])
        found = Prepared(app, query)
        if {p.index for p in found.params if isinstance(p, _Slot)} != set(range(arity)):
            raise ValueError(f"prepared query {name}: every marker must be used")
        cache[name] = found
    return found
