"""The database: one proxy every model binds to, opened from the site's URL.

The proxy is the one module-level object the core keeps: Peewee models name their database when the class
is defined, before any app exists.  The app initialises it when it opens the site's database.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

from peewee import Database, DatabaseProxy, InterfaceError, Model, OperationalError, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

from officium.core.errors import ConfigError

database = DatabaseProxy()

log = logging.getLogger("officium.db")


class BaseModel(Model):
    """Base class of every Officium model, core and plugin alike."""

    class Meta:
        database = database
        legacy_table_names = False


# WAL lets readers run beside the single writer; synchronous=FULL because an acknowledged approval must
# survive a power cut; the busy timeout makes a second writer wait instead of failing at once.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -32000,
}


def open_database(url: str, site_dir: Path) -> Database:
    """Open the database named by ``url``: ``sqlite:///relative/or/absolute.db`` or ``postgresql://...``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        raw = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not raw:
            raise ConfigError(f"数据库地址 {url!r} 不合法，SQLite 应写成 sqlite:///data/officium.db。")
        path = Path(raw)
        if not path.is_absolute():
            path = site_dir / path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Every transaction takes the write lock up front (BEGIN IMMEDIATE): a deferred one that upgrades to
        # a writer half-way fails with "database is locked" instead of waiting its turn.
        return SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
    if parsed.scheme in ("postgresql", "postgres"):
        # ``?search_path=name`` keeps a site (or a test) inside one schema of a shared database.
        options: dict[str, Any] = {}
        query = dict(parse_qsl(parsed.query))
        if "search_path" in query:
            options["options"] = f"-c search_path={query['search_path']}"
        return OfficiumPostgresqlDatabase(
            parsed.path.lstrip("/"),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            max_connections=20,
            # Wait for a free connection under a burst instead of failing the request.
            timeout=30,
            prefer_psycopg3=True,
            stale_timeout=300,
            **options,
        )
    raise ConfigError(f"不支持的数据库地址 {url!r}：请使用 sqlite:///... 或 postgresql://...。")


#: Statements that change nothing (and a transaction's bookkeeping); anything else counts as a write.
_NOT_A_WRITE = re.compile(r"\s*(SELECT|BEGIN|SAVEPOINT|RELEASE|ROLLBACK|SHOW|SET)\b", re.IGNORECASE)


class OfficiumPostgresqlDatabase(PooledPostgresqlDatabase):
    """Peewee's pool, counting each thread's writes so that a request that lost its connection before
    writing anything can be run again on a new one (see :func:`connection_lost`)."""

    def _execute_cursor(self, sql: str, params: Any, **options: Any) -> Any:
        cursor = super()._execute_cursor(sql, params, **options)
        if not _NOT_A_WRITE.match(sql):
            self._state.writes = getattr(self._state, "writes", 0) + 1
        return cursor


def writes_so_far(db: Database) -> int:
    """How many writing statements this thread has run on ``db`` (PostgreSQL; always 0 on SQLite)."""
    return getattr(db._state, "writes", 0) if isinstance(db, OfficiumPostgresqlDatabase) else 0


def connection_lost(db: Database, exc: BaseException) -> bool:
    """Whether ``exc`` means that this thread's PostgreSQL connection is gone (server restarted, fail-over,
    ``pg_terminate_backend``, a network cut) or could not be opened, rather than a failed statement.

    psycopg marks a connection closed once the server has dropped it, so the connection's state is what
    tells, not the message.  The transaction that was open on it has been rolled back by the server.
    """
    if not isinstance(db, OfficiumPostgresqlDatabase) or not isinstance(
        exc, OperationalError | InterfaceError
    ):
        return False
    conn = db._state.conn
    return conn is None or bool(conn.closed)


def discard_connection(db: Database) -> None:
    """Forget this thread's broken connection and the pool's idle ones (opened before the same outage);
    the next statement opens a new connection."""
    conn = db._state.conn
    db._state.reset()
    if conn is not None:
        db._close(conn, close_conn=True)
    db.close_idle()
    log.warning("the database connection was lost; it has been discarded and will be reopened")


#: How long a writer waits for the others before giving up, as SQLite's busy timeout would (seconds).
WRITER_WAIT = 10.0
#: Between two tries of a busy writer lock (seconds): far below the busy handler's steps of up to 100 ms.
_WRITER_POLL = 0.0005


def writer_lock_path(db: Database | DatabaseProxy) -> Path | None:
    """The lock file that queues the writers of a SQLite database file (None: not SQLite, or in memory)."""
    target = db.obj if isinstance(db, DatabaseProxy) else db
    if not isinstance(target, SqliteDatabase):
        return None
    name = str(target.database)
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(f"{name}-writer.lock")


def _lock_writer(path: Path, wait: float) -> int:
    """Take the writer lock of ``path`` (a file lock, per open file: threads queue as processes do); the fd.

    A writer that finds it taken tries again every half millisecond instead of sleeping in the busy
    handler's growing steps, so it starts almost the moment the other commits.  After ``wait`` seconds it
    fails as SQLite does when its busy timeout runs out.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if time.monotonic() >= deadline:
                raise OperationalError("database is locked")
            time.sleep(_WRITER_POLL)
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def _queued_transaction(db: Database | DatabaseProxy, path: Path) -> Iterator[Any]:
    fd = _lock_writer(path, WRITER_WAIT)
    try:  # closing the file releases the lock, after COMMIT or ROLLBACK, whatever the block raised
        with db.atomic() as transaction:
            yield transaction
    finally:
        os.close(fd)


def write_transaction(db: Database | DatabaseProxy):
    """Return a context manager running a block as one transaction, committed entirely or not at all.

    Nested calls become savepoints, so a service function can be called alone or inside a request.

    On SQLite the outermost one first takes the database's writer lock (:func:`writer_lock_path`): writers
    of every process queue there and each starts right after the previous one commits, where SQLite's busy
    handler would have them sleep up to 100 ms at a time.  Nested calls, already inside the transaction,
    take nothing, so they cannot wait for themselves.
    """
    path = writer_lock_path(db)
    if path is None or db.in_transaction():
        return db.atomic()
    return _queued_transaction(db, path)
