"""Leave requests: who may file and see them, checking and filing one (the chain from HR's rules), the
workflow's outcome, cancellation, 销假 and the 外出授权 offered for an approved leave.

Everything runs inside the caller's transaction.  Functions that change something raise
:class:`LeaveError` (or the engine's ``WorkflowError``) before changing; callers run them in a savepoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from peewee import PostgresqlDatabase

from officium.core import audit, notifications, secrecy
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.registry import NotificationType, Permission
from officium.core.workflow import engine
from officium.core.workflow.definition import DRAFTER_STEP
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.leave import balances, maternity, rules, travel
from officium.plugins.leave.counting import CountError, check_span, count_days, fmt_days, slots
from officium.plugins.leave.models import HALVES, REASON_MAX, STEPS, LeaveRequest, LeaveType
from officium.plugins.leave.workflow import KEY

if TYPE_CHECKING:
    from starlette.requests import Request

    from officium.core.app import OfficiumApp

PLUGIN = "leave"
OBJECT_TYPE = "request"
URL = "/leave/"
REQUEST = "leave.request"
ADMIN = "leave.admin"

PERMISSIONS = [
    Permission(REQUEST, "请假、销假，查看本单位休假日历", default_roles=("staff",)),
    Permission(
        ADMIN, "休假管理（人事处）：假别、审批规则、额度、人事信息和统计", default_roles=("hr_officer",)
    ),
]
APPROVED = "leave.approved"
CANCELLED = "leave.cancelled"
ADJUSTED = "leave.adjusted"
NOTIFICATION_TYPES = [
    NotificationType(APPROVED, "休假申请已批准", description="您的（或您代为提交的）休假申请审批通过"),
    NotificationType(CANCELLED, "休假已撤销", description="您的休假申请被撤销或流程被终止"),
    NotificationType(ADJUSTED, "休假额度调整", description="人事处调整了您的休假额度"),
]
#: Statuses whose period is taken (overlaps are refused against them).
LIVE = ("pending", "approved", "ended")
HALF_TITLES = {"start": {"am": "上午", "pm": "下午"}, "end": {"am": "上午", "pm": "下午"}}


class LeaveError(ValueError):
    """A request or action that breaks a rule; ``fields`` maps form fields to Chinese messages."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.status = status


# -------------------------------------------------------------------------------------- who may do what


def clerk_units(user: User) -> list[Unit]:
    """Active units the user is 综合人员 of, with their child units (sections)."""
    own = list(
        Unit.select()
        .join(RoleGrant, on=(RoleGrant.unit == Unit.id))
        .where((RoleGrant.user == user) & (RoleGrant.role == "clerk") & Unit.active)
        .distinct()
    )
    ids = {u.id for u in own}
    children = list(Unit.select().where(Unit.parent.in_(list(ids) or [0]) & Unit.active)) if ids else []
    return own + [c for c in children if c.id not in ids]


def people_for(user: User) -> list[User]:
    """Who the user may file for: themselves, and as 综合人员 the active people of their units."""
    units = [u.id for u in clerk_units(user)]
    others = (
        list(
            User.select()
            .where(User.unit.in_(units) & (User.status == "active") & (User.id != user.id))
            .order_by(User.unit, User.name, User.id)
        )
        if units
        else []
    )
    return [user, *others]


def is_admin(permissions: frozenset[str]) -> bool:
    return ADMIN in permissions


def instance_of(leave: LeaveRequest) -> Instance | None:
    return engine.instance_for(PLUGIN, OBJECT_TYPE, leave.id)


def visible(user: User, permissions: frozenset[str], leave: LeaveRequest) -> bool:
    """The person, whoever filed it, HR, and anyone the workflow gave an item on it."""
    if user.id in (leave.user_id, leave.filed_by_id) or is_admin(permissions):
        return True
    instance = instance_of(leave)
    return instance is not None and (
        WorkItem.select()
        .where((WorkItem.instance == instance) & ((WorkItem.assignee == user) | (WorkItem.principal == user)))
        .exists()
    )


