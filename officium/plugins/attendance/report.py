"""The login-window report: who may see whom, and each person's periods on each working day.

A period is ``ok`` when the person had presence in it, ``missed`` when it ended without any, ``pending``
while it has not ended yet, and ``na`` when the rule does not ask for it (the clerks' windows of someone who
is not a clerk).  Clerks (综合人员) must cover every window and both half-days; everyone else both half-days.
Roles are taken as they are now: the report does not know who was a clerk on an earlier date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from peewee import JOIN

from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.workcalendar import is_workday
from officium.plugins.attendance.presence import covered
from officium.plugins.attendance.rules import Period, Rules

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp
    from officium.core.web.context import RequestContext

OWN = "attendance.own"
REPORT = "attendance.report"
REPORT_ALL = "attendance.report_all"
#: Roles whose holders see the report of the units they hold them for, and of those units' sub-units.
LEADER_ROLES = ("leader", "deputy_leader", "supervising_leader")
CLERK_ROLE = "clerk"

MARKS = {"ok": "✓", "missed": "✗", "pending": "未到", "na": "—"}
RESULTS = {"ok": "达标", "missed": "未达标", "pending": "进行中"}
WEEKDAYS = "一二三四五六日"


# ---------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """The units whose people a viewer may see: all of them, or ``unit_ids``."""

    everything: bool
    unit_ids: frozenset[int] = frozenset()

    def allows_unit(self, unit_id: int | None) -> bool:
        """Whether people whose primary unit is ``unit_id`` are visible (no unit: only to 'everything')."""
        return self.everything or (unit_id is not None and unit_id in self.unit_ids)


def children_map() -> dict[int | None, list[Unit]]:
    """Every unit by its parent's id, in display order."""
    tree: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in Unit.select().order_by(Unit.order, Unit.code):
        tree[unit.parent_id].append(unit)
    return tree


def with_descendants(unit_ids: Iterable[int], tree: dict[int | None, list[Unit]]) -> set[int]:
    """The units and all units below them."""
    found: set[int] = set()
    stack = list(unit_ids)
    while stack:
        unit_id = stack.pop()
        if unit_id in found:
            continue
        found.add(unit_id)
        stack.extend(child.id for child in tree.get(unit_id, []))
    return found


def scope_of(ctx: RequestContext) -> Scope:
    """What the signed-in user may see in the unit report (nothing without ``attendance.report``)."""
    if REPORT_ALL in ctx.permissions:
        return Scope(True)
    if REPORT not in ctx.permissions:
        return Scope(False)
    grants = list(
        RoleGrant.select(RoleGrant.unit).where(
            (RoleGrant.user == ctx.user) & RoleGrant.role.in_(LEADER_ROLES)
        )
    )
    if any(g.unit_id is None for g in grants):  # a site-wide leader grant covers every unit
        return Scope(True)
    return Scope(False, frozenset(with_descendants((g.unit_id for g in grants), children_map())))


def person_in_report(app: OfficiumApp, user_id: int) -> Person | None:
    """The person behind a report link: an active account that is not one of the three administrators."""
    found = describe(app, _people(user_ids=[user_id]))
    return found[0] if found else None


def may_see_person(ctx: RequestContext, person: Person) -> bool:
    """Object-level check of the per-person page: oneself, or someone in the viewer's units."""
    if person.user.id == ctx.user.id and OWN in ctx.permissions:
        return True
    return scope_of(ctx).allows_unit(person.user.unit_id)


