"""The rules of 外出授权 and what they do to work items.

Who holds an open work item of a principal A is decided by the clock and A's delegations alone: while a
delegation A→B is active (``start_at <= now < end_at``, not revoked) and covers the item's module, the
item belongs with B (``assignee=B, principal=A``); otherwise with A (``assignee=A, principal=None``).
:func:`reconcile` makes the work items say so for one principal; it is idempotent.

Three things apply it:

- :func:`create` and :func:`revoke`, in the request's transaction;
- :func:`sync_delegations`, which marks due delegations active and expired ones ended and reconciles their
  principals.  It needs no background job to be correct: :func:`sync_if_due` (one cheap query when
  nothing is due) runs before every HTTP request (the plugin's middleware), at start-up, and at the start
  of every hook implementation that reads delegation state.  A job may call it too;
- :func:`delegate_for`, the engine's ``workflow_assignee`` answer for new items, which reads the clock
  directly and is right even before any sync ran.

Not transitive: only A's *own* items (``principal`` empty) ever move to A's delegate, so an item B holds
for A stays with B even when B has delegated to C, and B's delegation never moves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from peewee import PostgresqlDatabase

from officium.core import audit, notifications
from officium.core.db import write_transaction
from officium.core.identity.access import is_admin, roles_of
from officium.core.identity.models import User
from officium.core.registry import NotificationType
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.delegation.models import MODULES_MAX, REASON_MAX, Delegation

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

#: Plugins whose work is never delegated, whatever the scope: seal custody (电子印章) stays with the
#: designated custodian.  Add the name of any module whose items must never change hands.
EXCLUDED_PLUGINS = frozenset({"seals"})

#: Work item states that are still to be done, and so move with a delegation.
OPEN_STATES = ("open", "waiting")

STATE_LABELS = {"pending": "待生效", "active": "生效中", "ended": "已结束", "revoked": "已收回"}
STATE_TONES = {"pending": "info", "active": "ok", "ended": "muted", "revoked": "muted"}
ALL_MODULES = "全部模块"
#: How a delegation's period is shown.
PERIOD_FORMAT = "%Y-%m-%d %H:%M"

DEFAULT_MAX_DAYS = 90

GRANTED = "delegation.granted"
ENDED = "delegation.ended"
NOTIFICATION_TYPES = [
    NotificationType(GRANTED, "有人授权我代办", description="同事外出前授权您代为办理其待办"),
    NotificationType(ENDED, "外出授权结束", description="授权到期或授权人返回，未办完的待办交回授权人"),
]
RECEIVED_URL = "/delegation/received"
MINE_URL = "/delegation/"


class DelegationError(Exception):
    """A request that breaks a rule; ``fields`` maps form fields to Chinese messages."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.status = status


# ------------------------------------------------------------------------------------------- facts


def is_administrator(app: OfficiumApp, user: User) -> bool:
    """Whether ``user`` holds one of the three administrator roles (三员), who never delegate."""
    return is_admin(app.registry, roles_of(user))


def can_be_delegate(app: OfficiumApp, user: User) -> bool:
    """An active account without an administrator role."""
    return user.is_active and not is_administrator(app, user)


def module_choices(app: OfficiumApp) -> list[tuple[str, str]]:
    """``(plugin name, title)`` of the modules a delegation may cover: those that declare workflows."""
    names = {key.split(".", 1)[0] for key in app.registry.workflows} - EXCLUDED_PLUGINS
    return [(name, module_title(app, name)) for name in sorted(names)]


def module_title(app: OfficiumApp, name: str) -> str:
    """A plugin's title, or its name when it is not enabled."""
    try:
        return app.plugin(name).info.title
    except KeyError:
        return name


def covers(delegation: Delegation, plugin: str) -> bool:
    """Whether the delegation's scope includes ``plugin``'s work."""
    if plugin in EXCLUDED_PLUGINS:
        return False
    return delegation.all_modules or plugin in delegation.module_names


def scope_label(app: OfficiumApp, delegation: Delegation) -> str:
    """全部模块, or the titles of the chosen modules."""
    if delegation.all_modules:
        return ALL_MODULES
    return "、".join(module_title(app, name) for name in delegation.module_names)


def is_active(delegation: Delegation, now: datetime) -> bool:
    """Active by the clock: started, not yet at its end, not revoked."""
    return delegation.revoked_at is None and delegation.start_at <= now < delegation.end_at


