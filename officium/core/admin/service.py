"""The administrators' operations: validate the input, make the change, write the audit entry.

One implementation for every way in: the admin pages, the JSON API, the ``officium`` CLI and the bulk
importer all call these functions.  Input arrives as a mapping of raw values (a form, a JSON body, or
values the CLI put together); bad input raises :class:`Invalid` with a Chinese message per field *before*
anything is written, so a refused request changes nothing.  Each change records one specific audit entry
(``core.<thing>.<verb>``) in the caller's transaction; when there is no request (the CLI) the actor is
empty and the summary says 命令行.  Passwords never appear in an audit entry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from peewee import JOIN, fn

from officium.core import audit
from officium.core.db import write_transaction
from officium.core.identity import accounts
from officium.core.identity.accounts import AccountError
from officium.core.identity.models import UNIT_KINDS, USER_STATUSES, RoleGrant, Unit, User
from officium.core.identity.policy import LIMITS, SecurityPolicy, load_policy, save_policy, validate_policy
from officium.core.registry import UserChange

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

INVALID = "提交的内容有误，请按提示修改。"
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
ORDER_RANGE = (-9999, 9999)
#: The role every active non-administrator holds implicitly; it is never granted.
IMPLICIT_ROLE = "staff"


class Invalid(Exception):
    """Input refused before anything changed: ``fields`` maps a field to its message; ``message`` sums up."""

    def __init__(self, fields: Mapping[str, str] | None = None, message: str = INVALID) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})
        self.message = message


class NotFound(Exception):
    """An id that names nothing (or nothing the caller may act on)."""


# ------------------------------------------------------------------------------------------ helpers


def text(data: Mapping[str, Any], key: str) -> str:
    """A submitted value as stripped text ('' when missing; numbers from JSON are accepted as text)."""
    value = data.get(key, "")
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return "\0invalid"
    return str(value).strip()


#: Ids are plain ASCII digits: ``str.isdigit`` also accepts "²" or "５", which ``int()`` or the database
#: would then refuse with an error instead of a clean "not found".
_ID_RE = re.compile(r"[0-9]{1,18}")


def as_id(value: object) -> int | None:
    """``value`` as a record id, or None when it is not one (empty, not ASCII digits, too long)."""
    text_value = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text_value) if _ID_RE.fullmatch(text_value) else None


def normalise_username(raw: str) -> str:
    """The canonical form of a login name: NFKC (full-width letters become ASCII), lower case."""
    return unicodedata.normalize("NFKC", raw).strip().lower()


def username_taken(username: str, exclude: int | None = None) -> bool:
    """Whether another account already uses ``username`` (compared case-insensitively)."""
    query = User.select().where(fn.LOWER(User.username) == username.lower())
    if exclude is not None:
        query = query.where(User.id != exclude)
    return query.exists()


def _record(
    app: OfficiumApp,
    request: Request | None,
    action: str,
    *,
    object_type: str,
    object_id: object,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> None:
    if request is None:
        summary = f"命令行：{summary}"
    audit.record(
        app,
        action,
        request=request,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        detail=detail,
    )


def _actor(request: Request | None) -> User | None:
    return getattr(request.state, "user", None) if request is not None else None


def get_unit(unit_id: object) -> Unit:
    """The unit with this id, or :class:`NotFound`."""
    unit = Unit.get_or_none(Unit.id == as_id(unit_id)) if as_id(unit_id) is not None else None
    if unit is None:
        raise NotFound
    return unit


def get_unit_or_none(unit_id: object) -> Unit | None:
    """The unit with this id, or None (also for text that is not an id)."""
    key = as_id(unit_id)
    return Unit.get_or_none(Unit.id == key) if key is not None else None


def get_user(user_id: object) -> User:
    """The account with this id, or :class:`NotFound`."""
    user = User.get_or_none(User.id == as_id(user_id)) if as_id(user_id) is not None else None
    if user is None:
        raise NotFound
    return user


def unit_by_code(code: str) -> Unit | None:
    """The unit with this code, or None."""
    return Unit.get_or_none(Unit.code == code)


def _unit_ref(
    data: Mapping[str, Any], key: str, errors: dict[str, str], label: str, *, allow_inactive: bool = False
) -> Unit | None:
    raw = text(data, key)
    if not raw:
        return None
    unit = Unit.get_or_none(Unit.id == as_id(raw)) if as_id(raw) is not None else None
    if unit is None:
        errors[key] = f"{label}不存在。"
    elif not unit.active and not allow_inactive:
        errors[key] = f"{label}“{unit.name}”已撤销，不能选择。"
    return unit


# --------------------------------------------------------------------------------------------- units


def unit_tree(include_inactive: bool = True) -> list[tuple[Unit, int]]:
    """Every unit in tree order (parents before children, siblings by order), with its depth from 0."""
    query = Unit.select().order_by(Unit.order, Unit.id)
    if not include_inactive:
        query = query.where(Unit.active)
    units = list(query)
    ids = {u.id for u in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    result: list[tuple[Unit, int]] = []

    def walk(parent: int | None, level: int) -> None:
        for unit in children.get(parent, []):
            result.append((unit, level))
            walk(unit.id, level + 1)

    walk(None, 0)
    return result


def unit_choices(include_inactive: bool = False) -> list[tuple[int, str]]:
    """``(id, label)`` pairs for a unit select, indented by level: ``"　　文书科（BGS-WS）"``."""
    return [
        (unit.id, f"{'　' * level}{unit.name}（{unit.code}）{'' if unit.active else '［已撤销］'}")
        for unit, level in unit_tree(include_inactive)
    ]


def _clean_unit(data: Mapping[str, Any], unit: Unit | None = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    code = text(data, "code")
    name = text(data, "name")
    kind = text(data, "kind")
    order_text = text(data, "order") or "0"
    if not code:
        errors["code"] = "请填写单位代码。"
    elif not UNIT_CODE_RE.match(code):
        errors["code"] = "单位代码为 1–32 位字母、数字、点、下划线或连字符，以字母或数字开头。"
    elif Unit.select().where((Unit.code == code) & (Unit.id != (unit.id if unit else 0))).exists():
        errors["code"] = f"单位代码 {code} 已被其他单位使用。"
    if not name:
        errors["name"] = "请填写单位名称。"
    elif len(name) > 100:
        errors["name"] = "单位名称最多 100 个字。"
    if kind not in UNIT_KINDS:
        errors["kind"] = f"请选择单位类型：{'、'.join(UNIT_KINDS.values())}。"
    parent = _unit_ref(data, "parent", errors, "上级单位")
    if parent is not None and unit is not None and "parent" not in errors:
        if parent.id == unit.id or parent.id in accounts.descendant_ids(unit):
            errors["parent"] = "上级单位不能是本单位或其下级单位。"
    try:
        order = int(order_text)
        if not ORDER_RANGE[0] <= order <= ORDER_RANGE[1]:
            raise ValueError
    except ValueError:
        errors["order"] = f"排序应为 {ORDER_RANGE[0]}–{ORDER_RANGE[1]} 之间的整数。"
        order = 0
    if errors:
        raise Invalid(errors)
    return {"code": code, "name": name, "kind": kind, "parent": parent, "order": order}


def _unit_detail(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent.code if unit.parent_id else None,
        "order": unit.order,
    }


def create_unit(app: OfficiumApp, data: Mapping[str, Any], request: Request | None = None) -> Unit:
    """Create a unit from ``code``, ``name``, ``kind``, ``parent`` (a unit id) and ``order``."""
    values = _clean_unit(data)
    with write_transaction(app.db):
        try:
            unit = accounts.create_unit(**values)
        except AccountError as exc:
            raise Invalid({"code": str(exc)}) from exc
        _record(
            app,
            request,
            "core.unit.create",
            object_type="unit",
            object_id=unit.id,
            summary=f"新建单位 {unit.name}（{unit.code}）",
            detail=_unit_detail(unit),
        )
    return unit


def update_unit(
    app: OfficiumApp, unit: Unit, data: Mapping[str, Any], request: Request | None = None
) -> Unit:
    """Change a unit's code, name, kind, parent and order."""
    values = _clean_unit(data, unit)
    before = _unit_detail(unit)
    with write_transaction(app.db):
        try:
            accounts.update_unit(unit, **values)
        except AccountError as exc:
            raise Invalid({"code": str(exc)}) from exc
        after = _unit_detail(unit)
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        _record(
            app,
            request,
            "core.unit.update",
            object_type="unit",
            object_id=unit.id,
            summary=f"修改单位 {unit.name}（{unit.code}）",
            detail=changed,
        )
    return unit


