"""The one permission check: which permissions a user holds, and whether one suffices for a route."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from officium.core.identity.models import RoleGrant, User
from officium.core.prepared import prepared
from officium.core.registry import AUTHENTICATED, PUBLIC

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp
    from officium.core.registry import Registry

#: Every active non-administrator holds this role implicitly; it carries what all staff may do.
STAFF_ROLE = "staff"


def roles_of(user: User) -> set[str]:
    """Names of the roles the user holds in any unit."""
    return {grant.role for grant in RoleGrant.select(RoleGrant.role).where(RoleGrant.user == user)}


def _roles_query(user_id: Any) -> Any:
    return RoleGrant.select(RoleGrant.role).where(RoleGrant.user == user_id)


def request_roles(app: OfficiumApp, user: User) -> set[str]:
    """:func:`roles_of` for the request base, with its statement prepared once per process."""
    return {role for (role,) in prepared(app, "core.roles", _roles_query).cursor(user.id)}


def is_admin(registry: Registry, roles: set[str]) -> bool:
    """Whether the roles include one of the three administrator roles (三员)."""
    return any(registry.roles[r].admin for r in roles if r in registry.roles)


def effective_roles(registry: Registry, user: User | None, held: set[str] | None = None) -> frozenset[str]:
    """The user's roles (``held`` if already read) plus the implicit ``staff`` of every active
    non-administrator."""
    if user is None or not user.is_active:
        return frozenset()
    roles = set(held) if held is not None else roles_of(user)
    if not is_admin(registry, roles):
        roles.add(STAFF_ROLE)
    return frozenset(roles)


def permissions_of(
    registry: Registry, user: User | None, roles: frozenset[str] | None = None
) -> frozenset[str]:
    """All permissions the user holds through their roles (deny by default: none for anonymous)."""
    if roles is None:
        roles = effective_roles(registry, user)
    granted: set[str] = set()
    for role in roles:
        granted |= registry.role_permissions(role)
    return frozenset(granted)


def allows(permission: str, user: User | None, held: frozenset[str]) -> bool:
    """Whether a route or item guarded by ``permission`` is open to ``user`` holding ``held``."""
    if permission == PUBLIC:
        return True
    if user is None:
        return False
    if permission == AUTHENTICATED:
        return True
    return permission in held