def state_of(delegation: Delegation, now: datetime) -> str:
    """``pending``, ``active``, ``ended`` or ``revoked`` (labels in :data:`STATE_LABELS`), by the clock."""
    if delegation.revoked_at is not None:
        return "revoked"
    if now >= delegation.end_at:
        return "ended"
    if now >= delegation.start_at:
        return "active"
    return "pending"


def period_label(delegation: Delegation) -> str:
    """``2026-03-02 09:00 至 2026-03-06 18:00``."""
    return f"{delegation.start_at:{PERIOD_FORMAT}} 至 {delegation.end_at:{PERIOD_FORMAT}}"


def _scope_condition(delegation: Delegation) -> Any:
    if delegation.all_modules:
        return WorkItem.plugin.not_in(sorted(EXCLUDED_PLUGINS))
    return WorkItem.plugin.in_([n for n in delegation.module_names if n not in EXCLUDED_PLUGINS] or [""])


def _active_rows(principal_id: int, now: datetime) -> list[Delegation]:
    return list(
        Delegation.select()
        .where(
            (Delegation.principal == principal_id)
            & Delegation.revoked_at.is_null()
            & (Delegation.start_at <= now)
            & (Delegation.end_at > now)
        )
        .order_by(Delegation.start_at, Delegation.id)
    )


def active_for(app: OfficiumApp, user: User, plugin: str, now: datetime | None = None) -> Delegation | None:
    """The delegation of ``user`` that covers ``plugin`` at ``now`` (by the clock), if any."""
    if plugin in EXCLUDED_PLUGINS:
        return None
    now = now or app.clock()
    for delegation in _active_rows(user.id, now):
        if covers(delegation, plugin):
            return delegation
    return None


def delegate_for(app: OfficiumApp, user: User, plugin: str) -> User | None:
    """Who should hold new work of ``user`` in ``plugin`` (the ``workflow_assignee`` answer), or None.

    Judged from the clock directly.  Only the principal's own delegation counts: the engine asks once per
    item and never asks again for the delegate, so delegation is not transitive.
    """
    delegation = active_for(app, user, plugin)
    if delegation is None:
        return None
    delegate = delegation.delegate
    return delegate if can_be_delegate(app, delegate) else None


# ------------------------------------------------------------------------------------- work items


def _open(query_where: Any) -> Any:
    return query_where & WorkItem.state.in_(OPEN_STATES)


def held_count(delegation: Delegation) -> int:
    """Open items the delegate holds for the principal within this delegation's scope."""
    return (
        WorkItem.select()
        .where(
            _open(
                (WorkItem.principal == delegation.principal_id)
                & (WorkItem.assignee == delegation.delegate_id)
                & _scope_condition(delegation)
            )
        )
        .count()
    )


def _fixed_steps(app: OfficiumApp) -> Any:
    """A condition excluding the work items of steps declared ``delegable=False`` (用印: seal custody)."""
    condition = None
    for key, workflow in app.registry.workflows.items():
        plugin = key.split(".", 1)[0]
        for step in workflow.steps:
            if not step.delegable:
                clause = (WorkItem.plugin == plugin) & (WorkItem.step == step.name)
                condition = clause if condition is None else (condition | clause)
    return ~condition if condition is not None else None


def _lock_documents(app: OfficiumApp, principal_id: int) -> None:
    """On PostgreSQL, lock the documents whose items may move, as the engine's actions do, in id order.

    An action on one of them (which locks the document, then re-reads its item) then waits for the move
    and sees the item's new holder, instead of closing an item that has just changed hands.
    """
    if not isinstance(app.db, PostgresqlDatabase):
        return  # SQLite runs one writer at a time
    mine = (WorkItem.principal == principal_id) | (
        (WorkItem.assignee == principal_id) & WorkItem.principal.is_null()
    )
    documents = WorkItem.select(WorkItem.instance).where(_open(mine))
    list(Instance.select(Instance.id).where(Instance.id.in_(documents)).order_by(Instance.id).for_update())


