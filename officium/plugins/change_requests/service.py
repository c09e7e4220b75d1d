"""What a change request does: who may file and see one, checking a request, the workflow actions, and
carrying the change out through the identity service functions.

Everything runs inside the caller's transaction (a view's, or a test's ``write_transaction``).  Functions
that change something raise :class:`ChangeError` (or the engine's ``WorkflowError``) before or while
changing; callers run them in a savepoint so that a refusal leaves nothing behind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from peewee import JOIN, PostgresqlDatabase

from officium.core import notifications
from officium.core.identity.access import is_admin, roles_of
from officium.core.identity.accounts import AccountError, create_user, grant_role, revoke_role, set_status
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.identity.people import refresh_person_index
from officium.core.registry import NotificationType, Permission, Setting, UserChange
from officium.core.workflow import engine, reassign
from officium.core.workflow.definition import DRAFTER_STEP
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.change_requests.models import KINDS, ROLE_ACTIONS, ChangeRequest
from officium.plugins.change_requests.workflow import (
    CARRY_OUT_STEP,
    KEY,
    LEADER_STEP,
    STATUS_TITLES,
)

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

PLUGIN = "change_requests"
OBJECT_TYPE = "request"
URL = "/change_requests/"
REQUEST = "change_requests.request"
CARRY_OUT = "change_requests.carry_out"

PERMISSIONS = [
    Permission(REQUEST, "提出人员与权限变更申请（本单位）", default_roles=("clerk",)),
    Permission(CARRY_OUT, "办理人员与权限变更（信息化处）", default_roles=("sysadmin",)),
]
SETTINGS = [
    Setting(
        "office_unit",
        "办公室的单位代码",
        str,
        "BGS",
        description="综合人员角色发生变更时，传阅给该单位的负责人和综合人员知悉。",
    )
]
DONE = "change_requests.done"
NOTIFICATION_TYPES = [
    NotificationType(DONE, "变更申请已办结", ("inbox",), "您提交的人员与权限变更申请已由信息化处办理完毕。")
]

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
REASON_MAX = 500
TEXT_MAX = 64
#: Roles a unit may ask for: every business role except the implicit ``staff``.
NOT_REQUESTABLE = {"staff"}


class ChangeError(ValueError):
    """A request that cannot be filed or carried out as it stands; ``fields`` say where, in Chinese."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


# -------------------------------------------------------------------------------------- who may do what


def clerk_units(user: User) -> list[Unit]:
    """The active units the user is 综合人员 of: the only units they may file requests for."""
    return list(
        Unit.select()
        .join(RoleGrant, on=(RoleGrant.unit == Unit.id))
        .where((RoleGrant.user == user) & (RoleGrant.role == "clerk") & Unit.active)
        .order_by(Unit.order, Unit.id)
        .distinct()
    )


def requestable_roles(app: OfficiumApp) -> list[tuple[str, str]]:
    """(name, title) of the roles a unit may ask to grant or revoke: business roles, never the 三员."""
    return [
        (name, role.title)
        for name, role in app.registry.roles.items()
        if not role.admin and name not in NOT_REQUESTABLE
    ]


def _instance_join(query: Any) -> Any:
    on = (
        (Instance.plugin == PLUGIN)
        & (Instance.object_type == OBJECT_TYPE)
        & (Instance.object_id == ChangeRequest.id.cast("VARCHAR"))
    )
    return query.join(Instance, JOIN.LEFT_OUTER, on=on, attr="flow")


def listing(user: User, permissions: frozenset[str]) -> Any:
    """The requests the user may list, newest first, each with its workflow instance as ``.flow``.

    The IT division sees every unit's; a 综合人员 sees their units' (whoever filed them).
    """
    query = _instance_join(ChangeRequest.select(ChangeRequest, Instance))
    if CARRY_OUT not in permissions:
        units = [u.id for u in clerk_units(user)] if REQUEST in permissions else []
        query = query.where(ChangeRequest.unit.in_(units or [0]))
    return query.order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())


