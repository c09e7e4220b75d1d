"""The audit log: append-only, hash-chained, written in the same transaction as the action it records.

Each row stores ``hash = SHA-256(previous hash ‖ canonical row)``; a one-row head table holds the last
hash and the row count, so that an edited, inserted or deleted row — even the last one — breaks
``officium audit verify``.  Database triggers refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from peewee import CharField, DateTimeField, IntegerField, PostgresqlDatabase, TextField

from officium.core.db import BaseModel, write_transaction

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp
    from officium.core.identity.models import User

GENESIS = "0" * 64


class AuditEntry(BaseModel):
    """One audited action.  Users are referred to by id and a name snapshot, never by a foreign key."""

    at = DateTimeField(index=True)
    actor = IntegerField(null=True, index=True)
    actor_name = CharField(max_length=128, default="")
    on_behalf_of = IntegerField(null=True)
    unit = IntegerField(null=True, index=True)
    plugin = CharField(max_length=64, index=True)
    action = CharField(max_length=128, index=True)
    object_type = CharField(max_length=64, default="")
    object_id = CharField(max_length=64, default="")
    result = CharField(max_length=16, default="ok")
    ip = CharField(max_length=64, default="")
    summary = TextField(default="")
    detail = TextField(default="")
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)

    class Meta:
        table_name = "core_audit"


class AuditHead(BaseModel):
    """The chain's tip: last hash, last id and row count, updated with every append.

    Locking this row serialises appends, which also lets the core choose each new row's id up front, so the
    hash (which covers the id) is computed before the single INSERT and no row is ever updated.
    """

    last_hash = CharField(max_length=64)
    last_id = IntegerField()
    count = IntegerField()
    #: After a purge, the hash the first remaining row must point back to (the chain's new anchor).
    base_hash = CharField(max_length=64, default="0" * 64)

    class Meta:
        table_name = "core_audit_head"


def _canonical(entry: AuditEntry) -> str:
    fields = [
        entry.id,
        entry.at.isoformat(timespec="microseconds"),
        entry.actor,
        entry.actor_name,
        entry.on_behalf_of,
        entry.unit,
        entry.plugin,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.result,
        entry.ip,
        entry.summary,
        entry.detail,
        entry.prev_hash,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def _digest(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry).encode()).hexdigest()


def record(
    app: OfficiumApp,
    action: str,
    *,
    actor: User | None = None,
    request: Request | None = None,
    on_behalf_of: User | None = None,
    object_type: str = "",
    object_id: object = "",
    summary: str = "",
    detail: dict[str, Any] | None = None,
    result: str = "ok",
) -> AuditEntry:
    """Append one entry; ``action`` is ``<plugin>.<verb>`` (e.g. ``core.login``).

    Called inside the caller's transaction, so the entry commits or rolls back with the action itself.
    """
    from officium.core.web.context import client_ip

    if request is not None:
        request.state.audited = True
        if actor is None:
            actor = getattr(request.state, "user", None)
    with write_transaction(app.db):
        head_query = AuditHead.select().where(AuditHead.id == 1)
        if isinstance(app.db, PostgresqlDatabase):
            head_query = head_query.for_update()
        head = head_query.first()
        if head is None:
            head = AuditHead.create(id=1, last_hash=GENESIS, last_id=0, count=0)
        entry = AuditEntry(
            id=head.last_id + 1,
            at=app.clock(),
            actor=actor.id if actor is not None else None,
            actor_name=f"{actor.name}({actor.username})" if actor is not None else "",
            on_behalf_of=on_behalf_of.id if on_behalf_of is not None else None,
            unit=actor.unit_id if actor is not None else None,
            plugin=action.split(".", 1)[0],
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            result=result,
            ip=client_ip(request) if request is not None else "",
            summary=summary,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
            prev_hash=head.last_hash,
            hash="",
        )
        entry.hash = _digest(entry)
        entry.save(force_insert=True)
        AuditHead.update(last_hash=entry.hash, last_id=entry.id, count=AuditHead.count + 1).where(
            AuditHead.id == 1
        ).execute()
    return entry


def record_regardless(request: Request, action: str, **kwargs: Any) -> None:
    """Queue an entry that is kept even though the request changes nothing (a refusal worth auditing).

    :func:`record` writes in the caller's transaction, which a view that raises (``ApiError``, any error)
    rolls back — taking the entry with it.  Entries queued here are written by the routing layer after the
    request's own transaction has ended, committed or rolled back, in a short transaction of their own.
    Outside a routed request (a CLI command, a job) the entry is written at once.  Arguments as for
    :func:`record`; ``request`` is passed on.
    """
    pending = getattr(request.state, "audit_regardless", None)
    if pending is None:
        app = request.state.app
        with write_transaction(app.db):
            record(app, action, request=request, **kwargs)
        return
    pending.append((action, kwargs))


def write_regardless(app: OfficiumApp, request: Request) -> None:
    """Write the entries queued by :func:`record_regardless` (the routing layer calls this after the view)."""
    pending = getattr(request.state, "audit_regardless", None) or []
    request.state.audit_regardless = []
    for action, kwargs in pending:
        with write_transaction(app.db):
            record(app, action, request=request, **kwargs)


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found."""

    ok: bool
    checked: int
    message: str
    first_bad_id: int | None = None


