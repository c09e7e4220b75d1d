"""Presence: who used the system in which 10-minute slot, recorded by a middleware and read by the report.

The core deletes a session when it ends, so "was signed in at 10:40" cannot be read back from the session
table.  Instead, every request made with a live session cookie marks the user present in the current slot
(at most one row per person and slot: a per-process memory of the last slot written skips the database for
the rest of the slot, and the unique index absorbs the other workers).  Successful sign-ins from the core's
login records count as presence too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from peewee import Case, fn
from starlette.types import ASGIApp, Receive, Scope, Send

from officium.core.db import write_transaction
from officium.core.identity.models import LoginRecord
from officium.plugins.attendance.models import Presence
from officium.plugins.attendance.rules import SLOT_MINUTES, Period

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

log = logging.getLogger("officium.attendance")

#: User ids per query (SQLite limits the number of bound parameters).
CHUNK = 500


def slot_of(moment: datetime) -> int:
    """The slot of the day a moment falls in (0 for 00:00–00:09, 51 for 08:30–08:39)."""
    return (moment.hour * 60 + moment.minute) // SLOT_MINUTES


def record(app: OfficiumApp, user_id: int, now: datetime) -> None:
    """Mark ``user_id`` present in the slot of ``now`` (a no-op when the row exists)."""
    with write_transaction(app.db):
        Presence.insert(user=user_id, day=now.date(), slot=slot_of(now)).on_conflict_ignore().execute()


class PresenceMiddleware:
    """Pure ASGI middleware: after a request made with a session cookie, note the user's presence.

    The routing engine puts the request's context in the ASGI scope's ``state`` (``request.state.ctx``);
    this middleware reads it after the response was sent, so the user sees no delay.  Requests with an API
    token are integrations, not a person at a desk, and are not counted.
    """

    def __init__(self, app: ASGIApp, officium_app: OfficiumApp) -> None:
        self.app = app
        self.officium = officium_app
        self._last: dict[int, tuple[date, int]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        try:
            await self.app(scope, receive, send)
        finally:
            ctx = state.get("ctx")
            if ctx is not None and ctx.session is not None and ctx.user is not None:
                self.seen(ctx.user.id)

    def seen(self, user_id: int) -> None:
        """Record the user's presence unless this process already did for the current slot."""
        now = self.officium.clock()
        key = (now.date(), slot_of(now))
        if self._last.get(user_id) == key:
            return
        try:
            record(self.officium, user_id, now)
        except Exception:  # the response is already sent; a failed mark must not turn into an error page
            log.exception("recording presence of user %s failed", user_id)
            return
        self._last[user_id] = key


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def covered(
    user_ids: Sequence[int], first: date, last: date, periods: Sequence[Period]
) -> dict[tuple[int, date], set[str]]:
    """``{(user id, day): keys of the periods with presence}`` for the days ``first``..``last``.

    One aggregate query per chunk of users over the presence table (a row per person and day, whatever
    the number of slots), plus the successful sign-ins of the login records.
    """
    found: dict[tuple[int, date], set[str]] = defaultdict(set)
    if not periods:
        return found
    columns = [
        fn.MAX(Case(None, [((Presence.slot >= p.slots.start) & (Presence.slot < p.slots.stop), 1)], 0)).alias(
            p.key
        )
        for p in periods
    ]
    start_at = datetime.combine(first, time())
    end_at = datetime.combine(last + timedelta(days=1), time())
    for ids in _chunks(list(user_ids)):
        rows = (
            Presence.select(Presence.user, Presence.day, *columns)
            .where(Presence.user.in_(ids) & (Presence.day >= first) & (Presence.day <= last))
            .group_by(Presence.user, Presence.day)
            .tuples()
        )
        for user_id, day, *flags in rows:
            if isinstance(day, str):  # SQLite hands back what was stored
                day = date.fromisoformat(day)
            found[(user_id, day)].update(p.key for p, flag in zip(periods, flags, strict=True) if flag)
        logins = (
            LoginRecord.select(LoginRecord.user, LoginRecord.at)
            .where(
                LoginRecord.success
                & LoginRecord.user.in_(ids)
                & (LoginRecord.at >= start_at)
                & (LoginRecord.at < end_at)
            )
            .tuples()
        )
        for user_id, at in logins:
            slot = slot_of(at)
            found[(user_id, at.date())].update(p.key for p in periods if slot in p.slots)
    return found