def reconcile(app: OfficiumApp, principal_id: int, now: datetime | None = None) -> tuple[int, int]:
    """Put every open item of one principal where the clock says it belongs; return (moved, returned).

    Items held for the principal by someone no active delegation names for the item's module go back to
    the principal; the principal's own open items in the scope of an active delegation go to its
    delegate.  Items the principal holds for somebody else (``principal`` set) are never touched.
    """
    now = now or app.clock()
    _lock_documents(app, principal_id)
    active = [d for d in _active_rows(principal_id, now) if can_be_delegate(app, d.delegate)]
    held = WorkItem.principal == principal_id
    if active:
        keep = None
        for delegation in active:
            clause = (WorkItem.assignee == delegation.delegate_id) & _scope_condition(delegation)
            keep = clause if keep is None else (keep | clause)
        held = held & ~keep
    returned = WorkItem.update(assignee=principal_id, principal=None).where(_open(held)).execute()
    moved = 0
    fixed = _fixed_steps(app)
    for delegation in active:
        movable = (
            (WorkItem.assignee == principal_id) & WorkItem.principal.is_null() & _scope_condition(delegation)
        )
        if fixed is not None:
            movable = movable & fixed
        moved += (
            WorkItem.update(assignee=delegation.delegate_id, principal=principal_id)
            .where(_open(movable))
            .execute()
        )
    return moved, returned


# ------------------------------------------------------------------------------------------ audit


def _who(user: User) -> str:
    return user.name


def _summary(app: OfficiumApp, delegation: Delegation, text: str) -> str:
    return f"{_who(delegation.principal)} 对 {_who(delegation.delegate)} 的授权（{scope_label(app, delegation)}）{text}"


def _audit(
    app: OfficiumApp,
    verb: str,
    delegation: Delegation,
    summary: str,
    *,
    actor: User | None = None,
    request: Request | None = None,
) -> None:
    audit.record(
        app,
        f"delegation.{verb}",
        actor=actor,
        request=request,
        object_type="delegation",
        object_id=delegation.id,
        summary=summary,
        detail={
            "principal": delegation.principal.username,
            "delegate": delegation.delegate.username,
            "modules": "all" if delegation.all_modules else delegation.module_names,
            "start": delegation.start_at.isoformat(),
            "end": delegation.end_at.isoformat(),
        },
    )


# ------------------------------------------------------------------------------------------- sync


def _inactive_users() -> Any:
    return User.select(User.id).where(User.status != "active")


def _due_query(now: datetime) -> Any:
    live = Delegation.status.in_(("scheduled", "active"))
    return Delegation.select(Delegation.id).where(
        ((Delegation.status == "scheduled") & (Delegation.start_at <= now))
        | (
            live
            & (
                (Delegation.end_at <= now)
                | Delegation.delegate.in_(_inactive_users())
                | Delegation.principal.in_(_inactive_users())
            )
        )
    )


def is_due(app: OfficiumApp) -> bool:
    """Whether some delegation has to start or end now (one indexed query)."""
    return _due_query(app.clock()).exists()


#: How often each process looks for due starts and ends.  The check ran before every request and cost
#: more than a whole ``/health``; once a second keeps its promise: no request acts on delegation state
#: more than a second stale (and :func:`delegate_for` judges new work by the clock anyway).
SYNC_INTERVAL = timedelta(seconds=1)
#: Key in ``app.process_state``: when this process last found nothing due (or applied what was).
CHECKED_AT = "delegation.checked_at"


def sync_if_due(app: OfficiumApp) -> list[tuple[Delegation, str]]:
    """:func:`sync_delegations` when something is due, checked at most once per ``SYNC_INTERVAL`` here."""
    now = app.clock()
    checked = app.process_state.get(CHECKED_AT)
    # A clock set back (tests, an NTP step) checks again rather than waiting out the gap.
    if checked is not None and checked <= now < checked + SYNC_INTERVAL:
        return []
    events = sync_delegations(app) if is_due(app) else []
    app.process_state[CHECKED_AT] = now
    return events


def sync_delegations(app: OfficiumApp) -> list[tuple[Delegation, str]]:
    """Apply every start and end that is due; return ``(delegation, "activate"|"expire"|"invalidate")``.

    Ends come before starts, so that a hand-over (A→B ends when A→C starts) leaves the items with C.
    Each transition is claimed with a conditional update, so two processes never apply one twice.
    Runs in its own transaction (a savepoint inside a caller's).
    """
    now = app.clock()
    events: list[tuple[Delegation, str]] = []
    with write_transaction(app.db):
        gone = _inactive_users()
        ending = list(
            Delegation.select()
            .where(
                Delegation.status.in_(("scheduled", "active"))
                & (
                    (Delegation.end_at <= now)
                    | Delegation.delegate.in_(gone)
                    | Delegation.principal.in_(gone)
                )
            )
            .order_by(Delegation.end_at, Delegation.id)
        )
        for delegation in ending:
            reason = "expired" if delegation.end_at <= now else "invalid"
            if _end(app, delegation, now, reason) is not None:
                events.append((delegation, "expire" if reason == "expired" else "invalidate"))
        starting = list(
            Delegation.select()
            .where(
                (Delegation.status == "scheduled")
                & (Delegation.start_at <= now)
                & (Delegation.end_at > now)
                & Delegation.revoked_at.is_null()
            )
            .order_by(Delegation.start_at, Delegation.id)
        )
        for delegation in starting:
            if _activate(app, delegation, now):
                events.append((delegation, "activate"))
    return events