def _rows(batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.select().where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch))
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def verify_chain(app: OfficiumApp) -> ChainReport:
    """Recompute every hash; report the first row that was altered, inserted or removed."""
    anchor = AuditHead.get_or_none(AuditHead.id == 1)
    expected_prev = anchor.base_hash if anchor is not None else GENESIS
    checked = 0
    for entry in _rows():
        if entry.prev_hash != expected_prev:
            return ChainReport(False, checked, f"第 {entry.id} 条记录之前的记录被删除或篡改。", entry.id)
        if entry.hash != _digest(entry):
            return ChainReport(False, checked, f"第 {entry.id} 条记录的内容被篡改。", entry.id)
        expected_prev = entry.hash
        checked += 1
    head = AuditHead.get_or_none(AuditHead.id == 1)
    head_hash, head_count = (head.last_hash, head.count) if head else (GENESIS, 0)
    if head_hash != expected_prev or head_count != checked:
        return ChainReport(False, checked, "审计日志末尾的记录被删除，或链头被篡改。", None)
    return ChainReport(True, checked, f"审计日志完整：共 {checked} 条记录，哈希链校验通过。")


#: Audit records must be kept at least this long (网络安全法 第二十一条: no less than six months).
RETENTION_DAYS = 180


class RetentionError(ValueError):
    """A purge would remove records younger than the retention period."""


def purge(app: OfficiumApp, before: datetime, archive: TextIO) -> int:
    """Move entries older than ``before`` to ``archive`` (CSV) and delete them; return how many.

    Refuses a cut-off younger than :data:`RETENTION_DAYS`.  The chain stays verifiable: the head keeps
    the hash the first remaining entry points back to, and the archive carries every removed row with
    its hashes, so the removed part can be checked on its own.  The purge itself is audited.
    """
    oldest_allowed = app.clock() - timedelta(days=RETENTION_DAYS)
    if before > oldest_allowed:
        raise RetentionError(
            f"审计记录至少保留 {RETENTION_DAYS} 天：只能清理 {oldest_allowed:%Y-%m-%d %H:%M} 之前的记录。"
        )
    with write_transaction(app.db):
        query = AuditEntry.select().where(AuditEntry.at < before).order_by(AuditEntry.id)
        rows = list(query)
        if not rows:
            return 0
        last = rows[-1]
        # only a prefix of the chain can go: a later row with an earlier time (clock change) stops it
        rows = [r for r in rows if r.id <= last.id]
        writer = csv.writer(archive)
        writer.writerow(
            [
                "id",
                "at",
                "actor",
                "actor_name",
                "on_behalf_of",
                "unit",
                "plugin",
                "action",
                "object_type",
                "object_id",
                "result",
                "ip",
                "summary",
                "detail",
                "prev_hash",
                "hash",
            ]
        )
        for r in rows:
            writer.writerow(
                [
                    r.id,
                    r.at.isoformat(timespec="microseconds"),
                    r.actor,
                    r.actor_name,
                    r.on_behalf_of,
                    r.unit,
                    r.plugin,
                    r.action,
                    r.object_type,
                    r.object_id,
                    r.result,
                    r.ip,
                    r.summary,
                    r.detail,
                    r.prev_hash,
                    r.hash,
                ]
            )
        archive.flush()
        with _triggers_lifted(app):
            AuditEntry.delete().where(AuditEntry.id <= last.id).execute()
        AuditHead.update(base_hash=last.hash, count=AuditHead.count - len(rows)).where(
            AuditHead.id == 1
        ).execute()
        record(
            app,
            "core.audit.purge",
            summary=f"清理 {before:%Y-%m-%d} 之前的审计记录 {len(rows)} 条（已归档）",
            detail={"before": before.isoformat(), "count": len(rows), "last_id": last.id},
        )
    return len(rows)


@contextmanager
def _triggers_lifted(app: OfficiumApp) -> Iterator[None]:
    """Drop the append-only triggers for the purge's DELETE and put them back in the same transaction."""
    pg = isinstance(app.db, PostgresqlDatabase)
    for op in ("update", "delete"):
        app.db.execute_sql(f"DROP TRIGGER core_audit_no_{op}" + (" ON core_audit" if pg else ""))
    yield
    for op in ("UPDATE", "DELETE"):
        if pg:
            app.db.execute_sql(
                f"CREATE TRIGGER core_audit_no_{op.lower()} BEFORE {op} ON core_audit "
                "FOR EACH ROW EXECUTE FUNCTION core_audit_append_only()"
            )
        else:
            app.db.execute_sql(
                f"CREATE TRIGGER core_audit_no_{op.lower()} BEFORE {op} ON core_audit "
                "BEGIN SELECT RAISE(ABORT, 'core_audit is append-only'); END"
            )