def may_manage(user: User, permissions: frozenset[str], leave: LeaveRequest) -> bool:
    """Cancel or register the return (销假): the person, whoever filed it, or HR."""
    return user.id in (leave.user_id, leave.filed_by_id) or is_admin(permissions)


def status(leave: LeaveRequest, instance: Instance | None = None) -> tuple[str, str]:
    """(code, Chinese title); a pending request back with its drafter reads 已退回."""
    if leave.status == "pending":
        instance = instance if instance is not None else instance_of(leave)
        if instance is not None and instance.state == "running" and instance.step == DRAFTER_STEP:
            return "returned", "已退回"
        if instance is not None and instance.state == "running" and instance.step in STEPS:
            return "pending", f"待{STEPS[instance.step]}"
    return leave.status, leave.status_title


def period_label(leave: LeaveRequest) -> str:
    """e.g. ``2026-10-08 上午 至 2026-10-09 下午``."""
    return (
        f"{leave.start_date.isoformat()} {HALF_TITLES['start'][leave.start_half]} 至 "
        f"{leave.end_date.isoformat()} {HALF_TITLES['end'][leave.end_half]}"
    )


# -------------------------------------------------------------------------------------------- checking


@dataclass
class Checked:
    user: User
    leave_type: LeaveType
    start: date
    start_half: str
    end: date
    end_half: str
    days: float
    reason: str
    chain: list[str]
    circumstance: str = ""


def parse_date(raw: object) -> date | None:
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        return None


