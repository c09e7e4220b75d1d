"""Addressing: the picker's tokens, what they stand for, their labels, and the recipient search.

A recipient field holds comma-separated tokens (the core person picker's plain-text form):

- ``zhou`` — a person (username);
- ``unit:BGS`` — the unit's mailbox (部门邮箱), read by the unit's 综合人员;
- ``members:BGS`` — every active member of the unit and of its sub-units;
- ``role:leader`` or ``role:clerk@BGS`` — everyone holding the role (in that unit);
- ``group:7`` — one of the sender's personal groups (expanded into people when the message is sent).

Anything with an ``@`` and a dot after it is an external address, refused unless the site relays it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from peewee import JOIN

from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.identity.people import parse_usernames, search_people
from officium.plugins.mail.models import Group

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

EXTERNAL_RE = re.compile(r"^[^@\s:]+@[^@\s]+\.[^@\s]+$")
#: Roles one cannot address: the implicit everybody role.
NOT_ADDRESSABLE = {"staff"}


class AddressError(ValueError):
    """A recipient field that cannot be used; ``message`` is shown beside it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Resolved:
    """What the fields of one message stand for."""

    #: user id → (user, kind); the first field naming a person wins (to before cc before bcc).
    people: dict[int, tuple[User, str]] = field(default_factory=dict)
    #: unit id → (unit, kind) for unit mailboxes.
    units: dict[int, tuple[Unit, str]] = field(default_factory=dict)
    #: external addresses (only when relaying is allowed).
    external: list[str] = field(default_factory=list)
    #: the tokens as stored on the message (groups expanded into usernames), per field.
    tokens: dict[str, list[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.people and not self.units and not self.external


def split(text: str | Iterable[str]) -> list[str]:
    """The tokens of a field (a string or a list of strings), in order, without repeats."""
    if not isinstance(text, str):
        text = ",".join(str(t) for t in text)
    return parse_usernames(text)


def is_external(token: str) -> bool:
    return bool(EXTERNAL_RE.match(token))


def admin_roles(app: OfficiumApp) -> list[str]:
    return [role.name for role in app.registry.roles.values() if role.admin]


def _active(query: Any) -> list[User]:
    return list(query.where(User.status == "active"))


def _role_holders(app: OfficiumApp, spec: str) -> list[User]:
    name, _, code = spec.partition("@")
    role = app.registry.roles.get(name)
    if role is None or role.admin or name in NOT_ADDRESSABLE:
        raise AddressError(f"没有可以发送的角色“{name}”。")
    query = User.select().join(RoleGrant, on=(RoleGrant.user == User.id)).where(RoleGrant.role == name)
    if code:
        unit = Unit.get_or_none((Unit.code == code) & Unit.active)
        if unit is None:
            raise AddressError(f"找不到单位“{code}”。")
        query = query.where(RoleGrant.unit == unit)
    return list({u.id: u for u in _active(query)}.values())


def _unit(code: str) -> Unit:
    unit = Unit.get_or_none((Unit.code == code) & Unit.active)
    if unit is None:
        raise AddressError(f"找不到单位“{code}”。")
    return unit


def unit_and_below(unit: Unit | int) -> list[int]:
    """The ids of an active unit and of every active unit under it (a 处 and its 科)."""
    found = [unit if isinstance(unit, int) else unit.id]
    frontier = list(found)
    while frontier:
        frontier = [u.id for u in Unit.select(Unit.id).where(Unit.parent.in_(frontier) & Unit.active)]
        found += [u for u in frontier if u not in found]
    return found


def unit_people(unit: Unit | int) -> list[User]:
    """Active people of the unit and its sub-units, by name."""
    return _active(User.select().where(User.unit.in_(unit_and_below(unit))).order_by(User.name))


def _group(owner: User, ident: str) -> Group:
    group = Group.get_or_none((Group.id == int(ident)) & (Group.owner == owner)) if ident.isdigit() else None
    if group is None:
        raise AddressError(f"找不到您的通讯组“{ident}”。")
    return group


def resolve(
    app: OfficiumApp, sender: User, fields: dict[str, str | list[str]], *, may_relay: bool = False
) -> Resolved:
    """Resolve the ``to``/``cc``/``bcc`` fields; raise :class:`AddressError` naming the first bad token.

    People reached through a unit, a role or a group leave the sender out; a person named by username
    is kept even when it is the sender.  A person named in several fields receives one copy, of the
    first field's kind.
    """
    out = Resolved()
    admins = set(admin_roles(app))
    admin_ids = (
        {g.user_id for g in RoleGrant.select(RoleGrant.user).where(RoleGrant.role.in_(list(admins)))}
        if admins
        else set()
    )
    for kind in ("to", "cc", "bcc"):
        stored: list[str] = []
        for token in split(fields.get(kind, "")):
            people: list[User] = []
            explicit = False
            if is_external(token):
                if not may_relay:
                    raise AddressError(f"工作邮件只能发给本系统内的人员和单位，不能发往外部地址“{token}”。")
                if token not in out.external:
                    out.external.append(token)
                stored.append(token)
                continue
            prefix, _, rest = token.partition(":")
            if not rest:
                person = User.get_or_none(User.username == token)
                if person is None or person.status != "active":
                    raise AddressError(f"找不到人员“{token}”（用户名）。")
                if person.id in admin_ids:
                    raise AddressError(f"“{person.name}”是系统管理账号，不能接收工作邮件。")
                people, explicit = [person], True
            elif prefix == "unit":
                unit = _unit(rest)
                out.units.setdefault(unit.id, (unit, kind))
            elif prefix == "members":
                unit = _unit(rest)
                people = unit_people(unit)
            elif prefix == "role":
                people = _role_holders(app, rest)
            elif prefix == "group":
                group = _group(sender, rest)
                members, _unknown = _group_members(group)
                stored.extend(m.username for m in members if m.username not in stored)
                for person in members:
                    out.people.setdefault(person.id, (person, kind))
                continue
            else:
                raise AddressError(f"无法识别的收件人“{token}”。")
            stored.append(token)
            for person in people:
                if person.id in admin_ids or (person.id == sender.id and not explicit):
                    continue
                out.people.setdefault(person.id, (person, kind))
        out.tokens[kind] = stored
    return out


def _group_members(group: Group) -> tuple[list[User], list[str]]:
    names = split(group.members)
    found = {u.username: u for u in _active(User.select().where(User.username.in_(names or [""])))}
    return [found[n] for n in names if n in found], [n for n in names if n not in found]


# ------------------------------------------------------------------------------------------- labels


def labels_for(app: OfficiumApp, tokens: Iterable[str], viewer: User | None = None) -> dict[str, str]:
    """A readable label per token: 周静（办公室）, 办公室（部门邮箱）, 办公室全体人员, 综合人员（办公室）…"""
    tokens = list(tokens)
    if not tokens:
        return {}
    plain = [t for t in tokens if ":" not in t and not is_external(t)]
    codes = {t.partition(":")[2].partition("@")[2] or t.partition(":")[2] for t in tokens if ":" in t}
    people = {
        u.username: u
        for u in User.select(User, Unit)
        .join(Unit, JOIN.LEFT_OUTER, on=(User.unit == Unit.id))
        .where(User.username.in_(plain or [""]))
    }
    units = {u.code: u.name for u in Unit.select().where(Unit.code.in_(list(codes) or [""]))}
    labels: dict[str, str] = {}
    for token in tokens:
        prefix, _, rest = token.partition(":")
        if is_external(token):
            labels[token] = f"{token}（外部）"
        elif not rest:
            person = people.get(token)
            unit = person.unit.name if person is not None and person.unit_id else ""
            labels[token] = (
                f"{person.name}（{unit}）"
                if person is not None and unit
                else (person.name if person is not None else token)
            )
        elif prefix == "unit":
            labels[token] = f"{units.get(rest, rest)}（部门邮箱）"
        elif prefix == "members":
            labels[token] = f"{units.get(rest, rest)}全体人员"
        elif prefix == "role":
            name, _, code = rest.partition("@")
            role = app.registry.roles.get(name)
            title = role.title if role is not None else name
            labels[token] = f"{title}（{units.get(code, code)}）" if code else f"全体{title}"
        elif prefix == "group":
            group = Group.get_or_none(Group.id == int(rest)) if rest.isdigit() else None
            mine = group is not None and viewer is not None and group.owner_id == viewer.id
            labels[token] = f"通讯组：{group.name}" if mine else token
        else:
            labels[token] = token
    return labels


# ------------------------------------------------------------------------------------------- search


def search(app: OfficiumApp, user: User, q: str, limit: int = 20) -> list[dict[str, Any]]:
    """Recipients for the picker: items shaped like the core people API (``username`` is the token)."""
    q = q.strip()
    items: list[dict[str, Any]] = []
    for group in Group.select().where(Group.owner == user).order_by(Group.name):
        if not q or q in group.name:
            items.append(
                {
                    "username": f"group:{group.id}",
                    "name": f"通讯组：{group.name}",
                    "unit": "",
                    "position": "个人通讯组",
                }
            )
    if q:
        units = Unit.select().where(Unit.active & (Unit.name.contains(q) | (Unit.code == q.upper())))
        for unit in units.order_by(Unit.order, Unit.id).limit(5):
            items.append(
                {
                    "username": f"unit:{unit.code}",
                    "name": f"{unit.name}（部门邮箱）",
                    "unit": "",
                    "position": "部门邮箱",
                }
            )
            items.append(
                {
                    "username": f"members:{unit.code}",
                    "name": f"{unit.name}全体人员",
                    "unit": "",
                    "position": "单位",
                }
            )
        for role in app.registry.roles.values():
            if not role.admin and role.name not in NOT_ADDRESSABLE and q in role.title:
                items.append(
                    {
                        "username": f"role:{role.name}",
                        "name": f"全体{role.title}",
                        "unit": "",
                        "position": "角色",
                    }
                )
    for person in search_people(q, admin_roles(app)).limit(max(0, limit - len(items))):
        items.append(
            {
                "username": person.username,
                "name": person.name,
                "unit": person.unit.name if person.unit_id else "",
                "position": person.position,
            }
        )
    return items[:limit]