def _activate(
    app: OfficiumApp, delegation: Delegation, now: datetime, request: Request | None = None
) -> bool:
    claimed = (
        Delegation.update(status="active", activated_at=now)
        .where((Delegation.id == delegation.id) & (Delegation.status == "scheduled"))
        .execute()
    )
    if not claimed:
        return False
    reconcile(app, delegation.principal_id, now)
    text = f"生效，{_who(delegation.delegate)} 现代为办理 {held_count(delegation)} 项待办"
    _audit(app, "activate", delegation, _summary(app, delegation, text), request=request)
    return True


def _end(
    app: OfficiumApp,
    delegation: Delegation,
    now: datetime,
    reason: str,
    *,
    actor: User | None = None,
    request: Request | None = None,
) -> int | None:
    """End a live delegation (``reason`` in END_REASONS), give its items back, audit; None if already ended.

    The claim is a conditional update, so two requests or processes never end one delegation twice.
    """
    returned = held_count(delegation)
    early = reason != "expired"
    condition = (Delegation.id == delegation.id) & Delegation.status.in_(("scheduled", "active"))
    if early:
        condition &= Delegation.revoked_at.is_null() & (Delegation.end_at > now)
    claimed = (
        Delegation.update(status="ended", ended_at=now, end_reason=reason, revoked_at=now if early else None)
        .where(condition)
        .execute()
    )
    if not claimed:
        return None
    reconcile(app, delegation.principal_id, now)
    if reason == "expired":
        verb, text = "expire", f"到期结束，交回 {returned} 项待办"
    elif reason == "revoked":
        verb = "revoke"
        text = f"收回，交回 {returned} 项待办" if delegation.start_at <= now else "在生效前取消"
    else:
        verb, text = "invalidate", f"因一方账号已停用或成为三员而自动收回，交回 {returned} 项待办"
    _audit(app, verb, delegation, _summary(app, delegation, text), actor=actor, request=request)
    principal, delegate = delegation.principal, delegation.delegate
    if reason == "revoked" and delegation.start_at > now:
        told = f"{principal.name} 取消了对您的授权（尚未生效）"
    else:
        why = {"expired": "已到期", "revoked": "已收回（授权人已返回）"}.get(reason, "已自动收回")
        told = f"{principal.name} 对您的授权{why}，{returned} 项未办完的待办已交回 {principal.name}"
    notifications.notify(app, delegate, ENDED, told, url=RECEIVED_URL)
    if reason != "revoked":
        notifications.notify(
            app,
            principal,
            ENDED,
            f"您对 {delegate.name} 的授权{'已到期' if reason == 'expired' else '已自动收回'}，"
            f"{returned} 项未办完的待办已交回给您",
            url=MINE_URL,
        )
    return returned


def run_job(app: OfficiumApp) -> str:
    """The periodic job: apply due starts and ends (the requests do it too; this keeps quiet sites tidy)."""
    events = sync_delegations(app)
    counts = {verb: sum(1 for _, v in events if v == verb) for verb in ("activate", "expire", "invalidate")}
    return f"生效 {counts['activate']} 项，到期 {counts['expire']} 项，自动收回 {counts['invalidate']} 项"


def on_user_changed(app: OfficiumApp, user: User, kind: str) -> int:
    """A person left or became one of the 三员: end every live delegation they are part of.

    Runs before the core hands the person's open work on, so items they held as someone's delegate are
    back with their owner first, and items a delegate held for them are back with them (and move on with
    the rest of their work).  Returns how many delegations ended.
    """
    if kind == "transfer" or (kind == "roles" and not is_administrator(app, user)):
        return 0
    now = app.clock()
    ended = 0
    with write_transaction(app.db):
        rows = Delegation.select().where(
            ((Delegation.principal == user) | (Delegation.delegate == user))
            & Delegation.status.in_(("scheduled", "active"))
            & (Delegation.end_at > now)
        )
        for delegation in list(rows):
            if _end(app, delegation, now, "invalid") is not None:
                ended += 1
    return ended