def _text(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    return value.strip() if isinstance(value, str) else default


def overlapping(
    user: User, start: date, start_half: str, end: date, end_half: str, exclude: int = 0
) -> LeaveRequest | None:
    """A live request of the person whose period meets the asked one."""
    wanted = slots(start, start_half, end, end_half)
    rows = LeaveRequest.select().where(
        (LeaveRequest.user == user)
        & LeaveRequest.status.in_(LIVE)
        & (LeaveRequest.start_date <= end)
        & (LeaveRequest.end_date >= start)
        & (LeaveRequest.id != exclude)
    )
    for row in rows.order_by(LeaveRequest.start_date):
        end_date = row.actual_end_date or row.end_date
        half = row.actual_end_half or row.end_half
        have = slots(row.start_date, row.start_half, end_date, half)
        if have[0] < wanted[1] and wanted[0] < have[1]:
            return row
    return None


def measure(data: Mapping[str, Any]) -> tuple[LeaveType, date, str, date, str, float]:
    """The type, span and day count of a draft; raises :class:`LeaveError` with field messages."""
    errors: dict[str, str] = {}
    code = _text(data, "leave_type")
    leave_type = LeaveType.get_or_none((LeaveType.code == code) & LeaveType.active) if code else None
    if leave_type is None:
        errors["leave_type"] = "请选择假别。"
    start = parse_date(data.get("start_date", ""))
    end = parse_date(data.get("end_date", "")) if _text(data, "end_date") else start
    if start is None:
        errors["start_date"] = "请填写开始日期，如 2026-10-08。"
    if end is None:
        errors["end_date"] = "结束日期格式不正确，如 2026-10-09。"
    start_half = _text(data, "start_half", "am") or "am"
    end_half = _text(data, "end_half", "pm") or "pm"
    if start_half not in HALVES:
        errors["start_half"] = "请选择上午或下午。"
    if end_half not in HALVES:
        errors["end_half"] = "请选择上午或下午。"
    if errors:
        raise LeaveError("提交的内容不正确。", errors)
    assert leave_type is not None and start is not None and end is not None
    try:
        check_span(start, start_half, end, end_half, leave_type.half_day)
    except CountError as exc:
        raise LeaveError(exc.message, {exc.field: exc.message}) from exc
    days = count_days(start, start_half, end, end_half, leave_type.counting)
    if days <= 0:
        message = "所选期间都是节假日或休息日，无需请假。"
        raise LeaveError(message, {"end_date": message})
    return leave_type, start, start_half, end, end_half, days


def check(app: OfficiumApp, filer: User, data: Mapping[str, Any]) -> Checked:
    """Validate a draft filed by ``filer``: ``user`` (username; default the filer), ``leave_type`` (code),
    ``start_date``, ``start_half`` (am/pm), ``end_date``, ``end_half`` (am/pm), ``reason``."""
    errors: dict[str, str] = {}
    username = _text(data, "user") or filer.username
    allowed = {u.username: u for u in people_for(filer)}
    person = allowed.get(username)
    if person is None:
        errors["user"] = "只能为本人或本单位（您担任综合人员）的人员请假。"
    reason = _text(data, "reason")
    if not reason:
        errors["reason"] = "请填写请假事由。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"事由不能超过 {REASON_MAX} 个字。"
    try:
        leave_type, start, start_half, end, end_half, days = measure(data)
    except LeaveError as exc:
        raise LeaveError(exc.message, {**errors, **exc.fields}) from exc
    if errors:
        raise LeaveError("提交的内容不正确。", errors)
    assert person is not None
    circumstance = ""
    if leave_type.code == maternity.CODE:
        most, circumstance, problems = maternity.allowance(leave_type, data)
        errors.update(problems)
        if not problems and days > most:
            errors["end_date"] = (
                f"产假（{circumstance}）最多 {fmt_days(most)} 天，本次 {fmt_days(days)} 天；"
                "其他情形请联系人事处。"
            )
    else:
        extra, problems = travel.travel_days(leave_type.code, data)
        errors.update(problems)
        if extra:
            circumstance = f"含路程假 {extra} 天"
        if leave_type.max_days and not problems and days > leave_type.max_days + extra:
            errors["end_date"] = (
                f"{leave_type.name}每次最多 {fmt_days(leave_type.max_days)} 天"
                + (f"（另加路程假 {extra} 天）" if extra else "")
                + f"，本次 {fmt_days(days)} 天；其他情形请联系人事处。"
            )
    if leave_type.balance_required:
        b = balances.balance(person, leave_type, start.year)
        if b.available is not None and days > b.available:
            why = f"（{b.reason}）" if b.reason else ""
            errors["end_date"] = (
                f"{leave_type.name}余额不足：{start.year}年可用 {fmt_days(max(b.available, 0))} 天，"
                f"本次需 {fmt_days(days)} 天{why}。"
            )
    clash = overlapping(person, start, start_half, end, end_half)
    if clash is not None:
        errors["start_date"] = (
            f"与已有的请假重叠：{clash.leave_type.name} {period_label(clash)}（{status(clash)[1]}）。"
            "同一时间只能有一项请假，请调整日期或先撤销原申请。"
        )
    if errors:
        raise LeaveError("提交的内容不正确。", errors)
    chain = rules.chain_for(rules.rank_of(person.id), leave_type, days)
    return Checked(person, leave_type, start, start_half, end, end_half, days, reason, chain, circumstance)


# ----------------------------------------------------------------------------------------- filing


def _lock_user(app: OfficiumApp, user: User) -> None:
    """Serialise one person's requests on PostgreSQL (SQLite serialises writers by itself)."""
    if isinstance(app.db, PostgresqlDatabase):
        User.select(User.id).where(User.id == user.id).for_update().execute()


def _flow_unit(person: User, chain: list[str]) -> Unit | None:
    """The unit the workflow resolves leaders in: the person's, or its parent when the person leads it
    (a 科长's leave goes to the 处长, not to themselves)."""
    unit = person.unit
    if unit is not None and "unit" in chain and unit.parent_id is not None:
        leads = (
            RoleGrant.select()
            .where((RoleGrant.user == person) & (RoleGrant.role == "leader") & (RoleGrant.unit == unit))
            .exists()
        )
        if leads:
            return unit.parent
    return unit


def title_of(leave: LeaveRequest) -> str:
    return f"{leave.user.name}的{leave.leave_type.name}申请（{fmt_days(leave.days)}天）"


def refuse_classified(
    data: Mapping[str, Any], files: Iterable[tuple[str, bytes]] = (), request: Request | None = None
) -> None:
    """涉密 guard: a reason (or certificate) carrying a classification mark is refused and the refusal
    audited; nothing is stored."""
    findings = secrecy.scan({"事由": _text(data, "reason")}, files)
    if findings:
        if request is not None:
            secrecy.record_refusal(request, PLUGIN, findings)
        message = secrecy.refusal_message(findings)
        field = "reason" if any(f.where == "事由" for f in findings) else "document"
        raise LeaveError(message, {field: message}, status=422)


def file(
    app: OfficiumApp,
    filer: User,
    data: Mapping[str, Any],
    request: Request | None = None,
    files: Iterable[tuple[str, bytes]] = (),
) -> LeaveRequest:
    """Check and store a request with its supporting documents (``files``: ``(filename, bytes)`` pairs, from
    the form's upload or the API's base64 attachments) and submit it into the approval workflow.  A type
    that requires documents is refused without one; a rejected file refuses the whole request."""
    from officium.plugins.leave import attachments

    files = list(files)
    refuse_classified(data, files, request)
    person_name = _text(data, "user") or filer.username
    person = User.get_or_none(User.username == person_name)
    if person is not None:
        _lock_user(app, person)
    checked = check(app, filer, data)
    documents = attachments.available()
    if checked.leave_type.document_required and documents and not files:
        raise LeaveError(attachments.MISSING, {"document": attachments.MISSING})
    leave = LeaveRequest.create(
        user=checked.user,
        unit=checked.user.unit,
        leave_type=checked.leave_type,
        start_date=checked.start,
        start_half=checked.start_half,
        end_date=checked.end,
        end_half=checked.end_half,
        days=checked.days,
        year=checked.start.year,
        reason=checked.reason,
        circumstance=checked.circumstance,
        chain=",".join(checked.chain),
        filed_by=filer,
        created_at=app.clock(),
    )
    if documents:
        for upload in files:
            attachments.attach(app, leave, upload, filer)
    on_behalf = filer.id != checked.user.id
    engine.start(
        app,
        KEY,
        object_type=OBJECT_TYPE,
        object_id=leave.id,
        title=title_of(leave),
        url=f"{URL}{leave.id}",
        drafter=filer,
        unit=_flow_unit(checked.user, checked.chain),
        fields={"chain": checked.chain, "days": checked.days, "type": checked.leave_type.code},
        opinion=f"代{checked.user.name}提交：{checked.reason}" if on_behalf else checked.reason,
        request=request,
    )
    audit.record(
        app,
        "leave.file",
        actor=filer,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=leave.id,
        summary=f"{'代' + checked.user.name if on_behalf else ''}提交休假申请：{leave.leave_type.name} "
        f"{period_label(leave)}，{fmt_days(leave.days)} 天",
    )
    return LeaveRequest.get_by_id(leave.id)


def approved(app: OfficiumApp, leave_id: int) -> None:
    """The workflow finished: the leave is approved; tell the person (and the clerk who filed it)."""
    leave = LeaveRequest.get_by_id(leave_id)
    leave.status = "approved"
    leave.approved_at = app.clock()
    leave.save()
    title = f"休假申请已批准：{leave.leave_type.name} {period_label(leave)}"
    body = "外出前可在申请页面为休假期间登记外出授权。"
    for user in {leave.user_id: leave.user, leave.filed_by_id: leave.filed_by}.values():
        notifications.notify(app, user, APPROVED, title, url=f"{URL}{leave.id}", body=body)


def closed(app: OfficiumApp, leave_id: int) -> None:
    """The workflow was withdrawn or terminated: the request is cancelled and its days are free again."""
    leave = LeaveRequest.get_by_id(leave_id)
    if leave.status == "pending":
        by_workflow = not leave.cancel_reason  # withdrawn in the panel or terminated by 流程监控
        leave.status = "cancelled"
        leave.cancelled_at = app.clock()
        leave.cancel_reason = leave.cancel_reason or "审批流程已终止"
        leave.save()
        if by_workflow:
            notifications.notify(
                app,
                leave.user,
                CANCELLED,
                f"您的休假申请已终止：{leave.leave_type.name} {period_label(leave)}",
                url=f"{URL}{leave.id}",
                body="审批流程已终止，占用的额度已恢复。需要时请重新申请。",
            )


# ------------------------------------------------------------------------------ cancel, 销假, delegation


def cancel(
    app: OfficiumApp,
    leave: LeaveRequest,
    actor: User,
    permissions: frozenset[str],
    reason: str,
    request: Request | None = None,
) -> None:
    """撤销: a pending request ends its workflow; an approved one may be cancelled before it starts."""
    if not may_manage(actor, permissions, leave):
        raise LeaveError("只有本人、代为提交的综合人员或人事处可以撤销。", status=403)
    reason = reason.strip()
    if not reason:
        raise LeaveError("请填写撤销原因。", {"reason": "请填写撤销原因。"})
    if len(reason) > 200:
        raise LeaveError("原因不能超过 200 个字。", {"reason": "原因不能超过 200 个字。"})
    today = app.clock().date()
    if leave.status == "pending":
        leave.cancel_reason = reason
        leave.save()
        instance = instance_of(leave)
        engine.close(app, instance.id, actor, f"撤销请假：{reason}", request=request)
    elif leave.status == "approved":
        if today >= leave.start_date:
            message = "休假已经开始，不能撤销；返回后请办理销假，按实际天数计算。"
            raise LeaveError(message, {"reason": message})
        leave.status = "cancelled"
        leave.cancelled_at = app.clock()
        leave.cancel_reason = reason
        leave.save()
    else:
        raise LeaveError(
            f"该申请{leave.status_title}，不能撤销。", {"reason": "该申请不能撤销。"}, status=409
        )
    audit.record(
        app,
        "leave.cancel",
        actor=actor,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=leave.id,
        summary=f"撤销{title_of(leave)}：{reason}",
    )
    if actor.id != leave.user_id:
        notifications.notify(
            app,
            leave.user,
            CANCELLED,
            f"您的休假申请已撤销：{leave.leave_type.name} {period_label(leave)}",
            url=f"{URL}{leave.id}",
            body=f"{actor.name}撤销，原因：{reason}",
        )


def end(
    app: OfficiumApp,
    leave: LeaveRequest,
    actor: User,
    permissions: frozenset[str],
    data: Mapping[str, Any],
    request: Request | None = None,
) -> LeaveRequest:
    """销假: register the return with the actual last day (``actual_end_date``, ``actual_end_half``); the
    balance counts the actual days and gets the rest back."""
    if not may_manage(actor, permissions, leave):
        raise LeaveError("只有本人、代为提交的综合人员或人事处可以销假。", status=403)
    if leave.status != "approved":
        raise LeaveError(
            f"该申请{status(leave)[1]}，不能销假。",
            {"actual_end_date": "只有已批准的休假可以销假。"},
            status=409,
        )
    today = app.clock().date()
    if today < leave.start_date:
        message = "休假尚未开始，不需要销假；不休了请撤销申请。"
        raise LeaveError(message, {"actual_end_date": message})
    actual = parse_date(data.get("actual_end_date", "")) if _text(data, "actual_end_date") else leave.end_date
    half = _text(data, "actual_end_half", leave.end_half) or leave.end_half
    if actual is None:
        raise LeaveError("日期格式不正确。", {"actual_end_date": "日期格式不正确，如 2026-10-09。"})
    if half not in HALVES or (not leave.leave_type.half_day and half != "pm"):
        raise LeaveError("请选择上午或下午。", {"actual_end_half": "该假别按整天计算，请选择下午（全天）。"})
    first = slots(leave.start_date, leave.start_half, leave.start_date, leave.start_half)[0]
    last = slots(actual, half, actual, half)[1] - 1
    if last < first:
        message = "实际结束不能早于休假开始。"
        raise LeaveError(message, {"actual_end_date": message})
    if last > slots(leave.end_date, leave.end_half, leave.end_date, leave.end_half)[1] - 1:
        message = "实际结束不能晚于批准的结束时间；需要延长的请另行请假。"
        raise LeaveError(message, {"actual_end_date": message})
    try:
        check_span(leave.start_date, leave.start_half, actual, half, leave.leave_type.half_day)
    except CountError as exc:
        raise LeaveError(exc.message, {"actual_end_date": exc.message}) from exc
    leave.actual_end_date = actual
    leave.actual_end_half = half
    leave.actual_days = count_days(
        leave.start_date, leave.start_half, actual, half, leave.leave_type.counting
    )
    leave.status = "ended"
    leave.ended_at = app.clock()
    leave.save()
    back = leave.days - leave.actual_days
    audit.record(
        app,
        "leave.end",
        actor=actor,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=leave.id,
        summary=f"销假：{title_of(leave)}，实际 {fmt_days(leave.actual_days)} 天"
        + (f"，退回 {fmt_days(back)} 天" if back else ""),
    )
    return leave


def delegation_enabled(app: OfficiumApp) -> bool:
    try:
        app.plugin("delegation")
    except KeyError:
        return False
    return True


def delegation_period(leave: LeaveRequest) -> tuple[datetime, datetime]:
    start = datetime.combine(leave.start_date, time(12) if leave.start_half == "pm" else time(0))
    end = (
        datetime.combine(leave.end_date, time(12))
        if leave.end_half == "am"
        else datetime.combine(leave.end_date + timedelta(days=1), time(0))
    )
    return start, end


def delegate(
    app: OfficiumApp, leave: LeaveRequest, actor: User, delegate_username: str, request: Request | None = None
) -> int:
    """Register an 外出授权 for the approved leave's period through the delegation plugin; return its id."""
    if not delegation_enabled(app):
        raise LeaveError("本站未启用外出授权模块。", status=404)
    if actor.id != leave.user_id:
        raise LeaveError("只有休假本人可以登记外出授权。", status=403)
    if leave.status != "approved":
        raise LeaveError(
            "只有已批准的休假可以登记外出授权。",
            {"delegate": "只有已批准的休假可以登记外出授权。"},
            status=409,
        )
    if leave.delegation_id:
        raise LeaveError(
            "已为这次休假登记过外出授权。", {"delegate": "已为这次休假登记过外出授权。"}, status=409
        )
    from officium.plugins.delegation import service as delegation

    start, end_at = delegation_period(leave)
    draft = delegation.Draft(
        delegate=delegate_username,
        start=start.isoformat(timespec="minutes"),
        end=end_at.isoformat(timespec="minutes"),
        all_modules=True,
        reason=f"休假：{leave.leave_type.name} {period_label(leave)}"[:200],
    )
    try:
        created = delegation.create(app, actor, draft, request=request)
    except delegation.DelegationError as exc:
        fields = {"delegate": " ".join(exc.fields.values()) or exc.message}
        raise LeaveError(exc.message, fields, status=exc.status) from exc
    leave.delegation_id = created.id
    leave.save()
    return created.id


# ------------------------------------------------------------------------------------------------ json


def serialize(leave: LeaveRequest, instance: Instance | None = None) -> dict[str, Any]:
    code, title = status(leave, instance)
    return {
        "id": leave.id,
        "user": leave.user.username,
        "name": leave.user.name,
        "unit": leave.unit.code if leave.unit_id else None,
        "type": leave.leave_type.code,
        "type_name": leave.leave_type.name,
        "start_date": leave.start_date.isoformat(),
        "start_half": leave.start_half,
        "end_date": leave.end_date.isoformat(),
        "end_half": leave.end_half,
        "days": leave.days,
        "year": leave.year,
        "reason": leave.reason,
        "circumstance": leave.circumstance,
        "status": code,
        "status_title": title,
        "chain": [s for s in leave.chain.split(",") if s],
        "chain_title": rules.describe([s for s in leave.chain.split(",") if s]),
        "filed_by": leave.filed_by.username,
        "created_at": leave.created_at.isoformat(),
        "approved_at": leave.approved_at.isoformat() if leave.approved_at else None,
        "cancel_reason": leave.cancel_reason,
        "actual_end_date": leave.actual_end_date.isoformat() if leave.actual_end_date else None,
        "actual_end_half": leave.actual_end_half or None,
        "actual_days": leave.actual_days,
        "delegation_id": leave.delegation_id,
        "url": f"{URL}{leave.id}",
    }
