"""The writer lock of SQLite sites: write transactions of all connections queue on one file lock."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import pytest
from peewee import OperationalError, PostgresqlDatabase, SqliteDatabase

from officium.core import db as dbmod
from officium.core.db import open_database, write_transaction, writer_lock_path


@pytest.fixture
def database(tmp_path: Path):
    database = open_database("sqlite:///data/site.db", tmp_path)
    database.execute_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    yield database
    database.close()


def _free(database) -> bool:
    """Whether another writer could take the lock now (tried once, without waiting)."""
    try:
        fd = dbmod._lock_writer(writer_lock_path(database), 0)
    except OperationalError:
        return False
    dbmod.os.close(fd)
    return True


def test_lock_file_beside_the_database_only_on_sqlite_files(database, tmp_path: Path) -> None:
    assert writer_lock_path(database) == tmp_path / "data" / "site.db-writer.lock"
    assert writer_lock_path(SqliteDatabase(":memory:")) is None
    assert writer_lock_path(PostgresqlDatabase("officium")) is None


def test_second_writer_waits_for_the_first_and_then_succeeds(database, monkeypatch) -> None:
    refused = threading.Event()
    real_flock = dbmod.fcntl.flock

    def flock(fd: int, operation: int) -> None:
        try:
            real_flock(fd, operation)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                refused.set()  # the second writer found the lock taken: it is queued now
            raise

    monkeypatch.setattr(dbmod.fcntl, "flock", flock)
    seen: list[list[str]] = []
    failed: list[BaseException] = []

    def second() -> None:  # its own thread, so its own connection
        try:
            with write_transaction(database):
                seen.append([r[0] for r in database.execute_sql("SELECT who FROM t ORDER BY id")])
                database.execute_sql("INSERT INTO t (who) VALUES ('second')")
        except BaseException as exc:  # reported by the main thread
            failed.append(exc)
        finally:
            database.close()

    with write_transaction(database):
        database.execute_sql("INSERT INTO t (who) VALUES ('first')")
        thread = threading.Thread(target=second)
        thread.start()
        assert refused.wait(10), "the second writer did not find the lock taken"
        assert not seen  # still waiting while the first transaction is open
    thread.join(10)
    assert not thread.is_alive() and not failed
    assert seen == [["first"]]  # it began only after the first had committed
    rows = [r[0] for r in database.execute_sql("SELECT who FROM t ORDER BY id")]
    assert rows == ["first", "second"]
    assert _free(database)


def test_an_exception_rolls_back_and_releases_the_lock(database) -> None:
    with pytest.raises(RuntimeError), write_transaction(database):
        database.execute_sql("INSERT INTO t (who) VALUES ('lost')")
        assert not _free(database)
        raise RuntimeError("boom")
    assert _free(database)
    assert database.execute_sql("SELECT count(*) FROM t").fetchone()[0] == 0
    with write_transaction(database):  # and the next writer gets it at once
        database.execute_sql("INSERT INTO t (who) VALUES ('next')")
    assert database.execute_sql("SELECT count(*) FROM t").fetchone()[0] == 1


def test_nested_write_transactions_take_the_lock_once(database, monkeypatch) -> None:
    monkeypatch.setattr(dbmod, "WRITER_WAIT", 0)  # waiting for itself would fail at once, not hang
    with write_transaction(database):
        database.execute_sql("INSERT INTO t (who) VALUES ('outer')")
        with pytest.raises(RuntimeError), write_transaction(database):
            database.execute_sql("INSERT INTO t (who) VALUES ('inner')")
            raise RuntimeError("the savepoint only")
        with write_transaction(database):
            database.execute_sql("INSERT INTO t (who) VALUES ('inner again')")
        assert not _free(database)
    assert _free(database)
    rows = [r[0] for r in database.execute_sql("SELECT who FROM t ORDER BY id")]
    assert rows == ["outer", "inner again"]


def test_a_writer_gives_up_like_the_busy_timeout(database, monkeypatch) -> None:
    monkeypatch.setattr(dbmod, "WRITER_WAIT", 0)
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with write_transaction(database):
                pass
        except OperationalError as exc:
            failed.append(exc)
        finally:
            database.close()

    with write_transaction(database):
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(10)
    assert [str(e) for e in failed] == ["database is locked"]