def visible_units(scope: Scope) -> list[tuple[Unit, int]]:
    """Units for the filter, as ``(unit, depth)`` in tree order, limited to the scope."""
    tree = children_map()
    result: list[tuple[Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in tree.get(parent, []):
            shown = scope.allows_unit(unit.id)
            if shown:
                result.append((unit, depth))
            walk(unit.id, depth + 1 if shown else depth)

    walk(None, 0)
    return result


# --------------------------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Person:
    """Someone the report covers: the account, their unit, their role titles, whether a clerk."""

    user: User
    unit_name: str
    roles: str
    clerk: bool


def _admin_roles(app: OfficiumApp) -> list[str]:
    return [name for name, role in app.registry.roles.items() if role.admin]


def _people(user_ids: Sequence[int] | None = None, unit_ids: Iterable[int] | None = None) -> list[User]:
    query = User.select(User, Unit).join(Unit, on=(User.unit == Unit.id), join_type=JOIN.LEFT_OUTER)
    query = query.where(User.status == "active")
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    if unit_ids is not None:
        query = query.where(User.unit.in_(list(unit_ids)))
    return list(query.order_by(Unit.order, Unit.code, User.name, User.id))


def people(app: OfficiumApp, scope: Scope, unit_id: int | None = None) -> list[Person]:
    """Active staff (the three administrators are not staff) of the scope, or of one unit and its sub-units."""
    if unit_id is not None:
        unit_ids: set[int] | None = with_descendants([unit_id], children_map())
        if not scope.everything:
            unit_ids &= set(scope.unit_ids)
    else:
        unit_ids = None if scope.everything else set(scope.unit_ids)
    users = _people(unit_ids=unit_ids)
    return describe(app, users)


def describe(app: OfficiumApp, users: Sequence[User]) -> list[Person]:
    """Role titles and the clerk flag of each user; administrators are left out."""
    grants: dict[int, list[RoleGrant]] = defaultdict(list)
    ids = [u.id for u in users]
    for start in range(0, len(ids), 500):
        query = (
            RoleGrant.select(RoleGrant, Unit)
            .join(Unit, on=(RoleGrant.unit == Unit.id), join_type=JOIN.LEFT_OUTER)
            .where(RoleGrant.user.in_(ids[start : start + 500]))
            .order_by(RoleGrant.id)
        )
        for grant in query:
            grants[grant.user_id].append(grant)
    admin = set(_admin_roles(app))
    result = []
    for user in users:
        held = grants.get(user.id, [])
        if any(g.role in admin for g in held):
            continue
        titles = []
        for g in held:
            title = app.registry.roles[g.role].title if g.role in app.registry.roles else g.role
            if g.unit_id is not None and g.unit_id != user.unit_id:
                title += f"（{g.unit.name}）"
            if title not in titles:
                titles.append(title)
        result.append(
            Person(
                user=user,
                unit_name=user.unit.name if user.unit_id else "（未分配单位）",
                roles="、".join(titles) or "工作人员",
                clerk=any(g.role == CLERK_ROLE for g in held),
            )
        )
    return result


# ------------------------------------------------------------------------------------------------ days


def working_days(first: date, last: date) -> list[date]:
    """The working days from ``first`` to ``last`` (statutory holidays and 调休 from the core's calendar)."""
    days = []
    day = first
    while day <= last:
        if is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of ``month``'s month."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


@dataclass(frozen=True)
class DayRow:
    """One person on one working day: a mark per period (``ok``/``missed``/``pending``/``na``) and the result."""

    day: date
    marks: dict[str, str]
    result: str

    @property
    def weekday(self) -> str:
        """星期几 in Chinese."""
        return WEEKDAYS[self.day.weekday()]


def _ended(day: date, period: Period, now: datetime) -> bool:
    return datetime.combine(day, time()) + timedelta(minutes=period.end) <= now


def judge(rules: Rules, clerk: bool, day: date, present: set[str], now: datetime) -> DayRow:
    """The marks and the result of one person on one working day."""
    windows = {p.key for p in rules.windows}
    marks = {}
    for period in rules.periods:
        if period.key in windows and not clerk:
            marks[period.key] = "na"
        elif period.key in present:
            marks[period.key] = "ok"
        elif _ended(day, period, now):
            marks[period.key] = "missed"
        else:
            marks[period.key] = "pending"
    values = set(marks.values())
    result = "missed" if "missed" in values else "pending" if "pending" in values else "ok"
    return DayRow(day, marks, result)


@dataclass
class PersonDays:
    """A person and their rows over the report's days, with the month's totals."""

    person: Person
    rows: list[DayRow] = field(default_factory=list)

    @property
    def ok_days(self) -> int:
        """Days on which every required period was covered."""
        return sum(1 for r in self.rows if r.result == "ok")

    @property
    def missed_days(self) -> int:
        """Days with at least one missed period."""
        return sum(1 for r in self.rows if r.result == "missed")

    @property
    def counted_days(self) -> int:
        """Days already decided (not still in progress or in the future)."""
        return self.ok_days + self.missed_days

    def missed(self, keys: set[str]) -> int:
        """How many of the periods named by ``keys`` were missed over all days."""
        return sum(1 for r in self.rows for k, v in r.marks.items() if k in keys and v == "missed")


def build(rules: Rules, persons: Sequence[Person], days: Sequence[date], now: datetime) -> list[PersonDays]:
    """Each person's rows over ``days`` (working days only)."""
    result = [PersonDays(p) for p in persons]
    if not days or not persons:
        return result
    present = covered([p.user.id for p in persons], min(days), max(days), rules.periods)
    for entry in result:
        for day in days:
            entry.rows.append(
                judge(rules, entry.person.clerk, day, present.get((entry.person.user.id, day), set()), now)
            )
    return result


#: How long after a window ends its presence may still be arriving (a write that waited for the lock).
SETTLED = timedelta(minutes=1)
#: Answers kept per process in ``memo`` before it starts over.
MEMO_MAX = 10_000


def missed_windows_today(
    rules: Rules, user: User, now: datetime, memo: dict[Any, list[Period]] | None = None
) -> list[Period]:
    """The clerk windows of today that have ended without presence (empty on a day off).

    ``memo`` (the app's ``process_state``, for the 首页, which asks on every visit of every clerk) keeps the
    answer until another window ends: presence is recorded when it happens, so a window that ended (a
    minute ago, :data:`SETTLED`) gets none afterwards.  The calendar is read every time all the same.
    """
    today = now.date()
    # Which windows have ended is known without the database; the calendar is read only when some have.
    ended = [p for p in rules.windows if _ended(today, p, now)]
    if not ended or not is_workday(today):
        return []
    key = (user.id, today, tuple((p.key, p.start, p.end) for p in ended))
    if memo is not None and key in memo:
        return memo[key]
    present = covered([user.id], today, today, ended).get((user.id, today), set())
    missed = [p for p in ended if p.key not in present]
    settled = all(_ended(today, p, now - SETTLED) for p in ended)
    if memo is not None and settled:
        if len(memo) >= MEMO_MAX:
            memo.clear()
        memo[key] = missed
    return missed
