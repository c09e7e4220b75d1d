"""Creating units and accounts and granting roles: the service functions the CLI, pages and tests share."""

from __future__ import annotations

from datetime import datetime

from officium.core.identity.models import UNIT_KINDS, RoleGrant, Unit, User
from officium.core.identity.passwords import hash_password, one_time_password, policy_errors
from officium.core.registry import Registry


class AccountError(ValueError):
    """A request to change accounts was refused; the message says why, in Chinese."""


def create_unit(code: str, name: str, kind: str, parent: Unit | None = None, order: int = 0) -> Unit:
    """Create an organisational unit."""
    if kind not in UNIT_KINDS:
        raise AccountError(f"单位类型 {kind!r} 不合法，应为 {'、'.join(UNIT_KINDS)} 之一。")
    if Unit.select().where(Unit.code == code).exists():
        raise AccountError(f"单位代码 {code} 已存在。")
    return Unit.create(code=code, name=name, kind=kind, parent=parent, order=order)


def create_user(
    username: str,
    name: str,
    now: datetime,
    *,
    unit: Unit | None = None,
    position: str = "",
    password: str | None = None,
) -> tuple[User, str | None]:
    """Create an account and return it with its one-time password (None when ``password`` was given).

    An account created without a password gets a one-time password that must be changed at first sign-in.
    """
    if User.select().where(User.username == username).exists():
        raise AccountError(f"用户名 {username} 已存在。")
    one_time = None
    if password is None:
        password = one_time = one_time_password()
    elif errors := policy_errors(password, username):
        raise AccountError("".join(errors))
    user = User.create(
        username=username,
        name=name,
        unit=unit,
        position=position,
        password_hash=hash_password(password),
        password_changed_at=now,
        must_change_password=one_time is not None,
        created_at=now,
    )
    return user, one_time


def grant_role(registry: Registry, user: User, role: str, unit: Unit | None = None) -> RoleGrant:
    """Give ``user`` a role, refusing an unknown role or a second administrator role (三员分立)."""
    if role not in registry.roles:
        raise AccountError(f"角色 {role} 不存在。")
    held = {g.role for g in RoleGrant.select().where(RoleGrant.user == user)}
    is_admin = registry.roles[role].admin
    held_admin = [r for r in held if r in registry.roles and registry.roles[r].admin]
    if is_admin and (held_admin and role not in held_admin):
        raise AccountError(
            f"{user.username} 已是{registry.roles[held_admin[0]].title}，三员不能由同一账号兼任。"
        )
    if is_admin and (held - set(held_admin)):
        raise AccountError(f"{user.username} 持有业务角色，不能再担任{registry.roles[role].title}。")
    if not is_admin and held_admin:
        raise AccountError(f"{user.username} 是管理员账号，不能担任业务角色。")
    grant, _ = RoleGrant.get_or_create(user=user, role=role, unit=unit)
    return grant