def set_unit_active(app: OfficiumApp, unit: Unit, active: bool, request: Request | None = None) -> None:
    """Deactivate (撤销) or reactivate a unit; refused with a message while it has active members/children."""
    with write_transaction(app.db):
        try:
            (accounts.activate_unit if active else accounts.deactivate_unit)(unit)
        except AccountError as exc:
            raise Invalid(message=str(exc)) from exc
        _record(
            app,
            request,
            "core.unit.activate" if active else "core.unit.deactivate",
            object_type="unit",
            object_id=unit.id,
            summary=f"{'恢复' if active else '撤销'}单位 {unit.name}（{unit.code}）",
        )


# --------------------------------------------------------------------------------------------- users


def _clean_user(data: Mapping[str, Any], *, current: User | None = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if current is None:
        username = normalise_username(text(data, "username"))
        if not username:
            errors["username"] = "请填写用户名。"
        elif not USERNAME_RE.match(username):
            errors["username"] = "用户名为 2–64 位小写字母、数字、点、下划线或连字符，以字母开头。"
        elif username_taken(username):
            errors["username"] = f"用户名 {username} 已被使用。"
        values["username"] = username
    name = text(data, "name")
    if not name:
        errors["name"] = "请填写姓名。"
    elif len(name) > 64:
        errors["name"] = "姓名最多 64 个字。"
    position = text(data, "position")
    if len(position) > 64:
        errors["position"] = "职务最多 64 个字。"
    unit = _unit_ref(data, "unit", errors, "单位")
    if unit is not None and current is not None and unit.id == current.unit_id and not unit.active:
        errors.pop("unit", None)  # keeping the unit a disabled account still belongs to is fine
    if errors:
        raise Invalid(errors)
    return {**values, "name": name, "position": position, "unit": unit}


def _user_label(user: User) -> str:
    return f"{user.name}（{user.username}）"


def create_account(
    app: OfficiumApp, data: Mapping[str, Any], request: Request | None = None
) -> tuple[User, str]:
    """Create an account from ``username``, ``name``, ``unit`` (id) and ``position``.

    Returns the account and its one-time password, which is to be shown once and never stored.
    """
    values = _clean_user(data)
    with write_transaction(app.db):
        try:
            user, one_time = accounts.create_user(
                values["username"],
                values["name"],
                app.clock(),
                unit=values["unit"],
                position=values["position"],
            )
        except AccountError as exc:
            raise Invalid({"username": str(exc)}) from exc
        _record(
            app,
            request,
            "core.user.create",
            object_type="user",
            object_id=user.id,
            summary=f"新建账号 {_user_label(user)}，已生成一次性密码",
            detail={
                "username": user.username,
                "name": user.name,
                "unit": values["unit"].code if values["unit"] else None,
                "position": user.position,
            },
        )
    assert one_time is not None
    return user, one_time


def update_account(
    app: OfficiumApp, user: User, data: Mapping[str, Any], request: Request | None = None
) -> User:
    """Change an account's ``name``, ``unit`` (id) and ``position``."""
    values = _clean_user(data, current=user)
    before = {"name": user.name, "unit": user.unit.code if user.unit_id else None, "position": user.position}
    old_unit_id = user.unit_id
    with write_transaction(app.db):
        accounts.update_user(user, name=values["name"], unit=values["unit"], position=values["position"])
        if user.unit_id != old_unit_id:
            # the person's open work that belonged to their old unit is handed on
            app.hook.user_changed(
                app=app, user=user, change=UserChange("transfer", old_unit_id, user.unit_id)
            )
        after = {
            "name": user.name,
            "unit": user.unit.code if user.unit_id else None,
            "position": user.position,
        }
        _record(
            app,
            request,
            "core.user.update",
            object_type="user",
            object_id=user.id,
            summary=f"修改账号 {_user_label(user)}",
            detail={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return user


STATUS_VERBS = {"active": "启用", "disabled": "停用", "left": "标记离职"}


def change_status(app: OfficiumApp, user: User, status: str, request: Request | None = None) -> None:
    """Enable, disable or mark an account as left; leaving the active state ends its sessions at once."""
    if status not in USER_STATUSES:
        raise Invalid({"status": f"账号状态应为 {'、'.join(USER_STATUSES)} 之一。"})
    actor = _actor(request)
    if actor is not None and actor.id == user.id:
        raise Invalid(message="不能更改自己账号的状态。")
    if user.status == status:
        raise Invalid(message=f"账号 {_user_label(user)} 已是“{USER_STATUSES[status]}”状态。")
    before = user.status
    with write_transaction(app.db):
        accounts.set_status(user, status)
        if before == "active":
            # nobody may wait on someone who is no longer at work: their open work is handed on
            app.hook.user_changed(app=app, user=user, change=UserChange("left", user.unit_id, user.unit_id))
        _record(
            app,
            request,
            "core.user.status",
            object_type="user",
            object_id=user.id,
            summary=f"{STATUS_VERBS[status]}账号 {_user_label(user)}",
            detail={"status": [before, status]},
        )


def reset_account_password(app: OfficiumApp, user: User, request: Request | None = None) -> str:
    """Issue a new one-time password (returned, to be shown once); the user's sessions end."""
    actor = _actor(request)
    if actor is not None and actor.id == user.id:
        raise Invalid(message="不能重置自己的密码，请在“修改密码”中修改。")
    with write_transaction(app.db):
        password = accounts.reset_password(user, app.clock())
        _record(
            app,
            request,
            "core.user.reset_password",
            object_type="user",
            object_id=user.id,
            summary=f"重置账号 {_user_label(user)} 的密码，已生成一次性密码",
        )
    return password


def user_query(q: str = "", unit: Unit | None = None, status: str = ""):
    """Accounts matching ``q`` (name or username), in ``unit`` and with ``status``; by unit, then name."""
    query = User.select(User, Unit).join(Unit, JOIN.LEFT_OUTER, on=(User.unit == Unit.id)).switch(User)
    if q:
        query = query.where(User.name.contains(q) | User.username.contains(q.lower()))
    if unit is not None:
        query = query.where(User.unit == unit)
    if status in USER_STATUSES:
        query = query.where(User.status == status)
    return query.order_by(User.username)


# --------------------------------------------------------------------------------------------- roles


def grantable_roles(app: OfficiumApp) -> list[tuple[str, str]]:
    """``(name, title)`` of every role that can be granted (all but the implicit ``staff``)."""
    return [
        (role.name, f"{role.title}（{role.name}）")
        for role in app.registry.roles.values()
        if role.name != IMPLICIT_ROLE
    ]


def grants_of(user: User) -> list[RoleGrant]:
    """A user's role grants, with their units."""
    return list(
        RoleGrant.select(RoleGrant, Unit)
        .join(Unit, JOIN.LEFT_OUTER, on=(RoleGrant.unit == Unit.id))
        .where(RoleGrant.user == user)
        .order_by(RoleGrant.role, RoleGrant.id)
    )


def _check_not_self(request: Request | None, user: User) -> None:
    actor = _actor(request)
    if actor is not None and actor.id == user.id:
        raise Invalid({"role": "不能修改自己的角色。"}, "不能修改自己的角色。")


def grant(app: OfficiumApp, user: User, data: Mapping[str, Any], request: Request | None = None) -> RoleGrant:
    """Grant ``role`` in ``unit`` (a unit id; empty for site-wide); 三员 exclusivity errors go on ``role``."""
    _check_not_self(request, user)
    errors: dict[str, str] = {}
    role = text(data, "role")
    roles = app.registry.roles
    if not role:
        errors["role"] = "请选择角色。"
    elif role == IMPLICIT_ROLE:
        errors["role"] = "工作人员（staff）由所有在岗非管理员账号隐含持有，无需授予。"
    elif role not in roles:
        errors["role"] = f"角色 {role} 不存在。"
    unit = _unit_ref(data, "unit", errors, "单位")
    if not errors and roles[role].admin and unit is not None:
        errors["unit"] = "三员角色对全局有效，不能限定单位。"
    if not errors:
        exists = RoleGrant.select().where(
            (RoleGrant.user == user)
            & (RoleGrant.role == role)
            & (RoleGrant.unit.is_null() if unit is None else RoleGrant.unit == unit)
        )
        if exists.exists():
            errors["role"] = f"{_user_label(user)} 已在{unit.name if unit else '全局'}持有该角色。"
    if errors:
        raise Invalid(errors)
    with write_transaction(app.db):
        try:
            granted = accounts.grant_role(app.registry, user, role, unit)
        except AccountError as exc:
            raise Invalid({"role": str(exc)}) from exc
        scope = f"{unit.name}（{unit.code}）" if unit else "全局"
        _record(
            app,
            request,
            "core.role.grant",
            object_type="user",
            object_id=user.id,
            summary=f"授予 {_user_label(user)} 角色 {roles[role].title}，范围：{scope}",
            detail={"role": role, "unit": unit.code if unit else None},
        )
    return granted


def revoke(app: OfficiumApp, user: User, grant_id: object, request: Request | None = None) -> None:
    """Take back one of ``user``'s grants by id; another user's grant id is :class:`NotFound`."""
    row = (
        RoleGrant.get_or_none((RoleGrant.id == as_id(grant_id)) & (RoleGrant.user == user))
        if as_id(grant_id) is not None
        else None
    )
    if row is None:
        raise NotFound
    _check_not_self(request, user)
    unit = row.unit
    with write_transaction(app.db):
        accounts.revoke_role(user, row.role, unit)
        title = app.registry.roles[row.role].title if row.role in app.registry.roles else row.role
        _record(
            app,
            request,
            "core.role.revoke",
            object_type="user",
            object_id=user.id,
            summary=f"收回 {_user_label(user)} 的角色 {title}，范围：{unit.name if unit else '全局'}",
            detail={"role": row.role, "unit": unit.code if unit else None},
        )


def role_table(app: OfficiumApp) -> list[dict[str, Any]]:
    """Each role with its title, description, whether it is a 三员 role, and its default permissions."""
    permissions = app.registry.permissions
    return [
        {
            "name": role.name,
            "title": role.title,
            "admin": role.admin,
            "description": role.description,
            "permissions": [
                {"name": name, "title": permissions[name].title}
                for name in sorted(app.registry.role_permissions(role.name))
            ],
        }
        for role in app.registry.roles.values()
    ]


# -------------------------------------------------------------------------------------------- policy


def policy_values() -> dict[str, int]:
    """The policy in force as ``{key: value}``."""
    return asdict(load_policy())


def policy_fields() -> list[tuple[str, str, int, int]]:
    """``(key, title, lowest, highest)`` of every policy value, for forms and the API."""
    return [(key, title, low, high) for key, (title, low, high) in LIMITS.items()]


def update_policy(
    app: OfficiumApp, data: Mapping[str, Any], request: Request | None = None
) -> SecurityPolicy:
    """Validate and store the security policy; every value must be given, within ``LIMITS``."""
    raw = {key: text(data, key) for key in LIMITS}
    # validate_policy trusts str.isdigit, which lets "²" through to int(): refuse such text here first.
    odd = {
        key: f"{title}应为 {low}–{high} 之间的整数。"
        for key, (title, low, high) in LIMITS.items()
        if raw[key] and not _ID_RE.fullmatch(raw[key])
    }
    if odd:
        raise Invalid(odd)
    policy, errors = validate_policy(raw)
    if errors or policy is None:
        raise Invalid(errors)
    before = policy_values()
    with write_transaction(app.db):
        save_policy(policy)
        after = asdict(policy)
        _record(
            app,
            request,
            "core.policy.update",
            object_type="policy",
            object_id="security",
            summary="修改安全策略",
            detail={k: [before[k], after[k]] for k in after if before.get(k) != after[k]},
        )
    return policy
