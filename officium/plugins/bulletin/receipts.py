"""Read receipts: each reader's first read, the confirmation of a 必读 announcement, the publisher's
read report per unit, and reminders to those who have not read (or not confirmed) it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from peewee import IntegrityError

from officium.core import audit, notifications
from officium.core.db import write_transaction
from officium.core.identity.models import Unit, User
from officium.plugins.bulletin import access, scopes
from officium.plugins.bulletin.models import Announcement, Receipt

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

REMIND = "bulletin.remind"


def receipt_of(announcement: Announcement, user: User) -> Receipt | None:
    return Receipt.get_or_none((Receipt.announcement == announcement) & (Receipt.user == user))


def mark_read(app: OfficiumApp, announcement: Announcement, user: User) -> Receipt:
    """Record the reader's first read (later reads change nothing)."""
    found = receipt_of(announcement, user)
    if found is not None:
        return found
    try:
        with write_transaction(app.db):
            return Receipt.create(announcement=announcement, user=user, read_at=app.clock())
    except IntegrityError:  # the same reader in two tabs at once: the first read stands
        return receipt_of(announcement, user)


def confirm(app: OfficiumApp, announcement: Announcement, user: User, request: Request | None) -> Receipt:
    """The reader's one-click 确认已阅 of a 必读 announcement."""
    receipt = mark_read(app, announcement, user)
    if receipt.confirmed_at is None:
        receipt.confirmed_at = app.clock()
        Receipt.update(confirmed_at=receipt.confirmed_at).where(Receipt.id == receipt.id).execute()
        audit.record(
            app,
            "bulletin.confirm",
            request=request,
            actor=user,
            object_type="announcement",
            object_id=announcement.id,
            summary=f"确认已阅必读公告《{announcement.title}》",
        )
    return receipt


def _done(announcement: Announcement, receipt: Receipt | None) -> bool:
    if receipt is None:
        return False
    return receipt.confirmed_at is not None if announcement.must_read else True


def pending(app: OfficiumApp, announcement: Announcement) -> list[User]:
    """Readers who have not read it yet (a 必读 one: not confirmed yet)."""
    done = Receipt.select(Receipt.user).where(Receipt.announcement == announcement)
    if announcement.must_read:
        done = done.where(Receipt.confirmed_at.is_null(False))
    return list(scopes.readers(app, announcement).where(User.id.not_in(done)).order_by(User.id))


def remind(app: OfficiumApp, announcement: Announcement, actor: User | None, request: Request | None) -> int:
    """Tell every reader who has not read (or confirmed) it; returns how many were told."""
    now = app.clock()
    if not access.live(announcement, now):
        raise ValueError("只能提醒已发布且未过期的公告。")
    people = pending(app, announcement)
    verb = "确认" if announcement.must_read else "阅读"
    if not people and actor is None:  # the periodic job: nobody left to remind, nothing to record
        Announcement.update(reminded_at=now).where(Announcement.id == announcement.id).execute()
        return 0
    notifications.notify_many(
        app,
        people,
        REMIND,
        f"请{verb}公告：{announcement.title}",
        url=f"{access.URL}{announcement.id}",
        body=f"{announcement.unit.name}发布的公告您尚未{verb}。",
    )
    Announcement.update(reminded_at=now).where(Announcement.id == announcement.id).execute()
    announcement.reminded_at = now
    audit.record(
        app,
        "bulletin.remind",
        request=request,
        actor=actor,
        object_type="announcement",
        object_id=announcement.id,
        summary=f"提醒未{verb}公告《{announcement.title}》的 {len(people)} 人",
    )
    return len(people)


@dataclass
class UnitRow:
    """One unit's readers in the read report."""

    unit: Unit | None
    total: int = 0
    read: int = 0
    confirmed: int = 0
    people: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unread_names(self) -> list[str]:
        return [p["name"] for p in self.people if p["read_at"] is None]

    @property
    def unconfirmed_names(self) -> list[str]:
        return [p["name"] for p in self.people if p["confirmed_at"] is None]


def report(app: OfficiumApp, announcement: Announcement) -> list[UnitRow]:
    """Per unit of the readers: how many read (and confirmed) it, and who, in the units' order."""
    got = {r.user_id: r for r in Receipt.select().where(Receipt.announcement == announcement)}
    rows: dict[int | None, UnitRow] = {}
    units = {u.id: u for u in Unit.select()}
    for person in scopes.readers(app, announcement).order_by(User.unit, User.name, User.id):
        row = rows.setdefault(person.unit_id, UnitRow(units.get(person.unit_id)))
        receipt = got.get(person.id)
        row.total += 1
        read_at: datetime | None = receipt.read_at if receipt else None
        confirmed_at: datetime | None = receipt.confirmed_at if receipt else None
        row.read += read_at is not None
        row.confirmed += confirmed_at is not None
        row.people.append(
            {
                "username": person.username,
                "name": person.name,
                "read_at": read_at,
                "confirmed_at": confirmed_at,
            }
        )
    return sorted(
        rows.values(),
        key=lambda r: (r.unit.order if r.unit else 99999, r.unit.id if r.unit else 0),
    )


def report_data(announcement: Announcement, rows: list[UnitRow]) -> dict[str, Any]:
    """The read report for the JSON API."""

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": announcement.id,
        "must_read": announcement.must_read,
        "total": sum(r.total for r in rows),
        "read": sum(r.read for r in rows),
        "confirmed": sum(r.confirmed for r in rows),
        "units": [
            {
                "unit": r.unit.code if r.unit else None,
                "unit_name": r.unit.name if r.unit else "（无单位）",
                "total": r.total,
                "read": r.read,
                "confirmed": r.confirmed,
                "people": [
                    {**p, "read_at": when(p["read_at"]), "confirmed_at": when(p["confirmed_at"])}
                    for p in r.people
                ],
            }
            for r in rows
        ],
    }
