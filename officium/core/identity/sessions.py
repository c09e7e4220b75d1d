"""Server-side sessions: an opaque random cookie, the row keyed by its hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from peewee import JOIN

from officium.core.identity.models import Session, Unit, User
from officium.core.identity.policy import SecurityPolicy
from officium.core.prepared import prepared

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

COOKIE_NAME = "officium_session"
# Writing last_seen on every request would turn every page view into a write; a minute's slack is enough.
_TOUCH_AFTER = timedelta(seconds=60)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    user: User, now: datetime, policy: SecurityPolicy, *, admin: bool, ip: str = "", user_agent: str = ""
) -> str:
    """Create a session for ``user`` and return the cookie value (256 random bits).

    The idle limit is fixed now (administrators time out sooner), and so is the absolute end.
    """
    token = secrets.token_urlsafe(32)
    idle = policy.admin_idle_minutes if admin else policy.idle_minutes
    Session.create(
        key=_key(token),
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        ip=ip[:64],
        user_agent=user_agent[:255],
        idle_seconds=idle * 60,
        expires_at=now + timedelta(hours=policy.absolute_hours),
    )
    return token


def _session_with_user(key: Any) -> Any:
    # The user's unit comes in the same statement: every page's header shows it.
    return (
        Session.select(Session, User, Unit)
        .join(User)
        .join(Unit, JOIN.LEFT_OUTER, on=(User.unit == Unit.id))
        .where(Session.key == key)
        .limit(1)
    )


def find_session(app: OfficiumApp, token: str | None, now: datetime) -> Session | None:
    """Return the live session for a cookie value, or None if unknown, expired or its user is not active.

    The session comes with its user and the user's unit, in one statement prepared once per process (it
    runs on every request).  Expired sessions are deleted on sight, so a replayed cookie never comes back
    to life.
    """
    if not token:
        return None
    session = prepared(app, "core.session", _session_with_user).first(_key(token))
    if session is None:
        return None
    idle_over = now - session.last_seen_at > timedelta(seconds=session.idle_seconds)
    expired = idle_over or (session.expires_at is not None and now >= session.expires_at)
    if expired or not session.user.is_active:
        session.delete_instance()
        return None
    if now - session.last_seen_at > _TOUCH_AFTER:
        Session.update(last_seen_at=now).where(Session.key == session.key).execute()
        session.last_seen_at = now
    return session


def end_session(token: str | None) -> None:
    """Delete the session of a cookie value, if any."""
    if token:
        Session.delete().where(Session.key == _key(token)).execute()


def end_user_sessions(user: User, keep: Session | None = None) -> int:
    """End all of a user's sessions (but ``keep``); return how many ended.

    Called when an account is disabled, its roles change or its password is reset, so that nothing
    signed in under the old state survives.
    """
    query = Session.delete().where(Session.user == user)
    if keep is not None:
        query = query.where(Session.key != keep.key)
    return query.execute()


def session_label(session: Session) -> str:
    """A public handle of a session for lists (a prefix of the stored hash, never the cookie)."""
    return session.key[:16]


def user_sessions(user: User) -> list[Session]:
    """The user's live-looking sessions, newest first."""
    return list(Session.select().where(Session.user == user).order_by(Session.last_seen_at.desc()))


def end_session_by_label(user: User, label: str) -> bool:
    """End one of ``user``'s own sessions by its label; another user's label ends nothing."""
    if len(label) != 16 or not all(c in "0123456789abcdef" for c in label):
        return False
    return bool(Session.delete().where((Session.user == user) & Session.key.startswith(label)).execute())