# ----------------------------------------------------------------------------------- create/revoke


@dataclass
class Draft:
    """A delegation as asked for, before the rules are checked."""

    delegate: str = ""
    start: str = ""
    end: str = ""
    all_modules: bool = True
    modules: list[str] = field(default_factory=list)
    reason: str = ""


def parse_time(text: str) -> datetime | None:
    """``2026-03-02T09:00`` (a datetime-local field), ``2026-03-02 09:00`` or full ISO; None if bad.

    A time with a zone is turned into the server's local time, which the whole site uses.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        return None
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value


@dataclass
class Checked:
    """A draft that passed the rules, ready to be stored."""

    delegate: User
    start: datetime
    end: datetime
    all_modules: bool
    modules: list[str]
    reason: str


def max_days(app: OfficiumApp) -> int:
    """The longest delegation allowed, in days (``[plugins.delegation] max_days``)."""
    return int(app.settings("delegation").get("max_days", DEFAULT_MAX_DAYS))


def check(app: OfficiumApp, principal: User, draft: Draft, now: datetime) -> Checked:
    """Apply every rule to ``draft``; raise :class:`DelegationError` with messages beside the fields."""
    if is_administrator(app, principal):
        raise DelegationError(
            "三员（系统管理员、安全保密管理员、安全审计员）的职责不能授权他人代办。", status=403
        )
    errors: dict[str, str] = {}
    delegate = None
    username = draft.delegate.strip()
    if not username:
        errors["delegate"] = "请选择被授权人。"
    else:
        delegate = User.get_or_none(User.username == username)
        if delegate is None or not delegate.is_active:
            errors["delegate"] = f"找不到在岗人员“{username}”（账号不存在或已停用）。"
        elif delegate.id == principal.id:
            errors["delegate"] = "不能授权给自己，请选择另一位同事。"
        elif is_administrator(app, delegate):
            errors["delegate"] = "不能授权给三员（系统管理员、安全保密管理员、安全审计员）。"
    start = parse_time(draft.start) if draft.start.strip() else now
    end = parse_time(draft.end) if draft.end.strip() else None
    if start is None:
        errors["start"] = "开始时间格式不正确，应为 2026-03-02 09:00 这样的时间。"
    elif start < now:
        start = now  # a delegation cannot act in the past: one that "started" earlier starts now
    if not draft.end.strip():
        errors["end"] = "请填写结束时间。"
    elif end is None:
        errors["end"] = "结束时间格式不正确，应为 2026-03-06 18:00 这样的时间。"
    elif end <= now:
        errors["end"] = "结束时间应晚于当前时间。"
    elif start is not None and end <= start:
        errors["end"] = "结束时间应晚于开始时间。"
    elif start is not None and end - start > timedelta(days=max_days(app)):
        errors["end"] = f"一次授权最长 {max_days(app)} 天，请缩短期限，返回后需要时再授权。"
    choices = dict(module_choices(app))
    modules: list[str] = []
    if not draft.all_modules:
        modules = list(dict.fromkeys(m.strip() for m in draft.modules if m.strip()))
        unknown = [m for m in modules if m not in choices]
        if not modules:
            errors["modules"] = "请至少选择一个模块，或选择“全部模块”。"
        elif unknown:
            errors["modules"] = f"不能授权的模块：{'、'.join(unknown)}。"
        elif len(",".join(modules)) > MODULES_MAX:
            errors["modules"] = "选择的模块过多，请选择“全部模块”。"
    reason = draft.reason.strip()
    if not reason:
        errors["reason"] = "请填写事由，例如：出差、休假。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"事由不能超过 {REASON_MAX} 个字（现有 {len(reason)} 个）。"
    if not errors and start is not None and end is not None:
        clash = overlapping(principal, start, end, draft.all_modules, modules)
        if clash is not None:
            errors["modules"] = (
                f"与已有的授权重叠：授权 {clash.delegate.name}，{period_label(clash)}，"
                f"{scope_label(app, clash)}。同一模块同一时间只能授权给一人，请先收回原授权，或调整时间或范围。"
            )
    if errors:
        raise DelegationError("提交的内容不正确。", errors)
    assert delegate is not None and start is not None and end is not None
    return Checked(delegate, start, end, draft.all_modules, modules, reason)


def overlapping(
    principal: User, start: datetime, end: datetime, all_modules: bool, modules: Iterable[str]
) -> Delegation | None:
    """A live delegation of ``principal`` whose period and scope meet the asked ones, if any."""
    wanted = set(modules)
    rows = Delegation.select().where(
        (Delegation.principal == principal)
        & Delegation.revoked_at.is_null()
        & (Delegation.status != "ended")
        & (Delegation.start_at < end)
        & (Delegation.end_at > start)
    )
    for row in rows.order_by(Delegation.start_at):
        if all_modules or row.all_modules or wanted & set(row.module_names):
            return row
    return None


def _lock_user(app: OfficiumApp, user: User) -> None:
    """Serialise one principal's changes on PostgreSQL (SQLite serialises writers by itself)."""
    if isinstance(app.db, PostgresqlDatabase):
        User.select(User.id).where(User.id == user.id).for_update().execute()


