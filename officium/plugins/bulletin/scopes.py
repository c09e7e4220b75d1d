"""Scopes: who may read or publish in a column, and who reads one announcement.

A scope is a set of ``bulletin_scope`` rows: ``all`` (the whole bureau), ``unit`` (the members of a unit and
of every unit below it) or ``role`` (holders of a role in any unit).  A person is in the scope when any row
covers them.  An announcement without rows of its own (``own_scope`` False) is read by its column's readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from officium.core.identity.access import roles_of
from officium.core.identity.accounts import descendant_ids
from officium.core.identity.models import RoleGrant, Unit, User
from officium.plugins.bulletin.models import Announcement, Scope

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

READ = "column_read"
PUBLISH = "column_publish"
OWN = "announcement"
#: Roles a scope may name: the business roles every unit has (``staff`` is everybody: use ``all``).
SCOPE_ROLES = ("leader", "deputy_leader", "supervising_leader", "clerk")


@dataclass(frozen=True)
class Entry:
    """One row of a scope, before it is stored."""

    kind: str
    unit_id: int | None = None
    role: str = ""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as scopes see them: their unit with every unit above it, and their roles."""

    user: User
    units: tuple[int, ...]
    roles: frozenset[str]
    permissions: frozenset[str]


def unit_chain(user: User) -> tuple[int, ...]:
    """Ids of the person's unit and of every unit above it, in one statement whatever the depth.

    ``UNION`` (not ``UNION ALL``) drops a unit met twice, so a loop in the tree ends the walk.
    """
    if not user.unit_id:
        return ()
    return tuple(sorted(row[0] for row in unit_chain_query(user.unit_id).tuples()))


def unit_chain_query(unit_id: Any) -> Any:
    """The query of :func:`unit_chain` from the unit ``unit_id`` (a value or a prepared marker)."""
    start = Unit.select(Unit.id, Unit.parent).where(Unit.id == unit_id).cte("chain", recursive=True)
    above = Unit.select(Unit.id, Unit.parent).join(start, on=(Unit.id == start.c.parent_id))
    chain = start.union(above)
    return chain.select_from(chain.c.id)


def viewer(
    user: User,
    permissions: frozenset[str],
    roles: frozenset[str] | None = None,
    units: tuple[int, ...] | None = None,
) -> Viewer:
    """``roles`` and ``units``: the person's role names and unit chain when the caller already has them."""
    held = frozenset(roles_of(user)) if roles is None else roles
    return Viewer(user, unit_chain(user) if units is None else units, held, permissions)


def _covers(who: Viewer) -> Any:
    """The condition on ``Scope`` rows that cover ``who``."""
    return (
        (Scope.kind == "all")
        | ((Scope.kind == "unit") & Scope.unit.in_(list(who.units) or [0]))
        | ((Scope.kind == "role") & Scope.role.in_(sorted(who.roles) or [""]))
    )


def column_ids(who: Viewer, owner: str) -> set[int]:
    """Ids of the columns whose ``owner`` scope (READ or PUBLISH) covers ``who``."""
    rows = Scope.select(Scope.owner_id).where((Scope.owner == owner) & _covers(who)).distinct()
    return {r.owner_id for r in rows}


def readable(who: Viewer) -> Any:
    """The condition on ``Announcement`` that ``who`` is one of its readers (whatever its state)."""
    own = Scope.select(Scope.owner_id).where((Scope.owner == OWN) & _covers(who))
    # The columns as a subquery (what column_ids reads): one statement for the caller's query, not two.
    columns = Scope.select(Scope.owner_id).where((Scope.owner == READ) & _covers(who))
    return ((Announcement.own_scope == False) & Announcement.column.in_(columns)) | (  # noqa: E712
        (Announcement.own_scope == True) & Announcement.id.in_(own)  # noqa: E712
    )


def covers(who: Viewer, owner: str, owner_id: int) -> bool:
    return Scope.select().where((Scope.owner == owner) & (Scope.owner_id == owner_id) & _covers(who)).exists()


def is_reader(who: Viewer, announcement: Announcement) -> bool:
    if announcement.own_scope:
        return covers(who, OWN, announcement.id)
    return covers(who, READ, announcement.column_id)


def entries(owner: str, owner_id: int) -> list[Scope]:
    return list(
        Scope.select().where((Scope.owner == owner) & (Scope.owner_id == owner_id)).order_by(Scope.id)
    )