def queue() -> Any:
    """Requests waiting for the IT division (at the carry-out step), oldest first."""
    query = _instance_join(ChangeRequest.select(ChangeRequest, Instance))
    return query.where((Instance.state == "running") & (Instance.step == CARRY_OUT_STEP)).order_by(
        Instance.started_at, ChangeRequest.id
    )


def instance_of(change: ChangeRequest) -> Instance | None:
    """The workflow instance of a request."""
    return engine.instance_for(PLUGIN, OBJECT_TYPE, change.id)


def visible(user: User, permissions: frozenset[str], change: ChangeRequest) -> bool:
    """Whether the user may open the request: the IT division, a 综合人员 of its unit, or anyone the
    workflow gave an item on it (the approving leader, the office reading it)."""
    if CARRY_OUT in permissions:
        return True
    if REQUEST in permissions and change.unit_id in {u.id for u in clerk_units(user)}:
        return True
    instance = instance_of(change)
    return instance is not None and (
        WorkItem.select()
        .where((WorkItem.instance == instance) & ((WorkItem.assignee == user) | (WorkItem.principal == user)))
        .exists()
    )


def status(instance: Instance | None) -> tuple[str, str]:
    """(code, Chinese title) of a request's state: leader, carry_out, returned, suspended, done, closed."""
    if instance is None:
        return "closed", STATUS_TITLES["closed"]
    if instance.state in ("done", "closed", "suspended"):
        code = instance.state
    elif instance.step == DRAFTER_STEP:
        code = "returned"
    else:
        code = instance.step
    return code, STATUS_TITLES.get(code, code)


def summary(app: OfficiumApp, change: ChangeRequest) -> str:
    """One line saying what the request asks for, e.g. ``人员调动：张三（办公室 → 信息化处）``."""
    if change.kind == "new_account":
        return f"新增账号：{change.name}（{change.username}，{change.unit.name}）"
    who = change.person.name if change.person_id else ""
    if change.kind == "transfer":
        return f"人员调动：{who}（{change.unit.name} → {change.target_unit.name}）"
    if change.kind == "role_change":
        action = ROLE_ACTIONS.get(change.role_action, "")
        return f"角色变更：{action}{who}{change.unit.name}{_role_title(app, change.role)}角色"
    return f"人员离岗：{who}（{change.unit.name}）"


# -------------------------------------------------------------------------------------------- checking


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _open_request_ids() -> list[int]:
    return [
        int(i.object_id)
        for i in Instance.select(Instance.object_id).where(
            (Instance.plugin == PLUGIN)
            & (Instance.object_type == OBJECT_TYPE)
            & Instance.state.in_(("running", "suspended"))
        )
    ]


def is_admin_account(app: OfficiumApp, user: User) -> bool:
    """Whether the account is one of the three administrators (三员): never changed through a request."""
    return is_admin(app.registry, roles_of(user))


def _member(app: OfficiumApp, unit: Unit, username: str, errors: dict[str, str]) -> User | None:
    if not username:
        errors["person"] = "请选择人员。"
        return None
    person = User.get_or_none(User.username == username)
    if person is None or person.unit_id != unit.id or not person.is_active:
        errors["person"] = f"{unit.name}没有在岗人员 {username}。"
        return None
    if is_admin_account(app, person):
        errors["person"] = f"{person.name} 是管理员账号（三员），不能通过变更申请办理。"
        return None
    return person


