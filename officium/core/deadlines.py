"""Time limits (办理期限): overdue lights, the ``core.workflow_deadlines`` job and the overdue report.

An open 待办 with a due date is **green** until it is due within ``remind_before_days`` working days
(**yellow**, 黄灯: approaching), and **red** (红灯) once its due time has passed.  The job sends one reminder
per item to its holder (``reminded_at``) when it turns yellow or red, and once per item reports it to the
leader of the document's unit (``escalated_at``) when it is still open ``escalate_after_days`` working days
after its due date.  Items of suspended documents are left alone: their clock stops.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from peewee import JOIN, fn

from officium.core.db import write_transaction
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.notifications import notify, notify_many
from officium.core.registry import Setting
from officium.core.workcalendar import add_working_days
from officium.core.workflow.models import Instance, WorkItem

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: The core's own settings (``[plugins.core]`` in officium.toml).
SETTINGS = [
    Setting(
        "remind_before_days",
        "提前提醒的工作日数",
        int,
        1,
        description="待办事项在期限前这么多个工作日内亮黄灯，并提醒办理人一次。",
    ),
    Setting(
        "escalate_after_days",
        "超期上报的工作日数",
        int,
        1,
        description="期限过后这么多个工作日仍未办理的，报告文件所属单位的负责人（每个事项一次）。",
    ),
]

#: Items looked at per run of the job and per kind of notice; the rest wait for the next run.
BATCH = 2000
#: Roles whose holders see the overdue report of the units they hold the role for (and the units below).
SCOPED_ROLES = ("leader", "supervising_leader")
#: A holder of this role sees every unit.
ALL_UNITS_ROLE = "workflow_admin"


def approaching_until(app: OfficiumApp, now: datetime) -> datetime:
    """Due times up to this moment count as approaching (黄灯) at ``now`` (the 待办 lists' lights agree)."""
    return add_working_days(now, app.settings("core")["remind_before_days"])


def _open_with_deadline() -> Any:
    return (
        WorkItem.select(WorkItem, Instance)
        .join(Instance)
        .where(
            (WorkItem.kind == "todo")
            & (WorkItem.state == "open")
            & WorkItem.due_at.is_null(False)
            & (Instance.state == "running")
        )
    )


def _responsible(item: WorkItem) -> User:
    return item.principal if item.principal_id else item.assignee


def escalation_targets(item: WorkItem) -> list[User]:
    """The leaders an overdue item is reported to: role ``leader`` of the document's unit, looking up the
    unit tree past units whose only leader is the late person themselves."""
    late = _responsible(item)
    unit = item.instance.unit if item.instance.unit_id else late.unit if late.unit_id else None
    seen: set[int] = set()
    while unit is not None and unit.id not in seen:
        seen.add(unit.id)
        leaders = [
            u
            for u in User.select()
            .join(RoleGrant, on=(RoleGrant.user == User.id))
            .where((RoleGrant.role == "leader") & (RoleGrant.unit == unit) & (User.status == "active"))
            .order_by(User.id)
            if u.id not in (late.id, item.assignee_id)
        ]
        if leaders:
            return leaders
        unit = unit.parent
    return []


def check_deadlines(app: OfficiumApp) -> str:
    """The ``core.workflow_deadlines`` job: remind holders once, escalate to unit leaders once."""
    now = app.clock()
    until = approaching_until(app, now)
    reminded = escalated = unreported = 0
    due_soon = (
        _open_with_deadline()
        .where(WorkItem.reminded_at.is_null() & (WorkItem.due_at <= until))
        .order_by(WorkItem.due_at, WorkItem.id)
        .limit(BATCH)
    )
    for item in list(due_soon):
        with write_transaction(app.db):
            claimed = (
                WorkItem.update(reminded_at=now)
                .where((WorkItem.id == item.id) & WorkItem.reminded_at.is_null() & (WorkItem.state == "open"))
                .execute()
            )
            if not claimed:
                continue
            late = item.due_at < now
            notify(
                app,
                item.assignee,
                "core.work_due",
                f"{'已超期' if late else '即将到期'}：《{item.title}》",
                url=item.url,
                body=(
                    f"该事项的办理期限是 {item.due_at:%Y-%m-%d %H:%M}，"
                    + ("已经超期，请尽快办理。" if late else "请在期限前办理。")
                ),
            )
            reminded += 1

    delay = app.settings("core")["escalate_after_days"]
    thresholds: dict[date, datetime] = {}
    overdue = (
        _open_with_deadline()
        .where(WorkItem.escalated_at.is_null() & (WorkItem.due_at < now))
        .order_by(WorkItem.due_at, WorkItem.id)
        .limit(BATCH)
    )
    for item in list(overdue):
        day = item.due_at.date()
        if day not in thresholds:
            thresholds[day] = add_working_days(item.due_at, delay)
        if now <= thresholds[day]:
            break  # ordered by due time: every later item is within its delay too
        leaders = escalation_targets(item)
        if not leaders:
            unreported += 1
            continue
        with write_transaction(app.db):
            claimed = (
                WorkItem.update(escalated_at=now)
                .where(
                    (WorkItem.id == item.id) & WorkItem.escalated_at.is_null() & (WorkItem.state == "open")
                )
                .execute()
            )
            if not claimed:
                continue
            late = _responsible(item)
            notify_many(
                app,
                leaders,
                "core.work_escalated",
                f"超期未办：{late.name}《{item.title}》",
                url=item.url,
                body=f"{late.name} 的待办事项已超过办理期限（{item.due_at:%Y-%m-%d}），至今未办理。",
            )
            escalated += 1
    message = f"提醒 {reminded} 项，上报 {escalated} 项"
    if unreported:
        message += f"，{unreported} 项找不到可上报的单位负责人"
    return message + "。"


# ------------------------------------------------------------------------------------------ report


@dataclass
class PersonLine:
    """One person's line of the overdue report."""

    user: User
    unit_name: str
    overdue_now: int = 0
    finished_late: int = 0


@dataclass
class UnitLine:
    """One unit's line: the sum over its people."""

    unit_name: str
    overdue_now: int = 0
    finished_late: int = 0
    people: int = 0


@dataclass
class OverdueReport:
    """The overdue report for a period, limited to what the viewer may see."""

    start: date
    end: date
    people: list[PersonLine] = field(default_factory=list)
    units: list[UnitLine] = field(default_factory=list)
    #: None: every unit; otherwise the ids of the units the viewer sees.
    scope: set[int] | None = None


def visible_units(user: User) -> set[int] | None:
    """Units whose figures ``user`` may see: None for all (流程管理员, or a leader role held site-wide),
    else the units they lead or supervise and every unit below them."""
    grants = list(
        RoleGrant.select().where(
            (RoleGrant.user == user) & RoleGrant.role.in_((*SCOPED_ROLES, ALL_UNITS_ROLE))
        )
    )
    if any(g.role == ALL_UNITS_ROLE or g.unit_id is None for g in grants):
        return None
    children: dict[int | None, list[int]] = {}
    for unit in Unit.select(Unit.id, Unit.parent):
        children.setdefault(unit.parent_id, []).append(unit.id)
    found: set[int] = set()
    stack = [g.unit_id for g in grants]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def _counts(query: Any) -> dict[int, int]:
    person = fn.COALESCE(WorkItem.principal, WorkItem.assignee)
    rows = query.select(person.alias("person"), fn.COUNT(WorkItem.id).alias("n")).group_by(person).dicts()
    return {row["person"]: row["n"] for row in rows}


def overdue_report(viewer: User, start: date, end: date, now: datetime) -> OverdueReport:
    """Open items overdue at ``now`` and items finished late between ``start`` and ``end`` (inclusive),
    per person (the principal for delegated work) and per unit, limited to the viewer's units."""
    scope = visible_units(viewer)
    overdue_now = _counts(
        WorkItem.select()
        .join(Instance)
        .where(
            (WorkItem.kind == "todo")
            & (WorkItem.state == "open")
            & (WorkItem.due_at < now)
            & (Instance.state == "running")
        )
    )
    finished_late = _counts(
        WorkItem.select().where(
            (WorkItem.kind == "todo")
            & (WorkItem.state == "done")
            & WorkItem.due_at.is_null(False)
            & (WorkItem.done_at >= datetime.combine(start, datetime.min.time()))
            & (WorkItem.done_at < datetime.combine(end + timedelta(days=1), datetime.min.time()))
            & (WorkItem.done_at > WorkItem.due_at)
        )
    )
    ids = set(overdue_now) | set(finished_late)
    report = OverdueReport(start=start, end=end, scope=scope)
    units: dict[str, UnitLine] = {}
    people = (
        User.select(User, Unit)
        .join(Unit, JOIN.LEFT_OUTER, on=(User.unit == Unit.id))
        .where(User.id.in_(sorted(ids)))
        if ids
        else []
    )
    for user in people:
        if scope is not None and user.unit_id not in scope:
            continue
        unit_name = user.unit.name if user.unit_id else "（未分配单位）"
        line = PersonLine(user, unit_name, overdue_now.get(user.id, 0), finished_late.get(user.id, 0))
        report.people.append(line)
        total = units.setdefault(unit_name, UnitLine(unit_name))
        total.overdue_now += line.overdue_now
        total.finished_late += line.finished_late
        total.people += 1
    report.people.sort(key=lambda p: (-p.overdue_now, -p.finished_late, p.unit_name, p.user.name))
    report.units = sorted(units.values(), key=lambda u: (-u.overdue_now, -u.finished_late, u.unit_name))
    return report


def _cell(value: object) -> str:
    text = str(value)
    # a cell starting with = + - @ would be run as a formula by a spreadsheet
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: OverdueReport, by: str) -> str:
    """The report as CSV (UTF-8 with BOM, so that Excel reads the Chinese), ``by`` person or unit."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    period = f"{report.start:%Y-%m-%d}至{report.end:%Y-%m-%d}"
    rows: Iterable[list[object]]
    if by == "unit":
        writer.writerow(["单位", "人数", "当前超期未办", f"超期办结（{period}）"])
        rows = ([u.unit_name, u.people, u.overdue_now, u.finished_late] for u in report.units)
    else:
        writer.writerow(["单位", "姓名", "用户名", "当前超期未办", f"超期办结（{period}）"])
        rows = (
            [p.unit_name, p.user.name, p.user.username, p.overdue_now, p.finished_late] for p in report.people
        )
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