def reader_entries(announcement: Announcement) -> list[Scope]:
    """The rows saying who reads an announcement: its own, or its column's."""
    if announcement.own_scope:
        return entries(OWN, announcement.id)
    return entries(READ, announcement.column_id)


def store(owner: str, owner_id: int, wanted: Iterable[Entry]) -> None:
    """Replace the scope of ``owner`` ``owner_id`` with ``wanted``."""
    Scope.delete().where((Scope.owner == owner) & (Scope.owner_id == owner_id)).execute()
    for entry in dict.fromkeys(wanted):
        Scope.create(owner=owner, owner_id=owner_id, kind=entry.kind, unit=entry.unit_id, role=entry.role)


def describe(rows: Sequence[Scope | Entry], role_titles: dict[str, str]) -> str:
    """In Chinese, e.g. ``全局`` or ``办公室、人事处；综合人员``."""
    if any(r.kind == "all" for r in rows):
        return "全局（全体人员）"
    unit_ids = [r.unit_id for r in rows if r.kind == "unit"]
    names = {u.id: u.name for u in Unit.select().where(Unit.id.in_(unit_ids or [0]))}
    parts = []
    if unit_ids:
        parts.append("、".join(names.get(i, "?") for i in unit_ids))
    roles = [role_titles.get(r.role, r.role) for r in rows if r.kind == "role"]
    if roles:
        parts.append("角色：" + "、".join(roles))
    return "；".join(parts) or "（无人）"


def parse(everyone: bool, unit_codes: Sequence[str], roles: Sequence[str]) -> tuple[list[Entry], str]:
    """Entries from a form or JSON (``all``, unit codes, role names); the Chinese error, or ``""``."""
    if everyone:
        return [Entry("all")], ""
    found = {u.code: u for u in Unit.select().where(Unit.code.in_(list(unit_codes) or [""]) & Unit.active)}
    unknown = [c for c in unit_codes if c not in found]
    if unknown:
        return [], f"没有单位 {'、'.join(unknown)}。"
    bad_roles = [r for r in roles if r not in SCOPE_ROLES]
    if bad_roles:
        return [], f"不能按角色 {'、'.join(bad_roles)} 设定范围。"
    chosen = [Entry("unit", unit_id=found[c].id) for c in dict.fromkeys(unit_codes)]
    chosen += [Entry("role", role=r) for r in dict.fromkeys(roles)]
    if not chosen:
        return [], "请选择范围：全局，或至少一个单位或角色。"
    return chosen, ""


def as_data(rows: Sequence[Scope]) -> dict[str, Any]:
    """A scope for the JSON API and the forms: ``{"all": bool, "units": [codes], "roles": [names]}``."""
    unit_ids = [r.unit_id for r in rows if r.kind == "unit"]
    codes = {u.id: u.code for u in Unit.select().where(Unit.id.in_(unit_ids or [0]))}
    return {
        "all": any(r.kind == "all" for r in rows),
        "units": [codes[i] for i in unit_ids if i in codes],
        "roles": [r.role for r in rows if r.kind == "role"],
    }


def _admin_ids(app: OfficiumApp) -> Any:
    admin_roles = [name for name, role in app.registry.roles.items() if role.admin]
    return RoleGrant.select(RoleGrant.user).where(RoleGrant.role.in_(admin_roles or [""]))


def people(app: OfficiumApp, rows: Sequence[Scope]) -> Any:
    """The active staff (administrators excluded) a scope covers, as a query of ``User``."""
    query = User.select().where((User.status == "active") & User.id.not_in(_admin_ids(app)))
    if any(r.kind == "all" for r in rows):
        return query
    unit_ids: set[int] = set()
    for row in rows:
        if row.kind == "unit" and row.unit_id is not None:
            unit_ids.add(row.unit_id)
            unit_ids |= descendant_ids(Unit(id=row.unit_id))
    roles = [r.role for r in rows if r.kind == "role"]
    holders = RoleGrant.select(RoleGrant.user).where(RoleGrant.role.in_(roles or [""]))
    return query.where(User.unit.in_(sorted(unit_ids) or [0]) | User.id.in_(holders))


def readers(app: OfficiumApp, announcement: Announcement) -> Any:
    """The people who read an announcement."""
    return people(app, reader_entries(announcement))
