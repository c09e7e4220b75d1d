"""The 首页 panel's personal part (this year's 年休假 balance, the next leave, a leave to 销假), cached per
person and day in the app object (``app.process_state``).

Computing the balance takes about ten statements (the HR record, the year's and last year's 事假/病假/年休假,
the adjustments, the requests), and it changes only when one of those rows does.  Each entry is kept with
the person's :class:`~officium.plugins.leave.models.BalanceStamp` sum, which every such change raises in
its own transaction; a request reads that sum (one indexed statement) and recomputes when it moved.  So a
change made by any process or web node shows at once, and a cached entry is never trusted on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from peewee import fn

from officium.core.identity.models import User
from officium.core.prepared import prepared
from officium.plugins.leave import balances, entitlement
from officium.plugins.leave.models import EVERYONE, BalanceStamp, LeaveRequest, LeaveType

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

CACHE = "leave.panel"
#: Entries kept per process before the cache starts over (one per person who opened 首页 today).
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class Personal:
    """What the panel shows of the person's own leave."""

    annual: balances.Balance | None
    upcoming: LeaveRequest | None
    overdue_return: LeaveRequest | None


def _stamp_query(owner: Any) -> Any:
    return BalanceStamp.select(fn.SUM(BalanceStamp.version)).where(BalanceStamp.owner.in_([owner, EVERYONE]))


def stamp(app: OfficiumApp, user_id: int) -> int:
    """The sum of the person's and everyone's stamps: it grows with every change to their balance."""
    # Prepared (SQL built once per process): this runs on every 首页.
    (value,) = prepared(app, "leave.balance_stamp", _stamp_query).cursor(user_id).fetchone()
    return int(value or 0)


def compute(user: User, today: date) -> Personal:
    """The personal part from the database (what the cache holds)."""
    annual_type = LeaveType.get_or_none(LeaveType.code == entitlement.ANNUAL)
    annual = balances.balance(user, annual_type, today.year) if annual_type is not None else None
    # One statement for both: the open requests ending today or later, and approved ones already over.
    rows = (
        LeaveRequest.select(LeaveRequest, LeaveType)
        .join(LeaveType, on=(LeaveRequest.leave_type == LeaveType.id))
        .where(
            (LeaveRequest.user == user)
            & LeaveRequest.status.in_(("pending", "approved"))
            & ((LeaveRequest.end_date >= today) | (LeaveRequest.status == "approved"))
        )
        .order_by(LeaveRequest.start_date, LeaveRequest.id)
    )
    upcoming = overdue = None
    for row in rows:
        if row.end_date >= today:
            upcoming = upcoming or row
        elif row.status == "approved":
            overdue = overdue or row
    return Personal(annual, upcoming, overdue)


def personal(app: OfficiumApp, user: User, today: date) -> Personal:
    """The personal part for ``today``: from the cache when the person's stamp has not moved."""
    cache: dict[tuple[int, date], tuple[int, Personal]] = app.process_state.setdefault(CACHE, {})
    # Read the stamp before the rows: a change committed in between raises it past the one stored.
    current = stamp(app, user.id)
    hit = cache.get((user.id, today))
    if hit is not None and hit[0] == current:
        return hit[1]
    value = compute(user, today)
    if len(cache) >= MAX_ENTRIES:
        cache.clear()
    cache[(user.id, today)] = (current, value)
    return value