def create(app: OfficiumApp, principal: User, draft: Draft, request: Request | None = None) -> Delegation:
    """Store a delegation after checking the rules; when it starts now, move the items in this transaction."""
    now = app.clock()
    with write_transaction(app.db):
        sync_if_due(app)
        _lock_user(app, principal)
        checked = check(app, principal, draft, now)
        delegation = Delegation.create(
            principal=principal,
            delegate=checked.delegate,
            all_modules=checked.all_modules,
            modules=",".join(checked.modules),
            reason=checked.reason,
            start_at=checked.start,
            end_at=checked.end,
            status="scheduled",
            created_at=now,
        )
        _audit(
            app,
            "create",
            delegation,
            f"{principal.name} 授权 {checked.delegate.name} 代办（{scope_label(app, delegation)}），"
            f"{period_label(delegation)}，事由：{checked.reason}",
            actor=principal,
            request=request,
        )
        notifications.notify(
            app,
            checked.delegate,
            GRANTED,
            f"{principal.name} 授权您代办（{scope_label(app, delegation)}），{period_label(delegation)}",
            url=RECEIVED_URL,
            body=f"事由：{checked.reason}。生效期间，{principal.name} 的待办会出现在您的待办中，标“代办”。",
        )
        if delegation.start_at <= now:
            _activate(app, delegation, now, request=request)
    return Delegation.get_by_id(delegation.id)


def revoke(app: OfficiumApp, delegation: Delegation, actor: User, request: Request | None = None) -> int:
    """我已返回: end the principal's delegation now and give the unfinished items back; return how many."""
    now = app.clock()
    with write_transaction(app.db):
        sync_if_due(app)
        _lock_user(app, delegation.principal)
        returned = _end(app, delegation, now, "revoked", actor=actor, request=request)
        if returned is None:
            raise DelegationError("该授权已经结束或已收回。", status=409)
    return returned


# ---------------------------------------------------------------------------------------- queries


def mine(user: User) -> Any:
    """Delegations the user made, newest first."""
    return (
        Delegation.select()
        .where(Delegation.principal == user)
        .order_by(Delegation.start_at.desc(), Delegation.id.desc())
    )


def received(user: User) -> Any:
    """Delegations naming the user as delegate, newest first."""
    return (
        Delegation.select()
        .where(Delegation.delegate == user)
        .order_by(Delegation.start_at.desc(), Delegation.id.desc())
    )


def held(user: User) -> Any:
    """Open items the user holds for somebody else (代办), newest first."""
    return (
        WorkItem.select()
        .where(_open((WorkItem.assignee == user) & WorkItem.principal.is_null(False)))
        .order_by(WorkItem.created_at.desc(), WorkItem.id.desc())
    )


def handled_for(user: User, delegation: Delegation | None = None) -> Any:
    """Items delegates handled on the user's behalf (the actor acted as "B 代 A"), newest first.

    With ``delegation``, only what its delegate did within its period and scope.
    """
    if delegation is not None:
        until = delegation.revoked_at or delegation.end_at
        condition = (
            (WorkItem.assignee == delegation.delegate_id)
            & (WorkItem.done_at >= delegation.start_at)
            & (WorkItem.done_at <= until)
            & _scope_condition(delegation)
        )
    else:
        delegates = Delegation.select(Delegation.delegate).where(Delegation.principal == user)
        condition = WorkItem.assignee.in_(delegates)
    return (
        WorkItem.select()
        .where((WorkItem.principal == user) & WorkItem.actor.is_null(False) & condition)
        .order_by(WorkItem.done_at.desc(), WorkItem.id.desc())
    )
