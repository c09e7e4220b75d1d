"""Who is asking: the session or API token behind a request, resolved once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request

from officium.core.identity.access import effective_roles, permissions_of, request_roles
from officium.core.identity.models import Session, User
from officium.core.identity.sessions import COOKIE_NAME, find_session
from officium.core.identity.tokens import ApiToken, find_token

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp


@dataclass
class RequestContext:
    """The signed-in user (or None), how they signed in, and what they may do."""

    user: User | None = None
    session: Session | None = None
    via_token: bool = False
    permissions: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    token: ApiToken | None = None

    @property
    def is_admin(self) -> bool:
        """Whether the user is one of the three administrators (三员)."""
        return bool(self.roles) and "staff" not in self.roles


def resolve_context(app: OfficiumApp, request: Request) -> RequestContext:
    """Find the user of a request from a bearer token (API) or the session cookie."""
    now = app.clock()
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = find_token(auth[7:].strip(), now)
        user = token.user if token is not None else None
        roles = effective_roles(app.registry, user)
        return RequestContext(user, None, True, permissions_of(app.registry, user, roles), roles, token)
    session = find_session(app, request.cookies.get(COOKIE_NAME), now)
    if session is None:
        return RequestContext()
    roles = effective_roles(app.registry, session.user, request_roles(app, session.user))
    return RequestContext(
        session.user, session, False, permissions_of(app.registry, session.user, roles), roles
    )


def client_ip(request: Request) -> str:
    """The peer address as the server saw it (the reverse proxy sets it via uvicorn's --forwarded-allow-ips)."""
    return request.client.host if request.client else ""