def check(app: OfficiumApp, user: User, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a request as filed by ``user``; return the values to store, or raise :class:`ChangeError`.

    ``data`` uses the API's names: ``kind``, ``unit`` (code; may be left out by a 综合人员 of one unit),
    ``reason``, and per kind ``name``/``username``/``position`` (new_account), ``person`` (username) with
    ``target_unit`` (code), ``position`` and ``move_roles`` (list of role names) for transfer, ``role`` and
    ``role_action`` (grant/revoke) for role_change.
    """
    errors: dict[str, str] = {}
    units = clerk_units(user)
    code = _text(data, "unit")
    unit = None
    if not code and len(units) == 1:
        unit = units[0]
    elif not code:
        errors["unit"] = "请选择申请单位。"
    else:
        unit = next((u for u in units if u.code == code), None)
        if unit is None:
            errors["unit"] = "只能为本人担任综合人员的单位提出申请。"
    kind = _text(data, "kind")
    if kind not in KINDS:
        errors["kind"] = "请选择申请事项。"
    reason = _text(data, "reason")
    if not reason:
        errors["reason"] = "请填写申请事由。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"申请事由不能超过 {REASON_MAX} 个字。"
    values: dict[str, Any] = {"kind": kind, "unit": unit, "reason": reason}
    if unit is None or kind not in KINDS:
        raise ChangeError("提交的内容不正确。", errors or {"kind": "请选择申请事项。"})
    open_ids = _open_request_ids()
    if kind == "new_account":
        name, username, position = _text(data, "name"), _text(data, "username"), _text(data, "position")
        if not name:
            errors["name"] = "请填写姓名。"
        elif len(name) > TEXT_MAX:
            errors["name"] = f"姓名不能超过 {TEXT_MAX} 个字。"
        if not USERNAME_RE.match(username):
            errors["username"] = (
                "用户名应为 2～32 位小写字母、数字、点、下划线或连字符，以字母开头（如 zhangsan）。"
            )
        elif User.select().where(User.username == username).exists():
            errors["username"] = f"用户名 {username} 已被占用，请换一个。"
        elif (
            ChangeRequest.select()
            .where(
                (ChangeRequest.kind == "new_account")
                & (ChangeRequest.username == username)
                & ChangeRequest.id.in_(open_ids or [0])
            )
            .exists()
        ):
            errors["username"] = f"已有办理中的申请使用用户名 {username}。"
        if len(position) > TEXT_MAX:
            errors["position"] = f"职务不能超过 {TEXT_MAX} 个字。"
        values.update(name=name, username=username, position=position)
    else:
        person = _member(app, unit, _text(data, "person"), errors)
        if (
            person is not None
            and ChangeRequest.select()
            .where((ChangeRequest.person == person) & ChangeRequest.id.in_(open_ids or [0]))
            .exists()
        ):
            errors["person"] = f"{person.name} 已有一件办理中的变更申请，请办结或撤销后再提。"
        values["person"] = person
        held = (
            {g.role for g in RoleGrant.select().where((RoleGrant.user == person) & (RoleGrant.unit == unit))}
            if person is not None
            else set()
        )
        if kind == "transfer":
            target_code, position = _text(data, "target_unit"), _text(data, "position")
            target = Unit.get_or_none((Unit.code == target_code) & Unit.active) if target_code else None
            if target is None:
                errors["target_unit"] = "请选择调入单位。"
            elif target.id == unit.id:
                errors["target_unit"] = "调入单位不能是本单位。"
            if not position:
                errors["position"] = "请填写新职务。"
            elif len(position) > TEXT_MAX:
                errors["position"] = f"职务不能超过 {TEXT_MAX} 个字。"
            raw = data.get("move_roles") or []
            moving = [raw] if isinstance(raw, str) else [r for r in raw if isinstance(r, str)]
            moving = list(dict.fromkeys(r.strip() for r in moving if r.strip()))
            if person is not None and (missing := [r for r in moving if r not in held]):
                titles = "、".join(_role_title(app, r) for r in missing)
                errors["move_roles"] = f"{person.name} 在{unit.name}没有{titles}角色。"
            values.update(target_unit=target, position=position, move_roles=moving)
        elif kind == "role_change":
            role, action = _text(data, "role"), _text(data, "role_action")
            if role not in dict(requestable_roles(app)):
                errors["role"] = "请选择角色。"
            if action not in ROLE_ACTIONS:
                errors["role_action"] = "请选择授予或撤销。"
            elif person is not None and role and action == "grant" and role in held:
                errors["role"] = f"{person.name} 已是{unit.name}的{_role_title(app, role)}。"
            elif person is not None and role and action == "revoke" and role not in held:
                errors["role"] = f"{person.name} 不是{unit.name}的{_role_title(app, role)}。"
            values.update(role=role, role_action=action)
    if errors:
        raise ChangeError("提交的内容不正确。", errors)
    return values


def _role_title(app: OfficiumApp, role: str) -> str:
    return app.registry.roles[role].title if role in app.registry.roles else role


# ------------------------------------------------------------------------------------- the workflow


def file(
    app: OfficiumApp, user: User, values: Mapping[str, Any], request: Request | None = None
) -> ChangeRequest:
    """Store a checked request and submit it to the unit's leader."""
    change = ChangeRequest.create(
        kind=values["kind"],
        unit=values["unit"],
        requested_by=user,
        created_at=app.clock(),
        reason=values["reason"],
        person=values.get("person"),
        name=values.get("name", ""),
        username=values.get("username", ""),
        position=values.get("position", ""),
        target_unit=values.get("target_unit"),
        move_roles=",".join(values.get("move_roles", [])),
        role=values.get("role", ""),
        role_action=values.get("role_action", ""),
    )
    engine.start(
        app,
        KEY,
        object_type=OBJECT_TYPE,
        object_id=change.id,
        title=summary(app, change),
        url=f"{URL}{change.id}",
        drafter=user,
        unit=change.unit,
        fields={"kind": change.kind},
        opinion=change.reason,
        request=request,
    )
    return change


def _lock(app: OfficiumApp, change_id: int) -> ChangeRequest:
    query = ChangeRequest.select().where(ChangeRequest.id == change_id)
    if isinstance(app.db, PostgresqlDatabase):
        query = query.for_update()
    return query.get()


def _my_item(instance: Instance | None, user: User, steps: tuple[str, ...]) -> WorkItem:
    item = engine.my_open_item(instance, user) if instance is not None else None
    if item is None or item.step not in steps:
        raise ChangeError("您在这件申请上没有待办理的事项（可能已由他人办理），请刷新后查看。")
    return item


def approve(
    app: OfficiumApp, change: ChangeRequest, user: User, opinion: str, request: Request | None = None
) -> None:
    """The unit leader's 同意: the request goes on to the IT division."""
    item = _my_item(instance_of(change), user, (LEADER_STEP,))
    engine.approve(app, item.id, user, opinion or "同意。", request=request)


def send_back(
    app: OfficiumApp, change: ChangeRequest, user: User, opinion: str, request: Request | None = None
) -> None:
    """退回 to the 综合人员 who filed it, by the leader or by the IT division; a reason is required."""
    item = _my_item(instance_of(change), user, (LEADER_STEP, CARRY_OUT_STEP))
    engine.return_(app, item.id, user, DRAFTER_STEP, opinion, request=request)


def resubmit(
    app: OfficiumApp, change: ChangeRequest, user: User, opinion: str, request: Request | None = None
) -> None:
    """The filer sends a returned request to the leader again, with a note."""
    item = _my_item(instance_of(change), user, (DRAFTER_STEP,))
    engine.approve(app, item.id, user, opinion or "重新提交。", request=request)


def can_withdraw(
    change: ChangeRequest, instance: Instance | None, user: User, permissions: frozenset[str]
) -> bool:
    """A 综合人员 of the unit may withdraw a request that is back with them, or that no leader acted on yet."""
    if instance is None or instance.state != "running" or REQUEST not in permissions:
        return False
    if change.unit_id not in {u.id for u in clerk_units(user)}:
        return False
    return instance.step == DRAFTER_STEP or (
        instance.step == LEADER_STEP
        and not WorkItem.select()
        .where((WorkItem.instance == instance) & (WorkItem.step == LEADER_STEP) & (WorkItem.state == "done"))
        .exists()
    )


def withdraw(
    app: OfficiumApp,
    change: ChangeRequest,
    user: User,
    permissions: frozenset[str],
    reason: str,
    request: Request | None = None,
) -> None:
    """撤销: end the request without carrying it out."""
    instance = instance_of(change)
    if not can_withdraw(change, instance, user, permissions):
        raise ChangeError("只能撤销尚未审批或已退回的本单位申请。")
    engine.close(app, instance.id, user, reason or "申请人撤销。", request=request)


# ------------------------------------------------------------------------------------- carrying out


@dataclass
class Outcome:
    """What carrying a request out did; ``password`` is the new account's one-time password (shown once)."""

    summary: str
    person: User | None = None
    password: str | None = None
    moved: int = 0
    informed: list[User] = field(default_factory=list)


def carry_out(
    app: OfficiumApp, change_id: int, user: User, opinion: str = "", request: Request | None = None
) -> Outcome:
    """The IT division's one button: apply the change to the organisation, hand the person's work on,
    tell the office when the 综合人员 role changed, and complete the step (the filer is notified)."""
    change = _lock(app, change_id)
    instance = instance_of(change)
    if instance is None or instance.state != "running" or instance.step != CARRY_OUT_STEP:
        raise ChangeError("该申请不在待信息化处办理的状态。")
    item = _my_item(instance, user, (CARRY_OUT_STEP,))
    outcome, clerk_changed = _apply(app, change)
    change.carried_out_at = app.clock()
    change.carried_out_by = user
    change.result = outcome.summary
    change.save()
    if clerk_changed:
        outcome.informed = inform_office(app, instance, user, outcome.summary, request)
    engine.approve(app, item.id, user, opinion or f"已办理：{outcome.summary}", request=request)
    return outcome


def _apply(app: OfficiumApp, change: ChangeRequest) -> tuple[Outcome, bool]:
    """Make the change through the identity service functions; return what was done and whether the
    综合人员 role changed hands.  Re-checks everything: the organisation may have moved since the filing."""
    unit = change.unit
    try:
        if change.kind == "new_account":
            if not unit.active:
                raise ChangeError(f"{unit.name}已撤销，不能在其下新增账号。")
            if User.select().where(User.username == change.username).exists():
                raise ChangeError(f"用户名 {change.username} 已被占用，请退回申请人更换。")
            person, password = create_user(
                change.username, change.name, app.clock(), unit=unit, position=change.position
            )
            change.person = person
            return Outcome(
                f"已为{unit.name}新增账号 {person.username}（{person.name}）", person, password
            ), False
        person = User.get_by_id(change.person_id)
        if not person.is_active or person.unit_id != unit.id:
            raise ChangeError(f"{person.name} 已不是{unit.name}的在岗人员，请退回申请人。")
        before = len(reassign.open_work(person))
        held = [
            g.role for g in RoleGrant.select().where((RoleGrant.user == person) & (RoleGrant.unit == unit))
        ]
        if change.kind == "departure":
            set_status(person, "left")
            text = f"{person.name} 已离岗，账号已停用"
            clerk_changed = "clerk" in held
            user_change = UserChange("left", unit.id, unit.id)
        elif change.kind == "transfer":
            target = change.target_unit
            if not target.active:
                raise ChangeError(f"调入单位{target.name}已撤销，请退回申请人。")
            moving = change.roles_to_move
            if missing := [r for r in moving if r not in held]:
                raise ChangeError(
                    f"{person.name} 在{unit.name}已没有{'、'.join(missing)}角色，请退回申请人。"
                )
            User.update(unit=target, position=change.position).where(User.id == person.id).execute()
            person.unit, person.position = target, change.position
            refresh_person_index(person)
            granted, revoked = [], []
            for role in held:
                revoke_role(person, role, unit)
                revoked.append((role, unit.id))
                if role in moving:
                    grant_role(app.registry, person, role, target)
                    granted.append((role, target.id))
            text = f"{person.name} 已由{unit.name}调至{target.name}，任{change.position}"
            if moving:
                text += f"，{'、'.join(_role_title(app, r) for r in moving)}角色随调"
            clerk_changed = "clerk" in held
            user_change = UserChange("transfer", unit.id, target.id, tuple(granted), tuple(revoked))
        else:
            title = _role_title(app, change.role)
            if change.role_action == "grant":
                if change.role in held:
                    raise ChangeError(f"{person.name} 已是{unit.name}的{title}。")
                grant_role(app.registry, person, change.role, unit)
                text = f"已授予 {person.name} {unit.name}的{title}角色"
                user_change = UserChange("roles", unit.id, unit.id, granted=((change.role, unit.id),))
            else:
                if not revoke_role(person, change.role, unit):
                    raise ChangeError(f"{person.name} 已不是{unit.name}的{title}。")
                text = f"已撤销 {person.name} {unit.name}的{title}角色"
                user_change = UserChange("roles", unit.id, unit.id, revoked=((change.role, unit.id),))
            clerk_changed = change.role == "clerk"
        app.hook.user_changed(app=app, user=person, change=user_change)
        moved = before - len(reassign.open_work(person))
        if moved:
            text += f"；其 {moved} 件待办已改派"
        return Outcome(text, person, moved=moved), clerk_changed
    except AccountError as exc:
        raise ChangeError(str(exc)) from exc


def office(app: OfficiumApp) -> Unit | None:
    """The 办公室 (``office_unit`` setting)."""
    return Unit.get_or_none(Unit.code == app.settings(PLUGIN)["office_unit"])


def inform_office(
    app: OfficiumApp, instance: Instance, actor: User, what: str, request: Request | None = None
) -> list[User]:
    """传阅 the request to the office's leader and 综合人员 (待阅); returns who got it."""
    unit = office(app)
    if unit is None:
        return []
    readers = [
        u
        for u in User.select()
        .join(RoleGrant, on=(RoleGrant.user == User.id))
        .where((RoleGrant.unit == unit) & RoleGrant.role.in_(("leader", "clerk")))
        .order_by(User.id)
        .distinct()
        if u.is_active
    ]
    if not readers:
        return []
    items = engine.circulate(
        app, instance.id, actor, readers, note=f"综合人员角色变更，请办公室知悉：{what}", request=request
    )
    return [i.principal or i.assignee for i in items]


def tell_requester(app: OfficiumApp, instance: Instance) -> None:
    """Tell the 综合人员 who filed the request that it was carried out (the workflow's ``on_finish``)."""
    change = ChangeRequest.get_by_id(int(instance.object_id))
    notifications.notify(
        app,
        change.requested_by,
        DONE,
        f"变更申请已办结：{instance.title}",
        url=instance.url,
        body=change.result,
    )


# ------------------------------------------------------------------------------------------------ json


def serialize(app: OfficiumApp, change: ChangeRequest, instance: Instance | None) -> dict[str, Any]:
    """A request as the API shows it."""
    code, title = status(instance)
    return {
        "id": change.id,
        "kind": change.kind,
        "kind_title": change.kind_title,
        "summary": summary(app, change),
        "unit": change.unit.code,
        "requested_by": change.requested_by.username,
        "created_at": change.created_at.isoformat(),
        "reason": change.reason,
        "person": change.person.username if change.person_id else None,
        "name": change.name,
        "username": change.username,
        "position": change.position,
        "target_unit": change.target_unit.code if change.target_unit_id else None,
        "move_roles": change.roles_to_move,
        "role": change.role,
        "role_action": change.role_action,
        "status": code,
        "status_title": title,
        "carried_out_at": change.carried_out_at.isoformat() if change.carried_out_at else None,
        "carried_out_by": change.carried_out_by.username if change.carried_out_by_id else None,
        "result": change.result,
        "url": f"{URL}{change.id}",
    }
