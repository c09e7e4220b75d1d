"""Bulk writing for the bench seeds: many rows into one table, fast, on SQLite and PostgreSQL.

Peewee's ``insert_many`` builds one statement of bound parameters per batch (PostgreSQL caps a statement at
65,535 of them) and converts every value through the field types; at a million rows that costs minutes.
:func:`bulk_insert` writes plain tuples instead: ``executemany`` of one prepared ``INSERT`` in big
transactions on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3's ``cursor.copy`` and
``write_row``).  Values are Python values: ``datetime``/``date`` (stored as Peewee stores them: ISO text on
SQLite), ``bool``, ``int``, ``str`` or ``None``.

Rows that name their ids (the seeds number their rows themselves, so that children can point at parents
without reading them back) leave a PostgreSQL sequence behind: call :func:`sync_sequence` afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from peewee import Database, Model, PostgresqlDatabase

#: Rows per transaction on SQLite (one COPY per call on PostgreSQL).
SQLITE_BATCH = 50_000


def is_postgres(db: Database) -> bool:
    """Whether ``db`` is a PostgreSQL database (else SQLite)."""
    return isinstance(db, PostgresqlDatabase)


def _adapt_dates() -> None:
    """Store dates and datetimes as Peewee does on SQLite (``str(value)``: "2026-03-01 09:00:00").

    That is what the sqlite3 module's default adapters do; they are deprecated since Python 3.12, so the
    same ones are registered explicitly (converting each value in Python instead costs a third of a seed).
    """
    sqlite3.register_adapter(datetime, str)
    sqlite3.register_adapter(date, str)


def with_defaults(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> tuple[list[str], Iterable[tuple]]:
    """``columns`` and ``rows`` completed with the model's defaults for the NOT NULL columns they leave out
    (Peewee's defaults live in Python, not in the table)."""
    extra = []
    for f in model._meta.sorted_fields:
        if f.column_name in columns or f.null or f.primary_key or f.default is None:
            continue
        extra.append((f.column_name, f.default() if callable(f.default) else f.default))
    if not extra:
        return list(columns), (tuple(r) for r in rows)
    values = tuple(v for _, v in extra)
    return [*columns, *(c for c, _ in extra)], (tuple(r) + values for r in rows)


def bulk_insert(
    db: Database, table: str | type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``; return how many were written.

    ``table`` is a table name, or a model (its NOT NULL columns missing from ``columns`` get its defaults).
    Runs in the caller's transaction when there is one (on SQLite each batch is a savepoint then), else in
    its own transactions of :data:`SQLITE_BATCH` rows.
    """
    if not isinstance(table, str):
        columns, rows = with_defaults(table, columns, rows)
        table = table._meta.table_name
    names = ", ".join(columns)
    count = 0
    if is_postgres(db):
        cursor = db.connection().cursor()
        with db.atomic():
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    cursor = db.connection().cursor()
    _adapt_dates()
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= SQLITE_BATCH:
            with db.atomic():
                cursor.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        with db.atomic():
            cursor.executemany(sql, batch)
        count += len(batch)
    return count


def next_id(db: Database, table: str, column: str = "id") -> int:
    """The first free id of ``table`` (max + 1), for rows that name their ids."""
    row = db.execute_sql(f"SELECT MAX({column}) FROM {table}").fetchone()
    return int(row[0] or 0) + 1


def sync_sequence(db: Database, table: str, column: str = "id") -> None:
    """After rows that named their ids: move PostgreSQL's sequence past them (nothing to do on SQLite)."""
    if is_postgres(db):
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"GREATEST((SELECT MAX({column}) FROM {table}), 1))"
        )


def analyze(db: Database, tables: Sequence[str] = ()) -> None:
    """Refresh the planner's statistics (PostgreSQL would do it later by itself; SQLite never does)."""
    if tables and is_postgres(db):
        for table in tables:
            db.execute_sql(f"ANALYZE {table}")
    else:
        db.execute_sql("ANALYZE")


@contextmanager
def fast_writes(db: Database):
    """On SQLite, write without waiting for the disk while seeding (``synchronous=OFF``) and with a big page
    cache, then restore the site's settings: a crash half-way through a seed loses the seed anyway.  No-op
    on PostgreSQL."""
    if is_postgres(db):
        yield
        return
    before = db.execute_sql("PRAGMA synchronous").fetchone()[0]
    cache = db.execute_sql("PRAGMA cache_size").fetchone()[0]
    db.execute_sql("PRAGMA synchronous = OFF")
    # the indexes of a million-row table are written in random order: keep their pages in memory (1 GB)
    db.execute_sql("PRAGMA cache_size = -1000000")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA synchronous = {int(before)}")
        db.execute_sql(f"PRAGMA cache_size = {int(cache)}")
