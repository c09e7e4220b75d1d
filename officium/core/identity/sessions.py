"""Server-side sessions: an opaque random cookie, the row keyed by its hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from officium.core.identity.models import Session, User

COOKIE_NAME = "officium_session"
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Writing last_seen on every request would turn every page view into a write; a minute's slack is enough.
_TOUCH_AFTER = timedelta(seconds=60)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, now: datetime, ip: str = "", user_agent: str = "") -> str:
    """Create a session for ``user`` and return the cookie value (256 random bits)."""
    token = secrets.token_urlsafe(32)
    Session.create(
        key=_key(token),
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        ip=ip[:64],
        user_agent=user_agent[:255],
    )
    return token


def find_session(token: str | None, now: datetime) -> Session | None:
    """Return the live session for a cookie value, or None if unknown, expired or its user is not active.

    Expired sessions are deleted on sight, so a replayed cookie never comes back to life.
    """
    if not token:
        return None
    session = Session.select(Session, User).join(User).where(Session.key == _key(token)).first()
    if session is None:
        return None
    expired = now - session.last_seen_at > IDLE_TIMEOUT or now - session.created_at > ABSOLUTE_TIMEOUT
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
