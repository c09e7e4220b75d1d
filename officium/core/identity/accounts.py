"""Creating units and accounts and granting roles: the service functions the CLI, pages and tests share."""

from __future__ import annotations

from datetime import datetime

from officium.core.identity.login import set_password
from officium.core.identity.models import UNIT_KINDS, USER_STATUSES, RoleGrant, Unit, User
from officium.core.identity.passwords import one_time_password, policy_errors
from officium.core.identity.people import refresh_person_index
from officium.core.identity.policy import load_policy
from officium.core.identity.sessions import end_user_sessions
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
    policy = load_policy()
    one_time = None
    if password is None:
        password = one_time = one_time_password()
    elif errors := policy_errors(password, username, policy):
        raise AccountError("".join(errors))
    user = User(username=username, name=name, unit=unit, position=position, created_at=now)
    set_password(user, password, now, policy, one_time=one_time is not None)
    refresh_person_index(user)
    return user, one_time


def reset_password(user: User, now: datetime) -> str:
    """Give ``user`` a new one-time password that expires and must be changed at the next sign-in.

    Administrators never choose or see a user's real password; this is the only way to help someone who
    forgot theirs.  Every session of the user ends.
    """
    password = one_time_password()
    set_password(user, password, now, load_policy(), one_time=True)
    end_user_sessions(user)
    return password


def set_status(user: User, status: str) -> None:
    """Mark an account active, disabled or left; leaving the active state ends its sessions at once."""
    if status not in USER_STATUSES:
        raise AccountError(f"账号状态 {status!r} 不合法，应为 {'、'.join(USER_STATUSES)} 之一。")
    user.status = status
    User.update(status=status).where(User.id == user.id).execute()
    if status != "active":
        end_user_sessions(user)


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
    grant, created = RoleGrant.get_or_create(user=user, role=role, unit=unit)
    if created:
        end_user_sessions(user)  # a privilege change needs a fresh sign-in (new session id)
    return grant


def revoke_role(user: User, role: str, unit: Unit | None = None) -> bool:
    """Take a role away; return whether the user held it.  Their sessions end."""
    query = RoleGrant.delete().where((RoleGrant.user == user) & (RoleGrant.role == role))
    query = query.where(RoleGrant.unit.is_null() if unit is None else RoleGrant.unit == unit)
    removed = bool(query.execute())
    if removed:
        end_user_sessions(user)
    return removed


def descendant_ids(unit: Unit) -> set[int]:
    """Ids of every unit below ``unit`` in the tree (children, their children, …), not ``unit`` itself."""
    children: dict[int | None, list[int]] = {}
    for row in Unit.select(Unit.id, Unit.parent):
        children.setdefault(row.parent_id, []).append(row.id)
    found: set[int] = set()
    stack = list(children.get(unit.id, []))
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def update_unit(unit: Unit, *, code: str, name: str, kind: str, parent: Unit | None, order: int) -> Unit:
    """Change a unit's code, name, kind, parent and order; refuse a duplicate code or a loop in the tree."""
    if kind not in UNIT_KINDS:
        raise AccountError(f"单位类型 {kind!r} 不合法，应为 {'、'.join(UNIT_KINDS)} 之一。")
    if Unit.select().where((Unit.code == code) & (Unit.id != unit.id)).exists():
        raise AccountError(f"单位代码 {code} 已存在。")
    if parent is not None and (parent.id == unit.id or parent.id in descendant_ids(unit)):
        raise AccountError("上级单位不能是本单位或其下级单位。")
    unit.code, unit.name, unit.kind, unit.parent, unit.order = code, name, kind, parent, order
    unit.save()
    return unit


def deactivate_unit(unit: Unit) -> None:
    """Mark a unit inactive; refused while it still has active members or active child units."""
    members = User.select().where((User.unit == unit) & (User.status == "active")).count()
    if members:
        raise AccountError(f"单位 {unit.name} 还有 {members} 名在岗人员，请先将他们调出或停用后再撤销。")
    children = Unit.select().where((Unit.parent == unit) & Unit.active).count()
    if children:
        raise AccountError(f"单位 {unit.name} 还有 {children} 个启用的下级单位，请先撤销下级单位。")
    unit.active = False
    Unit.update(active=False).where(Unit.id == unit.id).execute()


def activate_unit(unit: Unit) -> None:
    """Mark a unit active again; refused while its parent unit is inactive."""
    if unit.parent_id is not None and not unit.parent.active:
        raise AccountError(f"上级单位 {unit.parent.name} 已撤销，请先恢复上级单位。")
    unit.active = True
    Unit.update(active=True).where(Unit.id == unit.id).execute()


def update_user(user: User, *, name: str, unit: Unit | None, position: str) -> User:
    """Change an account's name, unit and position (never its username or password); reindex the name."""
    user.name, user.unit, user.position = name, unit, position
    User.update(name=name, unit=unit, position=position).where(User.id == user.id).execute()
    refresh_person_index(user)
    return user
