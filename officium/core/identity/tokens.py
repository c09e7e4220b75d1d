"""API tokens for integrations: per user, named, revocable; only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField

from officium.core.db import BaseModel
from officium.core.identity.models import User

TOKEN_PREFIX = "ofm_"


class ApiToken(BaseModel):
    """A bearer token for ``/api/v1/``; ``key`` is the SHA-256 of the token."""

    key = CharField(max_length=64, primary_key=True)
    user = ForeignKeyField(User, backref="api_tokens", on_delete="CASCADE")
    name = CharField(max_length=64)
    created_at = DateTimeField()
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    #: Comma-separated plugin names whose API the token may call, or ``*`` for all.
    scopes = CharField(max_length=500, default="*")

    def allows_plugin(self, plugin: str) -> bool:
        """Whether this token may call the API of ``plugin``."""
        return self.scopes == "*" or plugin in self.scopes.split(",")

    class Meta:
        table_name = "core_api_token"


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str, now: datetime, scopes: Sequence[str] = ()) -> str:
    """Create a token for ``user`` and return it; it is shown once and cannot be recovered.

    ``scopes`` limits it to the APIs of those plugins (``/api/v1/<plugin>/``); empty means all.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.create(key=_key(token), user=user, name=name, created_at=now, scopes=",".join(scopes) or "*")
    return token


def find_token(token: str, now: datetime) -> ApiToken | None:
    """The live token row (with its active user loaded), or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.select(ApiToken, User)
        .join(User)
        .where((ApiToken.key == _key(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.update(last_used_at=now).where(ApiToken.key == row.key).execute()
    return row


def find_token_user(token: str, now: datetime) -> User | None:
    """The active user a live token belongs to, or None."""
    row = find_token(token, now)
    return row.user if row is not None else None


def revoke_token(user: User, name: str, now: datetime) -> int:
    """Revoke the user's live tokens called ``name``; return how many."""
    return (
        ApiToken.update(revoked_at=now)
        .where((ApiToken.user == user) & (ApiToken.name == name) & ApiToken.revoked_at.is_null())
        .execute()
    )
